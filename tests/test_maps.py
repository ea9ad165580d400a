"""Tests for geo.maps (folium layers without internet) and geo.maps.assets (vendored Leaflet)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import stat
import tarfile
import warnings
from functools import partial
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from numpy.testing import assert_allclose
from shapely.geometry import box

import geo.maps.assets as assets
import geo.maps.national as _national
from geo._errors import InputError, OfflineError, OppmapError, SchemaError
from geo.maps import choropleth as _choropleth
from geo.maps.choropleth import to_standalone_html
from geo.maps.classes import (
    NO_DATA_COLOUR,
    NOT_COVERED_COLOUR,
    MissingValuesWarning,
    classify,
    palette,
)
from geo.maps.elements import _VectorLayer
from geo.maps.hotspots import (
    CLUSTER_COLOUR,
    add_hotspot_legend,
    cluster_layer,
    cluster_outlines,
    hotspot_layer,
    outcome_labels,
)
from geo.maps.national import (
    lsoa_grid,
    paint_lsoa_grid,
    paint_national_grids,
    render_lsoa_image,
)
from geo.maps.text import describe_values, format_value, map_table

#: The attribution control every map must carry (from the registry in the app).
ATTRIBUTION = "Source: test data (OGL v3.0)"
base_map = partial(_choropleth.base_map, attribution=ATTRIBUTION)
choropleth_map = partial(_choropleth.choropleth_map, attribution=ATTRIBUTION)
lsoa_overview_map = partial(_national.lsoa_overview_map, attribution=ATTRIBUTION)

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def grid() -> gpd.GeoDataFrame:
    """A 3 x 3 lattice of 0.01-degree squares near Coventry, values 1..9 row by row."""
    cells, codes, names = [], [], []
    for r in range(3):
        for c in range(3):
            x0, y0 = -1.5 + 0.01 * c, 52.4 + 0.01 * r
            cells.append(box(x0 + 0.0000012345, y0, x0 + 0.01, y0 + 0.01))
            codes.append(f"E0{r}{c}")
            names.append(f"Area {r}{c}")
    names[0] = XSS
    return gpd.GeoDataFrame(
        {"name": names, "value": np.arange(1.0, 10.0), "pop": np.arange(100, 1000, 100)},
        geometry=cells,
        crs=4326,
        index=pd.Index(codes, name="lad24_code"),
    )


def _layers(m) -> list[_VectorLayer]:
    return [c for c in m._children.values() if isinstance(c, _VectorLayer)]


def _features(layer: _VectorLayer) -> dict:
    return {f["id"]: f for f in json.loads(layer.data_json)["features"]}


def _external_urls(page: str) -> list[str]:
    return re.findall(r"""(?:src|href)\s*=\s*["'](https?:[^"']+)""", page)


# ----------------------------------------------------------------------------- choropleth


def test_choropleth_colours_follow_classes_and_polarity(grid):
    m = choropleth_map(grid, "value", scheme="equal_interval", k=3, polarity="higher_worse")
    (layer,) = _layers(m)
    feats = _features(layer)
    colours = palette(3, polarity="higher_worse")
    # equal interval on 1..9, k=3: bins 11/3, 19/3, 9 -> values 1-3, 4-6, 7-9
    assert [feats[f"E00{c}"]["properties"]["_fill"] for c in range(3)] == [colours[0]] * 3
    assert feats["E011"]["properties"]["_fill"] == colours[1]
    assert feats["E022"]["properties"]["_fill"] == "#800026"  # darkest = worst
    better = choropleth_map(grid, "value", scheme="equal_interval", k=3, polarity="higher_better")
    assert _features(_layers(better)[0])["E000"]["properties"]["_fill"] == "#800026"


def test_choropleth_one_layer_style_from_property_and_canvas(grid):
    m = choropleth_map(grid, "value", k=3)
    page = m.get_root().render()
    assert m.options["prefer_canvas"] is True
    assert '"preferCanvas": true' in page
    assert len(_layers(m)) == 1
    assert "p._fill" in page  # style read from the feature property in JavaScript
    assert "switch(" not in page  # no per-feature style table (folium's style_function)
    assert not any("TileLayer" in type(c).__name__ for c in m._children.values())


def test_choropleth_loads_no_asset_from_the_internet(grid):
    m = choropleth_map(grid, "value", k=3, tooltip_fields={"pop": "Population"})
    page = m.get_root().render()
    assert _external_urls(page) == []
    assert m.default_js == [("leaflet", "/app/static/vendor/leaflet-1.9.4/leaflet.js")]
    assert m.default_css == [("leaflet_css", "/app/static/vendor/leaflet-1.9.4/leaflet.css")]
    assert '<script src="/app/static/vendor/leaflet-1.9.4/leaflet.js"></script>' in page


def test_tooltip_names_and_labels_are_escaped(grid):
    m = choropleth_map(grid, "value", k=3, label=f"Score {XSS}")
    page = m.get_root().render()
    assert XSS not in page
    assert "<img" not in page
    (layer,) = _layers(m)
    props = _features(layer)["E000"]["properties"]
    assert props["name"] == "&lt;img src=x onerror=alert(1)&gt; (E000)"
    assert layer.tooltip_aliases == ["Area", "Score &lt;img src=x onerror=alert(1)&gt;"]


def test_script_breakout_in_data_is_neutralised(grid):
    grid.loc["E001", "name"] = "</script><script>alert(1)</script>"
    page = choropleth_map(grid, "value", k=3).get_root().render()
    assert "</script><script>alert(1)" not in page
    assert page.count("<script>alert") == 0


def test_missing_values_grey_and_counted_in_legend(grid):
    grid.loc["E011", "value"] = np.nan
    with pytest.warns(MissingValuesWarning, match="E011"):
        m = choropleth_map(grid, "value", k=2, unit="%")
    (layer,) = _layers(m)
    props = _features(layer)["E011"]["properties"]
    assert props["_fill"] == NO_DATA_COLOUR
    assert props["value"] == "no data"
    page = m.get_root().render()
    assert "no data" in page and "(1)" in page


def test_values_units_and_legend_text(grid):
    m = choropleth_map(grid, "value", scheme="equal_interval", k=2, unit="%", label="NEET")
    props = _features(_layers(m)[0])["E022"]["properties"]
    assert props["value"] == "9.00%"
    page = m.get_root().render()
    # bins 5, 9 from a minimum of 1
    assert "1.00% to 5.00%" in page and "5.00% to 9.00%" in page
    assert "Darker = worse (higher values)" in page


def test_coordinates_are_rounded(grid):
    m = choropleth_map(grid, "value", k=3, precision=5)
    coords = np.array(
        [xy for f in _features(_layers(m)[0]).values() for xy in f["geometry"]["coordinates"][0]]
    )
    assert_allclose(coords, np.round(coords, 5), rtol=0, atol=1e-12)
    assert -1.5 in coords[:, 0]  # -1.4999987655 rounded


def test_highlight_outline_layer(grid):
    m = choropleth_map(grid, "value", k=3, highlight=["E011"], fit="highlight")
    layers = _layers(m)
    assert len(layers) == 2
    assert list(_features(layers[1])) == ["E011"]
    assert layers[1].interactive is False
    assert layers[1].base_style["fill"] is False
    fit = m._children["oppmap_frame"]  # the view fits the highlighted area (legends aside)
    assert_allclose(fit.bounds, [[52.41, -1.49 + 0.0000012345], [52.42, -1.48]], atol=1e-9)


def test_attribution_in_control(grid):
    page = choropleth_map(grid, "value", k=3, attribution="Source: ONS & <OGL>").get_root().render()
    assert "attributionControl.addAttribution" in page
    assert "Source: ONS \\u0026amp; \\u0026lt;OGL\\u0026gt;" in page


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"column": "nope"}, "'nope' is not in `gdf`; available"),
        ({"column": "value", "highlight": "E999"}, "`highlight` codes E999"),
        ({"column": "value", "scheme": "jenks2"}, "valid values are"),
        ({"column": "value", "polarity": "up"}, "higher_worse"),
        ({"column": "name"}, "must be numeric"),
    ],
)

def test_choropleth_input_errors(grid, kwargs, match):
    column = kwargs.pop("column")
    with pytest.raises(InputError, match=match):
        choropleth_map(grid, column, **kwargs)


def test_choropleth_refuses_projected_crs(grid):
    with pytest.raises(InputError, match="expected EPSG:4326 for display"):
        choropleth_map(grid.to_crs(27700), "value")


def test_choropleth_refuses_duplicate_codes(grid):
    dup = pd.concat([grid, grid.iloc[[0]]])
    with pytest.raises(InputError, match="duplicated index codes: E000"):
        choropleth_map(dup, "value")


def test_areas_another_index_covers_are_grey_and_counted_never_blank(grid):
    outside = ["E020", "E021", "E022"]  # another nation's councils
    values = grid.assign(value=grid["value"].where(~grid.index.isin(outside)))
    m = choropleth_map(values, "value", k=3, not_covered=outside)
    (layer,) = _layers(m)
    feats = _features(layer)
    assert len(feats) == 9  # every area drawn
    assert {feats[c]["properties"]["_fill"] for c in outside} == {NOT_COVERED_COLOUR}
    assert feats["E020"]["properties"]["value"] == "not covered by this index"
    assert NOT_COVERED_COLOUR not in {feats[c]["properties"]["_fill"] for c in grid.index[:6]}
    page = m.get_root().render()
    assert "not covered by this index \\u003cspan style=\\u0027color:#666\\u0027\\u003e(3)" in page
    with pytest.raises(InputError, match="names every area"):
        choropleth_map(values, "value", not_covered=grid.index)


def test_categories_give_each_decile_its_colour_and_name(grid):
    deciles = grid.assign(value=[1.0, 1, 2, 3, 5, 5, 8, 10, 10])
    m = choropleth_map(deciles, "value", scheme="categories", polarity="higher_better",
                       unit="decile")
    fills = {f["properties"]["_fill"] for f in _features(_layers(m)[0]).values()}
    assert len(fills) == 6  # six distinct deciles, six colours
    page = m.get_root().render()
    assert "decile 1 \\u003cspan" in page and "decile 10 \\u003cspan" in page
    assert "categories, 6 classes" in page
    table = map_table(deciles, "value", scheme="categories", unit="decile")
    assert table.loc["E022", "range"] == "decile 10"
    with pytest.raises(InputError, match="at most 12"):
        classify(pd.Series(np.arange(13.0)), scheme="categories")


# ----------------------------------------------------------------------------- hotspots


def test_hotspot_layer_colours_and_cluster_outlines(grid):
    labels = pd.Series("not significant", index=grid.index, dtype=object)
    labels[["E000", "E001", "E010"]] = "hot spot 99%"  # one L-shaped cluster
    labels["E022"] = "hot spot 95%"
    labels["E020"] = "cold spot 95%"
    q = pd.Series(np.linspace(0.001, 0.9, 9), index=grid.index)
    fg = hotspot_layer(grid, labels.sample(frac=1, random_state=1), details={"q (FDR)": q})
    areas, casing, clusters = _layers(fg)
    assert casing.base_style["color"] == "#ffffff" and clusters.data_of is casing  # data once
    assert clusters.use_line_property and not casing.use_line_property
    feats = _features(areas)
    assert sorted(feats) == ["E000", "E001", "E010", "E020", "E022"]
    assert feats["E000"]["properties"]["_fill"] == "#b2182b"
    assert feats["E022"]["properties"]["_fill"] == "#d6604d"
    assert feats["E020"]["properties"]["_fill"] == "#4393c3"
    assert feats["E000"]["properties"]["d0"] == "0.00"
    cl = json.loads(casing.data_json)["features"]
    assert sorted(f["properties"]["key"] for f in cl) == ["cold_spot_95", "hot_spot_95", "hot_spot_99"]
    hot99 = [f for f in cl if f["properties"]["key"] == "hot_spot_99"][0]
    area = shapely.geometry.shape(hot99["geometry"]).area
    assert_allclose(area, 3 * 0.01 * 0.01, rtol=1e-3)  # three cells dissolved into one polygon


def test_hotspot_legend_lists_present_labels(grid):
    labels = pd.Series(["hot spot 99%"] * 3 + ["not significant"] * 5 + ["cold spot 95%"],
                       index=grid.index)
    m = add_hotspot_legend(base_map(), labels, note="Gi*, FDR 5% <q>")
    page = m.get_root().render()
    assert "hot spot 99% \\u003cspan style=\\u0027color:#666\\u0027\\u003e(3)" in page
    assert "cold spot 95%" in page
    assert "not significant \\u003cspan style=\\u0027color:#666\\u0027\\u003e(5)" in page
    assert "FDR 5% \\u0026lt;q\\u0026gt;" in page


def test_outcome_labels_and_legend_worse_first(grid):
    outcome = pd.Series(["better cluster", "worse cluster", "not significant", "worse outlier",
                         "worse cluster", "not tested", "better outlier", "worse cluster",
                         None], index=grid.index)
    bins = pd.Series([-3, 1, 0, 2, 3, None, -1, 3, None], index=grid.index, dtype="Int8")
    labels = outcome_labels(outcome, bins)
    assert labels.tolist() == ["better cluster 99%", "worse cluster 90%", "not significant",
                               "worse outlier 95%", "worse cluster 99%", "not tested",
                               "better outlier 90%", "worse cluster 99%", "not tested"]
    fg = hotspot_layer(grid, labels, outline=False)
    fills = {k: f["properties"]["_fill"] for k, f in _features(_layers(fg)[0]).items()}
    assert fills["E011"] == fills["E021"] == "#b2182b" and fills["E000"] == "#2166ac"
    assert set(fills) == {"E000", "E001", "E010", "E011", "E020", "E021"}  # significant only
    html = add_hotspot_legend(base_map(), labels)._children
    text = next(c for c in html.values() if type(c).__name__ == "_Legend").html
    rows = re.findall(r"</i>([^<]+?) <span", text)
    assert rows == ["worse cluster 99%", "worse cluster 90%", "worse outlier 95%",
                    "better outlier 90%", "better cluster 99%", "not significant",
                    "not tested"]  # worse first; areas not tested are counted, never dropped
    with pytest.raises(InputError, match="not outcomes: \\['hot'\\]"):
        outcome_labels(pd.Series(["hot"]))


def test_hotspot_layer_lisa_labels_and_errors(grid):
    labels = pd.Series("not significant", index=grid.index, dtype=object)
    labels["E011"] = "High-High"
    labels["E012"] = "Low-High"
    labels["E000"] = "island (not tested)"
    fg = hotspot_layer(grid, labels, outline=False)
    (areas,) = _layers(fg)
    assert {k: f["properties"]["_fill"] for k, f in _features(areas).items()} == {
        "E011": "#b2182b",
        "E012": "#92c5de",
    }
    with pytest.raises(InputError, match="without a colour: \\['warm'\\]"):
        hotspot_layer(grid, labels.replace("High-High", "warm"))
    with pytest.raises(InputError, match="1 areas lack a label"):
        hotspot_layer(grid, labels.drop("E011"))


# ----------------------------------------------------------------------------- tables, text


def test_map_table_alternative(grid):
    t = map_table(grid, "value", scheme="equal_interval", k=3, unit="%")
    assert t.index.equals(grid.index)
    assert t.loc["E022"].tolist() == [grid.loc["E022", "name"], 9.0, 3, "6.33% to 9.00%", 1]
    assert t.loc["E000", "rank"] == 9


def test_describe_values_names_the_worst_by_polarity(grid):
    text = describe_values(grid["value"], label="NEET", unit="%", names=grid["name"],
                           area_word="councils")
    assert text == (
        "NEET across 9 councils: worst Area 22 (9.00%), best " + XSS + " (1.00%), median 5.00%."
    )
    better = describe_values(grid["value"], label="KS2", polarity="higher_better")
    assert better.startswith("KS2 across 9 areas: worst E000 (1.00), best E022 (9.00)")


def test_describe_values_says_ties_and_a_lone_area():
    deciles = pd.Series([1.0, 1.0, 1.0, 4.0, 10.0], index=["a", "b", "c", "d", "e"])
    text = describe_values(deciles, label="IMD decile", unit="decile",
                           polarity="higher_better", area_word="LSOAs")
    # no arbitrary 'worst' among tied areas, and deciles without decimals
    assert text == ("IMD decile across 5 LSOAs: worst a and 2 more (decile 1), best e "
                    "(decile 10), median decile 1.")
    lone = describe_values(pd.Series([7.0, np.nan], index=["Scilly 001A", "x"]), label="Decile",
                           unit="decile", area_word="LSOAs")
    assert lone == "Decile: Scilly 001A (decile 7), the only one of the LSOAs with a value; " \
                   "1 without data."


def test_format_value():
    # positions: the word first, whole numbers without decimals (not "1.00 decile")
    assert format_value(1.0, "decile") == "decile 1" and format_value(10.0, "decile") == "decile 10"
    assert format_value(168.0, "rank of 1,909") == "rank 168 of 1,909"
    assert format_value(5.5, "decile") == "decile 5.5"
    assert format_value(1234567.0) == "1,234,567"
    assert format_value(0.12345, "score") == "0.12 score"
    assert format_value(-12.34, "£") == "-£12.3"
    assert format_value(None) == "no data"


# ----------------------------------------------------------------------------- LSOA image


def test_lsoa_image_paints_classes(grid):
    lsoas = grid.to_crs(27700)
    image = render_lsoa_image(lsoas, "value", scheme="equal_interval", k=3, resolution=50)
    assert image.png[:8] == b"\x89PNG\r\n\x1a\n"
    (south, west), (north, east) = image.bounds
    assert_allclose([south, west, north, east], [52.4, -1.5, 52.43, -1.47], atol=0.002)
    from PIL import Image

    img = Image.open(io.BytesIO(image.png)).convert("RGBA")
    px = np.asarray(img).reshape(-1, 4)
    colours = {"#" + "".join(f"{v:02x}" for v in p[:3]) for p in px[px[:, 3] > 0]}
    assert colours == set(palette(3, polarity="higher_worse"))
    m = lsoa_overview_map(image, label="Score", outlines=grid)
    page = m.get_root().render()
    assert "data:image/png;base64," in page
    assert _external_urls(page) == []
    # an image cached before Streamlit reloaded geo.maps.national: its class, same fields
    from typing import NamedTuple

    class LsoaImage(NamedTuple):
        png: bytes
        bounds: list
        classes: pd.Series

    before = LsoaImage(*image)
    assert "data:image/png;base64," in lsoa_overview_map(before, label="S").get_root().render()


def test_lsoa_image_refuses_display_crs(grid):
    with pytest.raises(InputError, match="reproject it first"):
        render_lsoa_image(grid, "value")


def _png_colours(png: bytes) -> dict[str, int]:
    """Opaque colours of a PNG and how many pixels each covers."""
    from PIL import Image

    px = np.asarray(Image.open(io.BytesIO(png)).convert("RGBA")).reshape(-1, 4)
    opaque = px[px[:, 3] > 0]
    keys = ["#" + "".join(f"{v:02x}" for v in p[:3]) for p in opaque]
    return dict(pd.Series(keys).value_counts()) if keys else {}


def test_lsoa_grid_paints_any_indicator_fast_and_like_render(grid):
    lsoas = grid.to_crs(27700)
    g = lsoa_grid(lsoas, resolution=50)
    assert g.grid.dtype == np.int32 and set(np.unique(g.grid)) <= set(range(10))
    values = lsoas["value"]
    painted = paint_lsoa_grid(g, values, scheme="equal_interval", k=3)
    assert painted.png == render_lsoa_image(lsoas, "value", scheme="equal_interval", k=3,
                                            resolution=50).png
    assert painted.bounds == g.bounds
    # 9 equal cells: three classes of three cells each cover about a third of the pixels
    counts = _png_colours(painted.png)
    assert set(counts) == set(palette(3, polarity="higher_worse"))
    assert_allclose(sorted(counts.values()), [sum(counts.values()) / 3] * 3, rtol=0.15)


def test_national_grids_share_one_scheme_and_grey_what_is_not_covered(grid):
    lsoas = grid.to_crs(27700)
    west, east = lsoa_grid(lsoas.iloc[:6], resolution=50), lsoa_grid(lsoas.iloc[6:],
                                                                      resolution=50)
    values = lsoas["value"].iloc[:6]  # an indicator of the first level only
    image = paint_national_grids([west, east], values, scheme="equal_interval", k=3)
    assert len(image.images) == 2 and image.n_not_covered == 3
    assert _png_colours(image.images[1].png).keys() == {NOT_COVERED_COLOUR}
    assert set(_png_colours(image.images[0].png)) == set(palette(3, polarity="higher_worse"))
    m = lsoa_overview_map(image, label="Score", area_word="LSOAs and data zones",
                          note="each nation by its own index")
    page = m.get_root().render()
    assert page.count("data:image/png;base64,") == 2
    assert "of 6 LSOAs and data zones. each nation by its own index" in page
    assert "not covered by this index \\u003cspan style=\\u0027color:#666\\u0027\\u003e(3)" in page
    with pytest.raises(InputError, match="not in `grid`"):
        paint_national_grids([west], lsoas["value"])
    with pytest.raises(InputError, match="`grids` is empty"):
        paint_national_grids([], values)


def test_grids_of_a_reloaded_module_still_paint(grid):
    """A server that reloads a changed module (Streamlit's watcher) holds grids made by the
    class as first imported; painting them must not refuse them as 'not a grid'."""
    from typing import NamedTuple

    class PositionGrid(NamedTuple):  # the same class, imported again
        grid: np.ndarray
        codes: pd.Index
        bounds: tuple

    lsoas = grid.to_crs(27700)
    g = lsoa_grid(lsoas, resolution=50)
    old = PositionGrid(*g)
    assert paint_lsoa_grid(old, lsoas["value"], scheme="quantiles", k=3).png == paint_lsoa_grid(
        g, lsoas["value"], scheme="quantiles", k=3).png
    image = paint_national_grids([old], lsoas["value"], scheme="quantiles", k=3)
    assert image.n_not_covered == 0


def test_paint_lsoa_grid_missing_and_absent_areas(grid):
    g = lsoa_grid(grid.to_crs(27700), resolution=50)
    values = grid["value"].copy()
    values["E000"] = np.nan  # a value missing: grey "no data"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingValuesWarning)
        image = paint_lsoa_grid(g, values.drop(["E021", "E022"]), scheme="quantiles", k=2)
    counts = _png_colours(image.png)
    assert NO_DATA_COLOUR in counts
    total = g.grid.size
    # 6 painted + 1 grey cell of 9: two cells (not in `values`) stay transparent
    assert_allclose(sum(counts.values()) / total, 7 / 9, atol=0.05)
    assert int(image.classes.notna().sum()) == 6
    with pytest.raises(InputError, match="1 codes that are not in `grid` \\(E999\\)"):
        paint_lsoa_grid(g, pd.Series([1.0], index=["E999"]))
    with pytest.raises(InputError, match="`grid` must be the LsoaGrid of lsoa_grid"):
        paint_lsoa_grid("grid", values)


@pytest.fixture
def named_clusters() -> pd.DataFrame:
    return pd.DataFrame({"name": ["North " + XSS, "Corner"], "n_lsoas": [3, 1],
                         "population": [3000.0, 900.0], "domains": ["income 100%", "crime 100%"],
                         "lsoa_codes": ["E020;E021;E011", "E000"]},
                        index=pd.Index([7, 9], name="cluster_id"))


def test_cluster_outlines_dissolve_each_cluster(grid, named_clusters):
    out = cluster_outlines(grid, named_clusters)
    assert list(out.index) == [7, 9] and out.index.name == "cluster_id"
    assert out.crs.to_epsg() == 4326 and "lsoa_codes" not in out.columns
    assert_allclose(shapely.area(out.geometry.to_numpy()), [3e-4, 1e-4 - 1.2345e-8], rtol=1e-3)
    assert out.loc[7].geometry.geom_type == "Polygon"  # three touching cells, one outline
    for _, row in out.iterrows():
        assert row.geometry.contains(shapely.Point(row["lon"], row["lat"]))
    # members outside `gdf` are left out; a cluster with none is dropped
    part = cluster_outlines(grid.drop(["E000", "E011"]), named_clusters)
    assert list(part.index) == [7]
    assert_allclose(shapely.area(part.geometry.to_numpy()), [2e-4], rtol=1e-3)


def test_cluster_outlines_refuse_bad_clusters(grid, named_clusters):
    with pytest.raises(SchemaError, match="an 'lsoa_codes' column"):
        cluster_outlines(grid, named_clusters.drop(columns="lsoa_codes"))
    twice = named_clusters.assign(lsoa_codes=["E000;E001", "E000"])
    with pytest.raises(InputError, match="areas in more than one cluster \\(E000\\)"):
        cluster_outlines(grid, twice)


def test_cluster_layer_svg_pane_tooltip_and_labels(grid, named_clusters):
    m = choropleth_map(grid, "value")
    fg = cluster_layer(cluster_outlines(grid, named_clusters), label_top=1, label_min_zoom=9)
    m.add_child(fg)
    casing, line = _layers(fg)
    assert casing.pane == line.pane == "oppmapClusters"
    assert line.base_style["color"] == CLUSTER_COLOUR and not line.base_style["fill"]
    assert line.tooltip_aliases == ["Cluster", "Neighbourhoods", "People", "Domains"]
    feats = _features(casing)  # the line draws the casing's data (sent once)
    assert line.data_of is casing
    assert feats["7"]["properties"]["name"] == "North &lt;img src=x onerror=alert(1)&gt;"
    assert feats["7"]["properties"]["population"] == "3,000"
    page = m.get_root().render()
    # hoverable outlines over the canvas: their own SVG pane that lets events through
    assert 'createPane("oppmapClusters")' in page and 'pointerEvents = "none"' in page
    assert 'renderer: L.svg({pane: "oppmapClusters"})' in page
    # only the most populous cluster is named on the map, from zoom 9
    labels = re.search(r"var labels = (\[.*?\]);", page).group(1)
    assert "North \\u0026lt;img" in labels and "Corner" not in labels
    assert "map.getZoom() \u003e= 9.0" in page or "map.getZoom() >= 9.0" in page
    assert "<img src=x" not in page
    empty = cluster_layer(cluster_outlines(grid, named_clusters).iloc[0:0])
    assert _layers(empty) == []


# ----------------------------------------------------------------------------- assets


def _fake_vendor(dest: Path) -> None:
    for name, spec in assets.ASSETS.items():
        for member in spec["files"]:
            target = dest / f"{name}-{spec['version']}" / member.removeprefix("dist/")
            target.parent.mkdir(parents=True, exist_ok=True)
            if member.endswith(".png"):
                target.write_bytes(b"\x89PNG-fake")
            elif member.endswith(".css"):
                target.write_text(".leaflet-control-layers-toggle{background-image:url(images/layers.png)}")
            else:
                target.write_text(f"/* {member} */ window.L = {{}};")
        (dest / f"{name}-{spec['version']}" / ".integrity").write_text(spec["integrity"])


def test_local_asset_urls_are_absolute():
    urls = assets.local_asset_urls()
    assert urls == {
        "js": [("leaflet", "/app/static/vendor/leaflet-1.9.4/leaflet.js")],
        "css": [("leaflet_css", "/app/static/vendor/leaflet-1.9.4/leaflet.css")],
    }
    with pytest.raises(OppmapError, match="must be absolute"):
        assets.local_asset_urls(base_url="static/vendor")


def test_standalone_html_inlines_assets(grid, tmp_path):
    _fake_vendor(tmp_path)
    m = choropleth_map(grid, "value", k=3)
    page = to_standalone_html(m, title="Council <map>", assets_dir=tmp_path)
    assert _external_urls(page) == []
    assert "/app/static" not in page
    assert "/* dist/leaflet.js */" in page
    assert "url(data:image/png;base64," + base64.b64encode(b"\x89PNG-fake").decode() in page
    assert "<title>Council &lt;map&gt;</title>" in page
    # the map can still be shown by Streamlit afterwards: nothing inlined is left behind
    assert "/* dist/leaflet.js */" not in m.get_root().header.render()


def test_standalone_html_is_the_same_bytes_for_the_same_map(grid, tmp_path, named_clusters):
    """folium names elements with random ids; a file made twice must not differ."""
    _fake_vendor(tmp_path)

    def page() -> str:
        m = choropleth_map(grid, "value", k=3)
        m.add_child(cluster_layer(cluster_outlines(grid, named_clusters)))
        return to_standalone_html(m, assets_dir=tmp_path)

    first, second = page(), page()
    assert first == second
    ids = set(re.findall(r"(?<=_)[0-9a-f]{32}(?![0-9A-Za-z])", first))
    assert len(ids) > 3 and all(i.isdigit() for i in ids)  # numbered, none random


def test_standalone_html_without_assets_says_how_to_install(grid, tmp_path):
    with pytest.raises(OppmapError, match="python -m geo assets"):
        to_standalone_html(choropleth_map(grid, "value", k=3), assets_dir=tmp_path)


def _fake_npm(tmp_path: Path, tarball: bytes | None, *, fail: str | None = None) -> Path:
    """A stand-in `npm` that writes the given tarball (or fails) and logs its calls."""
    script = tmp_path / "npm"
    payload = tmp_path / "payload.tgz"
    if tarball is not None:
        payload.write_bytes(tarball)
    body = (
        f'echo "$@" >> {tmp_path}/calls.log\n'
        + (f'echo "{fail}" >&2; exit 1\n' if fail else "")
        + 'dest=""; while [ $# -gt 0 ]; do [ "$1" = "--pack-destination" ] && dest="$2"; shift; done\n'
        + f'cp {payload} "$dest/leaflet-1.9.4.tgz"\necho "[]"\n'
    )
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def _tarball() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for member in assets.ASSETS["leaflet"]["files"]:
            data = f"content of {member}".encode()
            info = tarfile.TarInfo(f"package/{member}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_install_assets_checks_integrity_and_is_idempotent(tmp_path, monkeypatch):
    tgz = _tarball()
    sri = "sha512-" + base64.b64encode(hashlib.sha512(tgz).digest()).decode()
    monkeypatch.setitem(assets.ASSETS["leaflet"], "integrity", sri)
    npm = _fake_npm(tmp_path, tgz)
    dest = tmp_path / "vendor"
    installed = assets.install_assets(dest, npm=str(npm))
    assert installed == [dest / "leaflet-1.9.4"]
    assert (dest / "leaflet-1.9.4" / "leaflet.js").read_text() == "content of dist/leaflet.js"
    assert (dest / "leaflet-1.9.4" / "images" / "layers.png").exists()
    assert assets.missing_assets(dest) == []
    assert assets.install_assets(dest, npm=str(npm)) == []  # nothing to do the second time
    calls = (tmp_path / "calls.log").read_text().splitlines()
    assert len(calls) == 1 and calls[0].startswith("pack leaflet@1.9.4 --json")


def test_install_assets_refuses_a_tampered_tarball(tmp_path):
    npm = _fake_npm(tmp_path, _tarball())
    with pytest.raises(OfflineError, match="refusing to install"):
        assets.install_assets(tmp_path / "vendor", npm=str(npm))
    assert not (tmp_path / "vendor" / "leaflet-1.9.4").exists()


def test_install_assets_offline_and_without_npm(tmp_path):
    npm = _fake_npm(tmp_path, None, fail="npm error code ENOTFOUND registry.npmjs.org")
    with pytest.raises(OfflineError, match="ENOTFOUND.*offline"):
        assets.install_assets(tmp_path / "vendor", npm=str(npm))
    with pytest.raises(OppmapError, match="npm.*was not found on PATH.*apt-get install npm"):
        assets.install_assets(tmp_path / "vendor", npm="no-such-npm-here")


# ----------------------------------------------------------------------------- real data


@pytest.mark.real
def test_national_council_view_payload_is_small(mirror):
    """All 361 UK councils, display-simplified as the store does, fit in about 0.6 MB."""
    from boundaries import display_copy

    lad = gpd.read_file(mirror / "boundaries" / "lad24_uk_buc.gpkg").set_index("LAD24CD")
    lad = lad.rename(columns={"LAD24NM": "name"}).to_crs(27700)
    lad.index.name = "lad24_code"
    disp = display_copy(lad, tolerance=400.0)
    imd = pd.read_csv(mirror / "deprivation" / "imd2025_england_lsoa21.csv",
                      usecols=["lsoa21_code", "IMD_score"], index_col="lsoa21_code")
    look = pd.read_csv(mirror / "lookups" / "lookup_lsoa21_ward24_ltla24.csv",
                       usecols=["lsoa21_code", "ltla24_code"], index_col="lsoa21_code")
    disp["imd"] = imd.join(look).groupby("ltla24_code")["IMD_score"].mean()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingValuesWarning)
        m = choropleth_map(disp, "imd", label="IMD score", unit="score")
    page = m.get_root().render()
    assert len(page.encode()) < 600_000
    feats = _features(_layers(m)[0])
    assert len(feats) == 361
    # Blackpool has the highest mean LSOA score of England's councils: the darkest class
    assert disp["imd"].idxmax() == "E06000009"
    assert feats["E06000009"]["properties"]["_fill"] == "#800026"
    assert feats["S12000036"]["properties"]["_fill"] == NO_DATA_COLOUR  # Edinburgh: no IoD


def test_format_value_percent_with_denominator():
    assert format_value(6.4, "% of cohort") == "6.40% of cohort"
    assert format_value(12.345, "% of pupils", decimals=1) == "12.3% of pupils"
