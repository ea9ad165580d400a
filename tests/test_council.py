"""Tests for geo.council and geo.council_hotspots: the view model of a council, without Streamlit.

Synthetic frames stand for the store: two English districts of one county, a unitary
authority, a Welsh unitary and a Scottish council; nine LSOAs on a small grid of squares
(lon/lat), two named clusters and two stored hotspot runs. Tests marked ``real`` use the
built store: the council pack of the app and of the command line are the same bytes.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

import geo.council as gc
import geo.council_hotspots as gh
from geo._errors import InputError, StoreError
from geo.export.pack import pack_metadata
from geo.methodology import check_parameters, methodology_text, stored_parameters

PARAMS = {"permutations": 123, "seed": 7, "alpha": 0.1, "correction": "fdr_bh"}


@pytest.fixture
def lad() -> pd.DataFrame:
    return pd.DataFrame({
        "name": ["Dist A", "Dist B", "Uni C", "Cardiff", "Edinburgh"],
        "country": ["E", "E", "E", "W", "S"],
        "region_code": ["E12000001", "E12000001", "E12000002", None, None],
        "utla24_code": ["E10000001", "E10000001", "E06000001", "W06000015", "S12000036"],
    }, index=pd.Index(["E07000001", "E07000002", "E06000001", "W06000015", "S12000036"],
                      name="lad24_code"))


@pytest.fixture
def utla() -> pd.DataFrame:
    return pd.DataFrame({
        "name": ["County", "Uni C", "Cardiff", "Edinburgh"], "country": ["E", "E", "W", "S"],
        "region_code": ["E12000001", "E12000002", None, None],
    }, index=pd.Index(["E10000001", "E06000001", "W06000015", "S12000036"],
                      name="utla24_code"))


@pytest.fixture
def councils(lad, utla) -> pd.DataFrame:
    return gc.councils_table(lad, utla)


LSOAS = ["E01000001", "E01000002", "E01000003", "E01000004", "E01000005", "E01000006",
         "E01000007", "W01000001", "W01000002"]


@pytest.fixture
def lsoas() -> gpd.GeoDataFrame:
    """Nine LSOAs on a 3 x 3 grid: 3 in Dist A, 2 in Dist B, 2 in Uni C, 2 in Cardiff."""
    lad = ["E07000001"] * 3 + ["E07000002"] * 2 + ["E06000001"] * 2 + ["W06000015"] * 2
    upper = {"E07000001": "E10000001", "E07000002": "E10000001"}
    return gpd.GeoDataFrame({
        "name": [f"Area {i}" for i in range(9)],
        "ward24_name": [f"Ward {i // 2}" for i in range(9)],
        "lad24_code": lad, "utla24_code": [upper.get(c, c) for c in lad],
        "country": [c[0] for c in LSOAS],
    }, geometry=[box(i % 3 * 0.01, 51 + i // 3 * 0.01, i % 3 * 0.01 + 0.01,
                     51 + i // 3 * 0.01 + 0.01) for i in range(9)],
        crs=4326, index=pd.Index(LSOAS, name="lsoa21_code"))


@pytest.fixture
def clusters() -> pd.DataFrame:
    return pd.DataFrame({"name": ["Big, Town", "Small, Town"], "n_lsoas": [3, 1],
                         "population": [4500.0, 1500.0], "councils": ["Dist A; Dist B", "Uni C"],
                         "domains": ["income 100%", "health 100%"],
                         "lsoa_codes": ["E01000001;E01000002;E01000004", "E01000006"]},
                        index=pd.Index([1, 2], name="cluster_id"))


@pytest.fixture
def hotspots() -> pd.DataFrame:
    """The store's long table: two runs over the seven English LSOAs."""
    labels = ["hot spot 99%", "hot spot 95%", "not significant", "hot spot 99%",
              "cold spot 95%", "hot spot 99%", "not significant"]
    quadrants = ["High-High", "High-High", "Low-High", "not significant", "Low-Low",
                 "High-Low", "not significant"]
    english = LSOAS[:7]
    frames = [pd.DataFrame({"method": method, "indicator": "n_domains_worst_decile",
                            "value": np.arange(7.0), "statistic": np.linspace(-2, 3, 7),
                            "p": np.linspace(0.001, 0.5, 7), "q": np.linspace(0.002, 0.6, 7),
                            "label": labels_, "robust": robust},
                           index=pd.Index(english, name="lsoa21_code"))
              for method, labels_, robust in (("gi_star", labels, True),
                                              ("local_moran", quadrants, pd.NA))]
    return pd.concat(frames)


@pytest.fixture
def catalogue() -> pd.DataFrame:
    return pd.DataFrame({
        "dataset": ["compound", "iod2025"], "column": ["n_domains_worst_decile", "imd_score"],
        "label": ["Domains in the worst decile", "IMD score"], "unit": ["domains", "score"],
        "polarity": ["higher_worse", "higher_worse"], "level": ["lsoa21", "lsoa21"],
        "vintage": ["2025", "2025"],
    }, index=["compound.n_domains_worst_decile", "iod2025.imd_score"])


# ----------------------------------------------------------------------------- councils


def test_councils_table_keeps_a_unitary_authority_once(councils):
    assert list(councils.index) == ["E07000001", "E07000002", "E06000001", "W06000015",
                                    "S12000036", "E10000001"]
    assert councils.index.name == "code"
    assert councils.loc["E06000001", "level"] == "lad24"  # in both tiers: lower tier once
    assert councils.loc["E10000001", ["level", "tier", "utla24_code"]].tolist() == [
        "utla24", "upper tier / county", "E10000001"]
    assert councils.loc["E07000002", "utla24_code"] == "E10000001"
    assert councils.loc["S12000036", "country"] == "S"


def test_councils_table_names_missing_columns(lad, utla):
    with pytest.raises(InputError, match=r"'utla': \['country'\]"):
        gc.councils_table(lad, utla.drop(columns="country"))


def test_council_level_and_did_you_mean(councils):
    assert gc.council_level(councils, "E10000001") == "utla24"
    with pytest.raises(InputError, match=r"did you mean E07000001 \(Dist A\)"):
        gc.council_level(councils, "E0700001")
    with pytest.raises(InputError, match=r"Edinburgh"):
        gc.council_level(councils, "Edinburh")


def test_search_and_unknown_councils(councils):
    assert gc.search_councils(councils, "Cardif")[0] == "W06000015"
    assert gc.search_councils(councils, "qqqq zzzz") == []
    assert gc.unknown_councils(councils, ["E06000001", "", "XYZ"]) == ["XYZ"]


def test_council_lsoas_of_either_tier_and_nation(lsoas, councils):
    assert list(gc.council_lsoas(lsoas, councils, "E07000002").index) == LSOAS[3:5]
    county = gc.council_lsoas(lsoas, councils, "E10000001")
    assert list(county.index) == LSOAS[:5]  # both districts
    assert list(gc.council_lsoas(lsoas, councils, "E06000001").index) == LSOAS[5:7]
    assert list(gc.council_lsoas(lsoas, councils, "W06000015").index) == LSOAS[7:]
    assert gc.council_lsoas(lsoas, councils, "S12000036").empty  # no LSOAs in Scotland
    with pytest.raises(InputError, match="no 'utla24_code' column"):
        gc.council_lsoas(lsoas.drop(columns="utla24_code"), councils, "E10000001")


def test_nations_in_words():
    assert gh.nations(["E01", "E02"]) == "England"
    assert gh.nations(["S01", "W01", "E01", "N01"]) == (
        "England, Wales, Scotland and Northern Ireland")
    assert gh.nations([]) == ""


# ----------------------------------------------------------------------------- runs


def test_run_ids_round_trip():
    assert gh.split_run_id(gh.run_id("gi_star", "imd_score")) == ("gi_star", "imd_score")
    assert gh.CLUSTER_RUN == "gi_star:n_domains_worst_decile"
    with pytest.raises(InputError, match="not a hotspot run id"):
        gh.split_run_id("hotspot_gi_star_imd_score")


def test_hotspot_runs_are_named_from_the_catalogue(hotspots, catalogue):
    welsh = hotspots.iloc[:2].assign(indicator="imd_score")
    welsh.index = pd.Index(["W01000001", "W01000002"], name="lsoa21_code")
    runs = gh.hotspot_runs(pd.concat([hotspots, welsh]), catalogue)
    assert list(runs.index) == ["gi_star:imd_score", "gi_star:n_domains_worst_decile",
                                "local_moran:n_domains_worst_decile"]
    gi = runs.loc["gi_star:n_domains_worst_decile"]
    assert (gi["dataset"], gi["label"], gi["n_tested"], gi["where"]) == (
        "compound", "Domains in the worst decile", 7, "England")
    assert gi["name"] == "Domains in the worst decile, Gi* hot and cold spots"
    assert runs.loc["local_moran:n_domains_worst_decile", "statistic"] == "Local I"
    assert runs.loc["gi_star:imd_score", "where"] == "Wales"


def test_run_results_and_columns(hotspots):
    one = gh.run_results(hotspots, "local_moran:n_domains_worst_decile")
    assert list(one.index) == LSOAS[:7] and "method" not in one.columns
    with pytest.raises(InputError, match=r"stored: \['gi_star:n_domains_worst_decile'"):
        gh.run_results(hotspots, "gi_star:imd_score")
    wide = gh.run_columns(hotspots)
    assert list(wide.columns) == [
        "hotspot_gi_star_n_domains_worst_decile", "q_gi_star_n_domains_worst_decile",
        "robust_gi_star_n_domains_worst_decile", "hotspot_local_moran_n_domains_worst_decile",
        "q_local_moran_n_domains_worst_decile"]  # no robustness for local Moran
    assert wide.loc["E01000005", "hotspot_local_moran_n_domains_worst_decile"] == "Low-Low"
    assert gh.run_column("local_moran:imd_score", "q") == "q_local_moran_imd_score"


def test_hotspot_counts_per_method(hotspots):
    gi = gh.run_results(hotspots, "gi_star:n_domains_worst_decile")["label"]
    assert gh.hotspot_counts(gi, method="gi_star", place="Town") == (
        "In Town: 4 LSOAs in hot spots, 1 in cold spots.")
    lisa = gh.run_results(hotspots, "local_moran:n_domains_worst_decile")["label"]
    assert gh.hotspot_counts(lisa, method="local_moran", place="Town") == (
        "In Town: 2 High-High and 1 Low-Low LSOAs, 2 outliers.")


# ----------------------------------------------------------------------------- clusters


def test_council_clusters_and_their_neighbourhoods(clusters, lsoas):
    here = gh.council_clusters(clusters, ["E01000001", "E01000006", "E01000009"])
    assert list(here.index) == [1, 2] and list(here["n_here"]) == [1, 1]
    assert gh.council_clusters(clusters, ["E01000009"]).empty
    compound = pd.DataFrame({"n_domains_worst_decile": [4, 3, 5, 3],
                             "domains_worst_decile": ["a;b;c;d", "a;b;c", "a;b;c;d;e", "a;b;c"]},
                            index=["E01000001", "E01000002", "E01000004", "E01000006"])
    hoods = gh.cluster_neighbourhoods(clusters, lsoas.iloc[::-1], compound)
    assert list(hoods.index) == ["E01000001", "E01000002", "E01000004", "E01000006"]
    assert list(hoods["cluster"]) == ["Big, Town"] * 3 + ["Small, Town"]
    assert list(hoods["n_domains_worst_decile"]) == [4, 3, 5, 3]
    assert hoods.loc["E01000004", "ward"] == "Ward 1"
    touching = gh.clusters_touching(clusters, ["E01000004"])
    assert list(touching.index) == [1]  # the whole cluster, reaching beyond the council
    assert gh.cluster_names(clusters).to_dict() == {
        "E01000001": "Big, Town", "E01000002": "Big, Town", "E01000004": "Big, Town",
        "E01000006": "Small, Town"}


def test_clusters_that_overlap_are_refused(clusters):
    bad = clusters.assign(lsoa_codes=["E01000001;E01000006", "E01000006"])
    with pytest.raises(InputError, match="puts areas in two clusters: E01000006"):
        gh.cluster_names(bad)


def test_cluster_words_take_the_confidence_from_the_members(clusters, hotspots):
    results = gh.run_results(hotspots, gh.CLUSTER_RUN)
    assert gh.cluster_words(clusters, results, method="gi_star", params=PARAMS) == (
        "hot spots of compounded disadvantage (Gi*, 95%+ after FDR)")
    only_99 = results.assign(label="hot spot 99%")
    assert "(Gi*, 99%+ after FDR)" in gh.cluster_words(clusters, only_99, method="gi_star",
                                                       params=PARAMS)


def test_cluster_sentences(clusters):
    outlines = clusters.drop(columns="lsoa_codes")
    words = "hot spots of compounded disadvantage (Gi*, 95%+ after FDR)"
    assert gh.cluster_sentence(outlines, place="Town", words=words).startswith(
        "Purple outlines: 2 named clusters of hot spots of compounded disadvantage (Gi*, 95%+ "
        "after FDR) in Town; the largest, Big, Town, has 3 neighbourhoods and 4,500 people")
    assert gh.cluster_sentence(outlines.iloc[0:0], place="Town", words=words) == (
        "No named cluster of hot spots of compounded disadvantage touches Town.")
    here = gh.council_clusters(clusters, ["E01000001", "E01000002"])
    assert gh.clusters_summary(here, n_lsoas=3, place="Dist A", words=words).endswith(
        "has neighbourhoods in Dist A: 2 of its 3 LSOAs.")


# ----------------------------------------------------------------------------- the LSOA view


def _view_data(lsoas, councils, clusters, hotspots, catalogue, code, *, run=None,
               values=None, polarity="higher_worse"):
    here = gc.council_lsoas(lsoas, councils, code)
    values = (pd.Series(np.arange(9.0), index=LSOAS) if values is None else values)
    extra = None
    if run is not None:
        results = gh.run_results(hotspots, run)
        touching = gh.clusters_touching(clusters, here.index)
        extra = {"run": {"id": run, **gh.hotspot_runs(hotspots, catalogue).loc[run].to_dict()},
                 "results": results, "params": PARAMS, "outlines": None, "words": None}
        if run == gh.CLUSTER_RUN:
            from geo.maps.hotspots import cluster_outlines

            members = lsoas.loc[lsoas.index.isin(gh.cluster_names(touching).index)]
            extra["outlines"] = cluster_outlines(members, touching)
            extra["words"] = gh.cluster_words(clusters, results, method="gi_star",
                                              params=PARAMS)
    place = {"code": code, **councils.loc[code, ["name", "country"]].to_dict()}
    return gc.view_data(here, values, place=place, covered=gh.nations(lsoas.index),
                        indicator={"id": "x.v", "label": "Value", "unit": "score",
                                   "polarity": polarity},
                        owner=gh.cluster_names(clusters), hotspots=extra)


def test_view_of_a_council_without_lsoas_or_values(lsoas, councils, clusters, hotspots,
                                                   catalogue):
    outside = _view_data(lsoas, councils, clusters, hotspots, catalogue, "S12000036")
    assert outside["status"] == "outside"
    assert outside["message"].startswith("Edinburgh is in Scotland, outside England and Wales")
    english_only = pd.Series(1.0, index=LSOAS[:7])
    welsh = _view_data(lsoas, councils, clusters, hotspots, catalogue, "W06000015",
                       values=english_only)
    assert welsh["status"] == "no_values" and "does not cover Wales" in welsh["message"]
    view = gc.council_view(welsh)
    assert (view["status"], view["map"]) == ("no_values", None)


def test_view_with_the_cluster_run_states_parameters_and_counts(lsoas, councils, clusters,
                                                                hotspots, catalogue):
    data = _view_data(lsoas, councils, clusters, hotspots, catalogue, "E10000001",
                      run=gh.CLUSTER_RUN)
    assert list(data["frame"].columns) == ["name", "ward24_name", "geometry", "value",
                                           "cluster", "label", "statistic", "q"]
    view = gc.council_view(data, scheme="equal_interval")
    assert view["status"] == "ok"
    assert view["sentence"].startswith("Value across 5 LSOAs in County: worst Area 4 (4.00")
    # the numbers come from the run's parameters, not from the code
    assert "123 conditional permutations (seed 7)" in view["caption"]
    assert "false discovery rate at 10% over all 7 LSOAs of England" in view["caption"]
    assert view["caption"].endswith("In County: 3 LSOAs in hot spots, 1 in cold spots.")
    assert view["clusters"].startswith("Purple outlines: 1 named cluster of hot spots")
    assert list(view["table"].columns) == ["name", "ward", "value", "class", "range", "rank",
                                           "hotspot", "cluster"]
    html = view["map"].get_root().render()
    assert "FDR 10%" in html and "Named clusters" in html


def test_view_the_other_way_up_names_the_lowest_as_worst(lsoas, councils, clusters, hotspots,
                                                         catalogue):
    data = _view_data(lsoas, councils, clusters, hotspots, catalogue, "E07000001",
                      polarity="higher_better", run="local_moran:n_domains_worst_decile")
    view = gc.council_view(data)  # three LSOAs: three classes, said in the legend
    assert "quantiles, 3 classes" in view["map"].get_root().render()
    assert "worst Area 0 (0.00 score), best Area 2" in view["sentence"]
    assert view["clusters"] is None and "cluster" not in view["table"].columns
    assert view["counts"] == "In Dist A: 2 High-High and 0 Low-Low LSOAs, 1 outliers."


# ----------------------------------------------------------------------------- pack


def test_pack_frame_names_columns_by_table_run_and_cluster(lsoas, clusters, hotspots):
    here = lsoas.iloc[:3].assign(ward24_code="W1", lad24_name="Dist A", region_code="E12")
    tables = {"iod2025": pd.DataFrame({"imd_score": [50.0, 40.0, 30.0]}, index=LSOAS[:3]),
              "iod2019": pd.DataFrame({"imd_score": [1.0, 2.0, 3.0]}, index=LSOAS[:3])}
    frame = gc.pack_frame(here, tables, runs=gh.run_columns(hotspots), clusters=clusters)
    assert isinstance(frame, gpd.GeoDataFrame) and list(frame.index) == LSOAS[:3]
    assert list(frame.columns[:9]) == [*gc.PLACE_COLUMNS, "geometry"]
    assert list(frame["iod2019.imd_score"]) == [1.0, 2.0, 3.0]  # no clash with iod2025's
    assert list(frame["hotspot_gi_star_n_domains_worst_decile"]) == [
        "hot spot 99%", "hot spot 95%", "not significant"]
    assert frame["clusters.cluster_id"].tolist() == [1, 1, pd.NA]
    assert frame["clusters.name"].tolist()[:2] == ["Big, Town", "Big, Town"]


def test_pack_metadata_expands_derived_tables():
    meta = pack_metadata(["lsoa21_bsc", "compound", "not_a_dataset"],
                         council={"code": "E06000001", "name": "Uni C"}, params=PARAMS)
    ids = [s["id"] for s in meta["sources"]]
    assert ids[0] == "lsoa21_bsc" and "iod2025" in ids and "compound" not in ids
    assert meta["method"]["permutations"] == 123 and meta["attribution"]
    assert meta["council"] == {"code": "E06000001", "name": "Uni C"}


# ----------------------------------------------------------------------------- parameters


def test_methodology_text_states_the_parameters_it_is_given():
    text = methodology_text(PARAMS)
    assert "123 conditional permutations (seed 7)" in " ".join(text.split())
    assert "alpha = 0.1" in text and "{" not in text
    with pytest.raises(InputError, match=r"lacks \['seed'\]"):
        check_parameters({"permutations": 1, "alpha": 0.1, "correction": "fdr_bh"})


def test_a_store_without_parameters_says_rebuild(monkeypatch, tmp_path):
    import boundaries

    monkeypatch.setattr(boundaries, "store_dir", lambda: tmp_path)
    monkeypatch.setattr(boundaries, "read_manifest", lambda _path: {"hotspot_params": {}})
    with pytest.raises(StoreError, match="rebuild the store"):
        stored_parameters()


# ----------------------------------------------------------------------------- real data


@pytest.mark.real
def test_cli_pack_and_app_pack_are_the_same_bytes(store, tmp_path):
    """One builder: ``python -m geo export --council`` (another process) writes the bytes the
    app's download button serves."""
    from pages import _data as data

    out = tmp_path / "blackpool.zip"
    run = subprocess.run([sys.executable, "-m", "geo", "export", "--council", "E06000009",
                          "--out", str(out)], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert out.read_bytes() == data.council_pack("E06000009")


@pytest.mark.real
def test_county_pack_holds_every_district_and_the_stored_parameters(store):
    import boundaries

    pack = gc.council_pack("E10000016")
    with zipfile.ZipFile(io.BytesIO(pack)) as zf:
        doc = json.loads(zf.read("E10000016_lsoas.geojson"))
        readme = zf.read("README.txt").decode()
    lsoa = boundaries.load("lsoa21")
    kent = lsoa[lsoa["utla24_code"] == "E10000016"]
    assert sorted(f["id"] for f in doc["features"]) == sorted(kent.index)
    assert {f["properties"]["lad24_code"] for f in doc["features"]} == set(kent["lad24_code"])
    params = boundaries.read_manifest(boundaries.store_dir())["hotspot_params"]
    assert doc["oppmap"]["method"]["permutations"] == params["permutations"]
    assert (f"{params['permutations']:,} conditional permutations (seed {params['seed']})"
            in " ".join(readme.split()))
    assert doc["oppmap"]["council"]["level"] == "utla24"


@pytest.mark.real
def test_a_welsh_pack_has_no_map_and_a_scottish_council_has_no_pack(store):
    pack = gc.council_pack("W06000015")  # Cardiff: LSOAs but no IoD 2025 values
    with zipfile.ZipFile(io.BytesIO(pack)) as zf:
        assert "W06000015_map.html" not in zf.namelist()
        props = json.loads(zf.read("W06000015_lsoas.geojson"))["features"][0]["properties"]
    assert props["iod2025.imd_score"] is None and props["population.population_total"] > 0
    with pytest.raises(InputError, match="is in Scotland, where the store has no"):
        gc.council_pack("S12000036")
    with pytest.raises(InputError, match="did you mean"):
        gc.council_pack("E0600009")
    assert gc.pack_filename("E06000009") == "oppmap_E06000009_Blackpool.zip"


@pytest.mark.real
def test_view_of_a_council_no_cluster_reaches(store):
    import boundaries

    clusters = gh.load_clusters()
    touched = set(gh.cluster_names(clusters).index)
    lsoa = boundaries.load("lsoa21")
    english = lsoa[lsoa["country"] == "E"]
    untouched = sorted(set(english["lad24_code"]) - set(english.loc[
        english.index.isin(touched), "lad24_code"]))
    view = gc.council_view(gc.council_view_data(untouched[0], gc.MAP_INDICATOR,
                                                run=gh.CLUSTER_RUN))
    assert view["status"] == "ok" and view["clusters"].startswith("No named cluster")
