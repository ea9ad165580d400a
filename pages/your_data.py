"""Your data: upload a CSV of values per area, read the match report, see it on a map."""

from __future__ import annotations

import warnings

import streamlit as st

from geo._errors import OppmapError
from geo.maps.choropleth import choropleth_map
from geo.maps.classes import MissingValuesWarning
from geo.maps.national import lsoa_overview_map, paint_lsoa_grid
from geo.maps.text import describe_values, map_table
from geo.upload.reader import read_upload
from pages import _data as data
from pages import _shared as sh

sh.set_page("upload")
st.title("Your data")
sh.require_store()

st.markdown(
    "Upload a CSV with one row per area: a column of area codes (LSOA 2021 such as "
    "`E01000001`, or council codes of 2024 such as `E08000025`) and one or more columns of "
    "numbers. The file stays in this session; nothing is stored."
)
upload = st.file_uploader("CSV file", type=["csv", "txt"], key="upload_file")
if upload is None:
    st.info("No file yet. Example: a header line `code,value` then lines like "
            "`E08000025,12.5`.")
    st.stop()

try:
    result = read_upload(upload.getvalue(), known_codes=data.known_codes(),
                         vintages=data.vintage_codes(), filename=upload.name)
except OppmapError as exc:
    st.error("This file cannot be mapped: " + sh.md_escape(str(exc)))
    st.stop()

report = result.report
level_names = {"lsoa21": "LSOAs (2021)", "lad24": "councils (lower tier, 2024)",
               "utla24": "councils (upper tier, 2024)"}
st.success(f"{report.rows_matched:,} of {report.rows_read:,} rows matched "
           f"{level_names.get(result.level, result.level)}.")
with st.expander("Match report", expanded=bool(result.messages)):
    for message in result.messages:
        st.text(sh.plain(message))
    if report.unknown_codes:
        st.text("Codes not recognised: " + sh.plain(", ".join(report.unknown_codes[:20]))
                + (" ..." if len(report.unknown_codes) > 20 else ""))

columns = list(result.table.columns)
labels = {c: sh.plain(result.labels.get(c, c)) for c in columns}
c1, c2, c3 = st.columns([2, 1.3, 1.3])
c1.selectbox("Column to map", columns, key="upload_column", format_func=labels.get)
c2.radio("Which end is worse?", ["higher_worse", "higher_better"], key="upload_polarity",
         format_func={"higher_worse": "Higher is worse",
                      "higher_better": "Higher is better"}.get)
c3.selectbox("Classes", list(sh.SCHEMES), key="upload_scheme", format_func=sh.SCHEMES.get)
column = st.session_state["upload_column"]
polarity = st.session_state["upload_polarity"]
scheme = st.session_state["upload_scheme"]
label = f"Your data: {labels[column]}"
values = result.table[column].rename("value")

if values.notna().sum() == 0:
    st.error(f"Column {sh.md_escape(labels[column])} has no numbers to map.")
    st.stop()

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    if result.level == "lsoa21" and values.size > 5_000:
        names = data.display_boundaries("lsoa21", "council")["name"]
        frame = values.to_frame().join(names)
        with st.spinner("Painting your neighbourhoods..."):
            image = paint_lsoa_grid(data.national_grid(), values, scheme=scheme, polarity=polarity)
        m = lsoa_overview_map(image, label=label, polarity=polarity)
    else:
        view = "council" if result.level == "lsoa21" else "national"
        shapes = data.display_boundaries(result.level, view)
        frame = shapes.loc[shapes.index.isin(values.index), ["name", "geometry"]].join(values)
        m = choropleth_map(frame, "value", scheme=scheme, polarity=polarity, label=label,
                           layer_name="Your data")
    table = map_table(frame, "value", scheme=scheme)
notes = {str(w.message) for w in caught if not issubclass(w.category, MissingValuesWarning)}
for note in sorted(notes):
    st.caption(sh.md_escape(note))
sentence = sh.md_escape(describe_values(frame["value"], label=label, polarity=polarity,
                                        names=frame["name"], area_word="areas"))
sh.map_block(m, key="upload_map", sentence=sentence, table=table, label=sh.md_escape(label),
             extra_attribution=["Your data: as uploaded; oppmap has not checked its values."])
