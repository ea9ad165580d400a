"""Council profiles: each measure of a council beside England, its region and its neighbours.

Pure functions behind the "My council" and "Compare places" pages. They take the store's tables
(``geo.load_indicators(name)``) as a mapping ``{name: DataFrame}``, so tests pass tiny synthetic
ones. Measures have level-free ids (``summary.<column>`` for the IoD-style summaries, published
for lower- and upper-tier councils, regions and England; catalogue ids otherwise); a profile
sets a council beside England, its region and its statistical neighbours with better / similar /
worse verdicts where a Wilson interval exists (:func:`geo.stats.intervals.compare_area`).
Readable tables, sentences and spine-chart data of profiles are in :mod:`geo.profile_tables`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

import boundaries
from geo._errors import InputError, UnmatchedCodesWarning, format_codes
from geo.stats.intervals import compare_area, compare_to, percent_interval
from geo.stats.neighbours import DEFAULT_NEIGHBOUR_VARIABLES, statistical_neighbours

__all__ = [
    "ENGLAND_CODE", "LIFE_STAGES", "PRINCIPLES", "PROFILE_MEASURES", "NEIGHBOUR_LABELS",
    "council_measures", "measure_values", "comparison_table", "cohort_intervals",
    "council_neighbours",
    "council_profile", "iod_summary_ranks", "neet_comparison", "neighbour_reasons",
]

ENGLAND_CODE = "E92000001"
#: The nation of a council outside England's regions stands for its region (GSS country codes).
NATION_CODES = {"E": ENGLAND_CODE, "W": "W92000004", "S": "S92000003", "N": "N92000002"}
#: Life stages and principles of the catalogue, in the order the pages show them.
LIFE_STAGES = {"early_years": "Early years", "school": "School", "youth": "Youth",
               "adulthood": "Adulthood", "all_ages": "All ages"}
PRINCIPLES = {"equity": "Equity", "place": "Place",
              "beyond_school_gates": "Beyond the school gates", "lifelong": "Lifelong learning"}
#: The measures of a council profile, grouped later by life stage (level-free ids).
PROFILE_MEASURES = (
    "smc_ci1.conditions_of_childhood_2018_2024", "summary.education_average_score",
    "neet2025.attainment8", "neet2025.persistent_absence_percent",
    "ks2_2022.ks2_disadvantaged_pct", "ks2_2022.ks2_gap_ppt",
    "neet2025.neet_or_not_known_percent", "neet2025.neet_percent",
    "neet2025.participation_percent", "neet2025.level3_at_19_percent",
    "smc_ci2.labour_market_young_people_2018_2024", "smc_ci4.promising_prospects_2021_2024",
    "summary.employment_average_score", "smc_ci3.innovation_and_growth_2018_2024",
    "summary.imd_average_score", "summary.imd_extent", "summary.imd_proportion_most_deprived_10",
    "summary.income_average_score", "summary.health_average_score",
    "summary.crime_average_score", "summary.housing_average_score",
    "summary.environment_average_score", "summary.compounded_share_population",
    "summary.persistent_share_population",
)
#: DfE measures whose denominator is the published 16-17 cohort (``cohort``): Wilson intervals.
COHORT_COLUMNS = ("neet_percent", "not_known_percent", "neet_or_not_known_percent",
                  "participation_percent", "apprenticeship_percent")
#: Readable names of the statistical-neighbour variables.
NEIGHBOUR_LABELS = {
    "imd_average_score": "IMD score", "income_average_score": "income score",
    "employment_average_score": "employment score", "education_average_score": "education score",
    "health_average_score": "health score", "population_density": "people per km²",
    "share_age_65_plus": "share aged 65+", "share_age_0_15": "share aged 0-15",
}
_LEVELS = ("lad24", "utla24")
_SHARE_UNITS = {"share of population": "% of people", "share of LSOAs": "% of LSOAs"}
_IOD_MEASURES = {
    "average_score": "Average score", "average_rank": "Average rank",
    "proportion_most_deprived_10": "LSOAs in most deprived 10%", "extent": "Extent",
    "local_concentration": "Local concentration",
}
_DOMAINS = {"imd": "Index of Multiple Deprivation", "income": "Income",
            "employment": "Employment", "education": "Education, skills and training",
            "health": "Health and disability", "crime": "Crime",
            "housing": "Barriers to housing and services", "environment": "Living environment"}


# ----------------------------------------------------------------------------- measures


def _published(tables: Mapping[str, pd.DataFrame], meta: pd.Series, level: str) -> list:
    """The measure's tables at ``level``, for regions and for England (those present), with
    text codes."""
    names = [meta[level], meta["region"], meta["england"]]
    return [tables[n].set_axis(tables[n].index.astype(str)) for n in names
            if n and n in tables and meta["column"] in tables[n].columns]


def _first(parts: list) -> Any:
    """Concatenate, keeping the first row of each code."""
    joined = pd.concat(parts)
    return joined[~joined.index.duplicated(keep="first")]


def council_measures(catalogue: pd.DataFrame) -> pd.DataFrame:
    """Every indicator published for councils, with its tables per level and display scale.

    Parameters
    ----------
    catalogue
        ``geo.catalogue()``: indexed by indicator id with ``dataset``, ``column``, ``label``,
        ``unit``, ``polarity``, ``life_stage``, ``principle``, ``level``.

    Returns
    -------
    pandas.DataFrame
        By measure id (``summary.<column>`` for the IoD-style summaries, else the catalogue id):
        ``label``, ``unit`` (shares shown as ``"% of people"`` / ``"% of LSOAs"``), ``factor``
        (100 for shares), ``polarity``, ``life_stage``, ``principle``, ``column``, ``level``
        (the finest council level) and the table names ``lad24``, ``utla24``, ``region``,
        ``england`` ("" where not published). Raises InputError for a catalogue without the
        columns named above.
    """
    needed = ["dataset", "column", "label", "unit", "polarity", "life_stage", "principle", "level"]
    absent = [c for c in needed if c not in getattr(catalogue, "columns", [])]
    if absent:
        msg = f"`catalogue` lacks columns {absent}; pass geo.catalogue()."
        raise InputError(msg)
    rows = []
    utla_summary = set(catalogue.loc[catalogue["dataset"] == "summary_utla24", "column"])
    for ident, meta in catalogue[catalogue["level"].isin(_LEVELS)].iterrows():
        dataset, column = str(meta["dataset"]), str(meta["column"])
        if dataset == "summary_utla24":
            continue  # the same measures as summary_lad24, one level up
        unit = str(meta["unit"])
        row = {"label": meta["label"], "unit": _SHARE_UNITS.get(unit, unit),
               "factor": 100.0 if unit in _SHARE_UNITS else 1.0, "polarity": meta["polarity"],
               "life_stage": meta["life_stage"], "principle": meta["principle"],
               "column": column, "level": meta["level"], "lad24": "", "utla24": "",
               "region": "", "england": ""}
        if dataset == "summary_lad24":
            row.update(lad24=dataset, region="summary_region", england="summary_england",
                       utla24="summary_utla24" if column in utla_summary else "")
            rows.append({"id": f"summary.{column}", **row})
            continue
        row[str(meta["level"])] = dataset
        if dataset.startswith("neet"):
            row.update(region=f"{dataset}_regions", england=f"{dataset}_england")
        rows.append({"id": ident, **row})
    return pd.DataFrame(rows).set_index("id")


def measure_values(table: pd.DataFrame, measure: pd.Series) -> pd.Series:
    """A measure's values in display units (times its ``factor``), named ``value``.

    ``table`` is the measure's table at its finest level (``measure[measure["level"]]``),
    ``measure`` its row of :func:`council_measures`.
    """
    values = pd.to_numeric(table[measure["column"]], errors="coerce") * float(measure["factor"])
    return values.rename("value")


def comparison_table(tables: Mapping[str, pd.DataFrame], measures: pd.DataFrame, *,
                     level: str) -> pd.DataFrame:
    """One level's councils, the regions and England, one column per measure (display units).

    ``tables`` holds store tables by name (``summary_lad24``, ``summary_region``,
    ``summary_england``, ``neet2025``, ``neet2025_regions``, ...; missing ones are skipped),
    ``measures`` comes from :func:`council_measures`, ``level`` is ``"lad24"`` or ``"utla24"``
    (anything else raises InputError).

    Returns
    -------
    pandas.DataFrame
        By ``<level>_code``: the councils of ``level``, the regions (E12) and England
        (E92000001) where published or summarised, values times each measure's ``factor``.
    """
    if level not in _LEVELS:
        msg = f"`level` must be one of {list(_LEVELS)}; got {level!r}."
        raise InputError(msg)
    columns = {}
    for ident, meta in measures.iterrows():
        dataset = meta[level]
        if not dataset or dataset not in tables or meta["column"] not in tables[dataset]:
            continue
        parts = [pd.to_numeric(t[meta["column"]], errors="coerce") * float(meta["factor"])
                 for t in _published(tables, meta, level)]
        columns[ident] = _first(parts)
    out = pd.DataFrame(columns)
    out.index.name = f"{level}_code"
    return out


def cohort_intervals(tables: Mapping[str, pd.DataFrame], measures: pd.DataFrame, *, level: str,
                     confidence: float = 0.95) -> dict[str, pd.DataFrame]:
    """Wilson intervals of the DfE percentages whose denominator (``cohort``) is published.

    Only the measures of :data:`COHORT_COLUMNS` (NEET, not known, participation,
    apprenticeships of 16-17 year olds) qualify: the published ``cohort`` is their denominator.

    Returns
    -------
    dict
        Measure id -> DataFrame ``lower``, ``upper`` (percent) indexed by code, including
        regions and England where published.
    """
    out = {}
    for ident, meta in measures.iterrows():
        if meta["column"] not in COHORT_COLUMNS or meta.get(level, "") not in tables:
            continue
        frames = []
        for table in _published(tables, meta, level):
            pct = pd.to_numeric(table[meta["column"]], errors="coerce")
            n = pd.to_numeric(table.get("cohort", np.nan), errors="coerce")
            ok = pct.notna() & n.notna() & (n > 0)
            frames.append(percent_interval(pct[ok], n[ok], confidence=confidence))
        if frames:
            out[ident] = _first(frames)
    return out


# ----------------------------------------------------------------------------- profiles


def council_neighbours(summary: pd.DataFrame, code: str, *, k: int = 10,
                       variables: Sequence[str] = DEFAULT_NEIGHBOUR_VARIABLES) -> pd.DataFrame:
    """The ``k`` statistical neighbours of ``code`` among the councils of ``summary``.

    :func:`geo.stats.neighbours.statistical_neighbours` on the store's ``summary_lad24`` (or
    ``summary_utla24``) table, leaving out councils without every variable (said in an
    :class:`~geo._errors.UnmatchedCodesWarning` from that function, silenced here); fewer
    than ``k`` when fewer other councils have every variable.

    Returns
    -------
    pandas.DataFrame
        As :func:`geo.stats.neighbours.statistical_neighbours`, plus ``name`` when ``summary`` has it.
    """
    frame = summary[[v for v in variables if v in summary.columns]
                    + (["name"] if "name" in summary.columns else [])]
    complete = int(frame[[v for v in variables if v in frame.columns]].notna().all(axis=1).sum())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnmatchedCodesWarning)
        out = statistical_neighbours(frame, code, variables=variables,
                                     k=max(1, min(k, complete - 1)), missing="drop")
    if "name" in summary.columns:
        out.insert(0, "name", summary["name"].reindex(out.index))
    return out


def council_profile(code: str, *, tables: Mapping[str, pd.DataFrame], measures: pd.DataFrame,
                    councils: pd.DataFrame, ids: Sequence[str] = PROFILE_MEASURES,
                    k: int = 10) -> pd.DataFrame:
    """One council beside England, its region and its statistical neighbours, per measure.

    A lower-tier council gets its own figures where they are published for lower-tier
    councils (IoD summaries, Social Mobility Commission indices) and its upper-tier council's
    for the rest (DfE figures); an upper-tier council gets its own.

    Parameters
    ----------
    code
        A council code of ``councils``.
    tables, measures
        As in :func:`comparison_table`.
    councils
        :func:`geo.council.councils_table`: by council code (both tiers), ``level``,
        ``region_code`` and ``utla24_code`` (the council's own for an upper-tier one).
    ids, k
        Measures to include, in order; number of statistical neighbours (``summary_<level>``).

    Returns
    -------
    pandas.DataFrame
        Indexed by measure id (in ``ids`` order, those with a value): the columns of
        :func:`geo.stats.intervals.compare_area` plus ``area_code`` (whose figure it is), ``level``,
        ``lower`` / ``upper`` (the council's interval), ``england_lower`` / ``england_upper``
        and ``neighbours`` (``";"``-joined codes).

    Raises
    ------
    InputError
        Unknown council code.
    """
    if code not in councils.index:
        pool = list(councils.index)
        msg = f"`code` {code!r} is not a council code here ({len(pool)} councils, e.g. {format_codes(pool, limit=3)})."
        raise InputError(msg)
    level, parent = (str(v) for v in councils.loc[code, ["level", "utla24_code"]])
    parts: list[pd.DataFrame] = []
    for lvl, area in ((level, code), ("utla24", parent)):
        if lvl == "utla24" and level == "utla24" and parts:
            break
        table = comparison_table(tables, measures.loc[[i for i in ids if i in measures.index]],
                                 level=lvl)
        wanted = [i for i in ids if i in table.columns and not any(i in p.index for p in parts)]
        if area not in table.index or not wanted:
            continue
        wanted = [i for i in wanted if pd.notna(table.at[area, i])]
        if not wanted:
            continue
        # every council has a region: its English region, else its nation (Wales, Scotland,
        # Northern Ireland have no regions); a unitary authority is in both tiers
        nation = boundaries.country_of(councils.index).map(NATION_CODES)
        region_of = councils["region_code"].fillna(nation).dropna().astype(str)
        summary = tables.get(f"summary_{lvl}")
        neighbours: list[str] = []
        if summary is not None and area in summary.index:
            nb = council_neighbours(summary, area, k=k)
            neighbours = [c for c in nb.index if c in table.index]
        intervals = cohort_intervals(tables, measures.loc[wanted], level=lvl)
        res = compare_area(area, table=table[wanted], catalogue=measures.loc[wanted],
                           region_of=region_of, neighbours=neighbours, intervals=intervals,
                           england_code=ENGLAND_CODE)
        res["area_code"], res["level"] = area, lvl
        res["neighbours"] = ";".join(neighbours)
        for prefix, row in (("", area), ("england_", ENGLAND_CODE)):
            for which in ("lower", "upper"):
                res[prefix + which] = [intervals[i].at[row, which] if i in intervals
                                       and row in intervals[i].index else np.nan
                                       for i in res.index]
        parts.append(res)
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts)
    out = out.loc[[i for i in ids if i in out.index]]
    out.index.name = "indicator"
    return out



def iod_summary_ranks(summary: pd.DataFrame, code: str) -> pd.DataFrame:
    """The council's rank on each IoD-style summary measure of each domain (1 = most deprived).

    ``summary`` is the store's ``summary_lad24`` or ``summary_utla24`` table (with
    ``<domain>_<measure>_rank`` columns); ``code`` the council (InputError when unknown).

    Returns
    -------
    pandas.DataFrame
        Indexed by domain name (IMD first), one column per measure, text like ``"3 of 296"``.
    """
    if code not in summary.index:
        msg = f"`code` {code!r} is not in the summary table ({len(summary)} councils)."
        raise InputError(msg)
    out = pd.DataFrame(index=pd.Index(list(_DOMAINS.values()), name="domain"))
    for measure, label in _IOD_MEASURES.items():
        texts = []
        for domain in _DOMAINS:
            col = f"{domain}_{measure}_rank"
            if col in summary.columns and pd.notna(summary.at[code, col]):
                n = int(summary[col].notna().sum())
                texts.append(f"{int(summary.at[code, col])} of {n}")
            else:
                texts.append("")
        out[label] = texts
    return out


def neet_comparison(tables: Mapping[str, pd.DataFrame], code: str, *,
                    years: Sequence[str] = ("2022", "2023", "2025"),
                    columns: Sequence[str] = ("neet_percent", "not_known_percent",
                                              "neet_or_not_known_percent"),
                    confidence: float = 0.95) -> pd.DataFrame:
    """An upper-tier council's NEET figures against England, with Wilson intervals.

    For each year's table ``neet<year>`` (and ``neet<year>_england``), each percentage of
    ``columns`` gets a Wilson interval from the published 16-17 cohort, for the council and
    for England; the verdict is ``worse`` / ``better`` only when the intervals do not overlap
    (:func:`geo.stats.intervals.compare_to`), ``similar`` otherwise.

    Returns
    -------
    pandas.DataFrame
        One row per (year, measure): ``year``, ``measure``, ``value``, ``lower``, ``upper``,
        ``england``, ``england_lower``, ``england_upper``, ``cohort``, ``verdict``. Empty when
        the council is in none of the tables.
    """
    rows = []
    for year in years:
        table, eng = tables.get(f"neet{year}"), tables.get(f"neet{year}_england")
        if table is None or eng is None or code not in table.index or eng.empty:
            continue
        n = float(table.at[code, "cohort"]) if "cohort" in table else np.nan
        n_eng = float(eng["cohort"].iloc[0]) if "cohort" in eng else np.nan
        for col in columns:
            if col not in table.columns or pd.isna(table.at[code, col]) or pd.isna(n):
                continue
            v, e = float(table.at[code, col]), float(eng[col].iloc[0])
            iv = percent_interval(pd.Series([v, e]), pd.Series([n, n_eng]), confidence=confidence)
            verdict = compare_to(pd.Series([v]), reference=e, polarity="higher_worse",
                                 lower=iv.at[0, "lower"], upper=iv.at[0, "upper"],
                                 ref_lower=iv.at[1, "lower"], ref_upper=iv.at[1, "upper"]).iloc[0]
            rows.append([year, col, v, *iv.loc[0], e, *iv.loc[1], n, verdict])
    return pd.DataFrame(rows, columns=["year", "measure", "value", "lower", "upper", "england",
                                       "england_lower", "england_upper", "cohort", "verdict"])


def neighbour_reasons(summary: pd.DataFrame, code: str, *, k: int = 10,
                      variables: Sequence[str] = DEFAULT_NEIGHBOUR_VARIABLES) -> pd.DataFrame:
    """Statistical neighbours and why: each variable's share of the distance.

    Returns
    -------
    pandas.DataFrame
        Indexed by neighbour code (nearest first): ``name``, ``rank``, ``distance``,
        ``differs_most_on`` (the two variables with the largest shares, e.g.
        ``"people per km² 61%, share aged 65+ 20%"``), and one column per variable label with
        its share of the squared distance in percent.
    """
    nb = council_neighbours(summary, code, k=k, variables=variables)
    contrib = nb[[f"contrib_{v}" for v in variables]] * 100
    contrib.columns = [f"{NEIGHBOUR_LABELS.get(v, v)} (% of distance)" for v in variables]

    def top(row: pd.Series) -> str:
        best = row.dropna().sort_values(ascending=False).iloc[:2]
        best = best[best > 0]
        return ", ".join(f"{k.split(' (')[0]} {v:.0f}%" for k, v in best.items())

    out = nb[["name", "rank", "distance"]] if "name" in nb else nb[["rank", "distance"]]
    out = out.assign(differs_most_on=contrib.apply(top, axis=1))
    return out.join(contrib)
