"""Getis-Ord Gi*: hot and cold spots, with binary contiguity weights including each area itself.

Gi* compares the sum of an area's neighbourhood (itself and its neighbours) with what the map
would give by chance. :func:`gi_star_analytic` computes the z-scores of many columns in one
sparse product (equal to esda's ``G_Local(y, w, transform="B", star=True).Zs``);
:func:`local_gi_star` adds two-sided conditional-permutation p-values
(:mod:`geo.stats.permutation`), Benjamini-Hochberg q-values, labels about values (``"hot spot
95%"`` = high values) and, by the indicator's polarity, outcomes and bins
(:mod:`geo.stats.outcome`).

The direction of a spot is the tail that gave its p-value. The permutation test holds the area's
own value fixed and asks whether its *neighbours* are unusually high or low; the analytic z also
counts the area itself, so an extreme area ringed by low values can have z > 0 while its test
found its neighbours significantly low. Such an area is labelled by its test (a cold spot) and
flagged in ``z_against_tail``.

esda's ``G_Local`` re-transforms the weights it is given (default ``transform="R"``); on England's
LSOAs that shrinks z to -1.3..4.1 against -4.7..10.9 with binary weights. This module uses binary
weights throughout.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from libpysal.graph import Graph
from scipy import stats

from geo._errors import DuplicateCodeError, InputError, format_codes
from geo.stats._validate import (
    _align,
    _check_graph,
    _check_options,
    _check_values,
    _focus_codes,
    _member,
    _polarity_sign,
)
from geo.stats.outcome import finish
from geo.stats.permutation import neighbour_sum_counts, two_sided_p
from geo.stats.weights import graph_matrix

__all__ = ["gi_star_analytic", "local_gi_star", "pattern", "words"]

#: How ``p`` was computed, with and without permutations.
P_VALUE = {True: "two-sided, conditional permutation (area kept, neighbours drawn without "
                 "replacement from the other areas), ties counted in both tails",
           False: "two-sided, normal approximation"}


def words(high: np.ndarray, cluster: np.ndarray, confidence: np.ndarray) -> np.ndarray:  # noqa: ARG001 - Gi* has no outliers
    """Gi*'s labels about values: ``"hot spot 95%"`` (high values), ``"cold spot 99%"``."""
    kind = np.where(high, "hot spot ", "cold spot ")
    return np.char.add(np.char.add(kind, confidence.astype(str)), "%").astype(object)


def pattern(result: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per area of a Gi* result: is its neighbourhood high (the tail of its test), and is it a
    cluster (always, for Gi*)."""
    against = result["z_against_tail"].fillna(False).to_numpy(dtype=bool)
    high = (result["statistic"].to_numpy(dtype=float) > 0) != against
    return high, np.ones(len(result), dtype=bool)


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
    frame, values = _frame_on_graph(frame, graph)
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
    return pd.DataFrame(z, index=graph.unique_ids, columns=frame.columns).reindex(frame.index)


def _frame_on_graph(frame: pd.DataFrame | pd.Series, graph: Graph
                    ) -> tuple[pd.DataFrame, np.ndarray]:
    """The frame (a Series becomes one column) and its values in graph order, all checked."""
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
    return frame, values


def local_gi_star(
    values: pd.Series,
    graph: Graph,
    *,
    polarity: str = "higher_worse",
    permutations: int = 999,
    seed: int = 42,
    alpha: float = 0.05,
    fdr: bool = True,
    nan: str = "raise",
    focus: Iterable | pd.Series | None = None,
) -> pd.DataFrame:
    """Getis-Ord Gi* hot and cold spots with binary weights including each area itself.

    ``statistic`` is the analytic z (:func:`gi_star_analytic`, esda's ``Zs``); ``p`` is two-sided,
    from conditional permutations (:mod:`geo.stats.permutation`) or, with ``permutations=0``,
    the normal approximation; ``q`` is Benjamini-Hochberg over the reported, tested areas. A
    significant area is labelled with the highest confidence it reaches (99, 95, 90%, never
    beyond ``1 - alpha``) and the direction of its test: ``"hot spot 95%"`` (high values),
    ``"cold spot 99%"``; ``outcome`` and ``bin`` say whether that is worse or better.

    Parameters
    ----------
    values
        Indicator indexed by area code, the same codes as ``graph`` (any order).
    graph
        Binary weights graph (contiguity with islands joined is the intended input).
    polarity
        ``"higher_worse"`` or ``"higher_better"`` (the catalogue's). The test is symmetric: on
        the oriented values it gives the same p and z up to sign, so polarity decides only
        which spots are worse; ``value`` keeps the indicator's own units.
    permutations, seed
        Conditional permutations (0: normal approximation) and their seed (same seed, same output).
    alpha, fdr
        Significance level (0.01, 0.05 or 0.10); judge by BH ``q`` (True) or raw ``p`` (False).
    nan
        ``"raise"`` (list codes with missing values) or ``"drop"`` (leave them out of the graph).
    focus
        Codes (or the mask of :func:`geo.stats.weights.subgraph_with_ring`) to report; the other
        areas act as neighbours only and are left out of the FDR family.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``values`` (or ``focus``): ``value``, ``statistic``, ``p``, ``q``,
        ``label``, ``outcome``, ``bin`` and ``z_against_tail``; ``attrs`` records the method,
        its parameters, ``counts`` of labels, ``outcomes`` and ``z_against_tail`` (how many
        significant spots have a z of the other sign).

    Raises
    ------
    InputError, DuplicateCodeError
        Codes that differ from the graph's or repeat, NaN (``nan="raise"``), infinite or constant
        values, bad options.
    """
    sign = _polarity_sign(polarity)
    _check_options(permutations, seed, alpha, fdr, nan)
    values = _check_values(values)
    y, used, ids, dropped = _align(values, _check_graph(graph), nan=nan)
    focus = _focus_codes(focus, values.index)
    z = gi_star_analytic(pd.Series(y, index=ids), used).iloc[:, 0].to_numpy()
    if permutations > 0:
        ge, le = neighbour_sum_counts(y, graph_matrix(used), permutations=int(permutations),
                                      seed=int(seed))
        p, high = two_sided_p(ge, le, int(permutations)), np.where(ge == le, z > 0, ge < le)
    else:
        p, high = 2.0 * stats.norm.sf(np.abs(z)), z > 0
    against = (z > 0) != high
    attrs = {"method": "gi_star", "polarity": "higher_worse" if sign > 0 else "higher_better",
             "weights": "binary contiguity including self (esda G_Local transform='B', star)",
             "permutations": int(permutations), "seed": int(seed), "alpha": float(alpha),
             "p_value": P_VALUE[permutations > 0]}
    out = finish(values, ids, y, z, p, high, np.ones(len(ids), dtype=bool),
                 islands=_member(ids, used.isolates), dropped=dropped, focus=focus, words=words,
                 alpha=alpha, fdr=fdr, sign=sign, attrs=attrs,
                 extra={"z_against_tail": against})
    out["z_against_tail"] = out["z_against_tail"].where(out["bin"].notna()).astype("boolean")
    significant = out["bin"].fillna(0).to_numpy() != 0
    out.attrs["z_against_tail"] = int(out["z_against_tail"].fillna(False)[significant].sum())
    return out
