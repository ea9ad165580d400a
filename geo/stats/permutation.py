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

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    pass

__all__ = []


def _two_sided_from_directed(p_sim: np.ndarray, permutations: int) -> np.ndarray:
    """Two-sided p from esda's directed pseudo p ``(M + 1) / (R + 1)`` (float32 in esda).

    Kept for reference only: esda's lower tail counts ``sim < obs``, so ties (common for counts
    such as the number of deprived domains) make it anti-conservative. See
    :func:`_permutation_p`.
    """
    extreme = np.rint(np.asarray(p_sim, dtype=float) * (permutations + 1))
    return np.minimum(1.0, 2.0 * extreme / (permutations + 1))


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
    ge = le = None
    done, i, first = 0, 0, None
    while done < permutations:
        r = min(PERMUTATION_CHUNK, permutations - done)
        res = run(r, seed + i)
        g, lo = _tie_counts(getattr(res, stat_attr), getattr(res, sims_attr))
        ge = g if ge is None else ge + g
        le = lo if le is None else le + lo
        first = res if first is None else first
        done += r
        i += 1
    p = np.minimum(1.0, 2.0 * (np.minimum(ge, le) + 1.0) / (permutations + 1.0))
    return p, first


