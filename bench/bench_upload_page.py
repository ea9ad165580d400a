"""The Your data page timed in headless Chromium on a running server (issue 10's speed targets).

A council-sized upload (Birmingham's 659 LSOAs) must be mapped and tested within 2 s of the
answer to "which end is worse", a national one (England's 33,755 LSOAs) within 10 s. Both files
are a column of the IoD 2025's underlying indicators from the data mirror.

One server is started and warmed with a small upload (the analysis modules imported, the
boundaries and graphs loaded: "a running app"). Then, for each round and each file (its column
renamed per round, so that the page's cache, keyed by the file's hash, misses):

1. ``upload`` (the baseline, measured in the same run): from choosing the file until the match
   report and the map of the matched areas are drawn: the page rendering without analysis;
2. ``answer to results``: from clicking "Higher is worse" until the results are drawn (the
   heading of the last section, the map of values painted, the page idle): the analysis,
   hotspots, clusters, summaries, correlations, maps and scatter;
3. ``new classes (cached)``: choosing other classes, the analysis read from the cache.

Each line prints the median, its ratio to the baseline of the same file, and its ratio to the
issue's target (below 1 meets it).

Usage: ``python -m bench upload_page`` or ``python bench/bench_upload_page.py [--rounds 3]``.
Results go to ``bench/results/bench_upload_page.json``.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.bench_browser import (  # noqa: E402 - after the path is set
    ARGS,
    CHROMIUM,
    FRAME,
    TIMEOUT_MS,
    _painted_frame,
    browser_bench_args,
    start_server,
)
from scripts.browser import IDLE, after, count_runs  # noqa: E402 - the tests' run counter

TARGETS = {"council": 2.0, "national": 10.0}
COLUMN = "entry_to_higher_education_indicator"


def write_files(folder: Path, rounds: int) -> dict[str, list[Path]]:
    """Per file and round, a CSV of the mirror's column (renamed per round: a new hash)."""
    import os

    import pandas as pd

    import boundaries

    mirror = Path(os.environ.get("OPPMAP_DATA", REPO.parent / "shared" / "data"))
    frame = pd.read_csv(mirror / "deprivation" / "imd2025_england_lsoa21_indicators.csv",
                        usecols=["lsoa21_code", COLUMN])
    lsoa = boundaries.load("lsoa21")
    files = {"council": frame[frame["lsoa21_code"].isin(
        lsoa.index[lsoa["lad24_code"] == "E08000025"])], "national": frame}
    out: dict[str, list[Path]] = {}
    for name, part in files.items():
        out[name] = []
        for r in range(rounds + 1):  # round 0 warms the server
            path = folder / f"{name}_{r}.csv"
            part.rename(columns={COLUMN: f"entry to HE, round {r}"}).to_csv(path, index=False)
            out[name].append(path)
    return out


def _after(page, action) -> None:
    """The action and the run it starts, until the app is idle (no retry: it is timed)."""
    after(page, action, timeout_ms=TIMEOUT_MS, quiet=False, retry=False)


def _drawn(page, national: bool) -> None:
    """The first map of the page drawn: an image (national) or a painted canvas."""
    if national:
        page.frame_locator(FRAME).first.locator("img.leaflet-image-layer").first.wait_for(
            state="attached", timeout=TIMEOUT_MS)
    else:
        _painted_frame(page, 0)


def time_file(browser, url: str, path: Path, *, national: bool) -> dict[str, float]:
    """Upload, answer and change classes on one page; seconds of each."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(TIMEOUT_MS)
    count_runs(page)
    page.goto(f"{url}/?page=upload")
    page.wait_for_function(IDLE, polling=50)
    out = {}
    t = time.perf_counter()
    _after(page, lambda: page.locator("input[type=file]").set_input_files(str(path)))
    page.get_by_text("is worse? Choose it above").wait_for()
    _drawn(page, national)
    out["upload"] = time.perf_counter() - t
    t = time.perf_counter()
    _after(page, lambda: page.get_by_text("Higher is worse", exact=True).click())
    page.get_by_role("heading", name="Download everything").wait_for()
    _drawn(page, national)
    out["answer to results"] = time.perf_counter() - t
    page.get_by_label("Classes").click()
    page.keyboard.type("Deciles")
    t = time.perf_counter()
    _after(page, lambda: page.keyboard.press("Enter"))
    page.frame_locator(FRAME).first.locator(".oppmap-legend", has_text="deciles").wait_for()
    out["new classes (cached)"] = time.perf_counter() - t
    page.close()
    return out


def main(argv: list[str] | None = None) -> dict:
    import tempfile

    from playwright.sync_api import sync_playwright

    args, results = browser_bench_args(__doc__, argv, rounds_help="rounds per file (median)")
    times: dict[str, list[dict[str, float]]] = {"council": [], "national": []}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        files = write_files(Path(tmp), args.rounds)
        proc, url, _started = start_server(results / "bench_upload_page.log")
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            time_file(browser, url, files["council"][0], national=False)  # warm the server
            for r in range(1, args.rounds + 1):
                for name in times:
                    times[name].append(time_file(browser, url, files[name][r],
                                                 national=name == "national"))
                    print(f"round {r} {name}: " + ", ".join(
                        f"{k} {v:.2f} s" for k, v in times[name][-1].items()))
        finally:
            browser.close()
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    medians = {name: {k: statistics.median(r[k] for r in rows) for k in rows[0]}
               for name, rows in times.items()}
    for name, row in medians.items():
        base = row["upload"]
        for step, value in row.items():
            extra = (f"  target {TARGETS[name]:.0f} s, ratio {value / TARGETS[name]:.2f}"
                     if step == "answer to results" else "")
            print(f"{name:9s} {step:22s} {value:7.2f} s  ratio to upload {value / base:5.2f}"
                  + extra)
    (results / "bench_upload_page.json").write_text(json.dumps(
        {"label": args.label, "rounds": times, "median": medians}, indent=2))
    return medians


if __name__ == "__main__":
    main()
