"""The Streamlit app through streamlit.testing (fast, no browser): every page and its error paths."""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import boundaries
import geo
from geo import profile as gp
from geo.maps.assets import asset_versions

APP = str(Path(__file__).resolve().parents[1] / "app.py")
TIMEOUT = 180
COUNCIL_FEATURE = re.compile(r'"type":"Feature","id":"E0\d')
CLUSTER_FEATURE = re.compile(r'"type":"Feature","id":"\d+"')



def _labels(council: str, run: str) -> pd.Series:
    """The stored labels of a run (``method:indicator``) on a council's LSOAs."""
    method, indicator = run.split(":")
    long = geo.load_indicators("hotspots_lsoa21")
    part = long.loc[(long["method"] == method) & (long["indicator"] == indicator), "label"]
    lsoa = boundaries.load("lsoa21")
    return part.reindex(lsoa.index[lsoa["lad24_code"] == council]).fillna("not significant")


def _hot_cold(council: str, run: str) -> tuple[int, int]:
    """Hot and cold spot counts of a council's LSOAs in the stored national run."""
    labels = _labels(council, run)
    return int(labels.str.startswith("hot spot").sum()), int(labels.str.startswith("cold spot").sum())


def _tested(run: str) -> pd.Index:
    method, indicator = run.split(":")
    long = geo.load_indicators("hotspots_lsoa21")
    keep = (long["method"] == method) & (long["indicator"] == indicator) & long["p"].notna()
    return long.index[keep.to_numpy()]


def _params() -> dict:
    return boundaries.read_manifest(boundaries.store_dir())["hotspot_params"]


def _cluster_names_reaching(council: str) -> list[str]:
    lsoa = boundaries.load("lsoa21")
    members = set(lsoa.index[lsoa["lad24_code"] == council])
    clusters = geo.load_indicators("clusters")
    keep = clusters["lsoa_codes"].str.split(";").map(lambda c: bool(members & set(c)))
    return list(clusters.loc[keep.to_numpy(), "name"])


def _clusters_reaching(council: str) -> int:
    return len(_cluster_names_reaching(council))


def _extremes(values: pd.Series, names: pd.Series) -> tuple[str, str]:
    """Names of the highest and lowest value (higher is worse for the indicators used here)."""
    v = values.dropna()
    return str(names[v.idxmax()]), str(names[v.idxmin()])


def _wilson(pct: float, n: float, z: float = 1.959964) -> tuple[float, float]:
    p = pct / 100
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * (p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5 / (1 + z * z / n)
    return 100 * (centre - half), 100 * (centre + half)


def _neet_verdict(code: str, column: str = "neet_or_not_known_percent") -> str:
    """Worse / better / similar than England by non-overlapping 95% Wilson intervals."""
    neet, eng = geo.load_indicators("neet2025"), geo.load_indicators("neet2025_england").iloc[0]
    lo, hi = _wilson(neet.at[code, column], neet.at[code, "cohort"])
    e_lo, e_hi = _wilson(eng[column], eng["cohort"])
    return "worse" if lo > e_hi else "better" if hi < e_lo else "similar"


def _imd(code: str) -> tuple[str, str]:
    """A council's IMD average score and rank as the tables show them."""
    summary = geo.load_indicators("summary_lad24")
    n = int(summary["imd_average_score"].notna().sum())
    return (f"{summary.at[code, 'imd_average_score']:.1f} score",
            f"{int(summary.at[code, 'imd_average_score_rank'])} of {n}")


def _run(**params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _maps(at: AppTest) -> list[dict]:
    """The streamlit-folium components on the page, as their JSON arguments."""
    return [json.loads(el.proto.json_args) for el in at.get("component_instance")]


def _shown(script: str) -> str:
    """A map's script as its text reads on screen (JSON and HTML escapes undone)."""
    return html.unescape(script.replace("\\u0026", "&").replace("\\u003c", "<")
                         .replace("\\u003e", ">"))


def _text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [e.value for e in at.info] + [e.value for e in at.error] + [e.value for e in at.warning]
    parts += [e.value for e in at.success] + [h.value for h in at.header]
    parts += [h.value for h in at.subheader]
    return "\n".join(parts)


@pytest.mark.parametrize("page", ["explore", "compare", "council", "upload"])
def test_missing_store_says_how_to_build_it(tmp_path, monkeypatch, page):
    monkeypatch.setenv("OPPMAP_CACHE", str(tmp_path / "no-store"))
    at = _run(page=page, council="E08000003")
    assert len(at.error) == 1
    assert "The data store is not ready" in at.error[0].value
    assert "make store" in at.error[0].value
    assert _maps(at) == []


def test_methods_page_without_store_still_lists_sources(tmp_path, monkeypatch):
    monkeypatch.setenv("OPPMAP_CACHE", str(tmp_path / "no-store"))
    at = _run(page="methods")
    assert "No data store to describe" in at.warning[0].value
    assert "Contains OS data © Crown copyright" in _text(at)


# ----------------------------------------------------------------------------- explore


@pytest.mark.real
def test_unknown_page_opens_explore(store):
    at = _run(page="nowhere")
    assert at.title[0].value == "Where is opportunity missing?"
    assert at.query_params["page"] == "explore"


@pytest.mark.real
def test_explore_national_map_with_named_clusters(store):
    at = _run()
    assert at.query_params["page"] == "explore"
    assert at.query_params["indicator"] == "summary.imd_average_score"
    assert at.query_params["hotspots"] == "gi_star:n_domains_worst_decile"  # the default
    text = _text(at)
    summary = geo.load_indicators("summary_lad24")
    scores = summary["imd_average_score"].dropna()
    worst, best = _extremes(scores, summary["name"])
    label = geo.catalogue().loc["summary_lad24.imd_average_score", "label"]
    assert (f"{label} across {len(scores)} councils: worst {worst} ({scores.max():.1f} score), "
            f"best {best} ({scores.min():.1f} score)") in text
    clusters = geo.load_indicators("clusters")
    largest = clusters.sort_values("population", ascending=False).iloc[0]
    assert {c[0] for c in _tested("gi_star:n_domains_worst_decile")} == {"E"}  # England's run
    assert (f"{len(clusters)} named clusters of hot spots of compounded disadvantage (Gi*, 95%+ "
            f"after FDR) in England; the largest, {largest['name']}, has "
            f"{largest['n_lsoas']} neighbourhoods and {largest['population']:,.0f} people") in text
    assert "Office for National Statistics" in text  # attribution under the map
    (m,) = _maps(at)
    assert m["js_links"] == ["/app/static/vendor/leaflet-1.9.4/leaflet.js"]
    assert m["css_links"] == ["/app/static/vendor/leaflet-1.9.4/leaflet.css"]
    assert m["returned_objects"] == ["last_clicked"]  # the point; the app finds the council
    # the councils of the nations the indicator covers (the IoD: England only)
    lad = boundaries.load("lad24", display="national")
    covered = lad[lad["country"].isin({c[0] for c in scores.index})]
    assert len(COUNCIL_FEATURE.findall(m["script"])) == len(covered)
    n_clusters = len(geo.load_indicators("clusters"))
    assert len(CLUSTER_FEATURE.findall(m["script"])) == n_clusters  # sent once, drawn twice
    assert m["script"].count("_data = oppmap") >= 1  # the outline draws the casing's data
    assert len(json.dumps(m)) < 1_200_000
    assert [e.label for e in at.expander] == [
        "Data table: Index of Multiple Deprivation 2025: average score, by council"]


@pytest.mark.real
def test_explore_change_indicator_updates_map_and_url(store):
    at = _run()
    at.selectbox(key="explore_indicator").set_value("neet2025.neet_percent").run()
    assert not at.exception
    assert at.query_params["indicator"] == "neet2025.neet_percent"
    neet = geo.load_indicators("neet2025")
    values = neet["neet_percent"].dropna()
    worst, _best = _extremes(values, neet["name"])
    assert f"across {len(values)} councils: worst {worst} ({values.max():.2f}% of cohort)" in _text(at)
    (m,) = _maps(at)
    utla = boundaries.load("utla24", display="national")
    shown = utla[utla["country"].isin({c[0] for c in values.index})]
    assert len(re.findall(r'"type":"Feature","id":"E[01]\d', m["script"])) == len(shown)


@pytest.mark.real
def test_explore_shared_link_opens_council_with_clusters(store):
    at = _run(page="explore", council="E08000025", scheme="deciles")
    text = _text(at)
    assert at.selectbox(key="explore_council").value == "E08000025"
    assert at.selectbox(key="explore_scheme").value == "deciles"
    lsoa = boundaries.load("lsoa21")
    codes = lsoa.index[lsoa["lad24_code"] == "E08000025"]
    scores = geo.load_indicators("iod2025")["imd_score"].reindex(codes)
    worst, _best = _extremes(scores, lsoa["name"])
    assert (f"score across {len(codes)} LSOAs in Birmingham: worst {worst} "
            f"({scores.max():.1f} score)") in text
    # national Gi* of the number of domains in the worst decile, FDR over all of England
    run = "gi_star:n_domains_worst_decile"
    assert (f"{_params()['permutations']:,} conditional permutations (seed {_params()['seed']})"
            in text)
    assert (f"Benjamini-Hochberg false discovery rate at {_params()['alpha']:.0%} over all "
            f"{len(_tested(run)):,} LSOAs of England tested together") in text
    hot, cold = _hot_cold("E08000025", run)
    assert f"In Birmingham: {hot} LSOAs in hot spots, {cold} in cold spots." in text
    n_clusters = _clusters_reaching("E08000025")
    assert f"{n_clusters} named clusters of hot spots of compounded disadvantage" in text
    national, council = _maps(at)
    assert council["script"].count('"id":"E01') >= 659
    assert "Named cluster" in council["script"] and "oppmapClusters" in council["script"]
    assert council["returned_objects"] == []
    table = at.dataframe[-1].value  # the council map's data table
    in_cluster = table.index[(table["cluster"] != "none").to_numpy()]
    assert len(in_cluster) > 0
    assert _labels("E08000025", run)[in_cluster].str.startswith("hot spot").all()


@pytest.mark.real
def test_explore_imd_hotspots_have_no_named_clusters(store):
    at = _run(council="E08000025", hotspots="gi_star:imd_score")
    text = _text(at)
    hot, cold = _hot_cold("E08000025", "gi_star:imd_score")
    assert f"In Birmingham: {hot} LSOAs in hot spots, {cold} in cold spots." in text
    assert "named cluster" not in text


@pytest.mark.real
def test_explore_unknown_council_in_url(store):
    at = _run(council="E99999999")
    assert "council code(s) E99999999 that are not councils of 2024" in at.warning[0].value
    assert at.selectbox(key="explore_council").value == ""
    assert "council" not in at.query_params
    assert len(_maps(at)) == 1  # the national map only


@pytest.mark.real
def test_explore_bad_link_falls_back_and_non_english_council(store):
    at = _run(indicator="nope.nothing", scheme="rainbow", view="zzz", council="S12000036")
    assert at.selectbox(key="explore_indicator").value == "summary.imd_average_score"
    assert at.selectbox(key="explore_scheme").value == "quantiles"
    assert "outside England and Wales" in _text(at)


@pytest.mark.real
def test_explore_national_lsoa_image(store):
    at = _run(view="lsoas")
    text = _text(at)
    scores = geo.load_indicators("iod2025")["imd_score"].dropna()
    worst, best = _extremes(scores, boundaries.load("lsoa21")["name"])
    assert (f"score across {len(scores):,} LSOAs: worst {worst} ({scores.max():.1f} score), "
            f"best {best} ({scores.min():.1f} score)") in text
    assert "Click anywhere to read that neighbourhood's values" in text
    (m,) = _maps(at)
    assert "data:image/png;base64," in m["script"]
    assert m["returned_objects"] == ["last_clicked"]  # a click asks for the LSOA under it
    assert len(json.dumps(m)) < 1_200_000
    assert len(at.dataframe[0].value) == len(scores)  # the image's data table


# ----------------------------------------------------------------------------- compare


@pytest.mark.real
def test_compare_places_table_chart_and_maps(store):
    at = _run(page="compare", councils="E08000025,E06000009,E07000235")
    assert at.query_params["councils"] == "E08000025,E06000009,E07000235"
    table = at.dataframe[0].value
    assert list(table.columns[:4]) == ["Life stage", "Principle", "Indicator", "England"]
    assert {"Birmingham", "Blackpool", "Malvern Hills"} <= set(table.columns)
    imd = table.loc["summary.imd_average_score"]
    for code, name in (("E06000009", "Blackpool"), ("E08000025", "Birmingham")):
        assert imd[name] == "{} · rank {}".format(*_imd(code))
    england = geo.load_indicators("summary_england")["imd_average_score"].iloc[0]
    assert imd["England"] == f"{england:.1f} score"
    neet = table.loc["neet2025.neet_or_not_known_percent"]
    assert neet["Blackpool: vs England · region · neighbours"].startswith(
        _neet_verdict("E06000009"))
    assert list(dict.fromkeys(table["Life stage"])) == ["Early years", "School", "Youth",
                                                        "Adulthood", "All ages"]
    charts = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    assert len(charts) == 2  # the spine chart and the bar chart of one indicator
    assert charts[0]["facet"]["row"]["field"] == "stage"
    text = _text(at)
    shown = table["Blackpool"][table["Blackpool"] != "no data"]
    ranks = shown.str.extract(r"rank (\d+) of (\d+)").dropna().astype(int)
    worst_fifth = int((ranks[0] <= ranks[1] * 0.2).sum())
    assert (f"Blackpool: {len(shown)} indicators; among the worst fifth of councils on "
            f"{worst_fifth}") in text
    assert len(_maps(at)) == 1 + 3  # the councils, then each one's neighbourhoods
    at.multiselect(key="compare_councils").set_value(["E08000025"]).run()
    assert "Choose at least two councils" in _text(at)
    assert _maps(at) == []


@pytest.mark.real
def test_compare_unknown_code_in_url(store):
    at = _run(page="compare", councils="E08000025,XYZ,E06000009")
    assert "council code(s) XYZ" in at.warning[0].value
    assert at.multiselect(key="compare_councils").value == ["E08000025", "E06000009"]


# ----------------------------------------------------------------------------- my council


@pytest.mark.real
def test_my_council_typo_search_and_full_profile(store):
    at = _run(page="council")
    at.text_input(key="council_query").set_value("Manchestr").run()
    assert not at.exception
    assert at.radio(key="council_pick").value == "E08000003"
    assert at.query_params["council"] == "E08000003"
    profile = at.dataframe[0].value
    imd = profile.loc["summary.imd_average_score"]
    england = geo.load_indicators("summary_england").iloc[0]
    assert (imd["Value"], imd["Rank (1 = worst)"]) == _imd("E08000003")
    assert imd["England"] == f"{england['imd_average_score']:.1f} score"
    assert len(at.get("vega_lite_chart")) == 1  # the spine chart
    ranks = at.dataframe[1].value
    summary = geo.load_indicators("summary_lad24")
    assert ranks.loc["Index of Multiple Deprivation", "Extent"] == (
        f"{int(summary.at['E08000003', 'imd_extent_rank'])} of "
        f"{int(summary['imd_extent_rank'].notna().sum())}")
    text = _text(at)
    share = 100 * summary.at["E08000003", "compounded_share_population"]
    assert f"{share:.1f}% of Manchester's residents live in neighbourhoods with compounded" in text
    neet = geo.load_indicators("neet2025").loc["E08000003"]
    lo, hi = _wilson(neet["neet_or_not_known_percent"], neet["cohort"])
    eng = geo.load_indicators("neet2025_england").iloc[0]
    assert (f"{neet['neet_or_not_known_percent']:.2f}% of 16-17 year olds in Manchester were "
            f"NEET or their activity was not known (95% interval {lo:.1f}% to {hi:.1f}%), "
            f"against {eng['neet_or_not_known_percent']:.2f}% in England: "
            f"**{_neet_verdict('E08000003')}**") in text
    clusters = at.dataframe[3].value
    stored = geo.load_indicators("clusters")
    assert clusters["name"].iloc[0] in set(stored["name"])
    assert "Manchester" in clusters["name"].iloc[0]
    lsoa = boundaries.load("lsoa21")
    manchester = set(lsoa.index[lsoa["lad24_code"] == "E08000003"])
    members = {c for codes in stored["lsoa_codes"] for c in codes.split(";")} & manchester
    assert len(at.dataframe[4].value) == len(members)  # their neighbourhoods in Manchester
    neighbours = at.dataframe[6].value
    expected = gp.neighbour_reasons(summary, "E08000003")  # the page shows the library's answer
    assert list(neighbours.index) == list(expected.index) and len(neighbours) == 10
    assert len(at.get("download_button")) == 1
    assert len(_maps(at)) == 1


@pytest.mark.real
def test_my_council_county_from_link(store):
    at = _run(page="council", council="E10000016")
    name = boundaries.load("utla24", display="national").at["E10000016", "name"]
    assert at.text_input(key="council_query").value == name
    assert f"{name} (E10000016)" in _text(at)
    profile = at.dataframe[0].value
    n_upper = int(geo.load_indicators("summary_utla24")["imd_average_score"].notna().sum())
    assert profile.loc["summary.imd_average_score", "Rank (1 = worst)"].endswith(f"of {n_upper}")
    assert "smc_ci1.conditions_of_childhood_2018_2024" not in profile.index


@pytest.mark.real
def test_my_council_no_match_and_unknown_code(store):
    at = _run(page="council")
    at.text_input(key="council_query").set_value("qqqq zzzz").run()
    assert "No council name is close to 'qqqq zzzz'" in _text(at)
    assert _maps(at) == []
    at = _run(page="council", council="E99999999")
    assert "council code(s) E99999999" in at.warning[0].value
    assert "Start typing a council's name above." in _text(at)


@pytest.mark.real
def test_council_pack_contents(store):
    """The pack the download button serves: GeoJSON, CSV, offline map, methodology."""
    from geo.export._rfc7946 import rfc7946_problems
    from pages import _data as data

    pack = data.council_pack("E06000009")  # Blackpool
    with zipfile.ZipFile(io.BytesIO(pack)) as zf:
        names = sorted(zf.namelist())
        doc = json.loads(zf.read("E06000009_lsoas.geojson"))
        csv = zf.read("E06000009_lsoas.csv").decode()
        readme = zf.read("README.txt").decode()
        page = zf.read("E06000009_map.html").decode()
    assert names == ["E06000009_lsoas.csv", "E06000009_lsoas.geojson", "E06000009_map.html",
                     "README.txt"]
    assert rfc7946_problems(doc) == []
    lsoa = boundaries.load("lsoa21")
    n = int((lsoa["lad24_code"] == "E06000009").sum())
    assert len(doc["features"]) == n
    props = doc["features"][0]["properties"]
    for key in ("iod2025.imd_score", "iod2025.income_decile",
                "iod2025_subdomains.children_young_people_score", "iod2019.imd_rank",
                "compound.n_domains_worst_decile", "compound.persistent",
                "population.population_total", "hotspot_gi_star_n_domains_worst_decile",
                "hotspot_local_moran_imd_score", "q_gi_star_imd_score",
                "robust_gi_star_imd_score", "clusters.name"):
        assert key in props, key
    assert len(csv.strip().splitlines()) == n + 1
    params = _params()
    assert "## Hotspots" in readme and "Benjamini-Hochberg" in readme
    assert (f"{params['permutations']:,} conditional permutations (seed {params['seed']})"
            in " ".join(readme.split()))
    assert "Contains OS data © Crown copyright and database right 2024." in readme
    assert "## Columns of this pack" in readme and "`iod2025.imd_score`: " in readme
    # offline: no script, style sheet or image loaded from another host
    assert re.findall(r"""<(?:script|link|img)[^>]+(?:src|href)\s*=\s*["']https?:""", page) == []
    assert "L.version" in page or "Leaflet" in page  # Leaflet itself is inlined
    for name in _cluster_names_reaching("E06000009"):  # named clusters, outlined and labelled
        assert name.split(",")[0] in page


# ----------------------------------------------------------------------------- one state


@pytest.mark.real
def test_chosen_council_and_indicators_carry_across_pages(store):
    at = _run(council="E08000025", lsoa="compound.n_domains_worst_decile",
              hotspots="gi_star:imd_score")
    at.query_params.clear()  # the sidebar's page links carry no parameters
    at.switch_page("pages/my_council.py").run()
    assert not at.exception
    assert at.radio(key="council_pick").value == "E08000025"
    assert at.text_input(key="council_query").value == "Birmingham"
    assert at.selectbox(key="council_lsoa").value == "compound.n_domains_worst_decile"
    assert at.selectbox(key="council_hotspots").value == "gi_star:imd_score"
    assert at.query_params["council"] == "E08000025"  # and in the URL again, to share
    at.query_params.clear()
    at.switch_page("pages/explore.py").run()
    assert at.selectbox(key="explore_council").value == "E08000025"
    assert "Birmingham: neighbourhoods (LSOAs)" in _text(at)


@pytest.mark.real
def test_compare_clear_all_then_add_again_shows_what_is_drawn(store):
    at = _run(page="compare", councils="E08000025,E06000009")
    at.selectbox(key="compare_lsoa").set_value("compound.n_domains_worst_decile").run()
    at.selectbox(key="compare_hotspots").set_value("none").run()
    at.multiselect(key="compare_councils").set_value([]).run()
    assert "Choose at least two councils" in _text(at) and _maps(at) == []
    at.multiselect(key="compare_councils").set_value(["E06000009", "E07000089"]).run()
    assert not at.exception
    assert at.selectbox(key="compare_lsoa").value == "compound.n_domains_worst_decile"
    assert at.selectbox(key="compare_hotspots").value == "none"
    label = geo.catalogue().loc["compound.n_domains_worst_decile", "label"]
    for m in _maps(at)[1:]:  # each council's neighbourhoods: the chosen indicator, no hotspots
        assert label in _shown(m["script"]) and "oppmapClusters" not in m["script"]


@pytest.mark.real
def test_compare_maps_share_national_classes_unless_asked(store):
    at = _run(page="compare", councils="E07000089,E06000009")  # Hart and Blackpool
    hart, blackpool = (_shown(m["script"]) for m in _maps(at)[1:])
    legend = re.compile(r"quantiles, \d+ classes of England's LSOAs")
    assert legend.search(hart) and legend.search(blackpool)
    at.radio(key="compare_classes").set_value("council").run()
    hart = _shown(_maps(at)[1]["script"])
    assert not legend.search(hart) and "quantiles, 5 classes" in hart


@pytest.mark.real
def test_click_point_finds_the_council_under_it(store):
    from pages import _data as data

    lad = boundaries.load("lad24", display="national")
    for code in ("E06000002", "E08000012", "E06000014"):  # Middlesbrough, Liverpool, York
        point = lad.geometry[code].representative_point()
        assert data.council_at("lad24", point.y, point.x) == code
    assert data.council_at("lad24", 54.0, -4.2) is None  # the Irish Sea


@pytest.mark.real
def test_an_unexpected_error_is_a_short_message_not_a_traceback(store, monkeypatch):
    from geo import council as gc

    def broken(*_args, **_kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(gc, "council_view", broken)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["council"] = "E08000025"
    at.run()
    assert not at.exception  # no traceback element
    (error,) = at.error
    assert "Something went wrong" in error.value and "secret internals" not in error.value
    assert "Where is opportunity missing?" in at.title[0].value  # the page above still shows


# ----------------------------------------------------------------------------- your data


@pytest.mark.real
def test_your_data_good_upload_is_mapped(store):
    at = _run(page="upload")
    csv = b"code,<img src=x onerror=alert(1)>\nE08000025,12.5\nE08000003,8\nE06000009,20\n"
    at.file_uploader[0].set_value(("good.csv", csv, "text/csv")).run()
    assert not at.exception
    assert "3 of 3 rows matched councils (lower tier, 2024)" in _text(at)
    (m,) = _maps(at)
    assert m["script"].count('"type":"Feature"') == 3  # only the matched councils
    assert "<img src=x" not in m["script"]
    assert "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;" in m["script"]
    assert "Your data: as uploaded" in _text(at)


@pytest.mark.real
def test_your_data_bad_upload_is_refused_and_nothing_mapped(store):
    at = _run(page="upload")
    at.file_uploader[0].set_value(("bad.csv", b"name,value\nfoo,bar\n", "text/csv")).run()
    assert not at.exception
    assert len(at.error) == 1
    assert "This file cannot be mapped" in at.error[0].value
    assert "No column holds ONS area codes" in at.error[0].value
    assert _maps(at) == []


@pytest.mark.real
def test_methodology_lists_sources_licences_and_seed(store):
    at = _run(page="methods")
    text = _text(at)
    params = _params()
    assert "Contains OS data © Crown copyright and database right 2024." in text
    assert "Benjamini-Hochberg" in text and f"seed {params['seed']}" in text
    assert f"{params['permutations']:,} conditional permutations" in text
    assert "999 conditional" not in text.replace(f"{params['permutations']:,} conditional", "")
    for name, v in asset_versions().items():
        assert f"{name} {v['version']}" in text
    datasets = at.dataframe[0].value
    assert "iod2025" in set(datasets["dataset"])
    assert "The full methodology note" in at.expander[0].label
