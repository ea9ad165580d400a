"""Local Moran's I (LISA): clusters of like values and outliers, with row-standardised weights.

Local Moran's I of an area is its standardised value times the mean of its neighbours'; its
sign says whether the area resembles its neighbours (a cluster, ``High-High`` or ``Low-Low``) or
stands out from them (an outlier, ``High-Low`` or ``Low-High``). The labels keep esda's words
about *values*: ``High-High`` is high values whatever the polarity. The statistic is unchanged
when every value changes sign, so running on values oriented by polarity gives the same I and
p; polarity only decides which quadrant is worse.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable

import numpy as np
import pandas as pd
from libpysal.graph import Graph
from scipy import stats

from geo.stats._results import NOT_SIGNIFICANT, _finish
from geo.stats._validate import (
    _align,
    _check_graph,
    _check_options,
    _check_values,
    _focus_codes,
    _member,
    _polarity_sign,
)
from geo.stats.permutation import _permutation_p

__all__ = ["MORAN_QUADRANTS", "local_moran"]

#: esda's quadrant codes and their names (about values: High-High = high among high).
MORAN_QUADRANTS = {1: "High-High", 2: "Low-High", 3: "Low-Low", 4: "High-Low"}


def local_moran(
    values: pd.Series,
    graph: Graph,
    *,
    polarity: str = "higher_worse",
    permutations: int = 999,
    seed: int = 42,
    alpha: float = 0.05,
    fdr: bool = True,
    n_jobs: int = 1,
    nan: str = "raise",
    focus: Iterable | pd.Series | None = None,
) -> pd.DataFrame:
    """Local Moran's I (LISA) with row-standardised weights: High-High, Low-Low and outliers.

    ``statistic`` is esda's local I (``Moran_Local(y, w, transformation="r")``); ``p`` is
    two-sided, from conditional permutations or, with ``permutations=0``, the normal
    approximation under total randomisation (esda's ``EI``/``VI``, Sokal et al. 1998).
    Significant areas get their quadrant (``"High-High"``, ``"Low-Low"``, ``"High-Low"``,
    ``"Low-High"``), others ``"not significant"``; islands ``"island (not tested)"``.

    Parameters
    ----------
    values, graph, polarity, permutations, seed, alpha, fdr, n_jobs, nan, focus
        As in :func:`geo.stats.gi_star.local_gi_star`.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``values`` (or ``focus``), columns ``value``, ``statistic``, ``p``, ``q``,
        ``label`` and ``attrs`` as in :func:`geo.stats.gi_star.local_gi_star`.

    Raises
    ------
    InputError, DuplicateCodeError
        As in :func:`geo.stats.gi_star.local_gi_star`.

    Examples
    --------
    >>> res = local_moran(values, graph, permutations=99, seed=1)  # doctest: +SKIP
    """
    sign = _polarity_sign(polarity)
    _check_options(permutations, seed, alpha, fdr, nan, n_jobs)
    values = _check_values(values)
    y, used, ids, dropped = _align(values, _check_graph(graph), nan=nan)
    focus = _focus_codes(focus, values.index)
    stat, p, quads, p_desc = _moran(y, used, permutations=int(permutations), seed=int(seed),
                                    n_jobs=int(n_jobs))

    def label_fn(sig: np.ndarray) -> np.ndarray:
        labels = np.full(len(stat), NOT_SIGNIFICANT, dtype=object)
        hit = sig <= alpha + 1e-12
        for code, name in MORAN_QUADRANTS.items():
            labels[hit & (quads == code)] = name
        return labels

    attrs = {"method": "local_moran", "polarity": "higher_worse" if sign > 0 else "higher_better",
             "weights": "row-standardised contiguity (esda transformation='r')",
             "permutations": int(permutations), "seed": int(seed), "alpha": float(alpha),
             "p_value": p_desc}
    return _finish(values, ids, y, stat, p, _member(ids, used.isolates), dropped, focus,
                   label_fn=label_fn, fdr=fdr, attrs=attrs)


def _moran(y: np.ndarray, graph: Graph, *, permutations: int, seed: int, n_jobs: int
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """Local I, two-sided p, esda's quadrant codes and how p was computed."""
    import esda

    def run(r: int, s: int):  # noqa: ANN202 - esda result
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return esda.Moran_Local(y, graph, transformation="r", permutations=r, seed=s,
                                    n_jobs=n_jobs, keep_simulations=r > 0)

    if permutations > 0:
        p, res = _permutation_p(run, stat_attr="Is", sims_attr="rlisas",
                                permutations=permutations, seed=seed)
        desc = "two-sided, conditional permutation, ties counted in both tails"
    else:
        res = run(0, seed)
        with np.errstate(divide="ignore", invalid="ignore"):
            zn = (np.asarray(res.Is, dtype=float) - res.EI) / np.sqrt(res.VI)
        p = np.where(np.isfinite(zn), 2.0 * stats.norm.sf(np.abs(zn)), 1.0)
        desc = "two-sided, normal approximation under total randomisation"
    return np.asarray(res.Is, dtype=float), p, np.asarray(res.q), desc
