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
6. Other nations, warm, at the store's permutations: every Scottish data zone (6,976, on the
   ``dz11`` graph, against SIMD 2020) and every Welsh LSOA (1,917, ``lsoa21_wa``, WIMD 2019);
   no target of their own (smaller than England's, so within its 10 s). Baseline: Gi* alone.
7. An LSOA 2011 upload of England (IoD 2019 ranks and mid-2019 residents, 32,844 rows) carried
   to LSOA 2021 (:func:`geo.analysis.upload.upload_for_analysis`: a rate by population means,
   a count apportioned). Baseline: reading and checking the same file (``read_upload``).

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


def _nations() -> None:
    import geo
    from geo.analysis._upload_stats import gi_star_run, stored_params
    from geo.analysis.upload import analyse_upload

    params = stored_params()
    stored = int(params["permutations"])
    cases = {"dz11": geo.load_indicators("ukimd_s")["uk_imd_score"],
             "lsoa21": geo.load_indicators("census21_deprivation")[
                 "households_deprived_2plus_pct"].filter(like="W", axis=0)}
    graphs = {"dz11": "dz11", "lsoa21": "lsoa21_wa"}
    for level, values in cases.items():
        values = values.astype(float).dropna().rename_axis(f"{level}_code")
        graph = boundaries.load_graph(graphs[level]).subgraph(values.index)
        report(f"{graphs[level]} analyse_upload warm ({len(values):,} areas), {stored:,} perm",
               best_of(lambda v=values, lv=level: analyse_upload(v, level=lv,
                                                                  polarity="higher_worse"),
                       repeat=3),
               best_of(lambda v=values, g=graph: gi_star_run(
                   v, g, polarity="higher_worse", permutations=stored, seed=params["seed"],
                   alpha=params["alpha"], fdr=True), repeat=3),
               target="no target of its own; baseline Gi* alone")


def _carry(mirror: Path) -> None:
    from geo.analysis.upload import upload_for_analysis
    from geo.upload.reader import read_upload, upload_known_codes

    iod = pd.read_csv(mirror / "deprivation/imd2019_england_lsoa11.csv", index_col="lsoa11_code")
    pop = pd.read_csv(mirror / "population/ons_mid2019_population_lsoa11_agebands.csv",
                      index_col="lsoa11_code")["population_total"]
    data = pd.DataFrame({"LSOA11CD": iod.index, "IMD rank": iod["IMD_rank"],
                         "residents": pop.reindex(iod.index).to_numpy()}
                        ).to_csv(index=False).encode()
    known = upload_known_codes()
    checked = read_upload(data, known_codes=known)
    report(f"LSOA 2011 upload carried to 2021 ({len(checked.table):,} rows, 2 columns)",
           best_of(lambda: upload_for_analysis(checked), repeat=3),
           best_of(lambda: read_upload(data, known_codes=known), repeat=3),
           target="no target; baseline read_upload of the same file")


def main() -> None:
    from geo.data.sources import mirror_dir

    values = _values()
    _steps(values)
    _warm(values)
    _nations()
    mirror = mirror_dir()
    if mirror is not None:
        _carry(Path(mirror))
    with tempfile.TemporaryDirectory() as tmp:
        _fresh_cli(values, Path(tmp))


if __name__ == "__main__":
    main()
