"""Local Moran's I (LISA): clusters of like values and outliers, with row-standardised weights.

Local Moran's I of an area is its standardised value times the mean of its neighbours'
(``I_i = (n - 1) z_i lag_i / sum z^2``, as esda's ``Moran_Local``); its quadrant says whether the
area resembles its neighbours (a cluster: ``High-High``, ``Low-Low``) or stands out (an outlier:
``High-Low`` is a high value among low ones, ``Low-High``). Labels keep these words about
*values* whatever the polarity; ``outcome`` says which is worse (:mod:`geo.stats.outcome`).

I is unchanged when every value changes sign, and so is its conditional-permutation p: running
on values oriented by polarity gives the same numbers, so polarity decides only which quadrant is
worse. The p-value comes from :mod:`geo.stats.permutation` (I is monotone in the sum of the
drawn neighbours once the area's own value is fixed) or, with ``permutations=0``, from the normal
approximation under total randomisation (Sokal et al. 1998, esda's ``EI`` / ``VI``).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from libpysal.graph import Graph
from scipy import stats

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

__all__ = ["MORAN_QUADRANTS", "local_moran", "moran_statistic", "pattern", "words"]

#: esda's quadrant codes and their names (about values: High-High = high among high).
MORAN_QUADRANTS = {1: "High-High", 2: "Low-High", 3: "Low-Low", 4: "High-Low"}

#: How ``p`` was computed, with and without permutations.
P_VALUE = {True: "two-sided, conditional permutation (area kept, neighbours drawn without "
                 "replacement from the other areas), ties counted in both tails",
           False: "two-sided, normal approximation under total randomisation"}


def words(high: np.ndarray, cluster: np.ndarray, confidence: np.ndarray) -> np.ndarray:  # noqa: ARG001 - LISA labels name the quadrant only
    """The quadrant of each significant area."""
    return np.where(high, np.where(cluster, "High-High", "High-Low"),
                    np.where(cluster, "Low-Low", "Low-High")).astype(object)


def pattern(result: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per area of a LISA result: is its own value high, and is it a cluster (its quadrant)."""
    quadrant = result["quadrant"].astype(object)
    high = quadrant.isin(["High-High", "High-Low"]).to_numpy()
    cluster = quadrant.isin(["High-High", "Low-Low"]).to_numpy()
    return high, cluster


def moran_statistic(y: np.ndarray, adjacency) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # noqa: ANN001 - scipy sparse
    """Local I, the standardised values and their spatial lag (row-standardised binary weights).

    Areas without neighbours get a lag of 0 (and so I = 0).
    """
    z = y - y.mean()
    z = z / y.std()
    k = np.asarray(adjacency.sum(axis=1)).ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        lag = np.where(k > 0, (adjacency @ z) / k, 0.0)
    return (len(y) - 1) * z * lag / (z @ z), z, lag


def _normal_p(stat: np.ndarray, z: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Two-sided p under total randomisation (Sokal et al. 1998, eqs. A3-A4*; esda's EI, VI)."""
    n = len(z)
    m2 = (z * z).sum() / n
    b2 = ((z ** 4).sum() / n) / m2 ** 2
    wi = (k > 0).astype(float)  # row-standardised: each row sums to 1
    with np.errstate(divide="ignore", invalid="ignore"):
        wi2 = np.where(k > 0, 1.0 / k, 0.0)
        ei = -wi / (n - 1)
        vi = (wi2 * (n - b2) / (n - 1) + (wi ** 2 - wi2) * (2 * b2 - n) / ((n - 1) * (n - 2))
              - ei ** 2)
        zn = (stat - ei) / np.sqrt(vi)
    return np.where(np.isfinite(zn), 2.0 * stats.norm.sf(np.abs(zn)), 1.0)


def local_moran(
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
    """Local Moran's I (LISA) with row-standardised weights: High-High, Low-Low and outliers.

    ``statistic`` is the local I (esda's ``Moran_Local(y, w, transformation="r").Is``); ``p`` is
    two-sided (see the module). Significant areas get their quadrant as ``label``, others
    ``"not significant"``, islands ``"island (not tested)"``; ``quadrant`` holds the quadrant of
    every tested area, significant or not.

    Parameters
    ----------
    values, graph, polarity, permutations, seed, alpha, fdr, nan, focus
        As in :func:`geo.stats.gi_star.local_gi_star`.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``values`` (or ``focus``): ``value``, ``statistic``, ``p``, ``q``,
        ``label``, ``outcome``, ``bin``, ``quadrant``; ``attrs`` as in
        :func:`geo.stats.gi_star.local_gi_star`.

    Raises
    ------
    InputError, DuplicateCodeError
        As in :func:`geo.stats.gi_star.local_gi_star`.

    Examples
    --------
    >>> res = local_moran(values, graph, permutations=99, seed=1)  # doctest: +SKIP
    """
    sign = _polarity_sign(polarity)
    _check_options(permutations, seed, alpha, fdr, nan)
    values = _check_values(values)
    y, used, ids, dropped = _align(values, _check_graph(graph), nan=nan)
    focus = _focus_codes(focus, values.index)
    adjacency = graph_matrix(used)
    stat, z, lag = moran_statistic(y, adjacency)
    if permutations > 0:
        ge, le = neighbour_sum_counts(y, adjacency, permutations=int(permutations),
                                      seed=int(seed))
        p = np.where(z == 0, 1.0, two_sided_p(ge, le, int(permutations)))
    else:
        p = _normal_p(stat, z, np.asarray(adjacency.sum(axis=1)).ravel())
    high, cluster = z > 0, (z > 0) == (lag > 0)
    quadrant = words(high, cluster, np.zeros(len(z), dtype=np.int64))
    attrs = {"method": "local_moran", "polarity": "higher_worse" if sign > 0 else "higher_better",
             "weights": "row-standardised contiguity (esda transformation='r')",
             "permutations": int(permutations), "seed": int(seed), "alpha": float(alpha),
             "p_value": P_VALUE[permutations > 0]}
    islands = _member(ids, used.isolates)
    quadrant[islands] = None
    out = finish(values, ids, y, stat, p, high, cluster, islands=islands, dropped=dropped,
                 focus=focus, words=words, alpha=alpha, fdr=fdr, sign=sign, attrs=attrs,
                 extra={"quadrant": quadrant})
    out["quadrant"] = out["quadrant"].astype(object)
    return out
