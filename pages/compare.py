"""Compare places: two to four councils side by side, against England, their regions and their
statistical neighbours, indicator by indicator and neighbourhood by neighbourhood."""

from __future__ import annotations

import warnings

import streamlit as st

from geo import profile_tables as gt
from geo.maps.charts import bar_chart, spine_chart
from geo.maps.choropleth import choropleth_map
from geo.maps.classes import MissingValuesWarning
from geo.maps.text import describe_values, map_table
from pages import _data as data
from pages import _shared as sh
from pages import _state as state

sh.set_page("compare")
st.title("Compare places")
sh.require_store()

names = data.councils()
lad = names[names["level"] == "lad24"].sort_values("name")
options = data.measures()
sh.unknown_council_notice("councils")

chosen = state.read_list("councils", lad.index, ["E08000025", "E08000003"], limit=4)
state.widget(st.multiselect, "Councils (2 to 4, lower tier / unitary)", lad.index.tolist(),
             param="councils", key="compare_councils", default=chosen, value=chosen,
             max_selections=4, format_func={c: f"{n} ({c})" for c, n in lad["name"].items()}.get)

if len(chosen) < 2:
    st.info("Choose at least two councils to compare.")
    sh.stop()

label_of = {code: str(lad.loc[code, "name"]) for code in chosen}

# ----------------------------------------------------------------------------- indicators
with st.spinner("Comparing the councils with England, their regions and neighbours..."):
    profiles = {label_of[code]: data.profile(code) for code in chosen}
    table = gt.side_by_side(profiles)
    spine = gt.spine_data({k: v for k, v in profiles.items() if not v.empty}, data.level_tables())

st.subheader("Indicators by life stage")
for area, prof in profiles.items():
    st.markdown("- " + gt.describe_profile(prof, name=area))
if not spine.empty:
    st.markdown(
        "Each row: the spread of all councils (light grey: worst to best; dark grey: the middle "
        "half), England at the black tick, and a mark for each chosen council. **Worse is always "
        "on the left**, whatever the direction of the indicator."
    )
    st.altair_chart(spine_chart(spine, colour_by="area"), key="compare_spine")
st.dataframe(table, width="stretch", hide_index=True, key="compare_table")
st.caption(
    "Rank 1 is the worst council in England (the UK for the Social Mobility Commission's "
    "indices), whatever the direction of the indicator. Comparisons with England, the region and "
    "the 10 statistical neighbours (IoD scores, density and age mix) are significance verdicts "
    "where a 95% Wilson interval exists (NEET and participation of 16-17 year olds, from the "
    "published cohorts); words in brackets compare values only. DfE figures (NEET, attainment, "
    "KS2) are published for upper-tier councils: a district shows its county's figure. England: "
    "the published or store-computed figure (summary_england), else the mean of councils."
)
sh.attribution_caption()

# ----------------------------------------------------------------------------- one indicator
st.subheader("One indicator on the map")
lad_options = options[options["lad24"] != ""]
c1, c2 = st.columns([3, 1.3])
indicator = state.widget(c1.selectbox, "Indicator", list(lad_options.index), param="indicator",
                         key="compare_indicator", default=sh.DEFAULT_INDICATOR,
                         format_func=lad_options["label"].to_dict().get)
scheme = state.widget(c2.selectbox, "Classes", list(sh.SCHEMES), param="scheme",
                      key="compare_scheme", default="quantiles", format_func=sh.SCHEMES.get)
meta = lad_options.loc[indicator]
values = data.council_values(indicator)
shapes = data.display_boundaries("lad24", "national")
countries = shapes.loc[shapes.index.isin(chosen), "country"].unique()
frame = shapes.loc[shapes["country"].isin(countries), ["name", "geometry"]].join(values)
st.altair_chart(bar_chart(frame.loc[chosen].set_index("name")["value"], label=meta["label"],
                         unit=meta["unit"]), key="compare_bars")
with warnings.catch_warnings():
    warnings.simplefilter("ignore", MissingValuesWarning)
    m = choropleth_map(frame, "value", scheme=scheme, polarity=meta["polarity"],
                       label=meta["label"], unit=meta["unit"], highlight=chosen,
                       fit="highlight", layer_name="Councils")
    full_table = map_table(frame, "value", scheme=scheme, unit=meta["unit"])
sentence = describe_values(frame.loc[chosen, "value"], label=meta["label"], unit=meta["unit"],
                           polarity=meta["polarity"], names=frame["name"],
                           area_word="chosen councils")
sh.map_block(m, key="compare_map", sentence=sentence, table=full_table.loc[chosen],
             label=meta["label"], height=460)
st.caption("The map is classed over all councils shown; the chosen ones are outlined in black.")

# ----------------------------------------------------------------------------- neighbourhoods
st.subheader("Neighbourhoods side by side")
lsoa_opts = data.lsoa_options()
hotspot_names = data.hotspot_choices()
d1, d2, d3 = st.columns([2.6, 1.4, 1.6])
lsoa_indicator = state.widget(d1.selectbox, "Indicator by neighbourhood (LSOA)",
                              list(lsoa_opts.index), param="lsoa", key="compare_lsoa",
                              default=data.DEFAULT_LSOA,
                              format_func=lsoa_opts["label"].to_dict().get)
hotspot = state.widget(d2.selectbox, "Hotspots", list(hotspot_names), param="hotspots",
                       key="compare_hotspots", default=data.DEFAULT_HOTSPOTS,
                       format_func=hotspot_names.get)
classes = state.widget(d3.radio, "Colours", list(sh.CLASSES), param="classes",
                       key="compare_classes", default="national", format_func=sh.CLASSES.get)
st.caption(("Every council's neighbourhoods are coloured on one scheme, the quantiles of the "
            "whole nation's neighbourhoods, so the same colour means the same values on every "
            "map." if classes == "national" else
            "Each council's neighbourhoods are classed within that council (quantiles), so "
            "colours compare places within a council, not across councils.")
           + (" " + data.run_method(hotspot) if hotspot != "none" else ""))
for start in range(0, len(chosen), 2):
    for column, code in zip(st.columns(2), chosen[start:start + 2], strict=False):
        with column:
            st.markdown(f"**{label_of[code]}**")
            with st.spinner(f"Drawing {label_of[code]}..."):
                view = data.council_lsoa_view(code, lsoa_indicator, scheme="quantiles",
                                              hotspot=hotspot, classes=classes, label_top=3)
            sh.show_council_view(view, key=f"compare_lsoas_{code}", height=480, brief=True)
sh.finish()
