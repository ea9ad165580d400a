"""Comparing places: statistical neighbours, confidence intervals and verdicts against a benchmark.

- :func:`statistical_neighbours` finds the areas most alike on a set of variables (standardised
  Euclidean distance) and says how much each variable contributes to each distance.
- :func:`wilson_interval` and :func:`percent_interval` give Wilson score intervals of proportions.
- :func:`compare_to` turns values and intervals into ``better`` / ``similar`` / ``worse`` /
  ``not tested`` against a reference.
- :func:`compare_area` puts one area beside England, its region and its neighbours, indicator by
  indicator.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from statistics import NormalDist

import numpy as np
import pandas as pd

from geo._errors import InputError, SchemaError, format_codes
from geo.stats._validate import POLARITIES, _polarity_sign
from geo.stats.neighbours import _unknown_code

__all__ = ['POLARITIES', 'VERDICTS', 'compare_area', 'compare_to', 'percent_interval', 'wilson_interval']


VERDICTS = ("better", "similar", "worse", "not tested")


_CATALOGUE_COLUMNS = ("label", "unit", "polarity", "life_stage", "principle")


def _polarity(polarity: str) -> int:
    return _polarity_sign(polarity)


def _as_array(x, name: str) -> np.ndarray:
    try:
        return np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"`{name}` must be numbers; got {type(x).__name__}") from None


def wilson_interval(successes, n, *, confidence: float = 0.95):
    """Wilson score interval of a proportion ``successes / n``, vectorised.

    Parameters
    ----------
    successes
        Count(s) of "successes" (may be non-integer, e.g. ``percent * n / 100``).
    n
        Denominator(s), broadcast against ``successes``. NaN or 0 gives NaN.
    confidence
        Two-sided confidence level in (0, 1).

    Returns
    -------
    tuple
        ``(low, high)`` as proportions in [0, 1]: Series indexed like ``successes`` when it is a
        Series, else arrays (floats for scalar input).

    Raises
    ------
    InputError
        Negative counts, ``successes > n`` or a confidence outside (0, 1).

    Examples
    --------
    >>> [round(v, 4) for v in wilson_interval(5, 10)]
    [0.2366, 0.7634]
    """
    if not 0 < confidence < 1:
        raise InputError(f"`confidence` must be between 0 and 1, e.g. 0.95; got {confidence!r}")
    s, m = np.broadcast_arrays(_as_array(successes, "successes"), _as_array(n, "n"))
    with np.errstate(invalid="ignore"):
        bad = (s < 0) | (m < 0) | (s > m * (1 + 1e-9))
    if bad.any():
        raise InputError(f"`successes` must be between 0 and `n`; {int(bad.sum())} values are not "
                         f"(e.g. {s[bad].flat[0]:g} of {m[bad].flat[0]:g})")
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = np.where(m > 0, m, np.nan)
        p = np.clip(s / m, 0, 1)
        denom = 1 + z * z / m
        centre = (p + z * z / (2 * m)) / denom
        half = z * np.sqrt(p * (1 - p) / m + z * z / (4 * m * m)) / denom
    low = np.where(s == 0, 0.0, np.clip(centre - half, 0, 1))  # exact ends at p = 0 and p = 1
    high = np.where(s >= m, 1.0, np.clip(centre + half, 0, 1))
    low, high = np.where(np.isnan(p), np.nan, low), np.where(np.isnan(p), np.nan, high)
    if isinstance(successes, pd.Series):
        return pd.Series(low, index=successes.index), pd.Series(high, index=successes.index)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def percent_interval(percent: pd.Series, n, *, confidence: float = 0.95) -> pd.DataFrame:
    """Wilson interval for published percentages with their denominators, in percent.

    Used for DfE NEET rates: ``NEET_percent`` of ``Cohort_DJFavg`` young people gives
    ``NEET_percent * Cohort_DJFavg / 100`` successes. Rounding of the published percentage is not
    propagated.

    Parameters
    ----------
    percent
        Percentages (0-100), indexed by area code.
    n
        Denominators, aligned with ``percent`` (a Series is aligned by index).
    confidence
        Two-sided confidence level.

    Returns
    -------
    DataFrame
        ``lower`` and ``upper`` in percent, indexed like ``percent``.

    Examples
    --------
    >>> percent_interval(pd.Series([3.4]), [1_335_160]).round(3).to_numpy().tolist()
    [[3.369, 3.431]]
    """
    percent = pd.Series(percent, dtype=float) if not isinstance(percent, pd.Series) else percent
    n = n.reindex(percent.index) if isinstance(n, pd.Series) else n
    pct = percent.astype(float)
    if ((pct < 0) | (pct > 100)).any():
        raise InputError("`percent` must be between 0 and 100; "
                         f"got {format_codes(pct[(pct < 0) | (pct > 100)].index)}")
    denominator = _as_array(n, "n")
    low, high = wilson_interval(pct.to_numpy() * denominator / 100, denominator,
                                confidence=confidence)
    return pd.DataFrame({"lower": np.asarray(low) * 100, "upper": np.asarray(high) * 100},
                        index=percent.index)


def _aligned(x, index: pd.Index, name: str) -> np.ndarray | None:
    if x is None:
        return None
    if isinstance(x, pd.Series):
        return x.reindex(index).to_numpy(dtype=float)
    return np.broadcast_to(_as_array(x, name), (len(index),))


def compare_to(values, *, reference, polarity: str, lower=None, upper=None, ref_lower=None,
               ref_upper=None) -> pd.Series:
    """Verdicts ``better`` / ``similar`` / ``worse`` / ``not tested`` of each value against a reference.

    The rule, in this order:

    1. both the area's interval (``lower``, ``upper``) and the reference's (``ref_lower``,
       ``ref_upper``) known: significant when the two intervals do not overlap (conservative);
    2. only the area's interval: significant when the reference lies outside it (the rule of
       OHID Fingertips, which treats England's value as exact);
    3. only the reference's interval: significant when the value lies outside it;
    4. no interval, or any needed number missing: ``not tested``.

    A significant difference is ``worse`` or ``better`` by ``polarity``; otherwise ``similar``.

    Parameters
    ----------
    values
        Area values (a Series indexed by area code, or array-like).
    reference
        A scalar (e.g. England) or a Series aligned by index (e.g. each area's region).
    polarity
        ``"higher_worse"`` or ``"higher_better"``.
    lower, upper, ref_lower, ref_upper
        Interval bounds in the units of ``values``: scalars, arrays or Series (aligned by index).

    Returns
    -------
    Series
        Named ``verdict``, indexed like ``values``.

    Examples
    --------
    >>> compare_to(pd.Series([5.0, 3.5, 2.0]), reference=3.4, polarity="higher_worse",
    ...            lower=[4.0, 3.0, 1.5], upper=[6.0, 4.0, 2.5]).tolist()
    ['worse', 'similar', 'better']
    """
    sign = _polarity(polarity)
    values = values if isinstance(values, pd.Series) else pd.Series(_as_array(values, "values"))
    index = values.index
    v = values.to_numpy(dtype=float)
    ref = _aligned(reference, index, "reference")
    lo, hi = _aligned(lower, index, "lower"), _aligned(upper, index, "upper")
    rlo, rhi = _aligned(ref_lower, index, "ref_lower"), _aligned(ref_upper, index, "ref_upper")
    if (lo is None) != (hi is None) or (rlo is None) != (rhi is None):
        raise InputError("Give both `lower` and `upper` (and both `ref_lower` and `ref_upper`), or "
                         "neither")
    with np.errstate(invalid="ignore"):
        if lo is not None and rlo is not None and hi is not None and rhi is not None:
            significant = (lo > rhi) | (hi < rlo)
            tested = ~np.isnan(lo + hi + rlo + rhi)
        elif lo is not None and hi is not None:
            significant = (ref < lo) | (ref > hi)
            tested = ~np.isnan(lo + hi + ref)
        elif rlo is not None and rhi is not None:
            significant = (v < rlo) | (v > rhi)
            tested = ~np.isnan(rlo + rhi)
        else:
            significant = tested = np.zeros(len(index), dtype=bool)
        tested &= ~np.isnan(v + ref)
        direction = np.sign(v - ref) * sign
    verdict = np.where(significant & (direction > 0), "worse",
                       np.where(significant & (direction < 0), "better", "similar"))
    verdict = np.where(tested, verdict, "not tested")
    return pd.Series(verdict, index=index, name="verdict", dtype=object)


def compare_area(code: str, *, table: pd.DataFrame, catalogue: pd.DataFrame,
                 region_of: Mapping[str, str] | pd.Series, neighbours: Iterable[str] | pd.DataFrame,
                 intervals: Mapping[str, pd.DataFrame] | None = None,
                 england: Mapping[str, float] | pd.Series | None = None,
                 england_code: str = "E92000001",
                 shared: Mapping[str, pd.Series] | None = None) -> pd.DataFrame:
    """One area beside England, its region and its statistical neighbours, per indicator.

    Parameters
    ----------
    code
        The area.
    table
        Indexed by area code, one column per indicator id of ``catalogue``. It may also hold rows
        for England (``england_code``) and regions (codes in ``region_of``'s values): published
        values there are used as the benchmarks.
    catalogue
        Indexed by indicator id, with columns ``label``, ``unit``, ``polarity``, ``life_stage``,
        ``principle`` (see ``geo.catalogue()``).
    region_of
        Area code -> region code.
    neighbours
        Codes of the comparator areas (or the frame returned by :func:`statistical_neighbours`).
    intervals
        Optional indicator id -> DataFrame with ``lower`` and ``upper`` indexed by code (including
        England's and regions' rows where known), e.g. from :func:`percent_interval`.
    england
        England's value per indicator; default the ``england_code`` row, else the unweighted mean
        of areas (said in ``england_source``).
    england_code
        Code of England's row in ``table``.
    shared
        Indicator id -> (area code -> the larger area whose figure it carries): ranked once.

    Returns
    -------
    DataFrame
        Indexed by ``indicator`` in catalogue order: ``label``, ``unit``, ``polarity``,
        ``life_stage``, ``principle``, ``value``, ``england``, ``england_source``, ``region_code``,
        ``region``, ``region_source``, ``neighbours_mean``, ``neighbours_n``, ``rank`` (1 = worst
        among areas, by polarity), ``n_ranked``, ``vs_england``, ``vs_region``, ``vs_neighbours``
        (verdicts of :func:`compare_to`; against neighbours the mean is treated as exact).

    Raises
    ------
    InputError
        Unknown code or neighbour codes, no region for ``code``, indicators missing from the
        catalogue.
    SchemaError
        Catalogue without the required columns.
    """
    areas, region, in_region, neighbours = _check_compare(
        code, table=table, catalogue=catalogue, region_of=region_of, neighbours=neighbours,
        england_code=england_code)
    intervals = intervals or {}
    rows = []
    for ind in [i for i in catalogue.index if i in table.columns]:
        col = pd.to_numeric(table[ind], errors="coerce")
        area_values = col.reindex(areas)
        given = england[ind] if england is not None and ind in england else None
        eng, eng_source = _benchmark(col, england_code, areas, given)
        reg, reg_source = _benchmark(col, region, in_region, None)
        meta, iv = catalogue.loc[ind], intervals.get(ind)
        rank, n_ranked = _rank_of(code, area_values, meta["polarity"], (shared or {}).get(ind))
        judge = _Verdicts(code, float(col[code]), meta["polarity"],
                          iv.reindex([code, england_code, region]) if iv is not None else None)
        nb = col.reindex(neighbours).dropna()
        nb_mean = float(nb.mean()) if len(nb) else np.nan
        rows.append({
            "indicator": ind, **{c: meta[c] for c in _CATALOGUE_COLUMNS},
            "value": float(col[code]), "england": eng, "england_source": eng_source,
            "region_code": region, "region": reg, "region_source": reg_source,
            "neighbours_mean": nb_mean, "neighbours_n": len(nb), "rank": rank, "n_ranked": n_ranked,
            "vs_england": judge(eng, england_code if eng_source == "published" else None),
            "vs_region": judge(reg, region if reg_source == "published" else None),
            "vs_neighbours": judge(nb_mean),
        })
    if not rows:
        raise InputError("`table` has no column that is an indicator id of `catalogue`")
    return pd.DataFrame(rows).set_index("indicator")


def _rank_of(code: str, values: pd.Series, polarity: str, shared: pd.Series | None
             ) -> tuple[float, int]:
    """The rank of ``code`` among ``values`` (1 = worst by ``polarity``) and how many are
    ranked; areas that carry one figure (the same ``shared`` key) count once, ``code`` for its
    own."""
    ranked = values
    if shared is not None:
        key = shared.reindex(values.index)
        own = key.get(code)
        once = ~key.duplicated() & (key != own) if pd.notna(own) else ~key.duplicated()
        ranked = values[key.isna() | once | (values.index == code)]
    ranks = (ranked * _polarity(polarity)).rank(ascending=False, method="min")
    return ranks[code], int(ranked.notna().sum())


def _benchmark(col: pd.Series, code: str, members: pd.Index, given: float | None
               ) -> tuple[float, str]:
    """A benchmark value and where it comes from: given, published in ``col``, or a mean."""
    if given is not None:
        return float(given), "given"
    if code in col.index and pd.notna(col.get(code)):
        return float(col[code]), "published"
    return float(col.reindex(members).mean()), "mean of areas"


class _Verdicts:
    """The verdict of one area's value against a benchmark, with the intervals known for it."""

    def __init__(self, code: str, value: float, polarity: str, bounds: pd.DataFrame | None):
        self.code, self.value, self.polarity, self.bounds = code, value, polarity, bounds

    def __call__(self, reference: float, ref_code: str | None = None) -> str:
        bounds = self.bounds
        if bounds is None:
            return "not tested"
        kw = {"lower": bounds.at[self.code, "lower"], "upper": bounds.at[self.code, "upper"]}
        if ref_code is not None and pd.notna(bounds.at[ref_code, "lower"]):
            kw |= {"ref_lower": bounds.at[ref_code, "lower"],
                   "ref_upper": bounds.at[ref_code, "upper"]}
        return compare_to(pd.Series([self.value]), reference=reference, polarity=self.polarity,
                          **kw).iloc[0]


def _check_compare(code: str, *, table: pd.DataFrame, catalogue: pd.DataFrame,
                   region_of: Mapping[str, str] | pd.Series,
                   neighbours: Iterable[str] | pd.DataFrame, england_code: str
                   ) -> tuple[pd.Index, str, pd.Index, list]:
    """Validate :func:`compare_area`'s inputs; return areas, region, its areas and neighbours."""
    missing_cols = [c for c in _CATALOGUE_COLUMNS if c not in catalogue.columns]
    if missing_cols:
        raise SchemaError(f"`catalogue` lacks columns {missing_cols}; it needs "
                          f"{list(_CATALOGUE_COLUMNS)} (see geo.catalogue())")
    if not table.index.is_unique:
        raise InputError("`table` index must be unique codes; repeated: "
                         f"{format_codes(table.index[table.index.duplicated()].unique())}")
    not_catalogued = [c for c in table.columns if c not in catalogue.index]
    if not_catalogued:
        raise InputError(f"`table` columns {not_catalogued} are not indicator ids of `catalogue`; "
                         "rename them to ids such as 'neet2025.neet_percent' or drop them")
    if not isinstance(region_of, pd.Series):
        region_of = pd.Series(region_of, dtype=object)
    region_codes = set(region_of.dropna().astype(str))
    areas = table.index[~table.index.isin([england_code, *region_codes])]
    if code not in areas:
        raise _unknown_code(code, areas, None, "`table`")
    if code not in region_of.index or pd.isna(region_of[code]):
        raise InputError(f"`region_of` has no region for {code!r}; pass a mapping of every area "
                         "to its region code")
    region = str(region_of[code])
    neighbours = list(neighbours.index if isinstance(neighbours, pd.DataFrame) else neighbours)
    strangers = [c for c in neighbours if c not in areas]
    if strangers:
        raise InputError(f"`neighbours` codes not in `table`: {format_codes(strangers)}")
    in_region = areas[region_of.reindex(areas).astype(object) == region]
    return areas, region, in_region, neighbours
