"""The registry of local statistics: one entry per method, so callers never branch on names.

Each entry maps a method key (``"gi_star"``, ``"local_moran"``) to its function; both take
``(values, graph, *, permutations, seed, alpha, fdr, n_jobs, nan, focus)``.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from libpysal.graph import Graph

from geo.stats.gi_star import local_gi_star
from geo.stats.moran import local_moran

__all__ = ["LOCAL_METHODS", "warm_up"]

#: Local statistics by key.
LOCAL_METHODS = {"gi_star": local_gi_star, "local_moran": local_moran}


def warm_up(*, n_jobs: int = 1) -> float:
    """Compile esda's numba permutation kernels (Gi* and local Moran) on a tiny graph.

    The first permutation test in a process compiles the kernels (38-50 s on a 2-core
    machine); the store build calls this once so that no app request pays it.

    Parameters
    ----------
    n_jobs
        Also compile the parallel path when > 1 (only useful if callers use ``n_jobs > 1``).

    Returns
    -------
    float
        Seconds spent.

    Examples
    --------
    >>> seconds = warm_up()  # doctest: +SKIP
    """
    start = time.perf_counter()
    side = 4
    codes = [f"c{i:02d}" for i in range(side * side)]
    heads, tails = [], []
    for r in range(side):
        for c in range(side):
            for dr, dc in ((0, 1), (1, 0), (0, -1), (-1, 0)):
                rr, cc = r + dr, c + dc
                if 0 <= rr < side and 0 <= cc < side:
                    heads.append(codes[r * side + c])
                    tails.append(codes[rr * side + cc])
    graph = Graph.from_arrays(heads, tails, np.ones(len(heads)), transformation="B")
    values = pd.Series(np.arange(1.0, side * side + 1), index=codes)
    for jobs in sorted({1, int(n_jobs)}):
        local_gi_star(values, graph, permutations=9, seed=0, n_jobs=jobs)
        local_moran(values, graph, permutations=9, seed=0, n_jobs=jobs)
    return time.perf_counter() - start
