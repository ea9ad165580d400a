"""IoD-style summaries of the devolved indices (WIMD, SIMD) on their own small areas.

The Welsh and Scottish indices define their deciles by equal counts of small areas (WIMD 2019:
191 LSOAs in decile 1 of 1,909; SIMD 2020: 698 data zones of 6,976), and the published council
figures take extent from equal-count percentiles of the national ranks (``dplyr::ntile``), not
from ``ceil(100 r / N)`` as the English IoD. :func:`summarise_national_index` is
:func:`geo.stats.summaries.summarise_areas` with those two measures on the index's own bins.

Verified on the mirror (``tests/test_nations.py``): with ONS mid-2019 population as weights, the
WIMD 2019 council proportion, extent and average score of the index and its eight domains equal
the published figures for all 22 councils; SIMD 2020 proportions equal the published ones for 30
of 32 councils (data zones fitted to councils by area; one zone straddling Glasgow City and East
Renfrewshire accounts for the other two).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from geo._errors import InputError
from geo.stats.summaries import _rank_of, extent_weights, summarise_areas

__all__ = ["equal_count_bins", "summarise_national_index"]


def equal_count_bins(rank, *, n_bins: int) -> np.ndarray:
    """Bins ``1..n_bins`` of equal count along the ranks, larger bins first (``dplyr::ntile``).

    With ``N`` ranks, the first ``N mod n_bins`` bins hold ``ceil(N / n_bins)`` areas and the
    others ``floor(N / n_bins)``; ties are broken by position. This is how the Welsh index
    defines its deciles (191 LSOAs in decile 1 of 1,909) and how the published Welsh and
    Scottish council extents were computed (percentiles of 20 or 19 LSOAs).

    Parameters
    ----------
    rank
        National ranks, 1 = most deprived, without NaN.
    n_bins
        Number of bins (10 for deciles, 100 for percentiles).

    Returns
    -------
    numpy.ndarray
        The bin of each rank, in input order (integers, 1 = most deprived).

    Raises
    ------
    InputError
        If a rank is NaN or ``n_bins`` is not a positive integer.

    Examples
    --------
    >>> equal_count_bins([5, 1, 2, 4, 3], n_bins=2).tolist()
    [2, 1, 1, 2, 1]
    """
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        msg = f"`n_bins` must be a positive integer such as 10; got {n_bins!r}"
        raise InputError(msg)
    values = pd.Series(np.asarray(rank, dtype=float))
    if values.isna().any():
        msg = f"`rank` has {int(values.isna().sum())} NaN value(s); bins need every area ranked"
        raise InputError(msg)
    r = values.rank(method="first").to_numpy()
    n_larger, small = len(r) % n_bins, len(r) // n_bins
    large = small + (1 if n_larger else 0)
    threshold = large * n_larger
    with np.errstate(divide="ignore", invalid="ignore"):
        bins = np.where(r <= threshold, np.ceil(r / max(large, 1)),
                        n_larger + np.ceil((r - threshold) / max(small, 1)))
    return bins.astype(int)


def summarise_national_index(
    table: pd.DataFrame,
    *,
    parent: pd.Series,
    population: pd.Series,
    n_ranked: int,
    domains: Iterable[str] | str | None = None,
    parent_level: str | None = None,
) -> pd.DataFrame:
    """IoD-style summaries of a devolved index (WIMD, SIMD) on its own small areas.

    The five measures of :func:`summarise_areas`, except the two that rest on the index's own
    bins: ``proportion_most_deprived_10`` is the unweighted share of the area's small areas in
    the index's decile 1 (the published ``<domain>_decile`` when ``table`` has it, else
    :func:`equal_count_bins` of the ranks), and ``extent`` weights each small area by its
    equal-count percentile (``equal_count_bins(rank, n_bins=100)``: 1 for percentiles 1-10,
    0.95 to 0.05 for 11-30, 0 beyond). With ONS mid-2019 population as weights this reproduces
    the published WIMD 2019 council proportion, extent and score exactly.

    Parameters
    ----------
    table
        Every ranked small area of the nation (the bins need them all), indexed by code, with
        ``<domain>_rank`` (1 = most deprived), optional ``<domain>_score`` and
        ``<domain>_decile`` columns.
    parent
        Small-area code -> area code, named like ``"lad24_code"``.
    population
        One weight per small area for every domain (people, or 1 for equal weights).
    n_ranked
        Number of small areas ranked nationally (1,909 for WIMD 2019, 6,976 for SIMD 2020).
    domains, parent_level
        As in :func:`summarise_areas`.

    Returns
    -------
    pandas.DataFrame
        As :func:`summarise_areas`; ``attrs["bins"] == "equal_count"``.

    Raises
    ------
    InputError
        If a rank column does not hold ``n_ranked`` ranks, or anything
        :func:`summarise_areas` raises.

    Examples
    --------
    >>> t = pd.DataFrame({"imd_rank": [1, 2, 3, 4]}, index=pd.Index(list("abcd"), name="dz11_code"))
    >>> par = pd.Series(["X", "X", "Y", "Y"], index=t.index, name="lad24_code")
    >>> summarise_national_index(t, parent=par, population=pd.Series(1.0, index=t.index),
    ...                          n_ranked=4)["imd_proportion_most_deprived_10"].tolist()
    [0.5, 0.0]
    """
    if not isinstance(population, pd.Series):
        msg = (f"`population` must be one Series of weights per small area (the devolved "
               f"figures weight every domain alike); got {type(population).__name__}")
        raise InputError(msg)
    out = summarise_areas(table, parent=parent, population=population, domains=domains,
                          n_ranked=n_ranked, parent_level=parent_level)
    area = parent.reindex(table.index).dropna()
    weight = population.reindex(area.index).astype(float)
    for col in [c for c in table.columns if str(c).endswith("_rank")]:
        d = str(col)[: -len("_rank")]
        if f"{d}_extent" not in out.columns:
            continue
        for measure, v in _equal_count_measures(table, d, area, weight, n_ranked=n_ranked).items():
            out[f"{d}_{measure}"] = v.reindex(out.index).astype(float)
            out[f"{d}_{measure}_rank"] = _rank_of(out[f"{d}_{measure}"])
    out.attrs["bins"] = "equal_count"
    return out


def _equal_count_measures(table: pd.DataFrame, domain: str, area: pd.Series, weight: pd.Series,
                          *, n_ranked: int) -> dict[str, pd.Series]:
    """Proportion in decile 1 and extent of one domain by the index's equal-count bins."""
    rank = pd.to_numeric(table[f"{domain}_rank"], errors="coerce")
    if int(rank.notna().sum()) != n_ranked:
        msg = (f"`table` holds {int(rank.notna().sum())} ranks in {domain + '_rank'!r} but "
               f"`n_ranked` is {n_ranked}; equal-count bins need every ranked small area")
        raise InputError(msg)
    if f"{domain}_decile" in table.columns:
        decile = pd.to_numeric(table[f"{domain}_decile"], errors="coerce")
    else:
        decile = pd.Series(equal_count_bins(rank, n_bins=10), index=table.index)
    pct = equal_count_bins(rank, n_bins=100)
    ext = pd.Series(extent_weights(pct, n_ranked=100), index=table.index).reindex(area.index)
    return {"proportion_most_deprived_10": (decile.reindex(area.index) == 1).groupby(area).mean(),
            "extent": (weight * ext).groupby(area).sum() / weight.groupby(area).sum()}
