"""The app as a person meets it, timed in headless Chromium on a freshly started server.

Issue 11's targets: the first national map within 3 s of opening the app on a freshly started
server, a council's neighbourhood map within 2 s of clicking the council, a new indicator on the
national map within 1 s of choosing it.

Each round starts ``streamlit run app.py`` on a free localhost port (no file watcher, as in
production), waits until it answers ``/_stcore/health``, and then, in one new browser page:

1. ``first national map``: from opening the app's root URL until the national map's canvas is
   painted inside its iframe (``start to map`` adds the server's start-up before that);
2. ``council map``: from a click on a council of the national map until that council's
   neighbourhood map is painted;
3. ``switch indicator``: from choosing another indicator by council (the Enter key after its
   name is typed) until the map's legend names it;
4. ``national image``: from opening the view of every LSOA as an image (a new page) until the
   image is drawn.

The targets are absolute (the issue's), so each line prints the median time and its ratio to the
target (below 1 meets it). The clicked place is York (a council without a named cluster, so
the same click works on the code before and after issue 11).

Usage: ``python -m bench browser`` or ``python bench/bench_browser.py [--rounds 3]``.
Results go to ``bench/results/bench_browser.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from scripts.browser import ARGS, CHROMIUM, FITTED, PAINTED  # noqa: E402 - one browser for tests and benches

#: Every map of the app is a streamlit-folium component frame (whatever its title).
FRAME = "iframe[src*='streamlit_folium']"
TARGETS = {"first national map": 3.0, "council map": 2.0, "switch indicator": 1.0}
YORK = (53.9576, -1.0827)
TIMEOUT_MS = 120_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(log: Path) -> tuple[subprocess.Popen, str, float]:
    """A fresh ``streamlit run app.py``; returns the process, its URL and its start time."""
    port = _free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"),
           "--server.port", str(port), "--server.address", "127.0.0.1",
           "--server.headless", "true", "--server.fileWatcherType", "none",
           "--browser.gatherUsageStats", "false"]
    started = time.perf_counter()
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONPATH": str(REPO)})
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc, url, started
        except OSError:
            time.sleep(0.1)
    proc.kill()
    msg = f"streamlit did not start in 120 s; see {log}"
    raise RuntimeError(msg)


def _painted_frame(page, index: int):
    """The index-th map frame once its canvas is painted (frames replaced meanwhile are
    looked up again)."""
    from playwright.sync_api import Error

    for _ in range(200):
        try:
            handle = page.locator(FRAME).nth(index).element_handle(timeout=TIMEOUT_MS)
            frame = handle.content_frame()
            if frame is None:  # the frame element is there, its document not yet
                page.wait_for_timeout(50)
                continue
            frame.wait_for_function(f"() => ({FITTED})() && ({PAINTED})() > 1000",
                                    timeout=TIMEOUT_MS, polling=50)
            return frame
        except Error as exc:
            if "detached" not in str(exc) and "destroyed" not in str(exc):
                raise
    msg = "the map frame kept being replaced"
    raise RuntimeError(msg)


def one_round(browser, log: Path) -> dict[str, float]:
    """Times of one fresh server (seconds)."""
    proc, url, started = start_server(log)
    out: dict[str, float] = {"server start": time.perf_counter() - started}
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(TIMEOUT_MS)
        t = time.perf_counter()
        page.goto(url)
        frame = _painted_frame(page, 0)
        out["first national map"] = time.perf_counter() - t
        out["start to map"] = time.perf_counter() - started
        x, y = frame.evaluate(
            "([lat, lng]) => { const p = window.map.latLngToContainerPoint([lat, lng]);"
            " return [p.x, p.y]; }", list(YORK))
        page.locator(FRAME).first.scroll_into_view_if_needed()
        t = time.perf_counter()
        frame.locator(".leaflet-container").click(position={"x": x, "y": y})
        page.get_by_text("York: neighbourhoods (LSOAs)").wait_for()
        _painted_frame(page, 1)
        out["council map"] = time.perf_counter() - t
        page.get_by_label("Indicator by council").click()
        label = "Income deprivation 2025: average score"
        page.keyboard.type(label)
        t = time.perf_counter()
        page.keyboard.press("Enter")
        page.frame_locator(FRAME).first.locator(".oppmap-legend", has_text=label).wait_for()
        out["switch indicator"] = time.perf_counter() - t
        page.close()
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        t = time.perf_counter()
        page.goto(f"{url}/?page=explore&view=lsoas")
        page.frame_locator(FRAME).first.locator("img.leaflet-image-layer").first.wait_for(
            state="attached", timeout=TIMEOUT_MS)
        out["national image"] = time.perf_counter() - t
        page.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    return out


def browser_bench_args(doc: str | None, argv: list[str] | None, *,
                       rounds_help: str) -> tuple[argparse.Namespace, Path]:
    """The options of a browser bench (``--rounds``, ``--label``) and its results folder;
    exits with a clear line when Chromium is missing."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help=f"{rounds_help}; default 3")
    parser.add_argument("--label", default="", help="a name for this run in the results")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        sys.exit(f"no Chromium at {CHROMIUM}: install it (scripts/install_browser.sh)")
    results = REPO / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    return args, results


def main(argv: list[str] | None = None) -> dict:
    from playwright.sync_api import sync_playwright

    args, results = browser_bench_args(__doc__, argv, rounds_help="fresh servers (median)")
    rounds = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for i in range(args.rounds):
            rounds.append(one_round(browser, results / f"bench_browser_{i}.log"))
            print(f"round {i + 1}: " + ", ".join(f"{k} {v:.2f} s" for k, v in rounds[-1].items()))
        browser.close()
    medians = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
    for name, value in medians.items():
        target = TARGETS.get(name)
        print(f"{name:22s} {value:7.2f} s" + (f"  target {target:.0f} s, ratio {value / target:.2f}"
                                              if target else ""))
    (results / "bench_browser.json").write_text(json.dumps(
        {"label": args.label, "rounds": rounds, "median": medians}, indent=2))
    return medians


if __name__ == "__main__":
    main()
