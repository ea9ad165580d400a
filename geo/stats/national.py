"""Hot-spot clusters, robustness to the choice of weights, and national hot-spot tables.

Built on :mod:`geo.hotspots` (Gi* and local Moran with FDR control):

* :func:`hotspot_clusters`: touching significant hot (or cold) spots joined into named clusters,
  with population, councils, wards and the deprivation domains most often in the worst decile.
* :func:`robustness`: does each spot survive a change of weights to k-nearest neighbours?
* :func:`national_hotspots`: hot spots for several indicators in one tidy table (for the store).

All three are also importable from :mod:`geo.hotspots`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from libpysal.graph import Graph

from geo._errors import InputError
from geo.stats._results import METHODS
from geo.stats.gi_star import local_gi_star
from geo.stats.moran import local_moran
from geo.stats.robust import robustness

__all__ = ['national_hotspots']


def national_hotspots(
    frame: pd.DataFrame,
    graph: Graph,
    *,
    columns: Sequence[str] | None = None,
    method: str = "gi_star",
    permutations: int = 999,
    seed: int = 42,
    alpha: float = 0.05,
    fdr: bool = True,
    nan: str = "raise",
    knn: Graph | None = None,
    n_jobs: int = 1,
) -> pd.DataFrame:
    """Hot spots for several indicators in one tidy table (for the store).

    Parameters
    ----------
    frame
        Indicators indexed by area code (the same codes as ``graph``).
    graph
        Contiguity graph with islands joined.
    columns
        Columns of ``frame`` to analyse; default all numeric columns.
    method
        ``"gi_star"`` or ``"local_moran"``.
    permutations, seed, alpha, fdr, nan, n_jobs
        As in :func:`local_gi_star` (one seed for every column).
    knn
        Optional k-nearest-neighbour graph; when given, a ``robust`` column is added
        (:func:`robustness`), doubling the run time.

    Returns
    -------
    pandas.DataFrame
        Long table with a MultiIndex (``indicator``, the frame's index name) and columns
        ``value``, ``statistic``, ``p``, ``q``, ``label`` (and ``robust``); ``attrs`` holds
        the shared settings and, per indicator, ``counts``, ``islands`` and ``dropped``.

    Raises
    ------
    InputError
        Unknown method or columns, and everything :func:`local_gi_star` raises.

    Examples
    --------
    >>> table = national_hotspots(iod, graph, columns=["imd_score"])  # doctest: +SKIP
    """
    if method not in METHODS:
        msg = f"`method` must be one of {METHODS}; got {method!r}."
        raise InputError(msg)
    if not isinstance(frame, pd.DataFrame):
        msg = f"`frame` must be a DataFrame indexed by area code; got {type(frame).__name__}."
        raise InputError(msg)
    if columns is None:
        columns = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    columns = list(columns)
    absent = [c for c in columns if c not in frame.columns]
    if absent or not columns:
        msg = f"`columns` {absent or columns} not usable; available: {list(frame.columns)}."
        raise InputError(msg)
    run = local_gi_star if method == "gi_star" else local_moran
    parts, per = [], {}
    name = frame.index.name or "code"
    for col in columns:
        res = run(frame[col], graph, permutations=permutations, seed=seed, alpha=alpha,
                  fdr=fdr, nan=nan, n_jobs=n_jobs)
        if knn is not None:
            res["robust"] = robustness(frame[col], res, knn_graph=knn)
        per[col] = {k: res.attrs[k] for k in ("counts", "islands", "dropped", "n_tested")}
        attrs = res.attrs
        res = res.copy()
        res.index = pd.MultiIndex.from_arrays(
            [np.full(len(res), col, dtype=object), res.index], names=["indicator", name]
        )
        parts.append(res)
    out = pd.concat(parts)
    out.attrs = {k: attrs[k] for k in ("method", "weights", "permutations", "seed", "alpha",
                                       "correction", "p_value")}
    out.attrs["indicators"] = per
    return out
