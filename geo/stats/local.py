"""The registry of local statistics: one entry per method, so that no caller branches on names.

A new local statistic is one module (like :mod:`geo.stats.gi_star`) and one entry here. Each
entry's ``run`` takes ``(values, graph, *, polarity, permutations, seed, alpha, fdr, nan,
focus)`` and returns a frame with ``value``, ``statistic``, ``p``, ``q``, ``label``, ``outcome``
and ``bin``; ``words`` are its labels for significant areas and ``pattern`` reads back, from a
result, which areas are high and which are clusters (so a run can be judged again for another
family, :mod:`geo.stats.reference`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pandas as pd

from geo._errors import InputError
from geo.stats import gi_star, moran

__all__ = ["LOCAL_METHODS", "LocalMethod", "local_method"]


class LocalMethod(NamedTuple):
    """A local statistic: its function, its name for people, its labels and its pattern."""

    run: Callable[..., pd.DataFrame]
    title: str
    words: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
    pattern: Callable[[pd.DataFrame], tuple[np.ndarray, np.ndarray]]


#: Local statistics by key.
LOCAL_METHODS: dict[str, LocalMethod] = {
    "gi_star": LocalMethod(gi_star.local_gi_star, "Getis-Ord Gi*", gi_star.words,
                           gi_star.pattern),
    "local_moran": LocalMethod(moran.local_moran, "local Moran's I", moran.words,
                               moran.pattern),
}


def local_method(key: str, *, argument: str = "method") -> LocalMethod:
    """The registry entry of ``key`` (case and surrounding spaces forgiven).

    Raises
    ------
    InputError
        ``key`` is not a registered method; the message lists the valid keys.

    Examples
    --------
    >>> local_method("Gi_Star").title
    'Getis-Ord Gi*'
    """
    name = str(key).strip().lower()
    if name not in LOCAL_METHODS:
        msg = f"`{argument}` must be one of {list(LOCAL_METHODS)}; got {key!r}."
        raise InputError(msg)
    return LOCAL_METHODS[name]
