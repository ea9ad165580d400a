"""What every local statistic says about an area: its label, its outcome and its bin.

Three words for three questions, decided here once for every method:

* ``label`` keeps the method's words about *values*: ``"hot spot 95%"`` (Gi*: high values),
  ``"High-Low"`` (local Moran: a high value among low ones);
* ``outcome`` says what that means for people, by the indicator's polarity: one of
  :data:`OUTCOMES` (``"worse cluster"``, ``"better outlier"``, ...);
* ``bin`` is ArcGIS's Gi_Bin turned to polarity: +3/+2/+1 for worse at 99/95/90% confidence,
  -3/-2/-1 for better, 0 not significant, <NA> not tested.

:func:`judge` computes all three from p-values and each area's *pattern* (is its own value
high? is it a cluster or an outlier?), with Benjamini-Hochberg over the family of tested areas;
:func:`finish` assembles a method's result frame around it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from geo.stats._validate import _member
from geo.stats.fdr import fdr_bh
from geo.stats.permutation import fdr_floor

__all__ = ["ISLAND_LABEL", "LEVELS", "MISSING_LABEL", "NOT_SIGNIFICANT", "NOT_TESTED",
           "OUTCOMES", "finish", "judge", "significance_level"]

#: Label of an area with no neighbours (it tests nothing).
ISLAND_LABEL = "island (not tested)"

#: Label of an area dropped for a missing value (``nan="drop"``).
MISSING_LABEL = "no data (not tested)"

#: Label and outcome of a tested area that is not significant.
NOT_SIGNIFICANT = "not significant"

#: Outcome of an area that was not tested (island, missing value).
NOT_TESTED = "not tested"

#: Every outcome, worst first.
OUTCOMES = ("worse cluster", "worse outlier", "better outlier", "better cluster",
            NOT_SIGNIFICANT, NOT_TESTED)

#: Significance levels, the confidence each label states and its bin.
LEVELS = ((0.01, 99, 3), (0.05, 95, 2), (0.10, 90, 1))

#: ``words(high, cluster, confidence)``: a method's labels for significant areas.
Words = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def significance_level(sig: np.ndarray, alpha: float) -> np.ndarray:
    """The highest confidence (99, 95, 90) each ``sig`` (q or p) reaches, never beyond
    ``1 - alpha``; 0 where it reaches none (NaN never does).

    Examples
    --------
    >>> significance_level(np.array([0.001, 0.03, 0.07, 0.5]), 0.1).tolist()
    [99, 95, 90, 0]
    """
    sig = np.where(np.isnan(sig), np.inf, sig)
    conf = np.zeros(len(sig), dtype=np.int64)
    for level, confidence, _ in sorted(LEVELS, reverse=True):  # 0.10 first, 0.01 last wins
        if level <= alpha + 1e-12:
            conf[sig <= level] = confidence
    return conf


def judge(p: np.ndarray, high: np.ndarray, cluster: np.ndarray, tested: np.ndarray, *,
          alpha: float, fdr: bool, sign: int, words: Words) -> dict[str, np.ndarray]:
    """``q``, ``label``, ``outcome`` and ``bin`` of every area from its p-value and pattern.

    Parameters
    ----------
    p
        Two-sided p-values (NaN where not tested).
    high, cluster
        Per area: is its own value high (Gi*: its neighbourhood), and is it a cluster (like its
        neighbours) rather than an outlier.
    tested
        The multiple-testing family: the areas reported and tested.
    alpha, fdr
        Significance level; judge by Benjamini-Hochberg ``q`` (True) or raw ``p``.
    sign
        +1 when a higher value is worse, -1 when it is better.
    words
        The method's labels for significant areas.

    Returns
    -------
    dict
        Arrays ``q``, ``label`` (None where not tested: the caller says why), ``outcome`` and
        ``bin`` (float, NaN where not tested).
    """
    q = np.full(len(p), np.nan)
    q[tested] = fdr_bh(p[tested])
    conf = np.where(tested, significance_level(q if fdr else p, alpha), 0)
    hit = conf > 0
    label = np.full(len(p), None, dtype=object)
    label[tested] = NOT_SIGNIFICANT
    label[hit] = words(high[hit], cluster[hit], conf[hit])
    worse = np.asarray(high, dtype=bool) == (sign > 0)
    kind = np.where(np.asarray(cluster, dtype=bool), "cluster", "outlier")
    outcome = np.full(len(p), NOT_TESTED, dtype=object)
    outcome[tested] = NOT_SIGNIFICANT
    outcome[hit] = np.char.add(np.where(worse[hit], "worse ", "better "), kind[hit])
    strength = np.select([conf == c for _, c, _ in LEVELS], [b for _, _, b in LEVELS], 0)
    bin_ = np.where(tested, np.where(worse, 1, -1) * strength, np.nan)
    return {"q": q, "label": label, "outcome": outcome, "bin": bin_}


def finish(values: pd.Series, ids: pd.Index, y: np.ndarray, statistic: np.ndarray,
           p: np.ndarray, high: np.ndarray, cluster: np.ndarray, *, islands: np.ndarray,
           dropped: pd.Index, focus: pd.Index | None, words: Words, alpha: float, fdr: bool,
           sign: int, attrs: dict, extra: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """Judge the reported, tested areas and return the result indexed like ``values``.

    Islands get :data:`ISLAND_LABEL`, dropped areas :data:`MISSING_LABEL`; both are
    ``"not tested"`` and outside the FDR family. ``attrs`` gains ``correction``, ``n_tested``,
    ``islands``, ``dropped``, ``counts`` (of labels), ``outcomes`` (counts of outcomes) and,
    when too few permutations let nothing pass, ``permutation_floor`` (see
    :func:`geo.stats.permutation.fdr_floor`, which also warns).
    """
    report = np.ones(len(ids), dtype=bool) if focus is None else _member(ids, focus)
    statistic = np.where(islands, np.nan, statistic)
    p = np.where(islands, np.nan, p)
    family = report & ~islands
    verdict = judge(p, high, cluster, family, alpha=alpha, fdr=fdr, sign=sign, words=words)
    verdict["label"][islands] = ISLAND_LABEL
    floor = fdr_floor(p[family], permutations=int(attrs.get("permutations", 0)), alpha=alpha,
                      fdr=fdr)
    frame = pd.DataFrame({"value": y, "statistic": statistic, "p": p, **verdict,
                          **(extra or {})}, index=ids)
    out_index = values.index if focus is None else focus
    out = frame.reindex(out_index)
    gone = _member(out_index, dropped)
    out.loc[gone, "label"] = MISSING_LABEL
    out["label"] = out["label"].astype(object)
    out["outcome"] = out["outcome"].astype(object).fillna(NOT_TESTED)
    out["bin"] = out["bin"].astype("Int8")
    out.index.name = values.index.name
    out.attrs = dict(attrs)
    out.attrs.update(
        correction="fdr_bh" if fdr else "none",
        n_tested=int(family.sum()),
        islands=[str(c) for c in ids[islands & report]],
        dropped=[str(c) for c in dropped[_member(dropped, out_index)]],
        counts={str(k): int(v) for k, v in out["label"].value_counts().items()},
        outcomes={str(k): int(v) for k, v in out["outcome"].value_counts().items()},
    )
    if floor is not None:
        out.attrs["permutation_floor"] = floor
    return out
