"""The registry of local statistics: one entry per method, so that no caller branches on names.

A new local statistic is one module (like :mod:`geo.stats.gi_star`) and one entry here. Each
entry's ``run`` takes ``(values, graph, *, polarity, permutations, seed, alpha, fdr, nan,
focus)`` and returns the frame of :func:`geo.stats.gi_star.local_gi_star`; ``direction`` maps
its labels to the kind of significant result, which robustness compares across weights.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pandas as pd
from libpysal.graph import Graph

from geo._errors import InputError
from geo.stats.gi_star import local_gi_star
from geo.stats.moran import MORAN_QUADRANTS, local_moran

__all__ = ["LOCAL_METHODS", "LocalMethod", "local_method", "warm_up"]


class LocalMethod(NamedTuple):
    """A local statistic: its function, its name for people and what its labels say."""

    run: Callable[..., pd.DataFrame]
    title: str
    direction: Callable[[pd.Series], pd.Series]


def _gi_direction(labels: pd.Series) -> pd.Series:
    """'hot' / 'cold' for significant Gi* spots at any level, <NA> otherwise."""
    labels = labels.astype(str)
    out = pd.Series(pd.NA, index=labels.index, dtype=object)
    out[labels.str.startswith("hot spot")] = "hot"
    out[labels.str.startswith("cold spot")] = "cold"
    return out


def _moran_direction(labels: pd.Series) -> pd.Series:
    """The quadrant of significant LISA areas, <NA> otherwise."""
    labels = labels.astype(str)
    return labels.where(labels.isin(list(MORAN_QUADRANTS.values())), other=pd.NA)


#: Local statistics by key.
LOCAL_METHODS: dict[str, LocalMethod] = {
    "gi_star": LocalMethod(local_gi_star, "Getis-Ord Gi*", _gi_direction),
    "local_moran": LocalMethod(local_moran, "local Moran's I", _moran_direction),
}


def local_method(key: str, *, argument: str = "method") -> LocalMethod:
    """The registry entry of ``key`` (case and surrounding spaces forgiven).

    Raises
    ------
    InputError
        ``key`` is not a registered method; the message lists the valid keys.

    Examples
    --------
    >>> local_method("Gi_Star").title
    'Getis-Ord Gi*'
    """
    name = str(key).strip().lower()
    if name not in LOCAL_METHODS:
        msg = f"`{argument}` must be one of {list(LOCAL_METHODS)}; got {key!r}."
        raise InputError(msg)
    return LOCAL_METHODS[name]


def warm_up(*, n_jobs: int = 1) -> float:
    """Compile esda's numba permutation kernels once, on a tiny lattice; return the seconds.

    The first permutation test in a process compiles the kernels (38-50 s on a 2-core machine);
    the store build calls this once so that no app request pays it.

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
        for method in LOCAL_METHODS.values():
            method.run(values, graph, permutations=9, seed=0, n_jobs=jobs)
    return time.perf_counter() - start
