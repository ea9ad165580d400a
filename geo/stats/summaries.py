"""IoD-style area summaries of LSOA-level indicators.

MHCLG publishes, for every local authority, five summary measures of each domain of the English
Indices of Deprivation. This module computes them for any LSOA-level indicator and any parent
geography (LAD, upper-tier council, region, combined authority, or a user's own polygons).

For an area with LSOAs ``i``, population weights ``p_i``, scores ``s_i`` and national ranks ``r_i``
(1 = most deprived among the ``N`` ranked LSOAs; ``r'_i = N + 1 - r_i``, so a larger ``r'`` is more
deprived):

``average_score``
    ``sum(p * s) / sum(p)``.
``average_rank``
    ``sum(p * r') / sum(p)``; higher is more deprived, as in the official tables.
``proportion_most_deprived_10``
    Unweighted share of the area's LSOAs in the national most deprived 10 % (``r <= N / 10``,
    national decile 1).
``extent``
    Population-weighted share of LSOAs in the most deprived 30 %: weight 1 for national percentiles
    1-10, then linear from 0.95 at percentile 11 to 0.05 at percentile 30, 0 beyond
    (percentile ``= ceil(100 * r / N)``, 1 = most deprived).
``local_concentration``
    Population-weighted mean ``r'`` of the area's most deprived LSOAs that together hold exactly
    10 % of its population; the marginal LSOA counts only for the population still needed.

Each measure also gets ``<measure>_rank`` across the areas summarised: 1 = most deprived (largest
value), ties share the smallest rank (``method="min"``).

Verification against the official IoD 2019 local-authority summaries
--------------------------------------------------------------------
IoD 2019 LSOA ranks (N = 32,844) aggregated to LAD 2021 with ONS mid-2019 population, compared on
the 306 LAD 2019 codes that still exist in LAD 2021 (Buckinghamshire's four districts and
Northamptonshire's seven are merged into E06000060-62 and are left out):

* ``proportion_most_deprived_10`` equals the published ``Proportion`` to the 4 published decimals
  for IMD and all 7 domains (max abs diff 5e-5, i.e. rounding), and the published ranks,
  restricted to the 306 councils, equal ours exactly.
* IMD ``extent``: median abs diff 0.0009, max 0.017; Spearman correlation with the published values
  0.9998. The taper "0.95 at percentile 11 to 0.05 at percentile 30" fits; a 0.05 step
  (0.95 ... 0.00) fits three times worse.
* ``average_rank`` (IMD and the 7 domains): median relative difference 0.34-0.54 %, 95th
  percentile under 2 % (largest: Rutland 8 %, City of London 5 %), Spearman correlation with the
  published values above 0.9996; re-ranked among the 306 councils, the rank of average rank is
  off by a median of 1 place and at most 13.

The small gaps come from the weights: the official 2019 summaries used mid-2015 population
estimates (and 18-59/64 working-age counts for Employment), while this check uses mid-2019
estimates and 16-64. Unweighted measures match exactly. The measured tolerances are pinned in
``tests/test_summaries.py``. ``average_score`` cannot be checked this way (the mirror's IoD 2019
LSOA file has ranks only) and ``local_concentration`` is not in the mirror's official files: both
are tested on hand-computed examples. IDACI and IDAOPI summaries are published but their LSOA
ranks are not in the mirror.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable

import numpy as np
import pandas as pd

from geo._errors import InputError, SchemaError, format_codes
from geo.stats._frames import (
    _align_parent,
    _check_frame,
    _check_unique,
    _population_frame,
    _resolve_parent,
)

__all__ = ['IOD_DOMAINS', 'MEASURES', 'N_RANKED', 'DOMAIN_POPULATION', 'DEFAULT_POPULATION_COLUMN', 'select_population_weights', 'summarise_areas', 'extent_weights']


#: Domains of the English Indices of Deprivation, by their canonical (store) names.
IOD_DOMAINS: tuple[str, ...] = (
    "imd",
    "income",
    "employment",
    "education",
    "health",
    "crime",
    "housing",
    "environment",
)


#: The five summary measures, in output order.
MEASURES: tuple[str, ...] = (
    "average_score",
    "average_rank",
    "proportion_most_deprived_10",
    "extent",
    "local_concentration",
)


#: Number of LSOAs ranked nationally in each release (the ``N`` of ``r' = N + 1 - r``).
N_RANKED: dict[str, int] = {"iod2025": 33_755, "iod2019": 32_844}


#: Population column that weights each domain, as the IoD does: the working-age population for
#: Employment, children for IDACI-type indicators, older people for IDAOPI-type indicators, and the
#: total population for everything else (any domain not listed uses
#: :data:`DEFAULT_POPULATION_COLUMN`). Census 2021 bands: ``age_16_64`` stands in for the IoD's
#: working age (18-66 in 2025, 18-59/64 in 2019), ``age_65_plus`` for its 60+.
DOMAIN_POPULATION: dict[str, str] = {
    "imd": "population_total",
    "income": "population_total",
    "employment": "age_16_64",
    "education": "population_total",
    "health": "population_total",
    "crime": "population_total",
    "housing": "population_total",
    "environment": "population_total",
    "idaci": "age_0_15",
    "children_and_young_people": "age_0_15",
    "idaopi": "age_65_plus",
}


#: Weight column for any domain not in :data:`DOMAIN_POPULATION`.
DEFAULT_POPULATION_COLUMN = "population_total"


_SUFFIX = re.compile(r"^(?P<domain>.+)_(?P<kind>score|rank)$")


def select_population_weights(
    population: pd.DataFrame, domains: Iterable[str] = IOD_DOMAINS
) -> pd.DataFrame:
    """Pick each domain's population weight column from a population table.

    Parameters
    ----------
    population
        Indexed by LSOA code, with the columns named in :data:`DOMAIN_POPULATION` that the domains
        need (``population_total``, ``age_0_15``, ``age_16_64``, ``age_65_plus``).
    domains
        Domain names; those not in :data:`DOMAIN_POPULATION` are weighted by
        :data:`DEFAULT_POPULATION_COLUMN`.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``population``, one column per domain holding its weights.

    Raises
    ------
    SchemaError
        If a needed column is missing.

    Examples
    --------
    >>> pop = pd.DataFrame({"population_total": [10, 20], "age_16_64": [6, 12]}, index=["a", "b"])
    >>> select_population_weights(pop, ["imd", "employment"])["employment"].tolist()
    [6, 12]
    """
    _check_frame(population, "population")
    domains = list(domains)
    needed = {d: DOMAIN_POPULATION.get(d, DEFAULT_POPULATION_COLUMN) for d in domains}
    absent = sorted({c for c in needed.values() if c not in population.columns})
    if absent:
        msg = (
            f"`population` lacks column(s) {absent} needed to weight domains "
            f"{[d for d, c in needed.items() if c in absent]}; available: "
            f"{list(population.columns)}. Add them (see DOMAIN_POPULATION) or pass a Series of "
            "weights to use one weight for every domain"
        )
        raise SchemaError(msg)
    return pd.DataFrame({d: population[c] for d, c in needed.items()}, index=population.index)


def extent_weights(rank, *, n_ranked: int) -> np.ndarray:
    """The IoD extent weight of each national rank.

    Parameters
    ----------
    rank
        National ranks, 1 = most deprived.
    n_ranked
        Number of areas ranked nationally.

    Returns
    -------
    numpy.ndarray
        1 for percentiles 1-10, ``0.95 - 0.9 * (pct - 11) / 19`` for percentiles 11-30, else 0,
        with ``pct = ceil(100 * rank / n_ranked)``.

    Examples
    --------
    >>> extent_weights([100, 110, 300, 301], n_ranked=1000).round(4).tolist()
    [1.0, 0.95, 0.05, 0.0]
    """
    r = np.asarray(rank, dtype=float)
    pct = np.ceil(100.0 * r / n_ranked)
    taper = 0.95 - 0.9 * (pct - 11.0) / 19.0
    return np.where(pct <= 10, 1.0, np.where(pct <= 30, taper, 0.0))


def _detect_domains(columns: pd.Index) -> list[str]:
    found: dict[str, None] = {}
    for col in columns:
        m = _SUFFIX.match(str(col))
        if m:
            found[m.group("domain")] = None
    return list(found)


def _resolve_domains(table: pd.DataFrame, domains) -> list[str]:
    available = _detect_domains(table.columns)
    if domains is None:
        if not available:
            msg = (
                "`table` has no `<domain>_score` or `<domain>_rank` column; columns are "
                f"{list(table.columns)[:20]}. Rename to canonical names, e.g. imd_score, imd_rank"
            )
            raise SchemaError(msg)
        return available
    if isinstance(domains, str):
        domains = [domains]
    domains = list(dict.fromkeys(domains))
    unknown = [d for d in domains if d not in available]
    if unknown:
        msg = (
            f"`domains` {unknown} have neither a `<domain>_score` nor a `<domain>_rank` column in "
            f"`table`; domains available: {available}"
        )
        raise SchemaError(msg)
    return domains


def _rank_of(values: pd.Series) -> pd.Series:
    return values.rank(ascending=False, method="min", na_option="keep").astype("Int64")


def _local_concentration(area: pd.Series, weight: pd.Series, rprime: pd.Series) -> pd.Series:
    """Weighted mean r' of each area's most deprived LSOAs that hold 10 % of its population."""
    frame = pd.DataFrame({"area": area, "p": weight, "rp": rprime})
    frame = frame.sort_values(["area", "rp"], ascending=[True, False], kind="mergesort")
    target = 0.1 * frame.groupby("area", sort=False)["p"].transform("sum")
    before = frame.groupby("area", sort=False)["p"].cumsum() - frame["p"]
    used = (target - before).clip(lower=0.0).clip(upper=frame["p"])
    num = (used * frame["rp"]).groupby(frame["area"]).sum()
    den = used.groupby(frame["area"]).sum()
    return num / den.where(den > 0)


def summarise_areas(
    table: pd.DataFrame,
    *,
    parent: pd.Series,
    population: pd.Series | pd.DataFrame,
    domains: Iterable[str] | str | None = None,
    n_ranked: int | None = None,
    parent_level: str | None = None,
) -> pd.DataFrame:
    """Summarise LSOA-level deprivation for parent areas with the five IoD measures.

    Parameters
    ----------
    table
        Indexed by LSOA code, with ``<domain>_score`` and/or ``<domain>_rank`` columns (rank 1 =
        most deprived nationally). Other columns are ignored.
    parent
        LSOA code -> area code, named like ``"lad24_code"`` (or pass ``parent_level``). LSOAs
        without a parent are left out, counted in ``result.attrs["n_without_parent"]``.
    population
        Either a table with the columns of :data:`DOMAIN_POPULATION` (each domain weighted by
        its own column), a table with one column per domain (the output of
        :func:`select_population_weights`), or a Series used for every domain.
    domains
        Domain names; by default every ``<domain>`` with a ``_score`` or ``_rank`` column (a
        domain without ranks gets only ``average_score``, one without scores no such column).
    n_ranked
        ``N``, the LSOAs ranked nationally (:data:`N_RANKED`); inferred as the largest rank in
        ``table`` when omitted (with a warning unless it is a known release size).
    parent_level
        Level name of the areas, e.g. ``"lad24"``; overrides ``parent.name``.

    Returns
    -------
    pandas.DataFrame
        Indexed by area code (index name ``<level>_code``), columns ``<domain>_<measure>`` and
        ``<domain>_<measure>_rank`` (nullable integers, 1 = most deprived) for measure in
        :data:`MEASURES`.

    Raises
    ------
    DuplicateCodeError
        ``table``, ``parent`` or ``population`` repeat a code.
    SchemaError
        A domain has no score or rank column, or a population column is missing.
    InputError
        A used LSOA has a NaN score or rank, a rank outside ``1..N``, or no population.

    Warns
    -----
    UnmatchedCodesWarning
        Codes in ``table`` but not in ``parent`` (left out), or in ``parent`` but not in ``table``.

    Examples
    --------
    >>> t = pd.DataFrame({"imd_rank": [1, 5, 10]}, index=pd.Index(["a", "b", "c"], name="lsoa21_code"))
    >>> par = pd.Series(["X", "X", "Y"], index=t.index, name="lad24_code")
    >>> out = summarise_areas(t, parent=par, population=pd.Series(1.0, index=t.index), n_ranked=10)
    >>> out["imd_average_rank"].tolist()
    [8.0, 1.0]
    """
    _check_frame(table, "table")
    _check_unique(table.index, "table")
    domain_list = _resolve_domains(table, domains)
    parent, index_name = _resolve_parent(parent, parent_level)
    n_parent_nan = int(parent.isna().sum())
    area = _align_parent(table.index, parent)
    rank_cols = [f"{d}_rank" for d in domain_list if f"{d}_rank" in table.columns]
    data = table.loc[area.index, rank_cols + [f"{d}_score" for d in domain_list
                                              if f"{d}_score" in table.columns]]
    data = data.apply(pd.to_numeric, errors="coerce")
    n_ranked = _check_values(table, data, rank_cols, n_ranked)
    weight_of = _weights_by_domain(population, area.index, domain_list)
    areas = pd.Index(sorted(area.unique()), name=index_name)
    result = pd.concat([_measure_columns(d, _domain_measures(d, data, area, weight_of[d], n_ranked),
                                         areas) for d in domain_list], axis=1)
    result.attrs["n_ranked"] = n_ranked
    result.attrs["n_without_parent"] = n_parent_nan
    return result


def _measure_columns(domain: str, values: dict[str, pd.Series], areas: pd.Index) -> pd.DataFrame:
    """``<domain>_<measure>`` and its ``_rank`` for each measure computed, in MEASURES order."""
    out: dict[str, pd.Series] = {}
    for measure in MEASURES:
        if measure in values:
            v = values[measure].reindex(areas).astype(float)
            out[f"{domain}_{measure}"] = v
            out[f"{domain}_{measure}_rank"] = _rank_of(v)
    return pd.DataFrame(out, index=areas)


def _check_values(table: pd.DataFrame, data: pd.DataFrame, rank_cols: list[str],
                  n_ranked: int | None) -> int | None:
    """Report every NaN or out-of-range value at once; return ``n_ranked`` (inferred if None)."""
    codes = data.index
    problems: list[str] = []
    for col in data.columns:
        nan = codes[data[col].isna().to_numpy()]
        if len(nan):
            problems.append(f"{len(nan)} NaN in {col!r}: {format_codes(nan)}")
    inferred = False
    if rank_cols:
        if n_ranked is None:
            n_ranked = int(table[rank_cols].apply(pd.to_numeric, errors="coerce").max().max())
            inferred = True
        elif not isinstance(n_ranked, int | np.integer) or n_ranked < 1:
            msg = f"`n_ranked` must be a positive integer such as 33_755; got {n_ranked!r}"
            raise InputError(msg)
        for col in rank_cols:
            bad = codes[((data[col] < 1) | (data[col] > n_ranked)).to_numpy()]
            if len(bad):
                problems.append(f"{len(bad)} rank(s) outside 1..{n_ranked} in {col!r}: "
                                f"{format_codes(bad)}")
    if problems:
        msg = ("`table` has values that cannot be summarised: " + "; ".join(problems)
               + ". Drop those LSOAs or fill them before summarising")
        raise InputError(msg)
    if inferred and n_ranked not in N_RANKED.values():
        msg = (
            f"`n_ranked` was inferred as {n_ranked} from the largest rank in `table`, which is not "
            f"the size of a known release {N_RANKED}; pass n_ranked explicitly if `table` does not "
            "hold every ranked LSOA"
        )
        warnings.warn(msg, UserWarning, stacklevel=3)
    return n_ranked


def _weights_by_domain(population, codes: pd.Index, domains: list[str]) -> dict[str, pd.Series]:
    """The population weight Series of each domain (its own column, or one Series for all)."""
    if isinstance(population, pd.DataFrame):
        _check_unique(population.index, "population")
        if all(d in population.columns for d in domains):
            cols = {d: d for d in domains}  # the output of select_population_weights
        else:
            cols = {d: DOMAIN_POPULATION.get(d, DEFAULT_POPULATION_COLUMN) for d in domains}
        weights = _population_frame(population, codes, list(cols.values()))
        return {d: weights[c] for d, c in cols.items()}
    weights = _population_frame(population, codes, ["weight"])
    return {d: weights["weight"] for d in domains}


def _domain_measures(domain: str, data: pd.DataFrame, area: pd.Series, p: pd.Series,
                     n_ranked: int | None) -> dict[str, pd.Series]:
    """The five measures of one domain by area (those its columns allow)."""
    total = p.groupby(area).sum()
    total = total.where(total > 0)
    values: dict[str, pd.Series] = {}
    if f"{domain}_score" in data.columns:
        values["average_score"] = (p * data[f"{domain}_score"]).groupby(area).sum() / total
    if f"{domain}_rank" in data.columns and n_ranked is not None:
        r = data[f"{domain}_rank"]
        rprime = n_ranked + 1 - r
        values["average_rank"] = (p * rprime).groupby(area).sum() / total
        values["proportion_most_deprived_10"] = (r <= n_ranked / 10).groupby(area).mean()
        ext = pd.Series(extent_weights(r, n_ranked=n_ranked), index=data.index)
        values["extent"] = (p * ext).groupby(area).sum() / total
        values["local_concentration"] = _local_concentration(area, p, rprime)
    return values
