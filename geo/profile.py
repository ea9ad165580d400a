"""Council profiles, side-by-side comparisons, spine charts and council packs.

Pure functions behind the "My council" and "Compare places" pages. They take the store's tables
(``geo.load_indicators(name)``) as a mapping ``{name: DataFrame}``, so tests pass tiny synthetic
ones. Measures have level-free ids (``summary.<column>`` for the IoD-style summaries, published
for lower- and upper-tier councils, regions and England; catalogue ids otherwise); profiles set a
council beside England, its region and its statistical neighbours with better / similar / worse
verdicts where a Wilson interval exists (:func:`geo.stats.intervals.compare_area`); spine charts put
England in the middle and *worse always on the left*; the pack functions prepare the inputs of
:func:`geo.export.pack.council_pack`.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from geo._errors import InputError, UnmatchedCodesWarning, format_codes
from geo.maps.classes import format_value
from geo.stats.intervals import compare_area, compare_to, percent_interval
from geo.stats.neighbours import DEFAULT_NEIGHBOUR_VARIABLES, statistical_neighbours

__all__ = [
    "ENGLAND_CODE", "LIFE_STAGES", "PRINCIPLES", "PROFILE_MEASURES", "NEIGHBOUR_LABELS",
    "council_measures", "comparison_table", "cohort_intervals", "council_neighbours",
    "council_profile", "profile_table", "side_by_side", "describe_profile", "spine_data",
    "spine_chart", "iod_summary_ranks", "council_clusters", "cluster_neighbourhoods",
    "neet_comparison", "neighbour_reasons", "pack_frame", "pack_metadata", "pack_methodology",
]

ENGLAND_CODE = "E92000001"
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


def _is_council_row(code: Any) -> bool:
    return not str(code).startswith(("E92", "E12"))


def _published(tables: Mapping[str, pd.DataFrame], meta: pd.Series, level: str) -> list:
    """The measure's tables at ``level``, for regions and for England (those present), with
    text codes."""
    names = [meta[level], meta["region"], meta["england"]]
    return [tables[n].set_axis(tables[n].index.astype(str)) for n in names
            if n and n in tables and meta["column"] in tables[n].columns]


def _cluster_of(clusters: pd.DataFrame) -> pd.Series:
    """LSOA code -> cluster id, from the ``";"``-joined ``lsoa_codes`` of the clusters table."""
    members = clusters["lsoa_codes"].fillna("").astype(str).str.split(";").explode()
    owner = pd.Series(members.index, index=members.to_numpy())
    return owner[(owner.index != "") & ~owner.index.duplicated()]


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
        By council code (both tiers): ``level`` (``lad24`` / ``utla24``), ``region_code`` and,
        for lower-tier councils, ``utla24_code``.
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
        Unknown council code, or a council without a region.
    """
    if code not in councils.index:
        pool = list(councils.index)
        msg = f"`code` {code!r} is not a council code here ({len(pool)} councils, e.g. {format_codes(pool, limit=3)})."
        raise InputError(msg)
    level = str(councils.at[code, "level"])
    parent = code
    if level == "lad24" and "utla24_code" in councils.columns and pd.notna(councils.at[code, "utla24_code"]):
        parent = str(councils.at[code, "utla24_code"])
    parts = []
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
        # every council of the table has a region (a unitary authority is in both tiers)
        region_of = councils["region_code"].dropna().astype(str)
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


def _with_interval(value: float, lower: float, upper: float, unit: str) -> str:
    text = format_value(value, unit)
    if pd.notna(lower) and pd.notna(upper):
        text += f" ({format_value(lower, '', decimals=1)} to {format_value(upper, '', decimals=1)})"
    return text


def profile_table(profile: pd.DataFrame, *, names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """A readable version of :func:`council_profile`, grouped by life stage.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``profile``: ``Life stage``, ``Principle``, ``Indicator``, ``Value``
        (with its 95% interval where known), ``England``, ``vs England``, ``Region``,
        ``vs region``, ``Neighbours``, ``vs neighbours``, ``Rank (1 = worst)``,
        ``Figure for``.
    """
    names = names or {}
    rows = []
    for ident, r in profile.iterrows():
        rows.append({
            "indicator": ident,
            "Life stage": LIFE_STAGES.get(r["life_stage"], r["life_stage"]),
            "Principle": PRINCIPLES.get(r["principle"], r["principle"]),
            "Indicator": r["label"],
            "Value": _with_interval(r["value"], r.get("lower"), r.get("upper"), r["unit"]),
            "England": _with_interval(r["england"], r.get("england_lower"),
                                      r.get("england_upper"), r["unit"])
            + ("" if r["england_source"] in ("published", "given") else " (mean of councils)"),
            "vs England": r["vs_england"],
            "Region": format_value(r["region"], r["unit"]),
            "vs region": r["vs_region"],
            "Neighbours": format_value(r["neighbours_mean"], r["unit"]),
            "vs neighbours": r["vs_neighbours"],
            "Rank (1 = worst)": (f"{int(r['rank'])} of {int(r['n_ranked'])}"
                                 if pd.notna(r["rank"]) else ""),
            "Figure for": names.get(r["area_code"], r["area_code"]),
        })
    return _by_stage(rows)


def describe_profile(profile: pd.DataFrame, *, name: str) -> str:
    """One sentence: how many indicators are significantly worse / better than England.

    Verdicts come from intervals where they exist; all indicators count by rank.
    """
    if profile.empty:
        return f"No council indicators are available for {name}."
    verdicts = profile["vs_england"].value_counts()
    worst_fifth = profile[profile["rank"] <= profile["n_ranked"] * 0.2]
    tested = int(verdicts.drop("not tested", errors="ignore").sum())
    text = (f"{name}: {len(profile)} indicators; among the worst fifth of councils on "
            f"{len(worst_fifth)} (rank 1 = worst whatever the direction).")
    if tested:
        text += (f" Tested against England with 95% intervals: {int(verdicts.get('worse', 0))} "
                 f"worse, {int(verdicts.get('similar', 0))} similar, "
                 f"{int(verdicts.get('better', 0))} better.")
    return text


def _by_stage(rows: list[dict]) -> pd.DataFrame:
    """Rows indexed by ``indicator``, in life-stage order (stable within a stage)."""
    if not rows:
        return pd.DataFrame(columns=["Life stage", "Principle", "Indicator"])
    out = pd.DataFrame(rows).set_index("indicator")
    stage = {v: i for i, v in enumerate(LIFE_STAGES.values())}
    return out.iloc[np.argsort([stage.get(s, 99) for s in out["Life stage"]], kind="stable")]


def _direction(value: float, reference: float, polarity: str) -> str:
    """Worse / better / same by value only (no significance), in brackets."""
    if pd.isna(value) or pd.isna(reference):
        return "n/a"
    diff = (value - reference) * (1 if polarity == "higher_worse" else -1)
    return "(worse)" if diff > 0 else "(better)" if diff < 0 else "(same)"


def side_by_side(profiles: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Several councils' profiles in one table, grouped by life stage.

    Each council gets two columns: its value with its rank (``"43.3 score · rank 1 of 296"``)
    and its comparison with England, its region and its statistical neighbours
    (``"worse · worse · similar"``): significance verdicts where an interval exists, otherwise
    the direction by value alone, in brackets (``"(worse)"``).

    ``profiles`` maps area names to :func:`council_profile` frames.

    Returns
    -------
    pandas.DataFrame
        Indexed by measure id (life stage order, then profile order): ``Life stage``,
        ``Principle``, ``Indicator``, ``England``, then per area ``<area>`` and
        ``<area>: vs England · region · neighbours``.
    """
    order: list[str] = []
    for prof in profiles.values():
        order += [i for i in prof.index if i not in order]
    rows = []
    for ident in order:
        first = next(p.loc[ident] for p in profiles.values() if ident in p.index)
        row = {"indicator": ident,
               "Life stage": LIFE_STAGES.get(first["life_stage"], first["life_stage"]),
               "Principle": PRINCIPLES.get(first["principle"], first["principle"]),
               "Indicator": first["label"], "England": format_value(first["england"], first["unit"])}
        for area, prof in profiles.items():
            if ident not in prof.index:
                row[area], row[f"{area}: vs England · region · neighbours"] = "no data", ""
                continue
            r = prof.loc[ident]
            rank = f" · rank {int(r['rank'])} of {int(r['n_ranked'])}" if pd.notna(r["rank"]) else ""
            row[area] = format_value(r["value"], r["unit"]) + rank
            words = []
            for verdict, ref in (("vs_england", "england"), ("vs_region", "region"),
                                 ("vs_neighbours", "neighbours_mean")):
                words.append(r[verdict] if r[verdict] != "not tested"
                             else _direction(r["value"], r[ref], r["polarity"]))
            row[f"{area}: vs England · region · neighbours"] = " · ".join(words)
        rows.append(row)
    return _by_stage(rows)


def spine_data(profiles: Mapping[str, pd.DataFrame],
               tables_by_level: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Each indicator of one or more profiles against the spread of all councils.

    Values are put on a common scale where England is 0, *worse is negative* and the council
    furthest from England (either side) is at -1 or 1: ``x = s (v - England) / max|s (v_i -
    England)|`` with ``s = -1`` when higher is worse and ``+1`` when higher is better.

    ``profiles`` maps area names to :func:`council_profile` frames; ``tables_by_level`` is
    ``{"lad24": comparison_table(..., level="lad24"), "utla24": ...}``, the spread of all
    councils of each level (rows of regions and England are left out).

    Returns
    -------
    pandas.DataFrame
        One row per (indicator, area): ``indicator``, ``label``, ``life_stage``, ``stage``,
        ``area``, ``value``, ``england``, ``unit``, ``verdict`` (vs England), ``rank``,
        ``n_ranked``, ``x`` (the area), ``x_worst``, ``x_q25`` (the worse quartile),
        ``x_median``, ``x_q75``, ``x_best``, ``n_councils``, ``value_text``,
        ``england_text``, ``order``.
    """
    rows = []
    stage_order = {k: i for i, k in enumerate(LIFE_STAGES)}
    for area, profile in profiles.items():
        for ident, r in profile.iterrows():
            table = tables_by_level.get(r["level"])
            if table is None or ident not in table.columns or pd.isna(r["england"]):
                continue
            all_values = table.loc[[_is_council_row(c) for c in table.index], ident].dropna()
            sign = -1.0 if r["polarity"] == "higher_worse" else 1.0
            oriented = sign * (all_values - r["england"])
            scale = float(np.nanmax(np.abs(np.r_[oriented.to_numpy(),
                                                 sign * (r["value"] - r["england"])])))
            scale = scale if scale > 0 else 1.0
            q = (oriented / scale).quantile([0, 0.25, 0.5, 0.75, 1]).to_numpy()
            rows.append({
                "indicator": ident, "label": r["label"], "life_stage": r["life_stage"],
                "stage": LIFE_STAGES.get(r["life_stage"], r["life_stage"]), "area": area,
                "value": r["value"], "england": r["england"], "unit": r["unit"],
                "verdict": r["vs_england"], "rank": r["rank"], "n_ranked": r["n_ranked"],
                "x": sign * (r["value"] - r["england"]) / scale, "x_worst": q[0],
                "x_q25": q[1], "x_median": q[2], "x_q75": q[3], "x_best": q[4],
                "n_councils": len(all_values), "value_text": format_value(r["value"], r["unit"]),
                "england_text": format_value(r["england"], r["unit"]),
                "order": stage_order.get(r["life_stage"], 99) * 1000 + len(rows),
            })
    columns = ["indicator", "label", "life_stage", "stage", "area", "value", "england", "unit",
               "verdict", "rank", "n_ranked", "x", "x_worst", "x_q25", "x_median", "x_q75",
               "x_best", "n_councils", "value_text", "england_text", "order"]
    return pd.DataFrame(rows, columns=columns)


#: Verdict colours (ColorBrewer RdYlBu ends and a neutral): worse red, better blue.
VERDICT_COLOURS = {"worse": "#d7301f", "similar": "#fdd49e", "better": "#2b8cbe",
                   "not tested": "#ffffff"}


def spine_chart(data: pd.DataFrame, *, colour_by: str = "verdict", width: int = 420) -> Any:
    """An Altair spine chart of :func:`spine_data`: worse on the left, England in the middle.

    Grey bars show the spread of all councils (light: worst to best; dark: middle half), the
    black tick is England, and a dot marks each area, coloured by its verdict against England
    (``colour_by="verdict"``) or by area (``"area"``, for comparing places). One panel per
    life stage.

    Returns an ``altair.FacetChart``; raises InputError for empty data or an unknown
    ``colour_by``.
    """
    import altair as alt

    if colour_by not in ("verdict", "area"):
        msg = f"`colour_by` must be 'verdict' or 'area'; got {colour_by!r}."
        raise InputError(msg)
    if data.empty:
        msg = "`data` is empty: no indicator has a value and an England figure to compare."
        raise InputError(msg)
    df = data.copy()
    labels = df.drop_duplicates("indicator").sort_values("order")["label"].tolist()
    y = alt.Y("label:N", sort=labels, title=None, axis=alt.Axis(labelLimit=330))
    scale = alt.Scale(domain=[-1.05, 1.05])
    x_axis = alt.Axis(values=[-1, 0, 1], labelExpr=(
        "datum.value < 0 ? '◀ worse' : datum.value > 0 ? 'better ▶' : 'England'"))
    base = alt.Chart().encode(y=y)
    spread = base.mark_bar(color="#e0e0e0", size=12).encode(
        x=alt.X("x_worst:Q", scale=scale, axis=x_axis, title=None), x2="x_best:Q")
    middle = base.mark_bar(color="#9e9e9e", size=12).encode(x="x_q25:Q", x2="x_q75:Q")
    england = base.mark_tick(color="#000000", thickness=2, size=18).encode(
        x=alt.datum(0))
    tooltip = [alt.Tooltip(f, title=t) for f, t in (
        ("area:N", "Area"), ("label:N", "Indicator"), ("value_text:N", "Value"),
        ("england_text:N", "England"), ("verdict:N", "vs England"),
        ("rank:Q", "Rank (1 = worst)"), ("n_ranked:Q", "of"))]
    if colour_by == "verdict":
        colour = alt.Color("verdict:N", title="vs England", scale=alt.Scale(
            domain=list(VERDICT_COLOURS), range=list(VERDICT_COLOURS.values())))
        shape = alt.value("circle")
    else:
        colour = alt.Color("area:N", title="Area", scale=alt.Scale(scheme="dark2"))
        shape = alt.Shape("area:N", title="Area")
    dots = base.mark_point(filled=True, size=90, stroke="#000000", strokeWidth=0.8,
                           opacity=1).encode(x="x:Q", color=colour, shape=shape, tooltip=tooltip)
    stages = [s for s in LIFE_STAGES.values() if s in set(df["stage"])]
    return (
        alt.layer(spread, middle, england, dots, data=df)
        .properties(width=width)
        .facet(row=alt.Row("stage:N", sort=stages, title=None,
                           header=alt.Header(labelAngle=0, labelAlign="left",
                                             labelFontWeight="bold")))
        .resolve_scale(y="independent")
    )


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


def council_clusters(clusters: pd.DataFrame, lsoa_codes: Iterable[str]) -> pd.DataFrame:
    """The named clusters with at least one neighbourhood among ``lsoa_codes``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``cluster_id`` (most people first): ``name``, ``n_here`` (its LSOAs among
        ``lsoa_codes``), ``n_lsoas``, ``population``, ``councils``, ``domains``.
    """
    owner = _cluster_of(clusters)
    n_here = owner[owner.index.isin(list(lsoa_codes))].value_counts()
    keep = clusters.loc[clusters.index.isin(n_here.index)].copy()
    keep.insert(1, "n_here", n_here.reindex(keep.index))
    cols = ["name", "n_here"] + [c for c in ("n_lsoas", "population", "councils", "domains")
                                 if c in keep.columns]
    return keep.sort_values("population" if "population" in keep else "n_here",
                            ascending=False, kind="mergesort")[cols]


def cluster_neighbourhoods(clusters: pd.DataFrame, lsoas: pd.DataFrame,
                           compound: pd.DataFrame) -> pd.DataFrame:
    """The neighbourhoods of ``lsoas`` that belong to a named cluster, and why.

    ``clusters`` and ``compound`` are the store's tables; ``lsoas`` the council's LSOAs by
    ``lsoa21_code`` with ``name`` and ``ward24_name``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``lsoa21_code`` (by cluster id, then code): ``cluster`` (its name),
        ``cluster_id``, ``name``, ``ward``, ``n_domains_worst_decile``,
        ``domains_worst_decile``.
    """
    owner = _cluster_of(clusters)
    owner = owner[owner.index.isin(lsoas.index)]
    out = pd.DataFrame({"cluster": clusters["name"].reindex(owner.to_numpy()).to_numpy(),
                        "cluster_id": owner.to_numpy()}, index=owner.index)
    out["name"] = lsoas["name"].reindex(out.index)
    out["ward"] = lsoas["ward24_name"].reindex(out.index) if "ward24_name" in lsoas else ""
    for col in ("n_domains_worst_decile", "domains_worst_decile"):
        out[col] = compound[col].reindex(out.index) if col in compound else np.nan
    out.index.name = "lsoa21_code"
    order = np.lexsort((out.index.to_numpy(dtype=str), out["cluster_id"].to_numpy()))
    return out.iloc[order]


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


# ----------------------------------------------------------------------------- council pack

#: LSOA datasets of a council pack; those listed in _PREFIXED get ``<dataset>_`` names.
PACK_DATASETS = ("iod2025", "iod2025_subdomains", "iod2025_indicators", "iod2019",
                 "census21_deprivation", "population", "compound")
_PREFIXED = ("iod2019",)


def pack_frame(lsoas: pd.DataFrame, *, tables: Mapping[str, pd.DataFrame],
               hotspots: pd.DataFrame | None = None, clusters: pd.DataFrame | None = None,
               council_level: str = "lad24") -> pd.DataFrame:
    """A council's LSOAs with every LSOA indicator, hotspot labels and named clusters.

    Parameters
    ----------
    lsoas
        The council's LSOAs (a GeoDataFrame in EPSG:4326 for GeoJSON) by ``lsoa21_code``, with
        ``name``, ``ward24_name``, ``lad24_code``, ``lad24_name``, ``utla24_code``.
    tables
        Store tables by name; those of :data:`PACK_DATASETS` are joined (IoD 2019 columns
        prefixed ``iod2019_``: they share names with IoD 2025).
    hotspots
        The store's ``hotspots_lsoa21``: a ``hotspot_<method>_<indicator>`` label and a
        ``q_<method>_<indicator>`` column per method and indicator.
    clusters
        The store's ``clusters`` table: adds ``cluster_id`` and ``cluster`` (its name).
    council_level
        ``"utla24"`` renames ``lad24_code`` / ``lad24_name`` to ``district_code`` /
        ``district_name`` (an upper-tier pack keeps all its districts' LSOAs).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``lsoas`` (same type), one column per property.
    """
    keep = ["name", "ward24_name", "lad24_code", "lad24_name", "utla24_code", "region_code"]
    out = lsoas[[c for c in keep if c in lsoas.columns] + [lsoas.geometry.name]
                if hasattr(lsoas, "geometry") else [c for c in keep if c in lsoas.columns]]
    for name in PACK_DATASETS:
        table = tables.get(name)
        if table is None:
            continue
        part = table.reindex(out.index)
        part = part[[c for c in part.columns if c not in out.columns or name in _PREFIXED]]
        if name in _PREFIXED:
            part = part.add_prefix(f"{name}_")
        out = out.join(part[[c for c in part.columns if c not in out.columns]])
    if hotspots is not None and not hotspots.empty:
        for (method, indicator), part in hotspots.groupby(["method", "indicator"], sort=True):
            out[f"hotspot_{method}_{indicator}"] = part["label"].reindex(out.index)
            out[f"q_{method}_{indicator}"] = part["q"].reindex(out.index)
    if clusters is not None:
        owner = _cluster_of(clusters)
        out["cluster_id"] = owner.reindex(out.index).astype("Int64")
        out["cluster"] = clusters["name"].reindex(owner.reindex(out.index)).to_numpy()
    if council_level != "lad24":
        out = out.rename(columns={"lad24_code": "district_code", "lad24_name": "district_name"})
    return out


def pack_metadata(sources: Sequence[Mapping[str, Any]], *, attribution: Sequence[str],
                  params: Mapping[str, Any]) -> dict[str, Any]:
    """The metadata of a council pack (for :func:`geo.export.pack.council_pack`).

    ``sources`` are registry entries (``geo.dataset(id)``), ``attribution`` the attribution
    lines (``geo.attribution_lines()``), ``params`` the hotspot parameters
    (``geo.methodology.method_parameters()``).
    """
    keys = ("title", "publisher", "vintage", "licence", "landing")
    return {
        "title": "oppmap council pack",
        "attribution": list(attribution),
        "sources": [{k: s.get(k) for k in keys} for s in sources],
        "method": {"hotspots": "Getis-Ord Gi* (binary contiguity incl. self) and local Moran's I",
                   "permutations": params.get("permutations"), "alpha": params.get("alpha"),
                   "correction": params.get("correction", "fdr_bh")},
        "seed": params.get("seed"),
    }


def pack_methodology(methodology: str) -> str:
    """The pack's methodology: the project's note plus what the pack's columns mean."""
    return methodology.strip() + """

## Columns of this pack
- `<domain>_score`, `_rank`, `_decile`: IoD 2025 for each LSOA (rank 1 and decile 1 = most
  deprived); sub-domains and underlying indicators follow; `iod2019_*`: IoD 2019 carried to
  LSOA 2021 (`iod2019_lookup_rule` says how).
- `n_domains_worst_decile`, `domains_worst_decile`, `compounded`, `persistent`: compounded and
  persistent disadvantage (definitions above).
- `hotspot_<method>_<indicator>` and `q_<method>_<indicator>`: the national hotspot label and its
  Benjamini-Hochberg q-value; `cluster` / `cluster_id`: the named cluster of hot spots of
  compounded disadvantage the LSOA belongs to, if any.
- The map file opens offline in any browser: IMD 2025 score by LSOA, hotspots of compounded
  disadvantage and named clusters outlined.
"""
