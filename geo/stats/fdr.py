"""Benjamini-Hochberg false discovery rate control for many local tests at once.

A national run tests tens of thousands of areas; at alpha 0.05 a raw p-value would call
hundreds of areas significant by chance alone. :func:`fdr_bh` returns the BH q-values; an area is
significant at FDR level alpha where ``q <= alpha``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo._errors import InputError

__all__ = ["fdr_bh"]


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
