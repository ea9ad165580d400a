"""Local statistics for many indicators and methods at once, in one long table (the store's).

:func:`national_hotspots` runs every method of :data:`geo.stats.local.LOCAL_METHODS` asked for on
every column of a frame, each with its own polarity, on one graph (e.g. England's LSOAs), and
stacks the results: one row per method, indicator and area. It knows nothing of nations or
files, so the build calls it for each nation's values and graph alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
from libpysal.graph import Graph

from geo._errors import InputError
from geo.stats._validate import _polarity_sign
from geo.stats.global_stats import global_autocorrelation
from geo.stats.local import local_method
from geo.stats.robust import robustness
from geo.stats.runs import hotspot_run_id

__all__ = ["national_hotspots"]

#: Settings shared by every run of a table, kept in its ``attrs``.
SHARED_ATTRS = ("permutations", "seed", "alpha", "correction", "p_value")


def national_hotspots(
    frame: pd.DataFrame,
    graph: Graph,
    *,
    polarity: Mapping[str, str] | str = "higher_worse",
    columns: Sequence[str] | None = None,
    methods: Sequence[str] = ("gi_star",),
    permutations: int = 999,
    seed: int = 42,
    alpha: float = 0.05,
    fdr: bool = True,
    nan: str = "raise",
    knn: Graph | None = None,
) -> pd.DataFrame:
    """Local statistics for several indicators and methods in one long table.

    Parameters
    ----------
    frame
        Indicators indexed by area code (the same codes as ``graph``).
    graph
        Contiguity graph with islands joined.
    polarity
        ``"higher_worse"`` / ``"higher_better"`` for every column, or a mapping column ->
        polarity naming every analysed column.
    columns
        Columns of ``frame`` to analyse; default all numeric columns.
    methods
        Keys of :data:`geo.stats.local.LOCAL_METHODS`.
    permutations, seed, alpha, fdr, nan
        As in :func:`geo.stats.gi_star.local_gi_star` (one seed for every run).
    knn
        Optional k-nearest-neighbour graph: adds a ``robust`` column
        (:func:`geo.stats.robust.robustness`), doubling the run time.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``frame`` (codes repeated per run), columns ``method``, ``indicator`` and
        those of the method's result (``value``, ``statistic``, ``p``, ``q``, ``label``...);
        ``attrs`` holds the shared settings and, under ``runs``, each run's ``polarity``,
        ``counts``, ``outcomes``, ``islands``, ``dropped``, ``n_tested`` and ``global``
        (:func:`geo.stats.global_stats.global_autocorrelation` of its indicator) by run id
        (:func:`geo.stats.runs.hotspot_run_id`).

    Raises
    ------
    InputError
        Unknown methods or columns, a polarity missing for a column, and everything the
        methods raise.

    Examples
    --------
    >>> table = national_hotspots(iod, graph, columns=["imd_score"])  # doctest: +SKIP
    """
    columns, polarities = _columns_and_polarity(frame, columns, polarity)
    runners = {key: local_method(key, argument="methods") for key in methods}
    parts, runs, attrs = [], {}, {}
    overall = {col: _global(frame[col], graph, permutations=permutations, seed=seed)
               for col in columns}
    for key, method in runners.items():
        for col in columns:
            res = method.run(frame[col], graph, polarity=polarities[col],
                             permutations=permutations, seed=seed, alpha=alpha, fdr=fdr, nan=nan)
            if knn is not None:
                res["robust"] = robustness(frame[col], res, knn_graph=knn)
            attrs = res.attrs
            runs[hotspot_run_id(key, col)] = {
                k: attrs[k] for k in ("polarity", "weights", "counts", "outcomes", "islands",
                                      "dropped", "n_tested", "z_against_tail") if k in attrs
            } | {"global": overall[col]}
            part = res.copy()
            part.insert(0, "indicator", col)
            part.insert(0, "method", key)
            parts.append(part)
    out = pd.concat(parts)
    out.index.name = frame.index.name
    out.attrs = {k: attrs[k] for k in SHARED_ATTRS} | {"runs": runs}
    return out


def _global(values: pd.Series, graph: Graph, *, permutations: int, seed: int) -> dict:
    """Global Moran's I and General G of the areas with a value (the graph cut to them)."""
    present = values.dropna()
    if len(present) < len(values):
        graph = graph.subgraph(present.index)
    return global_autocorrelation(present, graph, permutations=permutations, seed=seed)


def _columns_and_polarity(frame: pd.DataFrame, columns: Sequence[str] | None,
                          polarity: Mapping[str, str] | str) -> tuple[list[str], dict[str, str]]:
    """The analysed columns and the polarity of each (checked)."""
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
    given = {c: polarity for c in columns} if isinstance(polarity, str) else dict(polarity)
    unnamed = [c for c in columns if c not in given]
    if unnamed:
        msg = (f"`polarity` names no polarity for columns {unnamed}; give 'higher_worse' or "
               "'higher_better' for each (the catalogue's polarity).")
        raise InputError(msg)
    for col in columns:
        _polarity_sign(given[col], argument=f"polarity[{col!r}]")
    return columns, {c: given[c] for c in columns}
