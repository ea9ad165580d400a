"""Explore: a national map of any indicator for the UK's councils (or every small area of Great
Britain as an image) with each nation's named clusters of compounded disadvantage; click a
council to see its neighbourhoods, or click the image to read one neighbourhood's values."""

from __future__ import annotations

import warnings

import folium
import pandas as pd
import streamlit as st

from geo import council_areas as ga
from geo import council_hotspots as gh
from geo import council_view as gv
from geo import profile_tables as gt
from geo.maps.choropleth import choropleth_map
from geo.maps.classes import MissingValuesWarning
from geo.maps.frame import place_labels
from geo.maps.hotspots import cluster_layer
from geo.maps.national import lsoa_overview_map
from geo.maps.text import describe_values, map_table
from pages import _data as data
from pages import _shared as sh
from pages import _state as state

sh.set_page("explore")
st.title("Where is opportunity missing?")
sh.require_store()

options = data.measures()
lsoa_opts = data.lsoa_options()
names = data.councils()
sh.unknown_council_notice()

VIEWS = {"councils": "Councils", "lsoas": "All neighbourhoods (image)"}
#: The zoom of a national map of the UK at a desktop window: council names show from it.
UK_ZOOM = 4.0
council_codes = ["", *names.sort_values("name").index]
hotspot_names = data.hotspot_choices()

sh.unknown_indicator_notice(options, list(options.index), default=sh.DEFAULT_INDICATOR,
                            where="Explore")
c1, c2, c3 = st.columns([3, 1.4, 1.4])
indicator = state.widget(c1.selectbox, "Indicator by council", gt.menu_order(options),
                         param="indicator", key="explore_indicator",
                         default=sh.DEFAULT_INDICATOR,
                         format_func=options["label"].to_dict().get)
scheme = state.widget(c2.selectbox, "Classes", list(sh.SCHEMES), param="scheme",
                      key="explore_scheme", default="quantiles", format_func=sh.SCHEMES.get)
view = state.widget(c3.radio, "National view", list(VIEWS), param="view", key="explore_view",
                    default="councils", format_func=VIEWS.get, horizontal=True)
d1, d2, d3 = st.columns([2.4, 1.8, 1.8])
lsoa_indicator, hotspot_choice = sh.neighbourhood_choices(d1, d3, page="explore")
council = state.widget(d2.selectbox, "Council (or click one on the map)", council_codes,
                       param="council", key="explore_council", default="",
                       format_func={"": "(none)", **{c: f"{n} ({c})" for c, n in names["name"].items()}}.get)
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
    else:  # the sea, or a council the indicator does not cover: say which
        st.session_state["explore_missed"] = code or ""


def add_national_clusters(m) -> str | None:
    """Every nation's named clusters over a national map; the sentence that describes them."""
    if not show_clusters:
        return None
    outlines = data.national_cluster_outlines()
    m.add_child(cluster_layer(outlines, name="Named clusters", precision=4, label_top=25,
                              label_min_zoom=9))
    return gh.national_cluster_sentence(outlines, words=data.cluster_words())


def add_names_and_control(m, level: str, shown: pd.Index) -> None:
    """The names of the councils drawn (of the map's tier), and the layer control."""
    places = data.places()
    names = places[(places["level"] == level) & places["code"].isin(shown)]
    # the UK from Shetland to Scilly opens below the councils' usual zoom: name the heaviest
    # from the start (labels never overlap: the lighter ones wait for a closer zoom), each
    # nation's heaviest first, so that all four are named (Belfast gave way to County Durham)
    by_weight = names.sort_values("weight", ascending=False, kind="mergesort")
    heaviest = by_weight.index[~by_weight["code"].str[0].duplicated()]
    m.add_child(place_labels(names.assign(min_zoom=names["min_zoom"].clip(upper=UK_ZOOM)),
                             name="Council names", first=list(heaviest)))
    folium.LayerControl(collapsed=True).add_to(m)


def area_card(code: str) -> None:
    """The values of one clicked LSOA or data zone, and a button to open its council."""
    run = None if hotspot_choice == "none" else hotspot_choice
    card = gv.area_card(code, areas=data.small_areas(), indicator=lsoa_indicator,
                        values=data.lsoa_values(lsoa_indicator),
                        outcomes=data.national_outcomes(run) if run else None,
                        run_name=hotspot_names.get(run) if run else None,
                        owner=data.every_cluster_owner())
    st.markdown(f"**{sh.md_escape(card['title'])}**")
    st.table(pd.DataFrame({"value": card["rows"]}))
    parent, parent_name = card["council"]
    if parent != council:
        st.button(f"Show {parent_name}'s neighbourhoods", key="explore_open",
                  on_click=state.put, args=("council", parent))


def national_councils() -> None:
    meta = options.loc[indicator]
    level = meta["level"]
    values = data.council_values(indicator)
    shapes = data.display_boundaries(level, "national")
    covers = set(str(meta["nations"]).split(";")) if meta["nations"] else set(
        values.dropna().index.str[:1])
    frame = shapes[["name", "country", "geometry"]].join(values)
    outside = frame.index[~frame["country"].isin(covers)]
    covered = frame.drop(index=outside)
    sentence = describe_values(covered["value"], label=meta["label"], unit=meta["unit"],
                               polarity=meta["polarity"], names=covered["name"],
                               area_word="councils")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingValuesWarning)  # said in the sentence above
        m = choropleth_map(frame, "value", scheme=scheme, polarity=meta["polarity"],
                           label=meta["label"], unit=meta["unit"],
                           highlight=council if council in frame.index else None,
                           layer_name="Councils", precision=4,  # ~10 m: plenty nationally
                           not_covered=outside, attribution=data.map_attribution(
                               [indicator], levels=[level], clusters=show_clusters))
        table = map_table(covered, "value", scheme=scheme, unit=meta["unit"])
    clusters_text = add_national_clusters(m)
    add_names_and_control(m, level, frame.index)
    st.caption(ga.coverage_note(meta["label"], meta["nations"], n_outside=len(outside),
                                dataset=meta["dataset"]))
    if clusters_text:
        st.caption(clusters_text)
    missed = st.session_state.pop("explore_missed", None)
    if missed is not None:
        st.info(ga.click_note(missed, str(shapes["name"].get(missed, missed)) if missed else "",
                              meta["nations"]))
    key = f"explore_national_{level}"
    sh.map_block(m, key=key, sentence=sentence, table=table,
                 label=f"{meta['label']}, by council", returned=("last_clicked",),
                 on_change=lambda: choose_clicked_council(key, level, covered.index),
                 extra_attribution=ga.composite_attribution(meta["dataset"]))


def national_image() -> None:
    meta = lsoa_opts.loc[lsoa_indicator]
    with st.spinner("Painting every neighbourhood..."):
        image = data.national_image(lsoa_indicator, scheme)
    values = data.lsoa_values(lsoa_indicator)
    areas = data.small_areas()
    outlines = data.display_boundaries("lad24", "national")[["name", "geometry"]]
    words = "LSOAs and data zones"
    sentence = describe_values(values, label=meta["label"], unit=meta["unit"],
                               polarity=meta["polarity"], names=areas["name"], area_word=words)
    note = ga.image_note(lsoa_indicator)
    m = lsoa_overview_map(image, label=meta["label"], unit=meta["unit"],
                          polarity=meta["polarity"], outlines=outlines, area_word=words,
                          note=note, attribution=data.map_attribution(
                              [lsoa_indicator], levels=[*data.IMAGE_LEVELS, "lad24"],
                              clusters=show_clusters))
    clusters_text = add_national_clusters(m)
    add_names_and_control(m, "lad24", outlines.index)
    st.caption("Every LSOA of England and Wales and every data zone of Scotland is painted "
               "into one image (500 m pixels) so that all of them show at once. "
               + ga.no_small_areas_sentence() + " Click anywhere to read that neighbourhood's "
               "values; choose a council to see its neighbourhoods as shapes."
               + (f" {clusters_text}" if clusters_text else ""))
    scheme_shown = "categories" if meta["unit"] == "decile" else scheme
    table = map_table(values.to_frame().join(areas["name"]), "value", scheme=scheme_shown,
                      unit=meta["unit"])
    result = sh.map_block(m, key="explore_national_lsoas", sentence=sentence, table=table,
                          label=f"{meta['label']}, every neighbourhood",
                          returned=("last_clicked",),
                          extra_attribution=ga.composite_attribution(meta["dataset"]))
    click = result.get("last_clicked") or {}
    if click.get("lat") is not None:
        clicked = data.area_at(click["lat"], click["lng"])
        if clicked is None or clicked not in areas.index:
            st.info("No neighbourhood (LSOA or data zone) of the store under that point. "
                    + ga.no_small_areas_sentence())
        else:
            area_card(clicked)


# ----------------------------------------------------------------------------- national map
if view == "councils":
    national_councils()
else:
    national_image()

# ----------------------------------------------------------------------------- one council
if council:
    words = data.council_areas(council)[1]
    st.header(f"{names.loc[council, 'name']}: " + (
        {"dz11": "neighbourhoods (data zones)", "lsoa21": "neighbourhoods (LSOAs)"}.get(
            str(words), "the council (no small areas here)")))
    classes = state.widget(st.radio, "Colours of the neighbourhood map", list(sh.CLASSES),
                           param="classes", key="explore_classes", default="national",
                           format_func=sh.CLASSES.get, horizontal=True)
    with st.spinner(f"Drawing {names.loc[council, 'name']}'s neighbourhoods..."):
        view_data = data.council_lsoa_view(council, lsoa_indicator, scheme=scheme,
                                           hotspot=hotspot_choice, classes=classes)
    sh.show_council_view(view_data, key="explore_council_map")
sh.finish()
