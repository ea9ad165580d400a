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

if TYPE_CHECKING:
    pass
from geo.stats._results import NOT_SIGNIFICANT, _finish
from geo.stats._validate import (
    _align,
    _check_graph,
    _check_options,
    _check_values,
    _focus_codes,
    _member,
)
from geo.stats.permutation import _permutation_p

__all__ = ['local_moran']


MORAN_QUADRANTS = {1: "High-High", 2: "Low-High", 3: "Low-Low", 4: "High-Low"}


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
