"""The Streamlit app through streamlit.testing (fast, no browser): every page and its error paths."""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import boundaries
import geo
from geo import profile as gp
from geo.maps.assets import asset_versions

APP = str(Path(__file__).resolve().parents[1] / "app.py")
TIMEOUT = 180
COUNCIL_FEATURE = re.compile(r'"type":"Feature","id":"[EWSN]\d{8}"')
CLUSTER_FEATURE = re.compile(r'"type":"Feature","id":"[EWS]\d{1,4}"')
ALPHA = 0.05
#: The councils of the tests, one of each nation (and a county).
CARDIFF, GLASGOW, BELFAST, BIRMINGHAM = "W06000015", "S12000049", "N09000003", "E08000025"
#: Each nation's own tables (from the registry, as the app reads them).
INDEX = {"E": "iod2025", "W": "wimd2019", "S": "simd2020", "N": "nimdm2017"}


def _spec(code: str) -> dict:
    from geo.data.nations import index_spec

    return index_spec(INDEX[code[0]])


def _areas(code: str) -> pd.Index:
    """A council's small areas at its nation's level, straight from the store's boundaries."""
    level = _spec(code).get("map_level")
    if not level:
        return pd.Index([])
    areas = boundaries.load(level)
    column = "utla24_code" if code.startswith("E10") else "lad24_code"
    return areas.index[areas[column] == code]


def _bh(p: pd.Series) -> pd.Series:
    """Benjamini-Hochberg q-values, by hand."""
    values = p.to_numpy(float)
    order = np.argsort(values)
    ranked = values[order] * len(values) / np.arange(1, len(values) + 1)
    q = np.empty(len(values))
    q[order] = np.minimum.accumulate(ranked[::-1])[::-1].clip(max=1)
    return pd.Series(q, index=p.index)


def _within(code: str, run: str) -> tuple[int, int]:
    """Worse and better clusters of a council on its nation's stored national run of ``run``
    (Gi*), its areas judged as one family: BH over their stored p-values, by hand."""
    from geo.stats.runs import select_run

    spec = _spec(code)
    one = select_run(geo.load_indicators(spec["hotspot_table"]), run).reindex(_areas(code))
    sign = 1 if one.attrs["polarity"] == "higher_worse" else -1
    significant = _bh(one["p"]) <= ALPHA
    return (int((significant & (sign * one["statistic"] > 0)).sum()),
            int((significant & (sign * one["statistic"] < 0)).sum()))


def _params() -> dict:
    return boundaries.read_manifest(boundaries.store_dir())["hotspot_params"]


def _members(table: str = "clusters") -> pd.Series:
    from geo.stats.clusters import cluster_members

    return cluster_members(geo.load_indicators(table))


def _cluster_names_reaching(council: str, table: str = "clusters") -> list[str]:
    clusters = geo.load_indicators(table)
    owner = _members(table)
    reached = set(owner[owner.index.isin(_areas(council))])
    return list(clusters.loc[clusters.index.isin(reached), "name"])


def _clusters_reaching(council: str, table: str = "clusters") -> int:
    return len(_cluster_names_reaching(council, table))


def _extremes(values: pd.Series, names: pd.Series) -> tuple[str, str]:
    """Names of the highest and lowest value (higher is worse for the indicators used here;
    of tied ones, the first by code, as the page names them)."""
    v = values.dropna().sort_index()
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


def _legend_count(script: str, row: str) -> int | None:
    """The count a map's legend gives for one row (e.g. "not covered by this index")."""
    found = re.search(re.escape(row) + r" <span style=[^(]*\(([\d,]+)\)", _shown(script))
    return int(found.group(1).replace(",", "")) if found else None


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
def test_unknown_page_opens_explore_and_says_so(store):
    at = _run(page="nowhere")
    assert at.title[0].value == "Where is opportunity missing?"
    assert at.query_params["page"] == "explore"
    assert at.warning[0].value.startswith("The link asks for a page 'nowhere' that oppmap does "
                                          "not have; showing Explore. Pages: explore, compare")
    methods = _run(page=" Methods ")  # a link typed by hand: case and spaces forgiven
    assert not [w for w in methods.warning if "does not have" in w.value]
    assert "Methodology" in methods.title[0].value


@pytest.mark.real
def test_explore_national_map_every_council_on_the_composite(store):
    at = _run()
    assert at.query_params["page"] == "explore"
    assert at.query_params["indicator"] == "ukimd_la.uk_imd_score"  # every council has it
    assert at.query_params["hotspots"] == "gi_star:n_domains_worst_decile"  # the default
    text = _text(at)
    ukimd = geo.load_indicators("ukimd_la")["uk_imd_score"].dropna()
    names = boundaries.load("lad24")["name"]
    worst, best = _extremes(ukimd, names)
    label = geo.catalogue().loc["ukimd_la.uk_imd_score", "label"]
    assert (f"{label} across {len(ukimd)} councils: worst {worst} ({ukimd.max():.1f} score), "
            f"best {best} ({ukimd.min():.1f} score)") in text
    # the national indices are not comparable: said beside the map, with mySociety's licence
    assert "not comparable across England, Wales, Scotland and Northern Ireland" in text
    assert "mySociety, CC-BY-4.0" in text and "Contains data from mySociety (CC BY 4.0)" in text
    (m,) = _maps(at)
    assert m["js_links"] == ["/app/static/vendor/leaflet-1.9.4/leaflet.js"]
    assert m["returned_objects"] == ["last_clicked"]  # the point; the app finds the council
    lad = boundaries.load("lad24", display="national")
    assert len(COUNCIL_FEATURE.findall(m["script"])) == len(lad) == len(ukimd)  # all 361
    assert "not covered by this index" not in _shown(m["script"])
    # every nation's named clusters, each on its own index
    tables = {spec["nation"]: spec["cluster_table"] for spec in
              geo.data.nations.national_indices().values() if "cluster_table" in spec}
    counts = {letter: len(geo.load_indicators(t)) for letter, t in tables.items()}
    assert len(CLUSTER_FEATURE.findall(m["script"])) == sum(counts.values())
    largest = geo.load_indicators("clusters").sort_values("population").iloc[-1]
    assert (f"Purple outlines: {sum(counts.values())} named clusters of compounded "
            "disadvantage (touching worse clusters: Gi* hot spots at 95%+ after FDR), each "
            f"nation on its own index (England {counts['E']}, Wales {counts['W']}, Scotland "
            f"{counts['S']}); the largest, {largest['name']}") in text
    assert m["script"].count("_data = oppmap") >= 1  # the outline draws the casing's data
    assert len(json.dumps(m)) < 1_500_000
    assert [e.label for e in at.expander] == [f"Data table: {label}, by council"]


@pytest.mark.real
def test_explore_a_nations_own_index_greys_the_others(store):
    at = _run(indicator="summary_wimd2019_lad24.wimd_average_score")
    (m,) = _maps(at)
    lad = boundaries.load("lad24", display="national")
    welsh = int((lad["country"] == "W").sum())
    assert len(COUNCIL_FEATURE.findall(m["script"])) == len(lad)  # nothing left blank
    assert _legend_count(m["script"], "not covered by this index") == len(lad) - welsh
    summary = geo.load_indicators("summary_wimd2019_lad24")["wimd_average_score"].dropna()
    assert f"across {len(summary)} councils" in _text(at) and len(summary) == welsh
    assert "covers Wales only" in _text(at)
    assert len(at.dataframe[0].value) == welsh  # the data table: the councils it covers


@pytest.mark.real
def test_explore_change_indicator_updates_map_and_url(store):
    at = _run()
    at.selectbox(key="explore_indicator").set_value("neet2025.neet_percent").run()
    assert not at.exception
    assert at.query_params["indicator"] == "neet2025.neet_percent"
    neet = geo.load_indicators("neet2025")
    values = neet["neet_percent"].dropna()
    worst, _best = _extremes(values, neet["name"])
    tied = int((values == values.max()).sum()) - 1  # a tie at the worst is said
    assert (f"across {len(values)} councils: worst {worst}"
            + (f" and {tied} more" if tied else "") + f" ({values.max():.2f}% of cohort)"
            ) in _text(at)
    (m,) = _maps(at)
    utla = boundaries.load("utla24", display="national")
    assert len(COUNCIL_FEATURE.findall(m["script"])) == len(utla)
    english = int((utla["country"] == "E").sum())
    assert _legend_count(m["script"], "not covered by this index") == len(utla) - english


@pytest.mark.real
def test_explore_shared_link_opens_council_with_clusters(store):
    at = _run(page="explore", council=BIRMINGHAM, scheme="deciles", lsoa="iod2025.imd_score")
    text = _text(at)
    assert at.selectbox(key="explore_council").value == BIRMINGHAM
    assert at.selectbox(key="explore_scheme").value == "deciles"
    codes = _areas(BIRMINGHAM)
    scores = geo.load_indicators("iod2025")["imd_score"].reindex(codes)
    worst, _best = _extremes(scores, boundaries.load("lsoa21")["name"])
    assert (f"score across {len(codes)} LSOAs in Birmingham: worst {worst} "
            f"({scores.max():.1f} score)") in text
    # z and p of England's national run of compounded disadvantage, Birmingham as one family
    run = "gi_star:n_domains_worst_decile"
    assert (f"{_params()['permutations']:,} conditional permutations (seed {_params()['seed']})"
            in text)
    assert (f"judged over the {len(codes)} LSOAs of Birmingham as one family "
            f"(Benjamini-Hochberg false discovery rate at {_params()['alpha']:.0%})") in text
    worse, better = _within(BIRMINGHAM, run)
    assert (f"In Birmingham: {worse} LSOAs in worse clusters (hot spot), {better} in better "
            "clusters" + (" (cold spot)" if better else "")) in text
    n_clusters = _clusters_reaching(BIRMINGHAM)
    assert f"{n_clusters} named clusters of compounded disadvantage" in text
    national, council = _maps(at)
    assert council["script"].count('"id":"E01') >= len(codes)
    assert "Named cluster" in council["script"] and "oppmapClusters" in council["script"]
    legend = _shown(council["script"])
    assert legend.index("worse cluster 99%") < legend.index("not significant")  # worse first
    assert council["returned_objects"] == []
    table = at.dataframe[-1].value  # the council map's data table
    owner = _members()
    assert set(table.index[(table["cluster"] != "none").to_numpy()]) == set(
        owner.index.intersection(codes))
    assert int((table["hotspot"].str.startswith("worse cluster")).sum()) == worse
    assert set(table.loc[table["hotspot"].str.startswith("worse cluster"),
                         "method's label"].str[:8]) == {"hot spot"}


@pytest.mark.real
def test_explore_imd_hotspots_have_no_named_clusters(store):
    at = _run(council=BIRMINGHAM, hotspots="gi_star:imd_score")
    text = _text(at)
    worse, better = _within(BIRMINGHAM, "gi_star:imd_score")
    assert (f"In Birmingham: {worse} LSOAs in worse clusters (hot spot), {better} in better "
            "clusters" + (" (cold spot)" if better else "")) in text
    assert "named cluster" not in text


@pytest.mark.real
@pytest.mark.parametrize("code", [CARDIFF, GLASGOW])
def test_explore_a_welsh_or_scottish_council_on_its_own_index(store, code):
    at = _run(council=code, lsoa="iod2025.imd_score", hotspots="gi_star:imd_score")
    text = _text(at)
    spec = _spec(code)
    areas = _areas(code)
    words = "data zones" if spec["map_level"] == "dz11" else "LSOAs"
    name = boundaries.load("lad24").at[code, "name"]
    assert f"{name}: neighbourhoods ({words})" in text
    # IoD 2025 covers England only: the council is shown on its nation's own index, and says so
    assert "covers England only" in text and spec["title"] in text
    run = f"gi_star:{spec['hotspot_columns'][1]}"  # the same role: the nation's own index
    worse, better = _within(code, run)
    # the other way up where the index publishes ranks (SIMD): worse is Gi*'s cold spots
    polarity = geo.catalogue().loc[f"{spec['dataset']}.{spec['hotspot_columns'][1]}", "polarity"]
    spots = ("hot spot", "cold spot") if polarity == "higher_worse" else ("cold spot", "hot spot")
    assert (f"In {name}: {worse} {words} in worse clusters" + (f" ({spots[0]})" if worse else "")
            + f", {better} in better clusters" + (f" ({spots[1]})" if better else "")) in text
    national, council = _maps(at)
    assert council["script"].count(f'"id":"{code[0]}0') >= len(areas)
    assert f"of {'Scotland' if code[0] == 'S' else 'Wales'}'s {words}" in _shown(council["script"])


@pytest.mark.real
def test_explore_unknown_council_in_url(store):
    at = _run(council="E99999999")
    assert "council code(s) E99999999 that are not councils of 2024" in at.warning[0].value
    assert at.selectbox(key="explore_council").value == ""
    assert "council" not in at.query_params
    assert len(_maps(at)) == 1  # the national map only


@pytest.mark.real
def test_explore_bad_link_falls_back_and_a_northern_irish_council(store):
    at = _run(indicator="nope.nothing", scheme="rainbow", view="zzz", council=BELFAST)
    assert at.selectbox(key="explore_indicator").value == "ukimd_la.uk_imd_score"
    assert at.selectbox(key="explore_scheme").value == "quantiles"
    assert ("Belfast is in Northern Ireland: the mirror has no small-area boundaries for "
            "Northern Ireland") in _text(at)
    assert len(_maps(at)) == 1  # the national map; no neighbourhood map to draw


@pytest.mark.real
def test_explore_national_image_paints_great_britain_each_on_its_own_index(store):
    at = _run(view="lsoas")
    text = _text(at)
    deciles = pd.concat([geo.load_indicators(f"{s['dataset']}.{s['overall']}_decile").iloc[:, 0]
                         for s in map(_spec, ("E0", "W0", "S0"))])
    assert f"across {len(deciles):,} LSOAs and data zones" in text
    assert "Northern Ireland: the mirror has no small-area boundaries" in text
    (m,) = _maps(at)
    script = _shown(m["script"])
    assert script.count("data:image/png;base64,") == 2  # LSOAs, and data zones
    for letter in "EWS":
        assert _spec(f"{letter}0")["title"] in script  # the legend names each nation's index
    assert _legend_count(m["script"], "decile 1") == int((deciles == 1).sum())
    assert "not covered by this index" not in script
    assert m["returned_objects"] == ["last_clicked"]  # a click asks for the area under it
    assert len(json.dumps(m)) < 1_500_000
    assert len(at.dataframe[0].value) == len(deciles)  # the image's data table
    at = _run(view="lsoas", lsoa="iod2025.imd_score")
    uncovered = len(deciles) - geo.load_indicators("iod2025")["imd_score"].notna().sum()
    assert _legend_count(_maps(at)[0]["script"], "not covered by this index") == uncovered


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


@pytest.mark.real
def test_compare_councils_of_two_nations_on_the_composite(store):
    at = _run(page="compare", councils=f"{BIRMINGHAM},{CARDIFF}")
    text = _text(at)
    assert "These councils are in England and Wales" in text
    assert "compared on the composite UK IMD" in text and "mySociety, CC-BY-4.0" in text
    assert at.selectbox(key="compare_indicator").value == "ukimd_la.uk_imd_score"
    table = at.dataframe[0].value
    assert {"England", "Wales", "Cardiff: vs Wales · region · neighbours",
            "Birmingham: vs England · region · neighbours"} <= set(table.columns)
    ukimd = geo.load_indicators("ukimd_la")["uk_imd_score"]
    rank = ukimd.rank(ascending=False, method="min")
    assert table.loc["ukimd_la.uk_imd_score", "Cardiff"] == (
        f"{ukimd[CARDIFF]:.1f} score · rank {int(rank[CARDIFF])} of {ukimd.notna().sum()}")
    wimd = geo.load_indicators("summary_wimd2019_country")["wimd_average_score"].iloc[0]
    assert table.loc["summary_wimd2019_lad24.wimd_average_score", "Wales"] == f"{wimd:.1f} score"
    assert table.loc["summary_wimd2019_lad24.wimd_average_score", "Birmingham"] == "no data"
    councils_map, birmingham, cardiff = _maps(at)
    assert "not covered by this index" not in _shown(councils_map["script"])
    assert "of England's LSOAs" in _shown(birmingham["script"])
    assert "of Wales's LSOAs" in _shown(cardiff["script"])  # each on its own nation's classes
    assert "their colours do not compare across nations" in text
    # a nation's own index while comparing across nations: the others greyed, and said
    at.selectbox(key="compare_indicator").set_value("summary.imd_average_score").run()
    assert "does not cover Cardiff" in at.warning[0].value
    lad = boundaries.load("lad24", display="national")
    assert _legend_count(_maps(at)[0]["script"], "not covered by this index") == int(
        (lad["country"] == "W").sum())


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
    england_share = 100 * geo.load_indicators("summary_england")[
        "compounded_share_population"].iloc[0]
    assert (f"{share:.1f}% of people in Manchester, {share / england_share:.1f} times "
            "England's") in text
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
    members = _members().index.intersection(_areas("E08000003"))
    assert len(at.dataframe[4].value) == len(members)  # their neighbourhoods in Manchester
    neighbours = at.dataframe[6].value
    expected = gp.neighbour_reasons(summary, "E08000003")  # the page shows the library's answer
    assert list(neighbours.index) == list(expected.index) and len(neighbours) == 10
    assert len(at.get("download_button")) == 1
    assert len(_maps(at)) == 1


@pytest.mark.real
def test_my_council_other_names_and_unsure_names(store):
    at = _run(page="council")
    at.text_input(key="council_query").set_value("Western Isles").run()
    assert not at.exception
    assert at.query_params["council"] == "S12000013"
    assert "Na h-Eileanan Siar (S12000013)" in _text(at) and "Lewes" not in _text(at)
    at = _run(page="council")
    at.text_input(key="council_query").set_value("Newcastle").run()
    assert not at.exception and "council" not in at.query_params  # two councils: none opened
    assert at.radio(key="council_pick").label == "Did you mean:"
    assert at.radio(key="council_pick").value is None
    at.radio(key="council_pick").set_value("E08000021").run()
    assert at.query_params["council"] == "E08000021"


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
@pytest.mark.parametrize("code", [CARDIFF, GLASGOW])
def test_my_council_in_wales_or_scotland_on_its_own_index(store, code):
    at = _run(page="council", council=code)
    spec = _spec(code)
    name = boundaries.load("lad24").at[code, "name"]
    nation = {"W": "Wales", "S": "Scotland"}[code[0]]
    text = _text(at)
    assert f"{name} ({code})" in text and spec["title"] in text
    profile = at.dataframe[0].value
    assert nation in profile.columns and f"vs {nation}" in profile.columns
    ukimd = geo.load_indicators("ukimd_la")["uk_imd_score"]
    assert profile.loc["ukimd_la.uk_imd_score", "Rank (1 = worst)"] == (
        f"{int(ukimd.rank(ascending=False, method='min')[code])} of {ukimd.notna().sum()}")
    summary = geo.load_indicators(spec["summaries"]["lad24"])
    ranks = at.dataframe[1].value  # the summary ranks of the nation's own index
    column = f"{spec['overall']}_proportion_most_deprived_10_rank"
    assert f"{int(summary.at[code, column])} of {int(summary[column].notna().sum())}" in set(
        ranks.iloc[0])
    clusters = geo.load_indicators(spec["cluster_table"])
    reaching = _clusters_reaching(code, spec["cluster_table"])
    assert reaching > 0 and f"{reaching} named clusters of compounded disadvantage" in text
    shown = at.dataframe[3].value
    assert set(shown["name"]) <= set(clusters["name"]) and len(shown) == reaching
    assert ("people (all)" in shown.columns) == (code[0] != "S")  # data zones: no people
    neighbours = at.dataframe[5].value
    assert len(neighbours) == 10 and all(c.startswith(code[:3]) for c in neighbours.index)
    assert f"among {nation}'s councils" in text  # and says which pool
    (m,) = _maps(at)
    assert m["script"].count(f'"id":"{code[0]}0') >= len(_areas(code))
    assert len(at.get("download_button")) == 1


@pytest.mark.real
def test_my_council_in_northern_ireland_is_the_council_level_picture(store):
    at = _run(page="council", council=BELFAST)
    text = _text(at)
    assert "Belfast (N09000003)" in text
    assert text.count("Belfast is in Northern Ireland: the mirror has no small-area boundaries "
                      "for Northern Ireland") == 1  # said once; later sections refer to it
    for lacking in ("named clusters", "neighbourhood map"):
        assert (f"No {lacking} for Belfast: the mirror has no small-area boundaries for Northern "
                "Ireland") in text
    profile = at.dataframe[0].value
    assert "Northern Ireland" in profile.columns
    nimdm = geo.load_indicators("nimdm2017")
    extent = nimdm["nimdm_extent"]
    assert profile.loc["nimdm2017.nimdm_extent", "Rank (1 = worst)"] == (
        f"{int(extent.rank(ascending=False, method='min')['N09000003'])} of {len(extent)}")
    assert "ukimd_la.uk_imd_score" in profile.index
    # Northern Ireland's figures of the Social Mobility Commission are not Belfast's own rank
    smc = profile.loc["smc_ci1.conditions_of_childhood_2018_2024"]
    assert smc["Figure for"].startswith("Northern Ireland (one figure for 11 councils")
    assert smc["Rank (1 = worst)"] == ""
    assert "on none in the mirror" not in text
    ranks = next(d.value for d in at.dataframe if "Extent" in d.value.columns)
    assert "NIMDM 2017 income" in ranks.index and "income" not in ranks.index  # readable
    neighbours = at.dataframe[-1].value  # from the whole UK on the composite UK IMD, and said
    assert len(neighbours) == 10 and "among every council of the UK" in text
    assert "0 hot spots" not in text and "worse clusters" not in text
    assert _maps(at) == []  # no small areas: no map, never a blank one
    assert len(at.get("download_button")) == 1


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
                "population.population_total", "ukimd_ew.uk_imd_score",
                "hotspot_gi_star_n_domains_worst_decile", "outcome_gi_star_n_domains_worst_decile",
                "bin_gi_star_n_domains_worst_decile", "hotspot_local_moran_imd_score",
                "outcome_local_moran_imd_score", "q_gi_star_imd_score",
                "robust_gi_star_imd_score", "clusters.name"):
        assert key in props, key
    assert not any(k.startswith(("wimd2019.", "simd2020.")) for k in props)
    worse, _better = _within("E06000009", "gi_star:n_domains_worst_decile")
    outcomes = [f["properties"]["outcome_gi_star_n_domains_worst_decile"]
                for f in doc["features"]]
    assert outcomes.count("worse cluster") == worse
    assert all(isinstance(f["properties"]["bin_gi_star_n_domains_worst_decile"], int)
               for f in doc["features"])
    assert len(csv.strip().splitlines()) == n + 1
    params = _params()
    assert "## Hotspots" in readme and "Benjamini-Hochberg" in readme
    assert (f"{params['permutations']:,} conditional permutations (seed {params['seed']})"
            in " ".join(readme.split()))
    assert "Contains OS data © Crown copyright and database right 2024." in readme
    assert "## Columns of this pack" in readme and "`iod2025.imd_score`: " in readme
    assert "English Indices of Deprivation 2025 (iod2025)" in readme
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
    at = _run(page="compare", councils="E07000089,E06000009",  # Hart and Blackpool
              lsoa="iod2025.imd_score")
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
def test_a_click_on_a_council_the_indicator_does_not_cover_says_so(store):
    at = _run(page="explore", indicator="neet2025.participation_percent")
    at.session_state["explore_missed"] = GLASGOW  # what a click on Glasgow leaves
    at.run()
    assert not at.exception
    text = _text(at)
    assert "Glasgow City is not covered by this indicator (England only)" in text
    assert "click inside a council" not in text
    at.session_state["explore_missed"] = ""  # the sea
    at.run()
    assert "No council of this map under that point" in _text(at)


@pytest.mark.real
def test_a_link_to_an_unknown_or_unavailable_indicator_says_so(store):
    at = _run(page="explore", indicator="nonsense")
    assert not at.exception
    (warning,) = [w.value for w in at.warning if "nonsense" in w.value]
    assert "not an indicator of councils" in warning and "instead" in warning
    assert at.query_params["indicator"] == "ukimd_la.uk_imd_score"
    at.run()  # the link's notice once, not on every run after
    assert not [w for w in at.warning if "nonsense" in w.value]
    at = _run(page="compare", councils="E07000089,E07000092,N09000003",
              indicator="neet2025.participation_percent")
    assert not at.exception
    (warning,) = [w.value for w in at.warning if "neet2025" in w.value]
    assert "upper-tier councils only" in warning and "Compare" in warning
    assert at.query_params["indicator"] == "ukimd_la.uk_imd_score"


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
    nations = at.dataframe[0].value  # what each nation has, from the registry
    from geo.data.nations import nation_coverage

    coverage = nation_coverage()
    assert list(nations["nation"]) == list(coverage["nation"])
    assert list(nations["vintage"]) == list(coverage["vintage"])
    assert list(nations["licence"]) == list(coverage["licence"])
    assert nations.iloc[-1]["hotspots and named clusters"].startswith("none")  # NI
    assert "mySociety" in text and "not comparable across England, Wales" in text
    datasets = at.dataframe[1].value
    assert "iod2025" in set(datasets["dataset"])
    assert "The full methodology note" in at.expander[0].label
