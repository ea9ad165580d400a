"""What a person sees and clicks: the app in headless Chromium, without internet.

Starts ``streamlit run app.py`` on a free localhost port and drives it with Playwright. A blank
map here means an asset comes from a CDN; every request leaving localhost is recorded and must be
none. Screenshots go to ``tests/artifacts/`` (git-ignored).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
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
    from geo.assets import missing_assets

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
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
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


def test_national_map_draws_offline(page, server):
    page.goto(server)
    frame = _map_frame(page)
    assert frame.evaluate("() => L.version") == "1.9.4"
    painted = frame.evaluate(PAINTED)
    assert painted > 50_000, painted  # England's 296 councils fill a large part of the canvas
    legend = page.frame_locator(FRAME).first.locator(".oppmap-legend").inner_text()
    assert legend.startswith("Index of Multiple Deprivation 2025: average score")
    assert "26.9 to 43.3 score (59)" in legend
    page.get_by_text("across 296 councils: worst Blackpool").wait_for()
    _shot(page, "browser_national")


def test_change_indicator(page, server):
    page.goto(server)
    _map_frame(page)
    page.get_by_label("Indicator by council").click()
    page.keyboard.type("16-17 year olds not in education, employment or training (NEET), 2025")
    page.keyboard.press("Enter")
    page.get_by_text("across 151 councils: worst Blackpool").wait_for()
    _map_frame(page)
    legend = page.frame_locator(FRAME).first.locator(".oppmap-legend", has_text="NEET")
    legend.wait_for()
    assert "4.70% to 7.60% of cohort (28)" in legend.inner_text()
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


def test_shared_url_reproduces_the_view(page, server):
    page.goto(f"{server}/?page=explore&council=E08000025&scheme=deciles")
    page.get_by_text("Birmingham: neighbourhoods (LSOAs)").wait_for()
    page.get_by_text("In Birmingham: 222 LSOAs in hot spots").wait_for()
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
