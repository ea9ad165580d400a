"""Tests of :mod:`geo.fetch` against a real HTTP server on localhost (pytest-httpserver).

The official files are served at their official URL paths; ``base_url`` points fetch at the
server. Fixtures in the official formats are in ``tests/data/official`` (see its README).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import socket
from pathlib import Path
from urllib.parse import urlsplit

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from numpy.testing import assert_allclose
from werkzeug.wrappers import Request, Response

from geo._errors import InputError, OfflineError, OppmapError, SchemaError
from geo.cli.fetch import register_fetch_cli
from geo.data.fetch import (
    FetchRecord,
    FetchReport,
    fetch_dataset,
    fetch_datasets,
    format_fetch_report,
)
from geo.data.sources import REGISTRY_PATH, dataset

OFFICIAL = Path(__file__).parent / "data" / "official"
QUIET = {"progress": False, "backoff": 0.0}


def _path(dataset_id: str) -> str:
    return urlsplit(dataset(dataset_id)["url"]).path


def _base(httpserver) -> str:
    return httpserver.url_for("/").rstrip("/")


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def _arcgis(httpserver, dataset_id: str, collection: dict, *, flag: str | None = "top"):
    """Serve ``collection`` as an ArcGIS GeoJSON query at the dataset's official path.

    ``flag``: where to put ``exceededTransferLimit: true`` on pages that are not the last
    (``"top"`` level, ``"properties"``, or ``None`` for a service that never says it).
    Returns the list of (resultOffset, resultRecordCount, query) seen.
    """
    seen: list[tuple[int, int, dict]] = []
    features = collection["features"]

    def handler(request: Request) -> Response:
        query = {k: v for k, v in request.args.items()}
        offset = int(query.get("resultOffset", 0))
        count = int(query.get("resultRecordCount", 2000))
        seen.append((offset, count, query))
        page = features[offset:offset + count]
        body: dict = {"type": "FeatureCollection", "features": page}
        more = offset + count < len(features)
        if flag == "top" and more:
            body["exceededTransferLimit"] = True
        elif flag == "properties" and more:
            body["properties"] = {"exceededTransferLimit": True}
        return Response(json.dumps(body), content_type="application/geo+json")

    httpserver.expect_request(_path(dataset_id)).respond_with_handler(handler)
    return seen


def _registry_with(tmp_path: Path, dataset_id: str, line: str) -> Path:
    """A copy of the registry with ``line`` added to one dataset (after its id)."""
    text = REGISTRY_PATH.read_text(encoding="utf-8")
    anchor = f'id = "{dataset_id}"\n'
    assert text.count(anchor) == 1
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "sources.toml"
    path.write_text(text.replace(anchor, anchor + line + "\n"), encoding="utf-8")
    return path


def _file7(columns: list[str]) -> bytes:
    """The 5-row File 7 fixture restricted to ``columns`` (official headers)."""
    table = pd.read_csv(OFFICIAL / "iod2025_file7_5rows.csv", dtype=str, keep_default_na=False)
    return table[columns].to_csv(index=False).encode()


# ----------------------------------------------------------------------------- csv

def test_file7_fixture_has_the_registry_official_headers():
    header = list(pd.read_csv(OFFICIAL / "iod2025_file7_5rows.csv", nrows=0).columns)
    official = list(dataset("iod2025")["official_columns"])
    extras = ["LSOA name (2021)", "Local Authority District code (2024)",
              "Local Authority District name (2024)"]
    assert [c for c in header if c not in extras] == official


def test_iod2025_csv_is_renamed_to_mirror_columns(httpserver, tmp_path):
    body = (OFFICIAL / "iod2025_file7_5rows.csv").read_bytes()
    httpserver.expect_request(_path("iod2025")).respond_with_data(body, content_type="text/csv")
    report = fetch_datasets(tmp_path, ids=["iod2025"], base_url=_base(httpserver), **QUIET)

    rec = report["iod2025"]
    assert rec.status == "ok"
    assert rec.file == tmp_path / "deprivation" / "imd2025_england_lsoa21.csv"
    assert rec.rows == 5
    assert rec.sha256 == hashlib.sha256(body).hexdigest()
    assert rec.file_sha256 == hashlib.sha256(rec.file.read_bytes()).hexdigest()
    assert "33,755" in rec.message  # the registry expects the full file
    assert rec.url.startswith(_base(httpserver) + "/media/68ff5daabcb10f6bf9bef911/File_7")

    out = pd.read_csv(rec.file, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(out.columns) == list(dataset("iod2025")["official_columns"].values())
    row = out.set_index("lsoa21_code").loc["E01032541"]  # Hartlepool 003H, as published
    assert row["IMD_score"] == "46.331"
    assert row["IMD_rank"] == "3085"
    assert row["IMD_decile"] == "1"
    assert row["Income_score"] == "0.414"
    assert row["Environment_rank"] == "25071"
    assert list(out["lsoa21_code"]) == [
        "E01000001", "E01000002", "E01012049", "E01032541", "E01012005"]
    # every column the store build reads is there
    assert set(dataset("iod2025")["columns"]) <= set(out.columns)
    assert _files(tmp_path) == [rec.file]  # no download left behind


def test_missing_official_column_raises_schema_error_listing_expected_and_found(
        httpserver, tmp_path):
    official = list(dataset("iod2025")["official_columns"])
    served = [c for c in official if c != "Income Score (rate)"]
    httpserver.expect_request(_path("iod2025")).respond_with_data(_file7(served))
    with pytest.raises(SchemaError, match=r"lacks 1 expected column\(s\) \['Income Score \(rate\)'\]"
                       ) as info:
        fetch_dataset("iod2025", tmp_path, base_url=_base(httpserver), **QUIET)
    assert "expected ['LSOA code (2021)'" in str(info.value)
    assert "found ['LSOA code (2021)'" in str(info.value)
    assert _files(tmp_path) == []

    report = fetch_datasets(tmp_path, ids=["iod2025"], base_url=_base(httpserver), **QUIET)
    assert report["iod2025"].status == "failed"
    assert report["iod2025"].message.startswith("SchemaError: ")
    assert "Income Score (rate)" in report["iod2025"].message


def test_headers_match_ignoring_case_and_white_space(httpserver, tmp_path):
    official = list(dataset("iod2025")["official_columns"])
    body = _file7(official).decode()
    head, rest = body.split("\n", 1)
    head = head.replace("Income Score (rate)", "income  score (RATE) ")
    httpserver.expect_request(_path("iod2025")).respond_with_data(
        "\ufeff" + head + "\n" + rest)  # with a byte-order mark, as Excel writes
    rec = fetch_dataset("iod2025", tmp_path, base_url=_base(httpserver), **QUIET)
    out = pd.read_csv(rec.file, dtype=str)
    assert out["Income_score"].tolist() == ["0.013", "0.018", "0.158", "0.414", "0.062"]


def test_a_web_page_instead_of_a_csv_is_refused(httpserver, tmp_path):
    httpserver.expect_request(_path("iod2025")).respond_with_data(
        "<!DOCTYPE html><html><body>moved</body></html>", content_type="text/html")
    with pytest.raises(SchemaError, match="returned a web page, not a CSV"):
        fetch_dataset("iod2025", tmp_path, base_url=_base(httpserver), **QUIET)


def test_checksum_mismatch_fails_and_writes_nothing(httpserver, tmp_path):
    body = (OFFICIAL / "iod2025_file7_5rows.csv").read_bytes()
    httpserver.expect_request(_path("iod2025")).respond_with_data(body)
    reg = _registry_with(tmp_path / "reg", "iod2025", f'sha256 = "{"0" * 64}"')
    dest = tmp_path / "mirror"
    with pytest.raises(OppmapError, match=r"does not match the registry's sha256 '0000"):
        fetch_dataset("iod2025", dest, base_url=_base(httpserver), registry_path=reg, **QUIET)
    assert _files(dest) == []

    report = fetch_datasets(dest, ids=["iod2025"], base_url=_base(httpserver),
                            registry_path=reg, **QUIET)
    assert report["iod2025"].status == "failed"
    assert "Nothing was written" in report["iod2025"].message
    assert _files(dest) == []


def test_pinned_checksum_that_matches_is_accepted(httpserver, tmp_path):
    body = (OFFICIAL / "iod2025_file7_5rows.csv").read_bytes()
    httpserver.expect_request(_path("iod2025")).respond_with_data(body)
    digest = hashlib.sha256(body).hexdigest()
    reg = _registry_with(tmp_path / "reg", "iod2025", f'sha256 = "{digest}"')
    rec = fetch_dataset("iod2025", tmp_path / "m", base_url=_base(httpserver),
                        registry_path=reg, **QUIET)
    assert rec.status == "ok"
    assert rec.sha256 == digest


def test_failed_fetch_keeps_the_previous_mirror_file(httpserver, tmp_path):
    target = tmp_path / "deprivation" / "imd2025_england_lsoa21.csv"
    target.parent.mkdir(parents=True)
    target.write_text("previous,file\n1,2\n")
    httpserver.expect_request(_path("iod2025")).respond_with_data(_file7(["LSOA code (2021)"]))
    report = fetch_datasets(tmp_path, ids=["iod2025"], base_url=_base(httpserver), **QUIET)
    assert report["iod2025"].status == "failed"
    assert target.read_text() == "previous,file\n1,2\n"
    assert _files(tmp_path) == [target]


# ----------------------------------------------------------------------------- retries, offline

def test_server_error_then_success_is_retried(httpserver, tmp_path):
    body = (OFFICIAL / "iod2025_file7_5rows.csv").read_bytes()
    httpserver.expect_ordered_request(_path("iod2025")).respond_with_data("busy", status=500)
    httpserver.expect_ordered_request(_path("iod2025")).respond_with_data("busy", status=503)
    httpserver.expect_ordered_request(_path("iod2025")).respond_with_data(body)
    rec = fetch_dataset("iod2025", tmp_path, base_url=_base(httpserver), retries=2, **QUIET)
    assert rec.status == "ok"
    assert rec.rows == 5
    assert [resp.status_code for _, resp in httpserver.log] == [500, 503, 200]


def test_server_error_every_time_fails_after_the_retries(httpserver, tmp_path):
    httpserver.expect_request(_path("iod2025")).respond_with_data("down", status=500)
    with pytest.raises(OppmapError, match=r"failed 3 time\(s\); last error: 500"):
        fetch_dataset("iod2025", tmp_path, base_url=_base(httpserver), retries=2, **QUIET)
    assert len(httpserver.log) == 3
    assert _files(tmp_path) == []


def test_not_found_is_not_retried_and_names_the_landing_page(httpserver, tmp_path):
    httpserver.expect_request(_path("iod2025")).respond_with_data("gone", status=404)
    with pytest.raises(OppmapError, match=r"answered HTTP 404.*english-indices-of-deprivation-2025"):
        fetch_dataset("iod2025", tmp_path, base_url=_base(httpserver), retries=3, **QUIET)
    assert len(httpserver.log) == 1


def _unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_offline_raises_offline_error_naming_dataset_url_and_oppmap_data(tmp_path):
    base = f"http://127.0.0.1:{_unused_port()}"
    with pytest.raises(OfflineError) as info:
        fetch_datasets(tmp_path, ids=["iod2025"], base_url=base, retries=1, **QUIET)
    msg = str(info.value)
    assert "dataset 'iod2025'" in msg
    assert f"{base}/media/68ff5daabcb10f6bf9bef911/File_7_IoD2025" in msg
    assert "after 2 attempt(s)" in msg
    assert "set OPPMAP_DATA=/path/to/mirror (for example ../shared/data)" in msg
    assert "`python -m geo data build`" in msg
    assert _files(tmp_path) == []


# ----------------------------------------------------------------------------- ArcGIS

def test_arcgis_boundaries_follow_pages_and_write_a_gpkg(httpserver, tmp_path):
    collection = json.loads((OFFICIAL / "arcgis_lad24_uk_buc.geojson").read_text())
    seen = _arcgis(httpserver, "lad24_uk_buc", collection, flag="top")
    rec = fetch_dataset("lad24_uk_buc", tmp_path, base_url=_base(httpserver), page_size=2,
                        **QUIET)

    assert [(o, c) for o, c, _ in seen] == [(0, 2), (2, 2)]
    for _, _, query in seen:  # the official query is kept
        assert query["outFields"] == "*"
        assert query["where"] == "1=1"
        assert query["f"] == "geojson"
    assert rec.status == "ok"
    assert rec.rows == 3
    assert rec.sha256 is None  # a paged service has no single official file
    assert rec.file == tmp_path / "boundaries" / "lad24_uk_buc.gpkg"

    info = pyogrio.read_info(rec.file)
    assert list(info["fields"]) == ["LAD24CD", "LAD24NM"]
    assert info["crs"] == "EPSG:4326"
    assert info["geometry_type"] == "MultiPolygon"
    assert [str(x) for x in pyogrio.list_layers(rec.file)[:, 0]] == ["lad24_uk_buc"]
    got = pyogrio.read_dataframe(rec.file)
    assert got["LAD24CD"].tolist() == ["E06000001", "E06000002", "E06000003"]
    assert got["LAD24NM"].tolist() == ["Hartlepool", "Middlesbrough", "Redcar and Cleveland"]
    served = [shapely.geometry.shape(f["geometry"]) for f in collection["features"]]
    for g, s in zip(got.geometry, served, strict=True):
        assert shapely.equals_exact(shapely.normalize(g),
                                    shapely.normalize(shapely.MultiPolygon([s])
                                                      if s.geom_type == "Polygon" else s),
                                    tolerance=1e-9)


def test_arcgis_lookup_pages_with_flag_in_properties_become_a_renamed_csv(httpserver, tmp_path):
    collection = json.loads((OFFICIAL / "arcgis_lsoa21_wd24_lad24_lookup.geojson").read_text())
    seen = _arcgis(httpserver, "lookup_lsoa21_ward24_lad24", collection, flag="properties")
    rec = fetch_dataset("lookup_lsoa21_ward24_lad24", tmp_path, base_url=_base(httpserver),
                        page_size=3, **QUIET)
    assert [(o, c) for o, c, _ in seen] == [(0, 3), (3, 3)]
    assert rec.rows == 4
    out = pd.read_csv(rec.file, dtype=str, keep_default_na=False)
    assert list(out.columns) == ["lsoa21_code", "lsoa21_name", "ward24_code", "ward24_name",
                                 "ltla24_code", "ltla24_name"]
    assert out.values.tolist() == [
        ["E01032541", "Hartlepool 003H", "E05013048", "Throston", "E06000001", "Hartlepool"],
        ["E01012005", "Hartlepool 014G", "E05013048", "Throston", "E06000001", "Hartlepool"],
        ["E01012049", "Middlesbrough 014A", "E05009861", "Ladgate", "E06000002",
         "Middlesbrough"],
        ["E01012053", "Middlesbrough 009A", "E05009862", "Linthorpe", "E06000002",
         "Middlesbrough"],
    ]


def test_arcgis_without_the_flag_follows_full_pages_until_a_short_one(httpserver, tmp_path):
    collection = json.loads((OFFICIAL / "arcgis_lsoa21_wd24_lad24_lookup.geojson").read_text())
    seen = _arcgis(httpserver, "lookup_lsoa21_ward24_lad24", collection, flag=None)
    rec = fetch_dataset("lookup_lsoa21_ward24_lad24", tmp_path, base_url=_base(httpserver),
                        page_size=2, **QUIET)
    assert [(o, c) for o, c, _ in seen] == [(0, 2), (2, 2), (4, 2)]  # the last page is empty
    assert rec.rows == 4


def test_arcgis_error_answer_fails_with_the_service_message(httpserver, tmp_path):
    httpserver.expect_request(_path("lookup_lad24_region24")).respond_with_json(
        {"error": {"code": 400, "message": "Invalid or missing input parameters."}})
    report = fetch_datasets(tmp_path, ids=["lookup_lad24_region24"], base_url=_base(httpserver),
                            **QUIET)
    rec = report["lookup_lad24_region24"]
    assert rec.status == "failed"
    assert "Invalid or missing input parameters." in rec.message
    assert _files(tmp_path) == []


def test_arcgis_lookup_without_official_columns_reports_what_to_add(httpserver, tmp_path):
    from geo.data.sources import REGISTRY_PATH

    # A registry in which the lookup has no official header mapping.
    text = REGISTRY_PATH.read_text()
    start = text.index('id = "lookup_lad23_utla23"')
    block = text.index("[dataset.official_columns]", start)
    end = text.index("\n\n", block)
    reg = tmp_path / "sources.toml"
    reg.write_text(text[:block] + text[end:])
    body = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": None, "properties": {
            "LTLA23CD": "E06000001", "LTLA23NM": "Hartlepool",
            "UTLA23CD": "E06000001", "UTLA23NM": "Hartlepool", "ObjectId": 1}}]}
    httpserver.expect_request(_path("lookup_lad23_utla23")).respond_with_json(body)
    with pytest.raises(SchemaError, match=r"add \[dataset.official_columns\]") as info:
        fetch_dataset("lookup_lad23_utla23", tmp_path / "out", base_url=_base(httpserver),
                      registry_path=reg, **QUIET)
    assert "found ['LTLA23CD', 'LTLA23NM', 'UTLA23CD', 'UTLA23NM', 'ObjectId']" in str(info.value)


# ----------------------------------------------------------------------------- derived, topojson

def _serve_lsoa_inputs(httpserver):
    lsoa = json.loads((OFFICIAL / "arcgis_lsoa21_ew_bsc.geojson").read_text())
    lookup = json.loads((OFFICIAL / "arcgis_lsoa21_wd24_lad24_lookup.geojson").read_text())
    _arcgis(httpserver, "lsoa21_bsc", lsoa)
    _arcgis(httpserver, "lookup_lsoa21_ward24_lad24", lookup)


def test_derived_lad24_is_the_lsoa_boundaries_dissolved_through_the_lookup(httpserver, tmp_path):
    _serve_lsoa_inputs(httpserver)
    report = fetch_datasets(
        tmp_path, ids=["lad24_ew_detailed", "lsoa21_bsc", "lookup_lsoa21_ward24_lad24"],
        base_url=_base(httpserver), page_size=3, **QUIET)
    assert list(report.records) == ["lsoa21_bsc", "lookup_lsoa21_ward24_lad24",
                                    "lad24_ew_detailed"]  # derived runs last
    rec = report["lad24_ew_detailed"]
    assert rec.status == "ok", rec.message
    assert rec.rows == 2
    assert rec.file == tmp_path / "boundaries" / "lad24_ew_dissolved_from_lsoa21_bsc.gpkg"
    info = pyogrio.read_info(rec.file)
    assert list(info["fields"]) == ["LAD24CD", "LAD24NM"]
    assert info["crs"] == "EPSG:4326"
    assert info["geometry_type"] == "MultiPolygon"

    lad = pyogrio.read_dataframe(rec.file).set_index("LAD24CD").to_crs(27700)
    assert lad["LAD24NM"].to_dict() == {"E06000001": "Hartlepool",
                                        "E06000002": "Middlesbrough"}
    # two 1 km squares each: 2 km by 1 km rectangles of 2,000,000 m2, one part, no holes
    assert_allclose(lad.area.to_numpy(), [2_000_000.0, 2_000_000.0], rtol=1e-6)
    assert_allclose(np.array(lad.loc["E06000001"].geometry.bounds),
                    [450000, 532000, 452000, 533000], atol=1e-3)
    assert_allclose(np.array(lad.loc["E06000002"].geometry.bounds),
                    [450000, 531000, 452000, 532000], atol=1e-3)
    assert [shapely.get_num_geometries(g) for g in lad.geometry] == [1, 1]
    assert [len(g.geoms[0].interiors) for g in lad.geometry] == [0, 0]


def test_derived_is_skipped_when_its_inputs_are_missing(httpserver, tmp_path):
    report = fetch_datasets(tmp_path, ids=["lad24_ew_detailed"], base_url=_base(httpserver),
                            **QUIET)
    rec = report["lad24_ew_detailed"]
    assert rec.status == "skipped"
    assert "['lsoa21_bsc', 'lookup_lsoa21_ward24_lad24'] are not in" in rec.message
    assert len(httpserver.log) == 0


def test_derived_is_skipped_when_an_input_failed_in_the_same_run(httpserver, tmp_path):
    lookup = json.loads((OFFICIAL / "arcgis_lsoa21_wd24_lad24_lookup.geojson").read_text())
    _arcgis(httpserver, "lookup_lsoa21_ward24_lad24", lookup)
    httpserver.expect_request(_path("lsoa21_bsc")).respond_with_data("down", status=500)
    report = fetch_datasets(
        tmp_path, ids=["lsoa21_bsc", "lookup_lsoa21_ward24_lad24", "lad24_ew_detailed"],
        base_url=_base(httpserver), retries=0, **QUIET)
    assert report["lsoa21_bsc"].status == "failed"
    assert report["lookup_lsoa21_ward24_lad24"].status == "ok"
    assert report["lad24_ew_detailed"].status == "skipped"
    assert "'lsoa21_bsc' was failed in this run" in report["lad24_ew_detailed"].message


def test_topojson_is_saved_as_is(httpserver, tmp_path):
    body = (OFFICIAL / "onsvisual_sample.topo.json").read_bytes()
    httpserver.expect_request(_path("ons_topojson")).respond_with_data(body)
    rec = fetch_dataset("ons_topojson", tmp_path, base_url=_base(httpserver), **QUIET)
    assert rec.file.read_bytes() == body
    assert rec.sha256 == rec.file_sha256 == hashlib.sha256(body).hexdigest()
    assert rec.rows == 5  # 2 utla + 1 rgn + 2 ltla geometries
    layers = sorted(str(x) for x in pyogrio.list_layers(rec.file)[:, 0])
    assert layers == ["ltla", "rgn", "utla"]
    utla = pyogrio.read_dataframe(rec.file, layer="utla")
    assert utla["areacd"].tolist() == ["E06000001", "E06000002"]


def test_topojson_without_the_registry_layers_is_refused(httpserver, tmp_path):
    topo = json.loads((OFFICIAL / "onsvisual_sample.topo.json").read_text())
    del topo["objects"]["rgn"]
    httpserver.expect_request(_path("ons_topojson")).respond_with_json(topo)
    with pytest.raises(SchemaError, match=r"lacks layers \['rgn'\]; found \['ltla', 'utla'\]"):
        fetch_dataset("ons_topojson", tmp_path, base_url=_base(httpserver), **QUIET)
    assert _files(tmp_path) == []


# ----------------------------------------------------------------------------- skipped formats

def test_formats_not_converted_are_skipped_with_landing_page_and_no_request(httpserver,
                                                                            tmp_path):
    ids = ["wimd2019", "dz11_scotland", "simd2020", "neet2025", "census21_deprivation"]
    report = fetch_datasets(tmp_path, ids=ids, base_url=_base(httpserver), **QUIET)
    assert report.ids("skipped") == ids
    assert len(httpserver.log) == 0
    assert _files(tmp_path) == []
    wimd = report["wimd2019"].message
    assert "an OpenDocument spreadsheet (ods)" in wimd
    assert "https://gov.wales/welsh-index-multiple-deprivation" in wimd
    assert "by hand" in wimd
    assert str(tmp_path / "deprivation" / "imd2019_wales_lsoa11.csv") in wimd
    assert "a zipped shapefile" in report["dz11_scotland"].message
    assert "is a web page or an archive, not a CSV file" in report["neet2025"].message
    assert "is a web page or an archive" in report["census21_deprivation"].message


def test_fetch_dataset_raises_for_a_format_it_does_not_convert(tmp_path):
    with pytest.raises(OppmapError, match=r"dataset 'simd2020'.*Excel workbook.*by hand"):
        fetch_dataset("simd2020", tmp_path, **QUIET)


# ----------------------------------------------------------------------------- arguments

def test_bad_arguments_are_refused_with_the_fix(tmp_path):
    with pytest.raises(InputError, match=r"`ids` \['nope'\] are not in the registry; valid ids"):
        fetch_datasets(tmp_path, ids=["iod2025", "nope"], **QUIET)
    with pytest.raises(InputError, match=r"`page_size` must be an integer from 1 to 2000"):
        fetch_datasets(tmp_path, ids=["iod2025"], page_size=5000, **QUIET)
    with pytest.raises(InputError, match=r"`base_url` must look like"):
        fetch_datasets(tmp_path, ids=["iod2025"], base_url="localhost:8000", **QUIET)
    with pytest.raises(InputError, match=r"`errors` must be one of"):
        fetch_datasets(tmp_path, ids=["iod2025"], errors="ignore", **QUIET)
    a_file = tmp_path / "f.txt"
    a_file.write_text("x")
    with pytest.raises(InputError, match=r"`dest` .* is a file"):
        fetch_datasets(a_file, ids=["iod2025"], **QUIET)


def test_base_url_with_a_path_prefix_keeps_official_path_and_query(httpserver, tmp_path):
    body = (OFFICIAL / "iod2025_file7_5rows.csv").read_bytes()
    httpserver.expect_request("/proxy" + _path("iod2025")).respond_with_data(body)
    rec = fetch_dataset("iod2025", tmp_path, base_url=_base(httpserver) + "/proxy/", **QUIET)
    assert rec.status == "ok"
    assert httpserver.log[0][0].path == "/proxy" + _path("iod2025")


# ----------------------------------------------------------------------------- report and CLI

def test_format_fetch_report_lists_every_outcome():
    dest = Path("/m")
    report = FetchReport(dest, {
        "iod2025": FetchRecord("iod2025", "ok", "u", file=dest / "d" / "a.csv", rows=33755,
                               sha256="ab" * 32),
        "wimd2019": FetchRecord("wimd2019", "skipped", "u", message="place it by hand"),
        "lsoa21_bsc": FetchRecord("lsoa21_bsc", "failed", "u", message="SchemaError: x"),
    })
    text = format_fetch_report(report)
    lines = text.splitlines()
    assert lines[0] == "fetch into /m: 1 ok, 1 skipped, 1 failed"
    assert lines[1].split() == ["ok", "iod2025", "d/a.csv", "33,755", "rows"]
    assert f"sha256 {'ab' * 32}" in lines[2]
    assert "place it by hand" in text and "SchemaError: x" in text
    frame = report.to_frame()
    assert frame.index.name == "dataset_id"
    assert frame.loc["iod2025", "rows"] == 33755
    assert frame["status"].tolist() == ["ok", "skipped", "failed"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m geo")
    sub = parser.add_subparsers(dest="command", required=True)
    data = sub.add_parser("data")
    register_fetch_cli(data.add_subparsers(dest="data_command", required=True))
    return parser


def test_cli_fetch_writes_the_mirror_and_prints_the_report(httpserver, tmp_path, capsys):
    body = (OFFICIAL / "iod2025_file7_5rows.csv").read_bytes()
    httpserver.expect_request(_path("iod2025")).respond_with_data(body)
    args = _parser().parse_args(["data", "fetch", "--to", str(tmp_path), "--only", "iod2025",
                                 "wimd2019", "--base-url", _base(httpserver), "--no-progress"])
    assert args.only == ["iod2025", "wimd2019"]
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "1 ok, 1 skipped, 0 failed" in out
    assert (tmp_path / "deprivation" / "imd2025_england_lsoa21.csv").exists()


def test_cli_exits_2_with_the_offline_message(tmp_path, capsys):
    cli = pytest.importorskip("geo.cli.parser")
    code = cli.main(["data", "fetch", "--to", str(tmp_path), "--only", "iod2025",
                     "--base-url", f"http://127.0.0.1:{_unused_port()}", "--retries", "0",
                     "--no-progress"])
    assert code == 2
    assert "OPPMAP_DATA" in capsys.readouterr().err


# ----------------------------------------------------------------------------- real mirror

def _official_csv_from_mirror(mirror: Path, dataset_id: str) -> tuple[bytes, pd.DataFrame]:
    """A mirror CSV turned back into the official layout (official headers and order)."""
    entry = dataset(dataset_id)
    real = pd.read_csv(mirror / entry["file"], dtype=str, keep_default_na=False)
    back = {m: o for o, m in entry["official_columns"].items()}
    official = real[[m for m in back]].rename(columns=back)
    return official.to_csv(index=False).encode(), real


@pytest.mark.real
def test_real_iod2025_round_trip_matches_the_mirror(mirror, httpserver, tmp_path):
    body, real = _official_csv_from_mirror(mirror, "iod2025")
    httpserver.expect_request(_path("iod2025")).respond_with_data(body)
    rec = fetch_dataset("iod2025", tmp_path, base_url=_base(httpserver), **QUIET)
    assert rec.rows == 33_755
    assert rec.message == ""  # as many rows as the registry expects
    got = pd.read_csv(rec.file, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert sorted(got.columns) == sorted(real.columns)  # same header as the real mirror file
    pd.testing.assert_frame_equal(got[list(real.columns)], real)


@pytest.mark.real
def test_real_region_lookup_through_arcgis_pages_matches_the_mirror(mirror, httpserver,
                                                                    tmp_path):
    entry = dataset("lookup_lad24_region24")
    real = pd.read_csv(mirror / entry["file"], dtype=str, keep_default_na=False)
    back = {m: o for o, m in entry["official_columns"].items()}
    features = [{"type": "Feature", "geometry": None,
                 "properties": {**{back[c]: v for c, v in row.items()}, "ObjectId": i}}
                for i, row in enumerate(real.to_dict("records"), start=1)]
    seen = _arcgis(httpserver, "lookup_lad24_region24", {"features": features})
    rec = fetch_dataset("lookup_lad24_region24", tmp_path, base_url=_base(httpserver),
                        page_size=100, **QUIET)
    assert [o for o, _, _ in seen] == [0, 100, 200]
    assert rec.rows == 296
    got = pd.read_csv(rec.file, dtype=str, keep_default_na=False)
    assert sorted(got.columns) == sorted(real.columns)
    pd.testing.assert_frame_equal(got[list(real.columns)], real)
    assert got["region24_code"].nunique() == 9  # English regions


@pytest.mark.real
def test_real_lad24_boundaries_through_arcgis_pages_match_the_mirror(mirror, httpserver,
                                                                     tmp_path):
    entry = dataset("lad24_uk_buc")
    path = mirror / entry["file"]
    real = pyogrio.read_dataframe(path)
    extra = {"LAD24NMW": " ", "Shape__Area": 0.0}  # fields the service adds; fetch drops them
    features = json.loads(real.assign(**extra).to_json(drop_id=True))["features"]
    _arcgis(httpserver, "lad24_uk_buc", {"features": features})
    rec = fetch_dataset("lad24_uk_buc", tmp_path, base_url=_base(httpserver), page_size=200,
                        **QUIET)
    assert rec.rows == 361
    assert rec.message == ""
    got_info, real_info = pyogrio.read_info(rec.file), pyogrio.read_info(path)
    assert list(got_info["fields"]) == list(real_info["fields"]) == ["LAD24CD", "LAD24NM"]
    assert got_info["crs"] == real_info["crs"] == "EPSG:4326"
    assert got_info["geometry_type"] == real_info["geometry_type"] == "MultiPolygon"
    assert list(pyogrio.list_layers(rec.file)[:, 0]) == list(pyogrio.list_layers(path)[:, 0])
    got = pyogrio.read_dataframe(rec.file)
    pd.testing.assert_frame_equal(pd.DataFrame(got.drop(columns="geometry")),
                                  pd.DataFrame(real.drop(columns="geometry")))
    assert shapely.equals_exact(got.geometry.values, real.geometry.values, tolerance=1e-9).all()


@pytest.mark.real
@pytest.mark.slow
def test_real_lad24_dissolved_from_lsoa21_matches_the_mirror(mirror, tmp_path):
    # inputs already in the destination: link the mirror's LSOA boundaries and lookup
    for ident in ("lsoa21_bsc", "lookup_lsoa21_ward24_lad24"):
        rel = dataset(ident)["file"]
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).symlink_to(mirror / rel)
    report = fetch_datasets(tmp_path, ids=["lad24_ew_detailed"], **QUIET)
    rec = report["lad24_ew_detailed"]
    assert rec.status == "ok", rec.message
    assert rec.rows == 318
    assert rec.message == ""
    path = mirror / dataset("lad24_ew_detailed")["file"]
    assert list(pyogrio.read_info(rec.file)["fields"]) == list(pyogrio.read_info(path)["fields"])
    got = pyogrio.read_dataframe(rec.file).set_index("LAD24CD").to_crs(27700)
    ref = pyogrio.read_dataframe(path).set_index("LAD24CD").to_crs(27700)
    assert sorted(got.index) == sorted(ref.index)
    got = got.loc[ref.index]
    assert (got["LAD24NM"] == ref["LAD24NM"]).all()
    # the same dissolve: at most a few hundred m2 of difference along any council's edge
    assert (got.area - ref.area).abs().max() < 500.0
    assert_allclose(got.area.sum(), ref.area.sum(), rtol=1e-6)
    sample = ["E08000025", "E06000046", "E09000023", "E06000053", "W06000001"]
    diff = gpd.GeoSeries(got.geometry.loc[sample]).symmetric_difference(
        ref.geometry.loc[sample]).area
    assert diff.max() < 500.0
    # Birmingham: about 267.8 km2 published; these boundaries are generalised to ~200 m
    assert got.loc["E08000025", "LAD24NM"] == "Birmingham"
    assert_allclose(got.loc["E08000025"].geometry.area / 1e6, 267.8, rtol=0.01)
