"""Your data: upload a CSV of values per area; the page checks it, asks which end is worse, then
maps and analyses it as oppmap does its own indicators: hotspots and named clusters, summaries by
council and ward, the link to deprivation, ranks and statistical neighbours, and a download.

Everything is computed by :mod:`geo` (:func:`geo.upload.reader.read_upload`,
:func:`geo.analysis.upload.analyse_upload`, :mod:`geo.maps.charts_upload`,
:mod:`geo.export.analysis_zip`) through the caches of :mod:`pages._data`; this page lays it out.
Uploaded names and values reach the page only as plain text (``st.text``, ``st.code``, tables)
or escaped Markdown, never as HTML.
"""

from __future__ import annotations

import hashlib
import re
import warnings

import pandas as pd
import streamlit as st

from geo._errors import OppmapError
from geo.analysis.upload import POLARITIES, SMALL_AREA_LEVELS
from geo.maps import charts_upload as cu
from geo.maps.classes import MissingValuesWarning
from geo.maps.text import describe_values
from geo.methodology import correction_words
from pages import _data as data
from pages import _shared as sh
from pages import _state as state

LEVEL_NAMES = {"lsoa21": "LSOAs (2021)", "lsoa11": "LSOAs (2011)",
               "dz11": "Scottish data zones (2011)", "lad24": "councils (lower tier, 2024)",
               "utla24": "councils (upper tier, 2024)"}
POLARITY_WORDS = {"higher_worse": "Higher is worse", "higher_better": "Higher is better"}
PARENTS = {"lad24": ("council", "Councils (2024)"),
           "utla24": ("upper-tier council", "Upper-tier councils (2024)"),
           "ward24": ("ward", "Wards (2024)")}
SUMMARY_COLUMNS = ("name", "lad24_name", "n_areas", "coverage", "average", "average_rank",
                   "share_worst_decile", "share_worst_decile_rank", "extent", "extent_rank",
                   "local_concentration", "local_concentration_rank")
SEEN, KEPT = "upload_seen", "upload_kept"
#: The summary tables' headers as people read them (the CSV of the analysis keeps the names).
SUMMARY_LABELS = {
    "_index": "Code", "name": "Name", "lad24_name": "Council", "n_areas": "Your areas in it",
    "coverage": "Share with a value", "average": "Average",
    "average_rank": "Average: rank (1 = worst)",
    "share_worst_decile": "Share in your worst tenth",
    "share_worst_decile_rank": "Share in your worst tenth: rank", "extent": "Extent",
    "extent_rank": "Extent: rank", "local_concentration": "Local concentration",
    "local_concentration_rank": "Local concentration: rank"}
#: The council tables' headers (a council upload).
COUNCIL_LABELS = {
    "_index": "Code", "name": "Council", "value": "Your value", "rank": "Rank (1 = worst)",
    "neighbours_with_value": "Neighbours with a value",
    "neighbours_mean": "Mean of the neighbours' values",
    "difference": "Value minus that mean", "worse_than": "Worse than (neighbours)",
    "better_than": "Better than (neighbours)"}
SUMMARY_FORMATS = {
    **{c: st.column_config.Column(label) for c, label in SUMMARY_LABELS.items()},
    **{c: st.column_config.NumberColumn(SUMMARY_LABELS[c], format="percent")
       for c in ("coverage", "share_worst_decile")},
    **{c: st.column_config.NumberColumn(SUMMARY_LABELS[c], format="%.4g")
       for c in ("average", "extent", "local_concentration")}}


def md(text: object) -> str:
    return sh.md_escape(str(text))


# ----------------------------------------------------------------------------- choices
def new_file() -> None:
    """Another file: which end is worse is asked again (a link's answer holds for the first);
    a file removed by the user is forgotten."""
    if st.session_state.get("upload_file") is None:
        st.session_state.pop(KEPT, None)
    if st.session_state.get(SEEN):
        state.put("polarity", None)


def forget() -> None:
    st.session_state.pop(KEPT, None)


def the_file() -> tuple[str, bytes]:
    """The uploaded file, or the one uploaded earlier in this session (kept across pages)."""
    upload = st.file_uploader("CSV file", type=["csv", "txt"], key="upload_file",
                              on_change=new_file)
    if upload is not None:
        st.session_state[KEPT] = (upload.name, upload.getvalue())
    if KEPT not in st.session_state:
        state.hold(("column", "polarity", "scheme"))  # a link's choices wait for its file
        st.info("No file yet. Example: a header line `code,value` then lines like "
                "`E08000025,12.5`.")
        sh.stop()
    name, raw = st.session_state[KEPT]
    if upload is None:
        c1, c2 = st.columns([4, 1])
        c1.caption(md(f"Showing {name}, uploaded earlier in this session. Upload another file "
                      "to replace it."))
        c2.button("Forget this file", key="upload_forget", on_click=forget)
    return name, raw


def column_changed() -> None:
    """Another column: its own answer to which end is worse."""
    state.put("column", st.session_state["upload_column"])
    state.put("polarity", None)


def choices(result) -> tuple[str, str | None, str]:  # noqa: ANN001 - an UploadResult
    """The column, the user's polarity (None until answered) and the class scheme."""
    columns = [str(c) for c in result.table.columns]
    wanted = state.read("column", columns, None)
    if wanted is None:  # no column chosen yet, or one this file lacks: ask again
        state.put("polarity", None)
    column = wanted or columns[0]
    labels = {c: sh.plain(result.labels.get(c, c)) for c in columns}
    c1, c2, c3 = st.columns([2, 1.6, 1.3])
    st.session_state["upload_column"] = column
    c1.selectbox("Column to analyse", columns, key="upload_column", format_func=labels.get,
                 on_change=column_changed)
    state.put("column", column)
    polarity = state.widget(
        c2.radio, "Which end is worse?", list(POLARITIES), param="polarity",
        key="upload_polarity", default=None, format_func=POLARITY_WORDS.get, horizontal=True,
        help="For your indicator: are higher values worse (e.g. a rate of exclusions) or "
             "better (e.g. school readiness)? The map's colours, the hotspot test and every "
             "comparison depend on it, so the page asks instead of assuming.")
    scheme = state.widget(c3.selectbox, "Classes", list(sh.SCHEMES), param="scheme",
                          key="upload_scheme", default="quantiles", format_func=sh.SCHEMES.get)
    return column, polarity, scheme


# ----------------------------------------------------------------------------- report
def match_report(result) -> None:  # noqa: ANN001 - an UploadResult
    """What was read and matched, the LSOA 2011 carry, every change and what was left out."""
    report = result.report
    level = "lsoa11" if result.carry is not None else result.level
    carried = f", carried to {LEVEL_NAMES['lsoa21']}" if result.carry is not None else ""
    st.success(f"{report.rows_matched:,} of {report.rows_read:,} rows matched "
               f"{LEVEL_NAMES.get(level, level)}{carried}.")
    if result.carry is not None:
        st.info("\n\n".join(md(m) for m in result.carry.messages))
    with st.expander("Match report", expanded=bool(report.unknown_codes)):
        for message in result.messages:
            st.text(sh.plain(message))
        if report.unknown_codes:
            st.text("Codes not recognised: " + sh.plain(", ".join(report.unknown_codes[:20]))
                    + (" ..." if len(report.unknown_codes) > 20 else ""))


# ----------------------------------------------------------------------------- maps
def map_inputs(level: str, codes: pd.Index) -> dict:
    """How to draw the areas (with the sources of the boundaries and names drawn)."""
    return {**area_inputs(level, codes),
            "attribution": data.map_attribution([], levels=[level, "lad24"])}


def area_inputs(level: str, codes: pd.Index) -> dict:
    """How to draw the areas: shapes (up to VECTOR_LIMIT) or the level's grid, and names."""
    small = level in SMALL_AREA_LEVELS
    places = data.places()
    places = places[places["code"].str[0].isin(set(codes.str[0]))]  # the upload's nations
    if small and len(codes) > cu.VECTOR_LIMIT:
        return {"grid": data.level_grid(level),
                "places": places[places["level"] == "lad24"]}
    shapes = data.display_boundaries(level, "council" if small else "national")
    if not small:
        return {"shapes": shapes, "places": places[(places["level"] == level)
                                                   & places["code"].isin(codes)]}
    west, south, east, north = shapes.loc[codes].total_bounds
    near = places[places["level"].isin(("lad24", level))
                  & places["lon"].between(west - 0.1, east + 0.1)
                  & places["lat"].between(south - 0.1, north + 0.1)]
    return {"shapes": shapes, "places": near}


def draw(build, *args, **kwargs):  # noqa: ANN001, ANN201 - a map builder and its map
    """Build a map; what the classes had to say (few values, ties) becomes captions."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m = build(*args, **kwargs)
    for note in sorted({str(w.message) for w in caught
                        if not issubclass(w.category, MissingValuesWarning)}):
        st.caption(md(note))
    return m


def attribution() -> list[str]:
    return ["Your data: as uploaded; oppmap has not checked its values."]


def ask_polarity(values: pd.Series, *, level: str, label: str, unit: str,
                 inputs: dict) -> None:
    """Before the answer: where the matched areas are, and the question."""
    st.info(f"Which end of **{md(label)}** is worse? Choose it above: the map's colours, the "
            "hotspot test, the summaries and the comparisons depend on it, so nothing is "
            "assumed. Meanwhile, the map shows where your areas are.")
    m = draw(cu.matched_map, values, label=label, unit_word=unit, **inputs)
    shapes = inputs.get("shapes")
    if shapes is None:
        shapes = data.display_boundaries(level, "council")
    table = values.rename("value").to_frame()
    table.insert(0, "name", shapes["name"].reindex(values.index))
    sentence = (f"{int(values.notna().sum()):,} of your {len(values):,} {unit} have a value of "
                f"{label}.")
    sh.map_block(m, key="upload_map", sentence=md(sentence), table=table,
                 label=md(f"your {unit}, {label}"), extra_attribution=attribution())


def areas_table(analysis) -> pd.DataFrame:  # noqa: ANN001 - an UploadAnalysis
    """The analysed areas without geometry, with each one's named cluster and deprivation."""
    areas = pd.DataFrame(analysis.areas.drop(columns=analysis.areas.geometry.name))
    if "cluster_id" in areas.columns:
        areas["cluster"] = areas["cluster_id"].map(analysis.clusters["name"])
    areas["deprivation"] = analysis.scatter["deprivation"].reindex(areas.index)
    return areas


#: The columns of the areas' data table: the text alternative of the maps and the scatter.
TABLE_COLUMNS = {"name": "name", "value": "value", "rank": "rank (1 = worst)",
                 "outcome": "hotspot test", "cluster": "named cluster",
                 "deprivation": "deprivation", "bv_outcome": "against deprivation around"}


def hotspots_section(analysis, *, label: str, scheme: str, unit: str, inputs: dict) -> None:  # noqa: ANN001
    """The values mapped with the hotspot test's outcomes and the named clusters, in words."""
    small = analysis.level in SMALL_AREA_LEVELS
    st.header("Hotspots and named clusters" if small else "Your councils on the map")
    areas = areas_table(analysis)
    run = analysis.method.get("hotspots") or {}
    note = correction_words(run)[1] if run else None
    outcomes = areas["outcome"] if analysis.hotspots is not None else None
    if small:
        st.markdown(md(cu.hotspot_sentence(outcomes, run, label=label,
                                           polarity=analysis.polarity, unit_word=unit,
                                           correction=note or "",
                                           reason=analysis.hotspot_reason)))
    clusters = None
    if len(analysis.clusters):
        st.markdown(md(cu.cluster_sentence(analysis.clusters, unit_word=unit)))
        clusters = cu.cluster_shapes(analysis.clusters,
                                     simplify=50 if "grid" in inputs else None)
    m = draw(cu.upload_map, areas, label=label, polarity=analysis.polarity, scheme=scheme,
             unit_word=unit, clusters=clusters, note=note and f"{note}; purple: named clusters",
             **inputs)
    table = areas[[c for c in TABLE_COLUMNS if c in areas.columns]].rename(columns=TABLE_COLUMNS)
    sentence = describe_values(areas["value"], label=label, polarity=analysis.polarity,
                               names=areas.get("name"), area_word=unit)
    sh.map_block(m, key="upload_map", sentence=md(sentence), table=table,
                 label=md(f"{label}, your {unit} (the values of every map and chart here)"),
                 extra_attribution=attribution())


# ----------------------------------------------------------------------------- tables
def summaries_section(analysis, *, unit: str) -> None:  # noqa: ANN001 - an UploadAnalysis
    """Summaries by council (LAD and upper tier) and ward; data zones by council only."""
    if not analysis.summaries:
        return
    wards = " and ward" if "ward24" in analysis.summaries else ""
    st.header(f"Summaries by council{wards}")
    note = SMALL_AREA_LEVELS.get(analysis.level, {}).get("parents_note")
    if note:
        st.info(md(note))
    st.caption("Each summary uses your values and your own ranks (1 = the worst area by your "
               "answer): the average (weighted by population where the store has it), the "
               "share of the area's neighbourhoods in your worst tenth, and the IoD's extent "
               "and local concentration; every rank puts the worst first.")
    levels = [p for p in PARENTS if p in analysis.summaries]
    for tab, parent in zip(st.tabs([PARENTS[p][1] for p in levels]), levels, strict=True):
        table = analysis.summaries[parent]
        with tab:
            st.markdown(md(cu.summary_sentence(table, parent_word=PARENTS[parent][0],
                                               unit_word=unit)))
            shown = table[[c for c in SUMMARY_COLUMNS if c in table.columns]]
            st.dataframe(shown.sort_values("average_rank", kind="mergesort"), width="stretch",
                         key=f"upload_summary_{parent}", column_config=SUMMARY_FORMATS)


def councils_section(analysis, *, unit: str) -> None:  # noqa: ANN001 - an UploadAnalysis
    """A council upload: ranks, and each council beside its statistical neighbours."""
    councils = analysis.councils
    if councils is None:
        return
    st.header("Ranks and statistical neighbours")
    st.markdown(md(cu.council_sentence(councils, unit_word=unit)))
    attrs = councils.attrs
    st.caption(f"Statistical neighbours: the {attrs.get('k', 10)} councils most alike on "
               f"{', '.join(map(str, attrs.get('variables', [])))} (standardised), nearest "
               "first; a council outside the store's summary table has none.")
    names = councils["name"].to_dict()
    ranked = councils.dropna(subset=["rank"]).sort_values("rank", kind="mergesort")
    chosen = st.selectbox("Compare a council with its statistical neighbours",
                          list(ranked.index), key="upload_neighbours",
                          format_func=lambda c: f"{names.get(c, c)} ({c})")
    peers = str(councils.at[chosen, "neighbours"] or "").split(";") if chosen else []
    near = councils.reindex([chosen, *[p for p in peers if p]])[["name", "value", "rank"]]
    near["name"] = near["name"].fillna(pd.Series(names)).fillna("(no value uploaded)")
    st.dataframe(near, width="stretch", key="upload_neighbour_table", column_config=COUNCIL_LABELS)
    table = councils.drop(columns=["neighbours"]).sort_values("rank", kind="mergesort")
    with st.expander("Every council: rank and the mean of its neighbours", expanded=False):
        st.dataframe(table, width="stretch", key="upload_council_table",
                     column_config=COUNCIL_LABELS)


def link_section(analysis, *, label: str, unit: str, inputs: dict) -> None:  # noqa: ANN001
    """Correlations with each nation's index and domains, the scatter, the bivariate map."""
    st.header("The link to deprivation")
    st.markdown(md(cu.link_sentence(analysis.correlations, unit_word=unit)))
    corr = analysis.correlations
    if len(corr):
        shown = corr[[c for c in ("label", "nations", "n", "spearman_rho", "p", "direction",
                                  "orientation") if c in corr.columns]]
        st.dataframe(shown, width="stretch", key="upload_correlations", column_config={
            "spearman_rho": st.column_config.NumberColumn("Spearman's rho", format="%.3f"),
            "p": st.column_config.NumberColumn("p", format="%.2e")})
    scatter = analysis.scatter.copy()
    if scatter.dropna(subset=["value", "deprivation"]).empty:
        return
    scatter.attrs = {**analysis.scatter.attrs, "y_label": label}
    x_label = str(scatter.attrs.get("x_label", "deprivation"))
    st.caption(md(f"Each of your {unit} (a point) against {x_label}; the line is the median "
                  "of your values in bins of the deprivation score. The values are in the data "
                  "table under the first map."))
    chart = cu.upload_scatter(scatter, inline=False).properties(
        description=f"Scatter chart of {label} against {x_label}, one point per area.")
    st.altair_chart(chart, key="upload_scatter")
    bivariate_part(analysis, label=label, unit=unit, deprivation=x_label, inputs=inputs)


def bivariate_part(analysis, *, label: str, unit: str, deprivation: str,  # noqa: ANN001
                   inputs: dict) -> None:
    """The bivariate local Moran map (small areas with a hotspot test)."""
    if analysis.level not in SMALL_AREA_LEVELS:
        return
    outcomes = analysis.areas["bv_outcome"] if analysis.bivariate is not None else None
    sentence = md(cu.bivariate_sentence(outcomes, deprivation=deprivation, unit_word=unit,
                                        reason=analysis.bivariate_reason))
    if outcomes is None:
        st.markdown(sentence)
        return
    areas = areas_table(analysis)
    bv = analysis.method.get("bivariate") or {}
    note = f"Deprivation: {deprivation}" + (
        f"; {int(bv['permutations']):,} permutations, {correction_words(bv)[1]}"
        if {"permutations", "seed", "alpha", "correction"} <= set(bv) else "")
    measure = str(analysis.scatter.attrs.get("measure", ""))  # the deprivation drawn, too
    m = draw(cu.bivariate_map, areas, label=label, deprivation=deprivation, unit_word=unit,
             note=note, **{**inputs, "attribution": data.map_attribution(
                 [measure], levels=[analysis.level, "lad24"])})
    st.markdown(sentence)
    sh.show_map(m, key="upload_bv_map", height=520,
                title=f"Map: {label} against {deprivation} around each of your {unit}. The "
                      "outcomes are in the data table under the first map.")
    sh.attribution_caption(attribution())


# ----------------------------------------------------------------------------- download
def download_section(analysis, result, key: tuple[str, str, str]) -> None:  # noqa: ANN001
    """The zip of every file (made when asked) and its README, shown as plain text."""
    st.header("Download everything")
    args = (*key, analysis, result.report.filename, tuple(result.messages))
    st.caption("A zip with every area's value and hotspot outcome (CSV and GeoJSON), the "
               "named clusters, the summaries, the correlations and a README with the method, "
               "its parameters, the match report and the attribution. It is made when you "
               "click (a national upload takes a few seconds).")
    name = re.sub(r"[^A-Za-z0-9_-]+", "_", sh.plain(result.labels[key[1]])).strip("_")[:40]
    st.download_button("Download the analysis (zip)", data=lambda: data.upload_zip(*args),
                       file_name=f"oppmap_analysis_{name or 'your_data'}.zip",
                       mime="application/zip", on_click="ignore", key="upload_zip")
    if st.toggle("Show the README of the download", key="upload_readme"):
        st.code(data.upload_files(*args)["README.txt"].decode("utf-8"), language=None)


# ----------------------------------------------------------------------------- page
def results(analysis, result, *, key: tuple[str, str, str], scheme: str) -> None:  # noqa: ANN001
    label = sh.plain(analysis.label)
    unit = cu.UNIT_WORDS.get(analysis.level, "areas")
    told = {SMALL_AREA_LEVELS.get(analysis.level, {}).get("parents_note")}  # with the summaries
    if analysis.level in SMALL_AREA_LEVELS:  # with the hotspots and the bivariate map
        told |= {analysis.hotspot_reason, analysis.bivariate_reason}
    for note in analysis.notes:
        if note not in told:
            st.caption(md(note))
    inputs = map_inputs(analysis.level, analysis.areas.index)
    hotspots_section(analysis, label=label, scheme=scheme, unit=unit, inputs=inputs)
    councils_section(analysis, unit=unit)
    summaries_section(analysis, unit=unit)
    link_section(analysis, label=label, unit=unit, inputs=inputs)
    download_section(analysis, result, key)


sh.set_page("upload")
st.title("Your data")
sh.require_store()
st.markdown(
    "Upload a CSV with one row per area: a column of area codes (LSOA 2021 such as "
    "`E01000001`, LSOA 2011, Scottish data zones such as `S01006506`, or council codes of 2024 "
    "such as `E08000025`) and one or more columns of numbers. oppmap maps your measure, finds "
    "where it clusters (hotspots and named clusters), summarises it by council and ward and "
    "relates it to deprivation. Nothing is written to disk: the file stays in this session "
    "(until you forget it or close the page) and its analysis in the server's memory for an "
    "hour, so that changing an option is quick.")
file_name, raw = the_file()
digest = hashlib.sha256(raw).hexdigest()
try:
    checked = data.checked_upload(digest, raw, file_name)
except OppmapError as exc:
    st.error("This file cannot be mapped: " + md(exc))
    sh.stop()
st.session_state[SEEN] = True
match_report(checked)
column, polarity, scheme = choices(checked)
values = checked.table[column]
col_label = sh.plain(checked.labels.get(column, column))
if values.notna().sum() == 0:
    st.error(f"Column {md(col_label)} has no numbers to map.")
    sh.stop()
unit_word = cu.UNIT_WORDS.get(checked.level, "areas")
if polarity is None:
    ask_polarity(values, level=checked.level, label=col_label, unit=unit_word,
                 inputs=map_inputs(checked.level, values.index))
    sh.stop()
found = data.upload_analysis(digest, column, polarity, checked)
results(found, checked, key=(digest, column, polarity), scheme=scheme)
sh.finish()
