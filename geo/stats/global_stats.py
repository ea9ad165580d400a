"""Global spatial autocorrelation over the whole map: Moran's I and Getis-Ord General G.

An analyst checks these before any local result: is there spatial pattern at all? Moran's I (row-
standardised weights) says whether like values sit beside like values; General G (binary weights)
whether high values concentrate. Both follow esda's definitions (``esda.Moran``, ``esda.G``) and
get a two-sided permutation p-value under total randomisation (every value shuffled), ties
counted in both tails, with the same rule as the local statistics. The permutations are
vectorised (one sparse product per chunk of shuffles) and reproducible by seed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from libpysal.graph import Graph

from geo.stats._validate import _align, _check_graph, _check_values
from geo.stats.permutation import two_sided_p
from geo.stats.weights import graph_matrix

__all__ = ["global_autocorrelation"]

#: Shuffles per sparse product (an n x chunk dense block is held in memory).
SHUFFLE_CHUNK = 100

#: At most this many shuffles: a global pattern is either overwhelming or absent, and a full
#: shuffle of a national map costs about a millisecond.
MAX_PERMUTATIONS = 999


def _statistics(block: np.ndarray, adjacency, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001 - scipy sparse
    """Moran's I numerator and General G's numerator, per column of ``block``.

    Every column holds the same values in some order, so they share one mean.
    """
    lagged = adjacency @ block  # binary lag: sum of the neighbours' values
    mean = float(block[:, 0].mean())
    inverse_k = np.divide(1.0, k, out=np.zeros(len(k)), where=k > 0)
    row_std = (lagged - (k * mean)[:, None]) * inverse_k[:, None]  # mean of neighbours - mean
    return (np.einsum("ij,ij->j", block, row_std) - mean * row_std.sum(axis=0),
            np.einsum("ij,ij->j", block, lagged))


def global_autocorrelation(values: pd.Series, graph: Graph, *, permutations: int = 999,
                           seed: int = 42) -> dict:
    """Global Moran's I and General G of ``values`` on ``graph``, with permutation p-values.

    Parameters
    ----------
    values
        Indicator indexed by area code, the same codes as ``graph``, no NaN.
    graph
        Binary weights graph (weights are taken as 0/1).
    permutations, seed
        Shuffles for the p-values (0: none; at most :data:`MAX_PERMUTATIONS`) and their seed.

    Returns
    -------
    dict
        ``moran_i`` (esda ``Moran(y, w).I``, row-standardised), ``moran_p``, ``general_g``
        (esda ``G(y, w).G``, binary; NaN when a value is negative: G needs values >= 0),
        ``general_g_p``, ``expected_moran_i`` (``-1 / (n - 1)``), ``expected_general_g``,
        ``permutations``, ``seed`` and ``p_value`` (how p was computed).

    Examples
    --------
    >>> out = global_autocorrelation(values, graph, permutations=999)  # doctest: +SKIP
    """
    values = _check_values(values)
    permutations = min(int(permutations), MAX_PERMUTATIONS)
    y, used, _, _ = _align(values, _check_graph(graph), nan="raise")
    adjacency = graph_matrix(used)
    k = np.asarray(adjacency.sum(axis=1)).ravel()
    n = len(y)
    z2 = float(((y - y.mean()) ** 2).sum())
    scale = n / max(float((k > 0).sum()), 1.0)  # n / S0 with row-standardised weights
    g_den = float(y.sum() ** 2 - (y * y).sum())
    moran_num, g_num = _statistics(y[:, None], adjacency, k)
    moran_i, g = scale * moran_num[0] / z2, g_num[0] / g_den
    out = {"moran_i": float(moran_i), "expected_moran_i": -1.0 / (n - 1),
           "general_g": float(g) if (y >= 0).all() else float("nan"),
           "expected_general_g": float(adjacency.sum() / (n * (n - 1))),
           "permutations": int(permutations), "seed": int(seed),
           "p_value": "two-sided, total randomisation (all values shuffled), ties in both tails"}
    if permutations <= 0:
        return out | {"moran_p": float("nan"), "general_g_p": float("nan")}
    counts = np.zeros(4, dtype=np.int64)  # I >=, I <=, G >=, G <=
    chunks = -(-int(permutations) // SHUFFLE_CHUNK)
    streams = np.random.SeedSequence(int(seed), spawn_key=(1,)).spawn(chunks)
    for i, stream in enumerate(streams):
        cols = min(SHUFFLE_CHUNK, int(permutations) - i * SHUFFLE_CHUNK)
        shuffled = np.tile(y, (cols, 1))
        np.random.default_rng(stream).permuted(shuffled, axis=1, out=shuffled)
        sim_m, sim_g = _statistics(np.ascontiguousarray(shuffled.T), adjacency, k)
        sim_i, sim_gg = scale * sim_m / z2, sim_g / g_den
        tol_i, tol_g = 1e-9 * max(abs(moran_i), 1e-300), 1e-9 * max(abs(g), 1e-300)
        counts += [(sim_i >= moran_i - tol_i).sum(), (sim_i <= moran_i + tol_i).sum(),
                   (sim_gg >= g - tol_g).sum(), (sim_gg <= g + tol_g).sum()]
    moran_p = float(two_sided_p(counts[0], counts[1], int(permutations)))
    g_p = float(two_sided_p(counts[2], counts[3], int(permutations)))
    return out | {"moran_p": moran_p, "general_g_p": g_p if (y >= 0).all() else float("nan")}
