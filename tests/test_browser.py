"""What a person sees and clicks: the app in headless Chromium, without internet.

Starts ``streamlit run app.py`` on a free localhost port and drives it with Playwright. A blank
map here means an asset comes from a CDN; every request leaving localhost is recorded and must be
none. Screenshots go to ``tests/artifacts/`` (git-ignored).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "tests" / "artifacts"
FRAME = "iframe[title='streamlit_folium.st_folium']"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.real,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}"),
]

#: Count the painted pixels of the map's canvas (Leaflet draws every polygon on one canvas).
PAINTED = """() => {
    const c = document.querySelector('canvas.leaflet-zoom-animated');
    if (!c || !c.width) return 0;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
    return n;
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(store):
    from geo.maps.assets import missing_assets

    if missing_assets():
        pytest.skip("map assets are not installed: run `python -m geo assets`")
    port = _free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / "streamlit.log"
    cmd = [sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"),
           "--server.port", str(port), "--server.address", "127.0.0.1",
           "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONPATH": str(REPO)})
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    else:
        proc.terminate()
        pytest.fail(f"streamlit did not start; see {log}")
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update"],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 3000}, accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    outside: list[str] = []
    pg.on("request", lambda r: outside.append(r.url)
          if not r.url.startswith((server, "data:", "blob:", "about:")) else None)
    yield pg
    context.close()
    assert outside == [], f"requests left the machine: {outside[:5]}"


def _map_frame(pg, index: int = 0):
    """Wait for the index-th map iframe to draw, and return its frame.

    Streamlit replaces the iframe when the map changes, so a frame that is detached while we
    wait is looked up again.
    """
    from playwright.sync_api import Error

    for _attempt in range(5):
        try:
            pg.locator(FRAME).nth(index).wait_for()
            frame = pg.locator(FRAME).nth(index).element_handle().content_frame()
            frame.wait_for_selector("canvas.leaflet-zoom-animated", state="attached")
            frame.wait_for_function(f"({PAINTED})() > 1000")
            return frame
        except Error as exc:
            if "detached" not in str(exc) and "destroyed" not in str(exc):
                raise
            pg.wait_for_timeout(500)
    raise AssertionError("the map iframe kept being replaced")


def _shot(pg, name: str) -> None:
    pg.wait_for_timeout(500)
    pg.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def _clusters():
    import geo

    return geo.load_indicators("clusters")


def _labels(run: str = "gi_star:n_domains_worst_decile"):
    """The stored labels of one national hotspot run, by LSOA code."""
    import geo

    method, indicator = run.split(":")
    long = geo.load_indicators("hotspots_lsoa21")
    return long.loc[(long["method"] == method) & (long["indicator"] == indicator), "label"]


def _top_class(table: str, column: str, unit: str) -> tuple[str, str, int]:
    """The top legend row of a quantile map of a stored council measure (label and count),
    and the worst council's name (higher is worse for the measures used here)."""
    import geo
    from geo.maps.classes import classify
    from geo.maps.text import legend_labels

    frame = geo.load_indicators(table)
    values = frame[column].dropna()
    classes = classify(values, scheme="quantiles")
    top = legend_labels(classes.attrs["bins"], unit, lower=classes.attrs["lower"])[-1]
    n_top = int((classes == classes.attrs["k"] - 1).sum())
    return f"{top} ({n_top})", str(frame.at[values.idxmax(), "name"]), len(values)


CLUSTER_PATHS = "() => document.querySelectorAll('.leaflet-oppmapClusters-pane path').length"


def test_national_map_draws_offline_with_named_clusters(page, server):
    page.goto(server)
    frame = _map_frame(page)
    assert frame.evaluate("() => L.version") == "1.9.4"
    painted = frame.evaluate(PAINTED)
    assert painted > 50_000, painted  # England's 296 councils fill a large part of the canvas
    legend = page.frame_locator(FRAME).first.locator(".oppmap-legend").inner_text()
    import geo

    assert legend.startswith(geo.catalogue().loc["summary_lad24.imd_average_score", "label"])
    top, worst, n = _top_class("summary_lad24", "imd_average_score", "score")
    assert top in legend
    page.get_by_text(f"across {n} councils: worst {worst}").wait_for()
    # every stored named cluster, outlined twice (white casing, purple line) in its SVG pane
    assert frame.evaluate(CLUSTER_PATHS) == 2 * len(_clusters())
    # hovering an outline names the cluster
    frame.locator(".leaflet-oppmapClusters-pane path.leaflet-interactive").first.dispatch_event(
        "mouseover", {"clientX": 10, "clientY": 10})
    tip = page.frame_locator(FRAME).first.locator(".leaflet-tooltip .oppmap-tip")
    tip.wait_for()
    assert tip.inner_text().startswith("Cluster")
    _shot(page, "browser_national")


def test_change_indicator(page, server):
    page.goto(server)
    _map_frame(page)
    page.get_by_label("Indicator by council").click()
    page.keyboard.type("16-17 year olds not in education, employment or training (NEET), 2025")
    page.keyboard.press("Enter")
    top, worst, n = _top_class("neet2025", "neet_percent", "% of cohort")
    page.get_by_text(f"across {n} councils: worst {worst}").wait_for()
    _map_frame(page)
    legend = page.frame_locator(FRAME).first.locator(".oppmap-legend", has_text="NEET")
    legend.wait_for()
    assert top in legend.inner_text()
    assert "indicator=neet2025.neet_percent" in page.url
    _shot(page, "browser_neet")


def test_click_a_council_shows_its_lsoas(page, server):
    page.goto(server)
    frame = _map_frame(page)
    box = page.locator(FRAME).first.bounding_box()
    # the middle of England's councils map is in the West Midlands
    frame.locator(".leaflet-container").click(
        position={"x": box["width"] * 0.5, "y": box["height"] * 0.6})
    page.get_by_text("neighbourhoods (LSOAs)").wait_for()
    assert "council=E" in page.url
    council_frame = _map_frame(page, 1)
    assert council_frame.evaluate(PAINTED) > 20_000
    page.locator(FRAME).nth(1).scroll_into_view_if_needed()
    _shot(page, "browser_council")


def test_click_on_the_national_image_reads_one_neighbourhood(page, server):
    import shapely
    from pyproj import Transformer

    import boundaries
    import geo

    page.goto(f"{server}/?page=explore&view=lsoas")
    page.get_by_text(f"across {len(geo.load_indicators('iod2025')):,} LSOAs").wait_for()
    frame = _map_frame(page)
    frame.wait_for_selector("img.leaflet-image-layer", state="attached")
    x, y = frame.evaluate(
        "() => { const p = window.map.latLngToContainerPoint([52.48, -1.89]); return [p.x, p.y]; }")
    # remember where Leaflet says the click is (what the app receives), in central Birmingham
    frame.evaluate("() => { window.map.once('click', e => { window.clicked = e.latlng; }); }")
    started = time.time()
    frame.locator(".leaflet-container").click(position={"x": x, "y": y})
    lat, lng = frame.evaluate("() => [window.clicked.lat, window.clicked.lng]")
    # the LSOA under that point, by a plain point-in-polygon test
    lsoa = boundaries.load("lsoa21")
    point = shapely.Point(Transformer.from_crs(4326, 27700, always_xy=True).transform(lng, lat))
    code = lsoa.index[lsoa.contains(point)][0]
    name, ward, council = lsoa.loc[code, ["name", "ward24_name", "lad24_name"]]
    page.get_by_text(f"Clicked neighbourhood: {name}").wait_for()
    waited = time.time() - started
    card = page.locator("[data-testid='stTable']").inner_text()
    assert f"{name} ({code})" in card and ward in card
    # the card shows the stored label and cluster of that neighbourhood
    assert _labels()[code] in card
    owner = [n for n, codes in zip(_clusters()["name"], _clusters()["lsoa_codes"], strict=True)
             if code in codes.split(";")]
    for name in owner:
        assert name in card
    page.get_by_text("Clicked neighbourhood").scroll_into_view_if_needed()
    _shot(page, "browser_lsoa_click")
    print(f"click to card: {waited:.1f} s")
    page.get_by_role("button", name=f"Show {council}'s neighbourhoods").click()
    page.get_by_text(f"{council}: neighbourhoods (LSOAs)").wait_for()
    assert f"council={lsoa.at[code, 'lad24_code']}" in page.url


def test_compare_two_places(page, server):
    page.goto(f"{server}/?page=compare&councils=E08000025,E06000009")
    page.get_by_role("heading", name="Indicators by life stage").wait_for()
    page.locator(".vega-embed").first.wait_for()  # the spine chart
    for index in range(3):  # the councils, then each one's neighbourhoods
        _map_frame(page, index)
    text = page.locator("[data-testid='stMain']").inner_text()
    from pages import _data as data

    for code, name in (("E08000025", "Birmingham"), ("E06000009", "Blackpool")):
        assert f"{name}: {len(data.profile(code))} indicators" in text
    assert page.locator("[data-testid='stDataFrame']").count() >= 1  # the table beside the chart
    labels = page.frame_locator(FRAME).nth(1).locator(".oppmap-label")
    labels.first.wait_for()
    largest = _clusters().sort_values("population", ascending=False)["name"].iloc[0]
    assert largest in labels.all_inner_texts()  # Birmingham holds England's largest cluster
    _shot(page, "browser_compare_two")


def test_download_council_pack(page, server, tmp_path):
    from geo.export._rfc7946 import rfc7946_problems

    page.goto(f"{server}/?page=council&council=E06000009")
    page.get_by_role("heading", name="Blackpool (E06000009)").wait_for()
    page.locator(".vega-embed").first.wait_for()
    button = page.get_by_role("button", name="Download the council pack (zip)")
    button.wait_for()
    with page.expect_download(timeout=120_000) as info:
        button.click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    assert path.name.endswith(".zip") and "Blackpool" in path.name
    with zipfile.ZipFile(path) as zf:
        doc = json.loads(zf.read("E06000009_lsoas.geojson"))
        assert {"E06000009_lsoas.csv", "E06000009_map.html", "README.txt"} <= set(zf.namelist())
    assert rfc7946_problems(doc) == []
    import boundaries

    lsoa = boundaries.load("lsoa21")
    assert len(doc["features"]) == int((lsoa["lad24_code"] == "E06000009").sum())
    assert "hotspot_gi_star_n_domains_worst_decile" in doc["features"][0]["properties"]
    _shot(page, "browser_council_pack")


def test_shared_url_reproduces_the_view(page, server):
    page.goto(f"{server}/?page=explore&council=E08000025&scheme=deciles")
    page.get_by_text("Birmingham: neighbourhoods (LSOAs)").wait_for()
    import boundaries

    lsoa = boundaries.load("lsoa21")
    birmingham = lsoa.index[lsoa["lad24_code"] == "E08000025"]
    hot = int(_labels().reindex(birmingham).fillna("").str.startswith("hot spot").sum())
    page.get_by_text(f"In Birmingham: {hot} LSOAs in hot spots").wait_for()
    _map_frame(page, 1)
    page.frame_locator(FRAME).nth(1).locator(".oppmap-legend", has_text="deciles").wait_for()
    page.locator(FRAME).nth(1).scroll_into_view_if_needed()
    _shot(page, "browser_shared_birmingham")
    page.goto(f"{server}/?page=compare&councils=E08000025,E06000009")
    page.get_by_role("heading", name="Compare places").wait_for()
    _map_frame(page)
    assert "councils=E08000025%2CE06000009" in page.url or "E06000009" in page.url
    _shot(page, "browser_compare")


def test_upload_good_then_bad_csv(page, server, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("code,score\nE08000025,12.5\nE08000003,8\nE06000009,20\nE07000235,3\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("name,value\nfoo,bar\n")
    page.goto(f"{server}/?page=upload")
    page.get_by_role("heading", name="Your data").wait_for()
    page.locator("input[type=file]").set_input_files(str(good))
    page.get_by_text("4 of 4 rows matched").wait_for()
    _map_frame(page)
    _shot(page, "browser_upload_good")
    page.locator("input[type=file]").set_input_files(str(bad))
    page.get_by_text("This file cannot be mapped").wait_for()
    page.wait_for_timeout(1000)
    assert page.locator(FRAME).count() == 0  # nothing mapped
    _shot(page, "browser_upload_bad")
