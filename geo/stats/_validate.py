"""Hot spots and local clusters with honest inference: Gi*, local Moran, FDR, clusters.

The statistics come from esda; this module guards the traps esda leaves open:

* esda is positional. Values are reordered to ``graph.unique_ids`` and the codes are checked on
  both sides before every call, so a shuffled Series gives the same answer.
* ``esda.G_Local`` re-transforms the weights it is given (default ``transform="R"``). Gi* here
  always uses binary weights including the area itself (``transform="B", star=True``).
* One NaN turns every local statistic into NaN silently: ``nan="raise"`` (default) lists the
  codes, ``nan="drop"`` drops them from the values *and* the graph and says so in
  ``attrs["dropped"]``.
* An area with no neighbours tests nothing: it is labelled ``"island (not tested)"`` and left
  out of the multiple-testing family (use :func:`geo.stats.weights.build_contiguity`, which joins
  islands to their nearest neighbours, to avoid islands altogether).
* Thousands of local tests: p-values are adjusted with Benjamini-Hochberg (``fdr=True``) and
  the correction is recorded in ``attrs``.
* esda's permutation p-value is *directed* (the tail the observed value lies in), half a
  two-sided p-value. ``p`` here is two-sided and tie-aware: ``min(1, 2 (min(#sim >= obs, #sim <= obs) + 1) / (R + 1))`` with permutations,
  ``2 * (1 - Phi(|z|))`` without.
* numba compiles esda's permutation kernels on the first call in a process (tens of seconds):
  call :func:`warm_up` once at build time, never on a request path; keep ``n_jobs=1`` (each
  parallel worker process compiles again).

Named clusters of touching spots, robustness to k-nearest weights and national tables live in
:mod:`geo.clusters` (:func:`~geo.stats.clusters.hotspot_clusters`, :func:`~geo.stats.robust.robustness`,
:func:`~geo.stats.national.national_hotspots`); they are importable from this module too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from libpysal.graph import Graph

from geo._errors import DuplicateCodeError, InputError, format_codes
from geo.stats.weights import ensure_canonical

if TYPE_CHECKING:
    pass


ALPHAS = {0.01, 0.05, 0.1}


NAN_POLICIES = ("raise", "drop")


def _member(index: pd.Index, codes) -> np.ndarray:
    """``index.isin(codes)`` through a hash lookup (``Index.isin`` on strings is ~30x slower)."""
    codes = pd.Index(codes).unique()
    if len(codes) == 0:
        return np.zeros(len(index), dtype=bool)
    return codes.get_indexer(index) >= 0


def _check_options(permutations, seed, alpha, fdr, nan, n_jobs) -> None:
    problems = []
    if not isinstance(permutations, int | np.integer) or isinstance(permutations, bool) or (
        permutations < 0
    ):
        problems.append(f"`permutations` must be an integer >= 0 (e.g. 999); got {permutations!r}")
    if not isinstance(seed, int | np.integer) or isinstance(seed, bool) or seed < 0:
        problems.append(f"`seed` must be a non-negative integer (e.g. 42); got {seed!r}")
    if not isinstance(alpha, int | float) or not any(np.isclose(alpha, a) for a in ALPHAS):
        problems.append(f"`alpha` must be one of 0.01, 0.05, 0.10 (a 99/95/90% level); got {alpha!r}")
    if not isinstance(fdr, bool | np.bool_):
        problems.append(f"`fdr` must be True or False; got {fdr!r}")
    if nan not in NAN_POLICIES:
        problems.append(f"`nan` must be one of {NAN_POLICIES}; got {nan!r}")
    if not isinstance(n_jobs, int | np.integer) or n_jobs == 0 or n_jobs < -1:
        problems.append(f"`n_jobs` must be 1, a positive integer or -1; got {n_jobs!r}")
    if problems:
        raise InputError("; ".join(problems) + ".")


def _check_values(values, *, argument: str = "values") -> pd.Series:
    if not isinstance(values, pd.Series):
        msg = (
            f"`{argument}` must be a pandas Series indexed by area code; got "
            f"{type(values).__name__}. Select one column, e.g. frame['imd_score']."
        )
        raise InputError(msg)
    if not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)):
        msg = (
            f"`{argument}` must be numeric; got dtype {values.dtype}. Convert it with "
            "pd.to_numeric(values, errors='coerce') and decide what to do with the NaN."
        )
        raise InputError(msg)
    dup = values.index[values.index.duplicated()].unique()
    if len(dup):
        msg = (
            f"`{argument}` index must hold unique area codes; {len(dup)} codes are repeated: "
            f"{format_codes(dup)}. Aggregate or drop the duplicates first."
        )
        raise DuplicateCodeError(msg)
    return values.astype(float)


def _check_graph(graph, *, argument: str = "graph") -> Graph:
    """Check the type and return a graph whose sparse matrix follows its unique_ids."""
    if not isinstance(graph, Graph):
        msg = (
            f"`{argument}` must be a libpysal.graph.Graph (geo.stats.weights.build_contiguity or "
            f"boundaries.load_graph); got {type(graph).__name__}."
        )
        raise InputError(msg)
    return ensure_canonical(graph)


def _align(values: pd.Series, graph: Graph, *, nan: str, argument: str = "values"):
    """Return (y in graph order, graph used, its ids, dropped codes)."""
    ids = graph.unique_ids
    not_in_graph = values.index.difference(ids, sort=False)
    not_in_values = ids.difference(values.index, sort=False)
    if len(not_in_graph) or len(not_in_values):
        parts = []
        if len(not_in_graph):
            parts.append(f"{len(not_in_graph)} codes of `{argument}` are not in the graph: "
                         f"{format_codes(not_in_graph)}")
        if len(not_in_values):
            parts.append(f"{len(not_in_values)} graph codes have no value in `{argument}`: "
                         f"{format_codes(not_in_values)}")
        msg = (
            f"`{argument}` and `graph` must cover the same areas; " + "; ".join(parts) + ". "
            "Cut the graph to the values with graph.subgraph(codes) or "
            "geo.stats.weights.subgraph_with_ring, or use the graph of the values' level."
        )
        raise InputError(msg)
    y = values.reindex(ids)
    infinite = y.index[np.isinf(y.to_numpy())]
    if len(infinite):
        msg = (
            f"`{argument}` has {len(infinite)} infinite values ({format_codes(infinite)}); "
            "replace them with NaN and use nan='drop', or fix the data."
        )
        raise InputError(msg)
    missing = y.index[y.isna().to_numpy()]
    dropped = pd.Index([], dtype=object, name=values.index.name)
    if len(missing):
        if nan == "raise":
            msg = (
                f"`{argument}` has {len(missing)} missing values ({format_codes(missing)}); a "
                "single NaN makes every local statistic NaN. Fill them, or pass nan='drop' to "
                "drop those areas from the values and the graph."
            )
            raise InputError(msg)
        dropped = pd.Index(missing, name=values.index.name)
        keep = ids[~y.isna().to_numpy()]
        graph = graph.subgraph(keep)
        ids = graph.unique_ids
        y = y.reindex(ids)
    arr = y.to_numpy(dtype=float)
    if len(arr) < 3:
        msg = f"`{argument}` must have at least 3 areas with values to test; got {len(arr)}."
        raise InputError(msg)
    if np.nanstd(arr) == 0:
        msg = (
            f"`{argument}` is constant ({arr[0]!r} everywhere); there is no spatial pattern to "
            "test. Choose another indicator."
        )
        raise InputError(msg)
    return arr, graph, ids, dropped


def _focus_codes(focus, index: pd.Index) -> pd.Index | None:
    """Codes of ``index`` to report (and correct for multiple testing), or None for all."""
    if focus is None:
        return None
    if isinstance(focus, pd.Series) and pd.api.types.is_bool_dtype(focus):
        codes = focus.index[focus.to_numpy(dtype=bool)]
    else:
        codes = pd.Index([focus] if isinstance(focus, str) else list(focus))
    unknown = codes.difference(index)
    if len(unknown) or len(codes) == 0:
        msg = (
            f"`focus` must name codes of `values`; {len(unknown)} are not in it "
            f"({format_codes(unknown)}) out of {len(codes)}. Pass the focus mask returned by "
            "geo.stats.weights.subgraph_with_ring."
        )
        raise InputError(msg)
    return index[_member(index, codes)]
