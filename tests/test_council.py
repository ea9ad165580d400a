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
from geo.data.sources import nations_in_words
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


@pytest.mark.real
@pytest.mark.parametrize(("typed", "name"), [
    ("Western Isles", "Na h-Eileanan Siar"), ("Comhairle nan Eilean Siar", "Na h-Eileanan Siar"),
    ("eilean siar", "Na h-Eileanan Siar"), ("Londonderry", "Derry City and Strabane"),
    ("Derry", "Derry City and Strabane"), ("Ynys Môn", "Isle of Anglesey"),
    ("YNYS MON", "Isle of Anglesey"), ("Anglesey", "Isle of Anglesey"), ("Caerdydd", "Cardiff"),
    ("Belfast", "Belfast"), ("Manchestr", "Manchester"), ("Durham", "County Durham"),
    ("Lewes", "Lewes"), ("Hart", "Hart"),
])
def test_real_council_names_open_the_council_they_name(store, typed, name):
    councils = gc.load_councils()
    code = gc.pick_council(councils, typed)
    assert code is not None and councils.at[code, "name"] == name
    assert gc.search_councils(councils, typed)[0] == code
    if typed in ("Belfast", "Western Isles", "Londonderry"):  # no other council offered
        assert gc.search_councils(councils, typed) == [code]


@pytest.mark.real
@pytest.mark.parametrize("typed", ["Newcastle", "London", "qqqq zzzz", "Cumbria"])
def test_an_unsure_name_opens_no_council(store, typed):
    councils = gc.load_councils()
    assert gc.pick_council(councils, typed) is None
    if typed == "Newcastle":  # both offered
        assert {councils.at[c, "name"] for c in gc.search_councils(councils, typed)} == {
            "Newcastle upon Tyne", "Newcastle-under-Lyme"}


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
    assert nations_in_words(["E01", "E02"]) == "England"
    assert nations_in_words(["S01", "W01", "E01", "N01"]) == (
        "England, Wales, Scotland and Northern Ireland")
    assert nations_in_words([]) == ""


# ----------------------------------------------------------------------------- runs


def test_the_cluster_run_is_one_id_of_geo_stats():
    from geo.stats.runs import hotspot_run_id, parse_hotspot_run_id

    assert hotspot_run_id("gi_star", "n_domains_worst_decile") == gh.CLUSTER_RUN
    assert parse_hotspot_run_id(gh.CLUSTER_RUN) == ("gi_star", "n_domains_worst_decile")
    for name in ("run_id", "split_run_id", "run_column", "run_columns", "clusters_touching"):
        assert not hasattr(gh, name), name  # one implementation: geo.stats.runs / clusters


def test_hotspot_runs_are_named_from_the_catalogue(hotspots, catalogue):
    welsh = hotspots.iloc[:2].assign(indicator="imd_score")
    welsh.index = pd.Index(["W01000001", "W01000002"], name="lsoa21_code")
    runs = gh.hotspot_runs(pd.concat([hotspots, welsh]), catalogue)
    assert list(runs.index) == ["gi_star:imd_score", "gi_star:n_domains_worst_decile",
                                "local_moran:n_domains_worst_decile"]
    gi = runs.loc["gi_star:n_domains_worst_decile"]
    assert (gi["dataset"], gi["label"], gi["n_tested"], gi["where"]) == (
        "compound", "Domains in the worst decile", 7, "England")
    assert gi["name"] == ("Domains in the worst decile, worse and better clusters (Gi* hot "
                          "and cold spots)")
    assert runs.loc["local_moran:n_domains_worst_decile", "statistic"] == "Local I"
    assert runs.loc["gi_star:imd_score", "where"] == "Wales"


def test_run_results_is_select_run(hotspots):
    one = gh.run_results(hotspots, "local_moran:n_domains_worst_decile")
    assert list(one.index) == LSOAS[:7] and "method" not in one.columns
    with pytest.raises(InputError, match=r"available: \['gi_star:n_domains_worst_decile'"):
        gh.run_results(hotspots, "gi_star:imd_score")


def test_outcome_counts_say_not_tested_never_zero_hot_spots():
    table = pd.DataFrame({
        "outcome": ["worse cluster", "worse cluster", "better cluster", "worse outlier",
                    "not significant", "not tested", None],
        "label": ["High-High", "High-High", "Low-Low", "High-Low", "not significant",
                  "island (not tested)", None]})
    assert gh.outcome_counts(table, place="Town") == (
        "In Town: 2 LSOAs in worse clusters (High-High), 1 worse outliers (High-Low), 1 in "
        "better clusters (Low-Low), 1 not significant, 2 not tested.")
    untested = pd.DataFrame({"outcome": ["not tested"] * 3, "label": [None] * 3})
    assert gh.outcome_counts(untested, place="Isle", area_words="data zones") == (
        "In Isle: 0 data zones in worse clusters, 0 in better clusters, 3 not tested.")
    with pytest.raises(InputError, match="not outcomes: \\['hot spot'\\]"):
        gh.outcome_counts(pd.DataFrame({"outcome": ["hot spot"]}), place="x")


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
    assert gh.cluster_names(clusters).to_dict() == {
        "E01000001": "Big, Town", "E01000002": "Big, Town", "E01000004": "Big, Town",
        "E01000006": "Small, Town"}
    unknown = clusters.assign(population=[44.0, 1.0])
    unknown.attrs["population_known"] = False  # data zones: population counts data zones
    assert "population" not in gh.council_clusters(unknown, ["E01000001"]).columns


def test_clusters_that_overlap_are_refused(clusters):
    bad = clusters.assign(lsoa_codes=["E01000001;E01000006", "E01000006"])
    with pytest.raises(InputError, match="more than one cluster \\(E01000006\\)"):
        gh.cluster_names(bad)


def test_cluster_words_come_from_how_the_clusters_were_made(clusters):
    made = clusters.copy()
    made.attrs = {"method": "gi_star", "confidence": 99}
    assert gh.cluster_words(made, params=PARAMS) == (
        "compounded disadvantage (touching worse clusters: Gi* hot spots at 99%+ after FDR)")


def test_cluster_sentences(clusters):
    outlines = clusters.drop(columns="lsoa_codes")
    words = gh.cluster_words(clusters, params=PARAMS)
    assert gh.cluster_sentence(outlines, place="Town", words=words).startswith(
        f"Purple outlines: 2 named clusters of {words} in Town; the largest, Big, Town, has 3 "
        "LSOAs and 4,500 people")
    zones = outlines.assign(population=np.nan)
    assert "has 3 data zones (hover" in gh.cluster_sentence(zones, place="Glasgow",
                                                            words=words,
                                                            area_words="data zones")
    assert gh.cluster_sentence(outlines.iloc[0:0], place="Town", words=words) == (
        "No named cluster of compounded disadvantage touches Town.")
    here = gh.council_clusters(clusters, ["E01000001", "E01000002"])
    assert gh.clusters_summary(here, n_areas=3, place="Dist A", words=words).endswith(
        "has neighbourhoods in Dist A: 2 of its 3 LSOAs.")
    national = outlines.assign(nation=["England", "Wales"])
    assert "each nation on its own index (England 1, Wales 1)" in gh.national_cluster_sentence(
        national, words=words)


# ----------------------------------------------------------------------------- the view


def _view_data(lsoas, councils, clusters, hotspots, code, *, run=None, values=None,
               polarity="higher_worse"):
    here = gc.council_lsoas(lsoas, councils, code).assign(ward=lambda t: t["ward24_name"])
    values = (pd.Series(np.arange(9.0), index=LSOAS) if values is None else values)
    extra = None
    if run is not None:
        results = gh.run_results(hotspots, run).reindex(here.index)
        method = run.split(":")[0]
        high = results["label"].str.startswith(("hot", "High"))
        sig = results["label"] != "not significant"
        results["outcome"] = np.where(sig, np.where(high, "worse ", "better ") + np.where(
            results["label"].isin(["High-Low", "Low-High"]), "outlier", "cluster"),
            "not significant")
        results["bin"] = np.where(sig, np.where(high, 2, -2), 0)
        reaching = clusters[clusters["lsoa_codes"].str.contains("|".join(here.index))]
        extra = {"run": {"method": method, "name": "Value, outcomes", "short": "Value (Gi*)",
                         "statistic": "z"},
                 "results": results, "params": PARAMS, "n_tested": len(here),
                 "nation": "England", "outlines": None, "words": None}
        if run == gh.CLUSTER_RUN:
            from geo.maps.hotspots import cluster_outlines

            members = lsoas.loc[lsoas.index.isin(gh.cluster_names(reaching).index)]
            extra["outlines"] = cluster_outlines(members, reaching)
            extra["words"] = gh.cluster_words(clusters, params=PARAMS)
    place = {"code": code, **councils.loc[code, ["name", "country"]].to_dict()}
    return gc.view_data(here, values, place=place, level="lsoa21",
                        indicator={"id": "x.v", "label": "Value", "unit": "score",
                                   "polarity": polarity},
                        owner=gh.cluster_names(clusters), hotspots=extra)


def test_view_of_a_council_without_small_areas_or_values(lsoas, councils, clusters, hotspots):
    place = {"code": "N09000003", "name": "Belfast", "country": "N"}
    none = gc.view_data(lsoas.iloc[0:0], pd.Series(dtype=float), place=place, level=None,
                        indicator={"id": "x"}, owner=pd.Series(dtype=object))
    assert none["status"] == "no_small_areas"
    assert none["message"].startswith("Belfast is in Northern Ireland: the mirror has no "
                                      "small-area boundaries for Northern Ireland")
    english_only = pd.Series(1.0, index=LSOAS[:7])
    welsh = _view_data(lsoas, councils, clusters, hotspots, "W06000015", values=english_only)
    assert welsh["status"] == "no_values" and "no value for any of the LSOAs" in welsh["message"]
    view = gc.council_view(welsh)
    assert (view["status"], view["map"]) == ("no_values", None)


def test_view_with_the_cluster_run_states_parameters_and_outcomes(lsoas, councils, clusters,
                                                                  hotspots):
    data = _view_data(lsoas, councils, clusters, hotspots, "E10000001", run=gh.CLUSTER_RUN)
    assert list(data["frame"].columns) == ["name", "ward", "geometry", "value", "cluster",
                                           "label", "outcome", "bin", "statistic", "q", "shown"]
    view = gc.council_view(data, scheme="equal_interval")
    assert view["status"] == "ok"
    assert view["sentence"].startswith("Value across 5 LSOAs in County: worst Area 4 (4.00")
    # the numbers come from the run's parameters, not from the code
    assert "123 conditional permutations (seed 7)" in view["caption"]
    assert "judged over the 5 LSOAs of County as one family" in view["caption"]
    assert "--within E10000001" in view["caption"]
    assert view["caption"].endswith(
        "In County: 3 LSOAs in worse clusters (hot spot), 1 in better clusters (cold spot), "
        "1 not significant.")
    assert view["clusters"].startswith("Purple outlines: 1 named cluster of compounded")
    assert list(view["table"].columns) == ["name", "ward", "value", "class", "range", "rank",
                                           "hotspot", "method's label", "bin", "cluster"]
    assert view["table"].loc["E01000001", "hotspot"] == "worse cluster 95%"
    html = view["map"].get_root().render()
    assert "FDR 10% over County" in html and "Named clusters" in html


def test_view_the_other_way_up_names_the_lowest_as_worst(lsoas, councils, clusters, hotspots):
    data = _view_data(lsoas, councils, clusters, hotspots, "E07000001",
                      polarity="higher_better", run="local_moran:n_domains_worst_decile")
    view = gc.council_view(data)  # three LSOAs: three classes, said in the legend
    assert "quantiles, 3 classes" in view["map"].get_root().render()
    assert "worst Area 0 (0.00 score), best Area 2" in view["sentence"]
    assert view["clusters"] is None and "cluster" not in view["table"].columns
    assert view["counts"] == ("In Dist A: 2 LSOAs in worse clusters (High-High), 1 better "
                              "outliers (Low-High), 0 in better clusters.")  # worst first


# ----------------------------------------------------------------------------- pack


def test_pack_frame_names_columns_by_table_run_and_cluster(lsoas, clusters):
    from geo.stats.runs import hotspot_column

    here = lsoas.iloc[:3].assign(ward24_code="W1", lad24_name="Dist A", region_code="E12")
    tables = {"iod2025": pd.DataFrame({"imd_score": [50.0, 40.0, 30.0]}, index=LSOAS[:3]),
              "iod2019": pd.DataFrame({"imd_score": [1.0, 2.0, 3.0]}, index=LSOAS[:3])}
    run = gh.CLUSTER_RUN
    runs = pd.DataFrame({hotspot_column(run): ["hot spot 99%", "hot spot 95%", "not significant"],
                         hotspot_column(run, "outcome"): ["worse cluster"] * 2 + ["not significant"],
                         hotspot_column(run, "bin"): [3, 2, 0]}, index=LSOAS[:3])
    frame = gc.pack_frame(here, tables, runs=runs, clusters=clusters)
    assert isinstance(frame, gpd.GeoDataFrame) and list(frame.index) == LSOAS[:3]
    assert list(frame.columns[:9]) == ["name", "ward24_code", "ward24_name", "lad24_code",
                                       "lad24_name", "utla24_code", "region_code", "country",
                                       "geometry"]
    assert list(frame["iod2019.imd_score"]) == [1.0, 2.0, 3.0]  # no clash with iod2025's
    assert list(frame["outcome_gi_star_n_domains_worst_decile"]) == [
        "worse cluster", "worse cluster", "not significant"]
    assert list(frame["bin_gi_star_n_domains_worst_decile"]) == [3, 2, 0]
    assert frame["clusters.cluster_id"].tolist() == [1, 1, pd.NA]
    assert frame["clusters.name"].tolist()[:2] == ["Big, Town", "Big, Town"]
    no_clusters = gc.pack_frame(here, tables, runs=runs.iloc[:, :0], clusters=None)
    assert "clusters.name" not in no_clusters.columns


def test_pack_metadata_expands_derived_tables():
    meta = pack_metadata(["lsoa21_bsc", "compound", "not_a_dataset"],
                         council={"code": "E06000001", "name": "Uni C"}, params=PARAMS)
    ids = [s["id"] for s in meta["sources"]]
    assert ids[0] == "lsoa21_bsc" and "iod2025" in ids and "compound" not in ids
    assert meta["method"]["permutations"] == 123 and meta["attribution"]
    assert meta["council"] == {"code": "E06000001", "name": "Uni C"}
    council_only = pack_metadata(["ukimd_la"], council={"code": "N09000003"}, params=PARAMS,
                                 level="lad24", hotspots=False)
    assert "method" not in council_only and council_only["level"] == "lad24"
    assert "Contains data from mySociety (CC BY 4.0)" in council_only["attribution"]


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


def _pack(code: str) -> tuple[dict, dict, str, list[str]]:
    pack = gc.council_pack(code)
    with zipfile.ZipFile(io.BytesIO(pack)) as zf:
        names = sorted(zf.namelist())
        doc = json.loads(zf.read(next(n for n in names if n.endswith(".geojson"))))
        csv = zf.read(next(n for n in names if n.endswith(".csv"))).decode()
        readme = zf.read("README.txt").decode()
    return doc, {"csv": csv}, readme, names


def _stored_outcomes(table: str, run: str, codes) -> pd.Series:
    """A stored national run's p-values of some areas judged again as one family (BH, by
    hand), to check the pack's outcomes without the code that made them."""
    import geo
    from geo.stats.runs import select_run

    one = select_run(geo.load_indicators(table), run).reindex(codes)
    p = one["p"].to_numpy()
    order = np.argsort(p)
    ranked = p[order] * len(p) / np.arange(1, len(p) + 1)
    q = np.empty(len(p))
    q[order] = np.minimum.accumulate(ranked[::-1])[::-1].clip(max=1)
    return pd.Series(q, index=codes)


@pytest.mark.real
@pytest.mark.parametrize("code", ["W06000015", "S12000049"])  # Cardiff, Glasgow City
def test_a_welsh_and_a_scottish_pack_hold_their_own_index(store, code):
    import boundaries
    import geo
    from geo.data.nations import index_of_nation, index_spec

    spec = index_spec(index_of_nation(code))
    level, stem = spec["map_level"], {"lsoa21": "lsoas", "dz11": "datazones"}[spec["map_level"]]
    doc, files, readme, names = _pack(code)
    assert names == sorted(["README.txt", f"{code}_{stem}.csv", f"{code}_{stem}.geojson",
                            f"{code}_map.html"])
    areas = boundaries.load(level)
    here = areas.index[areas["lad24_code"] == code]
    assert sorted(f["id"] for f in doc["features"]) == sorted(here)
    props = {f["id"]: f["properties"] for f in doc["features"]}
    index = geo.load_indicators(spec["dataset"])
    column = f"{spec['overall']}_decile"
    assert {c: props[c][f"{spec['dataset']}.{column}"] for c in here} == {
        c: int(index.at[c, column]) for c in here}
    assert not any(k.startswith(("iod2025.", "compound.")) for k in props[here[0]])
    # every stored run of the nation, judged over the council: q by hand from the stored p
    q = _stored_outcomes(spec["hotspot_table"], "gi_star:n_domains_worst_decile", here)
    got = pd.Series({c: props[c]["q_gi_star_n_domains_worst_decile"] for c in here})
    np.testing.assert_allclose(got[here].to_numpy(float), q[here].to_numpy(), rtol=1e-9)
    outcome = pd.Series({c: props[c]["outcome_gi_star_n_domains_worst_decile"] for c in here})
    bins = pd.Series({c: props[c]["bin_gi_star_n_domains_worst_decile"] for c in here})
    assert ((outcome == "worse cluster") == (bins > 0)).all()
    assert set(outcome) <= {"worse cluster", "better cluster", "not significant", "not tested"}
    members = set(gh.cluster_names(gh.load_clusters(spec["id"])).index) & set(here)
    assert {c for c in here if props[c]["clusters.name"]} == members
    assert spec["title"] in readme and "mySociety" in readme
    assert doc["oppmap"]["level"] == level
    publishers = {s["publisher"] for s in doc["oppmap"]["sources"]}
    assert {"Welsh Government", "Scottish Government"} & publishers
    assert "England" not in " ".join(s["title"] for s in doc["oppmap"]["sources"]
                                     if s["id"].startswith("iod"))


@pytest.mark.real
def test_a_northern_irish_pack_is_the_council_itself(store):
    import geo

    doc, files, readme, names = _pack("N09000003")  # Belfast
    assert names == ["N09000003_council.csv", "N09000003_council.geojson", "README.txt"]
    (feature,) = doc["features"]
    props = feature["properties"]
    nimdm = geo.load_indicators("nimdm2017").loc["N09000003"]
    assert props["nimdm2017.nimdm_extent"] == pytest.approx(nimdm["nimdm_extent"])
    ukimd = geo.load_indicators("ukimd_la").loc["N09000003"]
    assert props["ukimd_la.uk_imd_score"] == pytest.approx(ukimd["uk_imd_score"])
    assert not any(k.startswith(("hotspot_", "clusters.")) for k in props)
    assert "There are no small areas for Northern Ireland in the mirror" in " ".join(
        readme.split())
    assert "method" not in doc["oppmap"]
    assert len(files["csv"].strip().splitlines()) == 2
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


@pytest.mark.real
@pytest.mark.parametrize(("indicator", "code", "shown"), [
    ("iod2025.imd_score", "W06000015", "wimd2019.wimd_score"),
    ("iod2025.imd_score", "S12000049", "simd2020.simd_rank"),  # SIMD publishes ranks
    ("compound.n_domains_worst_decile", "S12000049", "compound_simd2020.n_domains_worst_decile"),
    ("ukimd_ew.uk_imd_score", "S12000049", "ukimd_s.uk_imd_score"),
    ("census21_deprivation.households_deprived_2plus_pct", "W06000015",
     "census21_deprivation.households_deprived_2plus_pct"),  # Census 2021 covers Wales
])
def test_a_council_is_shown_on_its_own_nations_index(store, indicator, code, shown):
    data = gc.council_view_data(code, indicator)
    assert data["indicator"]["id"] == shown
    assert (data["note"] is None) == (shown == indicator)
    if data["note"]:
        assert "covers England" in data["note"] and "own index" in data["note"]


@pytest.mark.real
def test_area_card_of_a_data_zone_says_no_nan_and_whole_deciles(store):
    import boundaries
    from geo import council_view as gv
    from geo.council_areas import own_deciles

    areas = pd.concat([boundaries.load(level, display="council") for level in ("lsoa21", "dz11")])
    zone = "S01009759"  # Darnley East - 02, Glasgow City
    card = gv.area_card(zone, areas=areas, indicator=gv.OWN_DECILE, values=own_deciles(),
                        outcomes=None, run_name=None, owner=pd.Series(dtype=object))
    text = " | ".join(card["rows"].values())
    assert "nan" not in text.split() and "decile 1" in text and "1.00" not in text
    assert card["rows"].get("Intermediate zone", "Darnley East") == "Darnley East"
    # an area of a table without its intermediate zone: the line is left out, not "nan"
    nameless = areas.loc[[zone]].assign(name=None)
    card = gv.area_card(zone, areas=nameless, indicator=gv.OWN_DECILE, values=own_deciles(),
                        outcomes=None, run_name=None, owner=pd.Series(dtype=object))
    assert "nan" not in " ".join(map(str, card["rows"].values())).split()
