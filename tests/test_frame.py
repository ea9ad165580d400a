"""Tests of geo.maps.frame: a map's name, focus, tab order and fit, place names, web basemap.

What these elements do in a browser (no scroll on a press, one tab stop, legends beside the
areas) is checked in tests/test_browser.py; here, what each map carries.
"""

from __future__ import annotations

import json
from functools import partial

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box
from streamlit_folium import generate_leaflet_string

from geo._errors import InputError
from geo.maps import choropleth as _choropleth
from geo.maps.choropleth import to_standalone_html
from geo.maps.frame import WEB_BASEMAP, add_web_basemap, place_labels, set_map_title

#: The attribution control every map must carry (from the registry in the app).
ATTRIBUTION = "Source: test data (OGL v3.0)"
base_map = partial(_choropleth.base_map, attribution=ATTRIBUTION)
choropleth_map = partial(_choropleth.choropleth_map, attribution=ATTRIBUTION)

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def areas() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": ["A", "B"], "value": [1.0, 2.0]},
        geometry=[box(-1.5, 52.4, -1.4, 52.5), box(-1.4, 52.4, -1.3, 52.5)], crs=4326,
        index=pd.Index(["E1", "E2"], name="lad24_code"))


@pytest.fixture
def places() -> pd.DataFrame:
    return pd.DataFrame({
        "kind": ["place", "council", "place", "council"],
        "name": ["Small", "Coventry", XSS, "Far away"],
        "lat": [52.45, 52.41, 52.46, 57.0], "lon": [-1.45, -1.51, -1.35, -3.0],
        "min_zoom": [11.0, 7.0, 11.0, 7.0], "weight": [0.2, 1.0, 0.9, 0.5]})


def _script(m) -> str:
    m.get_root().render()
    return generate_leaflet_string(m)


def test_every_map_is_named_fits_its_bounds_and_focuses_without_scrolling(areas):
    m = choropleth_map(areas, "value", k=2, label="Score")
    script = _script(m)
    assert '"Map: Score"' in script  # the default name, until the page names it
    assert "window.frameElement.setAttribute(\"title\", title)" in script
    assert "focus({preventScroll: true})" in script
    assert 'setAttribute("tabindex", "-1")' in script  # shapes leave the tab order
    assert "[[52.4, -1.5], [52.5, -1.3]]" in script  # the areas' bounds are fitted
    assert script.count(".fitBounds(") == 2  # at once, then beside the legends


def test_set_map_title_names_the_frame(areas):
    m = set_map_title(choropleth_map(areas, "value", k=2), "Map: IMD by council, England")
    assert '"Map: IMD by council, England"' in _script(m)
    with pytest.raises(InputError, match="map of geo.maps"):
        set_map_title(object(), "x")
    with pytest.raises(InputError, match="non-empty"):
        set_map_title(m, "  ")


def test_standalone_map_keeps_its_frame(areas):
    html_text = to_standalone_html(choropleth_map(areas, "value", k=2), title="Pack map")
    assert "preventScroll" in html_text and "oppmap-legend" in html_text


def test_place_labels_escape_sort_and_clip(areas, places):
    layer = place_labels(places, bounds=[[52.3, -1.6], [52.6, -1.2]])
    m = choropleth_map(areas, "value", k=2)
    m.add_child(layer)
    script = _script(m)
    assert "<img src=x" not in script  # the name arrives as text, never as an element
    assert "\\u0026lt;img src=x" in layer.rows_json
    rows = layer.rows_json
    assert "Far away" not in rows  # outside the bounds
    assert rows.index("Coventry") < rows.index("Small")  # councils first, then by weight
    assert "keyboard: false" in script and "interactive: false" in script


def test_place_labels_put_the_rows_named_first_before_all_others(places):
    rows = place_labels(places, first=[0]).rows_json  # "Small", the lightest place
    assert rows.index("Small") < rows.index("Coventry") < rows.index("Far away")
    assert place_labels(places).rows_json.index("Coventry") < place_labels(
        places).rows_json.index("Small")
    with pytest.raises(InputError, match=r"`first` names rows that `places` does not have: \[9\]"):
        place_labels(places, first=[9])


def test_place_labels_need_their_columns():
    with pytest.raises(InputError, match=r"lacks columns \['min_zoom', 'weight'\]"):
        place_labels(pd.DataFrame({"kind": [], "name": [], "lat": [], "lon": []}))


def test_web_basemap_is_off_unless_asked(areas):
    m = choropleth_map(areas, "value", k=2)
    assert WEB_BASEMAP["tiles"] not in _script(m)
    script = _script(add_web_basemap(choropleth_map(areas, "value", k=2)))
    assert WEB_BASEMAP["tiles"] in script and "OpenStreetMap" in script


def test_web_basemap_says_once_when_its_tiles_fail(areas):
    """Offline, the tiles fail: a notice on the map (once, on the first tileerror), after
    the tile layer is made, as text (no markup), and no error."""
    m = add_web_basemap(choropleth_map(areas, "value", k=2))
    script = _script(m)
    layer = next(c for c in m._children.values() if type(c).__name__ == "TileLayer")
    assert f"var layer = {layer.get_name()}, shown = false;" in script
    assert "layer.on('tileerror'" in script
    assert script.index(f"var {layer.get_name()} = L.tileLayer") < script.index("tileerror")
    assert json.dumps(WEB_BASEMAP["offline"]) in script and "textContent" in script
    assert "if (shown || !map) { return; }" in script


def test_base_map_default_view_is_great_britain():
    script = _script(base_map())
    assert "[[49.8, -8.7], [60.9, 1.8]]" in script


def test_names_are_never_evaluated_as_templates(tmp_path):
    """A name like ``{{ 7*7 }}`` (a user's upload, a column label) is shown, not evaluated:
    folium compiles element output as Jinja templates, the elements of geo.maps do not."""
    from geo.maps.hotspots import add_hotspot_legend, hotspot_layer

    inject = "{{ 'zq' ~ 'xw' }}{% if true %}{{ 'ev' ~ 'alx' }}{% endif %}"
    g = gpd.GeoDataFrame({"name": [inject, "B"], "value": [1.0, 2.0]},
                         geometry=[box(-1.5, 52.4, -1.4, 52.5), box(-1.4, 52.4, -1.3, 52.5)],
                         crs=4326, index=pd.Index(["E1", "E2"], name="lad24_code"))
    m = choropleth_map(g, "value", k=2, label=inject, layer_name=inject, title=inject)
    m.add_child(hotspot_layer(g, pd.Series(["hot spot", "not significant"], index=g.index),
                              name=inject))
    add_hotspot_legend(m, pd.Series(["hot spot"]), title=inject)
    m.add_child(place_labels(pd.DataFrame({"kind": ["place"], "name": [inject], "lat": [52.45],
                                           "lon": [-1.45], "min_zoom": [0.0],
                                           "weight": [1.0]}), name=inject))
    import folium

    folium.LayerControl().add_to(m)
    page = m.get_root().render()
    assert "zqxw" not in page and "evalx" not in page  # nothing evaluated
    assert page.count("zq") >= 5  # the name, shown as text in every place it goes


def test_map_pages_let_people_zoom(areas):
    """folium's page says ``user-scalable=no``; a map of oppmap, in the app or saved, does not."""
    m = choropleth_map(areas, "value", k=2)
    m.get_root().render()
    header = m.get_root().header.render()
    assert 'name="viewport"' in header and "initial-scale=1.0" in header
    assert "user-scalable" not in header and "maximum-scale" not in header
    saved = to_standalone_html(choropleth_map(areas, "value", k=2), title="Pack map")
    assert 'name="viewport"' in saved and "user-scalable" not in saved


def test_legends_fold_to_their_titles(areas):
    """Each legend is a <details> whose summary is its title (the frame folds it on a map too
    small for the areas beside it); the title keeps its escaping, the rows follow."""
    from geo.maps.frame import FOLD_LEVELS

    m = choropleth_map(areas, "value", k=2, label=f"Score {XSS}", unit="%")
    script = _script(m)
    legend = next(c for c in m._children.values() if type(c).__name__ == "_Legend")
    head, rows = legend.folding.split("</summary>")
    assert head.startswith("<details open><summary>Score &lt;img") and "(%)" in head
    assert "Darker = worse" in rows and rows.endswith("</details>")
    assert "<img src=x" not in legend.folding
    assert f"bare - zoomOf(best) > {FOLD_LEVELS}" in script and "data-oppmap-folded" in script
