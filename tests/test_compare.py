"""Tests of geo.compare: statistical neighbours, Wilson intervals, verdicts and area comparisons."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy.stats import binomtest

from geo._errors import InputError, SchemaError, UnmatchedCodesWarning
from geo.stats.intervals import compare_area, compare_to, percent_interval, wilson_interval
from geo.stats.neighbours import DEFAULT_NEIGHBOUR_VARIABLES, statistical_neighbours


@pytest.fixture
def four():
    # x: mean 1, population sd sqrt(1.5); y: mean 1, sd 1
    idx = pd.Index(["E06000001", "E06000002", "E06000003", "E06000004"], name="lad24_code")
    return pd.DataFrame({"x": [0.0, 1, 0, 3], "y": [0.0, 0, 2, 2],
                         "name": ["Hartlepool", "Middlesbrough", "Redcar", "Stockton"]}, index=idx)


# --- statistical neighbours -------------------------------------------------------------------

def test_neighbours_hand_computed(four):
    out = statistical_neighbours(four, "E06000001", variables=["x", "y"], k=3)
    assert out.index.name == "lad24_code"
    assert out.index.tolist() == ["E06000002", "E06000003", "E06000004"]
    assert out["rank"].tolist() == [1, 2, 3]
    # squared distances: (1/sqrt 1.5)^2 = 2/3; 2^2 = 4; 3^2/1.5 + 2^2 = 10
    assert_allclose(out["distance"], np.sqrt([2 / 3, 4, 10]), rtol=1e-12)
    assert_allclose(out[["contrib_x", "contrib_y"]], [[1, 0], [0, 1], [0.6, 0.4]], atol=1e-12)
    assert_allclose(out.filter(like="contrib_").sum(axis=1), 1.0, rtol=1e-12)


def test_neighbours_weights_and_identical_area(four):
    out = statistical_neighbours(four, "E06000001", variables=["x", "y"], k=3,
                                 weights={"y": 0.25})
    # C: 0.25 * 4 = 1; B: 2/3; D: 6 + 1 = 7
    assert out.index.tolist() == ["E06000002", "E06000003", "E06000004"]
    assert_allclose(out["distance"], np.sqrt([2 / 3, 1, 7]), rtol=1e-12)
    assert_allclose(out.loc["E06000004", ["contrib_x", "contrib_y"]], [6 / 7, 1 / 7], rtol=1e-12)
    same = four.copy()
    same.loc["E06000002", ["x", "y"]] = [0.0, 0.0]
    out = statistical_neighbours(same, "E06000001", variables=["x", "y"], k=1)
    assert out["distance"].iloc[0] == 0 and out[["contrib_x", "contrib_y"]].isna().all(axis=None)


def test_neighbours_unknown_code_suggests_close_codes_and_names(four):
    with pytest.raises(InputError, match=r"'E0600001' is not in `frame` \(4 areas\); did you mean "
                                         r"E06000001"):
        statistical_neighbours(four, "E0600001", variables=["x", "y"])
    with pytest.raises(InputError, match="did you mean E06000003"):
        statistical_neighbours(four, "redcar", variables=["x", "y"])


def test_neighbours_validation(four):
    with pytest.raises(InputError, match=r"`variables` \['z'\] not in `frame`; available"):
        statistical_neighbours(four, "E06000001", variables=["x", "z"])
    with pytest.raises(InputError, match=r"\['name'\] are not numeric"):
        statistical_neighbours(four, "E06000001", variables=["x", "name"])
    with pytest.raises(InputError, match="`k` must be an integer from 1 to 3"):
        statistical_neighbours(four, "E06000001", variables=["x", "y"], k=4)
    with pytest.raises(InputError, match=r"\['c'\] are constant"):
        statistical_neighbours(four.assign(c=1.0), "E06000001", variables=["x", "c"], k=1)
    with pytest.raises(InputError, match="`weights` must be finite, non-negative"):
        statistical_neighbours(four, "E06000001", variables=["x", "y"], weights={"x": -1})
    with pytest.raises(InputError, match="`weights` names"):
        statistical_neighbours(four, "E06000001", variables=["x", "y"], weights={"q": 1})
    dup = pd.concat([four, four.iloc[:1]])
    with pytest.raises(InputError, match="repeated: E06000001"):
        statistical_neighbours(dup, "E06000001", variables=["x", "y"])
    with pytest.raises(InputError, match="not in `frame`"):
        statistical_neighbours(four, "E06000001")  # the default council variables
    assert "imd_average_score" in DEFAULT_NEIGHBOUR_VARIABLES


def test_neighbours_do_not_change_when_units_change(four):
    """z-scores make the distance unit-free: metres or kilometres, shares or percent, a log
    density per km² or per hectare (a shift) give the same neighbours and the same reasons."""
    wide = four.assign(z=[5.0, 1.0, 2.0, 4.0], w=[0.2, 0.1, 0.4, 0.3])
    variables = ["x", "y", "z", "w"]
    base = statistical_neighbours(wide, "E06000001", variables=variables, k=3)
    other = wide.assign(x=wide["x"] * 1000, y=wide["y"] - 2.0, w=wide["w"] * 100)
    out = statistical_neighbours(other, "E06000001", variables=variables, k=3)
    assert out.index.equals(base.index) and (out["alike"] == base["alike"]).all()
    assert_allclose(out["distance"], base["distance"], rtol=1e-12)
    assert_allclose(out.filter(like="contrib_"), base.filter(like="contrib_"), rtol=1e-9)


def test_neighbours_say_which_three_variables_make_them_alike(four):
    wide = four.assign(z=[5.0, 1.0, 2.0, 4.0], w=[0.2, 0.1, 0.4, 0.3])
    out = statistical_neighbours(wide, "E06000001", variables=["x", "y", "z", "w"], k=3)
    for code, row in out.iterrows():
        shares = row[[f"contrib_{v}" for v in ["x", "y", "z", "w"]]].astype(float)
        expected = [c.removeprefix("contrib_") for c in shares.sort_values(kind="mergesort").index[:3]]
        assert row["alike"].split(";") == expected, code


def test_default_variables_count_deprivation_once():
    from geo.stats.summaries import IOD_DOMAINS

    deprivation = [v for v in DEFAULT_NEIGHBOUR_VARIABLES
                   if v.split("_")[0] in IOD_DOMAINS and v.endswith("_score")]
    assert deprivation == ["imd_average_score"]  # the IMD, not its domains too
    assert "log10_population_density" in DEFAULT_NEIGHBOUR_VARIABLES
    assert "population_density" not in DEFAULT_NEIGHBOUR_VARIABLES  # raw density: log scale


@pytest.mark.real
def test_store_neighbours_use_log_density(store):
    import geo

    summary = geo.load_indicators("summary_lad24")
    assert_allclose(summary["log10_population_density"],
                    np.log10(summary["population_density"]), rtol=1e-12)
    code = summary.index[0]
    base = statistical_neighbours(summary, code, missing="drop")
    per_hectare = summary.assign(log10_population_density=np.log10(
        summary["population_density"] / 100))
    again = statistical_neighbours(per_hectare, code, missing="drop")
    assert again.index.equals(base.index) and (again["alike"] == base["alike"]).all()


def test_neighbours_nan_raise_or_drop(four):
    gap = four.copy()
    gap.loc["E06000003", "y"] = np.nan
    with pytest.raises(InputError, match="1 areas have NaN in `variables`: E06000003.*"
                                         "missing='drop'"):
        statistical_neighbours(gap, "E06000001", variables=["x", "y"], k=1)
    with pytest.warns(UnmatchedCodesWarning, match="were left out: E06000003"):
        out = statistical_neighbours(gap, "E06000001", variables=["x", "y"], k=2, missing="drop")
    assert out.index.tolist() == ["E06000002", "E06000004"]
    with pytest.raises(InputError, match=r"'E06000003' has no value for \['y'\]"):
        statistical_neighbours(gap, "E06000003", variables=["x", "y"], missing="drop")


# --- intervals --------------------------------------------------------------------------------

def test_wilson_published_values_and_scipy_agree():
    # Newcombe (1998): 5/10 -> 0.2366-0.7634; 0/10 -> 0-0.2775
    assert_allclose(wilson_interval(5, 10), (0.2366, 0.7634), atol=5e-5)
    assert wilson_interval(0, 10)[0] == 0.0 and wilson_interval(10, 10)[1] == 1.0
    assert_allclose(wilson_interval(0, 10)[1], 0.2775, atol=5e-5)
    for k, n, conf in [(5, 10, 0.99), (1, 20, 0.95), (37, 120, 0.9), (4_539, 1_335_160, 0.95)]:
        ref = binomtest(k, n).proportion_ci(confidence_level=conf, method="wilson")
        assert_allclose(wilson_interval(k, n, confidence=conf), (ref.low, ref.high), rtol=1e-10)


def test_wilson_is_vectorised_and_keeps_the_index():
    s = pd.Series([5, 0, np.nan], index=pd.Index(["a", "b", "c"], name="utla24_code"))
    low, high = wilson_interval(s, [10, 0, 10])
    assert low.index.equals(s.index) and high.index.equals(s.index)
    assert_allclose(low.to_numpy(), [0.2366, np.nan, np.nan], atol=5e-5)
    low, high = wilson_interval(np.array([1, 2]), 4)
    assert low.shape == (2,)
    with pytest.raises(InputError, match=r"between 0 and `n`; 1 values are not \(e.g. 11 of 10\)"):
        wilson_interval([11, 1], 10)
    with pytest.raises(InputError, match="`confidence` must be between 0 and 1"):
        wilson_interval(1, 10, confidence=95)


def test_percent_interval_for_england_neet():
    out = percent_interval(pd.Series([3.4], index=["E92000001"]), [1_335_160])
    assert_allclose(out.loc["E92000001"], [3.3694, 3.4309], atol=5e-5)
    with pytest.raises(InputError, match="between 0 and 100"):
        percent_interval(pd.Series([140.0]), [10])


# --- verdicts ---------------------------------------------------------------------------------

def test_compare_to_rules_and_polarity():
    v = pd.Series([5.0, 3.5, 2.0, np.nan, 4.0], index=list("abcde"))
    lo, hi = pd.Series([4.0, 3.0, 1.5, 1, np.nan], index=v.index), v + 1
    # rule 2: reference (3.4) outside the area's interval
    assert compare_to(v, reference=3.4, polarity="higher_worse", lower=lo, upper=hi).tolist() == [
        "worse", "similar", "better", "not tested", "not tested"]
    assert compare_to(v, reference=3.4, polarity="Higher-Better", lower=lo, upper=hi).tolist() == [
        "better", "similar", "worse", "not tested", "not tested"]
    # rule 1: both intervals; 'a' (4-6) overlaps a wide reference interval 3.1-4.5, 'c' (1.5-3)
    # does not
    out = compare_to(v, reference=3.4, polarity="higher_worse", lower=lo, upper=hi,
                     ref_lower=3.1, ref_upper=4.5)
    assert out.tolist() == ["similar", "similar", "better", "not tested", "not tested"]
    # rule 3: only the reference's interval
    assert compare_to(v, reference=3.4, polarity="higher_worse", ref_lower=3.1,
                      ref_upper=4.5).tolist() == ["worse", "similar", "better", "not tested",
                                                  "similar"]
    # rule 4: no interval at all
    assert set(compare_to(v, reference=3.4, polarity="higher_worse")) == {"not tested"}
    assert compare_to(v, reference=3.4, polarity="higher_worse").name == "verdict"


def test_compare_to_series_reference_aligned_by_index_and_errors():
    v = pd.Series([5.0, 5.0], index=["a", "b"])
    ref = pd.Series([6.5, 2.0], index=["b", "a"])
    out = compare_to(v, reference=ref, polarity="higher_worse", lower=v - 1, upper=v + 1)
    assert out.to_dict() == {"a": "worse", "b": "better"}
    with pytest.raises(InputError, match=r"`polarity` must be one of \['higher_better', "
                                         r"'higher_worse'\]"):
        compare_to(v, reference=1, polarity="up")
    with pytest.raises(InputError, match="Give both `lower` and `upper`"):
        compare_to(v, reference=1, polarity="higher_worse", lower=v)


# --- compare_area -----------------------------------------------------------------------------

@pytest.fixture
def world():
    codes = ["A1", "A2", "A3", "B1", "B2", "ENG", "RA"]
    table = pd.DataFrame({"neet": [8.0, 4.0, 3.0, 2.0, 1.0, 3.4, np.nan],
                          "att8": [40.0, 45.0, 50.0, 48.0, 47.0, 46.0, 45.5]},
                         index=pd.Index(codes, name="utla24_code"))
    catalogue = pd.DataFrame(
        {"label": ["NEET 16-17", "Attainment 8"], "unit": ["%", "points"],
         "polarity": ["higher_worse", "higher_better"], "life_stage": ["youth", "school"],
         "principle": ["beyond_school_gates", "equity"]},
        index=pd.Index(["neet", "att8"], name="indicator"))
    region_of = pd.Series({"A1": "RA", "A2": "RA", "A3": "RA", "B1": "RB", "B2": "RB"})
    return table, catalogue, region_of


def test_compare_area_hand_computed(world):
    table, catalogue, region_of = world
    cohort = pd.Series([1000, 1000, 1000, 1000, 1000, 100_000], index=table.index[:6])
    iv = {"neet": percent_interval(table["neet"].iloc[:6], cohort)}
    out = compare_area("A1", table=table, catalogue=catalogue, region_of=region_of,
                       neighbours=["A2", "B1"], intervals=iv, england_code="ENG")
    assert out.index.tolist() == ["neet", "att8"] and out.index.name == "indicator"
    neet, att8 = out.loc["neet"], out.loc["att8"]
    assert (neet["label"], neet["life_stage"], neet["principle"]) == (
        "NEET 16-17", "youth", "beyond_school_gates")
    assert (neet["value"], neet["england"], neet["england_source"]) == (8.0, 3.4, "published")
    # region RA row is NaN for neet -> mean of A1..A3 = 5; for att8 the published 45.5
    assert (neet["region"], neet["region_source"]) == (5.0, "mean of areas")
    assert (att8["region"], att8["region_source"]) == (45.5, "published")
    assert (neet["neighbours_mean"], neet["neighbours_n"]) == (3.0, 2)
    assert (neet["rank"], neet["n_ranked"]) == (1, 5)  # highest NEET of five = worst
    assert att8["rank"] == 1  # lowest attainment = worst
    # 8% of 1000: Wilson 6.4-9.9% vs England 3.4 (3.29-3.51): worse; region mean 5 outside: worse
    assert (neet["vs_england"], neet["vs_region"], neet["vs_neighbours"]) == ("worse", "worse",
                                                                               "worse")
    assert att8[["vs_england", "vs_region", "vs_neighbours"]].tolist() == ["not tested"] * 3
    other = compare_area("A2", table=table, catalogue=catalogue, region_of=region_of,
                         neighbours=[], intervals=iv, england_code="ENG")
    # 4% of 1000: 2.95-5.4% overlaps England's interval -> similar
    assert other.loc["neet", "vs_england"] == "similar"
    assert np.isnan(other.loc["neet", "neighbours_mean"])


def test_compare_area_england_fallbacks_and_errors(world):
    table, catalogue, region_of = world
    no_eng = table.drop(index="ENG")
    out = compare_area("B1", table=no_eng, catalogue=catalogue, region_of=region_of,
                       neighbours=["B2"], england_code="ENG")
    assert_allclose(out.loc["neet", "england"], 18 / 5, rtol=1e-12)
    assert out.loc["neet", "england_source"] == "mean of areas"
    out = compare_area("B1", table=no_eng, catalogue=catalogue, region_of=region_of,
                       neighbours=["B2"], england={"neet": 3.4})
    assert (out.loc["neet", "england"], out.loc["neet", "england_source"]) == (3.4, "given")
    with pytest.raises(InputError, match=r"'A9' is not in `table` \(5 areas\); did you mean A3, "
                                         r"A2, A1"):
        compare_area("A9", table=table, catalogue=catalogue, region_of=region_of, neighbours=[],
                     england_code="ENG")
    with pytest.raises(InputError, match="`neighbours` codes not in `table`: ZZ"):
        compare_area("A1", table=table, catalogue=catalogue, region_of=region_of,
                     neighbours=["ZZ"], england_code="ENG")
    with pytest.raises(InputError, match=r"\['extra'\] are not indicator ids"):
        compare_area("A1", table=table.assign(extra=1), catalogue=catalogue, region_of=region_of,
                     neighbours=[], england_code="ENG")
    with pytest.raises(SchemaError, match=r"lacks columns \['principle'\]"):
        compare_area("A1", table=table, catalogue=catalogue.drop(columns="principle"),
                     region_of=region_of, neighbours=[], england_code="ENG")
    with pytest.raises(InputError, match="`region_of` has no region for 'A1'"):
        compare_area("A1", table=table, catalogue=catalogue, region_of=region_of.drop("A1"),
                     neighbours=[], england_code="ENG")


# --- real data: DfE NEET 2025 -----------------------------------------------------------------

@pytest.fixture(scope="module")
def neet(mirror):
    d = pd.read_csv(mirror / "opportunity/dfe_neet_participation_16_17_la_2025.csv",
                    na_values=["z", "c", "x"], dtype={"new_la_code": str, "region_code": str})
    code = d["new_la_code"].fillna(d["region_code"]).fillna(d["country_code"])
    d.loc[d["geographic_level"] == "National", "region_code"] = np.nan
    return d.set_index(pd.Index(code, name="utla24_code"))


@pytest.mark.real
def test_real_neet_councils_against_england(neet):
    eng = neet.loc["E92000001"]
    assert (eng["NEET_percent"], eng["Cohort_DJFavg"]) == (3.4, 1_335_160)
    ref = percent_interval(neet.loc[["E92000001"], "NEET_percent"], [1_335_160]).iloc[0]
    assert_allclose(ref, [3.3694, 3.4309], atol=5e-5)
    la = neet[neet["geographic_level"] == "Local authority"]
    assert len(la) == 151
    iv = percent_interval(la["NEET_percent"], la["Cohort_DJFavg"])
    verdict = compare_to(la["NEET_percent"], reference=3.4, polarity="higher_worse",
                         lower=iv["lower"], upper=iv["upper"])
    expected = np.where(iv["lower"] > 3.4, "worse", np.where(iv["upper"] < 3.4, "better",
                                                              "similar"))
    assert (verdict.to_numpy() == expected).all()
    assert set(verdict) == {"better", "worse", "similar"}
    # Blackpool 7.6% of 3,210 and Barnet 0.6% of 8,765
    assert verdict["E06000009"] == "worse" and verdict["E09000003"] == "better"
    assert_allclose(iv.loc["E06000009"], [6.733, 8.568], atol=5e-4)  # by hand, z = 1.96
    strict = compare_to(la["NEET_percent"], reference=3.4, polarity="higher_worse",
                        lower=iv["lower"], upper=iv["upper"], ref_lower=ref["lower"],
                        ref_upper=ref["upper"])
    expected = np.where(iv["lower"] > ref["upper"], "worse",
                        np.where(iv["upper"] < ref["lower"], "better", "similar"))
    assert (strict.to_numpy() == expected).all()
    assert (strict != "similar").sum() <= (verdict != "similar").sum()  # overlap is stricter


@pytest.mark.real
def test_real_compare_area_blackpool(neet):
    la = neet[neet["geographic_level"] == "Local authority"]
    variables = ["Level_3", "avg_att8", "sess_overall_percent", "enrolments_pa_10_exact_percent"]
    # Cumberland and Westmorland and Furness (new in 2023) have no Level 3 or Attainment 8 rows
    with pytest.warns(UnmatchedCodesWarning, match="2 areas with NaN.*E06000063, E06000064"):
        nb = statistical_neighbours(la, "E06000009", variables=variables, k=5, missing="drop")
    assert len(nb) == 5 and "E06000009" not in nb.index
    assert nb["distance"].is_monotonic_increasing
    assert_allclose(nb.filter(like="contrib_").sum(axis=1), 1.0, rtol=1e-12)
    table = neet[["NEET_percent"]].rename(columns={"NEET_percent": "neet2025.neet_percent"})
    catalogue = pd.DataFrame({"label": ["NEET 16-17"], "unit": ["%"], "polarity": ["higher_worse"],
                              "life_stage": ["youth"], "principle": ["beyond_school_gates"]},
                             index=["neet2025.neet_percent"])
    iv = {"neet2025.neet_percent": percent_interval(neet["NEET_percent"], neet["Cohort_DJFavg"])}
    out = compare_area("E06000009", table=table, catalogue=catalogue,
                       region_of=la["region_code"], neighbours=nb, intervals=iv).iloc[0]
    assert (out["value"], out["england"], out["england_source"]) == (7.6, 3.4, "published")
    assert (out["region_code"], out["region"], out["region_source"]) == ("E12000002", 4.3,
                                                                         "published")
    assert (out["rank"], out["n_ranked"]) == (1, 151)  # tied with Derby at 7.6%
    assert (out["vs_england"], out["vs_region"]) == ("worse", "worse")
    assert_allclose(out["neighbours_mean"], la.loc[nb.index, "NEET_percent"].mean(), rtol=1e-12)
