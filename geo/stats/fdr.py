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

from geo._errors import InputError

if TYPE_CHECKING:
    pass

__all__ = ['fdr_bh']


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
