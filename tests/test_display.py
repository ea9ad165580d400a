"""Tests of boundaries.grids and boundaries.display: what the store build precomputes for the app.

Synthetic areas near (400000, 300000) in British National Grid (the Midlands); the real store's
files are checked against the store's own boundaries (marked ``real``).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from numpy.testing import assert_array_equal
from pyproj import Transformer

from boundaries.display import (
    PLACE_FIELDS,
    PLACE_MIN_ZOOM,
    _group_outlines,
    _places,
    place_points,
    write_display_extras,
)
from boundaries.grids import lookup_grid, position_grid
from geo._errors import InputError
from geo.maps.national import lsoa_grid
from geo.maps.raster import lookup_index, lsoa_at, make_lookup_index

X0, Y0 = 400_000, 300_000
TO_LONLAT = Transformer.from_crs(27700, 4326, always_xy=True)


@pytest.fixture
def lattice() -> gpd.GeoDataFrame:
    """A 6 x 6 lattice of 700 m squares in three wards (by column pairs), one with a repeated
    name, and a separate island square."""
    cells, codes, wards, names = [], [], [], []
    for r in range(6):
        for c in range(6):
            cells.append(shapely.box(X0 + 700 * c, Y0 + 700 * r, X0 + 700 * (c + 1),
                                     Y0 + 700 * (r + 1)))
            codes.append(f"E{r}{c}")
            wards.append(f"W{c // 2}")
            names.append("Abbey" if c // 2 != 1 else "Castle")
    cells.append(shapely.box(X0 + 9000, Y0, X0 + 9700, Y0 + 700))
    codes.append("E99")
    wards.append("W9")
    names.append("Abbey")  # the same name as ward W0 and W2, elsewhere
    return gpd.GeoDataFrame({"ward24_code": wards, "ward24_name": names, "name": codes},
                            geometry=cells, crs="EPSG:27700",
                            index=pd.Index(codes, name="lsoa21_code"))


def test_position_grid_is_the_grid_of_the_national_image(lattice):
    grid = position_grid(lattice, resolution=200)
    old = lsoa_grid(lattice, resolution=200)  # the public face in geo.maps
    assert_array_equal(grid.grid, old.grid)
    assert list(grid.codes) == list(lattice.index)
    present = set(np.unique(grid.grid)) - {0}
    assert present == set(range(1, len(lattice) + 1))  # every area has pixels


def test_stored_lookup_answers_like_the_polygons(lattice):
    cells, transform = lookup_grid(lattice, resolution=500)
    index = lookup_index(lattice, cells, transform)
    fresh = make_lookup_index(lattice, resolution=500)
    assert_array_equal(index.grid, fresh.grid)
    rng = np.random.default_rng(7)
    xs = rng.uniform(X0 - 500, X0 + 10_200, 400)
    ys = rng.uniform(Y0 - 500, Y0 + 4_700, 400)
    for x, y in zip(xs, ys, strict=True):
        lon, lat = TO_LONLAT.transform(x, y)
        inside = lattice.index[lattice.contains(shapely.Point(x, y))]
        expected = inside[0] if len(inside) else None
        if expected is None and lattice.touches(shapely.Point(x, y)).any():
            continue  # on an edge: either side is right
        assert lsoa_at(lat, lon, index) == expected


def test_lookup_index_refuses_a_grid_of_another_kind(lattice):
    with pytest.raises(InputError, match="2-D integer grid"):
        lookup_index(lattice, np.zeros(5), None)


def test_place_points_one_per_place_inside_its_areas(lattice):
    pts = place_points(lattice, lattice["ward24_name"], keys=lattice["ward24_code"])
    assert sorted(pts.index) == ["W0", "W1", "W2", "W9"]  # "Abbey" three times, kept apart
    assert pts.loc[["W0", "W2", "W9"], "name"].eq("Abbey").all()
    assert pts["n_areas"].to_dict() == {"W0": 12, "W1": 12, "W2": 12, "W9": 1}
    to_bng = Transformer.from_crs(4326, 27700, always_xy=True)
    for key, row in pts.iterrows():
        x, y = to_bng.transform(row["lon"], row["lat"])
        members = lattice[lattice["ward24_code"] == key]
        assert members.buffer(1).contains(shapely.Point(x, y)).any()


def test_places_councils_first_by_people_then_places(lattice):
    lad = gpd.GeoDataFrame({"name": ["Big", "Small", "Scottish"]}, geometry=[
        shapely.box(X0, Y0, X0 + 4200, Y0 + 4200), shapely.box(X0 + 9000, Y0, X0 + 9700, Y0 + 700),
        shapely.box(X0, Y0 + 9000, X0 + 9000, Y0 + 18000)],
        crs="EPSG:27700", index=pd.Index(["E06000001", "E06000002", "S12000001"],
                                         name="lad24_code"))
    lsoa = lattice.assign(lad24_code=["E06000002"] * 36 + ["E06000001"])
    dz = lattice.assign(name=[f"Culter - {i:02d}" for i in range(len(lattice))])[["name", "geometry"]]
    utla = lad.iloc[:1].rename_axis("utla24_code")
    out = _places({"lad24": lad, "utla24": utla, "lsoa21": lsoa.assign(utla24_code="E06000001"),
                   "dz11": dz})
    assert list(out.columns) == list(PLACE_FIELDS)
    assert set(out.loc[out["level"] == "utla24", "code"]) == {"E06000001"}  # each tier named
    councils = out[out["level"] == "lad24"].set_index("name")["weight"]
    # by neighbourhoods (people), not area; a council without LSOAs by half its area share
    assert list(councils.index) == ["Small", "Scottish", "Big"]
    assert councils["Small"] == 1 and councils["Big"] == pytest.approx(1 / 36)
    assert councils["Scottish"] == pytest.approx(0.5)
    assert list(out["kind"][:4]) == ["council"] * 4  # councils before places
    places = out[out["kind"] == "place"]
    assert (places["min_zoom"] == PLACE_MIN_ZOOM).all()
    assert "Culter" in set(places["name"])  # data zones by the name they share, without number


def test_council_names_weighted_by_people_in_every_nation_upper_tiers_summed(lattice):
    lad = gpd.GeoDataFrame(
        {"name": ["Town", "Shire A", "Shire B", "Belfast"],
         "utla24_code": ["E06000001", "E10000001", "E10000001", "N09000003"]},
        geometry=[shapely.box(X0 + i * 5000, Y0, X0 + i * 5000 + 1000, Y0 + 1000)
                  for i in range(4)],
        crs="EPSG:27700", index=pd.Index(["E06000001", "E07000001", "E07000002", "N09000003"],
                                         name="lad24_code"))
    utla = lad.dissolve("utla24_code")[["name", "geometry"]]
    lsoa = lattice.assign(lad24_code="E06000001", utla24_code="E06000001")  # 37 in Town alone
    people = pd.Series({"E06000001": 100_000.0, "E07000001": 60_000.0, "E07000002": 80_000.0,
                        "N09000003": 340_000.0})
    out = _places({"lad24": lad, "utla24": utla, "lsoa21": lsoa}, people)
    weights = out[out["kind"] == "council"].set_index(["level", "code"])["weight"]
    # Belfast, with no LSOA in the store, is the heaviest by its people, not by its area
    assert weights["lad24"].idxmax() == "N09000003"
    assert weights["lad24", "E07000002"] == pytest.approx(80 / 340)
    assert weights["utla24", "E10000001"] == pytest.approx(140 / 340)  # its districts summed
    assert weights["utla24", "E06000001"] == pytest.approx(100 / 340)


def test_group_outlines_dissolve_and_keep_the_group_ids(lattice):
    groups = pd.Series([7] * 4 + [12], index=["E00", "E01", "E10", "E11", "E99"],
                       name="cluster_id")
    out = _group_outlines(lattice, groups)
    assert out.index.tolist() == [7, 12] and out.index.dtype == groups.dtype
    assert out.crs.to_epsg() == 4326
    area = out.to_crs(27700).area
    assert area[7] == pytest.approx(4 * 700 * 700, rel=0.01)  # four squares, one outline
    assert out.geometry[7].geom_type == "Polygon"
    assert out.loc[7, ["lat", "lon"]].notna().all()


def test_write_display_extras_lists_what_it_wrote(lattice, tmp_path):
    levels = {"lsoa21": lattice}
    written = write_display_extras(tmp_path, levels,
                                   groups={"clusters": pd.Series([1, 1], index=["E00", "E01"])})
    assert written == ["display/lsoa21_positions.npz", "display/lsoa21_lookup.npz",
                       "display/places.parquet", "display/groups_clusters.parquet"]
    assert all((tmp_path / f).is_file() for f in written)
    with np.load(tmp_path / "display/lsoa21_lookup.npz") as stored:
        assert list(stored["codes"]) == list(lattice.index)
    with pytest.raises(InputError, match="lower case"):
        write_display_extras(tmp_path, levels, groups={"Bad name": pd.Series(dtype=int)})


@pytest.mark.real
def test_the_store_holds_what_the_app_loads(store):
    import boundaries
    import boundaries.display as stored
    import geo

    lsoa = boundaries.load("lsoa21")
    grid = stored.load_position_grid("lsoa21")
    assert grid.codes.equals(lsoa.index)
    cells = stored.load_lookup_grid("lsoa21")
    assert cells["codes"].equals(lsoa.index)
    index = lookup_index(lsoa[["geometry"]], cells["grid"], cells["transform"])
    centre = lsoa.geometry.representative_point()
    for code in lsoa.index[:: len(lsoa) // 50]:
        lon, lat = TO_LONLAT.transform(centre[code].x, centre[code].y)
        assert lsoa_at(lat, lon, index) == code
    outlines = stored.load_group_outlines("clusters")
    assert set(outlines.index) == set(geo.load_indicators("clusters").index)
    places = stored.load_places()
    councils = places[places["level"] == "lad24"]
    assert set(councils["code"]) == set(boundaries.load("lad24").index)
