"""What every local statistic returns: labels, the multiple-testing family and the attributes.

:func:`_finish` is the last step of :func:`~geo.stats.gi_star.local_gi_star` and
:func:`~geo.stats.moran.local_moran`: it masks islands (an area without neighbours tests nothing
and is labelled :data:`ISLAND_LABEL`), adjusts the p-values of the reported, tested areas with
Benjamini-Hochberg, labels them and reindexes the result like the input (dropped areas come back
as :data:`MISSING_LABEL`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.stats._validate import _member
from geo.stats.fdr import fdr_bh

__all__ = ["ISLAND_LABEL", "LEVELS", "MISSING_LABEL", "NOT_SIGNIFICANT"]


#: Label of an area with no neighbours (it tests nothing).
ISLAND_LABEL = "island (not tested)"

#: Label of an area dropped for a missing value (``nan="drop"``).
MISSING_LABEL = "no data (not tested)"

#: Label of a tested area that is not significant.
NOT_SIGNIFICANT = "not significant"

#: Significance levels and the confidence each label states.
LEVELS = ((0.01, 99), (0.05, 95), (0.10, 90))


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
