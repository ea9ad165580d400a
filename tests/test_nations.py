"""Four nations, each on its own index: bins, carry, best fit, catalogue, and the store.

The fast tests build tiny synthetic data. The ``real`` tests compare the store with the
published Welsh and Scottish council figures of the mirror (expected values read from those
official files, never copied), and check that every UK council has its nation's summaries.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import boundaries
import geo
from geo._errors import InputError, SchemaError
from geo.data.nations import (
    COMPOUND_THRESHOLD,
    NATION_CODES,
    hotspot_inputs,
    index_of_nation,
    index_spec,
    index_summaries,
    national_indices,
)
from geo.data.sources import NATIONS, attribution_lines, registry
from geo.stats.carry import carry_lsoa11_to_lsoa21
from geo.stats.devolved import equal_count_bins, summarise_national_index

# ----------------------------------------------------------------------------- equal-count bins


@pytest.mark.parametrize(("n", "bins"), [(1909, 10), (6976, 10), (1909, 100), (7, 3), (3, 10)])
def test_equal_count_bins_put_larger_bins_first(n, bins):
    ranks = np.arange(1, n + 1, dtype=float)
    got = equal_count_bins(ranks, n_bins=bins)
    sizes = np.bincount(got)[1:]
    expected = [n // bins + (1 if i < n % bins else 0) for i in range(min(bins, n))]
    assert sizes.tolist() == expected
    assert (np.diff(got) >= 0).all()  # monotone in rank


def test_equal_count_bins_do_not_depend_on_row_order():
    rng = np.random.default_rng(1)
    ranks = np.arange(1, 1910, dtype=float)
    order = rng.permutation(len(ranks))
    np.testing.assert_array_equal(equal_count_bins(ranks[order], n_bins=10),
                                  equal_count_bins(ranks, n_bins=10)[order])


def test_equal_count_bins_refuse_nan_and_bad_bins():
    with pytest.raises(InputError, match="NaN"):
        equal_count_bins([1.0, np.nan], n_bins=2)
    with pytest.raises(InputError, match="n_bins"):
        equal_count_bins([1.0, 2.0], n_bins=0)


# ----------------------------------------------------------------------------- devolved summaries


def _nation(n: int = 40) -> pd.DataFrame:
    idx = pd.Index([f"W{i:03d}" for i in range(n)], name="lsoa11_code")
    rank = np.arange(1, n + 1, dtype=float)
    return pd.DataFrame({"imd_rank": rank, "imd_score": 100.0 - rank}, index=idx)


def test_national_summaries_use_the_published_decile_for_the_proportion():
    table = _nation()
    parent = pd.Series(["A"] * 20 + ["B"] * 20, index=table.index, name="lad24_code")
    weights = pd.Series(1.0, index=table.index)
    # equal-count deciles of 40 ranks: 4 areas each; the publisher's decile 1 holds 5 here
    table["imd_decile"] = equal_count_bins(table["imd_rank"], n_bins=10)
    table.loc[table.index[4], "imd_decile"] = 1
    out = summarise_national_index(table, parent=parent, population=weights, n_ranked=40)
    assert out.loc["A", "imd_proportion_most_deprived_10"] == pytest.approx(5 / 20)
    assert out.loc["B", "imd_proportion_most_deprived_10"] == 0
    # extent on equal-count percentiles: 40 ranks, 100 bins -> ranks 1..40 are percentiles 1..40
    pct = np.arange(1, 21)
    w = np.where(pct <= 10, 1.0, 0.95 - 0.9 * (pct - 11) / 19)
    assert out.loc["A", "imd_extent"] == pytest.approx(w.mean())
    assert out.loc["A", "imd_average_score"] == pytest.approx(table["imd_score"][:20].mean())
    assert out.attrs["bins"] == "equal_count"


def test_national_summaries_need_every_ranked_area_and_one_weight_series():
    table = _nation()
    parent = pd.Series("A", index=table.index, name="lad24_code")
    with pytest.raises(InputError, match="every ranked"):
        summarise_national_index(table.iloc[:30], parent=parent.iloc[:30],
                                 population=pd.Series(1.0, index=table.index[:30]), n_ranked=40)
    with pytest.raises(InputError, match="one Series"):
        summarise_national_index(table, parent=parent, population=table[["imd_score"]],
                                 n_ranked=40)


# ----------------------------------------------------------------------------- carry


def test_carry_inherits_unchanged_and_averages_merged_lsoas_of_wales():
    table = pd.DataFrame({"wimd_score": [10.0, 20.0, 40.0], "wimd_rank": [3.0, 2.0, 1.0],
                          "wimd_decile": [3, 2, 1]}, index=["W1", "W2", "W3"])
    lookup = pd.DataFrame({"lsoa11_code": ["W1", "W2", "W3", "E9"],
                           "change_code": ["U", "M", "M", "U"],
                           "lsoa21_code": ["W21", "W22", "W22", "E21"]})
    pop = pd.Series([5.0, 1.0, 3.0], index=table.index)
    out = carry_lsoa11_to_lsoa21(table, lookup, pop, nations="W")
    assert list(out.index) == ["W21", "W22"]  # English rows left out
    assert out.loc["W21", "wimd_score"] == 10.0 and out.loc["W21", "lookup_rule"] == "U"
    assert out.loc["W22", "wimd_score"] == pytest.approx((1 * 20 + 3 * 40) / 4)
    assert out.loc["W22", "wimd_rank"] == pytest.approx((1 * 2 + 3 * 1) / 4)
    # mean rank 1.25: the first native area ranked at or after it has rank 2, decile 2
    assert out.loc["W22", "wimd_decile"] == 2
    assert out.loc["W22", "n_parents_2011"] == 2
    with pytest.raises(InputError, match="nations"):
        carry_lsoa11_to_lsoa21(table, lookup, pop, nations="S")


# ----------------------------------------------------------------------------- best fit


def test_best_fit_names_the_council_with_most_area_and_flags_straddlers():
    kids = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10),
                                      shapely.box(15, 0, 25, 10)],
                            index=pd.Index(["a", "b", "c"], name="dz11_code"), crs=27700)
    councils = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 19.5, 10), shapely.box(19.5, 0, 40, 10)],
                                index=pd.Index(["P", "Q"], name="lad24_code"), crs=27700)
    fit = boundaries.best_fit(kids, councils)
    assert fit["lad24_code"].tolist() == ["P", "P", "Q"]
    assert fit["straddles"].tolist() == [False, False, True]  # b has 5% in Q, c 45% in P
    assert fit.loc["c", "share"] == pytest.approx(0.55)
    assert fit.loc["c", "second_code"] == "P"
    outside = kids.set_geometry([shapely.box(100, 100, 101, 101)] * 3)
    with pytest.raises(boundaries.OppmapError, match="overlap no parent"):
        boundaries.best_fit(outside, councils)


# ----------------------------------------------------------------------------- registry, catalogue


def test_every_indicator_says_which_nations_it_covers():
    cat = geo.catalogue()
    for ident, nations in cat["nations"].items():
        assert nations and set(nations.split(";")) <= set(NATIONS), ident
    assert cat.loc["census21_deprivation.households_deprived_2plus_pct", "nations"] == "E;W"
    assert cat.loc["simd2020.simd_rank", "nations"] == "S"
    assert cat.loc["wimd2019.wimd_score", "level"] == "lsoa21"  # carried from LSOA 2011
    assert cat.loc["ukimd_la.uk_imd_score", "nations"] == "E;W;S;N"
    assert cat.loc["nimdm2017.nimdm_extent", "nations"] == "N"
    # per dataset, the catalogue follows the registry
    for ident, entry in registry().items():
        if entry["kind"] == "indicators":
            rows = cat[cat["dataset"] == ident]
            assert set(rows["nations"]) <= {";".join(entry["nations"])}, ident


def test_registry_refuses_unknown_nations(tmp_path: Path):
    bad = tmp_path / "sources.toml"
    bad.write_text(
        '[attribution]\nons = "x"\n[[dataset]]\nid = "a"\nkind = "indicators"\ntitle = "t"\n'
        'publisher = "p"\nlicence = "l"\nattribution = "ons"\nurl = "u"\nlanding = "l"\n'
        'vintage = "v"\nlevel = "x"\nfile = "f"\nformat = "csv"\ncode_column = "c"\n'
        'nations = ["E", "X"]\n'
        '[[dataset]]\nid = "b"\nkind = "indicators"\ntitle = "t"\npublisher = "p"\nlicence = "l"\n'
        'attribution = "ons"\nurl = "u"\nlanding = "l"\nvintage = "v"\nlevel = "x"\nfile = "f"\n'
        'format = "csv"\ncode_column = "c"\n'
    )
    with pytest.raises(SchemaError) as err:
        registry(bad)
    assert "nations ['E', 'X']" in str(err.value)
    assert "'b' names no `nations`" in str(err.value)


def test_each_nation_has_one_index_and_unknown_ones_get_suggestions():
    indices = national_indices()
    assert sorted(spec["nation"] for spec in indices.values()) == sorted(NATIONS)
    assert index_of_nation("S12000049") == "simd2020"
    assert index_of_nation("N") == "nimdm2017"
    with pytest.raises(InputError, match="Did you mean wimd2019"):
        index_spec("wimd2091")
    for spec in indices.values():  # one attribution line per licence, mySociety's stated
        assert registry()[spec["dataset"]]["licence"] == "OGL-UK-3.0"
    assert attribution_lines(["ukimd_la"]) == ["Contains data from mySociety (CC BY 4.0)"]


# ----------------------------------------------------------------------------- the store (real)


def _published(mirror: Path, ident: str) -> pd.DataFrame:
    entry = registry()[ident]
    return pd.read_csv(mirror / entry["file"], index_col=entry["code_column"])


def _measures(published: pd.DataFrame, overall: str) -> dict[str, tuple[str, str]]:
    """Published column -> (our domain, measure) for Proportion, Extent and Score columns."""
    out = {}
    for col in published.columns:
        prefix, _, measure = col.rpartition("_") if "_" in col else ("", "", col)
        domain = prefix.lower() if prefix else overall
        out[col] = (domain, {"Proportion": "proportion_most_deprived_10", "Extent": "extent",
                             "Score": "average_score"}[measure])
    return out


@pytest.mark.real
def test_welsh_council_summaries_reproduce_the_published_figures(store, mirror):
    ours = index_summaries("wimd2019")
    published = _published(mirror, "wimd2019_lad_summaries")
    assert set(published.index) == set(ours.index) and len(ours) == 22
    for col, (domain, measure) in _measures(published, "wimd").items():
        got = ours.loc[published.index, f"{domain}_{measure}"].to_numpy()
        if measure == "proportion_most_deprived_10":
            np.testing.assert_array_equal(np.round(got * 10_000), np.round(published[col] * 10_000),
                                          err_msg=col)
            np.testing.assert_allclose(got, published[col], rtol=0, atol=1e-12, err_msg=col)
        else:
            np.testing.assert_allclose(got, published[col], rtol=0, atol=1e-9, err_msg=col)
    assert "mid-2019" in ours.attrs["weights"]


@pytest.mark.real
def test_scottish_council_proportion_and_extent_are_the_published_figures(store, mirror):
    """The official SIMD extent is population-weighted (the mirror has no data-zone
    population: computed here it gave North Lanarkshire 0.3309, published 0.3025), so every
    council's proportion and extent are the Scottish Government's, and say so."""
    ours = index_summaries("simd2020")
    published = _published(mirror, "simd2020_lad_summaries")
    assert set(published.index) == set(ours.index) and len(ours) == 32
    for col, (domain, measure) in _measures(published, "simd").items():
        got = ours.loc[published.index, f"{domain}_{measure}"].to_numpy()
        np.testing.assert_allclose(got, published[col], rtol=0, atol=1e-12, err_msg=col)
    assert ours.at["S12000050", "simd_extent"] == pytest.approx(0.30245, abs=5e-6)
    assert "published" in ours.attrs["weights"]
    # Scotland as one area: no unweighted extent passed off as the nation's figure
    nation = index_summaries("simd2020", geography="country")
    assert not nation.columns.str.endswith("_extent").any()
    cat = geo.catalogue()
    ids = "summary_simd2020_lad24." + pd.Index(["simd_extent", "simd_proportion_most_deprived_10",
                                                "simd_average_rank", "simd_local_concentration"])
    labels, units = cat.loc[ids, "label"], cat.loc[ids, "unit"]
    assert labels.iloc[:2].str.endswith("(published by the Scottish Government)").all()
    assert labels.iloc[2:].str.endswith("(unweighted: every data zone counts the same)").all()
    assert not units.str.contains("population-weighted").any()


@pytest.mark.real
def test_every_uk_council_has_its_own_nations_summaries(store):
    lad = boundaries.load("lad24")
    covered = pd.Index([])
    for ident, spec in national_indices().items():
        table = index_summaries(ident)
        own = lad.index[lad["country"] == spec["nation"]]
        assert set(table.index) == set(own), ident
        assert table["name"].notna().all(), ident
        covered = covered.append(table.index)
        if "country" in spec["summaries"]:
            nation = index_summaries(ident, geography="country")
            assert list(nation.index) == [NATION_CODES[spec["nation"]]]
    assert covered.sort_values().equals(lad.index.sort_values())  # 361, each once
    with pytest.raises(InputError, match="geography"):
        index_summaries("nimdm2017", geography="country")
    # Northern Ireland: council figures only, and the store's report says why
    report = json.loads((store / "report.json").read_text())
    assert "no boundaries" in report["derived"]["nimdm2017"]["small_areas"]
    assert report["derived"]["nimdm2017"]["councils"] == (lad["country"] == "N").sum()


@pytest.mark.real
def test_data_zones_have_a_council_and_their_islands_neighbours(store):
    dz = boundaries.load("dz11")
    lad = boundaries.load("lad24")
    assert dz["lad24_code"].notna().all()
    assert set(dz["lad24_code"]) == set(lad.index[lad["country"] == "S"])
    assert dz["name"].str.len().gt(0).all()
    graph = boundaries.load_graph("dz11")
    assert set(graph.unique_ids) == set(dz.index) and len(graph.isolates) == 0
    for council in ("S12000023", "S12000027", "S12000013"):  # Orkney, Shetland, Eilean Siar
        zones = dz.index[dz["lad24_code"] == council]
        assert dz.loc[zones, "island"].any(), council
        assert all(len(graph.neighbors[z]) > 0 for z in zones), council
    wales = boundaries.load_graph("lsoa21_wa")
    lsoa = boundaries.load("lsoa21")
    assert set(wales.unique_ids) == set(lsoa.index[lsoa["country"] == "W"])
    assert len(wales.isolates) == 0
    anglesey = lsoa.index[lsoa["lad24_code"] == "W06000001"]
    assert lsoa.loc[anglesey, "island"].all()


@pytest.mark.real
@pytest.mark.parametrize("index", ["wimd2019", "simd2020"])
def test_compounded_disadvantage_counts_the_nations_own_worst_decile(store, index):
    spec = index_spec(index)
    data = geo.load_indicators(spec["dataset"])
    compound = geo.load_indicators(spec["compound"])
    deciles = data.loc[compound.index, [f"{d}_decile" for d in spec["domains"]]].astype(float)
    expected = (deciles == 1).sum(axis=1)
    np.testing.assert_array_equal(compound["n_domains_worst_decile"], expected)
    assert (compound["compounded"] == (expected >= COMPOUND_THRESHOLD)).all()
    assert compound["n_domains_worst_decile"].max() <= len(spec["domains"])
    council = index_summaries(index)
    assert council["compounded_share_lsoas"].between(0, 1).all()
    assert council["compounded_share_lsoas"].max() > 0


@pytest.mark.real
def test_welsh_index_on_lsoa21_keeps_unchanged_lsoas_exactly(store, mirror):
    carried = geo.load_indicators("wimd2019")
    lsoa = boundaries.load("lsoa21")
    assert set(carried.index) == set(lsoa.index[lsoa["country"] == "W"])
    raw = pd.read_csv(mirror / registry()["wimd2019"]["file"], index_col="lsoa11_code")
    same = carried.index[carried["lookup_rule"] == "U"]
    np.testing.assert_array_equal(carried.loc[same, "wimd_rank"], raw.loc[same, "IMD_rank"])
    np.testing.assert_allclose(carried.loc[same, "wimd_score"], raw.loc[same, "IMD_score"])
    assert carried["wimd_decile"].notna().all()


@pytest.mark.real
def test_the_general_carry_equals_the_iod2019_carry(store, mirror):
    from geo.stats.carry import carry_iod2019_to_lsoa21

    iod = geo.load_indicators("iod2019_lsoa11")
    lookup = pd.read_parquet(store / "lookups" / "lsoa11_lsoa21.parquet")
    pop = geo.load_indicators("population_mid2019_lsoa11")["population_total"]
    old = carry_iod2019_to_lsoa21(iod, lookup, pop, n_ranked=32_844)
    new = carry_lsoa11_to_lsoa21(iod, lookup, pop, nations="E", n_ranked=32_844)
    pd.testing.assert_frame_equal(old, new[old.columns], check_dtype=False)


@pytest.mark.real
def test_uk_composite_covers_every_council_and_follows_the_file(store, mirror):
    la = geo.load_indicators("ukimd_la")
    lad = boundaries.load("lad24")
    assert set(la.index) == set(lad.index) and la["uk_imd_score"].notna().all()
    raw = pd.read_csv(mirror / registry()["ukimd_la"]["file"])
    register = pd.read_csv(mirror / registry()["lookup_mysociety_la"]["file"])
    gss = raw["local-authority-code"].map(register.set_index("local-authority-code")["gss-code"])
    expected = pd.Series(raw["la-deprivation-score"].to_numpy(), index=gss.to_numpy())
    np.testing.assert_allclose(la["uk_imd_score"], expected.reindex(la.index))
    for ident, country in (("ukimd_ew", ("E", "W")), ("ukimd_s", ("S",))):
        table = geo.load_indicators(ident)
        assert table["uk_imd_score"].notna().all(), ident
        assert set(table.index.str[0]) == set(country), ident
    ni = geo.load_indicators("ukimd_n")
    assert len(ni) == 890
    report = json.loads((store / "report.json").read_text())
    assert "no boundaries" in report["datasets"]["ukimd_n"]["not_joined"]


@pytest.mark.real
def test_hotspot_inputs_give_each_nation_values_graph_and_polarity(store):
    levels = {lv: boundaries.load(lv) for lv in ("lsoa21", "dz11")}
    for index, spec in national_indices().items():
        if "graph" not in spec:
            with pytest.raises(InputError, match="no small areas"):
                hotspot_inputs({}, levels, index)
            continue
        names = {spec["dataset"], spec["compound"], "population"}
        tables = {n: geo.load_indicators(n) for n in names}
        got = hotspot_inputs(tables, levels, index)
        graph = boundaries.load_graph(got["graph"])
        assert set(got["values"].index) == set(graph.unique_ids), index
        assert list(got["values"].columns) == spec["hotspot_columns"]
        assert got["values"].notna().all().all()
        cat = geo.catalogue()
        for col, polarity in got["polarity"].items():
            assert polarity in set(cat.loc[cat["column"] == col, "polarity"]), (index, col)
        assert got["info"].notna().all().all(), index
    simd = {n: geo.load_indicators(n) for n in ("simd2020", "compound_simd2020", "population")}
    assert hotspot_inputs(simd, levels, "simd2020")["polarity"]["simd_rank"] == "higher_better"
