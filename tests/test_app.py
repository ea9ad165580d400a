"""The Streamlit app through streamlit.testing (fast, no browser): every page and its error paths."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")
TIMEOUT = 120


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


def _text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [e.value for e in at.info] + [e.value for e in at.error] + [e.value for e in at.warning]
    parts += [e.value for e in at.success]
    return "\n".join(parts)


def test_missing_store_says_how_to_build_it(tmp_path, monkeypatch):
    monkeypatch.setenv("OPPMAP_CACHE", str(tmp_path / "no-store"))
    at = _run(page="explore")
    assert len(at.error) == 1
    assert "The data store is not ready" in at.error[0].value
    assert "make store" in at.error[0].value
    assert _maps(at) == []


@pytest.mark.real
def test_explore_national_council_map(store):
    at = _run()
    assert at.query_params["page"] == "explore"
    assert at.query_params["indicator"] == "summary.imd_average_score"
    text = _text(at)
    assert ("population-weighted) across 296 councils: worst Blackpool (43.3 score), best Hart "
            "(5.9 score), median 19.0 score.") in text
    assert "Office for National Statistics" in text  # attribution under the map
    (m,) = _maps(at)
    assert m["js_links"] == ["/app/static/vendor/leaflet-1.9.4/leaflet.js"]
    assert m["css_links"] == ["/app/static/vendor/leaflet-1.9.4/leaflet.css"]
    assert m["returned_objects"] == ["last_active_drawing"]
    assert len(el_json := json.dumps(m)) < 600_000, len(el_json)
    assert m["script"].count('"type":"Feature"') == 296  # England only: the IoD's coverage
    assert len(at.expander) == 1 and "Data table" in at.expander[0].label


@pytest.mark.real
def test_explore_change_indicator_updates_map_and_url(store):
    at = _run()
    at.selectbox(key="explore_indicator").set_value("neet2025.neet_percent").run()
    assert not at.exception
    assert at.query_params["indicator"] == "neet2025.neet_percent"
    assert "across 151 councils: worst Blackpool (7.60% of cohort)" in _text(at)
    (m,) = _maps(at)
    assert m["script"].count('"type":"Feature"') == 153  # upper-tier councils of England


@pytest.mark.real
def test_explore_shared_link_opens_council_with_hotspots(store):
    at = _run(page="explore", council="E08000025", scheme="deciles")
    text = _text(at)
    assert at.selectbox(key="explore_council").value == "E08000025"
    assert at.selectbox(key="explore_scheme").value == "deciles"
    assert "score across 659 LSOAs in Birmingham: worst Birmingham 121B (77.9 score)" in text
    # national Gi* with FDR, as stored by the build (seed 42)
    assert ("Benjamini-Hochberg false discovery rate at 5% over all 33,755 English LSOAs "
            "tested together") in text
    assert "In Birmingham: 222 LSOAs in hot spots, 13 in cold spots." in text
    national, council = _maps(at)
    assert council["script"].count("E01") >= 659
    assert council["returned_objects"] == []


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
    assert ("score across 33,755 LSOAs: worst Tendring 018A (94.2 score), best St Albans 003B "
            "(0.2 score), median 17.4 score.") in text
    (m,) = _maps(at)
    assert "data:image/png;base64," in m["script"]
    assert len(json.dumps(m)) < 1_000_000


@pytest.mark.real
def test_compare_places(store):
    at = _run(page="compare", councils="E08000025,E06000009,E07000235")
    assert at.query_params["councils"] == "E08000025,E06000009,E07000235"
    table = at.dataframe[0].value
    assert list(table.columns) == ["Indicator", "Birmingham", "Blackpool", "Malvern Hills",
                                   "England"]
    first = table.iloc[0]
    assert first["Blackpool"] == "43.3 score (rank 1 of 296)"
    assert first["Birmingham"] == "38.2 score (rank 5 of 296)"
    assert len(_maps(at)) == 1
    at.multiselect(key="compare_councils").set_value(["E08000025"]).run()
    assert "Choose at least two councils" in _text(at)
    assert _maps(at) == []


@pytest.mark.real
def test_my_council_typo_search_profile_and_pack(store):
    at = _run(page="council")
    at.text_input(key="council_query").set_value("Manchestr").run()
    assert not at.exception
    assert at.radio(key="council_pick").value == "E08000003"
    assert at.query_params["council"] == "E08000003"
    profile = at.dataframe[0].value
    imd = profile.iloc[0]
    assert imd["Rank (1 = worst)"] == "3 of 296"
    assert imd["Value"] == "39.0 score"
    assert len(at.get("download_button")) == 1
    assert len(_maps(at)) == 1


@pytest.mark.real
def test_my_council_no_match(store):
    at = _run(page="council")
    at.text_input(key="council_query").set_value("qqqq zzzz").run()
    assert "No council name is close to 'qqqq zzzz'" in _text(at)
    assert _maps(at) == []


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
    assert "Contains OS data © Crown copyright and database right 2024." in text
    assert "Benjamini-Hochberg" in text and "seed 42" in text
    assert "leaflet 1.9.4" in text
    datasets = at.dataframe[0].value
    assert "iod2025" in set(datasets["dataset"])
