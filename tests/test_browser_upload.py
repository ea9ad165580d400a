"""The Your data page in headless Chromium, as an analyst uses it: a real CSV uploaded, the
question of which end is worse answered, hotspots and named clusters drawn, the zip downloaded
and read.

The server, browser and page fixtures and the waiting helpers are those of
``tests/test_browser.py`` (a server of this module's own, every request kept on the machine).
The CSVs are built in ``tmp_path`` from the data mirror (a column of the IoD 2025's underlying
indicators for Leeds and for all of England, SIMD 2020 ranks of Glasgow's data zones); what the
page should show is computed here by the library (:func:`geo.analysis.upload.analyse_upload` on
the file read by :func:`geo.upload.reader.read_upload`, :func:`analysis_files` for the zip).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import test_browser as tb
from test_browser import CHROMIUM, FRAME, IDLE, TIMEOUT_MS, _after, _map_frame, _open, _shot

# the fixtures of tests/test_browser.py: a server and a browser of this module's own
server, browser, page, axe_script = tb.server, tb.browser, tb.page, tb.axe_script

pytestmark = [
    pytest.mark.browser,
    pytest.mark.real,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}"),
]

HE = "entry_to_higher_education_indicator"
LABEL = "Entry to HE <b>gap</b>"  # HTML in a name: shown as text everywhere
CLUSTER_PATHS = "() => document.querySelectorAll('.leaflet-oppmapClusters-pane path').length"


def _indicator(mirror: Path, codes: pd.Index | None = None) -> pd.DataFrame:
    frame = pd.read_csv(mirror / "deprivation" / "imd2025_england_lsoa21_indicators.csv",
                        usecols=["lsoa21_code", HE]).rename(columns={HE: LABEL})
    return frame if codes is None else frame[frame["lsoa21_code"].isin(codes)]


def _expected(path: Path, column: str, polarity: str):  # noqa: ANN202 - result, analysis
    """What the page should find: the file read, carried and analysed by the library."""
    from geo.analysis.upload import analyse_upload, upload_for_analysis
    from geo.upload.reader import read_upload, upload_known_codes

    result = upload_for_analysis(read_upload(path.read_bytes(), known_codes=upload_known_codes(),
                                             filename=path.name))
    analysis = analyse_upload(result.table[column], level=result.level, polarity=polarity,
                              label=result.labels[column], carry=result.carry)
    return result, analysis


def _upload_and_answer(pg, server, path: Path, answer: str) -> None:
    """Upload ``path``; check that nothing is tested before the answer; give it."""
    _open(pg, f"{server}/?page=upload")
    pg.locator("input[type=file]").set_input_files(str(path))
    pg.get_by_text("rows matched").wait_for()
    pg.wait_for_function(IDLE, polling=100)
    pg.get_by_text("is worse? Choose it above").wait_for()
    assert pg.get_by_role("heading", name="Hotspots and named clusters").count() == 0
    assert not pg.get_by_role("radio", name=answer).is_checked()  # no answer is assumed
    _after(pg, lambda: pg.get_by_text(answer, exact=True).click())
    pg.get_by_role("heading", name="Download everything").wait_for()
    assert pg.get_by_role("radio", name=answer).is_checked()
    assert "polarity=" in pg.url


def _found(analysis, unit: str) -> str:  # noqa: ANN001 - an UploadAnalysis
    counts = analysis.areas["outcome"].value_counts()
    tested = len(analysis.areas) - int(counts.get("not tested", 0))
    return f"of the {tested:,} {unit} tested, {int(counts['worse cluster']):,} are in worse"


def test_council_upload_hotspots_clusters_and_the_zip(page, server, mirror, tmp_path):
    import boundaries
    from geo.export.analysis_zip import analysis_files

    lsoa = boundaries.load("lsoa21")
    path = tmp_path / "leeds.csv"
    _indicator(mirror, lsoa.index[lsoa["lad24_code"] == "E08000035"]).to_csv(path, index=False)
    result, analysis = _expected(path, LABEL, "higher_worse")
    _upload_and_answer(page, server, path, "Higher is worse")
    page.get_by_text(_found(analysis, "LSOAs")).wait_for()
    page.get_by_text(f"{len(analysis.clusters)} named clusters of touching LSOAs").wait_for()
    frame = _map_frame(page, 0)
    assert frame.evaluate(CLUSTER_PATHS) == 2 * len(analysis.clusters)  # casing and line
    legend = page.frame_locator(FRAME).first.locator(".oppmap-legend", has_text="Hotspot test")
    assert f"worse cluster ({int((analysis.areas['outcome'] == 'worse cluster').sum()):,})" in (
        legend.inner_text())
    _map_frame(page, 1)  # the bivariate map
    page.locator(FRAME).first.scroll_into_view_if_needed()
    _shot(page, "browser_upload_council")
    button = page.get_by_role("button", name="Download the analysis (zip)")
    button.scroll_into_view_if_needed()
    with page.expect_download(timeout=TIMEOUT_MS) as info:
        button.click()
    data = Path(info.value.path()).read_bytes()
    expected = analysis_files(analysis, source=result.report.filename, messages=result.messages)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.namelist() == list(expected)
        readme = zf.read("README.txt").decode("utf-8")
        assert readme == expected["README.txt"].decode("utf-8")
        assert zf.read("hotspots.csv") == expected["hotspots.csv"]
    assert f"oppmap analysis of your data: {LABEL}" in readme  # the name as written, as text
    assert "Which end is worse (your answer): higher values are worse" in readme


def test_national_upload_is_mapped_and_tested(page, server, mirror, tmp_path):
    path = tmp_path / "england.csv"
    _indicator(mirror).to_csv(path, index=False)
    _result, analysis = _expected(path, LABEL, "higher_worse")
    _upload_and_answer(page, server, path, "Higher is worse")
    page.get_by_text(_found(analysis, "LSOAs")).wait_for()
    page.get_by_text(f"{len(analysis.clusters)} named clusters of touching LSOAs").wait_for()
    handle = page.locator(FRAME).first.element_handle()
    frame = handle.content_frame()
    frame.wait_for_function("() => document.querySelectorAll('img.leaflet-image-layer')"
                            ".length === 2")  # the values and the hotspot test, as images
    frame.wait_for_function(f"({CLUSTER_PATHS})() === {2 * len(analysis.clusters)}")
    page.locator(".vega-embed").first.wait_for()  # the scatter against the IMD
    page.locator(FRAME).first.scroll_into_view_if_needed()
    _shot(page, "browser_upload_england")
    assert page.locator("[data-testid='stException']").count() == 0


def test_data_zone_upload_is_summarised_by_council(page, server, mirror, tmp_path):
    import boundaries

    zones = boundaries.load("dz11")
    glasgow = zones.index[zones["lad24_code"] == "S12000049"]
    simd = pd.read_csv(mirror / "deprivation" / "imd2020_scotland_dz11.csv",
                       usecols=["dz11_code", "Education_rank"])
    path = tmp_path / "glasgow.csv"
    simd[simd["dz11_code"].isin(glasgow)].to_csv(path, index=False)
    _result, analysis = _expected(path, "Education_rank", "higher_better")
    _upload_and_answer(page, server, path, "Higher is better")
    page.get_by_text(_found(analysis, "data zones")).wait_for()
    page.get_by_test_id("stAlertContentInfo").get_by_text(
        "Data zones are summarised by council only").wait_for()
    assert page.get_by_role("tab").all_inner_texts() == ["Councils (2024)"]
    _map_frame(page, 0)
    page.locator(FRAME).first.scroll_into_view_if_needed()
    _shot(page, "browser_upload_data_zones")


def test_the_file_and_the_answer_hold_across_pages(page, server, mirror, tmp_path):
    import boundaries

    lsoa = boundaries.load("lsoa21")
    path = tmp_path / "york.csv"
    _indicator(mirror, lsoa.index[lsoa["lad24_code"] == "E06000014"]).to_csv(path, index=False)
    _upload_and_answer(page, server, path, "Higher is better")
    nav = page.locator("[data-testid='stSidebar']")
    _after(page, lambda: nav.get_by_role("link", name="Explore").click())
    page.get_by_role("heading", name="Where is opportunity missing?").wait_for()
    _after(page, lambda: nav.get_by_role("link", name="Your data").click())
    page.get_by_text("Showing york.csv, uploaded earlier in this session").wait_for()
    page.get_by_role("heading", name="Hotspots and named clusters").wait_for()
    assert page.get_by_role("radio", name="Higher is better").is_checked()
    assert "polarity=higher_better" in page.url
    _after(page, page.get_by_role("button", name="Forget this file").click)
    page.get_by_text("No file yet").wait_for()
    assert page.locator(FRAME).count() == 0


def test_results_pass_an_accessibility_audit(page, server, mirror, tmp_path, axe_script):
    """axe-core on the page of results and in each of its maps: no serious or critical issue."""
    import boundaries

    lsoa = boundaries.load("lsoa21")
    path = tmp_path / "york.csv"
    _indicator(mirror, lsoa.index[lsoa["lad24_code"] == "E06000014"]).to_csv(path, index=False)
    _upload_and_answer(page, server, path, "Higher is worse")
    _map_frame(page, 0)
    documents = [("page", page)] + [
        (f"map {i}", page.locator(FRAME).nth(i).element_handle().content_frame())
        for i in range(page.locator(FRAME).count())]
    found = {}
    for name, doc in documents:
        doc.add_script_tag(content=axe_script)
        if problems := doc.evaluate(tb.AUDIT):
            found[name] = problems
    assert found == {}
