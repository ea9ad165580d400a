"""Tests for geo.profile and geo.profile_tables: council measures, profiles with verdicts,
readable tables and spine charts.

Synthetic tables mimic the store's: five lower-tier councils in two regions (two districts of
one county, three unitary authorities), IoD-style summaries for councils, regions and England,
NEET percentages with cohorts, and a Social Mobility Commission z-score published for lower-tier
councils only. Real-data tests (marked ``real``) check Manchester against published figures.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import geo
from geo import profile as gp
from geo import profile_neighbours as gn
from geo import profile_tables as gt
from geo._errors import InputError
from geo.maps.charts import spine_chart
from geo.stats.neighbours import DEFAULT_NEIGHBOUR_VARIABLES

LAD = ["E07000001", "E07000002", "E06000001", "E06000002", "E06000003"]
UTLA = ["E10000001", "E06000001", "E06000002", "E06000003"]


def _cat_row(ident, unit, polarity, stage, principle, level):
    dataset, column = ident.split(".", 1)
    return {"id": ident, "dataset": dataset, "column": column, "label": f"Label {column}",
            "unit": unit, "polarity": polarity, "life_stage": stage, "principle": principle,
            "level": level}


@pytest.fixture
def catalogue() -> pd.DataFrame:
    rows = [
        _cat_row("summary_lad24.imd_average_score", "score", "higher_worse", "all_ages",
                 "equity", "lad24"),
        _cat_row("summary_lad24.compounded_share_population", "share of population",
                 "higher_worse", "all_ages", "equity", "lad24"),
        _cat_row("summary_utla24.imd_average_score", "score", "higher_worse", "all_ages",
                 "equity", "utla24"),
        _cat_row("neet2025.neet_percent", "% of cohort", "higher_worse", "youth", "equity",
                 "utla24"),
        _cat_row("neet2025.attainment8", "points", "higher_better", "school",
                 "beyond_school_gates", "utla24"),
        _cat_row("smc_ci1.conditions", "z-score", "higher_better", "early_years", "equity",
                 "lad24"),
        _cat_row("iod2025.imd_score", "score", "higher_worse", "all_ages", "equity", "lsoa21"),
    ]
    return pd.DataFrame(rows).set_index("id")


def _neighbour_vars(n: int, offset: float) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    return {v: rng.normal(offset + i, 1 + i / 10, n) for i, v in
            enumerate(DEFAULT_NEIGHBOUR_VARIABLES)}


@pytest.fixture
def tables() -> dict[str, pd.DataFrame]:
    lad = pd.DataFrame({**_neighbour_vars(5, 0.0),
                        "name": ["Dist A", "Dist B", "Uni C", "Uni D", "Uni E"],
                        "imd_average_score": [30.0, 20.0, 10.0, 25.0, 15.0],
                        "compounded_share_population": [0.30, 0.10, 0.0, 0.20, 0.05]},
                       index=pd.Index(LAD, name="lad24_code"))
    lad["imd_average_score_rank"] = lad["imd_average_score"].rank(ascending=False).astype(int)
    utla = pd.DataFrame({**_neighbour_vars(4, 1.0), "name": ["County", "Uni C", "Uni D", "Uni E"],
                         "imd_average_score": [25.0, 10.0, 25.0, 15.0]}, index=pd.Index(UTLA, name="utla24_code"))
    region = pd.DataFrame({"imd_average_score": [21.0, 19.0],
                           "compounded_share_population": [0.12, 0.08]},
                          index=pd.Index(["E12000001", "E12000002"], name="region_code"))
    england = pd.DataFrame({"imd_average_score": [21.8], "compounded_share_population": [0.10]},
                           index=pd.Index(["E92000001"], name="country_code"))
    neet = pd.DataFrame({"cohort": [1000.0, 1000.0, 800.0, 500.0],
                         "neet_percent": [10.0, 5.2, 4.0, 20.0],
                         "attainment8": [45.0, 47.0, 44.0, 50.0]},
                        index=pd.Index(UTLA, name="utla24_code"))
    neet_eng = pd.DataFrame({"cohort": [100_000.0], "neet_percent": [5.0],
                             "attainment8": [46.1]},
                            index=pd.Index(["E92000001"], name="country_code"))
    neet_reg = pd.DataFrame({"cohort": [50_000.0, 50_000.0], "neet_percent": [5.0, 6.0],
                             "attainment8": [46.0, 45.0]},
                            index=pd.Index(["E12000001", "E12000002"], name="region_code"))
    smc = pd.DataFrame({"conditions": [-1.0, 0.5, 1.0, -0.5, 0.0]},
                       index=pd.Index(LAD, name="lad24_code"))
    return {"summary_lad24": lad, "summary_utla24": utla, "summary_region": region,
            "summary_england": england, "neet2025": neet, "neet2025_england": neet_eng,
            "neet2025_regions": neet_reg, "smc_ci1": smc}


@pytest.fixture
def councils() -> pd.DataFrame:
    return pd.DataFrame({
        "name": ["Dist A", "Dist B", "Uni C", "Uni D", "Uni E", "County"],
        "level": ["lad24"] * 5 + ["utla24"],
        "region_code": ["E12000001"] * 3 + ["E12000002"] * 2 + ["E12000001"],
        "utla24_code": ["E10000001", "E10000001", "E06000001", "E06000002", "E06000003",
                        "E10000001"],
    }, index=LAD + ["E10000001"])


@pytest.fixture
def measures(catalogue) -> pd.DataFrame:
    return gp.council_measures(catalogue)


IDS = ("smc_ci1.conditions", "neet2025.attainment8", "neet2025.neet_percent",
       "summary.imd_average_score", "summary.compounded_share_population")


# ----------------------------------------------------------------------------- measures


def test_council_measures_level_free_ids_tables_and_scale(measures):
    assert list(measures.index) == ["summary.imd_average_score",
                                    "summary.compounded_share_population",
                                    "neet2025.neet_percent", "neet2025.attainment8",
                                    "smc_ci1.conditions"]
    imd = measures.loc["summary.imd_average_score"]
    assert (imd["lad24"], imd["utla24"], imd["region"], imd["england"]) == (
        "summary_lad24", "summary_utla24", "summary_region", "summary_england")
    comp = measures.loc["summary.compounded_share_population"]
    assert comp["utla24"] == ""  # not in the catalogue for upper-tier councils
    assert (comp["factor"], comp["unit"]) == (100.0, "% of people")
    neet = measures.loc["neet2025.neet_percent"]
    assert (neet["lad24"], neet["utla24"], neet["region"], neet["england"]) == (
        "", "neet2025", "neet2025_regions", "neet2025_england")
    assert measures.loc["smc_ci1.conditions", "england"] == ""


def test_council_measures_refuses_a_bad_catalogue():
    with pytest.raises(InputError, match=r"`catalogue` lacks columns \['dataset'"):
        gp.council_measures(pd.DataFrame({"label": ["x"]}))


def test_comparison_table_rows_and_display_units(tables, measures):
    lad = gp.comparison_table(tables, measures, level="lad24")
    assert lad.index.name == "lad24_code"
    assert list(lad.index) == sorted(LAD) + ["E12000001", "E12000002", "E92000001"]
    assert_allclose(lad.loc["E07000001", "summary.compounded_share_population"], 30.0)
    assert_allclose(lad.loc["E92000001", "summary.imd_average_score"], 21.8)
    assert pd.isna(lad.loc["E92000001", "smc_ci1.conditions"])
    assert "neet2025.neet_percent" not in lad.columns
    utla = gp.comparison_table(tables, measures, level="utla24")
    assert_allclose(utla.loc["E12000002", "neet2025.neet_percent"], 6.0)
    with pytest.raises(InputError, match="`level` must be one of"):
        gp.comparison_table(tables, measures, level="lsoa21")


def test_cohort_intervals_are_wilson_in_percent(tables, measures):
    iv = gp.cohort_intervals(tables, measures, level="utla24")
    assert list(iv) == ["neet2025.neet_percent"]  # attainment has no cohort denominator
    # 10% of 1,000 and 5% of 100,000: Wilson score intervals computed by hand (z = 1.96)
    assert_allclose(iv["neet2025.neet_percent"].loc["E10000001"], [8.290944, 12.015196],
                    atol=1e-5)
    assert_allclose(iv["neet2025.neet_percent"].loc["E92000001"], [4.866639, 5.136818],
                    atol=1e-5)


# ----------------------------------------------------------------------------- profiles


def test_district_profile_uses_its_county_for_dfe_figures(tables, measures, councils):
    prof = gp.council_profile("E07000001", tables=tables, measures=measures,
                              councils=councils, ids=IDS)
    assert list(prof.index) == list(IDS)
    imd = prof.loc["summary.imd_average_score"]
    assert (imd["area_code"], imd["level"]) == ("E07000001", "lad24")
    assert_allclose([imd["value"], imd["england"], imd["region"]], [30.0, 21.8, 21.0])
    # England's row of the IoD summaries is the store's own summary of England as one area
    assert (imd["england_source"], imd["region_source"]) == ("store-computed", "published")
    assert (imd["rank"], imd["n_ranked"]) == (1, 5)  # 30 is the worst of five councils
    neet = prof.loc["neet2025.neet_percent"]
    assert neet["area_code"] == "E10000001"
    assert_allclose([neet["lower"], neet["upper"]], [8.290944, 12.015196], atol=1e-5)
    assert_allclose([neet["england_lower"], neet["england_upper"]], [4.866639, 5.136818],
                    atol=1e-5)
    assert (neet["vs_england"], neet["vs_region"]) == ("worse", "worse")
    assert prof.loc["neet2025.attainment8", "vs_england"] == "not tested"
    assert_allclose(prof.loc["summary.compounded_share_population", "value"], 30.0)
    smc = prof.loc["smc_ci1.conditions"]
    # no England figure is published: none shown, not a mean of councils
    assert smc["england_source"] == "none published" and pd.isna(smc["england"])
    assert smc["vs_england"] == "not tested"
    neighbours = imd["neighbours"].split(";")
    assert len(neighbours) == 4 and "E07000001" not in neighbours


def test_unitary_profile_similar_and_county_profile(tables, measures, councils):
    uni = gp.council_profile("E06000001", tables=tables, measures=measures,
                             councils=councils, ids=IDS)
    # 5.2% of 1,000 (3.99% to 6.76%) overlaps England's 4.87% to 5.14%: similar
    assert uni.loc["neet2025.neet_percent", "vs_england"] == "similar"
    assert uni.loc["neet2025.neet_percent", "area_code"] == "E06000001"
    county = gp.council_profile("E10000001", tables=tables, measures=measures,
                                councils=councils, ids=IDS)
    assert "smc_ci1.conditions" not in county.index  # published for lower-tier councils only
    assert set(county["area_code"]) == {"E10000001"}
    assert_allclose(county.loc["summary.imd_average_score", "value"], 25.0)


def test_profile_unknown_code(tables, measures, councils):
    with pytest.raises(InputError, match="`code` 'E09999999' is not a council code"):
        gp.council_profile("E09999999", tables=tables, measures=measures, councils=councils)


def test_profile_table_and_sentence(tables, measures, councils):
    prof = gp.council_profile("E07000001", tables=tables, measures=measures,
                              councils=councils, ids=IDS)
    table = gt.profile_table(prof, names={"E10000001": "County"})
    assert list(table["Life stage"]) == ["Early years", "School", "Youth", "All ages",
                                         "All ages"]
    neet = table.loc["neet2025.neet_percent"]
    assert neet["Value"] == "10.0% of cohort (8.3 to 12.0)"
    assert neet["Figure for"] == "County"
    assert table.loc["summary.imd_average_score", "Rank (1 = worst)"] == "1 of 5"
    assert table.loc["smc_ci1.conditions", "England"] == "no England figure published"
    text = gt.describe_profile(prof, name="Dist A")
    assert text == ("Dist A: 5 indicators; among the worst fifth of councils on 3 (rank 1 = "
                    "worst whatever the direction). Tested against England with 95% intervals: "
                    "1 worse, 0 similar, 0 better.")


def test_side_by_side_words(tables, measures, councils):
    profiles = {name: gp.council_profile(code, tables=tables, measures=measures,
                                         councils=councils, ids=IDS)
                for name, code in (("Dist A", "E07000001"), ("Uni C", "E06000001"))}
    table = gt.side_by_side(profiles)
    assert list(table.columns) == ["Life stage", "Principle", "Indicator", "England", "Dist A",
                                   "Dist A: vs England · region · neighbours", "Uni C",
                                   "Uni C: vs England · region · neighbours"]
    assert table.loc["summary.imd_average_score", "Dist A"] == "30.0 score · rank 1 of 5"
    # no interval for the IoD: directions by value only, in brackets
    assert table.loc["summary.imd_average_score",
                     "Uni C: vs England · region · neighbours"].startswith("(better) · (better)")
    assert table.loc["neet2025.neet_percent",
                     "Dist A: vs England · region · neighbours"].startswith("worse · worse")


# ----------------------------------------------------------------------------- spine


def _spine_profile(value: float, polarity: str) -> pd.DataFrame:
    return pd.DataFrame({
        "label": ["x"], "unit": ["score"], "polarity": [polarity], "life_stage": ["school"],
        "principle": ["equity"], "value": [value], "england": [10.0], "vs_england": ["worse"],
        "rank": [2.0], "n_ranked": [4], "level": ["lad24"],
    }, index=pd.Index(["m.x"], name="indicator"))


def test_spine_data_puts_worse_on_the_left():
    table = pd.DataFrame({"m.x": [5.0, 10.0, 20.0, 30.0, 10.0]},
                         index=["E1", "E2", "E3", "E4", "E92000001"])
    worse = gt.spine_data({"A": _spine_profile(20.0, "higher_worse")}, {"lad24": table})
    # oriented distances from England: 5, 0, -10, -20, scaled by 20 (England's row left out)
    row = worse.iloc[0]
    assert_allclose(row[["x", "x_worst", "x_q25", "x_median", "x_q75", "x_best"]].astype(float),
                    [-0.5, -1.0, -0.625, -0.25, 0.0625, 0.25])
    assert row["n_councils"] == 4 and row["stage"] == "School"
    better = gt.spine_data({"A": _spine_profile(20.0, "higher_better")}, {"lad24": table})
    assert_allclose(better.iloc[0][["x", "x_worst", "x_best"]].astype(float), [0.5, -0.25, 1.0])


def test_spine_data_puts_a_uk_wide_measure_on_one_uk_scale():
    # councils of two nations: the measure is UK-wide, centred on the mean of all councils (15)
    table = pd.DataFrame({"m.x": [5.0, 10.0, 20.0, 25.0]},
                         index=["E06000001", "E06000002", "S12000001", "S12000002"])
    scots, english = _spine_profile(20.0, "higher_worse"), _spine_profile(10.0, "higher_worse")
    scots["england"] = 22.0  # each profile's own nation: not the centre of a UK-wide row
    spine = gt.spine_data({"S": scots, "E": english}, {"lad24": table}).set_index("area")
    assert_allclose(spine["x"].astype(float), [-0.5, 0.5])  # (15 - 20) / 10, (15 - 10) / 10
    assert spine["x_worst"].nunique() == 1 and spine["x_best"].nunique() == 1  # one band
    assert set(spine["benchmark"]) == {gt.UK_BENCHMARK} and set(spine["england"]) == {15.0}


def test_spine_chart_layers_and_errors():
    table = pd.DataFrame({"m.x": [5.0, 10.0, 20.0, 30.0]}, index=["E1", "E2", "E3", "E4"])
    data = gt.spine_data({"A": _spine_profile(20.0, "higher_worse"),
                          "B": _spine_profile(5.0, "higher_worse")}, {"lad24": table})
    spec = spine_chart(data, colour_by="area").to_dict()
    assert spec["facet"]["row"]["field"] == "stage"
    marks = [layer["mark"]["type"] for layer in spec["spec"]["layer"]]
    assert marks == ["bar", "bar", "tick", "point"]
    assert spec["spec"]["layer"][3]["encoding"]["color"]["field"] == "area"
    assert "worse" in json.dumps(spec["spec"]["layer"][0]["encoding"]["x"]["axis"])
    assert spec["spec"]["layer"][0]["encoding"]["x"]["axis"]["labelExpr"].endswith('"England"')
    # a Scottish council's chart names Scotland at the tick, in the legend and the tooltips
    scots = spine_chart(data, colour_by="verdict", benchmark="Scotland").to_dict()
    assert scots["spec"]["layer"][0]["encoding"]["x"]["axis"]["labelExpr"].endswith('"Scotland"')
    assert scots["spec"]["layer"][3]["encoding"]["color"]["title"] == "vs Scotland"
    assert "England" not in json.dumps(scots)
    # a long name is wrapped, not replaced by "benchmark"
    irish = spine_chart(data, benchmark="Northern Ireland").to_dict()
    assert irish["spec"]["layer"][0]["encoding"]["x"]["axis"]["labelExpr"].endswith(
        '["Northern", "Ireland"]')
    with pytest.raises(InputError, match="`colour_by` must be"):
        spine_chart(data, colour_by="rainbow")
    with pytest.raises(InputError, match="`data` is empty"):
        spine_chart(data.iloc[0:0])
    with pytest.raises(InputError, match=r"`data` lacks columns \['x'"):
        spine_chart(data.drop(columns=["x"]))


# ----------------------------------------------------------------------------- blocks


def test_iod_summary_ranks(tables):
    ranks = gp.iod_summary_ranks(tables["summary_lad24"], "E06000001")
    assert ranks.loc["Index of Multiple Deprivation", "Average score"] == "5 of 5"
    assert ranks.loc["Income", "Average score"] == ""  # no such column here
    with pytest.raises(InputError, match="`code` 'nope' is not in the summary table"):
        gp.iod_summary_ranks(tables["summary_lad24"], "nope")


def test_neet_comparison_by_year(tables):
    neet = gp.neet_comparison(tables, "E10000001", years=("2025",), columns=("neet_percent",))
    row = neet.iloc[0]
    assert (row["year"], row["measure"], row["verdict"]) == ("2025", "neet_percent", "worse")
    assert_allclose(row[["lower", "upper", "england_lower", "england_upper"]].astype(float),
                    [8.290944, 12.015196, 4.866639, 5.136818], atol=1e-5)
    assert gp.neet_comparison(tables, "E06000001", years=("2025",),
                              columns=("neet_percent",)).iloc[0]["verdict"] == "similar"
    assert gp.neet_comparison(tables, "E99999999").empty


def test_neighbour_reasons_shares_of_distance():
    frame = pd.DataFrame({"name": list("ABCD"), "x": [0.0, 1, 0, 3], "y": [0.0, 0, 2, 2]},
                         index=pd.Index(list("ABCD"), name="lad24_code"))
    out = gp.neighbour_reasons(frame, "A", k=2, variables=["x", "y"])
    assert list(out.index) == ["B", "C"]
    # x has population sd sqrt(1.5): B is 1/sqrt(1.5) = 0.8165 away, all of it on x
    assert_allclose(out["distance"], [0.816497, 2.0], atol=1e-6)
    assert list(out["differs_most_on"]) == ["x 100%", "y 100%"]
    assert_allclose(out["x (% of distance)"], [100.0, 0.0])


# ----------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def real(store):
    from geo.council import load_councils

    names = ["summary_lad24", "summary_utla24", "summary_region", "summary_england",
             "neet2025", "neet2025_england", "neet2025_regions", "ks2_2022", "smc_ci1"]
    tables = {n: geo.load_indicators(n) for n in names}
    return tables, gp.council_measures(geo.catalogue()), load_councils()


@pytest.mark.real
def test_manchester_profile_against_published_figures(real):
    tables, measures, councils = real
    prof = gp.council_profile("E08000003", tables=tables, measures=measures, councils=councils)
    imd = prof.loc["summary.imd_average_score"]
    assert (imd["rank"], imd["n_ranked"]) == (3, 296)
    assert_allclose([imd["value"], imd["england"]], [39.0, 21.84], atol=0.05)
    # DfE 2025: Manchester 7.3% NEET or not known of 14,892; England 5.6% of 1,335,160
    neet = prof.loc["neet2025.neet_or_not_known_percent"]
    assert_allclose([neet["value"], neet["england"]], [7.3, 5.6])
    assert neet["vs_england"] == "worse"
    assert_allclose([neet["lower"], neet["upper"]], [6.89, 7.73], atol=0.01)
    # compounded: the share of people in LSOAs with 3+ domains in the worst decile, from the
    # LSOA tables directly
    import boundaries

    lsoa = boundaries.load("lsoa21")
    people = geo.load_indicators("population")["population_total"]
    compounded = geo.load_indicators("compound")["compounded"].astype(bool)
    english = compounded.index
    here = lsoa.index[lsoa["lad24_code"] == "E08000003"]
    expected = [100 * people[here][compounded[here]].sum() / people[here].sum(),
                100 * people[english][compounded].sum() / people[english].sum()]
    comp = prof.loc["summary.compounded_share_population"]
    assert_allclose([comp["value"], comp["england"]], expected, rtol=1e-9)
    nb = gp.neighbour_reasons(tables["summary_lad24"], "E08000003")
    assert len(nb) == 10 and "E08000003" not in nb.index
    assert nb["distance"].is_monotonic_increasing
    assert_allclose(nb.filter(like="% of distance").sum(axis=1), 100.0)


@pytest.mark.real
def test_real_county_profile(real):
    tables, measures, councils = real
    kent = gp.council_profile("E10000016", tables=tables, measures=measures, councils=councils)
    n_upper = int(tables["summary_utla24"]["imd_average_score"].notna().sum())
    assert kent.loc["summary.imd_average_score", "n_ranked"] == n_upper
    n_neet = int(tables["neet2025"]["neet_or_not_known_percent"].notna().sum())
    assert kent.loc["neet2025.neet_or_not_known_percent", "n_ranked"] == n_neet


@pytest.mark.real
@pytest.mark.parametrize("code", ["S12000036", "W06000015"])  # Edinburgh, Cardiff
def test_councils_outside_england_compare_with_their_nation(real, code):
    tables, measures, councils = real
    prof = gp.council_profile(code, tables=tables, measures=measures, councils=councils)
    smc = tables["smc_ci1"]
    column = "conditions_of_childhood_2018_2024"
    row = prof.loc[f"smc_ci1.{column}"]
    nation = councils.index[councils["country"] == code[0]]
    # no English region: the council's nation stands for it (the mean of its councils)
    expected = smc[column].reindex(nation.intersection(smc.index)).mean()
    assert row["region"] == pytest.approx(expected)


@pytest.mark.real
@pytest.mark.parametrize(("code", "area"), [("N09000003", "Northern Ireland"),  # Belfast
                                            ("E07000089", "Hampshire")])  # Hart
def test_a_figure_for_a_larger_area_is_named_and_not_ranked(real, code, area):
    from geo.profile_tables import describe_profile, profile_table

    tables, measures, councils = real
    prof = gp.council_profile(code, tables=tables, measures=measures, councils=councils)
    smc = tables["smc_ci1"]
    sharing = int((smc["area_name"] == area).sum())  # every council the figure stands for
    row = prof.loc["smc_ci1.conditions_of_childhood_2018_2024"]
    assert row["shared_area"] == area and row["n_sharing"] == sharing > 1
    assert pd.isna(row["rank"])  # the councils of the area would tie: not a council's rank
    shown = profile_table(prof).loc["smc_ci1.conditions_of_childhood_2018_2024", "Figure for"]
    assert shown == f"{area} (one figure for {sharing} councils; not ranked)"
    ranked = prof[prof["rank"] <= prof["n_ranked"] * 0.2]
    assert f"worst fifth of councils on {len(ranked)} " in describe_profile(prof, name="x")
    assert not ranked.index.str.startswith("smc_").any()


@pytest.mark.real
@pytest.mark.parametrize("code", ["E06000063", "E06000064"])  # Cumberland, Westmorland
def test_a_county_figure_carried_to_its_successors_is_shared_and_not_ranked(real, code):
    """DfE still publishes abolished Cumbria (E10000006); its one figure is carried to both
    successor unitary authorities, and is shown as Cumbria's, as the SMC's shared figures."""
    from geo.profile_tables import profile_table

    tables, measures, councils = real
    neet, ks2 = geo.load_indicators("neet2023"), tables["ks2_2022"]
    tables = {**tables, "neet2023": neet}
    ids = [i for i in measures.index if i.startswith(("neet2023.", "ks2_2022."))]
    prof = gp.council_profile(code, tables=tables, measures=measures, councils=councils, ids=ids)
    assert neet.at["E06000063", "cohort"] == neet.at["E06000064", "cohort"]  # the county's
    carried = list(prof.index)
    assert {i.split(".")[0] for i in carried} == {"neet2023", "ks2_2022"}
    shown = profile_table(prof)
    for ident in carried:
        row = prof.loc[ident]
        assert (row["shared_area"], row["n_sharing"]) == ("Cumbria", 2), ident
        assert pd.isna(row["rank"]), ident
        assert shown.loc[ident, "Figure for"] == "Cumbria (one figure for 2 councils; not ranked)"
    assert (ks2.loc[["E06000063", "E06000064"], "area_name"] == "Cumbria").all()
    # North Yorkshire and Somerset each have one successor, the same area: not shared
    counts = ks2["area_name"].value_counts()
    assert counts[counts > 1].to_dict() == {"Cumbria": 2}


@pytest.mark.real
@pytest.mark.parametrize(("code", "ident"), [
    ("E06000009", "ks2_2022.ks2_gap_ppt"),  # Blackpool, among upper tiers: Cumbria twice
    ("E06000009", "smc_ci1.conditions_of_childhood_2018_2024"),  # counties, Northern Ireland
    ("W06000015", "smc_ci1.conditions_of_childhood_2018_2024")])  # Cardiff
def test_other_councils_ranks_count_a_shared_figure_once(real, code, ident):
    """A figure carried by several councils (Cumbria's for its two successors, a county's for
    its districts, the SMC's one Northern Ireland) is one published figure: another council's
    rank counts it once, not once per council that carries it."""
    tables, measures, councils = real
    prof = gp.council_profile(code, tables=tables, measures=measures, councils=councils)
    row = prof.loc[ident]
    level = str(row["level"])
    table = tables[str(measures.at[ident, level])]
    column = str(measures.at[ident, "column"])
    pool = table[table.index.str.match(r"^(E0[6-9]|E10|W06|S12|N09)")]  # councils, not regions
    pool = pool.dropna(subset=[column])
    named = pool["area_name"].notna() & pool["area_name"].duplicated()
    figures = pool[~named]  # each carried figure once
    sign = -1 if measures.at[ident, "polarity"] == "higher_better" else 1
    worse = int((sign * figures[column] > sign * pool.at[code, column]).sum())
    assert (row["rank"], row["n_ranked"]) == (worse + 1, len(figures))
    assert len(figures) < len(pool)  # some figure was carried


# ----------------------------------------------------------------------------- four nations


def test_council_basics_from_small_areas():
    small = pd.DataFrame({"lad24_code": ["W1", "W1", "S1", "S1", "S1"]},
                         index=["W01", "W02", "S01", "S02", "S03"])
    population = pd.DataFrame({"population_total": [100.0, 300.0], "age_0_15": [20.0, 40.0],
                               "age_65_plus": [10.0, 30.0]}, index=["W01", "W02"])
    out = gn.council_basics(small, population, pd.Series({"W1": 4.0, "S1": 30.0}))
    assert_allclose(out.loc["W1", ["population_2021", "share_age_0_15", "share_age_65_plus"]]
                    .astype(float), [400.0, 0.15, 0.1])
    assert_allclose(out.loc["W1", "log10_population_density"], 2.0)  # 100 people per km²
    assert_allclose(out.loc["S1", ["n_data_zones", "log10_data_zones_per_km2"]].astype(float),
                    [3.0, -1.0])
    assert pd.isna(out.loc["S1", "population_2021"])  # no Scottish population: not made up


def test_neighbour_basis_by_nation_says_which_pool():
    councils = pd.DataFrame({"name": ["A", "B", "C", "D"], "level": "lad24",
                             "country": ["W", "W", "W", "N"]}, index=["W1", "W2", "W3", "N1"])
    summary = pd.DataFrame({"wimd_average_score": [10.0, 20.0, 30.0]}, index=["W1", "W2", "W3"])
    basics = pd.DataFrame({c: [1.0, 2.0, 3.0] for c in gn.NATION_VARIABLES["W"][1:]},
                          index=["W1", "W2", "W3"])
    ukimd = pd.DataFrame({"uk_imd_score": [5.0, 6.0, 7.0, 8.0]}, index=["W1", "W2", "W3", "N1"])
    tables = {"summary_wimd2019_lad24": summary, gn.BASICS_TABLE: basics, "ukimd_la": ukimd}
    wales = gn.neighbour_basis("W1", tables=tables, councils=councils, labels=gp.NEIGHBOUR_LABELS)
    assert wales["own"] and wales["pool"] == "Wales's councils"
    assert list(wales["frame"].index) == ["W1", "W2", "W3"]
    assert wales["words"].startswith("The councils most like A among Wales's councils, on "
                                     "WIMD 2019 score")
    ni = gn.neighbour_basis("N1", tables=tables, councils=councils, labels=gp.NEIGHBOUR_LABELS)
    assert ni["variables"] == ("uk_imd_score",) and ni["pool"] == "every council of the UK"
    assert "composite UK IMD" in ni["words"] and not ni["own"]
    with pytest.raises(InputError, match="lack what the neighbours of W1 need"):
        gn.neighbour_basis("W1", tables={}, councils=councils, labels={})


def test_summary_ranks_of_published_figures_are_ranked_here():
    nimdm = pd.DataFrame({"nimdm_extent": [0.4, 0.1, 0.2], "nimdm_proportion_most_deprived_10":
                          [0.3, 0.0, 0.1]}, index=["N1", "N2", "N3"])
    ranks = gp.iod_summary_ranks(nimdm, "N3", domains={"nimdm": "NIMDM 2017"})
    assert ranks.loc["NIMDM 2017", "Extent"] == "2 of 3"
    assert list(ranks.columns) == ["Small areas in most deprived 10%", "Extent"]  # none published


@pytest.fixture(scope="module")
def nations(store):
    from pages import _data as data

    return data.store_tables(), gp.council_measures(geo.catalogue()), data.councils()


@pytest.mark.real
@pytest.mark.parametrize(("code", "nation", "summary", "country"), [
    ("W06000015", "Wales", "summary_wimd2019_lad24", "summary_wimd2019_country"),
    ("S12000049", "Scotland", "summary_simd2020_lad24", "summary_simd2020_country"),
])
def test_a_welsh_or_scottish_profile_is_benchmarked_on_its_nation(nations, code, nation,
                                                                   summary, country):
    tables, measures, councils = nations
    prof = gp.council_profile(code, tables=tables, measures=measures, councils=councils)
    assert set(prof["benchmark"]) == {nation}
    own = [i for i in prof.index if i.startswith(summary)]
    assert own, "the nation's own index is in the profile"
    column = own[0].split(".", 1)[1]
    row = prof.loc[own[0]]
    published = geo.load_indicators(country)[column].iloc[0] * measures.loc[own[0], "factor"]
    assert row["england"] == pytest.approx(published)
    assert row["england_source"] == "store-computed"  # the store's summary, not a publisher's
    n_nation = int(geo.load_indicators(summary)[column].notna().sum())
    assert row["n_ranked"] == n_nation
    ukimd = geo.load_indicators("ukimd_la")["uk_imd_score"]
    composite = prof.loc["ukimd_la.uk_imd_score"]
    assert pd.isna(composite["england"])  # no nation figure published: not a mean of councils
    assert composite["england_source"] == "none published"
    assert composite["n_ranked"] == ukimd.notna().sum()  # ranked among every UK council
    neighbours = row["neighbours"].split(";")
    assert len(neighbours) == 10 and all(c[:3] == code[:3] for c in neighbours)
    table = gt.profile_table(prof)
    assert {nation, f"vs {nation}"} <= set(table.columns) and "England" not in table.columns


@pytest.mark.real
def test_compare_of_four_nations_puts_the_composite_on_one_uk_scale(nations):
    tables, measures, councils = nations
    codes = {"Cardiff": "W06000015", "Glasgow": "S12000049", "Belfast": "N09000003",
             "Hart": "E07000089"}
    profiles = {name: gp.council_profile(code, tables=tables, measures=measures,
                                         councils=councils) for name, code in codes.items()}
    levels = {lvl: gp.comparison_table(tables, measures, level=lvl) for lvl in ("lad24", "utla24")}
    spine = gt.spine_data(profiles, levels)
    row = spine[spine["indicator"] == "ukimd_la.uk_imd_score"].set_index("area")
    assert len(row) == 4 and row["x_worst"].nunique() == 1 and row["england"].nunique() == 1
    # higher is worse: the x order is the reverse of the score order (Belfast leftmost)
    assert list(row.sort_values("x").index) == list(row.sort_values("value", ascending=False).index)
    assert row.loc["Belfast", "x"] < row.loc["Glasgow", "x"] < row.loc["Cardiff", "x"]


@pytest.mark.real
def test_a_northern_irish_profile_has_its_council_figures_and_the_composite(nations):
    tables, measures, councils = nations
    prof = gp.council_profile("N09000003", tables=tables, measures=measures, councils=councils)
    assert set(prof["benchmark"]) == {"Northern Ireland"}
    extent = prof.loc["nimdm2017.nimdm_extent"]
    assert extent["value"] == pytest.approx(
        100 * geo.load_indicators("nimdm2017").at["N09000003", "nimdm_extent"])
    assert extent["n_ranked"] == len(geo.load_indicators("nimdm2017"))
    assert "ukimd_la.uk_imd_score" in prof.index
    neighbours = prof.loc["ukimd_la.uk_imd_score", "neighbours"].split(";")
    assert len(neighbours) == 10  # from the whole UK on the composite
    ukimd = geo.load_indicators("ukimd_la")["uk_imd_score"]
    gap = (ukimd.drop("N09000003") - ukimd["N09000003"]).abs().sort_values()
    assert set(neighbours) == set(gap.index[:10])


@pytest.mark.real
def test_no_nation_benchmark_is_a_mean_of_councils(nations, real):
    """Belfast: Northern Ireland publishes no nation figure for NIMDM 2017. The share of its
    SOAs in its own most deprived 10% is 10% by construction; the rest have no benchmark (the
    audit found 7.58% and 16.64%, unweighted means of the 11 councils, labelled Northern
    Ireland). England has no KS2 row in the DfE file: no England figure either."""
    tables, measures, councils = nations
    prof = gp.council_profile("N09000003", tables=tables, measures=measures, councils=councils)
    share = prof.loc["nimdm2017.nimdm_proportion_most_deprived_10"]
    assert (share["england"], share["england_source"]) == (10.0, "by construction")
    others = prof.drop(index=share.name)
    assert others["england"].isna().all()
    assert set(others["england_source"]) == {"none published"}
    shown = gt.profile_table(prof)["Northern Ireland"]
    assert shown[share.name] == "10.0% of SOAs (by construction)"
    assert set(shown.drop(index=share.name)) == {"no Northern Ireland figure published"}
    tables, measures, councils = real
    assert "E92000001" not in tables["ks2_2022"].index
    manchester = gp.council_profile("E08000003", tables=tables, measures=measures,
                                    councils=councils)
    ks2 = manchester.loc[manchester.index.str.startswith("ks2_2022.")]
    assert len(ks2) and ks2["england"].isna().all()
    assert not (manchester["england_source"] == "mean of areas").any()


@pytest.mark.real
def test_menus_list_each_indicators_newest_edition_first(real):
    measures = real[1]
    order = gt.menu_order(measures)
    assert sorted(order) == sorted(measures.index)  # every measure, once
    at = {ident: i for i, ident in enumerate(order)}
    assert (at["neet2025.neet_percent"] < at["neet2023.neet_percent"]
            < at["neet2022.neet_percent"])
    assert (at["smc_ci1.conditions_of_childhood_2018_2024"]
            < at["smc_ci1.conditions_of_childhood_2012_2017"]
            < at["smc_ci1.conditions_of_childhood_2000_2005"])
    # within an edition, the published order stands; measures without editions keep their place
    assert at["neet2025.neet_percent"] < at["neet2025.attainment8"]
    summary = [i for i in order if i.startswith("summary.")]
    assert summary == [i for i in measures.index if i.startswith("summary.")]


def test_menu_order_keeps_measures_without_editions_in_place():
    m = pd.DataFrame({"dataset": ["imd", "neet2022", "neet2022", "neet2025", "smc", "smc"],
                      "column": ["x", "a", "b", "a", "c_2000_2005", "c_2018_2024"]},
                     index=["i", "n22a", "n22b", "n25a", "c00", "c18"])
    assert gt.menu_order(m) == ["i", "n25a", "n22a", "n22b", "c18", "c00"]
