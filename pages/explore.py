"""Explore: a national council map of any indicator; click a council to see its neighbourhoods."""

from __future__ import annotations

import warnings

import streamlit as st

from geo.classify import MissingValuesWarning
from geo.maps import choropleth_map, describe_values, lsoa_overview_map, map_table
from pages import _shared as sh

sh.set_page("explore")
st.title("Where is opportunity missing?")
sh.require_store()

options = sh.council_options()
lsoa_opts = sh.lsoa_options()
names = sh.council_names()
catalogue = sh.catalogue()

# a council clicked on the map in the previous run becomes the selection (before the widget)
if "explore_pending_council" in st.session_state:
    st.session_state["explore_council"] = st.session_state.pop("explore_pending_council")

VIEWS = {"councils": "Councils", "lsoas": "All LSOAs (image)"}
HOTSPOT_CHOICES = sh.HOTSPOT_CHOICES
council_codes = [""] + names.sort_values("name").index.tolist()

sh.init_state("explore_indicator", "indicator", options.index, "summary.imd_average_score")
sh.init_state("explore_scheme", "scheme", sh.SCHEMES, "quantiles")
sh.init_state("explore_view", "view", VIEWS, "councils")
sh.init_state("explore_lsoa", "lsoa", lsoa_opts.index, "iod2025.imd_score")
sh.init_state("explore_council", "council", council_codes, "")
sh.init_state("explore_hotspots", "hotspots", HOTSPOT_CHOICES, sh.DEFAULT_HOTSPOTS)

c1, c2, c3 = st.columns([3, 1.4, 1.4])
c1.selectbox("Indicator by council", options.index, key="explore_indicator",
             format_func=lambda i: options.loc[i, "label"])
c2.selectbox("Classes", list(sh.SCHEMES), key="explore_scheme", format_func=sh.SCHEMES.get)
c3.radio("National view", list(VIEWS), key="explore_view", format_func=VIEWS.get,
         horizontal=True)
d1, d2, d3 = st.columns([2.4, 1.8, 1.8])
d1.selectbox("Indicator by neighbourhood (LSOA)", lsoa_opts.index, key="explore_lsoa",
             format_func=lambda i: lsoa_opts.loc[i, "label"])
d2.selectbox("Council (or click one on the map)", council_codes, key="explore_council",
             format_func=lambda c: "(none)" if not c else f"{names.loc[c, 'name']} ({c})")
d3.selectbox("Hotspots", list(HOTSPOT_CHOICES), key="explore_hotspots",
             format_func=HOTSPOT_CHOICES.get)

indicator = st.session_state["explore_indicator"]
scheme = st.session_state["explore_scheme"]
view = st.session_state["explore_view"]
lsoa_indicator = st.session_state["explore_lsoa"]
council = st.session_state["explore_council"]
hotspot_choice = st.session_state["explore_hotspots"]
for param, value in (("indicator", indicator), ("scheme", scheme), ("view", view),
                     ("lsoa", lsoa_indicator), ("council", council),
                     ("hotspots", hotspot_choice)):
    sh.set_param(param, value)


def remember_click(result: dict, state_key: str) -> None:
    code = sh.clicked_code(result, state_key=state_key)
    if code and code != council and code in names.index:
        st.session_state["explore_pending_council"] = code
        st.rerun()


# ----------------------------------------------------------------------------- national map
if view == "councils":
    meta = options.loc[indicator]
    level = meta["level"]
    values = sh.council_values(indicator)
    shapes = sh.display_boundaries(level, "national")
    countries = shapes.loc[shapes.index.isin(values.dropna().index), "country"].unique()
    frame = shapes.loc[shapes["country"].isin(countries), ["name", "geometry"]].join(values)
    st.markdown(describe_values(frame["value"], label=meta["label"], unit=meta["unit"],
                                polarity=meta["polarity"], names=frame["name"],
                                area_word="councils"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingValuesWarning)  # said in the sentence above
        m = choropleth_map(frame, "value", scheme=scheme, polarity=meta["polarity"],
                           label=meta["label"], unit=meta["unit"],
                           highlight=council if council in frame.index else None,
                           layer_name="Councils")
        table = map_table(frame, "value", scheme=scheme, unit=meta["unit"])
    result = sh.show_map(m, key=f"explore_national_{level}", returned=("last_active_drawing",))
    remember_click(result, "explore_click_national")
    sh.attribution_caption()
    sh.data_table(table, label=meta["label"], key="explore_national_table")
else:
    meta = catalogue.loc[lsoa_indicator]
    image = sh.lsoa_image(lsoa_indicator, scheme)
    outlines = sh.display_boundaries("lad24", "national")
    outlines = outlines.loc[outlines["country"] == "E", ["name", "geometry"]]
    values = sh.lsoa_values(lsoa_indicator)
    lsoa_names = sh.display_boundaries("lsoa21", "council")["name"]
    st.markdown(describe_values(values, label=meta["label"], unit=meta["unit"],
                                polarity=meta["polarity"], names=lsoa_names,
                                area_word="LSOAs"))
    m = lsoa_overview_map(image, label=meta["label"], unit=meta["unit"],
                          polarity=meta["polarity"], outlines=outlines)
    result = sh.show_map(m, key="explore_national_lsoas", returned=("last_active_drawing",))
    remember_click(result, "explore_click_lsoas")
    st.caption("Each LSOA is painted into an image (500 m pixels) so that all 33,755 can be "
               "shown at once; choose a council to see its LSOAs as shapes.")
    sh.attribution_caption()
    table = map_table(values.to_frame().join(lsoa_names), "value", scheme=scheme,
                      unit=meta["unit"])
    sh.data_table(table, label=meta["label"], key="explore_lsoa_table")

# ----------------------------------------------------------------------------- one council
if council:
    st.subheader(f"{names.loc[council, 'name']}: neighbourhoods (LSOAs)")
    view_data = sh.council_lsoa_view(council, lsoa_indicator, scheme=scheme,
                                     hotspot=hotspot_choice)
    sh.show_council_view(view_data, key="explore_council_map")
