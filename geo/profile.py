"""Council profiles: each measure of a council beside England, its region and its neighbours.

Pure functions behind the "My council" and "Compare places" pages. They take the store's tables
(``geo.load_indicators(name)``) as a mapping ``{name: DataFrame}``, so tests pass tiny synthetic
ones. Measures have level-free ids (``summary.<column>`` for England's IoD-style summaries,
published for lower- and upper-tier councils, regions and England; catalogue ids otherwise,
among them each nation's own index's council summaries and the composite UK IMD); a profile
sets a council beside its nation (England, Wales, Scotland or Northern Ireland: the published
figure; the share of its small areas in its own most deprived 10% is 10% by construction; no
benchmark where none is published), its region (its nation outside England) and its
statistical neighbours (:mod:`geo.profile_neighbours`) with better / similar / worse verdicts
where a Wilson interval exists (:func:`geo.stats.intervals.compare_area`). Columns ``england``,
``vs_england`` hold the benchmark, the council's nation (named in ``benchmark``).
Readable tables, sentences and spine-chart data of profiles are in :mod:`geo.profile_tables`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

import boundaries
from geo._errors import InputError, format_codes
from geo.data.nations import NATION_CODES, index_of_nation, index_spec, national_indices
from geo.data.sources import NATIONS
from geo.profile_neighbours import (
    NEIGHBOUR_LABELS,
    council_neighbours,
    neighbour_basis,
    neighbour_reasons,
)
from geo.profile_shared import mark_shared, shared_figures
from geo.stats.intervals import compare_area, compare_to, percent_interval

__all__ = [
    "ENGLAND_CODE", "LIFE_STAGES", "PRINCIPLES", "PROFILE_MEASURES", "NEIGHBOUR_LABELS",
    "COMPOSITE_MEASURE", "council_measures", "measure_values", "comparison_table",
    "cohort_intervals", "council_neighbours", "profile_ids", "compound_ids", "summary_domains",
    "council_profile", "iod_summary_ranks", "neet_comparison", "neighbour_reasons",
]

ENGLAND_CODE = NATION_CODES["E"]
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
    "summary.persistent_share_population", "ukimd_la.uk_imd_score",
)
#: The one measure every council of the UK has (mySociety's composite UK IMD council score).
COMPOSITE_MEASURE = "ukimd_la.uk_imd_score"
#: The measures of each nation's own index in its councils' profile (column stems of the
#: index's council summaries, those it has: SIMD publishes ranks, not scores).
NATION_STEMS = ("{overall}_average_score", "{overall}_average_rank",
                "{overall}_proportion_most_deprived_10", "{overall}_extent",
                "income_average_score", "health_average_score", "education_average_score",
                "compounded_share_population", "compounded_share_lsoas")
#: DfE measures whose denominator is the published 16-17 cohort (``cohort``): Wilson intervals.
COHORT_COLUMNS = ("neet_percent", "not_known_percent", "neet_or_not_known_percent",
                  "participation_percent", "apprenticeship_percent")
_LEVELS = ("lad24", "utla24")
_SHARE_UNITS = {"share of population": "% of people", "share of LSOAs": "% of LSOAs",
                "share of data zones": "% of data zones", "share of SOAs": "% of SOAs"}
_IOD_MEASURES = {
    "average_score": "Average score", "average_rank": "Average rank",
    "proportion_most_deprived_10": "Small areas in most deprived 10%", "extent": "Extent",
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
        (the finest council level), the table names ``lad24``, ``utla24``, ``region``,
        ``england`` (the nation's figure: England's, or Wales's and Scotland's on their own
        index; "" where not published), ``nations`` (the catalogue's, ";"-joined) and ``dataset``
        (its table in the catalogue). Raises InputError for a catalogue without the
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
               "region": "", "england": "", "nations": str(meta.get("nations", "")),
               "dataset": dataset}
        if dataset == "summary_lad24":
            row.update(lad24=dataset, region="summary_region", england="summary_england",
                       utla24="summary_utla24" if column in utla_summary else "")
            rows.append({"id": f"summary.{column}", **row})
            continue
        row[str(meta["level"])] = dataset
        row["england"] = _nation_tables().get(dataset, "")
        if dataset.startswith("neet"):
            row.update(region=f"{dataset}_regions", england=f"{dataset}_england")
        rows.append({"id": ident, **row})
    return pd.DataFrame(rows).set_index("id")


def _nation_tables() -> dict[str, str]:
    """Each devolved index's council summary table -> its table of the nation as one area."""
    out = {}
    for spec in national_indices().values():
        summaries = spec.get("summaries", {})
        if spec["nation"] != "E" and "lad24" in summaries and "country" in summaries:
            out[summaries["lad24"]] = summaries["country"]
    return out


def profile_ids(letter: str, measures: pd.DataFrame) -> list[str]:
    """The measures of a council's profile: :data:`PROFILE_MEASURES` and, outside England,
    its nation's own index's council summaries (or published figures, NIMDM 2017)."""
    ids = list(PROFILE_MEASURES)
    if letter != "E":
        spec = index_spec(index_of_nation(letter))
        table = spec.get("summaries", {}).get("lad24", spec["dataset"])
        ids += [f"{table}.{stem.format(overall=spec['overall'])}" for stem in NATION_STEMS]
        ids += [f"{table}.{d}_extent" for d in spec["domains"] if letter == "N"]
    return [i for i in dict.fromkeys(ids) if i in measures.index]


def compound_ids(letter: str, measures: pd.DataFrame) -> list[str]:
    """The council's compounded (and, in England, persistent) disadvantage measures."""
    if letter == "E":
        ids = ["summary.compounded_share_population", "summary.persistent_share_population"]
    else:
        table = index_spec(index_of_nation(letter)).get("summaries", {}).get("lad24", "")
        ids = [f"{table}.compounded_share_population", f"{table}.compounded_share_lsoas"]
    return [i for i in ids if i in measures.index][:2 if letter == "E" else 1]


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


def council_profile(code: str, *, tables: Mapping[str, pd.DataFrame], measures: pd.DataFrame,
                    councils: pd.DataFrame, ids: Sequence[str] | None = None,
                    k: int = 10) -> pd.DataFrame:
    """One council beside its nation, its region and its statistical neighbours, per measure.

    A lower-tier council gets its own figures where they are published for lower-tier
    councils (IoD summaries, each nation's own index, the composite UK IMD, Social Mobility
    Commission indices) and its upper-tier council's for the rest (DfE figures); an upper-tier
    council gets its own. The benchmark is the council's nation: its published figure (England,
    or Wales and Scotland as one area on their own index); where none is published, 10% for
    the share of the nation's small areas in its own most deprived 10% (by construction) and
    none for the rest (``england_source`` says which; ``"store-computed"``: the store's own
    summary of the nation); a council outside England's regions has its nation for region.

    Parameters
    ----------
    code
        A council code of ``councils``.
    tables, measures
        As in :func:`comparison_table`; ``tables`` also holds what the statistical neighbours
        need (:func:`geo.profile_neighbours.neighbour_basis`).
    councils
        :func:`geo.councils.councils_table`: by council code (both tiers), ``level``,
        ``country``, ``region_code`` and ``utla24_code`` (the council's own for an upper-tier
        one).
    ids, k
        Measures to include, in order (default :func:`profile_ids` of the council's nation);
        number of statistical neighbours.

    Returns
    -------
    pandas.DataFrame
        Indexed by measure id (in ``ids`` order, those with a value): the columns of
        :func:`geo.stats.intervals.compare_area` (``england`` and ``vs_england`` being the
        nation's) plus ``benchmark`` (the nation's name), ``area_code`` (whose figure it is),
        ``level``, ``lower`` / ``upper`` (the council's interval), ``england_lower`` /
        ``england_upper``, ``neighbours`` (``";"``-joined codes) and, for a figure published
        for a larger area than the council, ``shared_area`` and ``n_sharing`` (not ranked).

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
    letter = _letter(councils, code)
    ids = profile_ids(letter, measures) if ids is None else ids
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
        if wanted:
            parts.append(_compare(area, lvl, table[wanted], tables=tables,
                                  measures=measures.loc[wanted], councils=councils, k=k))
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts)
    out = out.loc[[i for i in ids if i in out.index]]
    out.index.name = "indicator"
    return mark_shared(out, tables=tables, measures=measures)


def _letter(councils: pd.DataFrame, code: str) -> str:
    """A council's nation letter: its ``country``, else its GSS code's."""
    if "country" in councils.columns and pd.notna(councils.at[code, "country"]):
        return str(councils.at[code, "country"])
    return str(boundaries.country_of([code]).iloc[0])


def _nation_benchmark(table: pd.DataFrame, nation: str) -> tuple[dict[str, float], dict[str, str]]:
    """Benchmarks where the nation's figure is unpublished, for :func:`compare_area`, and
    their sources: 10% by construction for the share of its small areas in its own most
    deprived 10%, else none (NaN): a mean of councils is not the nation's figure."""
    given, sources = {}, {}
    for ident in table.columns:
        if nation in table.index and pd.notna(table.at[nation, ident]):
            continue
        own_tenth = str(ident).endswith("_proportion_most_deprived_10")
        given[ident] = 10.0 if own_tenth else np.nan
        sources[ident] = "by construction" if own_tenth else "none published"
    return given, sources


def _compare(area: str, lvl: str, table: pd.DataFrame, *, tables: Mapping[str, pd.DataFrame],
             measures: pd.DataFrame, councils: pd.DataFrame, k: int) -> pd.DataFrame:
    """:func:`compare_area` of one council at one level, against its nation."""
    # every council has a region: its English region, else its nation (Wales, Scotland,
    # Northern Ireland have no regions); a unitary authority is in both tiers
    nation_of = boundaries.country_of(councils.index).map(NATION_CODES)
    region_of = councils["region_code"].fillna(nation_of).dropna().astype(str)
    nation = NATION_CODES[_letter(councils, area)]
    given, sources = _nation_benchmark(table, nation)
    neighbours = _neighbour_codes(area, tables=tables, councils=councils, k=k)
    neighbours = [c for c in neighbours if c in table.index]
    intervals = cohort_intervals(tables, measures, level=lvl)
    res = compare_area(area, table=table, catalogue=measures, region_of=region_of,
                       neighbours=neighbours, intervals=intervals, england=given or None,
                       england_code=nation, shared=shared_figures(tables, measures, lvl))
    own = {i for i in res.index if str(measures.at[i, lvl]).startswith("summary")}  # store's
    res["england_source"] = [sources.get(i, "store-computed" if i in own else "published")
                             for i in res.index]
    res["benchmark"] = NATIONS[nation[:1]]
    res["area_code"], res["level"] = area, lvl
    res["neighbours"] = ";".join(neighbours)
    for prefix, row in (("", area), ("england_", nation)):
        for which in ("lower", "upper"):
            res[prefix + which] = [intervals[i].at[row, which] if i in intervals
                                   and row in intervals[i].index else np.nan
                                   for i in res.index]
    return res


def _neighbour_codes(area: str, *, tables: Mapping[str, pd.DataFrame],
                     councils: pd.DataFrame, k: int) -> list[str]:
    """The council's statistical neighbours (none when the tables lack their basis)."""
    try:
        basis = neighbour_basis(area, tables=tables, councils=councils, labels=NEIGHBOUR_LABELS)
    except InputError:
        return []
    if area not in basis["frame"].index:
        return []
    nb = council_neighbours(basis["frame"], area, k=k, variables=basis["variables"])
    return list(nb.index)


def summary_domains(index: str) -> dict[str, str]:
    """Column stem -> readable name of an index's overall measure and domains, in order
    (England's IoD domains; for another index, the registry's ``[index_domains]`` labels)."""
    spec = index_spec(index)
    if spec["nation"] == "E":
        return dict(_DOMAINS)
    from geo.data.sources import registry_meta

    labels = registry_meta().get("index_domains", {}).get(spec["id"], {})
    stems = [spec["overall"], *spec["domains"]]
    return {d: str(labels.get(d, {}).get("label", d)) for d in stems}


def iod_summary_ranks(summary: pd.DataFrame, code: str, *,
                      domains: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The council's rank on each IoD-style summary measure of each domain (1 = most deprived).

    ``summary`` is a table of council summaries (the store's ``summary_lad24``, a nation's
    ``summary_wimd2019_lad24``, NIMDM 2017's published figures) with ``<domain>_<measure>``
    columns and, where published, their ``_rank``; a measure without its rank column is ranked
    here (higher = more deprived, as every summary measure). ``code`` is the council
    (InputError when unknown); ``domains`` the column stems and their names (default
    England's: :func:`summary_domains`).

    Returns
    -------
    pandas.DataFrame
        Indexed by domain name (the overall index first), one column per measure, text like
        ``"3 of 296"``.
    """
    if code not in summary.index:
        msg = f"`code` {code!r} is not in the summary table ({len(summary)} councils)."
        raise InputError(msg)
    domains = dict(_DOMAINS) if domains is None else dict(domains)
    out = pd.DataFrame(index=pd.Index(list(domains.values()), name="domain"))
    for measure, label in _IOD_MEASURES.items():
        texts = []
        for domain in domains:
            col = f"{domain}_{measure}"
            ranks = (summary[f"{col}_rank"] if f"{col}_rank" in summary.columns
                     else summary[col].rank(ascending=False, method="min")
                     if col in summary.columns else None)
            if ranks is not None and pd.notna(ranks.get(code)):
                texts.append(f"{int(ranks[code])} of {int(ranks.notna().sum())}")
            else:
                texts.append("")
        out[label] = texts
    return out.loc[:, [c for c in out.columns if (out[c] != "").any()] or list(out.columns)]


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
