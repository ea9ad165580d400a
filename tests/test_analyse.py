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
from geo.analysis.upload import MIN_AREAS, UploadAnalysis, analyse_upload, hotspot_reason
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
