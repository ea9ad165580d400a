"""Explore: a national map of any indicator (councils, or all LSOAs as an image) with the named
clusters of compounded disadvantage; click a council to see its neighbourhoods, or click the
national image to read one neighbourhood's values."""

from __future__ import annotations

import warnings

import folium
import pandas as pd
import streamlit as st

from geo import council_hotspots as gh
from geo.maps.choropleth import choropleth_map
from geo.maps.classes import MissingValuesWarning
from geo.maps.hotspots import cluster_layer
from geo.maps.national import lsoa_overview_map
from geo.maps.raster import lsoa_at
from geo.maps.text import describe_values, format_value, map_table
from pages import _data as data
from pages import _shared as sh

sh.set_page("explore")
st.title("Where is opportunity missing?")
sh.require_store()

options = data.measures()
lsoa_opts = data.lsoa_options()
names = data.councils()
catalogue = data.catalogue()
sh.unknown_council_notice()

# a council clicked on the map (or opened from an LSOA card) in the previous run becomes the
# selection, before the widget is drawn
if "explore_pending_council" in st.session_state:
    st.session_state["explore_council"] = st.session_state.pop("explore_pending_council")

VIEWS = {"councils": "Councils", "lsoas": "All LSOAs (image)"}
council_codes = [""] + names.sort_values("name").index.tolist()

sh.init_state("explore_indicator", "indicator", options.index, sh.DEFAULT_INDICATOR)
sh.init_state("explore_scheme", "scheme", sh.SCHEMES, "quantiles")
sh.init_state("explore_view", "view", VIEWS, "councils")
sh.init_state("explore_lsoa", "lsoa", lsoa_opts.index, data.DEFAULT_LSOA)
sh.init_state("explore_council", "council", council_codes, "")
sh.init_state("explore_hotspots", "hotspots", data.hotspot_choices(), data.DEFAULT_HOTSPOTS)

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
d3.selectbox("Hotspots", list(data.hotspot_choices()), key="explore_hotspots",
             format_func=data.hotspot_choices().get)

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
show_clusters = hotspot_choice == data.CLUSTERED


def remember_click(result: dict, state_key: str) -> None:
    code = sh.clicked_code(result, state_key=state_key)
    if code and code != council and code in names.index:
        st.session_state["explore_pending_council"] = code
        st.rerun()


def add_national_clusters(m) -> str | None:
    """Named clusters over a national map; returns the sentence that describes them."""
    if not show_clusters:
        return None
    outlines = data.national_cluster_outlines()
    m.add_child(cluster_layer(outlines, name="Named clusters", precision=4, label_top=25,
                              label_min_zoom=9))
    folium.LayerControl(collapsed=True).add_to(m)
    where = data.hotspot_runs().loc[data.CLUSTERED, "where"]
    return gh.cluster_sentence(outlines, place=where, words=data.cluster_words())


def lsoa_card(code: str) -> None:
    """The values of one clicked LSOA, and a button to open its council."""
    lsoas = data.display_boundaries("lsoa21", "council")
    info = lsoas.loc[code]
    meta = catalogue.loc[lsoa_indicator]
    tables = data.store_tables(("iod2025", "compound"))
    iod = tables["iod2025"].reindex([code]).dropna(how="all")
    comp = tables["compound"].reindex([code]).dropna(how="all")
    rows = {
        "Neighbourhood": f"{info['name']} ({code})",
        "Council": f"{info['lad24_name']} ({info['lad24_code']})",
        "Ward": info["ward24_name"],
        meta["label"]: format_value(data.lsoa_values(lsoa_indicator).get(code), meta["unit"]),
    }
    if not iod.empty:
        rows[catalogue.loc["iod2025.imd_decile", "label"]] = str(int(iod["imd_decile"].iloc[0]))
    if not comp.empty:
        doms = comp["domains_worst_decile"].iloc[0]
        rows[catalogue.loc["compound.n_domains_worst_decile", "label"]] = (
            f"{int(comp['n_domains_worst_decile'].iloc[0])}"
            + (f" ({str(doms).replace(';', ', ')})" if isinstance(doms, str) and doms else ""))
        rows["Compounded / persistent"] = (
            f"{'yes' if comp['compounded'].iloc[0] else 'no'} / "
            f"{'yes' if comp['persistent'].iloc[0] else 'no'}")
    if hotspot_choice != "none":
        rows[data.hotspot_runs().loc[hotspot_choice, "name"]] = str(
            data.run_labels(hotspot_choice).get(code, "not tested"))
    rows["Named cluster"] = str(data.cluster_owner().get(code, "none"))
    st.markdown(f"**Clicked neighbourhood: {info['name']}**")
    st.table(pd.DataFrame({"value": rows}))
    parent = info["lad24_code"]
    if parent != council and st.button(f"Show {names.loc[parent, 'name']}'s neighbourhoods",
                                       key="explore_open"):
        st.session_state["explore_pending_council"] = parent
        st.rerun()


# ----------------------------------------------------------------------------- national map
if view == "councils":
    meta = options.loc[indicator]
    level = meta["level"]
    values = data.council_values(indicator)
    shapes = data.display_boundaries(level, "national")
    countries = shapes.loc[shapes.index.isin(values.dropna().index), "country"].unique()
    frame = shapes.loc[shapes["country"].isin(countries), ["name", "geometry"]].join(values)
    sentence = describe_values(frame["value"], label=meta["label"], unit=meta["unit"],
                               polarity=meta["polarity"], names=frame["name"],
                               area_word="councils")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingValuesWarning)  # said in the sentence above
        m = choropleth_map(frame, "value", scheme=scheme, polarity=meta["polarity"],
                           label=meta["label"], unit=meta["unit"],
                           highlight=council if council in frame.index else None,
                           layer_name="Councils")
        table = map_table(frame, "value", scheme=scheme, unit=meta["unit"])
    clusters_text = add_national_clusters(m)
    if clusters_text:
        st.caption(clusters_text)
    result = sh.map_block(m, key=f"explore_national_{level}", sentence=sentence, table=table,
                          label=meta["label"], returned=("last_active_drawing",))
    remember_click(result, "explore_click_national")
else:
    meta = catalogue.loc[lsoa_indicator]
    with st.spinner("Painting every LSOA..."):
        image = data.lsoa_image(lsoa_indicator, scheme)
    values = data.lsoa_values(lsoa_indicator)
    outlines = data.display_boundaries("lad24", "national")
    covered = data.display_boundaries("lsoa21", "council")["country"].unique()
    outlines = outlines.loc[outlines["country"].isin(covered), ["name", "geometry"]]
    lsoa_names = data.display_boundaries("lsoa21", "council")["name"]
    sentence = describe_values(values, label=meta["label"], unit=meta["unit"],
                               polarity=meta["polarity"], names=lsoa_names, area_word="LSOAs")
    m = lsoa_overview_map(image, label=meta["label"], unit=meta["unit"],
                          polarity=meta["polarity"], outlines=outlines)
    clusters_text = add_national_clusters(m)
    st.caption("Every LSOA is painted into one image (500 m pixels) so that all of them show "
               "at once. Click anywhere to read that neighbourhood's values; choose a council "
               "to see its LSOAs as shapes." + (f" {clusters_text}" if clusters_text else ""))
    table = map_table(values.to_frame().join(lsoa_names), "value", scheme=scheme,
                      unit=meta["unit"])
    result = sh.map_block(m, key="explore_national_lsoas", sentence=sentence, table=table,
                          label=meta["label"], returned=("last_clicked",))
    click = result.get("last_clicked") or {}
    if click.get("lat") is not None:
        with st.spinner("Finding the neighbourhood under the click..."):
            clicked = lsoa_at(click["lat"], click["lng"], data.lsoa_lookup())
        if clicked is None or clicked not in lsoa_names.index:
            st.info("No neighbourhood (LSOA) of the store under that point.")
        else:
            lsoa_card(clicked)

# ----------------------------------------------------------------------------- one council
if council:
    st.subheader(f"{names.loc[council, 'name']}: neighbourhoods (LSOAs)")
    with st.spinner(f"Drawing {names.loc[council, 'name']}'s neighbourhoods..."):
        view_data = data.council_lsoa_view(council, lsoa_indicator, scheme=scheme,
                                         hotspot=hotspot_choice)
    sh.show_council_view(view_data, key="explore_council_map")
