"""A run judged again: for the areas of one place on the national reference, or at another level.

The z and p of a local statistic depend on the map it ran on (the mean and spread, the pool of
values its permutations draw from); the q-values, labels and outcomes depend only on which areas
form the multiple-testing family and on alpha. :func:`rejudge` keeps a national run's z and p
and judges them again, for example over one council's LSOAs: the *national reference* of
``--within``, where a council is compared with England, not with itself and a ring around it.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from geo._errors import InputError, format_codes
from geo.stats._validate import _polarity_sign
from geo.stats.local import LOCAL_METHODS
from geo.stats.outcome import NOT_TESTED, judge
from geo.stats.permutation import fdr_floor

__all__ = ["rejudge"]


def rejudge(result: pd.DataFrame, *, codes: Iterable[str] | None = None,
            alpha: float | None = None, fdr: bool | None = None) -> pd.DataFrame:
    """The run's areas ``codes`` (default all) judged again as one family, z and p unchanged.

    Parameters
    ----------
    result
        One run of a local statistic with its attrs (e.g. a national run).
    codes
        The family: areas of ``result`` to report, e.g. one council's LSOAs.
    alpha, fdr
        Default to the run's own.

    Returns
    -------
    pandas.DataFrame
        The rows of ``codes`` with ``q``, ``label``, ``outcome``, ``bin`` recomputed over them
        (``robust`` is dropped: it belonged to the old family); ``attrs`` updated with the new
        counts, ``n_tested`` and ``family``.

    Raises
    ------
    InputError
        ``result`` lacks its attrs, or ``codes`` names areas that are not in it.

    Examples
    --------
    >>> council = rejudge(national, codes=bradford_lsoas)  # doctest: +SKIP
    """
    attrs = dict(getattr(result, "attrs", {}))
    if attrs.get("method") not in LOCAL_METHODS or "outcome" not in result.columns:
        msg = ("`result` must be one run of a local statistic with its attrs (local_gi_star, "
               "local_moran or geo.stats.runs.select_run); recompute it.")
        raise InputError(msg)
    method = LOCAL_METHODS[attrs["method"]]
    if codes is not None:
        wanted = pd.Index(list(codes)).unique()
        unknown = wanted.difference(result.index)
        if len(unknown) or len(wanted) == 0:
            msg = (f"`codes` must be areas of the run; {len(unknown)} are not "
                   f"({format_codes(unknown)}) out of {len(wanted)}.")
            raise InputError(msg)
        result = result.loc[wanted]
    alpha = float(attrs["alpha"] if alpha is None else alpha)
    fdr = bool(attrs["correction"] == "fdr_bh" if fdr is None else fdr)
    tested = (result["outcome"] != NOT_TESTED).to_numpy()
    high, cluster = method.pattern(result)
    verdict = judge(result["p"].to_numpy(dtype=float), high, cluster, tested, alpha=alpha,
                    fdr=fdr, sign=_polarity_sign(attrs["polarity"]), words=method.words)
    floor = fdr_floor(result["p"].to_numpy(dtype=float)[tested],
                      permutations=int(attrs.get("permutations", 0)), alpha=alpha, fdr=fdr)
    out = result.drop(columns=[c for c in ("robust",) if c in result.columns]).copy()
    out["q"] = verdict["q"]
    out["label"] = np.where(tested, verdict["label"], out["label"].to_numpy(dtype=object))
    out["outcome"] = verdict["outcome"]
    out["bin"] = pd.array(verdict["bin"], dtype="Float64").astype("Int8")
    out.attrs = attrs | {
        "alpha": alpha, "correction": "fdr_bh" if fdr else "none", "n_tested": int(tested.sum()),
        "family": f"{int(tested.sum())} areas judged together (z and p of the whole run)",
        "counts": {str(k): int(v) for k, v in out["label"].value_counts().items()},
        "outcomes": {str(k): int(v) for k, v in out["outcome"].value_counts().items()}}
    out.attrs.pop("permutation_floor", None)
    if floor is not None:
        out.attrs["permutation_floor"] = floor
    if "z_against_tail" in out.columns:
        significant = out["bin"].fillna(0).to_numpy() != 0
        out.attrs["z_against_tail"] = int(out["z_against_tail"].fillna(False)[significant].sum())
    return out
