"""Tests of geo.raster: GeoTIFF export, coverage-weighted zonal statistics, display PNG, lookup."""

from __future__ import annotations

import io
import json
import math
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import rasterio
import rasterio.features
import shapely
import shapely.affinity
from affine import Affine
from numpy.testing import assert_allclose, assert_array_equal
from PIL import Image
from pyproj import Transformer

from geo._errors import InputError, UnmatchedCodesWarning
from geo.export.geotiff import category_codes, rasterize_indicator, write_geotiff
from geo.export.zonal import zonal_stats
from geo.maps.raster import lsoa_at, make_lookup_index, rasterize_for_display

#: Synthetic data sits near (400000, 300000) in British National Grid (the Midlands), where
#: lon/lat round trips are exact to a millimetre.
X0, Y0 = 400_000, 300_000

META = {
    "attribution": ["Contains public sector information licensed under the OGL v3.0."],
    "sources": [{"title": "English Indices of Deprivation 2025", "vintage": "2025"}],
    "units": "score",
    "licence": "OGL-UK-3.0",
}


@pytest.fixture
def squares() -> gpd.GeoDataFrame:
    """Two 200 m squares side by side with a 100 m gap, and an area with no value (Midlands)."""
    return gpd.GeoDataFrame(
        {
            "score": [10.0, 20.0, np.nan],
            "label": ["hot spot", "cold spot", None],
        },
        geometry=[
            shapely.box(401000, 302000, 401200, 302200),
            shapely.box(401300, 302000, 401500, 302200),
            shapely.box(401000, 302200, 401100, 302300),
        ],
        index=pd.Index(["E1", "E2", "E3"], name="lsoa21_code"),
        crs="EPSG:27700",
    )


# ----------------------------------------------------------------------------- rasterise
def test_rasterize_numeric(squares):
    array, transform, profile = rasterize_indicator(squares, "score", resolution=100)
    assert transform == Affine(100, 0, 401000, 0, -100, 302300)
    nd = -9999.0
    expected = np.array(
        [
            [nd, nd, nd, nd, nd],  # E3 has no value
            [10, 10, nd, 20, 20],
            [10, 10, nd, 20, 20],
        ],
        dtype="float32",
    )
    assert_array_equal(array, expected)
    assert profile["crs"].to_epsg() == 27700
    assert profile["nodata"] == nd and profile["dtype"] == "float32"
    assert profile["compress"] == "deflate" and profile["tiled"]


def test_rasterize_snaps_grid_to_resolution(squares):
    shifted = squares.set_geometry(squares.translate(30, -30))
    _, transform, profile = rasterize_indicator(shifted, "score", resolution=100)
    assert (transform.c, transform.f) == (401000, 302300)
    assert (profile["width"], profile["height"]) == (6, 4)


def test_rasterize_categorical(squares):
    codes = category_codes(squares["label"])
    assert codes == {"cold spot": 1, "hot spot": 2}
    array, _, profile = rasterize_indicator(squares, "label", resolution=100)
    assert profile["dtype"] == "uint8" and profile["nodata"] == 0
    assert_array_equal(array, [[0, 0, 0, 0, 0], [2, 2, 0, 1, 1], [2, 2, 0, 1, 1]])
    ordered = squares.assign(label=pd.Categorical(squares["label"], ["hot spot", "cold spot"]))
    assert category_codes(ordered["label"]) == {"hot spot": 1, "cold spot": 2}


def test_rasterize_refusals(squares):
    with pytest.raises(InputError, match="geographic"):
        rasterize_indicator(squares.to_crs(4326), "score")
    with pytest.raises(InputError, match="no CRS"):
        rasterize_indicator(squares.set_crs(None, allow_override=True), "score")
    with pytest.raises(InputError, match=r"`column` 'nope' is not in the table; available: "):
        rasterize_indicator(squares, "nope")
    with pytest.raises(InputError, match="`resolution` must be a positive"):
        rasterize_indicator(squares, "score", resolution=0)
    with pytest.raises(InputError, match="`nodata` 10.0 is a real value"):
        rasterize_indicator(squares, "score", nodata=10)
    with pytest.raises(InputError, match="coarser resolution"):
        rasterize_indicator(squares, "score", resolution=0.01)


def test_write_geotiff(tmp_path):
    # a 6.4 km x 6.4 km area at 100 m: 64 x 64 cells, enough for overviews 2..16
    gdf = gpd.GeoDataFrame(
        {"score": [1.5, 2.5], "label": ["a", "b"]},
        geometry=[shapely.box(X0, Y0, X0 + 3200, Y0 + 6400),
                  shapely.box(X0 + 3200, Y0, X0 + 6400, Y0 + 6400)],
        index=pd.Index(["E1", "E2"], name="lsoa21_code"),
        crs=27700,
    )
    path = write_geotiff(gdf, "score", tmp_path / "score.tif", metadata=META)
    with rasterio.open(path) as src:
        assert src.crs.to_epsg() == 27700
        assert src.nodata == -9999.0
        assert src.compression.name.lower() == "deflate"
        assert src.profile["tiled"] and src.block_shapes == [(256, 256)]
        assert src.overviews(1) == [2, 4, 8, 16]
        tags = src.tags()
        assert tags["INDICATOR"] == "score" and tags["UNITS"] == "score"
        assert tags["SOURCE"] == "English Indices of Deprivation 2025 (2025)"
        assert "OGL" in tags["ATTRIBUTION"]
        assert json.loads(tags["OPPMAP_METADATA"])["licence"] == "OGL-UK-3.0"
        assert src.descriptions == ("score",)
        data = src.read(1)
        assert data.shape == (64, 64)
        assert_allclose(data[:, :32], 1.5)
        assert_allclose(data[:, 32:], 2.5)
        # the 16x overview (4 x 4 pixels): left half 1.5, right half 2.5
        ov = src.read(1, out_shape=(4, 4))
        assert_allclose(ov[:, :2], 1.5)
        assert_allclose(ov[:, 2:], 2.5)
    cat = write_geotiff(gdf, "label", tmp_path / "label.tif", metadata=META)
    with rasterio.open(cat) as src:
        assert src.dtypes == ("uint8",) and src.nodata == 0
        assert json.loads(src.tags()["CATEGORIES"]) == {"1": "a", "2": "b"}
        assert json.loads(src.tags(1)["CATEGORIES"]) == {"1": "a", "2": "b"}
        assert set(np.unique(src.read(1))) == {1, 2}


def test_write_geotiff_atomic(squares, tmp_path):
    with pytest.raises(InputError, match="attribution"):
        write_geotiff(squares, "score", tmp_path / "x.tif", metadata={})
    with pytest.raises(InputError, match="geographic"):
        write_geotiff(squares.to_crs(4326), "score", tmp_path / "x.tif", metadata=META)
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- zonal stats
@pytest.fixture
def tiny_raster(tmp_path):
    """2 x 2 cells of 100 m: [[1, 2], [3, nodata]], top-left corner at (400000, 300200)."""
    path = tmp_path / "tiny.tif"
    profile = {"driver": "GTiff", "width": 2, "height": 2, "count": 1, "dtype": "float32",
               "crs": "EPSG:27700", "transform": from_origin(X0, Y0 + 200, 100, 100), "nodata": -1}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.array([[1, 2], [3, -1]], dtype="float32"), 1)
    return path


def from_origin(west: float, north: float, xsize: float, ysize: float) -> Affine:
    """North-up transform (rasterio's own helper warns about Affine's ``*`` operator)."""
    return Affine(xsize, 0.0, west, 0.0, -ysize, north)


def _zones(polys, codes=None):
    """Zones given relative to (X0, Y0), the bottom-left corner of the tiny raster."""
    codes = codes or [f"Z{i}" for i in range(len(polys))]
    polys = [shapely.affinity.translate(p, X0, Y0) for p in polys]
    return gpd.GeoDataFrame(geometry=polys, index=pd.Index(codes, name="zone_code"), crs=27700)


def test_zonal_hand_computed(tiny_raster):
    zones = _zones(
        [
            shapely.box(0, 100, 50, 200),  # half of the cell holding 1
            shapely.box(0, 0, 200, 200),  # everything: 1, 2, 3 and nodata
            shapely.box(50, 100, 200, 200),  # half of the 1 cell and all of the 2 cell
            shapely.box(25, 25, 75, 75),  # a quarter of the 3 cell, in its middle
        ],
        codes=["D", "A", "C", "B"],
    )
    mean = zonal_stats(tiny_raster, zones, stat="mean")
    assert list(mean.index) == ["D", "A", "C", "B"] and mean.index.name == "zone_code"
    assert mean.name == "mean"
    assert_allclose(mean.to_numpy(), [1.0, 2.0, (0.5 * 1 + 2) / 1.5, 3.0], rtol=1e-12)
    total = zonal_stats(tiny_raster, zones, stat="SUM")
    assert_allclose(total.to_numpy(), [0.5, 6.0, 2.5, 0.75], rtol=1e-12)
    count = zonal_stats(tiny_raster, zones, stat="count")
    assert_allclose(count.to_numpy(), [0.5, 3.0, 1.5, 0.25], rtol=1e-12)


def test_zonal_table_gives_no_value_to_an_area_the_raster_only_grazes(tiny_raster):
    from geo.export.zonal import MIN_COVERAGE, zonal_table

    zones = _zones([shapely.box(0, 0, 200, 200),  # 3 of 4 cells with data
                    shapely.box(-900, 0, 10, 200),  # a neighbour touching one column by 10 m
                    shapely.box(50, 100, 150, 300)],  # half on the raster
                   codes=["IN", "EDGE", "HALF"]).assign(name=["in", "edge", "half"])
    with pytest.warns(UserWarning, match=r"1 lad24 areas have less than 50%.*EDGE"):
        table, meta = zonal_table(tiny_raster, zones, stat="mean", level="lad24")
    assert table.at["IN", "mean"] == pytest.approx(2.0)
    assert table.at["IN", "data_coverage"] == pytest.approx(0.75)
    assert np.isnan(table.at["EDGE", "mean"])  # not the value of the cells along its edge
    assert table.at["EDGE", "data_coverage"] == pytest.approx(10 * 200 * (2 / 2) / (910 * 200),
                                                              abs=1e-4)
    assert table.at["HALF", "data_coverage"] == pytest.approx(MIN_COVERAGE)  # kept at 50%
    assert table.at["HALF", "mean"] == pytest.approx(1.5)
    assert "data_coverage" in meta["method"]


def test_zonal_no_data_is_nan_with_warning(tiny_raster):
    zones = _zones(
        [
            shapely.box(0, 0, 100, 100),  # the 3 cell
            shapely.box(5000, 5000, 5100, 5100),  # off the raster
            shapely.box(110, 10, 190, 90),  # only the nodata cell
            shapely.Polygon(),  # empty
        ]
    )
    with pytest.warns(UserWarning, match=r"3 of 4 zones have no raster data.*Z1, Z2, Z3"):
        mean = zonal_stats(tiny_raster, zones, stat="mean")
    assert_allclose(mean.to_numpy(), [3.0, np.nan, np.nan, np.nan])
    with pytest.warns(UserWarning, match="3 of 4"):
        total = zonal_stats(tiny_raster, zones, stat="sum")
    assert_allclose(total.to_numpy(), [3.0, np.nan, np.nan, np.nan])  # not 0 for no data


def test_zonal_matches_numpy_supersampling(tmp_path):
    """Random 20 x 20 raster; a circle and a triangle. Coverage fractions from a 20x finer
    rasterisation (cell-centre rule) give the weighted mean to within 0.5%."""
    rng = np.random.default_rng(7)
    values = rng.uniform(0, 100, size=(20, 20)).astype("float32")
    transform = from_origin(X0, Y0 + 2000, 100, 100)
    path = tmp_path / "random.tif"
    with rasterio.open(path, "w", driver="GTiff", width=20, height=20, count=1,
                       dtype="float32", crs="EPSG:27700", transform=transform) as dst:
        dst.write(values, 1)
    polys = [shapely.Point(1030, 970).buffer(640), shapely.Polygon([(150, 130), (1870, 420),
                                                                      (600, 1810)])]
    zones = _zones(polys)
    got = zonal_stats(path, zones, stat="mean").to_numpy()
    got_sum = zonal_stats(path, zones, stat="sum").to_numpy()
    fine = 20
    fine_transform = from_origin(X0, Y0 + 2000, 100 / fine, 100 / fine)
    for k, poly in enumerate(zones.geometry):
        mask = rasterio.features.rasterize([(poly, 1)], out_shape=(400, 400),
                                           transform=fine_transform, dtype="uint8")
        frac = mask.reshape(20, fine, 20, fine).mean(axis=(1, 3))
        expected = float((frac * values).sum() / frac.sum())
        assert_allclose(got[k], expected, rtol=5e-3)
        # the sum is value x covered area in cells: the polygon's area / 100^2 in total weight
        assert_allclose(got_sum[k] / got[k], poly.area / 100**2, rtol=1e-6)


def test_zonal_reprojects_zones_with_warning(tiny_raster):
    zones = _zones([shapely.box(0, 100, 50, 200), shapely.box(0, 0, 200, 200)])
    expected = zonal_stats(tiny_raster, zones, stat="mean").to_numpy()
    with pytest.warns(UserWarning, match="reprojected to the raster's CRS"):
        got = zonal_stats(tiny_raster, zones.to_crs(4326), stat="mean").to_numpy()
    assert_allclose(got, expected, rtol=1e-4)  # a lon/lat round trip moves edges by ~1 mm


def test_zonal_refusals(tiny_raster, tmp_path):
    zones = _zones([shapely.box(0, 0, 100, 100)])
    with pytest.raises(InputError, match=r"`stat` 'median' is not known; valid: \['count'"):
        zonal_stats(tiny_raster, zones, stat="median")
    with pytest.raises(InputError, match="does not exist"):
        zonal_stats(tmp_path / "missing.tif", zones)
    with pytest.raises(InputError, match="no CRS"):
        zonal_stats(tiny_raster, zones.set_crs(None, allow_override=True))
    with pytest.raises(InputError, match="`band` must be between 1 and 1"):
        zonal_stats(tiny_raster, zones, band=2)
    no_crs = tmp_path / "nocrs.tif"
    with rasterio.open(no_crs, "w", driver="GTiff", width=2, height=2, count=1, dtype="uint8",
                       transform=from_origin(X0, Y0 + 200, 100, 100)) as dst, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dst.write(np.ones((2, 2), dtype="uint8"), 1)
    with pytest.raises(InputError, match="has no CRS"):
        zonal_stats(no_crs, zones)


def test_geotiff_zonal_round_trip(squares, tmp_path):
    path = write_geotiff(squares, "score", tmp_path / "s.tif", resolution=50, metadata=META)
    with pytest.warns(UserWarning, match="E3"):
        back = zonal_stats(path, squares, stat="mean")
    assert_allclose(back.to_numpy(), [10.0, 20.0, np.nan])


# ----------------------------------------------------------------------------- display
def _pixel_of(lat, lon, bounds, size):
    """Pixel (row, col) of a lat/lon in an image spanning ``bounds`` in Web Mercator."""
    to_merc = Transformer.from_crs(4326, 3857, always_xy=True)
    (south, west), (north, east) = bounds
    x0, y0 = to_merc.transform(west, south)
    x1, y1 = to_merc.transform(east, north)
    x, y = to_merc.transform(lon, lat)
    width, height = size
    return int((y1 - y) / (y1 - y0) * height), int((x - x0) / (x1 - x0) * width)


def test_display_png_colours_and_bounds(squares):
    colours = {"hot spot": "#ff0000", "cold spot": "#0000ff80"}
    png, bounds = rasterize_for_display(squares, squares["label"], colors=colours, resolution=10)
    image = Image.open(io.BytesIO(png))
    assert image.mode == "P"  # paletted, decoded to RGBA by browsers
    rgba = np.asarray(image.convert("RGBA"))
    to_ll = Transformer.from_crs(27700, 4326, always_xy=True)
    lon, lat = to_ll.transform(401100, 302100)  # centre of E1 (hot)
    assert tuple(rgba[_pixel_of(lat, lon, bounds, image.size)]) == (255, 0, 0, 255)
    lon, lat = to_ll.transform(401400, 302100)  # centre of E2 (cold, half transparent)
    assert tuple(rgba[_pixel_of(lat, lon, bounds, image.size)]) == (0, 0, 255, 128)
    lon, lat = to_ll.transform(401250, 302100)  # the gap between them: transparent
    assert rgba[_pixel_of(lat, lon, bounds, image.size)][3] == 0
    lon, lat = to_ll.transform(401050, 302250)  # E3 has no class: transparent
    assert rgba[_pixel_of(lat, lon, bounds, image.size)][3] == 0
    # bounds enclose the areas, within one pixel
    ll = squares.to_crs(4326).total_bounds
    (south, west), (north, east) = bounds
    assert south <= ll[1] and west <= ll[0] and north >= ll[3] and east >= ll[2]
    assert north - ll[3] < 1e-3 and ll[0] - west < 1e-3
    # pixels are ~10 m on the ground: the 500 m x 300 m extent is ~50 x ~30 pixels
    assert abs(image.size[0] - 50) <= 2 and abs(image.size[1] - 30) <= 2, image.size


def test_display_per_feature_colours(squares):
    png, _ = rasterize_for_display(
        squares, None, colors=pd.Series(["#00ff00", None, "#00FF00"], index=squares.index),
        resolution=20)
    rgba = np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))
    assert {tuple(c) for c in rgba.reshape(-1, 4)} == {(0, 255, 0, 255), (0, 0, 0, 0)}


def test_display_missing_codes_are_transparent_with_warning(squares):
    classes = pd.Series({"E1": 1, "E2": 2})  # no entry for E3
    with pytest.warns(UnmatchedCodesWarning, match="no entry for 1 of 3 areas.*E3"):
        png, _ = rasterize_for_display(squares, classes, colors={1: "#ff0000", 2: "#0000ff"},
                                       resolution=20)
    rgba = np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))
    assert {tuple(c) for c in rgba.reshape(-1, 4)} == {
        (255, 0, 0, 255), (0, 0, 255, 255), (0, 0, 0, 0)}
    with pytest.raises(InputError, match="shares no code"):
        rasterize_for_display(squares, pd.Series({"W1": 1}), colors={1: "#ff0000"})


def test_display_refusals(squares):
    with pytest.raises(InputError, match=r"no colour for classes \['cold spot'\]"):
        rasterize_for_display(squares, squares["label"], colors={"hot spot": "#ff0000"})
    with pytest.raises(InputError, match="hex colours"):
        rasterize_for_display(squares, squares["label"],
                              colors={"hot spot": "red", "cold spot": "#0000ff"})
    with pytest.raises(InputError, match="has 2 entries; `gdf_27700` has 3 rows"):
        rasterize_for_display(squares, [1, 2], colors={1: "#ffffff", 2: "#000000"})
    with pytest.raises(InputError, match="geographic"):
        rasterize_for_display(squares.to_crs(4326), squares["label"], colors={})


# ----------------------------------------------------------------------------- lookup
def test_lsoa_at_synthetic(squares):
    to_ll = Transformer.from_crs(27700, 4326, always_xy=True)
    index = make_lookup_index(squares, resolution=50)
    cases = {(401100, 302100): "E1", (401400, 302100): "E2", (401250, 302100): None, (401050, 302250): "E3",
             (400900, 301900): None, (401100, 302200): "E1"}  # (401100, 302200): on the E1/E3 edge
    for (x, y), code in cases.items():
        lon, lat = to_ll.transform(x, y)
        assert lsoa_at(lat, lon, squares) == code, (x, y)
        assert lsoa_at(lat, lon, index) == code, (x, y)
    assert lsoa_at(0.0, 0.0, index) is None  # far off the grid
    with pytest.raises(InputError, match="latitude in"):
        lsoa_at(95, 0, squares)
    with pytest.raises(InputError, match="latitude in"):
        lsoa_at("north", 0, index)


def test_a_lookup_index_of_a_reloaded_class_is_still_a_lookup_index(squares):
    """Streamlit reloads a changed module while the server runs; the index cached before
    (pages/_data.py lsoa_lookup, st.cache_resource) keeps the class as first imported: a
    different class with the same fields. Clicks on the national image must still answer."""
    import importlib
    from typing import NamedTuple

    import geo.maps.raster as raster

    index = make_lookup_index(squares, resolution=50)

    class LookupIndex(NamedTuple):  # the class as it was before the reload
        codes: np.ndarray
        geometries: np.ndarray
        tree: shapely.STRtree
        grid: np.ndarray
        transform: Affine
        crs: object

    old = LookupIndex(*index)
    assert not isinstance(old, raster.LookupIndex)
    lon, lat = Transformer.from_crs(27700, 4326, always_xy=True).transform(401100, 302100)
    assert lsoa_at(lat, lon, old) == "E1"
    fresh = importlib.reload(raster)  # and an index of the class before a real reload
    try:
        assert fresh.lsoa_at(lat, lon, index) == "E1"
    finally:
        importlib.reload(raster)
    with pytest.raises(InputError, match="GeoDataFrame or a LookupIndex"):
        lsoa_at(lat, lon, tuple(index)[:3])


def test_lookup_index_agrees_with_polygons():
    """A 6 x 6 lattice of 170 m cells with a gap; 2,000 random points: grid path == exact."""
    cells = [shapely.box(x * 170, y * 170, x * 170 + 170, y * 170 + 170)
             for x in range(6) for y in range(6) if (x, y) != (2, 3)]
    gdf = gpd.GeoDataFrame(geometry=cells, crs=27700,
                           index=pd.Index([f"E{i:03d}" for i in range(len(cells))], name="code"))
    gdf = gdf.set_geometry(gdf.translate(X0, Y0))
    index = make_lookup_index(gdf, resolution=40)
    assert (index.grid >= 0).any() and (index.grid == -2).any() and (index.grid == -1).any()
    rng = np.random.default_rng(3)
    xs = rng.uniform(399_900, 401_100, 2000)
    ys = rng.uniform(299_900, 301_100, 2000)
    lon, lat = Transformer.from_crs(27700, 4326, always_xy=True).transform(xs, ys)
    fast = [lsoa_at(a, o, index) for a, o in zip(lat, lon, strict=True)]
    exact = [lsoa_at(a, o, gdf) for a, o in zip(lat, lon, strict=True)]
    assert fast == exact
    assert sum(c is None for c in fast) > 100  # points in the gap and outside


# ----------------------------------------------------------------------------- real data
@pytest.fixture(scope="module")
def england_lsoas(mirror) -> gpd.GeoDataFrame:
    gdf = pyogrio.read_dataframe(mirror / "boundaries" / "lsoa21_ew_bsc.gpkg",
                                 where="LSOA21CD LIKE 'E%'")
    gdf = gdf.rename(columns={"LSOA21CD": "lsoa21_code", "LSOA21NM": "name"})
    return gdf.set_index("lsoa21_code").to_crs(27700)


@pytest.mark.real
def test_real_national_png(england_lsoas, mirror):
    """England's 33,755 LSOAs coloured by IMD 2025 decile at 100 m: under 1.5 MB, and the
    pixel under each sampled LSOA's interior point has that LSOA's decile colour."""
    assert len(england_lsoas) == 33_755
    imd = pd.read_csv(mirror / "deprivation" / "imd2025_england_lsoa21.csv",
                      index_col="lsoa21_code")["IMD_decile"]
    palette = ["#a50026", "#d73027", "#f46d43", "#fdae61", "#fee090",
               "#e0f3f8", "#abd9e9", "#74add1", "#4575b4", "#313695"]
    colours = {d: palette[d - 1] for d in range(1, 11)}
    png, bounds = rasterize_for_display(england_lsoas, imd, colors=colours, resolution=100)
    assert len(png) < 1_500_000, f"{len(png):,} bytes"
    (south, west), (north, east) = bounds
    # England: Isles of Scilly to Berwick, Land's End to Lowestoft
    assert 49.85 < south < 49.9 and 55.8 < north < 55.85
    assert -6.45 < west < -6.35 and 1.75 < east < 1.8
    image = Image.open(io.BytesIO(png))
    rgba = np.asarray(image.convert("RGBA"))
    sample = england_lsoas.sample(400, random_state=1)
    # LSOAs larger than a few pixels: the interior point's pixel is inside the LSOA
    sample = sample[sample.area > 200_000]
    points = sample.representative_point().to_crs(4326)
    hits = 0
    for code, pt in points.items():
        r, c = _pixel_of(pt.y, pt.x, bounds, image.size)
        want = colours[int(imd[code])]
        hits += tuple(rgba[r, c][:3]) == tuple(int(want[i:i + 2], 16) for i in (1, 3, 5))
    assert hits / len(points) > 0.95


@pytest.mark.real
def test_real_lookup(england_lsoas):
    index = make_lookup_index(england_lsoas, resolution=500)
    assert index.grid.nbytes < 8_000_000
    pts = england_lsoas.sample(300, random_state=2).representative_point().to_crs(4326)
    for code, pt in pts.items():
        assert lsoa_at(pt.y, pt.x, index) == code
    # the North Sea and the Irish Sea are no LSOA
    assert lsoa_at(54.0, 2.5, index) is None and lsoa_at(54.0, -4.0, england_lsoas) is None
    assert math.isfinite(index.transform.a)


@pytest.mark.real
def test_real_zonal_council_means(england_lsoas, mirror, tmp_path):
    """IMD 2025 score burnt at 250 m, averaged over councils dissolved from the same LSOAs:
    matches the area-weighted mean of the LSOA scores (computed independently here)."""
    imd = pd.read_csv(mirror / "deprivation" / "imd2025_england_lsoa21.csv",
                      index_col="lsoa21_code")["IMD_score"]
    lsoas = england_lsoas.assign(imd_score=imd.reindex(england_lsoas.index))
    path = write_geotiff(lsoas, "imd_score", tmp_path / "imd.tif", resolution=250,
                         metadata=META)
    lad = pyogrio.read_dataframe(mirror / "boundaries" / "lad24_ew_dissolved_from_lsoa21_bsc.gpkg")
    lad = lad.rename(columns={"LAD24CD": "lad24_code"}).set_index("lad24_code").to_crs(27700)
    lad = lad[lad.index.str.startswith("E")]
    assert len(lad) == 296
    got = zonal_stats(path, lad, stat="mean")
    lookup = pd.read_csv(mirror / "lookups" / "lookup_lsoa21_ward24_ltla24.csv",
                         index_col="lsoa21_code")["ltla24_code"]
    area = lsoas.area
    council = lookup.reindex(lsoas.index)
    expected = (lsoas["imd_score"] * area).groupby(council).sum() / area.groupby(council).sum()
    # The raster gives each 250 m cell the score of the LSOA under its centre, so a council's
    # mean differs by the LSOAs' rasterisation error: 0.2% typically (0.07% at 100 m), most
    # for the City of London (2.9 km2, ~46 cells).
    rel = (got / expected.reindex(got.index) - 1).abs()
    assert rel.median() < 0.005
    assert rel.quantile(0.9) < 0.015
    assert_allclose(got["E08000003"], expected["E08000003"], rtol=0.01)  # Manchester ~38.8
