"""Tests of geo.analysis and the ``hotspots`` / ``clusters`` commands on the built store.

Expected values come from the store itself (its national runs and clusters) or are computed
independently here (Benjamini-Hochberg over a council's p-values, connectivity of clusters).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy.sparse.csgraph import connected_components

from geo.stats.fdr import fdr_bh
from geo.stats.runs import hotspot_run_id, select_run
from geo.stats.weights import graph_matrix

BRADFORD = "E08000032"

pytestmark = pytest.mark.real


def _main(*args: str) -> int:
    from geo.cli.parser import main

    return main(list(args))


@pytest.fixture(scope="module")
def national(store):
    import geo

    long = geo.load_indicators("hotspots_lsoa21")
    return select_run(long, hotspot_run_id("gi_star", "imd_score"))


@pytest.fixture(scope="module")
def bradford(store) -> pd.Index:
    import boundaries

    lsoa = boundaries.load("lsoa21")
    return lsoa.index[(lsoa["lad24_code"] == BRADFORD).to_numpy()]


def test_the_store_keeps_outcomes_bins_and_global_statistics(national):
    assert {"outcome", "bin", "robust", "z_against_tail"} <= set(national.columns)
    assert national["outcome"].isin(["worse cluster", "better cluster", "not significant",
                                     "not tested"]).all()
    assert national.attrs["polarity"] == "higher_worse"
    g = national.attrs["global"]
    assert g["moran_i"] > 0 and g["moran_p"] == pytest.approx(2 / (g["permutations"] + 1))
    spots = national["bin"] != 0
    assert (national.loc[spots, "outcome"] == np.where(
        national.loc[spots, "label"].str.startswith("hot"), "worse cluster", "better cluster")).all()


def test_cli_reads_the_stored_run_when_the_parameters_match(national, tmp_path, capsys):
    out = tmp_path / "imd.csv"
    assert _main("hotspots", "--indicator", "iod2025.imd_score", "--out", str(out)) == 0
    assert "read, not recomputed" in capsys.readouterr().err
    table = pd.read_csv(out, index_col="code")
    assert (table["label"] == national["label"].reindex(table.index)).all()
    assert (table["outcome"] == national["outcome"].reindex(table.index)).all()
    assert_allclose(table["p"], national["p"].reindex(table.index))
    readme = (tmp_path / "imd.csv.README.txt").read_text()
    assert "moran_i" in readme and "general_g" in readme


def test_within_a_council_keeps_the_national_z_and_p(national, bradford, tmp_path, capsys):
    out = tmp_path / "bradford.csv"
    assert _main("hotspots", "--indicator", "iod2025.imd_score", "--within", BRADFORD,
                 "--out", str(out)) == 0
    assert "national reference" in capsys.readouterr().err
    table = pd.read_csv(out, index_col="code")
    assert set(table.index) == set(bradford)
    assert list(table.columns) == ["value", "statistic", "p", "q", "label", "outcome", "bin",
                                   "robust", "z_against_tail"]
    ref = national.reindex(table.index)
    assert_allclose(table["statistic"], ref["statistic"], rtol=1e-12)
    assert_allclose(table["p"], ref["p"], rtol=1e-12)
    assert_allclose(table["q"], fdr_bh(ref["p"].to_numpy()), rtol=1e-12)  # the council's family
    hot = table["outcome"] == "worse cluster"
    assert hot.sum() > 0 and table.loc[hot, "robust"].notna().all()
    assert table.loc[table["outcome"] == "not significant", "robust"].isna().all()


def test_within_a_region_and_the_local_reference(bradford, tmp_path, capsys):
    from geo.analysis import hotspot_table

    table, info = hotspot_table("iod2025.imd_score", within=BRADFORD, reference="local",
                                permutations=999, robust=False)
    assert set(table["code"]) == set(bradford) and "local reference" in info["reference"]
    assert "ring neighbours" in " ".join(info["notes"])
    region, info = hotspot_table("iod2025.imd_score", within="E12000003", robust=False)
    assert "region" in info["within"] and len(region) > len(table)
    out = tmp_path / "local.csv"
    assert _main("hotspots", "--indicator", "iod2025.imd_score", "--within", BRADFORD,
                 "--reference", "local", "--permutations", "999", "--no-robust",
                 "--out", str(out)) == 0
    assert "local reference" in (tmp_path / "local.csv.README.txt").read_text()


def test_a_higher_is_better_indicator_is_oriented(store):
    from geo.analysis import hotspot_table

    rank, info = hotspot_table("iod2025.imd_rank", permutations=999, robust=False)
    score, _ = hotspot_table("iod2025.imd_score", permutations=999, robust=False)
    assert info["polarity"] == "higher_better"
    rank, score = rank.set_index("code"), score.set_index("code")
    worse = rank["outcome"] == "worse cluster"
    # worse clusters of the rank (1 = most deprived) are clusters of low ranks: cold spots
    assert worse.sum() > 0 and rank.loc[worse, "label"].str.startswith("cold").all()
    assert rank.loc[worse, "value"].median() < rank["value"].median()
    assert score.loc[worse[worse].index, "value"].mean() > score["value"].mean()
    assert (rank.loc[worse, "bin"] > 0).all()


def test_too_few_permutations_warn(store, tmp_path):
    from geo.stats import PermutationFloorWarning

    out = tmp_path / "few.csv"
    with pytest.warns(PermutationFloorWarning, match="use at least") as record:
        assert _main("hotspots", "--indicator", "compound.n_domains_worst_decile",
                     "--permutations", "99", "--out", str(out)) == 0
    assert len([w for w in record if w.category is PermutationFloorWarning]) == 1
    assert "permutations_needed" in (tmp_path / "few.csv.README.txt").read_text()


def test_cli_unknown_indicator_exits_2_and_lists_names(store, tmp_path, capsys):
    out = tmp_path / "x.csv"
    assert _main("hotspots", "--indicator", "iod2025.imd_scor", "--out", str(out)) == 2
    err = capsys.readouterr().err
    assert "not in the catalogue" in err and "iod2025.imd_score" in err
    assert not out.exists()
    assert _main("hotspots", "--indicator", "iod2025.imd_score", "--out",
                 str(tmp_path / "x.txt")) == 2
    assert _main("hotspots", "--indicator", "iod2025.imd_score", "--level", "lad24",
                 "--out", str(out)) == 2
    assert _main("hotspots", "--indicator", "iod2025.imd_score", "--within", "E0800003",
                 "--out", str(out)) == 2
    assert "did you mean" in capsys.readouterr().err
    assert not out.exists()


def test_cli_clusters_within_a_council(store, bradford, tmp_path):
    import geo

    out = tmp_path / "clusters.csv"
    assert _main("clusters", "--within", BRADFORD, "--out", str(out)) == 0
    clusters = pd.read_csv(out, index_col="cluster_id")
    stored = geo.load_indicators("clusters")
    assert set(clusters.index) <= set(stored.index) and len(clusters) >= 1
    assert all(set(codes.split(";")) & set(bradford) for codes in clusters["lsoa_codes"])
    assert (clusters["population"].diff().dropna() <= 0).all()
    assert clusters["lsoa_codes"].str.split(";").map(len).sum() == clusters["n_lsoas"].sum()
    assert (clusters["n_compounded"] <= clusters["n_lsoas"]).all()


def test_clusters_made_now_from_the_stored_run_equal_the_stored_ones(store):
    import geo
    from geo.analysis import cluster_table

    stored = geo.load_indicators("clusters")
    clusters, info = cluster_table()  # the stored run, clustered again here
    assert "read, not recomputed" in info["source"]
    assert sorted(clusters["lsoa_codes"]) == sorted(stored["lsoa_codes"])
    assert list(clusters.index) == list(range(1, len(clusters) + 1))


def test_no_cluster_crosses_water(store):
    """Every stored cluster is connected through real contiguity (polygons that touch), never
    through the links that join islands such as the Isle of Wight to the mainland."""
    import boundaries
    import geo
    from geo.analysis import touching_graph
    from geo.stats import cluster_members

    graph, links = touching_graph(boundaries.load_graph("lsoa21_en"))
    assert len(links) > 0  # the store's graph does join islands
    owner = cluster_members(geo.load_indicators("clusters"))
    adjacency = graph_matrix(graph)
    for _cluster, members in owner.groupby(owner):
        pos = graph.unique_ids.get_indexer(members.index)
        n, _ = connected_components(adjacency[pos][:, pos], directed=False)
        assert n == 1, f"cluster {_cluster} is not connected over land"
    lsoa = boundaries.load("lsoa21")
    wight = set(lsoa.index[(lsoa["lad24_name"] == "Isle of Wight").to_numpy()])
    for _cluster, members in owner.groupby(owner):
        inside = set(members.index) & wight
        assert not inside or inside == set(members.index)


def test_exported_properties_are_numbers(store, bradford, tmp_path):
    out = tmp_path / "clusters.geojson"
    assert _main("clusters", "--within", BRADFORD, "--out", str(out)) == 0
    props = [f["properties"] for f in json.loads(out.read_text())["features"]]
    assert props
    for p in props:
        for key in ("n_lsoas", "population", "n_compounded"):
            assert isinstance(p[key], int), (key, p[key])
        assert isinstance(p["share_compounded"], float) and isinstance(p["name"], str)
    spots = tmp_path / "spots.geojson"
    assert _main("hotspots", "--indicator", "iod2025.imd_score", "--within", BRADFORD,
                 "--out", str(spots)) == 0
    for f in json.loads(spots.read_text())["features"]:
        p = f["properties"]
        assert isinstance(p["bin"], int) and isinstance(p["p"], float)
        assert p["robust"] in (True, False, None)


@pytest.mark.parametrize("command", ["hotspots", "clusters"])
def test_help_names_every_default(store, command):
    import argparse

    from geo.cli.parser import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    parser = sub.choices[command]
    options = [a for a in parser._actions if a.option_strings and a.dest != "help"]
    assert options
    for action in options:
        assert "default" in action.help or "required" in action.help, action.option_strings
    flags = {o for a in options for o in a.option_strings}
    if command == "clusters":
        assert "--alpha" not in flags  # --confidence alone says which members count
    else:
        assert {"--alpha", "--reference", "--within", "--permutations", "--seed"} <= flags


# ----------------------------------------------------------------------------- nations

CARDIFF, GLASGOW, BELFAST = "W06000015", "S12000049", "N09000003"


def _stored(indicator: str, method: str = "gi_star") -> pd.DataFrame:
    """The store's national run of a catalogue id, from its index's own table."""
    import geo
    from geo.data.nations import national_indices

    dataset, column = indicator.split(".")
    table = next(spec["hotspot_table"] for spec in national_indices().values()
                 if dataset in (spec.get("dataset"), spec.get("compound")))
    return select_run(geo.load_indicators(table), hotspot_run_id(method, column))


def _members(code: str, level: str) -> set[str]:
    import boundaries

    areas = boundaries.load(level)
    return set(areas.index[(areas["lad24_code"] == code).to_numpy()])


@pytest.mark.parametrize(("indicator", "graph", "letter"), [
    ("wimd2019.wimd_score", "lsoa21_wa", "W"),
    ("compound_wimd2019.n_domains_worst_decile", "lsoa21_wa", "W"),
    ("simd2020.simd_rank", "dz11", "S"),
])
def test_welsh_and_scottish_cli_runs_read_their_nations_stored_run(store, tmp_path, capsys,
                                                                    indicator, graph, letter):
    from geo.data.nations import index_spec

    out = tmp_path / "run.csv"
    assert _main("hotspots", "--indicator", indicator, "--out", str(out)) == 0
    err = capsys.readouterr().err
    assert "read, not recomputed" in err and f"graph {graph}," in err
    national = _stored(indicator)
    table = pd.read_csv(out, index_col="code")
    assert set(table.index) == set(national.index)
    assert {str(c)[0] for c in table.index} == {letter}
    assert (table["outcome"] == national["outcome"].reindex(table.index)).all()
    assert_allclose(table["statistic"], national["statistic"].reindex(table.index), rtol=1e-12)
    assert_allclose(table["p"], national["p"].reindex(table.index))
    readme = (tmp_path / "run.csv.README.txt").read_text()
    index = "wimd2019" if letter == "W" else "simd2020"
    spec = index_spec(index)
    assert f"{index}: {spec['title']}" in readme and spec["small_areas"] in readme
    assert "not comparable across nations" in readme and "vintage" in readme


def test_a_higher_is_better_scottish_rank_is_oriented(store):
    from geo.analysis import hotspot_table

    table, info = hotspot_table("simd2020.simd_rank", robust=False)
    assert info["polarity"] == "higher_better" and info["graph"] == "dz11"
    worse = table["outcome"] == "worse cluster"
    # SIMD rank 1 is the most deprived: worse clusters are clusters of low ranks (cold spots)
    assert worse.sum() > 0 and table.loc[worse, "label"].str.startswith("cold").all()
    assert table.loc[worse, "value"].median() < table["value"].median()


@pytest.mark.parametrize(("indicator", "graph", "letters"), [
    ("wimd2019.income_score", "lsoa21_wa", {"W"}),
    ("simd2020.income_rank", "dz11", {"S"}),
    ("ukimd_s.uk_imd_score", "dz11", {"S"}),
    ("census21_deprivation.households_deprived_2plus_pct", "lsoa21", {"E", "W"}),
])
def test_fresh_cli_runs_stay_on_their_nations_graph(store, tmp_path, capsys, indicator, graph,
                                                   letters):
    """A run the store does not keep is computed on the graph of the nations its values cover,
    and its z equals the statistic computed here on that stored graph alone."""
    import boundaries
    from geo.analysis import indicator_values
    from geo.stats.local import local_method

    out = tmp_path / "fresh.csv"
    assert _main("hotspots", "--indicator", indicator, "--permutations", "999", "--no-robust",
                 "--out", str(out)) == 0
    err = capsys.readouterr().err
    assert "computed now" in err and f"graph {graph}," in err
    table = pd.read_csv(out, index_col="code")
    values, meta = indicator_values(indicator)
    values = values.dropna()
    assert set(table.index) == set(values.index)
    assert {c[0] for c in table.index} == letters
    g = boundaries.load_graph(graph)
    g = g.subgraph(g.unique_ids[g.unique_ids.isin(values.index)])
    ref = local_method("gi_star").run(values.reindex(g.unique_ids), g,
                                      polarity=str(meta["polarity"]), permutations=0)
    assert_allclose(table["statistic"].reindex(ref.index), ref["statistic"], rtol=1e-10)
    assert "not comparable across nations" in (tmp_path / "fresh.csv.README.txt").read_text()


@pytest.mark.parametrize(("indicator", "council", "level", "nation"), [
    ("wimd2019.wimd_score", CARDIFF, "lsoa21", "Wales"),
    ("simd2020.simd_rank", GLASGOW, "dz11", "Scotland"),
])
def test_within_a_welsh_or_scottish_council_keeps_its_nations_z_and_p(store, tmp_path, capsys,
                                                                      indicator, council, level,
                                                                      nation):
    out = tmp_path / "council.csv"
    assert _main("hotspots", "--indicator", indicator, "--within", council,
                 "--out", str(out)) == 0
    err = capsys.readouterr().err
    assert "national reference" in err and f"national run of {nation}" in err
    table = pd.read_csv(out, index_col="code")
    national = _stored(indicator)
    assert set(table.index) == _members(council, level) & set(national.index)
    ref = national.reindex(table.index)
    assert_allclose(table["statistic"], ref["statistic"], rtol=1e-12)
    assert_allclose(table["p"], ref["p"], rtol=1e-12)
    assert_allclose(table["q"], fdr_bh(ref["p"].to_numpy()), rtol=1e-12)  # the council's family
    assert (table["outcome"] != "not significant").any()


def test_the_local_reference_in_a_scottish_council(store):
    from geo.analysis import hotspot_table

    table, info = hotspot_table("simd2020.simd_rank", within=GLASGOW, reference="local",
                                permutations=999, robust=False)
    assert set(table["code"]) == _members(GLASGOW, "dz11")
    assert "local reference" in info["reference"] and "data zones" in " ".join(info["notes"])


@pytest.mark.parametrize(("args", "words"), [
    (("hotspots", "--indicator", "iod2025.imd_score", "--within", CARDIFF),
     ["Cardiff", "is in Wales", "covers England only", "wimd2019.*"]),
    (("hotspots", "--indicator", "wimd2019.wimd_score", "--within", GLASGOW),
     ["Glasgow City", "is in Scotland", "covers Wales only", "simd2020.*"]),
    (("hotspots", "--indicator", "simd2020.simd_rank", "--within", BRADFORD),
     ["Bradford", "is in England", "covers Scotland only", "iod2025.*"]),
    (("hotspots", "--indicator", "census21_deprivation.households_deprived_2plus_pct",
      "--within", GLASGOW), ["covers England and Wales only", "simd2020.*"]),
    (("hotspots", "--indicator", "iod2025.imd_score", "--within", BELFAST),
     ["Belfast", "Northern Ireland", "no small areas", "nimdm2017"]),
    (("hotspots", "--indicator", "nimdm2017.nimdm_extent"),
     ["covers Northern Ireland only", "no small areas", "council level"]),
    (("clusters", "--within", BELFAST), ["Belfast", "no small areas"]),
    (("clusters", "--index", "nimdm2017"), ["Northern Ireland", "no small areas"]),
    (("clusters", "--index", "wimd2019", "--within", GLASGOW), ["is in Scotland", "simd2020.*"]),
    (("clusters", "--index", "wimd2019", "--indicator", "iod2025.imd_score"),
     ["does not go with", "wimd2019"]),
])
def test_uncovered_places_and_nations_are_refused_in_one_sentence(store, tmp_path, capsys, args,
                                                                  words):
    out = tmp_path / "refused.csv"
    assert _main(*args, "--out", str(out)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ")
    for word in words:
        assert word in err, (word, err)
    assert "0 hot spots" not in err and "not significant" not in err
    assert not out.exists()


def test_welsh_and_scottish_clusters_come_from_the_store(store, tmp_path, capsys):
    import geo

    out = tmp_path / "wales.csv"
    assert _main("clusters", "--index", "wimd2019", "--out", str(out)) == 0
    assert "clusters_wimd2019" in capsys.readouterr().err
    stored = geo.load_indicators("clusters_wimd2019")
    table = pd.read_csv(out, index_col="cluster_id")
    assert list(table["lsoa_codes"]) == list(stored["lsoa_codes"])
    assert "population_known: true" in (tmp_path / "wales.csv.README.txt").read_text()
    # --within alone takes the index of the place's nation
    out = tmp_path / "glasgow.csv"
    assert _main("clusters", "--within", GLASGOW, "--out", str(out)) == 0
    err = capsys.readouterr().err
    assert "clusters_simd2020" in err and "count of data zones" in err
    glasgow = pd.read_csv(out, index_col="cluster_id")
    stored = geo.load_indicators("clusters_simd2020")
    members = _members(GLASGOW, "dz11")
    reaching = [i for i, codes in stored["lsoa_codes"].items() if set(codes.split(";")) & members]
    assert list(glasgow.index) == reaching and reaching
    assert (glasgow["population"] == glasgow["n_lsoas"]).all()  # a count of data zones
    readme = (tmp_path / "glasgow.csv.README.txt").read_text()
    assert "population_known: false" in readme and "count of data zones" in readme
    assert "not comparable across nations" in readme and "SIMD 2020" in readme


@pytest.mark.parametrize("index", ["wimd2019", "simd2020"])
def test_nation_clusters_made_now_equal_the_stored_ones(store, index):
    """Clustering the stored run again here (lsoa_info of the nation's own index) gives the
    build's clusters: the same members, names and populations."""
    import geo
    from geo.analysis import cluster_indicator, cluster_table
    from geo.data.nations import index_spec

    stored = geo.load_indicators(index_spec(index)["cluster_table"])
    clusters, info = cluster_table(cluster_indicator(index))
    assert "read, not recomputed" in info["source"]
    assert info["population_known"] == (index == "wimd2019")
    pd.testing.assert_frame_equal(clusters.reset_index(drop=True), stored.reset_index(drop=True),
                                  check_dtype=False)


def test_no_scottish_cluster_crosses_water(store):
    import boundaries
    import geo
    from geo.analysis import touching_graph
    from geo.stats import cluster_members

    graph, links = touching_graph(boundaries.load_graph("dz11"), level="dz11")
    assert len(links) > 0  # Orkney, Shetland, the Western Isles... are joined for inference
    owner = cluster_members(geo.load_indicators("clusters_simd2020"))
    adjacency = graph_matrix(graph)
    for cluster, members in owner.groupby(owner):
        pos = graph.unique_ids.get_indexer(members.index)
        assert (pos >= 0).all()
        n, _ = connected_components(adjacency[pos][:, pos], directed=False)
        assert n == 1, f"cluster {cluster} is not connected over land"


def test_scottish_exports_write_numbers_as_numbers(store, tmp_path):
    out = tmp_path / "clusters.geojson"
    assert _main("clusters", "--index", "simd2020", "--within", GLASGOW, "--out", str(out)) == 0
    props = [f["properties"] for f in json.loads(out.read_text())["features"]]
    assert props
    for p in props:
        for key in ("n_lsoas", "population", "n_compounded"):
            assert isinstance(p[key], int), (key, p[key])
        assert isinstance(p["share_compounded"], float) and isinstance(p["peak_statistic"], float)
    spots = tmp_path / "spots.geojson"
    assert _main("hotspots", "--indicator", "simd2020.simd_rank", "--within", GLASGOW,
                 "--out", str(spots)) == 0
    features = json.loads(spots.read_text())["features"]
    assert len(features) == len(_members(GLASGOW, "dz11"))
    for f in features:
        p = f["properties"]
        assert isinstance(p["bin"], int) and isinstance(p["p"], float)
        assert isinstance(p["value"], float) and p["robust"] in (True, False, None)


def test_a_places_hotspots_in_every_nation(store):
    """The app's call: each council on its own nation's index, Northern Ireland with a reason."""
    from geo.analysis import cluster_indicator, place_hotspots

    for code, index in ((BRADFORD, "iod2025"), (CARDIFF, "wimd2019"), (GLASGOW, "simd2020")):
        view = place_hotspots(code)
        assert view["covered"] and view["reason"] is None and view["index"] == index
        assert view["indicator"] == cluster_indicator(index)
        national = _stored(view["indicator"])
        table = view["table"].set_index("code")
        assert set(table.index) == _members(code, view["level"]) & set(national.index)
        assert_allclose(table["statistic"], national["statistic"].reindex(table.index))
        assert view["info"]["outcomes"] == table["outcome"].value_counts().to_dict()
        assert view["clusters_info"]["population_known"] == (index != "simd2020")
    belfast = place_hotspots(BELFAST)
    assert not belfast["covered"] and belfast["table"] is None and belfast["clusters"] is None
    assert "no small areas" in belfast["reason"] and belfast["nation"] == "Northern Ireland"
    wrong = place_hotspots(CARDIFF, indicator="iod2025.imd_score")
    assert not wrong["covered"] and "wimd2019.*" in wrong["reason"] and wrong["table"] is None


def test_graphs_follow_the_nations_of_the_values(store):
    from geo.analysis import graph_for, nations_of

    assert graph_for("lsoa21", ["E"]) == "lsoa21_en" and graph_for("lsoa21", ["W"]) == "lsoa21_wa"
    assert graph_for("lsoa21", ["E", "W"]) == "lsoa21" and graph_for("dz11", ["S"]) == "dz11"
    assert graph_for("utla24", ["E"]) is None
    assert nations_of(["S01006506", "W01000003", "95AA01S1"]) == ["W", "S", "N"]
