"""Conditional-permutation p-values for local statistics: two-sided and aware of ties.

Under conditional randomisation an area keeps its own value and its neighbours are drawn at
random from the other areas; the share of draws at least as extreme as the observed statistic
is the pseudo p-value. esda's own ``p_sim`` is *directed* (the tail the observed value lies in)
and its lower tail leaves ties out, which made zero-count areas among zeros look "significant".
Here ``p = min(1, 2 (min(#sim >= obs, #sim <= obs) + 1) / (R + 1))``, ties counting in both
tails.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__: list[str] = []


#: Permutations per esda call: the simulations of one call are kept in memory (n x chunk).
PERMUTATION_CHUNK = 999


def _tie_counts(observed: np.ndarray, sims: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per area, how many simulated statistics are >= and <= the observed one (ties count in both)."""
    obs = np.asarray(observed, dtype=float)[:, None]
    sims = np.asarray(sims, dtype=float)
    tol = 1e-9 * np.maximum(1.0, np.abs(obs))
    ge = (sims >= obs - tol).sum(axis=1)
    le = (sims <= obs + tol).sum(axis=1)
    return ge, le


def _permutation_p(run, *, stat_attr: str, sims_attr: str, permutations: int,
                   seed: int) -> tuple[np.ndarray, Any]:
    """Tie-aware two-sided conditional-permutation p-values, in chunks of esda calls.

    ``p = min(1, 2 * (min(#sim >= obs, #sim <= obs) + 1) / (R + 1))``. Simulated values equal to
    the observed one count in both tails (esda's own ``p_sim`` leaves them out of the lower
    tail, which made zero-count areas surrounded by zeros look "significant" cold spots).
    Permutations run in chunks of :data:`PERMUTATION_CHUNK`; chunk ``i`` uses ``seed + i``, so a
    run is reproducible and a run of up to 999 permutations uses exactly ``seed``.

    Parameters
    ----------
    run
        ``run(permutations, seed)`` returning an esda result with ``keep_simulations=True``.
    """
    ge = le = np.zeros(1)
    done, i, first = 0, 0, None
    while done < permutations:
        r = min(PERMUTATION_CHUNK, permutations - done)
        res = run(r, seed + i)
        g, lo = _tie_counts(getattr(res, stat_attr), getattr(res, sims_attr))
        ge = g if done == 0 else ge + g
        le = lo if done == 0 else le + lo
        first = res if first is None else first
        done += r
        i += 1
    p = np.minimum(1.0, 2.0 * (np.minimum(ge, le) + 1.0) / (permutations + 1.0))
    return p, first


