"""The analysis of an uploaded indicator: national and council-sized uploads, warm and fresh.

Targets (issue 10), every ratio against a baseline measured in the same run:

1. A national upload (33,755 English LSOAs) mapped, tested at 999 permutations, clustered and
   summarised by ``python -m geo analyse`` in a fresh process: < 15 s. Baseline: a fresh
   ``python -m geo catalogue`` (the interpreter, the library's imports and a small read: the
   floor every command pays).
2. The same analysis warm, in this process (:func:`geo.analysis.upload.analyse_upload`, as a
   running app calls it): < 10 s at 999 permutations; also at the store's own number of
   permutations (the default). Baseline: Gi* alone on the same values and graph.
3. A council-sized upload (Birmingham, about 640 LSOAs) warm: < 2 s. Baseline: Gi* alone.
4. Where the time goes: the progress messages of one warm national run, with their times.
5. The zip of a national analysis (every file, with the 33,755 polygons): reported, no target
   (the page builds it when asked to download).

The upload is a real column of the mirror (IoD 2025's entry to higher education indicator)
written to CSV. Needs the store (``python -m geo data build``) and the statistics rewrite.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

import boundaries
from bench._timing import best_of, report

REPO = Path(__file__).resolve().parents[1]
COUNCIL = "E08000025"  # Birmingham
COLUMN = "entry_to_he"  # the store's name of IoD 2025's entry to higher education indicator
PERMUTATIONS = 999


def _values() -> pd.Series:
    import geo

    return geo.load_indicators("iod2025_indicators")[COLUMN].astype(float).rename_axis(
        "lsoa21_code")


def _fresh(*args: str) -> float:
    """Wall time of ``python -m geo ARGS`` in a new interpreter (fails loudly)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "geo", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, check=False, timeout=600)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        msg = f"python -m geo {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-2000:]}"
        raise RuntimeError(msg)
    return seconds


def _fresh_cli(values: pd.Series, tmp: Path) -> None:
    src = tmp / "national.csv"
    pd.DataFrame({"code": values.index, "entry to HE": values.to_numpy()}).to_csv(src, index=False)
    runs, floors = [], []
    for i in range(2):
        floors.append(_fresh("catalogue", "--out", str(tmp / f"cat{i}.csv")))
        runs.append(_fresh("analyse", str(src), "--column", "entry to HE", "--polarity",
                           "higher_worse", "--permutations", str(PERMUTATIONS), "--out",
                           str(tmp / f"out{i}")))
    report("national analyse, fresh CLI process, 999 perm", min(runs), min(floors),
           target="< 15 s; baseline fresh `python -m geo catalogue`")


def _warm(values: pd.Series) -> None:
    from geo.analysis._upload_stats import gi_star_run, stored_params
    from geo.analysis.upload import analyse_upload

    params = stored_params()
    present = values.dropna()
    graph = boundaries.load_graph("lsoa21_en").subgraph(present.index)

    def gi(codes: pd.Index, permutations: int) -> None:
        sub = graph.subgraph(codes) if len(codes) < graph.n else graph
        gi_star_run(present.reindex(codes), sub, polarity="higher_worse",
                    permutations=permutations, seed=params["seed"], alpha=params["alpha"],
                    fdr=True)

    def national(permutations: int | None) -> None:
        analyse_upload(values, level="lsoa21", polarity="higher_worse", permutations=permutations)

    stored = int(params["permutations"])
    report("national analyse_upload warm, 999 perm", best_of(lambda: national(PERMUTATIONS),
                                                           repeat=3),
           best_of(lambda: gi(present.index, PERMUTATIONS), repeat=3),
           target="< 10 s; baseline Gi* alone")
    report(f"national analyse_upload warm, {stored:,} perm (default)",
           best_of(lambda: national(None), repeat=3),
           best_of(lambda: gi(present.index, stored), repeat=3),
           target="< 10 s; baseline Gi* alone")
    lsoa = boundaries.load("lsoa21")
    members = lsoa.index[(lsoa["lad24_code"] == COUNCIL).to_numpy()].intersection(present.index)
    council = values.reindex(members)
    report(f"Birmingham analyse_upload warm ({len(members)} LSOAs), {stored:,} perm",
           best_of(lambda: analyse_upload(council, level="lsoa21", polarity="higher_worse"),
                   repeat=5),
           best_of(lambda: gi(members, stored), repeat=5),
           target="< 2 s; baseline Gi* alone")


def _steps(values: pd.Series) -> None:
    from geo.analysis.upload import analyse_upload
    from geo.export.analysis_zip import analysis_files, analysis_zip

    marks: list[tuple[float, str]] = []
    start = time.perf_counter()
    analysis = analyse_upload(values, level="lsoa21", polarity="higher_worse",
                              permutations=PERMUTATIONS,
                              progress=lambda _f, m: marks.append((time.perf_counter(), m)))
    for (t0, message), (t1, _) in zip(marks, marks[1:], strict=False):
        print(f"  {message[:60]:60s} {t1 - t0:6.2f} s")
    total = time.perf_counter() - start
    t = time.perf_counter()
    data = analysis_zip(analysis_files(analysis))
    report("national zip (every file, 33,755 polygons)", time.perf_counter() - t, total,
           target=f"{len(data) / 1e6:.0f} MB; baseline the analysis")


def main() -> None:
    values = _values()
    _steps(values)
    _warm(values)
    with tempfile.TemporaryDirectory() as tmp:
        _fresh_cli(values, Path(tmp))


if __name__ == "__main__":
    main()
