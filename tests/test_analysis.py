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
