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
from geo.maps.frame import place_labels
from geo.maps.hotspots import cluster_layer
from geo.maps.national import lsoa_overview_map
from geo.maps.raster import lsoa_at
from geo.maps.text import describe_values, format_value, map_table
from pages import _data as data
from pages import _shared as sh
from pages import _state as state

sh.set_page("explore")
st.title("Where is opportunity missing?")
sh.require_store()

options = data.measures()
lsoa_opts = data.lsoa_options()
names = data.councils()
catalogue = data.catalogue()
sh.unknown_council_notice()

VIEWS = {"councils": "Councils", "lsoas": "All LSOAs (image)"}
council_codes = ["", *names.sort_values("name").index]
hotspot_names = data.hotspot_choices()

c1, c2, c3 = st.columns([3, 1.4, 1.4])
indicator = state.widget(c1.selectbox, "Indicator by council", list(options.index),
                         param="indicator", key="explore_indicator",
                         default=sh.DEFAULT_INDICATOR,
                         format_func=options["label"].to_dict().get)
scheme = state.widget(c2.selectbox, "Classes", list(sh.SCHEMES), param="scheme",
                      key="explore_scheme", default="quantiles", format_func=sh.SCHEMES.get)
view = state.widget(c3.radio, "National view", list(VIEWS), param="view", key="explore_view",
                    default="councils", format_func=VIEWS.get, horizontal=True)
d1, d2, d3 = st.columns([2.4, 1.8, 1.8])
lsoa_indicator = state.widget(d1.selectbox, "Indicator by neighbourhood (LSOA)",
                              list(lsoa_opts.index), param="lsoa", key="explore_lsoa",
                              default=data.DEFAULT_LSOA,
                              format_func=lsoa_opts["label"].to_dict().get)
council = state.widget(d2.selectbox, "Council (or click one on the map)", council_codes,
                       param="council", key="explore_council", default="",
                       format_func={"": "(none)", **{c: f"{n} ({c})" for c, n in names["name"].items()}}.get)
hotspot_choice = state.widget(d3.selectbox, "Hotspots", list(hotspot_names), param="hotspots",
                              key="explore_hotspots", default=data.DEFAULT_HOTSPOTS,
                              format_func=hotspot_names.get)
show_clusters = hotspot_choice == data.CLUSTERED


def choose_clicked_council(key: str, level: str, shown: pd.Index) -> None:
    """A click on the national map selects the council under the point, whatever layer (a
    cluster outline, a label) lies on top (``on_change`` of the map: before the widgets)."""
    click = (st.session_state.get(key) or {}).get("last_clicked") or {}
    if click.get("lat") is None:
        return
    code = data.council_at(level, click["lat"], click["lng"])
    if code in shown:
        state.put("council", code)
    else:
        st.session_state["explore_missed"] = True


def add_national_clusters(m) -> str | None:
    """Named clusters over a national map; returns the sentence that describes them."""
    if not show_clusters:
        return None
    outlines = data.national_cluster_outlines()
    m.add_child(cluster_layer(outlines, name="Named clusters", precision=4, label_top=25,
                              label_min_zoom=9))
    where = data.hotspot_runs().loc[data.CLUSTERED, "where"]
    return gh.cluster_sentence(outlines, place=where, words=data.cluster_words())


def add_names_and_control(m, level: str, shown: pd.Index) -> None:
    """The names of the councils drawn (of the map's tier), and the layer control."""
    places = data.places()
    m.add_child(place_labels(places[(places["level"] == level) & places["code"].isin(shown)],
                             name="Council names"))
    folium.LayerControl(collapsed=True).add_to(m)


def lsoa_card(code: str) -> None:
    """The values of one clicked LSOA, and a button to open its council."""
    info = data.display_boundaries("lsoa21", "council").loc[code]
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
        rows[hotspot_names[hotspot_choice]] = str(
            data.run_labels(hotspot_choice).get(code, "not tested"))
    rows["Named cluster"] = str(data.cluster_owner().get(code, "none"))
    st.markdown(f"**Clicked neighbourhood: {info['name']}**")
    st.table(pd.DataFrame({"value": rows}))
    parent = info["lad24_code"]
    if parent != council:
        st.button(f"Show {names.loc[parent, 'name']}'s neighbourhoods", key="explore_open",
                  on_click=state.put, args=("council", parent))


def national_councils() -> None:
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
                           layer_name="Councils", precision=4)  # ~10 m: plenty nationally
        table = map_table(frame, "value", scheme=scheme, unit=meta["unit"])
    clusters_text = add_national_clusters(m)
    add_names_and_control(m, level, frame.index)
    if clusters_text:
        st.caption(clusters_text)
    if st.session_state.pop("explore_missed", False):
        st.info("No council of this map under that point: click inside a council.")
    key = f"explore_national_{level}"
    sh.map_block(m, key=key, sentence=sentence, table=table,
                 label=f"{meta['label']}, by council", returned=("last_clicked",),
                 on_change=lambda: choose_clicked_council(key, level, frame.index))


def national_image() -> None:
    meta = catalogue.loc[lsoa_indicator]
    with st.spinner("Painting every LSOA..."):
        image = data.lsoa_image(lsoa_indicator, scheme)
    values = data.lsoa_values(lsoa_indicator)
    lsoas = data.display_boundaries("lsoa21", "council")
    outlines = data.display_boundaries("lad24", "national")
    outlines = outlines.loc[outlines["country"].isin(lsoas["country"].unique()),
                            ["name", "geometry"]]
    sentence = describe_values(values, label=meta["label"], unit=meta["unit"],
                               polarity=meta["polarity"], names=lsoas["name"], area_word="LSOAs")
    m = lsoa_overview_map(image, label=meta["label"], unit=meta["unit"],
                          polarity=meta["polarity"], outlines=outlines)
    clusters_text = add_national_clusters(m)
    add_names_and_control(m, "lad24", outlines.index)
    st.caption("Every LSOA is painted into one image (500 m pixels) so that all of them show "
               "at once. Click anywhere to read that neighbourhood's values; choose a council "
               "to see its LSOAs as shapes." + (f" {clusters_text}" if clusters_text else ""))
    table = map_table(values.to_frame().join(lsoas["name"]), "value", scheme=scheme,
                      unit=meta["unit"])
    result = sh.map_block(m, key="explore_national_lsoas", sentence=sentence, table=table,
                          label=f"{meta['label']}, every neighbourhood",
                          returned=("last_clicked",))
    click = result.get("last_clicked") or {}
    if click.get("lat") is not None:
        clicked = lsoa_at(click["lat"], click["lng"], data.lsoa_lookup())
        if clicked is None or clicked not in lsoas.index:
            st.info("No neighbourhood (LSOA) of the store under that point.")
        else:
            lsoa_card(clicked)


# ----------------------------------------------------------------------------- national map
if view == "councils":
    national_councils()
else:
    national_image()

# ----------------------------------------------------------------------------- one council
if council:
    st.subheader(f"{names.loc[council, 'name']}: neighbourhoods (LSOAs)")
    classes = state.widget(st.radio, "Colours of the neighbourhood map", list(sh.CLASSES),
                           param="classes", key="explore_classes", default="national",
                           format_func=sh.CLASSES.get, horizontal=True)
    with st.spinner(f"Drawing {names.loc[council, 'name']}'s neighbourhoods..."):
        view_data = data.council_lsoa_view(council, lsoa_indicator, scheme=scheme,
                                           hotspot=hotspot_choice, classes=classes)
    sh.show_council_view(view_data, key="explore_council_map")
sh.finish()
