"""Tests of geo.stats.weights: contiguity with islands joined, knn, council subgraphs, id order."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from libpysal.graph import Graph, read_parquet
from numpy.testing import assert_allclose

from boundaries.geography import _read_graph
from geo._errors import DuplicateCodeError, InputError
from geo.stats.weights import (
    build_contiguity,
    ensure_canonical,
    graph_matrix,
    knn_graph,
    subgraph_with_ring,
)

# --------------------------------------------------------------------------- synthetic fixtures


def _path_graph(codes: list[str]) -> Graph:
    heads, tails = [], []
    for a, b in zip(codes[:-1], codes[1:], strict=True):
        heads += [a, b]
        tails += [b, a]
    order = np.lexsort(([codes.index(t) for t in tails], [codes.index(h) for h in heads]))
    return Graph.from_arrays(np.array(heads)[order], np.array(tails)[order],
                             np.ones(len(heads)), transformation="B")


def _neigh(graph: Graph, code: str) -> set[str]:
    row = graph[code]  # Graph.neighbors builds the whole dict (seconds on 33,755 LSOAs)
    return set(row.index[row.to_numpy() != 0])


# --------------------------------------------------------------------------- build_contiguity


def test_contiguity_lattice_links_islands_and_flags(lattice):
    gdf = lattice(3)
    graph, islands = build_contiguity(gdf)
    assert list(graph.unique_ids) == list(gdf.index)
    assert list(islands) == ["I1", "P1", "P2"]
    assert islands.name == "lsoa21_code"
    # queen-like contiguity on the lattice: corner 3, edge 5, centre 8 (+ added island links)
    assert _neigh(graph, "r0c0") == {"r0c1", "r1c0", "r1c1"}
    assert _neigh(graph, "r1c1") == {f"r{r}c{c}" for r in range(3) for c in range(3)} - {"r1c1"}
    assert _neigh(graph, "r0c1") == {"r0c0", "r0c2", "r1c0", "r1c1", "r1c2"}
    # island joined to its 3 nearest (200, 206.2, 250 m; all within 2 x 200 m)
    assert _neigh(graph, "I1") == {"r0c2", "r1c2", "r2c2"}
    # the pair joins the lattice through P1's three shortest pairs
    assert _neigh(graph, "P1") == {"P2", "r2c0", "r2c1", "r2c2"}
    assert _neigh(graph, "P2") == {"P1"}
    # symmetric, binary, connected, no isolates
    assert graph.asymmetry().empty
    assert graph.transformation == "B"
    assert set(graph.adjacency.unique()) == {1.0}
    assert graph.n_components == 1
    assert len(graph.isolates) == 0


def test_contiguity_link_cap_and_stretch(lattice):
    gdf = lattice(3)
    one, _ = build_contiguity(gdf, n_links=1)
    assert _neigh(one, "I1") == {"r0c2"}
    assert _neigh(one, "P1") == {"P2", "r2c0"}
    # max_stretch 1.1: limit max(1.1 * 200, 201) = 220 m keeps 200 and 206.2 m, drops 250 m
    tight, _ = build_contiguity(gdf, n_links=3, max_stretch=1.1)
    assert _neigh(tight, "I1") == {"r0c2", "r1c2"}


def test_contiguity_without_joining_keeps_isolates_and_components(lattice):
    gdf = lattice(3)
    graph, islands = build_contiguity(gdf, connect_islands=False)
    assert list(graph.unique_ids) == list(gdf.index)
    assert list(graph.isolates) == ["I1"]
    assert graph.n_components == 3
    assert list(islands) == ["I1", "P1", "P2"]


def test_contiguity_row_order_follows_input(lattice):
    gdf = lattice(3).iloc[::-1]
    graph, islands = build_contiguity(gdf)
    assert list(graph.unique_ids) == list(gdf.index)
    assert list(islands) == ["P2", "P1", "I1"]
    assert _neigh(graph, "I1") == {"r0c2", "r1c2", "r2c2"}


def test_contiguity_refuses_geographic_crs(lattice):
    gdf = lattice(3).set_crs(4326, allow_override=True)
    with pytest.raises(InputError, match=r"geographic.*to_crs\(27700\)"):
        build_contiguity(gdf)


def test_contiguity_refuses_missing_crs_duplicates_and_empty_geometry(lattice):
    gdf = lattice(3)
    with pytest.raises(InputError, match="no CRS"):
        build_contiguity(gdf.set_crs(None, allow_override=True))
    dup = gdf.rename(index={"r0c1": "r0c0"})
    with pytest.raises(DuplicateCodeError, match="r0c0"):
        build_contiguity(dup)
    empty = gdf.copy()
    empty.loc["r2c2", "geometry"] = shapely.Polygon()
    with pytest.raises(InputError, match=r"missing or empty geometry \(r2c2\)"):
        build_contiguity(empty)
    with pytest.raises(InputError, match="GeoDataFrame or GeoSeries"):
        build_contiguity(pd.DataFrame(gdf.drop(columns="geometry")))
    with pytest.raises(InputError, match="n_links"):
        build_contiguity(gdf, n_links=0)


# --------------------------------------------------------------------------- knn


def test_knn_graph_hand_computed():
    pts = gpd.GeoSeries.from_xy([0, 1, 3, 7, 15], [0] * 5, index=list("abcde"), crs=27700)
    g1 = knn_graph(pts, k=1)
    assert {c: _neigh(g1, c) for c in "abcde"} == {
        "a": {"b"}, "b": {"a"}, "c": {"b"}, "d": {"c"}, "e": {"d"}}
    g2 = knn_graph(pts, k=2)
    assert {c: _neigh(g2, c) for c in "abcde"} == {
        "a": {"b", "c"}, "b": {"a", "c"}, "c": {"a", "b"}, "d": {"b", "c"}, "e": {"c", "d"}}
    assert list(g2.unique_ids) == list("abcde")
    assert (g2.cardinalities == 2).all()
    assert g2.transformation == "B"


def test_knn_graph_validates_k_and_crs(lattice):
    gdf = lattice(3)
    with pytest.raises(InputError, match=r"`k` must be an integer from 1 to 11"):
        knn_graph(gdf, k=12)
    with pytest.raises(InputError, match="geographic"):
        knn_graph(gdf.to_crs(4326), k=2)


# --------------------------------------------------------------------------- subgraph_with_ring


def test_subgraph_with_ring_on_a_path():
    g = _path_graph(list("abcdefg"))
    sub, focus = subgraph_with_ring(g, ["d"], rings=1)
    assert list(sub.unique_ids) == ["c", "d", "e"]
    assert focus.tolist() == [False, True, False]
    sub2, focus2 = subgraph_with_ring(g, ["d", "e"], rings=2)
    assert list(sub2.unique_ids) == list("bcdefg")
    assert focus2[focus2].index.tolist() == ["d", "e"]
    # the focus areas keep their full neighbourhood
    assert _neigh(sub2, "d") == _neigh(g, "d")
    sub0, _ = subgraph_with_ring(g, "d", rings=0)
    assert list(sub0.unique_ids) == ["d"]


def test_subgraph_with_ring_unknown_codes():
    g = _path_graph(list("abc"))
    with pytest.raises(InputError, match=r"2 codes that are not in the graph: x, y"):
        subgraph_with_ring(g, ["a", "x", "y"])
    with pytest.raises(InputError, match="rings"):
        subgraph_with_ring(g, ["a"], rings=-1)


# --------------------------------------------------------------------------- Parquet round trip


def test_parquet_round_trip_keeps_ids_weights_and_matrix(tmp_path, lattice):
    gdf = lattice(3).iloc[[5, 0, 11, 3, 9, 1, 10, 2, 8, 4, 7, 6]]  # unsorted ids
    graph, _ = build_contiguity(gdf)
    graph.to_parquet(tmp_path / "g.parquet")
    # libpysal's read_parquet restores sorted MultiIndex levels, so its .sparse rows follow the
    # sorted codes, not unique_ids; ensure_canonical (and the store's reader,
    # boundaries.load_graph, with the same guard) rebuild it for positional consumers (esda).
    bare = read_parquet(tmp_path / "g.parquet")
    for back in (ensure_canonical(bare), _read_graph(str(tmp_path / "g.parquet"), 0.0)):
        assert list(back.unique_ids) == list(graph.unique_ids)
        assert back.transformation == "B"
        pd.testing.assert_series_equal(back.adjacency, graph.adjacency)
        assert_allclose(back.sparse.toarray(), graph.sparse.toarray())
    assert_allclose(graph_matrix(bare).toarray(), graph_matrix(graph).toarray())


def test_ensure_canonical_fixes_a_bare_read_parquet(tmp_path):
    g = _path_graph(["d", "b", "a", "c"])
    g.to_parquet(tmp_path / "g.parquet")
    bare = read_parquet(tmp_path / "g.parquet")
    fixed = ensure_canonical(bare)
    expected = np.array([[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 0]], dtype=float)
    assert list(fixed.unique_ids) == ["d", "b", "a", "c"]
    assert_allclose(fixed.sparse.toarray(), expected)
    assert ensure_canonical(fixed) is fixed


# --------------------------------------------------------------------------- real data


@pytest.mark.real
def test_lad24_islands_on_the_real_boundaries(mirror):
    lad = gpd.read_file(mirror / "boundaries" / "lad24_uk_buc.gpkg").set_index("LAD24CD")
    lad = lad.to_crs(27700)
    graph, islands = build_contiguity(lad)
    expected_isolated = {"E06000046", "E06000053", "S12000023", "S12000027", "S12000013",
                         "W06000001"}
    northern_ireland = {c for c in lad.index if c.startswith("N09")}
    assert len(northern_ireland) == 11
    assert set(islands) == expected_isolated | northern_ireland
    assert graph.n_components == 1 and len(graph.isolates) == 0
    assert graph.asymmetry().empty
    # the joins go to the nearest mainland councils
    assert _neigh(graph, "E06000053") == {"E06000052"}  # Isles of Scilly - Cornwall
    assert "W06000002" in _neigh(graph, "W06000001")  # Anglesey - Gwynedd
    assert "E07000091" in _neigh(graph, "E06000046")  # Isle of Wight - New Forest


@pytest.mark.real
def test_lsoa21_england_graph_has_no_isolates(mirror):
    lsoa = gpd.read_file(mirror / "boundaries" / "lsoa21_ew_bsc.gpkg").set_index("LSOA21CD")
    eng = lsoa[lsoa.index.str.startswith("E")].to_crs(27700)
    assert len(eng) == 33755
    graph, islands = build_contiguity(eng)
    assert graph.n == 33755 and list(graph.unique_ids) == list(eng.index)
    assert len(graph.isolates) == 0 and graph.n_components == 1
    # Isles of Scilly is a single LSOA in 2021, joined to the nearest Cornwall LSOAs
    assert "E01019077" in islands
    cornwall = set(eng.index[eng["LSOA21NM"].str.startswith("Cornwall")])
    assert 1 <= len(_neigh(graph, "E01019077")) <= 3
    assert _neigh(graph, "E01019077") <= cornwall
    wight = eng.index[eng["LSOA21NM"].str.startswith("Isle of Wight")]
    assert len(wight) == 89 and set(wight) <= set(islands)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert graph.asymmetry().empty
