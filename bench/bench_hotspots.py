"""Hot spots: the permutation engine of geo.stats against esda, every ratio measured in this run.

Targets (issue 8):

1. ``python -m geo hotspots`` in a fresh process, national Gi* (and local Moran) of
   ``iod2025.imd_score`` at 999 permutations (not the stored run: computed now), end to end
   within 8 s; baseline: the same in a fresh process with esda (``G_Local`` / ``Moran_Local``,
   ``n_jobs=1``: numba compiles its kernels first), Benjamini-Hochberg and a CSV.
2. The build's hotspot stage (:func:`geo.data.derived._hotspot_tables`: Gi* and local Moran of
   two indicators at the store's permutations with k=8 robustness, global statistics and named
   clusters) within 90 s; baseline: the four esda runs alone at the same permutations.
3. z identical to esda's ``Zs`` (max abs difference) and local I to esda's ``Is``.
4. Hot-spot agreement with esda at equal permutations (share of LSOAs with the same hot / cold /
   not significant call after FDR) >= 0.97; baseline: esda against itself with another seed.

Needs the store (``python -m geo data build``); takes a few minutes, most of it in esda.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

import boundaries
from bench._timing import report

REPO = Path(__file__).resolve().parents[1]
SEED = 42

_ESDA_PIPELINE = """
import sys, time, warnings
t = time.perf_counter()
import esda, numpy as np, pandas as pd
import boundaries, geo
from geo.stats.fdr import fdr_bh
graph = boundaries.load_graph("lsoa21_en")
y = geo.load_indicators("iod2025")["imd_score"].reindex(graph.unique_ids).to_numpy()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    if sys.argv[1] == "gi_star":
        res = esda.G_Local(y, graph, transform="B", star=True, permutations=999, seed=42, n_jobs=1)
        stat = res.Zs
    else:
        res = esda.Moran_Local(y, graph, transformation="r", permutations=999, seed=42, n_jobs=1)
        stat = res.Is
p = np.minimum(1, 2 * res.p_sim)
pd.DataFrame({"statistic": stat, "p": p, "q": fdr_bh(p)}, index=graph.unique_ids).to_csv(sys.argv[2])
print(time.perf_counter() - t)
"""


def _fresh(args: list[str]) -> float:
    """Wall time of a fresh interpreter running ``args`` (from the repository)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, *args], cwd=REPO, env=env, capture_output=True,
                          text=True, check=False, timeout=900)
    if done.returncode != 0:
        msg = f"{args[:3]} failed (exit {done.returncode}):\n{done.stderr[-2000:]}"
        raise RuntimeError(msg)
    return time.perf_counter() - start


def _calls(labels: np.ndarray, q: np.ndarray) -> np.ndarray:
    return np.where(q <= 0.05, labels, "-")


def _esda_gi(y: np.ndarray, graph, permutations: int, seed: int):  # noqa: ANN001, ANN202
    import esda

    from geo.stats.fdr import fdr_bh

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = esda.G_Local(y, graph, transform="B", star=True, permutations=permutations,
                           seed=seed, n_jobs=1, keep_simulations=True)
    sims, obs = res.rGs, res.Gs[:, None]
    ge = (sims >= obs - 1e-12 * np.abs(obs)).sum(axis=1)
    le = (sims <= obs + 1e-12 * np.abs(obs)).sum(axis=1)
    p = np.minimum(1, 2 * (np.minimum(ge, le) + 1) / (permutations + 1))
    return res, _calls(np.where(ge < le, "hot", "cold"), fdr_bh(p))


def _fresh_process_targets(tmp: Path) -> None:
    """Target 1: a fresh ``python -m geo hotspots`` against a fresh esda pipeline."""
    for method in ("gi_star", "local_moran"):
        ours = _fresh(["-m", "geo", "hotspots", "--indicator", "iod2025.imd_score", "--method",
                       method, "--permutations", "999", "--seed", str(SEED), "--out",
                       str(tmp / f"{method}.csv")])
        esda_time = _fresh(["-c", _ESDA_PIPELINE, method, str(tmp / f"esda_{method}.csv")])
        report(f"fresh `geo hotspots` {method}, 999 perm", ours, esda_time,
               target="<= 8 s end to end; baseline a fresh esda pipeline")


def _build_stage_target(graph, permutations: int) -> None:  # noqa: ANN001
    """Target 2: the build's hotspot stage against the four esda runs it replaces."""
    import esda

    import geo
    from geo.data.derived import NATIONAL_RUNS, _hotspot_tables

    iod = geo.load_indicators("iod2025")
    compound = geo.load_indicators("compound")
    eng = boundaries.load("lsoa21").loc[iod.index]
    pop = geo.load_indicators("population").loc[iod.index]
    params = boundaries.read_manifest(boundaries.store_dir())["hotspot_params"]
    start = time.perf_counter()
    _hotspot_tables(iod, compound, eng, pop, graph, report={}, progress=lambda _: None,
                    params=params)
    ours = time.perf_counter() - start
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for column in NATIONAL_RUNS:
            table = compound if column in compound.columns else iod
            y = table[column].astype(float).reindex(graph.unique_ids).to_numpy()
            esda.G_Local(y, graph, transform="B", star=True, permutations=permutations,
                         seed=SEED, n_jobs=1, keep_simulations=False)
            esda.Moran_Local(y, graph, transformation="r", permutations=permutations, seed=SEED,
                             n_jobs=1, keep_simulations=False)
    report(f"build hotspot stage, {permutations} perm", ours, time.perf_counter() - start,
           target="<= 90 s; baseline the 4 esda runs alone (no robustness, no clusters)")


def _agreement_targets(graph, values) -> None:  # noqa: ANN001
    """Targets 3 and 4: the same z as esda, and the same spots at equal permutations."""
    from geo.stats.gi_star import local_gi_star
    from geo.stats.moran import local_moran

    y = values.reindex(graph.unique_ids).to_numpy(dtype=float)
    for permutations in (999, 9999):
        ours = local_gi_star(values, graph, permutations=permutations, seed=SEED)
        ours = ours.reindex(graph.unique_ids)
        res, theirs = _esda_gi(y, graph, permutations, SEED)
        _, again = _esda_gi(y, graph, permutations, SEED + 1)
        mine = _calls(ours["label"].str[:4].str.strip().to_numpy(), ours["q"].to_numpy())
        print(f"{'  Gi* z, max abs difference from esda Zs':48s} "
              f"{np.nanmax(np.abs(ours['statistic'].to_numpy() - res.Zs)):.1e}")
        report(f"spot agreement with esda, {permutations} perm", float((mine == theirs).mean()),
               float((again == theirs).mean()), unit="",
               target=">= 0.97; baseline esda against esda with seed + 1")
    lisa = local_moran(values, graph, permutations=0).reindex(graph.unique_ids)
    import esda

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = esda.Moran_Local(y, graph, transformation="r", permutations=0)
    print(f"{'  local I, max abs difference from esda Is':48s} "
          f"{np.nanmax(np.abs(lisa['statistic'].to_numpy() - ref.Is)):.1e}")


def main() -> None:
    import geo

    graph = boundaries.load_graph("lsoa21_en")
    values = geo.load_indicators("iod2025")["imd_score"]
    permutations = int(boundaries.read_manifest(boundaries.store_dir())["hotspot_params"]
                       ["permutations"])
    with tempfile.TemporaryDirectory() as folder:
        _fresh_process_targets(Path(folder))
    _build_stage_target(graph, permutations)
    _agreement_targets(graph, values)
    print(json.dumps({"store_permutations": permutations}))


if __name__ == "__main__":
    main()
