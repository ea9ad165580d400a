"""The analysis of an uploaded indicator (geo.analysis.upload), its files and ``python -m geo analyse``.

Unit tests use small synthetic frames and the shared lattice; tests marked ``real`` build an
upload from the mirror, run the command and check its outputs against values computed here
independently (scipy's Spearman, population-weighted means from the mirror's own files).
Tests that run the statistics of the rewrite (polarity, outcomes, the permutation engine) are
marked ``needs_rewrite`` and skipped on a tree without it.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from numpy.testing import assert_allclose
from scipy import stats

from geo._errors import InputError
from geo.analysis._upload_tables import (
    council_comparison,
    deprivation_correlations,
    upload_ranks,
    upload_summaries,
)
from geo.analysis.upload import (
    MIN_AREAS,
    UploadAnalysis,
    analyse_upload,
    hotspot_reason,
    upload_for_analysis,
)
from geo.export.analysis_zip import (
    HOTSPOT_CSV_COLUMNS,
    analysis_files,
    analysis_zip,
    write_analysis_folder,
)

HAS_REWRITE = importlib.util.find_spec("geo.stats.outcome") is not None
needs_rewrite = pytest.mark.skipif(not HAS_REWRITE, reason="needs the statistics rewrite "
                                   "(polarity, outcomes, the permutation engine)")
OUTCOMES = {"worse cluster", "worse outlier", "better outlier", "better cluster",
            "not significant", "not tested"}


# ----------------------------------------------------------------------------- arguments
def test_polarity_has_no_default_and_every_bad_argument_is_named():
    values = pd.Series([1.0, 2.0], index=pd.Index(["a", "b"], name="lsoa21_code"))
    with pytest.raises(InputError, match="polarity") as err:
        analyse_upload(values, level="lsoa21", polarity=None)  # type: ignore[arg-type]
    assert "no default" in str(err.value)
    with pytest.raises(InputError) as err:
        analyse_upload(values.astype(str), level="lsoa99", polarity="worse")  # type: ignore[arg-type]
    assert all(w in str(err.value) for w in ("`level`", "`polarity`", "numeric"))


@pytest.mark.parametrize(("values", "level", "reason"), [
    ([], "lsoa21", "No area has a value"),
    ([np.nan] * 40, "lsoa21", "No area has a value"),
    ([1.0] * 29, "lsoa21", "Only 29 areas"),
    ([2.5] * 40, "lsoa21", "same value (2.5)"),
    (list(range(40)), "lad24", "small areas"),
    (list(range(40)), "lsoa21", ""),
])
def test_hotspot_reason_says_why_nothing_was_tested(values, level, reason):
    said = hotspot_reason(pd.Series(values, dtype=float), level)
    assert (reason in said) if reason else said == ""
    assert MIN_AREAS == 30


def test_analyse_follows_the_command_line_convention():
    from geo.cli._common import HelpFormatter
    from geo.cli.parser import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices["analyse"]
    formatter = HelpFormatter(prog="analyse")
    options = {o for a in sub._actions for o in a.option_strings}
    assert {"--column", "--polarity", "--out", "--force", "--permutations", "--areas"} <= options
    for action in sub._actions:
        if action.option_strings and not action.required and action.nargs != 0:
            assert "default" in (formatter._get_help_string(action) or "").lower(), action.dest
    polarity = next(a for a in sub._actions if a.dest == "polarity")
    assert polarity.default is None and set(polarity.choices) == {"higher_worse", "higher_better"}


# ----------------------------------------------------------------------------- ranks, summaries
def test_own_ranks_put_the_worst_first_either_way_up():
    values = pd.Series([1.0, 2.0, 2.0, 3.0, np.nan], index=list("abcde"))
    worse = upload_ranks(values, polarity="higher_worse")
    better = upload_ranks(values, polarity="higher_better")
    assert worse["rank"].to_dict() == {"a": 4.0, "b": 2.5, "c": 2.5, "d": 1.0}
    assert better["rank"].to_dict() == {"a": 1.0, "b": 2.5, "c": 2.5, "d": 4.0}
    assert worse.attrs["n_ranked"] == 4 and "e" not in worse.index
    assert worse["decile"].to_dict() == {"a": 10, "b": 7, "c": 7, "d": 3}


def _small_areas(n: int = 40, seed: int = 3) -> tuple[pd.Series, pd.Series, pd.Series]:
    rng = np.random.default_rng(seed)
    codes = pd.Index([f"E0{i:07d}" for i in range(n)], name="lsoa21_code")
    values = pd.Series(rng.normal(50, 10, n), index=codes)
    parent = pd.Series(np.where(np.arange(n) < n // 2, "P1", "P2"), index=codes, name="lad24_code")
    population = pd.Series(rng.integers(1000, 3000, n).astype(float), index=codes)
    return values, parent, population


@pytest.mark.parametrize("polarity", ["higher_worse", "higher_better"])
def test_summaries_match_a_hand_computation(polarity):
    values, parent, population = _small_areas()
    values.iloc[-3:] = np.nan  # three areas of P2 without a value: coverage 17 of 20
    out = upload_summaries(values, polarity=polarity, parent=parent, population=population,
                           names=pd.Series({"P1": "One", "P2": "Two"}))
    present = values.dropna()
    sign = 1 if polarity == "higher_worse" else -1
    rank = (sign * present).rank(ascending=False)
    n = len(present)
    for code in ("P1", "P2"):
        members = present.index[parent.reindex(present.index) == code]
        w = population[members]
        assert out.at[code, "average"] == pytest.approx((w * present[members]).sum() / w.sum())
        assert out.at[code, "share_worst_decile"] == pytest.approx(
            (rank[members] <= n / 10).mean())
        pct = np.ceil(100 * rank[members] / n)
        weight = np.where(pct <= 10, 1.0, np.where(pct <= 30, 0.95 - 0.9 * (pct - 11) / 19, 0))
        assert out.at[code, "extent"] == pytest.approx((w * weight).sum() / w.sum())
    assert out.loc["P2", ["n_areas", "n_areas_level"]].tolist() == [17, 20]
    assert out.at["P2", "coverage"] == pytest.approx(17 / 20)
    assert out.at["P1", "name"] == "One"
    worst = out["average"].idxmax() if sign > 0 else out["average"].idxmin()
    assert out.at[worst, "average_rank"] == 1


def test_summaries_the_other_way_up_keep_averages_and_reverse_ranks():
    values, parent, population = _small_areas()
    a = upload_summaries(values, polarity="higher_worse", parent=parent, population=population)
    b = upload_summaries(-values, polarity="higher_better", parent=parent, population=population)
    assert_allclose(a["average"], -b["average"])
    for column in ("average_rank", "share_worst_decile", "extent", "local_concentration"):
        assert_allclose(a[column].astype(float), b[column].astype(float))


# ----------------------------------------------------------------------------- deprivation
def test_correlations_are_scipys_spearman_and_say_which_way():
    rng = np.random.default_rng(0)
    codes = pd.Index([f"E{i:08d}" for i in range(60)])
    imd = pd.Series(rng.gamma(2, 10, 60), index=codes)
    values = pd.Series(imd.to_numpy() * 0.5 + rng.normal(0, 5, 60), index=codes)
    values.iloc[:5] = np.nan
    depr = pd.DataFrame({"imd_score": imd, "flat": 1.0}, index=codes).iloc[2:]
    out = deprivation_correlations(values, depr, labels={"imd_score": "IMD"},
                                   polarity="higher_worse", alpha=0.05)
    both = pd.concat([values, imd], axis=1).iloc[2:].dropna()
    expected = stats.spearmanr(both.iloc[:, 0], both.iloc[:, 1])
    assert out.at["imd_score", "n"] == len(both) == 55
    assert out.at["imd_score", "spearman_rho"] == pytest.approx(expected.statistic)
    assert out.at["imd_score", "p"] == pytest.approx(expected.pvalue)
    assert out.at["imd_score", "direction"] == "worse where deprivation is higher"
    assert np.isnan(out.at["flat", "spearman_rho"])
    assert out.at["flat", "direction"] == "no clear link"
    other = deprivation_correlations(values, depr, labels={}, polarity="higher_better", alpha=0.05)
    assert other.at["imd_score", "direction"] == "better where deprivation is higher"


def _councils(n: int = 12, seed: int = 5) -> tuple[pd.Series, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    codes = pd.Index([f"E0600{i:04d}" for i in range(n)], name="lad24_code")
    summary = pd.DataFrame(rng.normal(size=(n, 3)), index=codes, columns=["imd_average_score",
                                                                          "share_age_65_plus",
                                                                          "share_age_0_15"])
    summary["name"] = [f"Council {i}" for i in range(n)]
    values = pd.Series(rng.normal(10, 2, n), index=codes)
    return values, summary


def test_council_ranks_and_neighbours_agree_with_a_brute_force_search():
    values, summary = _councils()
    values.iloc[-1] = np.nan
    out = council_comparison(values, polarity="higher_better", summary=summary, k=4)
    present = values.dropna()
    assert out.at[present.idxmin(), "rank"] == 1 and out.at[present.idxmax(), "rank"] == 11
    z = summary.drop(columns="name")
    z = (z - z.mean()) / z.std(ddof=0)
    for code in present.index:
        distance = ((z - z.loc[code]) ** 2).sum(axis=1).drop(code).sort_values(kind="mergesort")
        near = list(distance.index[:4])
        assert out.at[code, "neighbours"].split(";") == near
        theirs = values.reindex(near).dropna()
        assert out.at[code, "neighbours_with_value"] == len(theirs)
        assert out.at[code, "neighbours_mean"] == pytest.approx(theirs.mean())
        assert out.at[code, "worse_than"] == int((present[code] < theirs).sum())
        assert out.at[code, "difference"] == pytest.approx(present[code] - theirs.mean())
    assert pd.isna(out.at[values.index[-1], "rank"])


# ----------------------------------------------------------------------------- files
def _analysis(*, tested: bool = False) -> UploadAnalysis:
    """A small analysis made by hand: three squares with hostile names and a hostile label."""
    codes = pd.Index(["E01000001", "E01000002", "E01000003"], name="lsoa21_code")
    areas = gpd.GeoDataFrame(
        {"name": ["=1+1", "<b>two</b>", "three"], "value": [1.0, np.nan, 3.0],
         "rank": [2.0, np.nan, 1.0], "decile": pd.array([10, None, 5], dtype="Int64")},
        geometry=[shapely.box(i * 100, 0, i * 100 + 100, 100) for i in range(3)],
        index=codes, crs=27700)
    summary = pd.DataFrame({"name": ["@SUM(A1)"], "n_areas": [2], "average": [2.0]},
                           index=pd.Index(["E06000001"], name="lad24_code"))
    correlations = pd.DataFrame({"label": ["IMD"], "n": [2], "spearman_rho": [np.nan],
                                 "p": [np.nan], "direction": ["no clear link"]},
                                index=pd.Index(["imd_score"], name="measure"))
    clusters = gpd.GeoDataFrame({"name": pd.Series(dtype=object)},
                                geometry=gpd.GeoSeries(crs=27700),
                                index=pd.Index([], name="cluster_id", dtype="int64"))
    label = "&#x27;=HYPERLINK(&quot;http://x&quot;) &amp; co"  # as safe_label gives it
    return UploadAnalysis(
        level="lsoa21", label=label, polarity="higher_better", areas=areas, hotspots=None,
        hotspot_reason="Only 2 areas have a value; hotspots need at least 30.",
        clusters=clusters, summaries={"lad24": summary}, correlations=correlations,
        scatter=pd.DataFrame(), bivariate=None, bivariate_reason="", councils=None,
        method={"level": "lsoa21", "areas": 3, "areas_with_value": 2, "indicator": label},
        notes=["1 matched areas have no value."])


def test_files_hold_every_area_and_no_cell_runs_as_a_formula():
    files = analysis_files(_analysis(), source="my&file.csv", messages=["Read 3 rows."])
    assert list(files)[:2] == ["README.txt", "hotspots.csv"]
    assert {"areas.geojson", "clusters.geojson", "summaries_lad24.csv",
            "correlations.csv"} <= set(files)
    rows = list(csv.reader(io.StringIO(files["hotspots.csv"].decode())))
    assert rows[0] == ["code", *HOTSPOT_CSV_COLUMNS]
    assert [r[0] for r in rows[1:]] == ["E01000001", "E01000002", "E01000003"]
    assert {r[HOTSPOT_CSV_COLUMNS.index("outcome") + 1] for r in rows[1:]} == {"not tested"}
    summary = files["summaries_lad24.csv"].decode()
    assert "'@SUM(A1)" in summary and "\n@" not in summary and ",@" not in summary
    areas = json.loads(files["areas.geojson"])
    names = {f["properties"]["code"]: f["properties"]["name"] for f in areas["features"]}
    assert names["E01000001"] == "=1+1"  # a JSON string, not a spreadsheet cell
    readme = files["README.txt"].decode()
    assert "Not tested: Only 2 areas have a value" in readme
    assert "'=HYPERLINK(\"http://x\") & co" in readme and "are your own data" in readme
    assert "Read 3 rows." in readme and "my&file.csv" in readme
    assert all(b"\r" not in data for data in files.values())


def test_zip_is_the_same_bytes_for_the_same_analysis():
    files = analysis_files(_analysis(), areas=False)
    first, second = analysis_zip(files), analysis_zip(analysis_files(_analysis(), areas=False))
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert archive.namelist() == list(files)
        assert archive.read("hotspots.csv") == files["hotspots.csv"]
    assert "areas.geojson" not in files


def test_folder_is_written_whole_or_not_at_all(tmp_path):
    out = tmp_path / "analysis"
    written = write_analysis_folder({"a.csv": b"x\n", "README.txt": b"r\n"}, out)
    assert written == [out / "a.csv", out / "README.txt"]
    with pytest.raises(InputError, match="--force"):
        write_analysis_folder({"b.csv": b"y\n"}, out)
    write_analysis_folder({"b.csv": b"y\n"}, out, force=True)
    assert sorted(p.name for p in out.iterdir()) == ["b.csv"]
    with pytest.raises(OSError):
        write_analysis_folder({"ok.csv": b"1\n", "no/such/dir.csv": b"2\n"}, tmp_path / "other")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["analysis"]
    (tmp_path / "file").write_text("keep")
    with pytest.raises(InputError, match="is a file"):
        write_analysis_folder({"a": b""}, tmp_path / "file", force=True)
    with pytest.raises(InputError, match="mkdir -p"):
        write_analysis_folder({"a": b""}, tmp_path / "missing" / "out")


def test_scatter_chart_plots_every_area_coloured_by_outcome():
    from geo.maps.charts_upload import OUTCOME_COLOURS, upload_scatter

    n = 6000  # above Altair's default row limit
    frame = pd.DataFrame({"name": [f"<i>{i}</i>" for i in range(n)], "value": np.arange(n) * 1.0,
                          "deprivation": np.arange(n) % 50 * 1.0,
                          "outcome": ["worse cluster", None] * (n // 2)},
                         index=pd.Index([f"E{i:08d}" for i in range(n)], name="lsoa21_code"))
    frame.attrs = {"x_label": "IMD score", "y_label": "reach"}
    spec = upload_scatter(frame).to_dict()
    points = spec["layer"][0]
    data = spec.get("data") or points["data"]
    assert len(data["values"]) == n
    colour = points["encoding"]["color"]["scale"]
    assert colour["domain"] == ["worse cluster", "not tested"]
    assert colour["range"] == [OUTCOME_COLOURS["worse cluster"], OUTCOME_COLOURS["not tested"]]
    assert points["encoding"]["x"]["title"] == "IMD score"
    with pytest.raises(InputError, match="lacks columns"):
        upload_scatter(frame.drop(columns="outcome"))


# ----------------------------------------------------------------------------- LSOA 2011
def _hand_lookup() -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """U (EA), S (EB -> EB1, EB2), M (EC1, EC2 -> EC), X (ED1 -> EX1, EX2; ED2 -> EX2),
    M with one parent missing from the upload (EE1, EE2 -> EE) and U (EF)."""
    pairs = [("EA", "U", "EA"), ("EB", "S", "EB1"), ("EB", "S", "EB2"), ("EC1", "M", "EC"),
             ("EC2", "M", "EC"), ("ED1", "X", "EX1"), ("ED1", "X", "EX2"), ("ED2", "X", "EX2"),
             ("EE1", "M", "EE"), ("EE2", "M", "EE"), ("EF", "U", "EF")]
    lookup = pd.DataFrame(pairs, columns=["lsoa11_code", "change_code", "lsoa21_code"])
    pop11 = pd.Series({"EA": 100.0, "EB": 200.0, "EC1": 100.0, "EC2": 300.0, "ED1": 100.0,
                       "ED2": 300.0, "EE1": 50.0, "EE2": 50.0, "EF": 10.0})
    pop21 = pd.Series({"EA": 90.0, "EB1": 30.0, "EB2": 90.0, "EC": 400.0, "EX1": 100.0,
                       "EX2": 300.0, "EE": 100.0, "EF": 10.0})
    return lookup, pop11, pop21


def test_lsoa2011_rates_are_population_means_and_counts_are_shared_and_summed():
    from geo.analysis._upload_carry import carry_table

    lookup, pop11, pop21 = _hand_lookup()
    table = pd.DataFrame({"rate": [1.0, 2.0, 1.0, 3.0, 2.0, 6.0, 5.0, np.nan],
                          "pupils": [10.0, 40.0, 5.0, 7.0, 20.0, 8.0, 3.0, np.nan]},
                         index=["EA", "EB", "EC1", "EC2", "ED1", "ED2", "EE1", "EF"])
    out, info = carry_table(table, lookup, rules={"rate": "mean", "pupils": "apportion"},
                            population11=pop11, population21=pop21)
    assert out.index.tolist() == ["EA", "EB1", "EB2", "EC", "EF", "EX1", "EX2"]
    assert info["incomplete"] == ["EE"]  # EE2 is not in the upload
    rate = {"EA": 1.0, "EB1": 2.0, "EB2": 2.0, "EC": (100 * 1 + 300 * 3) / 400, "EX1": 2.0,
            "EX2": (100 * 2 + 300 * 6) / 400}
    pupils = {"EA": 10.0, "EB1": 40 * 30 / 120, "EB2": 40 * 90 / 120, "EC": 5.0 + 7.0,
              "EX1": 20 * 100 / 400, "EX2": 20 * 300 / 400 + 8.0}
    assert_allclose(out["rate"].drop("EF"), pd.Series(rate)[out.index.drop("EF")], rtol=1e-12)
    assert_allclose(out["pupils"].drop("EF"), pd.Series(pupils)[out.index.drop("EF")],
                    rtol=1e-12)
    assert out.loc["EF"].isna().all()  # no value in 2011, none in 2021
    # every count of a carried parent is kept, split or summed: the total does not change
    carried = table.drop(index=["EE1", "EF"])
    assert out["pupils"].sum() == pytest.approx(carried["pupils"].sum())


def test_counts_are_apportioned_unless_asked_and_bad_rules_are_named():
    from geo.analysis._upload_carry import _column_rules, upload_for_analysis

    rules, reasons = _column_rules(["rate", "pupils"], ("pupils",), None)
    assert rules == {"rate": "mean", "pupils": "apportion"} and "count" in reasons["pupils"]
    rules, _ = _column_rules(["rate", "pupils"], ("pupils",), {"pupils": "mean"})
    assert rules["pupils"] == "mean"
    with pytest.raises(InputError) as err:
        _column_rules(["rate"], (), {"rates": "mean", "rate": "sum"})
    assert "'rates': not a column" in str(err.value) and "'sum'" in str(err.value)
    council = type("Upload", (), {"level": "lad24"})()
    assert upload_for_analysis(council) is council  # other levels pass through


def test_lsoa2011_values_are_refused_by_the_analysis_until_carried():
    values = pd.Series([1.0, 2.0], index=pd.Index(["E01000001", "E01000002"], name="lsoa11_code"))
    with pytest.raises(InputError, match="carry the upload to LSOA 2021 first"):
        analyse_upload(values, level="lsoa11", polarity="higher_worse")


# ----------------------------------------------------------------------------- statistics
def _lattice_graph(lattice, side: int = 7):
    from libpysal.graph import Graph

    gdf = lattice(side, islands=True)
    return gdf, Graph.build_contiguity(gdf, rook=False)


def _corner(gdf: gpd.GeoDataFrame, seed: int = 1) -> pd.Series:
    rng = np.random.default_rng(seed)
    xy = gdf.geometry.centroid
    base = np.where((xy.x < 300) & (xy.y < 300), 10.0, 0.0)
    return pd.Series(base + rng.normal(0, 1, len(gdf)), index=gdf.index)


@needs_rewrite
def test_gi_star_of_an_upload_the_other_way_up(lattice):
    from geo.analysis._upload_stats import gi_star_run

    gdf, graph = _lattice_graph(lattice)
    values = _corner(gdf)
    a = gi_star_run(values, graph, polarity="higher_worse", permutations=999, seed=7,
                    alpha=0.05, fdr=True)
    b = gi_star_run(-values, graph, polarity="higher_better", permutations=999, seed=7,
                    alpha=0.05, fdr=True)
    pd.testing.assert_series_equal(a["outcome"], b["outcome"])
    pd.testing.assert_series_equal(a["bin"], b["bin"])
    assert a.at["I1", "outcome"] == "not tested"  # the island has no neighbour
    assert (a.loc[["r0c0", "r1c1"], "outcome"] == "worse cluster").all()


@needs_rewrite
def test_bivariate_statistic_is_esdas_and_polarity_changes_only_the_words(lattice):
    import esda

    from geo.analysis._upload_stats import bivariate_moran

    gdf, graph = _lattice_graph(lattice)
    gdf = gdf.drop(index=["I1", "P1", "P2"])
    graph = graph.subgraph(gdf.index)
    y = _corner(gdf, seed=2)  # deprivation: high in the corner
    x = _corner(gdf, seed=3)
    a = bivariate_moran(x, y, graph, polarity="higher_worse", permutations=999, seed=1,
                        alpha=0.05, fdr=True)
    ids = graph.unique_ids
    w = graph.transform("r")
    expected = esda.Moran_Local_BV(x.reindex(ids).to_numpy(), y.reindex(ids).to_numpy(), w,
                                   permutations=0).Is
    assert_allclose(a["statistic"].reindex(ids).to_numpy(), expected, rtol=1e-10)
    assert a.at["r0c0", "outcome"] == "worse cluster" and a.at["r0c0", "label"] == "High-High"
    b = bivariate_moran(-x, y, graph, polarity="higher_better", permutations=999, seed=1,
                        alpha=0.05, fdr=True)
    pd.testing.assert_series_equal(a["outcome"], b["outcome"])
    pd.testing.assert_series_equal(a["p"], b["p"])
    hit = a["label"] != "not significant"
    flipped = a.loc[hit, "label"].str.replace("High-", "x-").str.replace("Low-", "High-")
    assert (flipped.str.replace("x-", "Low-") == b.loc[hit, "label"]).all()


# ----------------------------------------------------------------------------- real data
WEST_YORKSHIRE = ("E08000032", "E08000033", "E08000034", "E08000035", "E08000036")
CARDIFF = "W06000015"
COLUMN = "entry_to_higher_education_indicator"
HEADER = ("LSOA code", "Entry to HE <i>")


@pytest.fixture(scope="module")
def mirror_tables(mirror):
    """The mirror's own files (not the store): the upload's source, IMD, population, lookup."""
    dep = mirror / "deprivation"
    return {
        "values": pd.read_csv(dep / "imd2025_england_lsoa21_indicators.csv",
                              index_col="lsoa21_code")[COLUMN],
        "imd": pd.read_csv(dep / "imd2025_england_lsoa21.csv", index_col="lsoa21_code"),
        "population": pd.read_csv(mirror / "population" / "census21_population_by_age_lsoa21.csv",
                                  index_col="lsoa21_code")["population_total"],
        "lookup": pd.read_csv(mirror / "lookups" / "lookup_lsoa21_ward24_ltla24.csv",
                              index_col="lsoa21_code"),
    }


def _upload(path: Path, values: pd.Series) -> Path:
    frame = pd.DataFrame({HEADER[0]: values.index, HEADER[1]: values.to_numpy()})
    frame.to_csv(path, index=False, lineterminator="\n")
    return path


def _in(lookup: pd.DataFrame, councils) -> pd.Index:  # noqa: ANN001
    return lookup.index[lookup["ltla24_code"].isin(list(councils)).to_numpy()]


def _main(argv: list[str], capsys) -> tuple[int, str, str]:  # noqa: ANN001
    from geo.cli.parser import main

    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def _params() -> dict:
    import boundaries

    return boundaries.read_manifest(boundaries.store_dir())["hotspot_params"]


@pytest.mark.real
@needs_rewrite
def test_cli_outputs_agree_with_values_computed_from_the_mirror(store, mirror_tables, tmp_path,
                                                                capsys):
    from geo.export._rfc7946 import rfc7946_problems

    t = mirror_tables
    codes = _in(t["lookup"], WEST_YORKSHIRE)
    values = t["values"].reindex(codes)
    src = _upload(tmp_path / "upload.csv", values)
    out = tmp_path / "out"
    code, stdout, err = _main(["analyse", str(src), "--column", HEADER[1], "--polarity",
                               "higher_worse", "--out", str(out), "--permutations", "999"], capsys)
    assert code == 0, err
    expected = {"README.txt", "hotspots.csv", "clusters.geojson", "summaries_lad24.csv",
                "summaries_utla24.csv", "summaries_ward24.csv", "correlations.csv", "bivariate.csv"}
    assert {p.name for p in out.iterdir()} == expected
    assert sorted(line[6:] for line in stdout.splitlines() if line.startswith("wrote ")) == \
        sorted(str(out / name) for name in expected)
    assert "Gi* hotspots" in err and sorted(p.name for p in tmp_path.iterdir()) == ["out",
                                                                                    "upload.csv"]
    hot = pd.read_csv(out / "hotspots.csv", index_col="code")
    assert list(hot.columns) == list(HOTSPOT_CSV_COLUMNS)
    assert set(hot.index) == set(codes)
    assert_allclose(hot["value"], values.reindex(hot.index), rtol=1e-12)
    assert set(hot["outcome"]) <= OUTCOMES and "worse cluster" in set(hot["outcome"])
    sign = hot["outcome"].map(lambda o: 1 if o.startswith("worse") else
                              -1 if o.startswith("better") else 0)
    assert (np.sign(hot["bin"].fillna(0)) == sign).all()
    no_value = hot.index[hot["value"].isna()]
    assert len(no_value) and (hot.loc[no_value, "outcome"] == "not tested").all()
    assert (hot.loc[no_value, "label"] == "no data (not tested)").all()

    corr = pd.read_csv(out / "correlations.csv", index_col="measure")
    pair = pd.concat([values, t["imd"]["IMD_score"].reindex(codes)], axis=1).dropna()
    rho = stats.spearmanr(pair.iloc[:, 0], pair.iloc[:, 1]).statistic
    assert corr.at["iod2025.imd_score", "spearman_rho"] == pytest.approx(rho, rel=1e-9)
    assert corr.at["iod2025.imd_score", "n"] == len(pair)
    assert set(corr["index"]) == {"iod2025"}  # English areas: England's index only

    lad = pd.read_csv(out / "summaries_lad24.csv", index_col="lad24_code")
    assert set(lad.index) == set(WEST_YORKSHIRE)
    present = values.dropna()
    rank = present.rank(ascending=False)
    for council in WEST_YORKSHIRE:
        every = _in(t["lookup"], [council])
        members = every.intersection(present.index)
        w = t["population"].reindex(members)
        assert lad.at[council, "average"] == pytest.approx((w * present[members]).sum() / w.sum())
        assert lad.at[council, "share_worst_decile"] == pytest.approx(
            (rank[members] <= len(present) / 10).mean())
        assert lad.at[council, "n_areas"] == len(members)
        assert lad.at[council, "coverage"] == pytest.approx(len(members) / len(every))
    ward = pd.read_csv(out / "summaries_ward24.csv", index_col="ward24_code")
    assert set(ward.index) == set(t["lookup"].loc[codes, "ward24_code"])

    clusters = json.loads((out / "clusters.geojson").read_text())
    assert not rfc7946_problems(clusters) and clusters["features"]
    for feature in clusters["features"]:
        members = feature["properties"]["lsoa_codes"].split(";")
        assert (hot.loc[members, "outcome"] == "worse cluster").all()
        assert (hot.loc[members, "bin"] >= 2).all()
    readme = (out / "README.txt").read_text()
    params = _params()
    assert (f"999 permutations (the store's national runs use {params['permutations']:,}), "
            f"seed {params['seed']}, alpha {params['alpha']}") in readme
    assert "are your own data" in readme and "Entry to HE <i>" in readme
    assert all(b"\r" not in p.read_bytes() for p in out.iterdir())


@pytest.mark.real
@needs_rewrite
def test_the_other_way_up_gives_the_same_findings(store, mirror_tables):
    codes = _in(mirror_tables["lookup"], WEST_YORKSHIRE[:2])
    values = mirror_tables["values"].reindex(codes).rename_axis("lsoa21_code")
    a = analyse_upload(values, level="lsoa21", polarity="higher_worse")  # the store's permutations
    b = analyse_upload(-values, level="lsoa21", polarity="higher_better")
    assert a.hotspots is not None and b.hotspots is not None
    assert a.method["hotspots"]["permutations"] == _params()["permutations"]
    assert {"worse cluster", "better cluster"} <= set(a.hotspots["outcome"]) and len(a.clusters)
    pd.testing.assert_series_equal(a.hotspots["outcome"], b.hotspots["outcome"])
    assert list(a.clusters["name"]) == list(b.clusters["name"])
    pd.testing.assert_series_equal(a.bivariate["outcome"], b.bivariate["outcome"])
    for level, table in a.summaries.items():
        other = b.summaries[level]
        assert_allclose(table["average"], -other["average"])
        pd.testing.assert_series_equal(table["extent_rank"], other["extent_rank"])
    assert_allclose(a.correlations["spearman_rho"], -b.correlations["spearman_rho"])
    assert (a.correlations["direction"] == b.correlations["direction"]).all()


@pytest.mark.real
@needs_rewrite
def test_england_and_wales_together_each_nation_on_its_own_index(store, mirror_tables):
    import boundaries

    lsoa = boundaries.load("lsoa21")
    welsh = lsoa.index[(lsoa["lad24_code"] == CARDIFF).to_numpy()]
    english = _in(mirror_tables["lookup"], WEST_YORKSHIRE[:1])
    lone = lsoa.index[(lsoa["lad24_code"] == "E06000052").to_numpy()][:1]  # one LSOA in Cornwall
    codes = english.append(welsh).append(lone)
    rng = np.random.default_rng(4)
    values = pd.Series(rng.normal(size=len(codes)), index=pd.Index(codes, name="lsoa21_code"))
    res = analyse_upload(values, level="lsoa21", polarity="higher_worse")
    assert res.method["hotspots"]["graph"] == "lsoa21"
    assert res.hotspots is not None and res.hotspots.at[lone[0], "outcome"] == "not tested"
    assert res.method["hotspots"]["areas_without_neighbours"] == 1
    assert set(res.summaries["lad24"].index) >= {CARDIFF, WEST_YORKSHIRE[0]}
    corr = res.correlations
    # never an English index for Welsh areas: each index over its own nation's areas
    assert (corr.loc[corr["index"] == "iod2025", "n"] == len(english) + 1).all()
    assert (corr.loc[corr["index"] == "wimd2019", "n"] == len(welsh)).all()
    assert corr.at["ukimd_ew.uk_imd_score", "n"] == len(codes)
    wimd = pd.read_parquet(store / "indicators" / "wimd2019.parquet")["wimd_score"]
    pair = pd.concat([values, wimd], axis=1, join="inner").dropna()
    assert len(pair) == len(welsh)
    assert corr.at["wimd2019.wimd_score", "spearman_rho"] == pytest.approx(
        stats.spearmanr(pair.iloc[:, 0], pair.iloc[:, 1]).statistic)
    assert res.method["bivariate"]["deprivation"] == "ukimd_ew.uk_imd_score"
    assert res.scatter.attrs["measure"] == "ukimd_ew.uk_imd_score"
    assert any("not comparable" in note and "own index" in note for note in res.notes)
    assert res.areas.loc[welsh, "value"].notna().all()
    welsh_only = analyse_upload(values.reindex(welsh), level="lsoa21", polarity="higher_worse",
                                permutations=999)
    assert welsh_only.method["hotspots"]["graph"] == "lsoa21_wa"
    assert set(welsh_only.correlations["index"]) == {"wimd2019"}


@pytest.mark.real
@needs_rewrite
def test_too_few_or_constant_uploads_get_the_map_and_a_sentence(store, mirror_tables, tmp_path,
                                                               capsys, monkeypatch):
    codes = _in(mirror_tables["lookup"], WEST_YORKSHIRE[:1])
    few = _upload(tmp_path / "few.csv", mirror_tables["values"].reindex(codes[:20]))

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdin", Terminal("b\n"))
    code, _, err = _main(["analyse", str(few), "--column", HEADER[1], "--out",
                          str(tmp_path / "few")], capsys)
    assert code == 0, err
    assert "Which end of 'Entry to HE <i>' is worse?" in err
    hot = pd.read_csv(tmp_path / "few" / "hotspots.csv", index_col="code")
    assert len(hot) == 20 and set(hot["outcome"]) == {"not tested"} and hot["p"].isna().all()
    readme = (tmp_path / "few" / "README.txt").read_text()
    assert "Only 20 areas have a value; hotspots need at least 30." in readme
    assert "lower values are worse" in readme
    assert json.loads((tmp_path / "few" / "clusters.geojson").read_text())["features"] == []
    flat = pd.Series(2.5, index=pd.Index(codes[:40], name="lsoa21_code"))
    res = analyse_upload(flat, level="lsoa21", polarity="higher_worse")
    assert res.hotspots is None and "same value (2.5)" in res.hotspot_reason
    assert len(res.areas) == 40 and (res.areas["value"] == 2.5).all()


@pytest.mark.real
@needs_rewrite
def test_council_upload_is_ranked_and_compared_with_its_neighbours(store, mirror_tables,
                                                                   tmp_path, capsys):
    t = mirror_tables
    frame = pd.DataFrame({"v": t["values"], "w": t["population"].reindex(t["values"].index),
                          "lad": t["lookup"]["ltla24_code"].reindex(t["values"].index)}).dropna()
    per_lad = (frame["v"] * frame["w"]).groupby(frame["lad"]).sum() / frame["w"].groupby(
        frame["lad"]).sum()
    values = per_lad.rename_axis("lad24_code")
    res = analyse_upload(values, level="lad24", polarity="higher_worse")
    councils = res.councils
    assert councils is not None and res.hotspots is None and "small areas" in res.hotspot_reason
    assert councils.at[values.idxmax(), "rank"] == 1
    assert councils["rank"].max() == len(values)
    row = councils.loc[WEST_YORKSHIRE[0]]
    near = row["neighbours"].split(";")
    assert len(near) == 10 and WEST_YORKSHIRE[0] not in near
    assert row["neighbours_mean"] == pytest.approx(values.reindex(near).mean())
    imd = res.correlations.loc["summary_lad24.imd_average_score"]
    summary = pd.read_parquet(store / "indicators" / "summary_lad24.parquet")
    pair = pd.concat([values, summary["imd_average_score"]], axis=1, join="inner").dropna()
    assert imd["spearman_rho"] == pytest.approx(stats.spearmanr(pair.iloc[:, 0],
                                                                pair.iloc[:, 1]).statistic)
    src = tmp_path / "lad.csv"
    pd.DataFrame({"code": values.index, "rate": values.to_numpy()}).to_csv(src, index=False)
    code, _, err = _main(["analyse", str(src), "--column", "rate", "--polarity", "higher_worse",
                          "--out", str(tmp_path / "lad.zip")], capsys)
    assert code == 0, err
    with zipfile.ZipFile(tmp_path / "lad.zip") as archive:
        names = archive.namelist()
        assert names[0] == "README.txt" and "councils.csv" in names
        assert "areas.geojson" in names and "summaries_lad24.csv" not in names
        # never tested for hotspots: no file of "not tested" rows, no empty clusters; the
        # README says why, in words
        assert "hotspots.csv" not in names and "clusters.geojson" not in names
        readme = archive.read("README.txt").decode()
        assert "this upload is of councils (May 2024 codes), so it is ranked" in " ".join(
            readme.split())
        assert "lad24 areas" not in readme


@pytest.mark.real
def test_bad_input_exits_2_with_one_line_and_leaves_nothing(store, tmp_path, capsys,
                                                             monkeypatch):
    src = tmp_path / "up.csv"
    src.write_text("code,name,value\nE01000001,a,1\nE01000002,b,2\n")
    (tmp_path / "taken").mkdir()
    (tmp_path / "afile").write_text("keep")
    (tmp_path / "bin.csv").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(50))
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a terminal: nobody to ask
    ok = ["--column", "value", "--polarity", "higher_worse"]
    cases = {
        "text column": (["analyse", str(src), "--column", "name", "--polarity", "higher_worse",
                         "--out", str(tmp_path / "o1")], "numeric columns: 'value'"),
        "unknown column": (["analyse", str(src), "--column", "valeu", "--polarity",
                            "higher_worse", "--out", str(tmp_path / "o2")], "did you mean value"),
        "no polarity": (["analyse", str(src), "--column", "value", "--out",
                         str(tmp_path / "o3")], "no default"),
        "folder exists": (["analyse", str(src), *ok, "--out", str(tmp_path / "taken")],
                          "--force"),
        "no parent": (["analyse", str(src), *ok, "--out", str(tmp_path / "no" / "o")],
                      "mkdir -p"),
        "out is a file": (["analyse", str(src), *ok, "--out", str(tmp_path / "afile")],
                          "is a file"),
        "binary": (["analyse", str(tmp_path / "bin.csv"), *ok, "--out", str(tmp_path / "o4")],
                   "PNG image"),
        "missing file": (["analyse", str(tmp_path / "nope.csv"), *ok, "--out",
                          str(tmp_path / "o5")], "is not a file"),
    }
    before = sorted(p.name for p in tmp_path.iterdir())
    for what, (argv, words) in cases.items():
        code, stdout, err = _main(argv, capsys)
        assert code == 2, (what, err)
        assert err.startswith("error: ") and err.count("\n") == 1, (what, err)
        assert words in err and "Traceback" not in err, (what, err)
        assert sorted(p.name for p in tmp_path.iterdir()) == before, what
    assert (tmp_path / "afile").read_text() == "keep" and not any((tmp_path / "taken").iterdir())


# ----------------------------------------------------------------------------- other nations
@pytest.fixture(scope="module")
def lsoa11_tables(mirror):
    """The mirror's LSOA 2011 files: IoD 2019 ranks, mid-2019 residents and the ONS lookup."""
    return {
        "iod": pd.read_csv(mirror / "deprivation" / "imd2019_england_lsoa11.csv",
                           index_col="lsoa11_code"),
        "pop": pd.read_csv(mirror / "population" / "ons_mid2019_population_lsoa11_agebands.csv",
                           index_col="lsoa11_code")["population_total"],
        "lookup": pd.read_csv(mirror / "lookups" / "lookup_lsoa11_lsoa21_ltla22.csv", dtype=str),
    }


def _shared_by_population(counts: pd.Series, lookup: pd.DataFrame,
                          population21: pd.Series) -> pd.Series:
    """Each 2011 count shared among its 2021 LSOAs by their population, summed per LSOA 2021."""
    rows = lookup[lookup["lsoa11_code"].isin(counts.index)].copy()
    rows["pop"] = population21.reindex(rows["lsoa21_code"]).to_numpy()
    rows["part"] = (counts.reindex(rows["lsoa11_code"]).to_numpy() * rows["pop"]
                    / rows.groupby("lsoa11_code")["pop"].transform("sum"))
    return rows.groupby("lsoa21_code")["part"].sum()


@pytest.mark.filterwarnings("ignore::geo._errors.UnmatchedCodesWarning")  # the check's own carry
@pytest.mark.real
def test_lsoa2011_upload_is_carried_by_the_ons_lookup_with_a_report(store, lsoa11_tables,
                                                                    mirror_tables):
    from geo.stats.carry import carry_lsoa11_to_lsoa21
    from geo.upload.reader import read_upload, upload_known_codes

    t = lsoa11_tables
    frame = pd.DataFrame({"LSOA11CD": t["iod"].index, "IMD rank": t["iod"]["IMD_rank"],
                          "residents": t["pop"].reindex(t["iod"].index).to_numpy()})
    res = read_upload(frame.to_csv(index=False).encode(), known_codes=upload_known_codes())
    assert res.level == "lsoa11" and res.counts == ("residents",)
    carried = upload_for_analysis(res)
    assert carried.level == "lsoa21" and carried.table.index.name == "lsoa21_code"
    # the rate: as the store carries IoD 2019 (U, S inherit; M, X mid-2019 population means)
    ranks = t["iod"][["IMD_rank"]].rename(columns={"IMD_rank": "imd_rank"})
    expected = carry_lsoa11_to_lsoa21(ranks, t["lookup"], t["pop"], nations="E")["imd_rank"]
    assert set(carried.table.index) == set(expected.dropna().index)
    assert_allclose(carried.table["IMD rank"], expected.reindex(carried.table.index), rtol=1e-12)
    # the count: shared by Census 2021 population and summed, so the total is kept
    shared = _shared_by_population(t["pop"].reindex(t["iod"].index), t["lookup"],
                                   mirror_tables["population"])
    assert_allclose(carried.table["residents"], shared.reindex(carried.table.index), rtol=1e-9)
    assert carried.table["residents"].sum() == pytest.approx(t["pop"].reindex(t["iod"].index).sum())
    rows = t["lookup"][t["lookup"]["lsoa11_code"].isin(t["iod"].index)]
    kinds = rows.drop_duplicates("lsoa11_code")["change_code"].value_counts()
    report = carried.carry
    assert report.changes == {k: int(kinds.get(k, 0)) for k in ("U", "S", "M", "X")}
    assert report.targets["S"] == rows.loc[rows["change_code"] == "S", "lsoa21_code"].nunique()
    assert report.rules == {"IMD rank": "mean", "residents": "apportion"}
    assert report.incomplete == [] and report.areas_2021 == len(carried.table)
    said = " ".join(carried.messages)
    assert f"{kinds['M']:,} merged" in said and "never averaged" in said
    assert "weighted by ONS mid-2019 population" in said


@pytest.mark.filterwarnings("ignore::geo._errors.UnmatchedCodesWarning")  # the check's own carry
@pytest.mark.real
@needs_rewrite
def test_lsoa2011_upload_through_the_cli(store, lsoa11_tables, mirror_tables, tmp_path, capsys):
    from geo.stats.carry import carry_lsoa11_to_lsoa21

    t = lsoa11_tables
    codes21 = _in(mirror_tables["lookup"], WEST_YORKSHIRE[:2])
    codes11 = pd.Index(t["lookup"].loc[t["lookup"]["lsoa21_code"].isin(codes21),
                                       "lsoa11_code"].unique())
    src = tmp_path / "old.csv"
    pd.DataFrame({"code": codes11, "income rank": t["iod"].loc[codes11, "Income_rank"].to_numpy()}
                 ).to_csv(src, index=False)
    out = tmp_path / "out"
    code, stdout, err = _main(["analyse", str(src), "--column", "income rank", "--polarity",
                               "higher_better", "--out", str(out), "--permutations", "999"],
                              capsys)
    assert code == 0, err
    assert "LSOA 2011 codes carried to LSOA 2021 through the ONS lookup" in stdout
    expected = carry_lsoa11_to_lsoa21(
        t["iod"].loc[codes11, ["Income_rank"]].rename(columns={"Income_rank": "income_rank"}),
        t["lookup"], t["pop"], nations="E")["income_rank"].dropna()
    hot = pd.read_csv(out / "hotspots.csv", index_col="code")
    assert set(hot.index) == set(expected.index) == set(codes21)
    assert_allclose(hot["value"], expected.reindex(hot.index), rtol=1e-12)
    corr = pd.read_csv(out / "correlations.csv", index_col="measure")
    pair = pd.concat([expected, mirror_tables["imd"]["IMD_score"]], axis=1, join="inner")
    assert corr.at["iod2025.imd_score", "spearman_rho"] == pytest.approx(
        stats.spearmanr(pair.iloc[:, 0], pair.iloc[:, 1]).statistic, rel=1e-9)
    readme = (out / "README.txt").read_text()
    assert "carried from LSOA 2011" in readme and "LSOA 2011 to LSOA 2021" in readme
    assert "weighted by ONS mid-2019 population" in readme


@pytest.fixture(scope="module")
def data_zones(mirror):
    """A real Scottish indicator other than SIMD: mySociety's harmonised income score per data
    zone (the composite UK IMD's small-area file), and SIMD 2020 ranks, from the mirror."""
    dep = mirror / "deprivation"
    uk = pd.read_csv(dep / "mysociety_composite_uk_imd_small_areas_UK_IMD_E.csv")
    values = uk[uk["nation"] == "S"].set_index("lsoa")["income_score"].rename_axis("dz11_code")
    simd = pd.read_csv(dep / "imd2020_scotland_dz11.csv", index_col="dz11_code")
    return values, simd


def _members_touch(codes: list[str], polygons: gpd.GeoDataFrame) -> bool:
    """Whether the areas form one group of touching polygons (no link across water)."""
    from libpysal.graph import Graph

    return Graph.build_fuzzy_contiguity(polygons.loc[codes]).n_components == 1


@pytest.mark.real
@needs_rewrite
def test_data_zone_upload_is_mapped_and_analysed_on_scotlands_own_index(store, data_zones,
                                                                       tmp_path, capsys):
    import boundaries

    values, simd = data_zones
    src = tmp_path / "dz.csv"
    pd.DataFrame({"DataZone": values.index, "income": values.to_numpy()}).to_csv(src, index=False)
    code, _, err = _main(["map-upload", str(src), "--out", str(tmp_path / "dz.geojson")], capsys)
    assert code == 0, err
    assert len(json.loads((tmp_path / "dz.geojson").read_text())["features"]) == len(values)
    out = tmp_path / "out"
    code, _, err = _main(["analyse", str(src), "--column", "income", "--polarity",
                          "higher_worse", "--out", str(out), "--permutations", "999"], capsys)
    assert code == 0, err
    assert {p.name for p in out.iterdir()} == {"README.txt", "hotspots.csv", "clusters.geojson",
                                               "summaries_lad24.csv", "correlations.csv",
                                               "bivariate.csv"}
    hot = pd.read_csv(out / "hotspots.csv", index_col="code")
    assert set(hot.index) == set(values.index) and "worse cluster" in set(hot["outcome"])
    dz = boundaries.load("dz11")
    islands = dz.index[dz["island"].to_numpy()]
    assert len(islands) and (hot.loc[islands, "outcome"] != "not tested").all()  # joined to test
    clusters = json.loads((out / "clusters.geojson").read_text())["features"]
    assert clusters
    for feature in clusters:
        props = feature["properties"]
        members = props["lsoa_codes"].split(";")
        assert (hot.loc[members, "outcome"] == "worse cluster").all()
        assert props["n_lsoas"] == len(members) and props["population"] is None
        assert _members_touch(members, dz)  # island links are not membership
    # SIMD ranks run 1 = most deprived: the link is oriented so that higher = more deprived
    corr = pd.read_csv(out / "correlations.csv", index_col="measure")
    assert set(corr["index"]) == {"simd2020"} and len(corr) == 8
    rho = stats.spearmanr(values, simd["IMD_rank"].reindex(values.index)).statistic
    assert corr.at["simd2020.simd_rank", "spearman_rho"] == pytest.approx(-rho, rel=1e-9)
    assert corr.at["simd2020.simd_rank", "direction"] == "worse where deprivation is higher"
    lad = pd.read_csv(out / "summaries_lad24.csv", index_col="lad24_code")
    council = dz["lad24_code"].reindex(values.index)
    assert set(lad.index) == set(council)
    assert_allclose(lad["average"], values.groupby(council).mean().reindex(lad.index), rtol=1e-9)
    readme = (out / "README.txt").read_text()
    assert "summarised by council only" in readme and "sized in data zones" in readme
    assert "Scottish Government" in readme and "unweighted average" in readme


@pytest.mark.real
@needs_rewrite
def test_data_zones_the_other_way_up_and_an_island_council(store, data_zones):
    import boundaries

    values, _ = data_zones
    dz = boundaries.load("dz11")
    glasgow = values.reindex(dz.index[(dz["lad24_code"] == "S12000049").to_numpy()])
    a = analyse_upload(glasgow, level="dz11", polarity="higher_worse", permutations=999)
    b = analyse_upload(-glasgow, level="dz11", polarity="higher_better", permutations=999)
    assert a.method["hotspots"]["graph"] == "dz11" and len(a.clusters)
    pd.testing.assert_series_equal(a.hotspots["outcome"], b.hotspots["outcome"])
    assert list(a.clusters["name"]) == list(b.clusters["name"])
    assert_allclose(a.correlations["spearman_rho"], -b.correlations["spearman_rho"])
    orkney = values.reindex(dz.index[(dz["lad24_name"] == "Orkney Islands").to_numpy()])
    res = analyse_upload(orkney, level="dz11", polarity="higher_worse")
    assert res.hotspots is None and f"Only {len(orkney)} areas" in res.hotspot_reason
    assert len(res.areas) == len(orkney) and set(res.summaries) == {"lad24"}


@pytest.mark.real
@needs_rewrite
def test_welsh_upload_on_wales_own_graph_and_index(store, mirror, mirror_tables, tmp_path,
                                                   capsys):
    census = pd.read_csv(mirror / "deprivation" / "census21_deprivation_england_wales_lsoa21.csv")
    deprived = census[census["households_number_deprivation_dimensions"] >= 1]
    share = deprived.groupby("lsoa21_code")["percent"].sum()
    welsh = share[share.index.str.startswith("W")]
    src = tmp_path / "wales.csv"
    pd.DataFrame({"lsoa21cd": welsh.index, "deprived households %": welsh.to_numpy()}
                 ).to_csv(src, index=False)
    out = tmp_path / "out"
    code, _, err = _main(["analyse", str(src), "--column", "deprived households %",
                          "--polarity", "higher_worse", "--out", str(out), "--permutations",
                          "999"], capsys)
    assert code == 0, err
    readme = (out / "README.txt").read_text()
    assert "Gi* on the lsoa21_wa contiguity graph" in readme and "Welsh Government" in readme
    corr = pd.read_csv(out / "correlations.csv", index_col="measure")
    assert set(corr["index"]) == {"wimd2019"}  # never an English index for Welsh areas
    wimd = pd.read_parquet(store / "indicators" / "wimd2019.parquet")["wimd_score"]
    pair = pd.concat([welsh, wimd], axis=1, join="inner").dropna()
    assert corr.at["wimd2019.wimd_score", "n"] == len(pair) == len(welsh)
    assert corr.at["wimd2019.wimd_score", "spearman_rho"] == pytest.approx(
        stats.spearmanr(pair.iloc[:, 0], pair.iloc[:, 1]).statistic, rel=1e-9)
    lad = pd.read_csv(out / "summaries_lad24.csv", index_col="lad24_code")
    councils = mirror_tables["lookup"]["ltla24_code"].reindex(welsh.index)
    assert set(lad.index) == set(councils) and len(lad) == 22
    w = mirror_tables["population"].reindex(welsh.index)
    expected = (welsh * w).groupby(councils).sum() / w.groupby(councils).sum()
    assert_allclose(lad["average"], expected.reindex(lad.index), rtol=1e-9)
    assert (out / "summaries_ward24.csv").exists()


@pytest.mark.parametrize(("permutations", "said"), [
    (100_000_000_000, r"at most 999,999 \(e.g. 9999\); got 100,000,000,000"),
    (0, "positive integer such as 999; got 0")])
def test_permutations_out_of_range_are_refused_before_any_work(permutations, said):
    # 100 billion permutations used to run until the process was OOM-killed
    from geo.analysis.upload import _run_params

    stored = {"permutations": 9999, "seed": 1, "alpha": 0.05, "correction": "fdr_bh"}
    with pytest.raises(InputError, match=rf"`permutations` must be (a )?{said}"):
        _run_params(stored, permutations)
    assert _run_params(stored, 999_999)["permutations"] == 999_999
