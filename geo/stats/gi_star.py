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

import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from libpysal.graph import Graph
from scipy import stats

from geo._errors import DuplicateCodeError, InputError, format_codes
from geo.stats.weights import graph_matrix

if TYPE_CHECKING:
    pass
from geo.stats._results import LEVELS, NOT_SIGNIFICANT, _finish
from geo.stats._validate import (
    _align,
    _check_graph,
    _check_options,
    _check_values,
    _focus_codes,
    _member,
)
from geo.stats.permutation import _permutation_p

__all__ = ['local_gi_star', 'gi_star_analytic']


def _labels_gi(z: np.ndarray, sig: np.ndarray, alpha: float) -> np.ndarray:
    labels = np.full(len(z), NOT_SIGNIFICANT, dtype=object)
    for level, conf in sorted(LEVELS, reverse=True):  # 0.10 first, 0.01 last wins
        if level > alpha + 1e-12:
            continue
        hit = sig <= level
        labels[hit & (z > 0)] = f"hot spot {conf}%"
        labels[hit & (z < 0)] = f"cold spot {conf}%"
    return labels


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
        Binary contiguity graph, e.g. from :func:`geo.stats.weights.build_contiguity`.

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
        Codes (or the boolean mask from :func:`geo.stats.weights.subgraph_with_ring`) to report;
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
