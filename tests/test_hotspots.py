"""Tests of the local statistics of geo.stats: Gi*, local Moran, FDR, the esda guards, the
registry, robustness, national tables, run ids, clusters and cluster membership."""

from __future__ import annotations

import warnings

import esda
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from libpysal.graph import Graph
from numpy.testing import assert_allclose
from scipy import stats

from geo._errors import DuplicateCodeError, InputError, SchemaError
from geo.stats import (
    LOCAL_METHODS,
    cluster_members,
    clusters_reaching,
    hotspot_clusters,
    hotspot_column,
    hotspot_run_id,
    hotspots_wide,
    national_hotspots,
    parse_hotspot_run_id,
    robustness,
    select_run,
)
from geo.stats.fdr import fdr_bh
from geo.stats.gi_star import gi_star_analytic, local_gi_star
from geo.stats.local import local_method
from geo.stats.moran import local_moran
from geo.stats.outcome import ISLAND_LABEL, MISSING_LABEL
from geo.stats.weights import build_contiguity, knn_graph

# --------------------------------------------------------------------------- synthetic fixtures


def _code(r: int, c: int) -> str:
    return f"r{r}c{c}"


def _hot_corner(side: int = 8, *, block: int = 3, seed: int = 0) -> pd.Series:
    """Values 0..1 (seeded) on the lattice's squares with a block of 10s in corner r0c0."""
    rng = np.random.default_rng(seed)
    vals = {}
    for r in range(side):
        for c in range(side):
            vals[_code(r, c)] = 10.0 if (r < block and c < block) else float(rng.uniform(0, 1))
    return pd.Series(vals, name="score").rename_axis("lsoa21_code")


def _path(codes: list[str], *, isolate: str | None = None) -> Graph:
    """A path graph a-b-c-... (small enough to compute by hand), optionally with an isolate."""
    heads, tails, weights = [], [], []
    for i, code in enumerate(codes):
        for j in (i - 1, i + 1):
            if 0 <= j < len(codes):
                heads.append(code)
                tails.append(codes[j])
                weights.append(1.0)
    if isolate is not None:
        heads.append(isolate)
        tails.append(isolate)
        weights.append(0.0)
    return Graph.from_arrays(heads, tails, weights, transformation="B")


@pytest.fixture(scope="module")
def grid(lattice) -> tuple[gpd.GeoDataFrame, Graph]:
    """The shared lattice's 8 x 8 squares (no islands) and their contiguity graph."""
    gdf = lattice(8, islands=False)
    return gdf, build_contiguity(gdf)[0]


# --------------------------------------------------------------------------- fdr_bh

# Benjamini & Hochberg (1995), section 4: the 15 p-values of the example; adjusted values as R's
# p.adjust(p, "BH") gives them (q_(i) = min_{j>=i} m p_(j) / j), computed by hand here.
BH_P = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240,
        0.4262, 0.5719, 0.6528, 0.7590, 1.0000]
BH_Q = [0.0015, 0.003, 0.0095, 0.035625, 0.0603, 0.0638571428571, 0.0638571428571, 0.0645,
        0.0765, 0.486, 0.581181818182, 0.714875, 0.753230769231, 0.813214285714, 1.0]


def test_fdr_bh_textbook_example():
    q = fdr_bh(BH_P)
    assert_allclose(q, BH_Q, rtol=1e-9)
    # at FDR 0.05 BH rejects the first four hypotheses, as in the paper
    assert (q <= 0.05).sum() == 4


def test_fdr_bh_order_nan_series_and_cap():
    rng = np.random.default_rng(3)
    p = rng.uniform(0, 1, 50)
    perm = rng.permutation(50)
    assert_allclose(fdr_bh(p)[perm], fdr_bh(p[perm]))
    q = fdr_bh(p)
    order = np.argsort(p)
    assert (np.diff(q[order]) >= -1e-15).all()
    assert (q >= p).all() and (q <= 1).all()
    s = pd.Series([0.5, np.nan, 0.01, 0.9], index=list("abcd"))
    out = fdr_bh(s)
    assert list(out.index) == list("abcd") and np.isnan(out["b"])
    assert_allclose(out.drop("b").to_numpy(), [0.75, 0.03, 0.9])
    assert_allclose(fdr_bh([0.9, 0.95]), [0.95, 0.95])
    with pytest.raises(InputError, match=r"probabilities in \[0, 1\]"):
        fdr_bh([0.1, 1.5])


# --------------------------------------------------------------------------- gi_star_analytic


def test_gi_star_analytic_by_hand_on_a_path():
    # path a-b-c-d, y = 1..4: n=4, mean 2.5, population sd sqrt(1.25)
    g = _path(list("abcd"))
    z = gi_star_analytic(pd.Series([1.0, 2.0, 3.0, 4.0], index=list("abcd")), g)
    s = np.sqrt(1.25)
    # a: sum 1+2=3, k=2: (3 - 5) / (s sqrt(2*2/3)); b: sum 6, k=3: (6 - 7.5) / (s sqrt(3*1/3))
    za = (3 - 2 * 2.5) / (s * np.sqrt(2 * 2 / 3))
    zb = (6 - 3 * 2.5) / (s * np.sqrt(3 * 1 / 3))
    assert_allclose(z.iloc[:, 0].to_numpy(), [za, zb, -zb, -za], rtol=1e-12)


def test_gi_star_analytic_matches_esda_binary_star_and_not_the_default(lattice):
    side = 7
    g, _ = build_contiguity(lattice(side, islands=False))
    rng = np.random.default_rng(11)
    frame = pd.DataFrame(rng.gamma(2.0, 3.0, size=(side * side, 3)),
                         index=g.unique_ids, columns=["x", "y", "w"])
    frame = frame.iloc[rng.permutation(len(frame))]  # any row order
    z = gi_star_analytic(frame, g)
    assert list(z.index) == list(frame.index) and list(z.columns) == ["x", "y", "w"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for col in frame.columns:
            y = frame[col].reindex(g.unique_ids).to_numpy()
            ref = esda.G_Local(y, g, transform="B", star=True, permutations=0)
            assert_allclose(z[col].reindex(g.unique_ids).to_numpy(), ref.Zs, atol=1e-8)
            default = esda.G_Local(y, g, star=True, permutations=0)  # esda re-transforms to "R"
            assert np.abs(default.Zs - ref.Zs).max() > 0.1


def test_gi_star_analytic_is_location_invariant_unlike_esda():
    g = _path(list("abcdef"))
    y = pd.Series([3.0, 5.0, 4.0, 9.0, 8.0, 7.0], index=list("abcdef"))
    z = gi_star_analytic(y, g).iloc[:, 0]
    z_shift = gi_star_analytic(y - 100, g).iloc[:, 0]
    assert_allclose(z_shift, z, atol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        flipped = esda.G_Local((y - 100).to_numpy(), g, transform="B", star=True,
                               permutations=0).Zs
    assert_allclose(flipped, -z.to_numpy(), atol=1e-9)  # esda divides by the (negative) mean


def test_gi_star_analytic_validation():
    g = _path(list("abc"))
    with pytest.raises(InputError, match=r"only in frame \(x\)"):
        gi_star_analytic(pd.Series([1.0, 2.0, 3.0], index=list("abx")), g)
    with pytest.raises(InputError, match=r"NaN or infinite values in 1 areas \(b\)"):
        gi_star_analytic(pd.Series([1.0, np.nan, 3.0], index=list("abc")), g)
    with pytest.raises(InputError, match="constant"):
        gi_star_analytic(pd.DataFrame({"k": [2.0, 2.0, 2.0]}, index=list("abc")), g)


# --------------------------------------------------------------------------- local_gi_star


def test_local_gi_star_analytic_p_q_and_labels(grid):
    values = _hot_corner()
    _, g = grid
    res = local_gi_star(values, g, permutations=0)
    assert list(res.columns) == ["value", "statistic", "p", "q", "label", "outcome", "bin",
                                 "z_against_tail"]
    assert res.index.equals(values.index) and res.index.name == "lsoa21_code"
    z = gi_star_analytic(values, g).iloc[:, 0]
    assert_allclose(res["statistic"], z, atol=1e-12)
    assert_allclose(res["p"], 2 * stats.norm.sf(np.abs(z)), rtol=1e-12)
    assert_allclose(res["q"], fdr_bh(res["p"].to_numpy()), rtol=1e-12)
    # labels follow q: 99% when q <= 0.01, 95% when q <= 0.05 (alpha 0.05: no 90% labels)
    for code, row in res.iterrows():
        if row.q <= 0.01:
            expected = ("hot" if row.statistic > 0 else "cold") + " spot 99%"
        elif row.q <= 0.05:
            expected = ("hot" if row.statistic > 0 else "cold") + " spot 95%"
        else:
            expected = "not significant"
        assert row.label == expected, code
    assert res.loc["r1c1", "label"] == "hot spot 99%"  # the centre of the block of 10s
    assert res.loc["r7c7", "label"] == "not significant"
    assert res.attrs["method"] == "gi_star"
    assert res.attrs["correction"] == "fdr_bh" and res.attrs["permutations"] == 0
    assert res.attrs["seed"] == 42 and res.attrs["alpha"] == 0.05
    assert "transform='B'" in res.attrs["weights"]
    # outcome and bin follow the label for a higher-is-worse indicator
    hot = res["label"].str.startswith("hot")
    assert (res.loc[hot, "outcome"] == "worse cluster").all()
    assert (res.loc[res["label"] == "not significant", "outcome"] == "not significant").all()
    assert (res.loc[res["label"] == "hot spot 99%", "bin"] == 3).all()
    assert (res.loc[res["label"] == "cold spot 95%", "bin"] == -2).all()
    assert (res.loc[res["label"] == "not significant", "bin"] == 0).all()
    assert res.attrs["n_tested"] == 64 and res.attrs["islands"] == []


def test_local_gi_star_alpha_and_fdr_switches(grid):
    values = _hot_corner()
    _, g = grid
    raw = local_gi_star(values, g, permutations=0, fdr=False, alpha=0.1)
    assert raw.attrs["correction"] == "none"
    sig = raw["p"] <= 0.1
    assert (raw.loc[sig, "label"] != "not significant").all()
    assert (raw.loc[~sig, "label"] == "not significant").all()
    assert (raw.loc[(raw.p > 0.05) & sig, "label"].str.endswith("90%")).all()
    strict = local_gi_star(values, g, permutations=0, alpha=0.01)
    assert set(strict["label"]) <= {"hot spot 99%", "cold spot 99%", "not significant"}
    # FDR never labels more areas than raw p at the same alpha
    fdr = local_gi_star(values, g, permutations=0, alpha=0.1)
    assert (fdr.label != "not significant").sum() <= sig.sum()


def test_local_gi_star_permutations_seeded_and_two_sided(grid):
    values = _hot_corner()
    _, g = grid
    a = local_gi_star(values, g, permutations=99, seed=7, fdr=False)
    b = local_gi_star(values, g, permutations=99, seed=7, fdr=False)
    pd.testing.assert_frame_equal(a, b)
    c = local_gi_star(values, g, permutations=99, seed=8, fdr=False)
    assert not np.array_equal(a["p"].to_numpy(), c["p"].to_numpy())
    # two-sided pseudo p: 2 (M + 1) / (R + 1), so multiples of 0.02 from 0.02 up, capped at 1
    assert_allclose(a["p"] * 50, np.rint(a["p"] * 50), atol=1e-9)
    assert a["p"].min() == pytest.approx(0.02) and a["p"].max() <= 1
    assert a.loc["r1c1", "p"] == pytest.approx(0.02)
    assert a.attrs["permutations"] == 99 and "permutation" in a.attrs["p_value"]
    # the statistic is the analytic z whatever the permutations
    assert_allclose(a["statistic"], local_gi_star(values, g, permutations=0)["statistic"])


def test_local_gi_star_negative_values_same_inference_as_shifted(grid):
    values = _hot_corner()
    values += np.linspace(0, 0.5, len(values))  # no ties: pseudo p then cannot hinge on rounding
    _, g = grid
    neg = local_gi_star(values - 50, g, permutations=99, seed=3, fdr=False)
    pos = local_gi_star(values, g, permutations=99, seed=3, fdr=False)
    assert_allclose(neg["statistic"], pos["statistic"], atol=1e-9)
    assert_allclose(neg["p"], pos["p"])
    assert (neg["label"] == pos["label"]).all()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.permutations(list(range(36))))
def test_row_order_does_not_change_the_result(lattice, order):
    values = _hot_corner(6, block=2, seed=5)
    g, _ = build_contiguity(lattice(6, islands=False))
    ref = local_gi_star(values, g, permutations=0)
    shuffled = values.iloc[list(order)]
    res = local_gi_star(shuffled, g, permutations=0)
    assert list(res.index) == list(shuffled.index)
    pd.testing.assert_frame_equal(res.loc[values.index], ref, check_exact=False, rtol=1e-12)
    mor = local_moran(shuffled, g, permutations=0)
    pd.testing.assert_frame_equal(mor.loc[values.index], local_moran(values, g, permutations=0),
                                  check_exact=False, rtol=1e-12)


def test_shuffled_values_give_identical_permutation_results(grid):
    values = _hot_corner()
    _, g = grid
    ref = local_gi_star(values, g, permutations=99, seed=1, fdr=False)
    shuffled = values.iloc[np.random.default_rng(0).permutation(64)]
    res = local_gi_star(shuffled, g, permutations=99, seed=1, fdr=False)
    pd.testing.assert_frame_equal(res.loc[values.index], ref)


def test_codes_must_match_the_graph():
    g = _path(list("abcd"))
    with pytest.raises(InputError, match=r"1 codes of `values` are not in the graph: x.*"
                                         r"1 graph codes have no value in `values`: d"):
        local_gi_star(pd.Series([1.0, 2.0, 3.0, 4.0], index=list("abcx")), g, permutations=0)
    with pytest.raises(InputError, match=r"graph codes have no value in `values`: c, d"):
        local_moran(pd.Series([1.0, 2.0], index=list("ab")), g, permutations=0)
    with pytest.raises(DuplicateCodeError, match="repeated: a"):
        local_gi_star(pd.Series([1.0, 2.0, 3.0], index=list("aab")), g, permutations=0)


def test_nan_raise_lists_codes_and_drop_reports_them(grid):
    values = _hot_corner()
    values[["r5c5", "r0c7"]] = np.nan
    _, g = grid
    with pytest.raises(InputError, match=r"2 missing values \(r0c7, r5c5\).*nan='drop'"):
        local_gi_star(values, g, permutations=0)
    res = local_gi_star(values, g, permutations=0, nan="drop")
    assert res.index.equals(values.index)
    assert res.attrs["dropped"] == ["r0c7", "r5c5"]
    assert (res.loc[["r0c7", "r5c5"], "label"] == MISSING_LABEL).all()
    assert res.loc[["r0c7", "r5c5"], ["statistic", "p", "q"]].isna().all().all()
    assert res.attrs["n_tested"] == 62
    # same as analysing the 62 areas on the graph without the dropped nodes
    keep = values.dropna()
    manual = gi_star_analytic(keep, g.subgraph(keep.index)).iloc[:, 0]
    assert_allclose(res.loc[keep.index, "statistic"], manual, atol=1e-12)
    lm = local_moran(values, g, permutations=0, nan="drop")
    assert lm.attrs["dropped"] == ["r0c7", "r5c5"]


def test_islands_are_never_significant():
    # path a-b-c-d-e-f plus an isolate "z" with an extreme value
    g = _path(list("abcdef"), isolate="z")
    values = pd.Series([1.0, 1.2, 0.9, 1.1, 1.0, 0.8, 50.0], index=list("abcdefz"))
    for res in (local_gi_star(values, g, permutations=0, fdr=False, alpha=0.1),
                local_moran(values, g, permutations=0, fdr=False, alpha=0.1)):
        assert res.loc["z", "label"] == ISLAND_LABEL
        assert np.isnan(res.loc["z", "p"]) and np.isnan(res.loc["z", "q"])
        assert np.isnan(res.loc["z", "statistic"])
        assert res.attrs["islands"] == ["z"] and res.attrs["n_tested"] == 6


def test_focus_reports_and_corrects_only_the_focus(grid):
    values = _hot_corner()
    _, g = grid
    focus = [_code(r, c) for r in range(4) for c in range(4)]
    res = local_gi_star(values, g, permutations=0, focus=focus)
    full = local_gi_star(values, g, permutations=0)
    assert list(res.index) == focus
    assert_allclose(res["p"], full.loc[focus, "p"])
    assert_allclose(res["q"], fdr_bh(full.loc[focus, "p"].to_numpy()))
    assert res.attrs["n_tested"] == 16
    with pytest.raises(InputError, match="focus"):
        local_gi_star(values, g, permutations=0, focus=["nope"])


def test_option_validation_messages(grid):
    values = _hot_corner()
    _, g = grid
    with pytest.raises(InputError, match=r"`alpha` must be one of 0.01, 0.05, 0.10"):
        local_gi_star(values, g, alpha=0.2)
    with pytest.raises(InputError, match=r"`permutations` must be an integer >= 0"):
        local_gi_star(values, g, permutations=-1)
    with pytest.raises(InputError, match=r"`permutations` must be at most 999,999 \(e.g. 9999\); "
                                         r"got 100,000,000,000"):
        local_gi_star(values, g, permutations=100_000_000_000)
    with pytest.raises(InputError, match=r"`nan` must be one of"):
        local_gi_star(values, g, nan="ignore")
    with pytest.raises(InputError, match=r"`values` must be a pandas Series"):
        local_gi_star(values.to_frame(), g)
    with pytest.raises(InputError, match=r"`graph` must be a libpysal.graph.Graph"):
        local_gi_star(values, {"a": ["b"]})
    with pytest.raises(InputError, match="constant"):
        local_gi_star(values * 0 + 1, g, permutations=0)
    inf = values.copy()
    inf["r2c2"] = np.inf
    with pytest.raises(InputError, match=r"infinite values \(r2c2\)"):
        local_gi_star(inf, g, permutations=0)
    with pytest.raises(InputError, match="must be numeric"):
        local_gi_star(values.astype(str), g)


# --------------------------------------------------------------------------- local_moran


def test_local_moran_statistic_by_hand_and_quadrants(grid):
    values = _hot_corner()
    values["r6c6"] = 10.0  # a high outlier among low values
    _, g = grid
    res = local_moran(values, g, permutations=0)
    # I_i = (n - 1) z_i sum_j w_ij z_j / sum z^2, z standardised, w row-standardised (esda)
    y = values.reindex(g.unique_ids).to_numpy()
    z = (y - y.mean()) / y.std()
    w = g.transform("R").sparse.toarray()
    expected = (len(y) - 1) * z * (w @ z) / (z @ z)
    assert_allclose(res["statistic"].reindex(g.unique_ids), expected, rtol=1e-10)
    assert res.loc["r1c1", "label"] == "High-High"
    # the lone outlier among its eight low neighbours stays significant after FDR over 64 tests
    assert res.loc["r6c6", "q"] < 0.05 and res.loc["r6c6", "label"] == "High-Low"
    # FDR never labels more areas than raw p
    raw = local_moran(values, g, permutations=0, fdr=False)
    assert (raw["label"] != "not significant").sum() >= (res["label"] != "not significant").sum()
    assert res.attrs["method"] == "local_moran"
    assert "row-standardised" in res.attrs["weights"]
    assert set(res["label"]) <= {"High-High", "Low-Low", "High-Low", "Low-High",
                                 "not significant"}


def test_local_moran_permutations_seeded(grid):
    values = _hot_corner()
    _, g = grid
    a = local_moran(values, g, permutations=99, seed=5, fdr=False)
    pd.testing.assert_frame_equal(a, local_moran(values, g, permutations=99, seed=5, fdr=False))
    assert a["p"].min() == pytest.approx(0.02)


# --------------------------------------------------------------------------- clusters


def _cluster_inputs(lattice):
    g, _ = build_contiguity(lattice(5, islands=False))
    labels = pd.Series("not significant", index=g.unique_ids, name="label")
    labels[["r0c0", "r1c0"]] = "hot spot 95%"
    labels["r0c1"] = "hot spot 99%"
    labels[["r3c2", "r3c4"]] = "hot spot 95%"
    labels["r3c3"] = "hot spot 90%"
    labels["r2c2"] = "cold spot 99%"
    level = pd.to_numeric(labels.str.extract(r"(\d+)%$")[0], errors="coerce").fillna(0)
    hot = labels.str.startswith("hot")
    result = pd.DataFrame({"value": 1.0, "statistic": 2.0, "p": 0.01, "q": 0.02,
                           "label": labels,
                           "outcome": np.where(level > 0, np.where(hot, "worse cluster",
                                                                   "better cluster"),
                                               "not significant"),
                           "bin": np.where(hot, 1, -1) * level.map({99: 3, 95: 2, 90: 1, 0: 0})})
    result.loc["r0c1", "value"] = 4.0
    result.loc["r0c1", "statistic"] = 5.0
    result.loc["r2c2", "statistic"] = -4.0
    result.index.name = "lsoa21_code"
    result.attrs = {"method": "gi_star", "polarity": "higher_worse"}
    info = pd.DataFrame({"population_total": 1000.0, "ward24_name": "Other",
                         "lad24_name": "Calderdale", "income": False, "health": False,
                         "crime": False}, index=g.unique_ids)
    info.loc[["r0c0", "r0c1", "r1c0"], "population_total"] = [1100.0, 1400.0, 500.0]
    info.loc[["r0c0", "r0c1", "r1c0"], "ward24_name"] = ["Manningham", "Toller", "Heaton"]
    info.loc[["r0c0", "r0c1", "r1c0"], "lad24_name"] = "Bradford"
    info.loc["r3c2", ["population_total", "ward24_name", "lad24_name"]] = [2000.0, "City", "Leeds"]
    info.loc[["r3c3", "r3c4"], ["ward24_name", "lad24_name"]] = ["Moor", "Kirklees"]
    info.loc["r3c4", "population_total"] = 100.0
    info.loc[["r0c0", "r0c1"], "income"] = True
    info.loc["r0c0", "health"] = True
    info["compounded"] = info.index.isin(["r0c0", "r0c1"])
    return result, g, info


def test_hotspot_clusters_by_hand(lattice):
    result, g, info = _cluster_inputs(lattice)
    clusters = hotspot_clusters(result, g, lsoa_info=info)
    assert clusters.index.name == "cluster_id" and list(clusters.index) == [1, 2, 3]
    first = clusters.loc[1]
    assert first["lsoa_codes"] == "r0c0;r0c1;r1c0"
    assert first["n_lsoas"] == 3 and first["population"] == 3000
    assert first["n_compounded"] == 2 and first["share_compounded"] == pytest.approx(2 / 3)
    for col in ("n_lsoas", "population", "n_compounded"):
        assert pd.api.types.is_integer_dtype(clusters[col]), col
    # Toller (1400) + Manningham (1100) hold >= half of 3000 people
    assert first["name"] == "Toller & Manningham, Bradford"
    assert first["wards"] == "Toller; Manningham; Heaton"
    assert first["councils"] == "Bradford"
    assert first["domains"] == "income 67%; health 33%"
    assert first["mean_value"] == pytest.approx(2.0) and first["peak_statistic"] == 5.0
    assert clusters.loc[2, "name"] == "City, Leeds" and clusters.loc[2, "population"] == 2000
    assert clusters.loc[3, "lsoa_codes"] == "r3c4" and clusters.loc[3, "domains"] == ""
    # at 90% the 90% spot r3c3 bridges r3c2 and r3c4 into one cluster across two councils
    loose = hotspot_clusters(result, g, lsoa_info=info, confidence=90)
    assert list(loose["lsoa_codes"]) == ["r3c2;r3c3;r3c4", "r0c0;r0c1;r1c0"]
    assert loose.loc[1, "name"] == "City, Leeds"
    assert loose.loc[1, "councils"] == "Leeds; Kirklees"
    strict = hotspot_clusters(result, g, lsoa_info=info, confidence=99)
    assert list(strict["lsoa_codes"]) == ["r0c1"]
    better = hotspot_clusters(result, g, lsoa_info=info, outcome="better cluster")
    assert list(better["lsoa_codes"]) == ["r2c2"]
    assert better.loc[1, "peak_statistic"] == -4.0  # the strongest z of a low-valued cluster
    # a name holds half the people or says how many wards it leaves out
    many = info.assign(ward24_name=[f"W{i}" for i in range(len(info))])
    named = hotspot_clusters(result, g, lsoa_info=many, max_wards=1)
    assert named.loc[1, "name"] == "W1 and 2 more wards, Bradford"  # 1400 of 3000 people
    assert hotspot_clusters(result, g, lsoa_info=many, max_wards=2).loc[1, "name"] == (
        "W1 & W0, Bradford")


def test_hotspot_clusters_with_text_domains_and_members_read_back(lattice):
    result, g, info = _cluster_inputs(lattice)
    text = info.drop(columns=["income", "health", "crime"]).assign(
        domains_worst_decile=["income;health" if c == "r0c0" else ("income" if c == "r0c1" else "")
                              for c in info.index])
    clusters = hotspot_clusters(result, g, lsoa_info=text)
    assert clusters.loc[1, "domains"] == "income 67%; health 33%"
    owner = cluster_members(clusters)
    assert owner.to_dict() == {"r0c0": 1, "r0c1": 1, "r1c0": 1, "r3c2": 2, "r3c4": 3}
    assert list(clusters_reaching(clusters, ["r3c4", "r9c9"]).index) == [3]
    with pytest.raises(InputError, match=r"puts 1 areas in more than one cluster \(r3c2\)"):
        cluster_members(clusters.assign(lsoa_codes=["r0c0;r3c2", "r3c2", "r3c4"]))
    with pytest.raises(InputError, match="without member codes: 2"):
        cluster_members(clusters.assign(lsoa_codes=["r0c0", "", "r3c4"]))
    with pytest.raises(SchemaError, match="lsoa_codes"):
        cluster_members(clusters.drop(columns="lsoa_codes"))


def test_hotspot_clusters_validation(lattice):
    result, g, info = _cluster_inputs(lattice)
    with pytest.raises(SchemaError, match=r"lacks columns \['ward24_name'\]"):
        hotspot_clusters(result, g, lsoa_info=info.drop(columns="ward24_name"))
    with pytest.raises(InputError, match="lacks 1 spot codes: r0c0"):
        hotspot_clusters(result, g, lsoa_info=info.drop(index="r0c0"))
    with pytest.raises(InputError, match="confidence"):
        hotspot_clusters(result, g, lsoa_info=info, confidence=80)
    with pytest.raises(InputError, match="outcome"):
        hotspot_clusters(result, g, lsoa_info=info, outcome="worse outlier")


# --------------------------------------------------------------------------- robustness, national


def test_robustness_against_knn_weights(grid):
    values = _hot_corner()
    gdf, g = grid
    knn = knn_graph(gdf, k=8)
    res = local_gi_star(values, g, permutations=0)
    robust = robustness(values, res, knn_graph=knn)
    assert robust.dtype == "boolean" and robust.name == "robust"
    assert robust.index.equals(res.index)
    spots = res["label"] != "not significant"
    assert robust[~spots].isna().all()
    assert robust[spots].notna().all()
    assert bool(robust["r1c1"]) is True  # the centre of the block stays hot with k=8
    other = local_gi_star(values, knn, permutations=0)
    same = (other.loc[spots, "label"].str[:3] == res.loc[spots, "label"].str[:3])
    assert (robust[spots].astype(bool) == same).all()
    with pytest.raises(InputError, match="local_gi_star or local_moran"):
        robustness(values, res.drop(columns="outcome"), knn_graph=knn)


def test_national_hotspots_long_table_and_runs(grid):
    values = _hot_corner()
    frame = pd.DataFrame({"a": values, "b": values[::-1].to_numpy()}, index=values.index)
    gdf, g = grid
    table = national_hotspots(frame, g, permutations=0, methods=("gi_star", "local_moran"),
                              polarity={"a": "higher_worse", "b": "higher_better"})
    assert table.index.name == "lsoa21_code" and len(table) == 4 * 64
    assert list(table.columns[:2]) == ["method", "indicator"]
    run = select_run(table, "gi_star:b")
    alone = local_gi_star(frame["b"], g, permutations=0, polarity="higher_better")
    pd.testing.assert_frame_equal(run, alone, check_like=True)
    assert run.attrs["polarity"] == "higher_better" and run.attrs["method"] == "gi_star"
    assert table.attrs["seed"] == 42 and set(table.attrs["runs"]) == {
        "gi_star:a", "gi_star:b", "local_moran:a", "local_moran:b"}
    wide = hotspots_wide(table, fields=("label", "q"))
    assert list(wide.columns) == ["hotspot_gi_star_a", "q_gi_star_a", "hotspot_gi_star_b",
                                  "q_gi_star_b", "hotspot_local_moran_a", "q_local_moran_a",
                                  "hotspot_local_moran_b", "q_local_moran_b"]
    assert (wide["hotspot_gi_star_b"] == run["label"]).all()
    with_knn = national_hotspots(frame, g, columns=["a"], permutations=0, knn=knn_graph(gdf, k=8))
    assert "robust" in with_knn.columns and len(with_knn) == 64
    with pytest.raises(InputError, match="methods"):
        national_hotspots(frame, g, methods=("lisa",))
    with pytest.raises(InputError, match=r"no polarity for columns \['b'\]"):
        national_hotspots(frame, g, polarity={"a": "higher_worse"})
    with pytest.raises(InputError, match="not in the table; available"):
        select_run(table, "gi_star:c")


def test_run_ids_make_and_parse_one_format():
    for method in LOCAL_METHODS:
        assert parse_hotspot_run_id(hotspot_run_id(method, "imd_score")) == (method, "imd_score")
    assert hotspot_run_id("gi_star", "n_domains_worst_decile") == "gi_star:n_domains_worst_decile"
    assert hotspot_column("local_moran:imd_score", "q") == "q_local_moran_imd_score"
    for bad in ("gi_star_imd_score", "hotspot:gi_star_imd_score", "lisa:imd_score", "gi_star:"):
        with pytest.raises(InputError, match="<method>:<indicator>"):
            parse_hotspot_run_id(bad)
    with pytest.raises(InputError, match="must be one of"):
        local_method("lisa")


# --------------------------------------------------------------------------- orientation


@pytest.mark.parametrize("permutations", [0, 999])
@pytest.mark.parametrize("method", sorted(LOCAL_METHODS))
def test_the_other_way_up_gives_the_same_outcomes(grid, method, permutations):
    """Hotspots of x with higher_worse equal hotspots of -x with higher_better, outcome for
    outcome; the labels keep the method's words about values and so swap."""
    values = _hot_corner()
    values["r6c6"] = 10.0  # an outlier, for local Moran
    _, g = grid
    run = local_method(method).run
    up = run(values, g, polarity="higher_worse", permutations=permutations, seed=5)
    down = run(-values, g, polarity="higher_better", permutations=permutations, seed=5)
    assert (up["outcome"] == down["outcome"]).all() and (up["bin"] == down["bin"]).all()
    assert_allclose(down["p"], up["p"], rtol=0, atol=0)
    assert_allclose(down["q"], up["q"], rtol=0, atol=0)
    assert_allclose(down["value"], -up["value"])
    swap = {"hot spot": "cold spot", "cold spot": "hot spot", "High-High": "Low-Low",
            "Low-Low": "High-High", "High-Low": "Low-High", "Low-High": "High-Low"}
    for a, b in zip(up["label"], down["label"], strict=True):
        expected = next((a.replace(k, v) for k, v in swap.items() if a.startswith(k)), a)
        assert b == expected
    assert up["outcome"].isin(["worse cluster", "better cluster", "worse outlier",
                               "better outlier", "not significant", "not tested"]).all()
    assert (up.loc[up["outcome"] == "worse cluster", "bin"] > 0).all()
    # a higher-is-better indicator: high values are the better clusters
    better = run(values, g, polarity="higher_better", permutations=permutations, seed=5)
    flip = {"worse cluster": "better cluster", "better cluster": "worse cluster",
            "worse outlier": "better outlier", "better outlier": "worse outlier"}
    assert (better["outcome"] == up["outcome"].replace(flip)).all()
    assert (better["bin"] == -up["bin"]).all() and (better["label"] == up["label"]).all()


def test_robustness_keeps_the_polarity_of_the_run(grid):
    values = _hot_corner()
    gdf, g = grid
    knn = knn_graph(gdf, k=8)
    up = local_gi_star(values, g, permutations=0)
    down = local_gi_star(-values, g, permutations=0, polarity="higher_better")
    robust_up = robustness(values, up, knn_graph=knn)
    robust_down = robustness(-values, down, knn_graph=knn)
    assert robust_up.notna().sum() > 0
    pd.testing.assert_series_equal(robust_up, robust_down)


def test_gi_star_direction_follows_the_tail_of_its_test(lattice):
    """An extreme area ringed by very low values: z > 0 (it counts itself) while its test found
    its neighbours significantly low. It is a cold spot, and z_against_tail says so."""
    g, _ = build_contiguity(lattice(9, islands=False))
    rng = np.random.default_rng(1)
    values = pd.Series(rng.uniform(4, 6, g.n), index=g.unique_ids)
    ring = [_code(r, c) for r in (3, 4, 5) for c in (3, 4, 5) if (r, c) != (4, 4)]
    values[ring] = 0.0
    values["r4c4"] = 400.0
    res = local_gi_star(values, g, permutations=999, seed=3, fdr=False, alpha=0.1)
    assert res.loc["r4c4", "statistic"] > 0
    assert res.loc["r4c4", "label"].startswith("cold spot")
    assert bool(res.loc["r4c4", "z_against_tail"]) is True
    assert res.attrs["z_against_tail"] >= 1
    agree = res.drop(index="r4c4")
    spots = agree["bin"] != 0
    assert ((agree.loc[spots, "statistic"] > 0) == agree.loc[spots, "label"].str.startswith(
        "hot")).sum() >= spots.sum() - res.attrs["z_against_tail"] + 1


# --------------------------------------------------------------------------- the engine


def _exact_tails(y: np.ndarray, adj: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """P(random neighbour sum >= / <= observed) by enumerating every draw (tiny graphs only)."""
    from itertools import combinations

    n = len(y)
    ge, le = np.zeros(n), np.zeros(n)
    for i in range(n):
        k = int(adj[i].sum())
        obs = adj[i] @ y
        others = [j for j in range(n) if j != i]
        sums = np.array([y[list(c)].sum() for c in combinations(others, k)])
        ge[i], le[i] = (sums >= obs - 1e-9).mean(), (sums <= obs + 1e-9).mean()
    return ge, le


def test_engine_is_conditional_randomisation_without_replacement():
    from scipy import sparse

    from geo.stats.permutation import neighbour_sum_counts

    rng = np.random.default_rng(4)
    n = 9
    adj = np.zeros((n, n))
    for i in range(n):  # a ring with chords: cardinalities 2 to 4
        for j in (i + 1, i + 3):
            if j < n:
                adj[i, j] = adj[j, i] = 1
    y = rng.integers(0, 3, n).astype(float)  # many ties
    ge_exact, le_exact = _exact_tails(y, adj)
    R = 40_000
    ge, le = neighbour_sum_counts(y, sparse.csr_array(adj), permutations=R, seed=11)
    assert_allclose(ge / R, ge_exact, atol=0.015)
    assert_allclose(le / R, le_exact, atol=0.015)


def test_engine_streams_are_independent_and_reproducible(grid):
    from geo.stats.permutation import neighbour_sum_counts
    from geo.stats.weights import graph_matrix

    _, g = grid
    adj = graph_matrix(g)
    y = _hot_corner().reindex(g.unique_ids).to_numpy()
    a = neighbour_sum_counts(y, adj, permutations=2000, seed=7)
    assert all((x == z).all() for x, z in zip(a, neighbour_sum_counts(
        y, adj, permutations=2000, seed=7), strict=True))
    first = neighbour_sum_counts(y, adj, permutations=1000, seed=7)
    second_chunk = [x - f for x, f in zip(a, first, strict=True)]
    shifted = neighbour_sum_counts(y, adj, permutations=1000, seed=8)
    # seeds s and s + 1 share no stream (a seed + i scheme would make these equal)
    assert not all((x == z).all() for x, z in zip(second_chunk, shifted, strict=True))


@pytest.mark.parametrize("seed", [1, 2])
def test_engine_against_esda_on_random_lattices(lattice, seed):
    """z and local I equal esda's; p-values agree with esda's (made two-sided and tie-aware from
    its simulations) up to permutation noise; the same spots at the same permutations."""
    rng = np.random.default_rng(seed)
    g, _ = build_contiguity(lattice(12, islands=False))
    y = rng.gamma(2.0, 2.0, g.n)
    y[:20] += 6  # a high corner
    values = pd.Series(y, index=g.unique_ids)
    R = 4999
    ours = local_gi_star(values, g, permutations=R, seed=seed, fdr=False)
    lisa = local_moran(values, g, permutations=R, seed=seed, fdr=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = esda.G_Local(y, g, transform="B", star=True, permutations=R, seed=seed, n_jobs=1,
                           keep_simulations=True)
        ref_lisa = esda.Moran_Local(y, g, transformation="r", permutations=0)
    assert_allclose(ours["statistic"].to_numpy(), ref.Zs, atol=1e-10)
    assert_allclose(lisa["statistic"].to_numpy(), ref_lisa.Is, atol=1e-10)
    sims, obs = ref.rGs, ref.Gs[:, None]
    ge = (sims >= obs - 1e-12).sum(axis=1)
    le = (sims <= obs + 1e-12).sum(axis=1)
    p_esda = np.minimum(1, 2 * (np.minimum(ge, le) + 1) / (R + 1))
    assert np.abs(ours["p"].to_numpy() - p_esda).max() < 0.05
    spots_esda = np.where(p_esda <= 0.05, np.where(ge < le, "hot", "cold"), "-")
    spots = np.where(ours["p"] <= 0.05, ours["label"].str[:4].str.strip(), "-")
    assert (spots == spots_esda).mean() >= 0.95
    # local Moran's p is the same test (monotone in the same neighbour sums)
    assert_allclose(lisa["p"], ours["p"])


def test_local_moran_normal_approximation_matches_esda(grid):
    values = _hot_corner()
    _, g = grid
    res = local_moran(values, g, permutations=0, fdr=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = esda.Moran_Local(values.reindex(g.unique_ids).to_numpy(), g, transformation="r",
                               permutations=0)
    expected = 2 * stats.norm.sf(np.abs((ref.Is - ref.EI) / np.sqrt(ref.VI)))
    assert_allclose(res["p"].reindex(g.unique_ids), expected, rtol=1e-9)
    quads = pd.Series(ref.q, index=g.unique_ids).map(
        {1: "High-High", 2: "Low-High", 3: "Low-Low", 4: "High-Low"})
    assert (res["quadrant"].reindex(g.unique_ids) == quads).all()


def test_too_few_permutations_warn_and_say_how_many(grid):
    from geo.stats import PermutationFloorWarning

    _, g = grid
    with pytest.warns(PermutationFloorWarning, match=r"smallest attainable p is 0\.2.*at least "
                                                     r"\d+ permutations"):
        res = local_gi_star(_hot_corner(), g, permutations=9, seed=1)
    floor = res.attrs["permutation_floor"]
    assert floor["p_min"] == pytest.approx(0.2) and floor["m"] == 64
    # the number asked for is enough: the areas at the smallest p then pass
    assert 2 / (floor["permutations_needed"] + 1) <= 0.05 * max(floor["k_at_min"], 1) / 64 + 1e-12
    with warnings.catch_warnings():
        warnings.simplefilter("error", PermutationFloorWarning)
        local_gi_star(_hot_corner(), g, permutations=999, seed=1)


def test_no_floor_warning_when_larger_p_values_pass_and_carry_the_floor():
    from geo.stats import PermutationFloorWarning
    from geo.stats.fdr import fdr_bh
    from geo.stats.permutation import fdr_floor

    # 9,999 permutations: p_min = 0.0002; alone, one area there fails BH over 530 (needs 3),
    # but 200 areas at p = 0.001 pass (q = 0.0026) and with them the one at the floor
    p = np.r_[0.0002, np.full(200, 0.001), np.full(329, 0.9)]
    assert (fdr_bh(p)[:201] <= 0.05).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error", PermutationFloorWarning)
        assert fdr_floor(p, permutations=9999, alpha=0.05, fdr=True) is None
    # without them nothing passes, and the warning says so in words
    lonely = np.r_[0.0002, np.full(529, 0.9)]
    with pytest.warns(PermutationFloorWarning, match=r"at least 3 areas share it \(1 does\)"):
        info = fdr_floor(lonely, permutations=9999, alpha=0.05, fdr=True)
    assert info["k_needed"] == 3 and not (fdr_bh(lonely) <= 0.05).any()


def test_global_statistics_equal_esda(grid):
    from geo.stats import global_autocorrelation

    values = _hot_corner()
    _, g = grid
    out = global_autocorrelation(values, g, permutations=199, seed=3)
    y = values.reindex(g.unique_ids).to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        moran = esda.Moran(y, g, permutations=0)
        general = esda.G(y, g, permutations=0)
    assert out["moran_i"] == pytest.approx(moran.I, rel=1e-12)
    assert out["general_g"] == pytest.approx(general.G, rel=1e-12)
    assert out["moran_p"] == pytest.approx(2 / 200) and out["general_g_p"] == pytest.approx(2 / 200)
    assert out == global_autocorrelation(values, g, permutations=199, seed=3)
    assert np.isnan(global_autocorrelation(values - 5, g, permutations=9)["general_g"])


def test_rejudge_keeps_z_and_p_and_corrects_over_the_family(grid):
    from geo.stats import rejudge

    _, g = grid
    national = local_gi_star(_hot_corner(), g, permutations=999, seed=2)
    corner = [_code(r, c) for r in range(4) for c in range(4)]
    part = rejudge(national, codes=corner)
    assert list(part.index) == corner
    assert_allclose(part["statistic"], national.loc[corner, "statistic"])
    assert_allclose(part["p"], national.loc[corner, "p"])
    assert_allclose(part["q"], fdr_bh(national.loc[corner, "p"].to_numpy()))
    assert part.attrs["n_tested"] == 16
    loose = rejudge(national, alpha=0.1, fdr=False)
    assert (loose["bin"].abs() >= (national["bin"].abs())).all()
    with pytest.raises(InputError, match="not"):
        rejudge(national, codes=["nope"])


# --------------------------------------------------------------------------- islands


def test_island_links_are_found_and_dropped(lattice):
    from geo.stats import drop_links, island_links

    gdf = lattice(3)
    graph, islands = build_contiguity(gdf)
    links = island_links(graph, gdf)
    pairs = {tuple(sorted(p)) for p in links.itertuples(index=False)}
    assert pairs == {("I1", "r0c2"), ("I1", "r1c2"), ("I1", "r2c2"), ("P1", "r2c0"),
                     ("P1", "r2c1"), ("P1", "r2c2")}
    assert_allclose(len(island_links(graph, gdf, candidates=islands)), len(links))
    cut = drop_links(graph, links)
    assert list(cut.isolates) == ["I1"] and cut.n_components == 3
    assert set(cut["P1"].index[cut["P1"] > 0]) == {"P2"}


def test_clusters_do_not_cross_water(lattice):
    from geo.stats import drop_links, island_links

    gdf = lattice(3)
    graph, _ = build_contiguity(gdf)
    values = pd.Series(0.0, index=graph.unique_ids)
    result = pd.DataFrame({"value": values, "statistic": 3.0, "p": 0.001, "q": 0.01,
                           "label": "hot spot 99%", "outcome": "not significant", "bin": 0})
    hot = ["r2c0", "P1", "P2", "I1", "r0c2"]
    result.loc[hot, "outcome"] = "worse cluster"
    result.loc[hot, "bin"] = 3
    result.attrs = {"polarity": "higher_worse"}
    info = pd.DataFrame({"population_total": 100.0, "ward24_name": "W", "lad24_name": "L"},
                        index=graph.unique_ids)
    joined = hotspot_clusters(result, graph, lsoa_info=info)
    assert len(joined) == 2  # the island links tie P1-P2 to r2c0 and I1 to r0c2
    apart = hotspot_clusters(result, drop_links(graph, island_links(graph, gdf)), lsoa_info=info)
    assert sorted(apart["lsoa_codes"]) == ["I1", "P1;P2", "r0c2", "r2c0"]


# --------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def england(mirror):
    lsoa = gpd.read_file(mirror / "boundaries" / "lsoa21_ew_bsc.gpkg").set_index("LSOA21CD")
    eng = lsoa[lsoa.index.str.startswith("E")].to_crs(27700)
    graph, _ = build_contiguity(eng)
    iod = pd.read_csv(mirror / "deprivation" / "imd2025_england_lsoa21.csv",
                      index_col="lsoa21_code")
    return graph, iod


@pytest.mark.real
def test_gi_star_on_imd2025_equals_esda_binary_not_its_default(england):
    graph, iod = england
    res = local_gi_star(iod["IMD_score"], graph, permutations=0)
    y = iod["IMD_score"].reindex(graph.unique_ids).to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        binary = esda.G_Local(y, graph, transform="B", star=True, permutations=0)
        default = esda.G_Local(y, graph, star=True, permutations=0)  # esda's "R" default
    assert_allclose(res["statistic"].reindex(graph.unique_ids), binary.Zs, atol=1e-12)
    # the row-standardised default squeezes z (STYLE.md: -1.3..4.1 against -4.7..10.9)
    assert default.Zs.max() < res["statistic"].max() / 2
    assert res.attrs["islands"] == []
    counts = res["label"].value_counts()
    assert counts["hot spot 99%"] > 1000 and counts["cold spot 99%"] > 10


@pytest.mark.real
def test_fixed_seed_gives_identical_output_on_a_council(england, mirror):
    from geo.stats.weights import subgraph_with_ring

    graph, iod = england
    lookup = pd.read_csv(mirror / "lookups" / "lookup_lsoa21_ward24_ltla24.csv")
    bradford = lookup.loc[lookup["ltla24_code"] == "E08000032", "lsoa21_code"]
    sub, focus = subgraph_with_ring(graph, bradford, rings=1)
    values = iod["IMD_score"].reindex(sub.unique_ids)
    a = local_gi_star(values, sub, permutations=999, seed=42, focus=focus)
    b = local_gi_star(values, sub, permutations=999, seed=42, focus=focus)
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == len(bradford) == a.attrs["n_tested"]
    # Bradford's inner city is a hot spot even against its own surroundings
    assert (a["label"] == "hot spot 95%").sum() > 20
    assert a.loc[a["label"].str.startswith("hot"), "value"].min() > iod["IMD_score"].median()


def test_ties_count_in_both_tails_so_zeros_among_zeros_are_not_significant(lattice):
    """Counts (domains in the worst decile) are full of ties: esda's own lower-tail p leaves
    ties out, which made every zero surrounded by zeros a '99% cold spot'."""
    graph, _ = build_contiguity(lattice(20, islands=False))
    ids = np.asarray(graph.unique_ids)
    y = np.zeros(400)
    y[:40] = 1.0  # two rows of ones along one edge
    values = pd.Series(y, index=ids)
    gi = local_gi_star(values, graph, permutations=999, seed=1, fdr=False)
    far = ids[200:]  # zeros whose whole neighbourhood is zero
    # Their observed local sum (0) ties with every permutation that draws only zeros.
    assert (gi.loc[far, "p"] > 0.5).all()
    assert not gi.loc[far, "label"].str.startswith("cold spot").any()
    assert gi.loc[ids[:40], "label"].str.startswith("hot spot").sum() >= 38
    lm = local_moran(values, graph, permutations=999, seed=1, fdr=False)
    # A zero among zeros matches most permutations (90% of values are zero): far from significant.
    assert (lm.loc[far, "p"] > 0.5).all()
    assert not (lm.loc[far, "label"] == "Low-Low").any()


def test_permutations_beyond_one_chunk_are_reproducible_and_finer(grid):
    rng = np.random.default_rng(3)
    _, graph = grid
    values = pd.Series(rng.normal(size=graph.n), index=graph.unique_ids)
    values[[_code(r, c) for r in range(3) for c in range(3)]] += 4
    a = local_gi_star(values, graph, permutations=2500, seed=7, fdr=False)
    b = local_gi_star(values, graph, permutations=2500, seed=7, fdr=False)
    pd.testing.assert_frame_equal(a, b)
    assert a["p"].min() >= 2 / 2501 - 1e-12
    assert a["p"].min() < 2 / 1000  # finer than one 999-permutation run can give
