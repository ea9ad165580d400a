"""Conditional randomisation without a compile wait: counts of random neighbour sums per area.

Under conditional randomisation (Anselin 1995, as esda does it) an area keeps its own value and
its ``k`` neighbours are replaced by ``k`` areas drawn at random, without replacement, from the
*other* ``n - 1`` areas. Gi* (binary weights including self) and local Moran's I (row-standardised
weights) are both monotone in the sum of the drawn values once the area's own value is fixed, so
one engine serves both: :func:`neighbour_sum_counts` returns, per area, how many of the ``R``
random sums are ``>=`` and ``<=`` the observed neighbour sum, ties counting in both, and
:func:`two_sided_p` turns them into ``p = min(1, 2 (min(ge, le) + 1) / (R + 1))``.

How it is fast. As esda shares its random draws across areas, areas with the same number of
neighbours ``k`` share theirs here: one row of ``k + 1`` distinct ids per permutation, drawn from
all ``n`` areas, and area ``i`` takes the first ``k`` ids of a row that are not itself. The
random sums of the whole group are then one column of prefix sums, sorted once, and each area is
ranked in it by a binary search; the few (row, area) pairs where an area drew itself are
corrected one by one. Each group has its own draws, so groups do not rise and fall together. A
national run of 33,755 areas and 9,999 permutations takes well under a second in plain numpy:
nothing to compile.

Reproducible by seed: the permutations run in chunks of :data:`PERMUTATION_CHUNK`, each with its
own stream from ``numpy.random.SeedSequence(seed).spawn`` (independent streams; seeds ``s`` and
``s + 1`` share nothing).
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import sparse

from geo.stats.fdr import fdr_bh

__all__ = ["MAX_LOCAL_PERMUTATIONS", "PERMUTATION_CHUNK", "PermutationFloorWarning", "fdr_floor", "neighbour_sum_counts",
           "two_sided_p"]

#: Permutations drawn per random stream (one SeedSequence child each).
PERMUTATION_CHUNK = 1000

#: Most permutations a local test accepts: enough for the Benjamini-Hochberg floor of England's
#: LSOAs (about 204,000 at alpha 0.05), a couple of minutes nationally; far more only exhausts
#: memory (100 billion was OOM-killed).
MAX_LOCAL_PERMUTATIONS = 999_999


class PermutationFloorWarning(UserWarning):
    """Too few permutations for any area to pass the multiple-testing correction."""


def _draw_rows(rng: np.random.Generator, rows: int, width: int, n: int) -> np.ndarray:
    """``rows`` x ``width`` area positions, distinct within each row, uniform over ordered draws."""
    if width * 4 > n:  # small maps: shuffle every row outright
        return rng.permuted(np.tile(np.arange(n), (rows, 1)), axis=1)[:, :width]
    out = rng.integers(0, n, size=(rows, width))
    while True:  # iid draws conditioned on being distinct are uniform without replacement
        ordered = np.sort(out, axis=1)
        bad = (ordered[:, 1:] == ordered[:, :-1]).any(axis=1)
        if not bad.any():
            return out
        out[bad] = rng.integers(0, n, size=(int(bad.sum()), width))


def _chunk_counts(y: np.ndarray, k: np.ndarray, observed: np.ndarray, tol: np.ndarray,
                  rng: np.random.Generator, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """(#sums >= observed, #sums <= observed) per area for one chunk of ``rows`` permutations.

    Areas with the same number of neighbours share one set of draws (as esda shares its draws
    across all areas); each such group gets its own draws, so groups do not move together.
    """
    n = len(y)
    ge = np.zeros(n, dtype=np.int64)
    le = np.zeros(n, dtype=np.int64)
    for size in np.unique(k[k > 0]):
        at = np.flatnonzero(k == size)
        draws = _draw_rows(rng, rows, int(size) + 1, n)
        prefix = np.zeros((rows, int(size) + 2))
        np.cumsum(y[draws], axis=1, out=prefix[:, 1:])
        column = np.sort(prefix[:, size])
        ge[at] = rows - np.searchsorted(column, observed[at] - tol[at], side="left")
        le[at] = np.searchsorted(column, observed[at] + tol[at], side="right")
        # an area that drew itself among its first `size` ids takes the next id instead
        row, pos = np.nonzero(k[draws[:, :size]] == size)
        area = draws[row, pos]
        wrong = prefix[row, size]
        right = prefix[row, size + 1] - y[area]
        lo, hi = observed[area] - tol[area], observed[area] + tol[area]
        np.add.at(ge, area, (right >= lo).astype(np.int64) - (wrong >= lo))
        np.add.at(le, area, (right <= hi).astype(np.int64) - (wrong <= hi))
    return ge, le


def neighbour_sum_counts(y: np.ndarray, adjacency: sparse.csr_array, *, permutations: int,
                         seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Per area, how many of ``permutations`` random neighbour sums are >= and <= the observed.

    Parameters
    ----------
    y
        Values in the order of the adjacency's rows, no NaN.
    adjacency
        Binary ``n x n`` adjacency without self-loops (:func:`geo.stats.weights.graph_matrix`).
    permutations
        Number of conditional permutations ``R`` (>= 1).
    seed
        Seed of ``numpy.random.SeedSequence``; the same seed gives the same counts.

    Returns
    -------
    ge, le : numpy.ndarray
        Integer counts per area (0 for an area without neighbours). Values are centred first
        (the test is location-invariant) and sums within ``1e-9`` of the observed one, relative
        to the spread of ``k`` values, count as ties in both tails.

    Examples
    --------
    >>> adj = sparse.csr_array(np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=float))
    >>> ge, le = neighbour_sum_counts(np.array([1.0, 2.0, 3.0]), adj, permutations=99, seed=1)
    >>> int(ge[0] + le[0]) >= 99
    True
    """
    y = np.asarray(y, dtype=float)
    y = y - y.mean()
    n = len(y)
    k = np.asarray(adjacency.sum(axis=1)).ravel().astype(np.int64)
    observed = adjacency @ y
    tol = 1e-9 * np.maximum(k, 1) * max(float(np.abs(y).max()), np.finfo(float).tiny)
    ge = np.zeros(n, dtype=np.int64)
    le = np.zeros(n, dtype=np.int64)
    n_chunks = -(-int(permutations) // PERMUTATION_CHUNK)
    streams = np.random.SeedSequence(int(seed)).spawn(n_chunks)
    for i, stream in enumerate(streams):
        rows = min(PERMUTATION_CHUNK, int(permutations) - i * PERMUTATION_CHUNK)
        g, lo = _chunk_counts(y, k, observed, tol, np.random.default_rng(stream), rows)
        ge += g
        le += lo
    return ge, le


def two_sided_p(ge: np.ndarray, le: np.ndarray, permutations: int) -> np.ndarray:
    """``min(1, 2 (min(ge, le) + 1) / (R + 1))``: two-sided, ties counted in both tails.

    Examples
    --------
    >>> two_sided_p(np.array([0, 50]), np.array([99, 50]), 99).tolist()
    [0.02, 1.0]
    """
    return np.minimum(1.0, 2.0 * (np.minimum(ge, le) + 1.0) / (permutations + 1.0))


def fdr_floor(p: np.ndarray, *, permutations: int, alpha: float, fdr: bool) -> dict | None:
    """Say when no area can pass because the smallest attainable p is too large.

    With ``R`` permutations no p-value is below ``p_min = 2 / (R + 1)``. Benjamini-Hochberg over
    ``m`` tests passes the ``j`` smallest p-values only where ``p_(j) <= alpha j / m``, so the
    ``k`` areas sharing ``p_min`` pass only if ``k >= m p_min / alpha``. When that fails and no
    area passes at all (or, without FDR, when ``p_min > alpha``) a warning of :class:`PermutationFloorWarning` is issued
    and its numbers returned: how many permutations would let those ``k`` areas pass.

    Returns
    -------
    dict or None
        ``p_min``, ``m``, ``k_at_min``, ``k_needed`` and ``permutations_needed``; None when the
        floor is no obstacle (or there are no permutations).
    """
    p = np.asarray(p, dtype=float)
    p = p[~np.isnan(p)]
    if permutations <= 0 or len(p) == 0:
        return None
    p_min = 2.0 / (permutations + 1.0)
    m = len(p)
    k_at_min = int(np.sum(p <= p_min * (1 + 1e-9)))
    k_needed = m * p_min / alpha if fdr else 1.0
    # k_needed <= 1: one area at the floor would pass, so the floor is no obstacle even when
    # no area reaches it (a place with nothing significant is not short of permutations)
    if (fdr and (k_at_min >= k_needed or k_needed <= 1)) or (not fdr and p_min <= alpha):
        return None
    if fdr and bool((np.asarray(fdr_bh(p)) <= alpha).any()):
        return None  # larger p-values that pass carry the floor's areas with them
    share = max(k_at_min, 1) / m if fdr else 1.0
    needed = int(np.ceil(2.0 / (alpha * share) - 1.0))
    info = {"p_min": p_min, "m": m, "k_at_min": k_at_min, "k_needed": int(np.ceil(k_needed)),
            "permutations_needed": needed}
    msg = (
        f"with {permutations} permutations the smallest attainable p is {p_min:.4g}; "
        + (f"Benjamini-Hochberg over {m} areas at alpha {alpha} passes it only when at least "
           f"{info['k_needed']} areas share it ({k_at_min} {'does' if k_at_min == 1 else 'do'})" if fdr else
           f"that is above alpha {alpha}")
        + f", so nothing can be significant: use at least {needed} permutations"
    )
    warnings.warn(msg, PermutationFloorWarning, stacklevel=4)
    return info
