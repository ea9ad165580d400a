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
  out of the multiple-testing family (use :func:`geo.weights.build_contiguity`, which joins
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
:mod:`geo.clusters` (:func:`~geo.clusters.hotspot_clusters`, :func:`~geo.clusters.robustness`,
:func:`~geo.clusters.national_hotspots`); they are importable from this module too.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from libpysal.graph import Graph
from scipy import stats

from geo._errors import DuplicateCodeError, InputError, format_codes
from geo.weights import ensure_canonical, graph_matrix

if TYPE_CHECKING:
    from geo.clusters import hotspot_clusters, national_hotspots, robustness

__all__ = [
    "local_gi_star",
    "gi_star_analytic",
    "local_moran",
    "fdr_bh",
    "warm_up",
    "hotspot_clusters",
    "robustness",
    "national_hotspots",
    "ISLAND_LABEL",
    "MISSING_LABEL",
    "NOT_SIGNIFICANT",
]

ISLAND_LABEL = "island (not tested)"
MISSING_LABEL = "no data (not tested)"
NOT_SIGNIFICANT = "not significant"
LEVELS = ((0.01, 99), (0.05, 95), (0.10, 90))
ALPHAS = {0.01, 0.05, 0.1}
NAN_POLICIES = ("raise", "drop")
METHODS = ("gi_star", "local_moran")
MORAN_QUADRANTS = {1: "High-High", 2: "Low-High", 3: "Low-Low", 4: "High-Low"}


# --------------------------------------------------------------------------------------------
# validation and alignment


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
            f"`{argument}` must be a libpysal.graph.Graph (geo.weights.build_contiguity or "
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
            "geo.weights.subgraph_with_ring, or use the graph of the values' level."
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
            "geo.weights.subgraph_with_ring."
        )
        raise InputError(msg)
    return index[_member(index, codes)]


def fdr_bh(p):
    """Benjamini-Hochberg adjusted p-values (q-values) controlling the false discovery rate.

    ``q_(i) = min_{j >= i} min(1, m * p_(j) / j)`` over the ``m`` non-missing p-values sorted
    ascending: monotone in ``p`` and capped at 1. Reject at FDR level ``alpha`` where
    ``q <= alpha``. NaN stays NaN and is not counted in ``m``.

    Parameters
    ----------
    p
        p-values in [0, 1]: a Series (index kept), an array or a list.

    Returns
    -------
    pandas.Series or numpy.ndarray
        Same shape (and index for a Series) as ``p``.

    Raises
    ------
    InputError
        Values outside [0, 1].

    Examples
    --------
    >>> fdr_bh([0.01, 0.04, 0.03]).round(3).tolist()
    [0.03, 0.04, 0.04]
    """
    series = p if isinstance(p, pd.Series) else None
    arr = np.asarray(p, dtype=float)
    if arr.ndim != 1:
        msg = f"`p` must be one-dimensional; got shape {arr.shape}."
        raise InputError(msg)
    ok = ~np.isnan(arr)
    if ((arr[ok] < 0) | (arr[ok] > 1)).any():
        bad = arr[ok][(arr[ok] < 0) | (arr[ok] > 1)]
        msg = f"`p` must hold probabilities in [0, 1]; got values such as {bad[:5].tolist()}."
        raise InputError(msg)
    q = np.full(arr.shape, np.nan)
    vals = arr[ok]
    m = len(vals)
    if m:
        order = np.argsort(vals, kind="stable")
        ranked = vals[order] * m / np.arange(1, m + 1)
        adjusted = np.minimum.accumulate(ranked[::-1])[::-1]
        out = np.empty(m)
        out[order] = np.minimum(adjusted, 1.0)
        q[ok] = out
    if series is not None:
        return pd.Series(q, index=series.index, name="q")
    return q


def _labels_gi(z: np.ndarray, sig: np.ndarray, alpha: float) -> np.ndarray:
    labels = np.full(len(z), NOT_SIGNIFICANT, dtype=object)
    for level, conf in sorted(LEVELS, reverse=True):  # 0.10 first, 0.01 last wins
        if level > alpha + 1e-12:
            continue
        hit = sig <= level
        labels[hit & (z > 0)] = f"hot spot {conf}%"
        labels[hit & (z < 0)] = f"cold spot {conf}%"
    return labels


def _finish(
    values: pd.Series,
    ids: pd.Index,
    y: np.ndarray,
    statistic: np.ndarray,
    p: np.ndarray,
    islands: np.ndarray,
    dropped: pd.Index,
    focus: pd.Index | None,
    *,
    label_fn,
    fdr: bool,
    attrs: dict,
) -> pd.DataFrame:
    """Mask islands, correct over the reported family, label, reindex like ``values``."""
    report = np.ones(len(ids), dtype=bool) if focus is None else _member(ids, focus)
    statistic = np.where(islands, np.nan, statistic)
    p = np.where(islands, np.nan, p)
    family = report & ~islands
    q = np.full(len(p), np.nan)
    q[family] = fdr_bh(p[family])
    sig = q if fdr else p
    sig = np.where(np.isnan(sig), np.inf, sig)
    labels = label_fn(sig)
    labels[islands] = ISLAND_LABEL
    frame = pd.DataFrame(
        {"value": y, "statistic": statistic, "p": p, "q": q, "label": labels}, index=ids
    )
    out_index = values.index if focus is None else focus
    out = frame.reindex(out_index)
    gone = _member(out_index, dropped)
    out.loc[gone, "label"] = MISSING_LABEL
    out["label"] = out["label"].astype(object)
    out.index.name = values.index.name
    counts = out["label"].value_counts()
    out.attrs = dict(attrs)
    out.attrs.update(
        correction="fdr_bh" if fdr else "none",
        n_tested=int(family.sum()),
        islands=[str(c) for c in ids[islands & report]],
        dropped=[str(c) for c in dropped[_member(dropped, out_index)]],
        counts={str(k): int(v) for k, v in counts.items()},
    )
    return out


# --------------------------------------------------------------------------------------------
# statistics


def gi_star_analytic(frame: pd.DataFrame | pd.Series, graph: Graph) -> pd.DataFrame:
    """Analytic Getis-Ord Gi* z-scores for many columns at once (binary weights incl. self).

    For area ``i`` with ``k_i`` areas in its neighbourhood (itself included), values ``y`` with
    mean ``m`` and population standard deviation ``s`` over the ``n`` areas::

        z_i = (sum_{j in N(i)} y_j - k_i m) / (s * sqrt(k_i (n - k_i) / (n - 1)))

    This is esda's ``G_Local(y, w, transform="B", star=True).Zs`` computed with one sparse
    product for all columns. It is location-invariant; esda's form divides by the mean and so
    flips the sign when the mean is negative: this function does not. Islands (no neighbours)
    get NaN.

    Parameters
    ----------
    frame
        Numeric columns (or one Series) indexed by area code, the same codes as ``graph``, no NaN.
    graph
        Binary contiguity graph, e.g. from :func:`geo.weights.build_contiguity`.

    Returns
    -------
    pandas.DataFrame
        z-scores, indexed and with columns exactly like ``frame``.

    Raises
    ------
    InputError
        Codes differ from the graph's, NaN or infinite values, a constant column.
    DuplicateCodeError
        Repeated codes.

    Examples
    --------
    >>> g = Graph.from_arrays(list("abbccd"), list("bacbdc"), [1.0] * 6)
    >>> z = gi_star_analytic(pd.Series([1.0, 2.0, 3.0, 4.0], index=list("abcd")), g)
    >>> z.round(3).iloc[:, 0].tolist()
    [-1.549, -1.342, 1.342, 1.549]
    """
    graph = _check_graph(graph)
    if isinstance(frame, pd.Series):
        frame = frame.to_frame()
    if not isinstance(frame, pd.DataFrame):
        msg = f"`frame` must be a DataFrame indexed by area code; got {type(frame).__name__}."
        raise InputError(msg)
    bad_cols = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if bad_cols:
        msg = f"`frame` columns must be numeric; these are not: {bad_cols}."
        raise InputError(msg)
    dup = frame.index[frame.index.duplicated()].unique()
    if len(dup):
        msg = f"`frame` index must be unique; repeated codes: {format_codes(dup)}."
        raise DuplicateCodeError(msg)
    ids = graph.unique_ids
    if len(frame.index) != len(ids) or (ids.get_indexer(frame.index) < 0).any():
        only_frame = frame.index.difference(ids)
        only_graph = ids.difference(frame.index)
        msg = (
            "`frame` and `graph` must cover the same areas; "
            f"{len(only_frame)} codes only in frame ({format_codes(only_frame)}), "
            f"{len(only_graph)} only in graph ({format_codes(only_graph)}). "
            "Cut the graph with graph.subgraph(frame.index)."
        )
        raise InputError(msg)
    values = frame.reindex(ids).to_numpy(dtype=float)
    if not np.isfinite(values).all():
        rows = ids[~np.isfinite(values).all(axis=1)]
        msg = (
            f"`frame` has NaN or infinite values in {len(rows)} areas ({format_codes(rows)}); "
            "fill or drop them (and cut the graph to match) first."
        )
        raise InputError(msg)
    n = values.shape[0]
    mean = values.mean(axis=0)
    std = values.std(axis=0)
    if (std == 0).any():
        const = [c for c, s in zip(frame.columns, std, strict=True) if s == 0]
        msg = f"`frame` columns {const} are constant; Gi* is undefined for them."
        raise InputError(msg)
    adj = graph_matrix(graph)
    k_other = np.asarray(adj.sum(axis=1)).ravel()
    k = k_other + 1.0
    local_sum = adj @ values + values
    scale = np.sqrt(k * (n - k) / (n - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (local_sum - k[:, None] * mean) / (scale[:, None] * std)
    z[k_other == 0] = np.nan
    out = pd.DataFrame(z, index=ids, columns=frame.columns).reindex(frame.index)
    return out


def _two_sided_from_directed(p_sim: np.ndarray, permutations: int) -> np.ndarray:
    """Two-sided p from esda's directed pseudo p ``(M + 1) / (R + 1)`` (float32 in esda).

    Kept for reference only: esda's lower tail counts ``sim < obs``, so ties (common for counts
    such as the number of deprived domains) make it anti-conservative. See
    :func:`_permutation_p`.
    """
    extreme = np.rint(np.asarray(p_sim, dtype=float) * (permutations + 1))
    return np.minimum(1.0, 2.0 * extreme / (permutations + 1))


#: Permutations per esda call: the simulations of one call are kept in memory (n x chunk).
PERMUTATION_CHUNK = 999


def _tie_counts(observed: np.ndarray, sims: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per area, how many simulated statistics are >= and <= the observed one (ties count in both)."""
    obs = np.asarray(observed, dtype=float)[:, None]
    sims = np.asarray(sims, dtype=float)
    tol = 1e-9 * np.maximum(1.0, np.abs(obs))
    ge = (sims >= obs - tol).sum(axis=1)
    le = (sims <= obs + tol).sum(axis=1)
    return ge, le


def _permutation_p(run, *, stat_attr: str, sims_attr: str, permutations: int,
                   seed: int) -> tuple[np.ndarray, Any]:
    """Tie-aware two-sided conditional-permutation p-values, in chunks of esda calls.

    ``p = min(1, 2 * (min(#sim >= obs, #sim <= obs) + 1) / (R + 1))``. Simulated values equal to
    the observed one count in both tails (esda's own ``p_sim`` leaves them out of the lower
    tail, which made zero-count areas surrounded by zeros look "significant" cold spots).
    Permutations run in chunks of :data:`PERMUTATION_CHUNK`; chunk ``i`` uses ``seed + i``, so a
    run is reproducible and a run of up to 999 permutations uses exactly ``seed``.

    Parameters
    ----------
    run
        ``run(permutations, seed)`` returning an esda result with ``keep_simulations=True``.
    """
    ge = le = None
    done, i, first = 0, 0, None
    while done < permutations:
        r = min(PERMUTATION_CHUNK, permutations - done)
        res = run(r, seed + i)
        g, lo = _tie_counts(getattr(res, stat_attr), getattr(res, sims_attr))
        ge = g if ge is None else ge + g
        le = lo if le is None else le + lo
        first = res if first is None else first
        done += r
        i += 1
    p = np.minimum(1.0, 2.0 * (np.minimum(ge, le) + 1.0) / (permutations + 1.0))
    return p, first


def local_gi_star(
    values: pd.Series,
    graph: Graph,
    *,
    permutations: int = 999,
    seed: int = 42,
    alpha: float = 0.05,
    fdr: bool = True,
    n_jobs: int = 1,
    nan: str = "raise",
    focus: Iterable | pd.Series | None = None,
) -> pd.DataFrame:
    """Getis-Ord Gi* hot and cold spots with binary weights including each area itself.

    Calls ``esda.G_Local(y, graph, transform="B", star=True, ...)`` on values reordered to
    the graph's ids. ``statistic`` is the analytic z of Gi* (see :func:`gi_star_analytic`;
    equal to esda's ``Zs`` for a positive mean). ``p`` is two-sided: from conditional
    permutations (``min(1, 2 * p_sim)``, esda's pseudo p being directed) when
    ``permutations > 0``, else from the normal approximation. ``q`` is the Benjamini-Hochberg
    adjustment over the reported, tested areas.

    An area is significant when ``q <= alpha`` (``p <= alpha`` with ``fdr=False``); its label
    gives the highest confidence level it reaches among 99, 95 and 90% (never beyond
    ``1 - alpha``): ``"hot spot 95%"`` for ``z > 0`` and ``q <= 0.05``, ``"cold spot 99%"``...
    Islands are labelled ``"island (not tested)"``, dropped areas ``"no data (not tested)"``.

    Parameters
    ----------
    values
        Indicator indexed by area code, the same codes as ``graph`` (any order).
    graph
        Weights graph (binary contiguity with islands joined is the intended input).
    permutations
        Conditional permutations for the pseudo p-values; 0 for the analytic normal p.
    seed
        Seed of the permutations: same seed, same output.
    alpha
        Significance level, one of 0.01, 0.05, 0.10.
    fdr
        Judge significance by Benjamini-Hochberg ``q`` (True) or raw ``p`` (False).
    n_jobs
        esda worker processes; keep 1 (each extra process compiles numba kernels again).
    nan
        ``"raise"`` (list the codes with missing values) or ``"drop"`` (drop them from the
        values and the graph; they come back with label ``"no data (not tested)"``).
    focus
        Codes (or the boolean mask from :func:`geo.weights.subgraph_with_ring`) to report;
        the other areas act as neighbours only and are left out of the FDR family.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``values`` (or like ``focus``), columns ``value``, ``statistic``, ``p``,
        ``q``, ``label``; ``attrs`` records ``method``, ``weights``, ``permutations``,
        ``seed``, ``alpha``, ``correction``, ``p_value``, ``n_tested``, ``islands``,
        ``dropped``, ``counts``.

    Raises
    ------
    InputError
        Codes that differ between values and graph, NaN (with ``nan="raise"``), infinite or
        constant values, bad options.
    DuplicateCodeError
        Repeated codes in ``values``.

    Examples
    --------
    >>> res = local_gi_star(values, graph, permutations=0)  # doctest: +SKIP
    >>> res["label"].value_counts()  # doctest: +SKIP
    """
    import esda

    _check_options(permutations, seed, alpha, fdr, nan, n_jobs)
    values = _check_values(values)
    graph = _check_graph(graph)
    y, used, ids, dropped = _align(values, graph, nan=nan)
    focus = _focus_codes(focus, values.index)
    islands = _member(ids, used.isolates)
    z = gi_star_analytic(pd.Series(y, index=ids), used).iloc[:, 0].to_numpy()
    shift = 0.0
    if permutations > 0:
        y_esda = y
        if y.mean() <= 0:  # esda divides by the sum; the permutation test is shift-invariant
            shift = float(1.0 - y.min())
            y_esda = y + shift
        def run(r: int, s: int):  # noqa: ANN202 - esda result
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                return esda.G_Local(
                    y_esda, used, transform="B", star=True, permutations=r,
                    seed=s, n_jobs=int(n_jobs), keep_simulations=True,
                )

        p, _ = _permutation_p(run, stat_attr="Gs", sims_attr="rGs",
                              permutations=int(permutations), seed=int(seed))
        p_desc = "two-sided, conditional permutation, ties counted in both tails"
    else:
        p = 2.0 * stats.norm.sf(np.abs(z))
        p_desc = "two-sided, normal approximation"
    attrs = {
        "method": "gi_star",
        "weights": "binary contiguity including self (esda transform='B', star=True)",
        "permutations": int(permutations),
        "seed": int(seed),
        "alpha": float(alpha),
        "p_value": p_desc,
        "shift": shift,
    }
    return _finish(
        values, ids, y, z, p, islands, dropped, focus,
        label_fn=lambda sig: _labels_gi(z, sig, alpha), fdr=fdr, attrs=attrs,
    )


def local_moran(
    values: pd.Series,
    graph: Graph,
    *,
    permutations: int = 999,
    seed: int = 42,
    alpha: float = 0.05,
    fdr: bool = True,
    n_jobs: int = 1,
    nan: str = "raise",
    focus: Iterable | pd.Series | None = None,
) -> pd.DataFrame:
    """Local Moran's I (LISA) with row-standardised weights: High-High, Low-Low and outliers.

    Calls ``esda.Moran_Local(y, graph, transformation="r", ...)`` on values reordered to the
    graph's ids. ``statistic`` is the local I; ``p`` is two-sided, from conditional
    permutations (``min(1, 2 * p_sim)``) or, with ``permutations=0``, from the normal
    approximation under total randomisation (esda's ``EI``/``VI``, Sokal et al. 1998).
    Significant areas (``q <= alpha``, or ``p`` with ``fdr=False``) get their quadrant
    (``"High-High"``, ``"Low-Low"``, ``"High-Low"``, ``"Low-High"``), others
    ``"not significant"``; islands ``"island (not tested)"``.

    Parameters
    ----------
    values, graph, permutations, seed, alpha, fdr, n_jobs, nan, focus
        As in :func:`local_gi_star`.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``values`` (or ``focus``), columns ``value``, ``statistic``, ``p``, ``q``,
        ``label`` and ``attrs`` as in :func:`local_gi_star`.

    Raises
    ------
    InputError, DuplicateCodeError
        As in :func:`local_gi_star`.

    Examples
    --------
    >>> res = local_moran(values, graph, permutations=99, seed=1)  # doctest: +SKIP
    """
    import esda

    _check_options(permutations, seed, alpha, fdr, nan, n_jobs)
    values = _check_values(values)
    graph = _check_graph(graph)
    y, used, ids, dropped = _align(values, graph, nan=nan)
    focus = _focus_codes(focus, values.index)
    islands = _member(ids, used.isolates)
    def run(r: int, s: int):  # noqa: ANN202 - esda result
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return esda.Moran_Local(
                y, used, transformation="r", permutations=r, seed=s,
                n_jobs=int(n_jobs), keep_simulations=r > 0,
            )

    if permutations > 0:
        p, res = _permutation_p(run, stat_attr="Is", sims_attr="rlisas",
                                permutations=int(permutations), seed=int(seed))
    else:
        res = run(0, int(seed))
    stat = np.asarray(res.Is, dtype=float)
    if permutations > 0:
        p_desc = "two-sided, conditional permutation, ties counted in both tails"
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            zn = (stat - res.EI) / np.sqrt(res.VI)
        p = np.where(np.isfinite(zn), 2.0 * stats.norm.sf(np.abs(zn)), 1.0)
        p_desc = "two-sided, normal approximation under total randomisation"
    quads = np.asarray(res.q)

    def label_fn(sig):
        labels = np.full(len(stat), NOT_SIGNIFICANT, dtype=object)
        hit = sig <= alpha + 1e-12
        for code, name in MORAN_QUADRANTS.items():
            labels[hit & (quads == code)] = name
        return labels

    attrs = {
        "method": "local_moran",
        "weights": "row-standardised contiguity (esda transformation='r')",
        "permutations": int(permutations),
        "seed": int(seed),
        "alpha": float(alpha),
        "p_value": p_desc,
    }
    return _finish(
        values, ids, y, stat, p, islands, dropped, focus,
        label_fn=label_fn, fdr=fdr, attrs=attrs,
    )


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


# --------------------------------------------------------------------------------------------
# robustness, clusters, national tables: defined in geo.clusters (which builds on this module),
# importable from here too. Loaded on first use, so that either module can be imported first.

_CLUSTER_NAMES = ("hotspot_clusters", "robustness", "national_hotspots")


def __getattr__(name: str) -> Any:
    if name in _CLUSTER_NAMES:
        from geo import clusters

        return getattr(clusters, name)
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)
