"""Tests of geo.export (GeoJSON, CSV, council pack, file names) and the export CLI."""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from pyproj import Transformer

from geo._errors import InputError, OppmapError
from geo.export._rfc7946 import resolve_inside, rfc7946_problems, safe_filename
from geo.export.csv import to_csv_safe
from geo.export.geojson import to_geojson, write_geojson
from geo.export.metadata import attribution_text
from geo.export.pack import council_pack

META = {
    "title": "oppmap test export",
    "attribution": [
        "Source: Office for National Statistics licensed under the Open Government Licence v.3.0."
    ],
    "sources": [
        {"id": "iod2025", "title": "English Indices of Deprivation 2025", "vintage": "2025",
         "publisher": "MHCLG", "licence": "OGL-UK-3.0"},
    ],
    "licence": "OGL-UK-3.0",
    "method": {"permutations": np.int64(999), "alpha": np.float64(0.05)},
    "seed": 42,
}


def _cw_square(x0: float, y0: float, size: float) -> list[tuple[float, float]]:
    """A clockwise square ring (the wrong way round for RFC 7946 exteriors)."""
    return [(x0, y0), (x0, y0 + size), (x0 + size, y0 + size), (x0 + size, y0), (x0, y0)]


@pytest.fixture
def areas() -> gpd.GeoDataFrame:
    """Three areas in British National Grid, codes out of order.

    E02 is a 1 km square with a 200 m hole, exterior clockwise and hole counter-clockwise (both
    wrong for RFC 7946); E01 a two-part MultiPolygon; E03 a 500 m square.
    """
    outer = _cw_square(530000, 180000, 1000)
    hole = _cw_square(530400, 180400, 200)[::-1]
    e02 = shapely.Polygon(outer, [hole])
    e01 = shapely.MultiPolygon(
        [shapely.box(532000, 180000, 532500, 180500), shapely.box(533000, 180000, 533500, 180500)]
    )
    e03 = shapely.box(534000, 181000, 534500, 181500)
    return gpd.GeoDataFrame(
        {
            "name": ["Hole ward", "Two parts", "=HYPERLINK(\"http://x\")"],
            "score": [12.5, np.nan, -3.25],
            "rank": np.array([3, 1, 2], dtype="int64"),
            "flag": [True, False, True],
            "label": pd.Categorical(["hot", "cold", None]),
        },
        geometry=[e02, e01, e03],
        index=pd.Index(["E02", "E01", "E03"], name="lsoa21_code"),
        crs="EPSG:27700",
    )


def _signed_area(ring: list) -> float:
    xy = np.asarray(ring)
    return 0.5 * float(np.sum(xy[:-1, 0] * xy[1:, 1] - xy[1:, 0] * xy[:-1, 1]))


# ----------------------------------------------------------------------------- GeoJSON
def test_geojson_is_rfc7946(areas):
    data = to_geojson(areas, metadata=META)
    doc = json.loads(data)
    assert rfc7946_problems(data) == []
    assert "crs" not in doc
    assert doc["type"] == "FeatureCollection"
    # sorted by code, id = code
    assert [f["id"] for f in doc["features"]] == ["E01", "E02", "E03"]
    hole_feature = doc["features"][1]
    exterior, hole = hole_feature["geometry"]["coordinates"]
    assert _signed_area(exterior) > 0  # counter-clockwise
    assert _signed_area(hole) < 0  # clockwise
    # lon/lat of the south-west corner (530000, 180000) to 6 decimals, via an independent
    # pyproj transformer; it lies in central London.
    lon, lat = Transformer.from_crs(27700, 4326, always_xy=True).transform(530000, 180000)
    assert [round(lon, 6), round(lat, 6)] in exterior
    assert -0.2 < lon < -0.1 and 51.49 < lat < 51.51
    for ring in (exterior, hole):
        for x, y in ring:
            assert round(x, 6) == x and round(y, 6) == y


def test_geojson_properties_and_metadata(areas):
    doc = json.loads(to_geojson(areas, metadata=META))
    props = [f["properties"] for f in doc["features"]]
    # code and the index's name first, then every column in the frame's order
    assert list(props[0]) == ["code", "lsoa21_code", "name", "score", "rank", "flag", "label"]
    assert props[0] == {"code": "E01", "lsoa21_code": "E01", "name": "Two parts",
                        "score": None, "rank": 1, "flag": False, "label": "cold"}
    assert props[2]["label"] is None and props[2]["score"] == -3.25
    text = to_geojson(areas, metadata=META).decode()
    assert '"rank":3,' in text  # numpy int64 -> JSON integer, not 3.0
    assert "NaN" not in text
    # the foreign member records provenance, numpy scalars converted, keys sorted
    assert doc["oppmap"]["method"] == {"alpha": 0.05, "permutations": 999}
    assert doc["oppmap"]["seed"] == 42
    assert doc["oppmap"]["sources"][0]["vintage"] == "2025"
    assert list(doc) == ["type", "oppmap", "features"]


def test_geojson_byte_identical_and_order_free(areas):
    first = to_geojson(areas, metadata=META)
    assert to_geojson(areas, metadata=META) == first
    assert to_geojson(areas.iloc[[2, 0, 1]], metadata=dict(reversed(META.items()))) == first


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations([0, 1, 2]))
def test_geojson_row_order_does_not_matter(areas, order):
    assert to_geojson(areas.iloc[list(order)], metadata=META) == to_geojson(areas, metadata=META)


def test_geojson_round_trip_with_pyogrio(areas, tmp_path):
    path = write_geojson(areas, tmp_path / "areas.geojson", metadata=META)
    back = pyogrio.read_dataframe(path)
    assert back.crs.to_epsg() == 4326
    back = back.set_index("code").sort_index()
    assert list(back.index) == ["E01", "E02", "E03"]
    assert list(back["lsoa21_code"]) == ["E01", "E02", "E03"]
    assert list(back["name"]) == ["Two parts", "Hole ward", "=HYPERLINK(\"http://x\")"]
    assert_allclose(back["score"].to_numpy(dtype=float), [np.nan, 12.5, -3.25])
    assert list(back["rank"]) == [1, 3, 2]
    assert list(back["label"].fillna("<null>")) == ["cold", "hot", "<null>"]
    # same shapes: areas back in BNG within rounding (6 dp ~ 0.1 m)
    original = areas.sort_index().geometry
    returned = back.geometry.to_crs(27700)
    assert_allclose(original.area.to_numpy(), [500_000.0, 960_000.0, 250_000.0])
    # moving each vertex by at most half a 1e-6 degree cell (< 0.065 m here) changes an area
    # by at most perimeter x 0.065 m
    change = np.abs(returned.area.to_numpy() - original.area.to_numpy())
    assert np.all(change <= original.length.to_numpy() * 0.065)
    assert all(returned.is_valid)


def test_rounding_keeps_polygons_valid():
    # A 0.0003-wide notch: rounding each vertex to 6 decimals would fold its two sides onto
    # each other (a self-touching, invalid ring); set_precision removes the notch instead.
    ring = [(0, 0), (0.002, 0), (0.002, 0.002), (0.0010004, 0.002), (0.0010004, 0.0005),
            (0.0010001, 0.0005), (0.0010001, 0.002), (0, 0.002), (0, 0)]
    poly = shapely.Polygon(ring)
    naive = shapely.Polygon([(round(x, 6), round(y, 6)) for x, y in ring])
    assert poly.is_valid and not naive.is_valid
    gdf = gpd.GeoDataFrame({"v": [1]}, geometry=[poly], crs=4326,
                           index=pd.Index(["E1"], name="code"))
    doc = json.loads(to_geojson(gdf, metadata=META))
    assert rfc7946_problems(doc) == []
    geom = shapely.geometry.shape(doc["features"][0]["geometry"])
    assert geom.is_valid
    assert_allclose(geom.area, 0.002 * 0.002, rtol=1e-3)
    # an index named "code" is written once
    assert list(doc["features"][0]["properties"]) == ["code", "v"]


def test_geojson_refusals(areas):
    with pytest.raises(InputError, match="no CRS"):
        to_geojson(areas.set_crs(None, allow_override=True), metadata=META)
    with pytest.raises(InputError, match="attribution"):
        to_geojson(areas, metadata={"sources": []})
    with pytest.raises(InputError, match="mapping"):
        to_geojson(areas, metadata="OGL")
    with pytest.raises(InputError, match="duplicates: E01"):
        to_geojson(pd.concat([areas, areas.loc[["E01"]]]), metadata=META)
    with pytest.raises(InputError, match="clash.*'code'"):
        to_geojson(areas.assign(code=1), metadata=META)
    with pytest.raises(InputError, match="infinite"):
        to_geojson(areas.assign(score=np.inf), metadata=META)
    with pytest.raises(InputError, match="`precision`"):
        to_geojson(areas, metadata=META, precision=6.5)


def test_write_geojson_is_atomic(areas, tmp_path):
    path = tmp_path / "out.geojson"
    write_geojson(areas, path, metadata=META)
    before = path.read_bytes()
    with pytest.raises(InputError, match="infinite"):
        write_geojson(areas.assign(score=np.inf), path, metadata=META)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.geojson", "out.geojson.README.txt"]
    readme = (tmp_path / "out.geojson.README.txt").read_bytes()
    assert readme.startswith(b"oppmap test export: out.geojson\n") and b"\r" not in readme
    assert b"Open Government Licence" in readme
    # a failing writer leaves neither the file nor its README behind
    with pytest.raises(InputError, match="infinite"):
        write_geojson(areas.assign(score=np.inf), tmp_path / "new.geojson", metadata=META)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.geojson", "out.geojson.README.txt"]
    with pytest.raises(InputError, match="does not exist"):
        write_geojson(areas, tmp_path / "missing" / "out.geojson", metadata=META)
    assert not (tmp_path / "missing").exists()


# ----------------------------------------------------------------------------- validator
def _poly(rings):
    return {"type": "Feature", "id": "x", "properties": {},
            "geometry": {"type": "Polygon", "coordinates": rings}}


def test_validator_finds_each_problem():
    ccw = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]]
    cw = ccw[::-1]
    good = {"type": "FeatureCollection", "features": [_poly([ccw])]}
    assert rfc7946_problems(good) == []
    assert rfc7946_problems(json.dumps(good).encode()) == []
    assert rfc7946_problems({**good, "crs": {}}) == [
        "top level: has a 'crs' member (removed in RFC 7946)"]
    (msg,) = rfc7946_problems(_poly([cw]))
    assert "exterior ring is clockwise" in msg
    hole = [[0.2, 0.2], [0.4, 0.2], [0.4, 0.4], [0.2, 0.2]]  # counter-clockwise hole
    (msg,) = rfc7946_problems(_poly([ccw, hole]))
    assert "hole is counter-clockwise" in msg
    (msg,) = rfc7946_problems(_poly([ccw[:-1]]))
    assert "not closed" in msg
    assert rfc7946_problems({"type": "Point", "coordinates": [181.0, 91.0]}) == [
        "geometry: longitude 181.0 outside [-180, 180]",
        "geometry: latitude 91.0 outside [-90, 90]",
    ]
    (msg,) = rfc7946_problems({"type": "Point", "coordinates": [0.1234567, 51.5]})
    assert "more than 6 decimals" in msg
    assert rfc7946_problems({"type": "Point", "coordinates": [1e-7, 51.5]}) != []
    assert rfc7946_problems(b"{not json")[0].startswith("not JSON")


# ----------------------------------------------------------------------------- CSV
def test_csv_neutralises_formulas():
    df = pd.DataFrame(
        {
            "=cmd|' /C calc'!A0": ["=SUM(A1:A9)", "+44 20", "-2", "@SUM(1)", "\tx", "\ry",
                                   "plain", None],
            "value": [-5, -1.5, 0, 1, 2, 3, 4, 5],
        },
        index=pd.Index(["E1", "E2", "E3", "E4", "E5", "E6", "E7", "-E8"], name="lsoa21_code"),
    )
    text = to_csv_safe(df, None)
    assert "\r\n" not in text and text.endswith("5.0\n")  # LF record ends
    lines = text.split("\n")
    assert lines[0] == "lsoa21_code,'=cmd|' /C calc'!A0,value"
    assert lines[1] == "E1,'=SUM(A1:A9),-5.0"
    assert lines[2] == "E2,'+44 20,-1.5"
    assert lines[3] == "E3,'-2,0.0"
    assert lines[4] == "E4,'@SUM(1),1.0"
    assert lines[5] == "E5,'\tx,2.0"
    assert lines[6] == "E6,\"'\ry\",3.0"  # a bare CR inside a field is quoted and kept
    assert lines[7] == "E7,plain,4.0"
    assert lines[8] == "'-E8,,5.0"
    back = pd.read_csv(io.StringIO(text), index_col=0)
    assert back["value"].dtype == np.float64  # negative numbers stay numbers
    assert_allclose(back["value"].to_numpy(), [-5, -1.5, 0, 1, 2, 3, 4, 5])
    # the input is not modified
    assert df.iloc[0, 0] == "=SUM(A1:A9)"


def test_csv_to_path_with_readme_and_geometry_dropped(areas, tmp_path):
    path = tmp_path / "areas.csv"
    assert to_csv_safe(areas, path, metadata=META) is None
    back = pd.read_csv(path, index_col="lsoa21_code")
    assert list(back.columns) == ["name", "score", "rank", "flag", "label"]
    assert back.loc["E03", "name"] == "'=HYPERLINK(\"http://x\")"
    readme = (tmp_path / "areas.csv.README.txt").read_text()
    assert "Open Government Licence" in readme and "seed: 42" in readme
    buffer = io.StringIO()
    to_csv_safe(areas.drop(columns="geometry"), buffer)
    assert buffer.getvalue() == path.read_bytes().decode()


def test_attribution_text():
    text = attribution_text(META)
    assert text.splitlines()[:2] == [
        "Attribution:",
        "  Source: Office for National Statistics licensed under the Open Government Licence "
        "v.3.0.",
    ]
    assert "  - English Indices of Deprivation 2025 (MHCLG, 2025, OGL-UK-3.0)" in text
    assert "  permutations: 999" in text
    with pytest.raises(InputError, match="attribution"):
        attribution_text({"attribution": ""})


def test_export_metadata_credits_boundaries_sources_and_method():
    from geo.data.sources import registry
    from geo.export.metadata import export_metadata, readme_text

    meta = export_metadata(["iod2025"], level="lsoa21", method={"permutations": 999, "seed": 7})
    ids = [s["id"] for s in meta["sources"]]
    reg = registry()
    boundary = [i for i, e in reg.items() if e.get("kind") == "boundary" and e["level"] == "lsoa21"]
    assert ids[: len(boundary)] == boundary and "iod2025" in ids
    assert meta["seed"] == 7 and meta["method"]["permutations"] == 999
    assert meta["licence"] == ", ".join(sorted({reg[i]["licence"] for i in ids}))
    assert meta["attribution"] and all(isinstance(line, str) for line in meta["attribution"])
    # a derived table stands for the datasets it was computed from
    derived = export_metadata(["compound"], level="lsoa21")
    assert "iod2019" in [s["id"] for s in derived["sources"]]
    # a table that is not about areas credits no boundaries
    plain = export_metadata(["iod2025"], level=None)
    assert [s["id"] for s in plain["sources"]] == ["iod2025"] and "level" not in plain
    text = readme_text(meta, name="x.csv")
    assert text.startswith("oppmap export: x.csv\nLevel: lsoa21\n") and "  seed: 7" in text


def test_export_types_make_counts_ranks_and_deciles_integers():
    from geo.export.columns import export_types

    frame = pd.DataFrame({
        "n_lsoas": ["129", "66", None],            # counts that arrived as text
        "population": [243428.0, 133832.0, np.nan],
        "iod2025.imd_rank": [1.0, 2.0, 3.0],
        "iod2025.imd_score": [30.0, 10.0, 50.0],   # a score stays float, even when whole
        "avg_rank": [1.5, 2.0, 3.0],               # an average of ranks stays float
        "code": ["00123", "E01", None],            # text is never turned into numbers
        "robust": pd.Series([True, None, False], dtype=object),
        "year": pd.Series([2024, None, 2025], dtype=object),
    })
    out = export_types(frame, integer_columns=["year"])
    assert out["n_lsoas"].dtype == "Int64" and out["n_lsoas"].tolist()[:2] == [129, 66]
    assert out["population"].dtype == "Int64" and out["iod2025.imd_rank"].dtype == "Int64"
    assert out["iod2025.imd_score"].dtype == np.float64 and out["avg_rank"].dtype == np.float64
    assert out["code"].tolist()[0] == "00123" and out["robust"].dtype == object
    assert out["year"].dtype == "Int64"
    assert frame["n_lsoas"].tolist()[0] == "129"  # the input is not modified
    areas = out.drop(columns="code").set_axis(pd.Index(["a", "b", "c"], name="code_id"))
    doc = json.loads(to_geojson(gpd.GeoDataFrame(
        areas, geometry=[shapely.Point(0, 51)] * 3, crs=4326), metadata=META))
    props = doc["features"][0]["properties"]
    assert props["n_lsoas"] == 129 and isinstance(props["n_lsoas"], int)
    assert isinstance(props["population"], int) and isinstance(props["iod2025.imd_score"], float)
    assert doc["features"][2]["properties"]["population"] is None
    text = to_csv_safe(frame, None)
    assert "243428," in text and "243428.0" not in text and ",1.5," in text


def test_atomic_path_publishes_on_success_and_leaves_nothing_on_failure(tmp_path):
    from boundaries import atomic_path, write_bytes_atomic, write_text_atomic

    target = tmp_path / "a[1].gpkg"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".gpkg" and not tmp.exists()
        tmp.write_bytes(b"half")
        Path(f"{tmp}-wal").write_bytes(b"sidecar")
        raise RuntimeError("writer failed")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(OSError, match="nothing was written"), atomic_path(target):
        pass
    assert list(tmp_path.iterdir()) == []
    write_bytes_atomic(target, b"one")
    write_text_atomic(target, "two\nlines\n")
    assert target.read_bytes() == b"two\nlines\n"
    assert [p.name for p in tmp_path.iterdir()] == ["a[1].gpkg"]
    with pytest.raises(InputError, match=r"does not exist; create it first"):
        write_bytes_atomic(tmp_path / "new" / "b.csv", b"x")
    assert write_bytes_atomic(tmp_path / "new" / "b.csv", b"x", parents=True).read_bytes() == b"x"
    with pytest.raises(InputError, match="is a folder"):
        write_bytes_atomic(tmp_path / "new", b"x")


# ----------------------------------------------------------------------------- file names
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "etc_passwd"),
        ("..", "export"),
        ("", "export"),
        (".hidden", "hidden"),
        ("a/b\\c.csv", "a_b_c.csv"),
        ("CON.txt", "_CON.txt"),
        ("bad\x00name\n.geojson", "bad_name.geojson"),
        ("Ynys Môn", "Ynys_Mon"),
        ("Kingston upon Hull, City of.geojson", "Kingston_upon_Hull_City_of.geojson"),
        ("a..b", "a.b"),
    ],
)
def test_safe_filename(name, expected):
    assert safe_filename(name) == expected


def test_safe_filename_limits_length_keeping_extension():
    name = safe_filename("x" * 500 + ".geojson")
    assert len(name) == 100 and name.endswith(".geojson")
    assert safe_filename("///", default="pack.zip") == "pack.zip"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_safe_filename_never_escapes(name):
    out = safe_filename(name)
    assert 0 < len(out) <= 100
    assert "/" not in out and "\\" not in out and ".." not in out
    assert not out.startswith(".")
    assert all(c.isascii() and (c.isalnum() or c in "._-") for c in out)
    folder = Path("/tmp/oppmap-out")
    assert resolve_inside(folder, out).parent == folder.resolve()


def test_resolve_inside(tmp_path):
    assert resolve_inside(tmp_path, "a.csv") == tmp_path.resolve() / "a.csv"
    for bad in ("../x.csv", "/etc/passwd", "sub/../../x", "."):
        with pytest.raises(InputError, match="outside the output folder"):
            resolve_inside(tmp_path, bad)
    outside = tmp_path.parent / f"{tmp_path.name}-elsewhere"
    outside.mkdir()
    (tmp_path / "link").symlink_to(outside)
    with pytest.raises(InputError, match="outside"):
        resolve_inside(tmp_path, "link/x.csv")


# ----------------------------------------------------------------------------- council pack
def test_council_pack(areas):
    lsoas = areas.assign(lad24_code=["E08000003", "E08000003", "E09000001"])
    data = council_pack(lsoas, council_code="E08000003", council_name="Manchester",
                        metadata=META, map_html="<html>map</html>",
                        methodology="Gi* with 999 permutations.")
    assert council_pack(lsoas, council_code="E08000003", council_name="Manchester",
                        metadata=META, map_html="<html>map</html>",
                        methodology="Gi* with 999 permutations.") == data
    zf = zipfile.ZipFile(io.BytesIO(data))
    assert zf.namelist() == ["E08000003_lsoas.csv", "E08000003_lsoas.geojson",
                             "E08000003_map.html", "README.txt"]
    assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    geojson = zf.read("E08000003_lsoas.geojson")
    assert rfc7946_problems(geojson) == []
    codes = [f["id"] for f in json.loads(geojson)["features"]]
    assert codes == ["E01", "E02"]
    csv = pd.read_csv(io.BytesIO(zf.read("E08000003_lsoas.csv")), index_col=0)
    assert list(csv.index) == codes
    assert zf.read("E08000003_map.html") == b"<html>map</html>"
    readme = zf.read("README.txt").decode()
    assert "Manchester (E08000003)" in readme and "Gi* with 999 permutations." in readme
    assert "Open Government Licence" in readme and "2 areas (lsoa21_code)" in readme
    no_map = zipfile.ZipFile(io.BytesIO(council_pack(
        lsoas, council_code="E08000003", council_name="M", metadata=META, methodology="m")))
    assert "E08000003_map.html" not in no_map.namelist()


def test_council_pack_refusals(areas):
    lsoas = areas.assign(lad24_code="E08000003")
    with pytest.raises(InputError, match="no rows with lad24_code == 'E08000004'"):
        council_pack(lsoas, council_code="E08000004", council_name="x", metadata=META,
                     methodology="m")
    with pytest.raises(InputError, match="9-character GSS code"):
        council_pack(lsoas, council_code="../E0800", council_name="x", metadata=META,
                     methodology="m")
    with pytest.raises(InputError, match="methodology"):
        council_pack(lsoas, council_code="E08000003", council_name="x", metadata=META,
                     methodology=" ")


# ----------------------------------------------------------------------------- CLI (fake store)
@pytest.fixture
def fake_store(monkeypatch, areas):
    """Replace the store API with tiny tables, so the CLI is tested without a built store."""
    import boundaries
    import geo.data.indicators
    import geo.data.sources

    lsoa = areas[["name", "geometry"]].assign(
        lad24_code=["E08000003", "E08000003", "E09000001"],
        lad24_name=["Manchester", "Manchester", "City of London"],
    )
    lad = gpd.GeoDataFrame(
        {"name": ["Manchester", "City of London"]},
        geometry=[lsoa.loc[["E01", "E02"]].union_all(), lsoa.loc["E03", "geometry"]],
        index=pd.Index(["E08000003", "E09000001"], name="lad24_code"), crs=27700)
    iod = pd.DataFrame({"iod2025.imd_score": [30.0, 10.0, 50.0]},
                       index=pd.Index(["E01", "E02", "E03"], name="lsoa21_code"))
    # The store's layout: one flat row per (method, indicator, LSOA).
    hot = pd.DataFrame(
        {"method": ["gi_star"] * 3, "indicator": ["imd_score"] * 3,
         "label": ["hot spot 95%", "not significant", "cold spot 99%"], "q": [0.01, 0.5, 0.001],
         "outcome": ["worse cluster", "not significant", "better cluster"], "bin": [2, 0, -3],
         "robust": [True, None, True]},
        index=pd.Index(["E01", "E02", "E03"], name="lsoa21_code"))
    compound = pd.DataFrame(
        {"n_domains_worst_decile": [3, 0, 1], "domains_worst_decile": ["income;health;crime", "", "crime"],
         "compounded": [True, False, False], "persistent": [True, False, False],
         "status": ["persistent", "neither", "neither"], "lookup_rule": ["U", "U", "S"],
         "approximate_2019": [False, False, False]},
        index=pd.Index(["E01", "E02", "E03"], name="lsoa21_code"))
    cat = pd.DataFrame({"dataset": ["iod2025"], "column": ["imd_score"], "label": ["IMD score"],
                        "unit": ["score"], "level": ["lsoa21"], "nations": ["E"]},
                       index=pd.Index(["iod2025.imd_score"], name="id"))

    def load(level, *, display=None):
        return {"lsoa21": lsoa, "lad24": lad}[level].copy()

    def load_indicators(what):
        if what == "hotspots_lsoa21":
            return hot.copy()
        if what == "compound":
            return compound.copy()
        return iod.copy()

    def indicator_meta(ident):
        if ident not in cat.index:
            raise OppmapError(f"indicator {ident!r} is not in the catalogue")
        return {"id": ident, **cat.loc[ident].to_dict()}

    reg = {
        "lsoa21_bsc": {"kind": "boundary", "level": "lsoa21", "title": "LSOA 2021 BSC",
                       "publisher": "ONS", "vintage": "December 2021", "licence": "OGL-UK-3.0",
                       "attribution": "ons"},
        "lad24_uk_buc": {"kind": "boundary", "level": "lad24", "title": "LAD May 2024 BUC",
                         "publisher": "ONS", "vintage": "May 2024", "licence": "OGL-UK-3.0",
                         "attribution": "ons"},
        "iod2025": {"kind": "indicators", "level": "lsoa21", "title": "IoD 2025",
                    "publisher": "MHCLG", "vintage": "2025", "licence": "OGL-UK-3.0",
                    "attribution": "ogl_public_sector"},
    }
    england = {"nation": "E", "title": "IoD 2025", "dataset": "iod2025", "map_level": "lsoa21",
               "small_areas": "LSOAs 2021", "compound": "compound",
               "cluster_table": "clusters"}
    fakes = {
        (boundaries, "load"): load,
        (boundaries, "store_dir"): lambda: Path("/nonexistent"),
        (boundaries, "read_manifest"): lambda _: {
            "hotspot_params": {"permutations": 999, "seed": 42, "alpha": 0.05}},
        (geo.data.indicators, "catalogue"): lambda: cat.copy(),
        (geo.data.indicators, "load_indicators"): load_indicators,
        (geo.data.indicators, "indicator_meta"): indicator_meta,
        (geo.data.sources, "registry"): lambda *a, **k: reg,
        (geo.data.sources, "registry_meta"): lambda *a, **k: {
            "licences": {}, "national_indices": {"iod2025": england}},
        (geo.data.sources, "attribution_lines"): lambda ids=None: sorted(
            {"ons": "ONS OGL line", "ogl_public_sector": "Public sector OGL line"}[
                reg[i]["attribution"]] for i in ids if i in reg),
    }
    _patch_everywhere(monkeypatch, fakes)


def _patch_everywhere(monkeypatch, fakes) -> None:
    """Replace each function wherever the project holds it: every module of ``geo`` and
    ``boundaries`` is imported first, so one that imports a name (``from geo.data.sources
    import registry_meta``) binds the real function, and is patched (and restored) here; a
    module first imported while the fakes are in place would keep them for the session."""
    import importlib
    import pkgutil
    import sys

    import boundaries
    import geo

    for pkg in (boundaries, geo):
        for info in pkgutil.walk_packages(pkg.__path__, prefix=f"{pkg.__name__}."):
            if not info.name.endswith("__main__"):
                importlib.import_module(info.name)
    for (owner, name), fake in fakes.items():
        real = getattr(owner, name)
        monkeypatch.setattr(owner, name, fake)
        for module in list(sys.modules.values()):
            if (getattr(module, "__name__", "").startswith(("geo.", "boundaries."))
                    and getattr(module, name, None) is real):
                monkeypatch.setattr(module, name, fake)


def _main(*argv):
    from geo.cli.parser import main

    return main([str(a) for a in argv])


def test_cli_export_council_file_is_the_packs_table(monkeypatch, areas, tmp_path):
    """``export --council X --out x.geojson`` (or .csv) writes geo.council.council_export(X):
    the pack's own table and metadata (their contents are tested in tests/test_council.py)."""
    import geo.council

    meta = {**META, "council": {"code": "E08000003", "name": "Manchester"}}
    monkeypatch.setattr(geo.council, "council_export", lambda code: (
        areas[["name", "geometry"]].assign(value=[1.0, 2.0, 3.0]), meta))
    out = tmp_path / "manchester.geojson"
    assert _main("export", "--council", "e08000003", "--out", out) == 0
    doc = json.loads(out.read_bytes())
    assert rfc7946_problems(doc) == []
    assert {f["id"]: f["properties"]["value"] for f in doc["features"]} == dict(
        zip(areas.index, [1.0, 2.0, 3.0], strict=True))
    assert doc["oppmap"]["council"] == meta["council"]
    assert "Manchester (E08000003)" in (tmp_path / "manchester.geojson.README.txt").read_text()


def test_cli_export_council_pack_is_the_one_builder(monkeypatch, tmp_path):
    """``export --council X --out x.zip`` writes geo.council.council_pack(X), byte for byte
    (its contents are tested in tests/test_council.py)."""
    import geo.council

    monkeypatch.setattr(geo.council, "council_pack", lambda code: f"pack of {code}".encode())
    pack = tmp_path / "pack.zip"
    assert _main("export", "--council", "e08000003 ", "--out", pack) == 0
    assert pack.read_bytes() == b"pack of E08000003"


def test_cli_export_level(fake_store, tmp_path, capsys):
    out = tmp_path / "lad.csv"
    assert _main("export", "--level", "lad24", "--out", out) == 0
    assert capsys.readouterr().out == f"wrote {out}\nwrote {out}.README.txt\n"
    back = pd.read_csv(out, index_col=0)
    assert list(back.index) == ["E08000003", "E09000001"]
    readme = (tmp_path / "lad.csv.README.txt").read_text()
    assert "ONS OGL line" in readme and readme.startswith("oppmap export: lad.csv\n")
    before = out.read_bytes()
    assert _main("export", "--level", "lad24", "--out", out) == 2
    assert "exists; add --force" in capsys.readouterr().err
    assert out.read_bytes() == before
    assert _main("export", "--level", "lad24", "--out", out, "--force") == 0
    assert _main("export", "--level", "lad24", "--out", tmp_path / "no" / "lad.csv") == 2
    assert "mkdir -p" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lad.csv", "lad.csv.README.txt"]


def test_cli_errors_exit_2_and_leave_no_file(fake_store, tmp_path, capsys):
    out = tmp_path / "x.geojson"
    assert _main("export", "--council", "E99999999", "--out", out) == 2
    assert "not a LAD 2024 code" in capsys.readouterr().err
    assert _main("export", "--level", "lad24", "--out", tmp_path / "x.shp") == 2
    assert "must end in one of" in capsys.readouterr().err
    assert _main("raster", "--indicator", "iod2025.nope", "--out", tmp_path / "r.tif") == 2
    assert "not in the catalogue" in capsys.readouterr().err
    assert _main("zonal", "--raster", tmp_path / "none.tif", "--level", "lad24",
                 "--out", tmp_path / "z.csv") == 2
    not_raster = tmp_path / "bad.tif"
    not_raster.write_text("not a tiff")
    assert _main("zonal", "--raster", not_raster, "--level", "lad24",
                 "--out", tmp_path / "z.csv") == 2
    assert "cannot be read as a raster" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.tif"]


def test_cli_raster_then_zonal(fake_store, tmp_path):
    import rasterio

    tif = tmp_path / "imd.tif"
    assert _main("raster", "--indicator", "iod2025.imd_score", "--resolution", 50,
                 "--out", tif) == 0
    with rasterio.open(tif) as src:
        assert src.crs.to_epsg() == 27700 and src.res == (50.0, 50.0)
        assert "IMD score" in src.tags()["INDICATOR"]
    out = tmp_path / "lad.csv"
    assert _main("zonal", "--raster", tif, "--level", "lad24", "--stat", "mean",
                 "--out", out) == 0
    back = pd.read_csv(out, index_col="lad24_code")
    # Manchester = E01 (two 0.25 km2 squares, 30) + E02 (0.96 km2 with a hole, 10)
    assert_allclose(back.loc["E08000003", "mean"], (0.5 * 30 + 0.96 * 10) / 1.46, rtol=1e-6)
    assert_allclose(back.loc["E09000001", "mean"], 50.0)
    cats = tmp_path / "hot.tif"
    assert _main("raster", "--indicator", "hotspot:gi_star_imd_score", "--out", cats) == 0
    with rasterio.open(cats) as src:
        assert json.loads(src.tags()["CATEGORIES"]) == {
            "1": "cold spot 99%", "2": "hot spot 95%", "3": "not significant"}


# ----------------------------------------------------------------------------- real data
@pytest.mark.real
def test_real_council_export(mirror, tmp_path):
    """Manchester's LSOAs from the ONS boundaries and lookup: valid, complete, same areas."""
    lookup = pd.read_csv(mirror / "lookups" / "lookup_lsoa21_ward24_ltla24.csv")
    code_col = "lsoa21_code"
    lad_col = "ltla24_code"
    codes = sorted(lookup.loc[lookup[lad_col] == "E08000003", code_col].unique())
    gdf = pyogrio.read_dataframe(mirror / "boundaries" / "lsoa21_ew_bsc.gpkg",
                                 where=f"LSOA21CD IN ({','.join(repr(c) for c in codes)})")
    gdf = gdf.rename(columns={"LSOA21CD": "lsoa21_code", "LSOA21NM": "name"})
    gdf = gdf.set_index("lsoa21_code").to_crs(27700)
    assert len(gdf) == len(codes) > 250
    path = write_geojson(gdf, tmp_path / "manchester.geojson", metadata=META)
    assert rfc7946_problems(path.read_bytes()) == []
    back = pyogrio.read_dataframe(path).set_index("code").sort_index()
    assert list(back.index) == codes
    # Manchester is 115.6 km2; the 200 m generalised LSOAs come within a few per cent. Rounding
    # to 6 decimals moves a vertex by < 0.065 m, so an area changes by < perimeter x 0.065 m.
    area = back.geometry.to_crs(27700).area.to_numpy()
    assert_allclose(area.sum() / 1e6, 115.6, rtol=0.03)
    original = gdf.sort_index()
    assert np.all(np.abs(area - original.area.to_numpy()) <= original.length.to_numpy() * 0.065)
    assert_allclose(area.sum(), original.area.sum(), rtol=1e-5)
    assert os.path.getsize(path) < 1_000_000


@pytest.fixture
def built_store():
    """The store built by `python -m geo data build` ($OPPMAP_CACHE); skips when absent."""
    import boundaries

    try:
        return boundaries.store_dir()
    except OppmapError as exc:
        pytest.skip(f"no built store ({exc})")


@pytest.mark.real
def test_real_cli_council_export(built_store, mirror, tmp_path):
    """Manchester's pack from the built store: 295 LSOAs (the ONS lookup), IMD scores as
    published in IoD 2025 File 7, valid GeoJSON, the same codes in the CSV."""
    out = tmp_path / "manchester.zip"
    assert _main("export", "--council", "E08000003", "--out", out) == 0
    zf = zipfile.ZipFile(out)
    doc = json.loads(zf.read("E08000003_lsoas.geojson"))
    assert rfc7946_problems(doc) == []
    lookup = pd.read_csv(mirror / "lookups" / "lookup_lsoa21_ward24_ltla24.csv")
    codes = sorted(lookup.loc[lookup["ltla24_code"] == "E08000003", "lsoa21_code"])
    assert [f["id"] for f in doc["features"]] == codes and len(codes) == 295
    imd = pd.read_csv(mirror / "deprivation" / "imd2025_england_lsoa21.csv",
                      index_col="lsoa21_code")["IMD_score"]
    scores = {f["id"]: f["properties"]["iod2025.imd_score"] for f in doc["features"]}
    assert_allclose([scores[c] for c in codes], imd.loc[codes].to_numpy(), rtol=1e-12)
    csv = pd.read_csv(io.BytesIO(zf.read("E08000003_lsoas.csv")), index_col=0)
    assert list(csv.index) == codes
    assert "Contains OS data" in zf.read("README.txt").decode()


# ----------------------------------------------------------------------------- map attribution
def _control(html_text: str) -> str:
    """The text a map adds to Leaflet's attribution control."""
    import json as _json

    found = re.findall(r"attributionControl\.addAttribution\((\".*?\")\);", html_text)
    assert found, "the map adds no attribution"
    return " ".join(_json.loads(f) for f in found)


def test_map_attribution_names_what_the_map_draws():
    from geo.export.metadata import map_attribution

    scottish = map_attribution(["simd2020", "compound_simd2020", "clusters_simd2020"],
                               levels=["dz11"])
    assert "SIMD 2020" in scottish and "Scottish Government" in scottish
    assert "MHCLG" not in scottish and "OGL v3.0" in scottish
    english = map_attribution(["iod2025"], levels=["lsoa21"])
    assert "IoD 2025 © MHCLG (OGL v3.0)" in english
    assert english.startswith("Contains OS data © Crown copyright and database right 2024")
    composite = map_attribution(["ukimd_la"], levels=["lad24"])
    assert "mySociety (CC BY 4.0)" in composite and "ONS" in composite


def test_every_registry_publisher_and_licence_has_a_short_form_or_its_own_name():
    from geo.data.sources import registry
    from geo.export._map_attribution import map_attribution_text

    for ident, entry in registry().items():
        text = map_attribution_text([ident])
        assert "©" in text and entry["licence"] not in text, (ident, text)


def test_no_map_builder_carries_a_literal_attribution():
    """Every map's control comes from the registry (geo.export.metadata.map_attribution):
    no builder has a default text, and no page or geo module passes a string literal."""
    import ast
    import inspect

    from geo.maps import charts_upload, choropleth, national

    for fn in (choropleth.base_map, choropleth.choropleth_map, national.lsoa_overview_map,
               charts_upload.matched_map, charts_upload.upload_map, charts_upload.bivariate_map):
        param = inspect.signature(fn).parameters["attribution"]
        assert param.default is inspect.Parameter.empty, fn.__name__
    repo = Path(__file__).resolve().parents[1]
    bad = []
    for path in [*(repo / "geo").rglob("*.py"), *(repo / "pages").glob("*.py"), repo / "app.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.keyword) and node.arg == "attribution" and isinstance(
                    node.value, ast.Constant | ast.JoinedStr):
                bad.append(f"{path.relative_to(repo)}:{node.value.lineno}")
    assert not bad, f"literal map attribution: {bad}"


@pytest.mark.real
@pytest.mark.parametrize(("code", "named", "not_named"), [
    ("S12000049", "Scottish Government", "MHCLG"),   # Glasgow City: SIMD 2020 on data zones
    ("S12000027", "Scottish Government", "MHCLG"),   # Shetland Islands
    ("E08000003", "MHCLG", "Scottish Government"),   # Manchester: IoD 2025 on LSOAs
])
def test_a_council_map_names_its_own_sources(built_store, code, named, not_named):
    """The map of the pack (its offline html is this map) and of My council."""
    from geo.council import CLUSTER_RUN, MAP_INDICATOR, council_view, council_view_data

    view = council_view(council_view_data(code, MAP_INDICATOR, run=CLUSTER_RUN))
    control = _control(view["map"].get_root().render())
    assert named in control and not_named not in control, control


@pytest.mark.real
def test_the_composite_uk_map_names_mysociety(built_store):
    from geo.council_areas import map_attribution_of
    from geo.maps.choropleth import choropleth_map

    shapes = boundaries_display("lad24")
    values = geo_load("ukimd_la.uk_imd_score").reindex(shapes.index)
    m = choropleth_map(shapes[["name", "geometry"]].assign(value=values), "value",
                       attribution=map_attribution_of(["ukimd_la.uk_imd_score"],
                                                      levels=["lad24"], clusters=True))
    control = _control(m.get_root().render())
    assert "Composite UK IMD © mySociety (CC BY 4.0)" in control
    assert "Contains OS data © Crown copyright" in control


def boundaries_display(level: str):
    import boundaries

    return boundaries.load(level, display="national")


def geo_load(indicator: str) -> pd.Series:
    import geo

    return geo.load_indicators(indicator)[indicator]


@pytest.mark.real
def test_level_exports_say_which_figures_are_shared(store):
    """A county figure carried to its successors (Cumbria's DfE figures) and the SMC's one
    figure for Northern Ireland are repeated on each council's row: the README says so."""
    import boundaries
    from geo.export.tables import shared_notes

    utla = boundaries.load("utla24").index
    (note,) = shared_notes(["neet2023", "iod2025"], utla)
    assert note.startswith("neet2023: one published figure for several areas")
    assert note.endswith("Cumbria for E06000063, E06000064.")
    (smc,) = shared_notes(["smc_ci1"], boundaries.load("lad24").index)
    northern = sorted(c for c in boundaries.load("lad24").index if c.startswith("N09"))
    assert f"Northern Ireland for {', '.join(northern)}" in smc
