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

if TYPE_CHECKING:
    pass
from geo.stats._validate import _member
from geo.stats.fdr import fdr_bh

__all__ = ['ISLAND_LABEL', 'MISSING_LABEL', 'NOT_SIGNIFICANT']


ISLAND_LABEL = "island (not tested)"


MISSING_LABEL = "no data (not tested)"


NOT_SIGNIFICANT = "not significant"


LEVELS = ((0.01, 99), (0.05, 95), (0.10, 90))


METHODS = ("gi_star", "local_moran")


def _finish(
    values: pd.Series,
    ids: pd.Index,
    y: np.ndarray,
    statistic: np.ndarray,
    p: np.ndarray,
    islands: np.ndarray,
    dropped: pd.Index,
    focus: pd.Index | None,
    *,
    label_fn,
    fdr: bool,
    attrs: dict,
) -> pd.DataFrame:
    """Mask islands, correct over the reported family, label, reindex like ``values``."""
    report = np.ones(len(ids), dtype=bool) if focus is None else _member(ids, focus)
    statistic = np.where(islands, np.nan, statistic)
    p = np.where(islands, np.nan, p)
    family = report & ~islands
    q = np.full(len(p), np.nan)
    q[family] = fdr_bh(p[family])
    sig = q if fdr else p
    sig = np.where(np.isnan(sig), np.inf, sig)
    labels = label_fn(sig)
    labels[islands] = ISLAND_LABEL
    frame = pd.DataFrame(
        {"value": y, "statistic": statistic, "p": p, "q": q, "label": labels}, index=ids
    )
    out_index = values.index if focus is None else focus
    out = frame.reindex(out_index)
    gone = _member(out_index, dropped)
    out.loc[gone, "label"] = MISSING_LABEL
    out["label"] = out["label"].astype(object)
    out.index.name = values.index.name
    counts = out["label"].value_counts()
    out.attrs = dict(attrs)
    out.attrs.update(
        correction="fdr_bh" if fdr else "none",
        n_tested=int(family.sum()),
        islands=[str(c) for c in ids[islands & report]],
        dropped=[str(c) for c in dropped[_member(dropped, out_index)]],
        counts={str(k): int(v) for k, v in counts.items()},
    )
    return out
