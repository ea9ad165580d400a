"""Checks at the entry of every local statistic: options, values, graph, focus and polarity.

esda leaves traps open that these checks close before any number is computed:

* esda is positional: :func:`_align` reorders the values to ``graph.unique_ids`` after checking
  that both sides hold the same codes, so a shuffled Series gives the same answer.
* one NaN turns every local statistic into NaN silently: ``nan="raise"`` lists the codes,
  ``nan="drop"`` drops them from the values *and* the graph (reported in ``attrs["dropped"]``).
* a graph read back from Parquet may order its sparse matrix by sorted code, not by its ids
  (:func:`geo.stats.weights.ensure_canonical`).

Every problem is reported with the argument's name, what was expected, what arrived and the fix.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from libpysal.graph import Graph

from geo._errors import DuplicateCodeError, InputError, format_codes
from geo.stats.permutation import MAX_LOCAL_PERMUTATIONS
from geo.stats.weights import ensure_canonical

#: Significance levels a local statistic accepts (its labels say 99, 95 or 90%).
ALPHAS = (0.01, 0.05, 0.1)

#: What a local statistic does with missing values.
NAN_POLICIES = ("raise", "drop")

#: Polarity names to the sign of "worse" (+1: a higher value is worse).
POLARITIES = {"higher_worse": 1, "higher_better": -1}


def _polarity_sign(polarity: str, *, argument: str = "polarity") -> int:
    """+1 for ``higher_worse``, -1 for ``higher_better`` (spelling and case forgiven)."""
    key = str(polarity).strip().lower().replace("-", "_").replace(" ", "_")
    if key not in POLARITIES:
        msg = (f"`{argument}` must be one of {sorted(POLARITIES)} (from the indicator's "
               f"catalogue entry); got {polarity!r}")
        raise InputError(msg)
    return POLARITIES[key]


def _member(index: pd.Index, codes) -> np.ndarray:
    """``index.isin(codes)`` through a hash lookup (``Index.isin`` on strings is ~30x slower)."""
    codes = pd.Index(codes).unique()
    if len(codes) == 0:
        return np.zeros(len(index), dtype=bool)
    return codes.get_indexer(index) >= 0


def _check_options(permutations, seed, alpha, fdr, nan) -> None:
    """Report every bad option of a local statistic in one message."""
    problems = []
    if not isinstance(permutations, int | np.integer) or isinstance(permutations, bool) or (
        permutations < 0
    ):
        problems.append(f"`permutations` must be an integer >= 0 (e.g. 999); got {permutations!r}")
    elif permutations > MAX_LOCAL_PERMUTATIONS:
        problems.append(f"`permutations` must be at most {MAX_LOCAL_PERMUTATIONS:,} (e.g. 9999); "
                        f"got {permutations:,}")
    if not isinstance(seed, int | np.integer) or isinstance(seed, bool) or seed < 0:
        problems.append(f"`seed` must be a non-negative integer (e.g. 42); got {seed!r}")
    if not isinstance(alpha, int | float) or not any(np.isclose(alpha, a) for a in ALPHAS):
        problems.append(f"`alpha` must be one of 0.01, 0.05, 0.10 (a 99/95/90% level); got {alpha!r}")
    if not isinstance(fdr, bool | np.bool_):
        problems.append(f"`fdr` must be True or False; got {fdr!r}")
    if nan not in NAN_POLICIES:
        problems.append(f"`nan` must be one of {NAN_POLICIES}; got {nan!r}")
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
