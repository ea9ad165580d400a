"""What a person sees and clicks: the app in headless Chromium, without internet.

Starts the app (``streamlit run app.py``) on a free localhost port and drives it with Playwright
at 1400 x 1000, the window of issue 11, as a council officer would: clicking a council inside a
named cluster, clicking a map whose bottom edge is below the window, clearing and re-adding
councils, tabbing past a map, moving between pages with a council chosen. A blank map here means
an asset comes from a CDN; every request leaving localhost is recorded and must be none (the
optional web basemap's tiles are stopped at the network and counted apart).

Robust on a loaded two-core machine: no fixed sleeps; every wait is for a condition (the page's
script run finished, a map painted, a text shown), with generous but finite timeouts.
Screenshots go to ``tests/artifacts/`` (git-ignored), and so does axe-core (fetched from the npm
registry once, its integrity checked).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from scripts.browser import ARGS, CHROMIUM, FITTED, IDLE, PAINTED, QUIET_SINCE, after, count_runs

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "tests" / "artifacts"
#: Every map is a streamlit-folium frame; its title is the map's own (set by geo.maps.frame).
FRAME = "iframe[src*='streamlit_folium']"
WINDOW = {"width": 1400, "height": 1000}
TIMEOUT_MS = 90_000
AXE = {"version": "4.14.1", "integrity": (
    "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==")}
TILES = "tile.openstreetmap.org"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.real,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}"),
]

#: Where Leaflet puts a point of the map, in the frame's pixels.
PIXEL = "([lat, lng]) => { const p = window.map.latLngToContainerPoint([lat, lng]); return [p.x, p.y]; }"
#: Painted pixels of the map's canvas under its legends (the legends' client rectangles).
UNDER_LEGENDS = """() => {
    const c = document.querySelector('canvas.leaflet-zoom-animated');
    const cr = c.getBoundingClientRect(), sx = c.width / cr.width, sy = c.height / cr.height;
    let n = 0;
    for (const l of document.querySelectorAll('.oppmap-legend')) {
        const r = l.getBoundingClientRect();
        const x0 = Math.max(0, Math.floor((r.left - cr.left) * sx));
        const y0 = Math.max(0, Math.floor((r.top - cr.top) * sy));
        const w = Math.min(c.width - x0, Math.ceil(r.width * sx));
        const h = Math.min(c.height - y0, Math.ceil(r.height * sy));
        if (w <= 0 || h <= 0) continue;
        const d = c.getContext('2d').getImageData(x0, y0, w, h).data;
        for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
    }
    return n;
}"""
#: The scroll offsets of the page and of every scrolled element in it.
SCROLLS = """() => [document.scrollingElement, ...document.querySelectorAll('*')]
    .filter(e => e && e.scrollTop > 0).map(e => e.scrollTop)"""


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
           "--server.headless", "true", "--server.fileWatcherType", "none",
           "--browser.gatherUsageStats", "false"]
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONPATH": str(REPO)})
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 240  # the server preloads the store before it answers
    while time.time() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail(f"streamlit did not start; see {log}")
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    assert "Traceback" not in log.read_text(), f"the server logged an error; see {log}"


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport=WINDOW, accept_downloads=True, reduced_motion="reduce")
    context.add_init_script(QUIET_SINCE)
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    count_runs(pg)
    outside: list[str] = []
    pg.on("request", lambda r: outside.append(r.url)
          if not r.url.startswith((server, "data:", "blob:", "about:")) else None)
    pg.outside = outside
    yield pg
    context.close()
    assert outside == [], f"requests left the machine: {outside[:5]}"


@pytest.fixture(scope="session")
def axe_script() -> str:
    """axe-core's source, fetched once with ``npm pack`` (integrity checked), git-ignored."""
    from geo.maps.assets import _npm_pack, _sri

    target = ARTIFACTS / "vendor" / f"axe-core-{AXE['version']}" / "axe.min.js"
    if not target.is_file():
        if shutil.which("npm") is None:
            pytest.skip("npm is not installed: cannot fetch axe-core")
        with tempfile.TemporaryDirectory() as tmp:
            try:
                tarball = _npm_pack("axe-core", AXE["version"], Path(tmp), "npm")
            except Exception as exc:  # noqa: BLE001 - offline: the audit cannot run here
                pytest.skip(f"axe-core could not be fetched: {exc}")
            assert _sri(tarball.read_bytes()) == AXE["integrity"], "axe-core integrity differs"
            with tarfile.open(tarball) as tar:
                source = tar.extractfile("package/axe.min.js").read()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source)
    return target.read_text(encoding="utf-8")


# ----------------------------------------------------------------------------- helpers


def _open(pg, url: str) -> None:
    """Open a page and wait until its script run has finished."""
    pg.goto(url)
    pg.wait_for_function(IDLE, polling=100)


def _after(pg, action) -> None:
    """Do ``action`` and wait until its run has finished and drawn (once more, with a warning,
    when it started none: :func:`scripts.browser.after`)."""
    after(pg, action, timeout_ms=TIMEOUT_MS)


def _choose(pg, label: str, option: str) -> None:
    """Choose ``option`` in the select box labelled ``label`` (typing it, as a person would)."""
    pg.get_by_label(label, exact=True).click()
    pg.keyboard.type(option)
    _after(pg, lambda: pg.keyboard.press("Enter"))


def _map_frame(pg, index: int = 0, *, painted: int = 1000):
    """Wait for the index-th map frame to be fitted (with its stylesheet) and painted, and
    return it (a frame replaced while we wait is looked up again)."""
    from playwright.sync_api import Error

    for _attempt in range(200):
        try:
            handle = pg.locator(FRAME).nth(index).element_handle()
            frame = handle.content_frame()
            if frame is None:  # the frame element is there, its document not yet
                pg.wait_for_function("() => true", polling=100)  # yield to the page a moment
                continue
            frame.wait_for_function(f"() => ({FITTED})() && ({PAINTED})() > {painted}",
                                    polling=200)
            return frame
        except Error as exc:
            if "detached" not in str(exc) and "destroyed" not in str(exc):
                raise
    raise AssertionError("the map frame kept being replaced")


def _shot(pg, name: str) -> None:
    pg.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def _clusters():
    """Every nation's stored named clusters, in one table."""
    import geo
    from geo.data.nations import national_indices

    return pd.concat([geo.load_indicators(spec["cluster_table"])
                      for spec in national_indices().values() if "cluster_table" in spec])


def _labels(run: str = "gi_star:n_domains_worst_decile"):
    """The stored labels of one national hotspot run, by LSOA code."""
    import geo

    method, indicator = run.split(":")
    long = geo.load_indicators("hotspots_lsoa21")
    return long.loc[(long["method"] == method) & (long["indicator"] == indicator), "label"]


def _top_class(table: str, column: str, unit: str) -> tuple[str, str, int]:
    """The top legend row of a quantile map of a stored council measure (label and count),
    and the worst council's name (higher is worse for the measures used here)."""
    import boundaries
    import geo
    from geo.maps.classes import classify
    from geo.maps.text import legend_labels

    frame = geo.load_indicators(table)
    values = frame[column].dropna()
    classes = classify(values, scheme="quantiles")
    top = legend_labels(classes.attrs["bins"], unit, lower=classes.attrs["lower"])[-1]
    n_top = int((classes == classes.attrs["k"] - 1).sum())
    names = frame["name"] if "name" in frame.columns else pd.concat(
        [boundaries.load(level)["name"] for level in ("lad24", "utla24")])
    names = names[~names.index.duplicated()]
    return f"{top} ({n_top})", str(names[values.idxmax()]), len(values)


def _within(code: str, run: str = "gi_star:n_domains_worst_decile") -> int:
    """Worse clusters of a council on its nation's stored national run, its small areas judged
    as one family (Benjamini-Hochberg by hand over their stored p-values)."""
    import numpy as np

    import boundaries
    import geo
    from geo.data.nations import index_of_nation, index_spec
    from geo.stats.runs import select_run

    spec = index_spec(index_of_nation(code))
    areas = boundaries.load(spec["map_level"])
    one = select_run(geo.load_indicators(spec["hotspot_table"]), run).reindex(
        areas.index[areas["lad24_code"] == code])
    p = one["p"].to_numpy(float)
    order = np.argsort(p)
    q = np.empty(len(p))
    q[order] = np.minimum.accumulate((p[order] * len(p) / np.arange(1, len(p) + 1))[::-1])[::-1]
    sign = 1 if one.attrs["polarity"] == "higher_worse" else -1
    return int(((q <= 0.05) & (sign * one["statistic"].to_numpy() > 0)).sum())


def _download_pack(page, folder: Path) -> Path:
    """Click the council pack's button as a person does; the saved zip's path."""
    button = page.get_by_role("button", name="Download the council pack (zip)")
    button.scroll_into_view_if_needed()
    with page.expect_download(timeout=TIMEOUT_MS) as info:
        button.click()
    path = folder / info.value.suggested_filename
    info.value.save_as(path)
    return path


def _council_name(code: str) -> str:
    import boundaries

    return str(boundaries.load("lad24", display="national").at[code, "name"])


def _point_on_a_cluster_outline(code: str) -> tuple[float, float]:
    """A point inside council ``code`` on a drawn named-cluster outline (the outlines that used
    to catch clicks): the middle of the longest stretch of outline inside the council."""
    import shapely

    import boundaries
    import boundaries.display as stored

    council = boundaries.load("lad24", display="national").geometry[code]
    lines = shapely.union_all(stored.load_group_outlines("clusters").boundary.to_numpy())
    inside = shapely.intersection(lines, council.buffer(-0.01))
    assert not inside.is_empty, f"no cluster outline crosses {code}"
    longest = max(getattr(inside, "geoms", [inside]), key=lambda g: g.length)
    point = longest.interpolate(0.5, normalized=True)
    return point.y, point.x


def _label(ident: str) -> str:
    import geo

    return str(geo.catalogue().loc[ident, "label"])


def _shown_value(pg, label: str) -> str:
    """The text a select box labelled ``label`` shows."""
    return pg.get_by_label(label, exact=True).input_value().strip()


def _legends(pg) -> list[str]:
    """The class legend (the one that says which end is worse) of every map frame."""
    return [pg.frame_locator(FRAME).nth(i).locator(".oppmap-legend", has_text="Darker = worse")
            .first.inner_text() for i in range(pg.locator(FRAME).count())]


# ----------------------------------------------------------------------------- national map


def test_national_map_draws_offline_with_named_clusters(page, server):
    import geo

    _open(page, server)
    frame = _map_frame(page)
    assert frame.evaluate("() => L.version") == "1.9.4"
    # the UK from Shetland to Scilly, 361 councils: about 23,300 px at zoom 4.75 in its 940 x 520
    # frame (legends beside, attribution and scale bar below); a quarter zoom less, 16,500
    assert frame.evaluate(PAINTED) > 20_000
    label = geo.catalogue().loc["ukimd_la.uk_imd_score", "label"]  # every council has it
    legend = page.frame_locator(FRAME).first.locator(".oppmap-legend").first.inner_text()
    assert legend.startswith(label) and "not covered" not in legend
    top, worst, n = _top_class("ukimd_la", "uk_imd_score", "score")
    assert legend.splitlines()[1] == top  # the worse end (higher scores) on top
    page.get_by_text(f"across {n} councils: worst {worst}").wait_for()
    page.get_by_text("not comparable across England, Wales, Scotland and Northern Ireland",
                     exact=False).first.wait_for()
    assert page.get_by_text("Contains data from mySociety (CC BY 4.0)", exact=False).count()
    # every nation's named clusters, outlined twice (white casing, purple line) in its SVG pane
    assert frame.evaluate(
        "() => document.querySelectorAll('.leaflet-oppmapClusters-pane path').length"
    ) == 2 * len(_clusters())
    # hovering an outline names the cluster
    frame.locator(".leaflet-oppmapClusters-pane path.leaflet-interactive").first.dispatch_event(
        "mouseover", {"clientX": 10, "clientY": 10})
    tip = page.frame_locator(FRAME).first.locator(".leaflet-tooltip .oppmap-tip")
    tip.wait_for()
    assert tip.inner_text().startswith("Cluster")
    _shot(page, "browser_national")
    # council names without internet, the heaviest first, none over another
    names = frame.locator(".oppmap-place-council").all_inner_texts()
    # the heaviest council of each nation by its people, drawn before all others (at this
    # zoom Belfast gave way to County Durham, Cardiff to Bristol)
    assert {"Birmingham", "Cardiff", "Glasgow City", "Belfast"} <= set(names)
    title = page.locator(FRAME).first.get_attribute("title")
    assert title.startswith(f"Map: {label}, by council")
    assert frame.evaluate(UNDER_LEGENDS) == 0  # the legend is beside England, not over it


def test_change_indicator(page, server):
    _open(page, server)
    _map_frame(page)
    _choose(page, "Indicator by council",
            "16-17 year olds not in education, employment or training (NEET), 2025")
    top, worst, n = _top_class("neet2025", "neet_percent", "% of cohort")
    page.get_by_text(f"across {n} councils: worst {worst}").wait_for()
    _map_frame(page)
    legend = page.frame_locator(FRAME).first.locator(".oppmap-legend", has_text="NEET")
    legend.wait_for()
    assert top in legend.inner_text()
    assert "indicator=neet2025.neet_percent" in page.url
    _shot(page, "browser_neet")


@pytest.mark.parametrize("code", ["E06000002", "E08000012"])  # Middlesbrough, Liverpool
def test_click_on_a_clustered_city_selects_it(page, server, code):
    name = _council_name(code)
    lat, lng = _point_on_a_cluster_outline(code)
    _open(page, server)
    frame = _map_frame(page)
    page.locator(FRAME).first.scroll_into_view_if_needed()
    x, y = frame.evaluate(PIXEL, [lat, lng])
    on_top = frame.evaluate("([x, y]) => { const e = document.elementFromPoint(x, y);"
                            " return e.tagName + ' ' + (e.closest('.leaflet-pane') || {}).className; }",
                            [x, y])
    assert on_top.startswith("path") and "oppmapClusters" in on_top  # an outline is on top
    _after(page, lambda: frame.locator(".leaflet-container").click(position={"x": x, "y": y}))
    page.get_by_text(f"{name}: neighbourhoods (LSOAs)").wait_for()
    assert f"council={code}" in page.url
    assert _shown_value(page, "Council (or click one on the map)") == f"{name} ({code})"
    council_frame = _map_frame(page, 1, painted=20_000)
    assert council_frame.locator(".oppmap-place-council").count() > 0
    page.locator(FRAME).nth(1).scroll_into_view_if_needed()
    _shot(page, f"browser_click_{code}")


def test_first_click_in_a_scrolled_page_lands_on_the_pointed_area(page, server):
    import shapely
    from pyproj import Transformer

    import boundaries

    _open(page, f"{server}/?page=explore&view=lsoas")
    frame = _map_frame(page)
    frame.wait_for_selector("img.leaflet-image-layer", state="attached")
    box = page.locator(FRAME).first.bounding_box()
    assert box["y"] + box["height"] > WINDOW["height"]  # the map's bottom is below the window
    target = (53.4794, -2.2453)  # Manchester city centre
    x, y = frame.evaluate(PIXEL, list(target))
    assert box["y"] + y < WINDOW["height"]  # the point itself is in view
    frame.evaluate("() => { window.map.once('click', e => { window.clicked = e.latlng; }); }")
    before = page.evaluate(SCROLLS)
    page.mouse.move(box["x"] + x, box["y"] + y)
    page.mouse.down()
    assert page.evaluate(SCROLLS) == before  # the press did not scroll the page
    page.mouse.up()
    frame.wait_for_function("() => window.clicked !== undefined")
    lat, lng = frame.evaluate("() => [window.clicked.lat, window.clicked.lng]")
    assert abs(lat - target[0]) < 0.02 and abs(lng - target[1]) < 0.03  # where it was pointed
    lsoa = boundaries.load("lsoa21")
    point = shapely.Point(Transformer.from_crs(4326, 27700, always_xy=True).transform(lng, lat))
    code = lsoa.index[lsoa.contains(point)][0]
    name, council = lsoa.loc[code, ["name", "lad24_name"]]
    page.get_by_text(f"Clicked neighbourhood: {name}").wait_for()
    card = page.locator("[data-testid='stTable']").inner_text()
    assert f"{name} ({code})" in card and council == "Manchester"
    assert _labels()[code] in card  # the stored label of that neighbourhood
    page.get_by_text("Clicked neighbourhood").scroll_into_view_if_needed()
    _shot(page, "browser_lsoa_click")
    _after(page, page.get_by_role("button", name=f"Show {council}'s neighbourhoods").click)
    page.get_by_text(f"{council}: neighbourhoods (LSOAs)").wait_for()
    assert f"council={lsoa.at[code, 'lad24_code']}" in page.url


def test_a_few_tab_presses_pass_the_map(page, server):
    _open(page, server)
    _map_frame(page)
    page.get_by_label("Hotspots").focus()
    presses, in_map = 0, 0
    while presses < 40:
        page.keyboard.press("Tab")
        presses += 1
        where = page.evaluate("() => document.activeElement.tagName")
        if where == "IFRAME":
            in_map += 1
        elif in_map:
            break
    assert 1 <= in_map <= 6, f"{in_map} tab stops inside the map"  # map, zoom +/-, layers
    label = page.frame_locator(FRAME).first.locator(".leaflet-container").get_attribute(
        "aria-label")
    assert label.startswith("Map: ") and "Arrow keys pan" in label


# ----------------------------------------------------------------------------- one state


def test_page_navigation_keeps_the_chosen_council(page, server):
    _open(page, f"{server}/?page=explore&council=E06000014")  # York
    page.get_by_text("York: neighbourhoods (LSOAs)").wait_for()
    nav = page.locator("[data-testid='stSidebar']")
    _after(page, lambda: nav.get_by_role("link", name="My council").click())
    page.get_by_role("heading", name="York (E06000014)").wait_for()
    assert "council=E06000014" in page.url
    assert page.get_by_label("Council name").input_value() == "York"
    _after(page, lambda: nav.get_by_role("link", name="Explore").click())
    page.get_by_text("York: neighbourhoods (LSOAs)").wait_for()
    assert _shown_value(page, "Council (or click one on the map)") == "York (E06000014)"
    assert "council=E06000014" in page.url
    _after(page, page.go_back)  # back to My council: still York, box and page alike
    page.get_by_role("heading", name="York (E06000014)").wait_for()
    assert page.get_by_label("Council name").input_value() == "York"


@pytest.mark.parametrize(("typed", "code"), [("Caerdydd", "W06000015"),  # Cardiff, in Welsh
                                           ("Western Isles", "S12000013"),
                                           ("Londonderry", "N09000005")])
def test_my_council_opens_the_council_a_person_types_by_another_name(page, server, typed, code):
    """People type the names they use: Welsh names, "Western Isles", "Londonderry" (from
    mySociety's register of councils and a few more). The council opens, and the box keeps
    what was typed."""
    name = _council_name(code)
    _open(page, f"{server}/?page=council")
    box = page.get_by_label("Council name")
    box.fill(typed)
    _after(page, lambda: box.press("Enter"))
    page.get_by_role("heading", name=f"{name} ({code})").wait_for()
    assert f"council={code}" in page.url
    assert box.input_value() == typed
    assert page.locator("[data-testid='stException']").count() == 0


def test_compare_clear_all_then_add_again_shows_what_is_drawn(page, server):
    import geo

    _open(page, f"{server}/?page=compare&councils=E08000025,E06000009")
    label = geo.catalogue().loc["compound.n_domains_worst_decile", "label"]
    _choose(page, "Indicator by neighbourhood (LSOA, data zone)", label)
    _choose(page, "Hotspots", "No hotspot layer")
    councils = page.locator("[data-testid='stMultiSelect']")
    _after(page, lambda: councils.get_by_role("button", name=re.compile("^clear", re.I)).click())
    page.get_by_text("Choose at least two councils to compare.").wait_for()
    for option in ("Blackpool (E06000009)", "Hart (E07000089)"):
        councils.get_by_role("combobox").click()
        page.keyboard.type(option.split(" (")[0])
        _after(page, page.get_by_role("option", name=option, exact=True).click)
        page.keyboard.press("Escape")
    assert "councils=E06000009%2CE07000089" in page.url
    _map_frame(page, 2)
    assert _shown_value(page, "Indicator by neighbourhood (LSOA, data zone)") == label
    assert _shown_value(page, "Hotspots") == "No hotspot layer"
    legends = _legends(page)[1:]  # each council's neighbourhoods
    assert len(legends) == 2
    for text in legends:
        assert text.startswith(label) and "Gi*" not in text
    _shot(page, "browser_compare_readd")


def test_compare_maps_share_one_scheme_with_legends_beside_the_areas(page, server):
    _open(page, f"{server}/?page=compare&councils=E07000089,E06000009"  # Hart, Blackpool
          "&lsoa=iod2025.imd_score")
    hart, blackpool = _map_frame(page, 1), _map_frame(page, 2)
    legends = _legends(page)[1:]
    assert all("of England's LSOAs" in t for t in legends)
    # one scheme: the same ranges, in the same order, the worse end on top
    ranges = [[line.split(" (")[0] for line in t.splitlines()[1:6]] for t in legends]
    assert ranges[0] == ranges[1]
    assert float(ranges[0][0].split(" to ")[0]) > float(ranges[0][-1].split(" to ")[0])
    for frame in (hart, blackpool):  # no legend over a drawn area
        assert frame.evaluate(UNDER_LEGENDS) == 0
    page.locator(FRAME).nth(1).scroll_into_view_if_needed()
    _shot(page, "browser_compare_scheme")

#: The legends of a map frame: [open, folded by the frame] for each.
FOLDS = """() => [...document.querySelectorAll('.oppmap-legend details')]
    .map(d => [d.open, d.hasAttribute('data-oppmap-folded')])"""
#: The share of a map frame that its canvas paints.
PAINTED_SHARE = f"""() => {{ const s = window.map.getSize(); return ({PAINTED})() / (s.x * s.y); }}"""
#: The controls that the scale bar overlaps (the attribution, a legend), by class.
UNDER_SCALE = """() => {
    const s = document.querySelector('.leaflet-control-scale').getBoundingClientRect();
    return [...document.querySelectorAll('.leaflet-control')].filter(c => {
        if (c.classList.contains('leaflet-control-scale')) return false;
        const r = c.getBoundingClientRect();
        return r.left < s.right && s.left < r.right && r.top < s.bottom && s.top < r.bottom;
    }).map(c => c.className);
}"""


def test_compare_maps_too_narrow_for_their_legends_fold_them(page, server):
    """Two small councils side by side in a 1100 px window: each map is about 310 px wide and
    its legends 256 px, so beside them the City of London was drawn in a corner 50 px wide.
    The legends fold to their titles, the council fills its map, a click opens a legend."""
    page.set_viewport_size({"width": 1100, "height": 800})
    _open(page, f"{server}/?page=compare&councils=E09000001,E06000053")  # City, Scilly
    for index in (1, 2):
        frame = _map_frame(page, index)
        frame.wait_for_function("() => document.querySelector('.oppmap-legend details')")
        assert frame.evaluate("() => Number.isFinite(window.map.getZoom())")
        assert frame.evaluate(FOLDS) == [[False, True], [False, True]]
        assert frame.evaluate(UNDER_LEGENDS) == 0
        # the attribution wraps on a map this narrow: the scale bar goes above it and the
        # folded legend (it was drawn under the attribution)
        assert frame.evaluate(UNDER_SCALE) == []
        # the City was a 50 x 40 px corner (1% of its map) beside open legends; Scilly's
        # islands fill less of theirs
        assert frame.evaluate(PAINTED_SHARE) > (0.1 if index == 1 else 0.03)
    page.locator(FRAME).nth(1).scroll_into_view_if_needed()
    _shot(page, "browser_compare_folded")
    city = page.frame_locator(FRAME).nth(1)
    city.locator(".oppmap-legend summary", has_text="Index of Multiple Deprivation").click()
    assert "Darker = worse" in city.locator(".oppmap-legend", has_text="Darker = worse").inner_text()
    # four councils in a wide window: room for the legends beside each, nothing folded
    page.set_viewport_size({"width": 1400, "height": 1000})
    _open(page, f"{server}/?page=compare&councils=E09000001,E07000089,E06000009,W06000001")
    for index in range(1, 5):
        frame = _map_frame(page, index)
        frame.wait_for_function("() => document.querySelector('.oppmap-legend details')")
        assert frame.evaluate("() => Number.isFinite(window.map.getZoom())")
        assert frame.evaluate(UNDER_LEGENDS) == 0
        assert frame.evaluate(UNDER_SCALE) == []


def test_a_map_whose_stylesheet_arrives_late_is_fitted_when_it_arrives(page, server):
    """streamlit-folium adds Leaflet's stylesheet to a map's page and runs the map's script
    without waiting for it; measured before it applied, the legends and corners lay in the
    page's flow and the City of London was drawn at zoom 10 in a corner (about 1 load in 8 on
    a busy machine). Here the stylesheet is held back until both maps have run their script."""
    held = []
    page.route("**/leaflet.css", lambda route: held.append(route))
    page.set_viewport_size({"width": 1100, "height": 800})
    _open(page, f"{server}/?page=compare&councils=E09000001,E06000053")  # City, Scilly
    frames = []
    for index in (1, 2):
        for _attempt in range(600):  # the frame and its script, not yet styled
            handle = page.locator(FRAME).nth(index).element_handle()
            frame = handle.content_frame() if handle else None
            if frame is not None and frame.evaluate(
                    "() => !!(window.map && document.querySelector('.oppmap-legend details'))"):
                break
            page.wait_for_timeout(100)
        else:
            raise AssertionError(f"map {index} never ran its script")
        frames.append(frame)
    assert held, "no request for Leaflet's stylesheet was seen"
    unstyled = "() => getComputedStyle(document.querySelector('.leaflet-top')).position"
    assert [frame.evaluate(unstyled) for frame in frames] == ["static", "static"]
    for route in held:
        route.continue_()
    page.unroute("**/leaflet.css")
    for index, frame in zip((1, 2), frames, strict=True):
        frame.wait_for_function(f"() => ({unstyled})() === 'absolute'")
        frame.wait_for_function(f"({PAINTED_SHARE})() > {0.1 if index == 1 else 0.03}",
                                polling=200)
        assert frame.evaluate(FOLDS) == [[False, True], [False, True]]
        assert frame.evaluate(UNDER_LEGENDS) == 0
        assert frame.evaluate(UNDER_SCALE) == []


# ----------------------------------------------------------------------------- four nations


@pytest.mark.parametrize("code", ["W06000015", "S12000049"])  # Cardiff, Glasgow City
def test_my_council_in_wales_and_scotland(page, server, code):
    import geo
    from geo.data.nations import index_of_nation, index_spec

    spec = index_spec(index_of_nation(code))
    name = _council_name(code)
    words = "data zones" if spec["map_level"] == "dz11" else "LSOAs"
    _open(page, f"{server}/?page=council&council={code}")
    page.get_by_role("heading", name=f"{name} ({code})").wait_for()
    page.get_by_role("heading", name=f"{spec['title']}: summary ranks").wait_for()
    frame = _map_frame(page, painted=20_000)  # its own small areas, painted
    legends = page.frame_locator(FRAME).first.locator(".oppmap-legend")
    decile = geo.catalogue().loc[f"{spec['dataset']}.{spec['overall']}_decile", "label"]
    assert legends.filter(has_text="Darker = worse").inner_text().startswith(decile)
    outcomes = legends.filter(has_text="worse cluster").inner_text()
    assert "worse cluster" in outcomes and outcomes.index("worse cluster") < outcomes.index(
        "not significant")  # worse first
    page.get_by_text(f"In {name}: {_within(code)} {words} in worse clusters").wait_for()
    assert frame.locator(".leaflet-oppmapClusters-pane path").count() > 0  # named clusters
    assert page.get_by_role("button", name="Download the council pack (zip)").count() == 1
    assert page.locator("[data-testid='stException']").count() == 0
    page.locator(FRAME).first.scroll_into_view_if_needed()
    _shot(page, f"browser_council_{code}")


def test_my_council_in_northern_ireland_is_council_level(page, server, tmp_path):
    _open(page, f"{server}/?page=council&council=N09000003")  # Belfast
    page.get_by_role("heading", name="Belfast (N09000003)").wait_for()
    page.get_by_text("the mirror has no small-area boundaries for Northern Ireland",
                     exact=False).first.wait_for()
    assert page.locator(FRAME).count() == 0  # no map rather than a blank one
    assert page.get_by_text("0 hot spots", exact=False).count() == 0
    path = _download_pack(page, tmp_path)
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["N09000003_council.csv", "N09000003_council.geojson",
                                         "README.txt"]
        assert "no small areas for Northern Ireland" in " ".join(
            zf.read("README.txt").decode().split())
    _shot(page, "browser_council_belfast")


def test_compare_councils_of_two_nations(page, server):
    _open(page, f"{server}/?page=compare&councils=E08000025,W06000015")  # Birmingham, Cardiff
    page.get_by_text("These councils are in England and Wales", exact=False).wait_for()
    assert _shown_value(page, "Indicator") == _label("ukimd_la.uk_imd_score")
    _map_frame(page, 2)
    legends = _legends(page)
    assert len(legends) == 3
    assert "not covered" not in legends[0]  # the composite covers both nations
    assert "of England's LSOAs" in legends[1] and "of Wales's LSOAs" in legends[2]
    page.get_by_text("In Cardiff:", exact=False).first.wait_for()
    page.locator(FRAME).nth(2).scroll_into_view_if_needed()
    _shot(page, "browser_compare_nations")


def test_explore_with_a_nations_own_index_greys_the_others(page, server):
    import boundaries

    _open(page, server)
    _map_frame(page)
    label = _label("summary_wimd2019_lad24.wimd_average_score")
    _choose(page, "Indicator by council", label)
    assert "indicator=summary_wimd2019_lad24.wimd_average_score" in page.url
    frame = _map_frame(page)
    legend = page.frame_locator(FRAME).first.locator(".oppmap-legend",
                                                     has_text="Darker = worse")
    legend.wait_for()
    lad = boundaries.load("lad24")
    n_other = int((lad["country"] != "W").sum())
    assert f"not covered by this index ({n_other})" in legend.inner_text()
    # the other nations drawn pale grey, not blank: Wales alone paints about 2,300 px at the
    # UK's zoom (20,800 km² at 9 km² a pixel at zoom 5; 4.75 when the registry's attribution
    # wraps and the scale bar sits above it), the UK 23,000+
    assert frame.evaluate(PAINTED) > 15_000
    page.get_by_text("covers Wales only", exact=False).first.wait_for()
    _shot(page, "browser_explore_wimd")


# ----------------------------------------------------------------------------- text, names


def test_maps_and_charts_have_names_and_text_alternatives(page, server):
    _open(page, f"{server}/?page=council&council=E06000009")
    page.locator(".vega-embed").first.wait_for()
    _map_frame(page)
    titles = page.locator(FRAME).evaluate_all("els => els.map(e => e.title)")
    assert titles and all(t.startswith("Map: ") and "data table below" in t for t in titles)
    chart = page.locator(".vega-embed [aria-label], .vega-embed[aria-label]").first
    assert "Spine chart of Blackpool" in chart.get_attribute("aria-label")
    assert page.get_by_text("Data table: the profile (the spine chart's values)").count() == 1


def test_no_page_shows_a_traceback(page, server):
    for url in ("", "/?page=compare", "/?page=council&council=E06000009", "/?page=upload",
                "/?page=methods", "/?page=explore&indicator=nope&council=E99&view=zz",
                "/?page=council&council=S12000036"):
        _open(page, server + url)
        assert page.locator("[data-testid='stException']").count() == 0, url
        assert "Traceback" not in page.locator("body").inner_text(), url


#: axe-core's serious and critical violations, and two moderate ones a screen-reader or zooming
#: user meets on every page: headings that skip a level, and a map frame that forbids zooming.
AUDIT = """async () => {
    const r = await axe.run(document, {resultTypes: ['violations']});
    return r.violations.filter(v => ['serious', 'critical'].includes(v.impact)
                                    || ['heading-order', 'meta-viewport'].includes(v.id))
        .map(v => v.id + ': ' + v.nodes.slice(0, 2).map(n => n.target.join(' ')).join(', '));
}"""


def test_pages_and_maps_pass_an_accessibility_audit(page, server, axe_script):
    """axe-core on every page and in every map frame: no serious or critical violation, no
    skipped heading level, no map frame that forbids zooming."""
    found = {}
    for url in ("", "/?page=explore&view=lsoas&council=E08000003",
                "/?page=compare&councils=E08000025,E06000009",
                "/?page=council&council=E06000009", "/?page=methods"):
        _open(page, server + url)
        documents = [("page", page)]
        if "methods" not in url:
            _map_frame(page)
            documents += [(f"map {i}", page.locator(FRAME).nth(i).element_handle().content_frame())
                          for i in range(page.locator(FRAME).count())]
        for name, doc in documents:
            doc.add_script_tag(content=axe_script)
            if problems := doc.evaluate(AUDIT):
                found[f"{url or '/'} {name}"] = problems
    assert found == {}, json.dumps(found, indent=1)


def test_web_basemap_is_optional_and_offline_degrades_quietly(page, server):
    page.route(f"**/{TILES}/**", lambda route: route.abort("internetdisconnected"))
    _open(page, server)
    _after(page, lambda: page.get_by_text("Web basemap (needs internet)").click())
    assert "basemap=web" in page.url
    frame = _map_frame(page)
    frame.wait_for_selector("img.leaflet-tile", state="attached")  # tiles asked for, none came
    assert page.locator("[data-testid='stException'], [data-testid='stAlert']").count() == 0
    assert frame.evaluate(PAINTED) > 20_000  # the UK, drawn without tiles
    frame.wait_for_selector(".oppmap-basemap-offline")  # said once, in the map
    assert frame.locator(".oppmap-basemap-offline").count() == 1
    assert "could not load (offline?)" in frame.locator(".oppmap-basemap-offline").inner_text()
    tiles = [u for u in page.outside if TILES in u]
    assert tiles
    page.outside[:] = [u for u in page.outside if TILES not in u]


# ----------------------------------------------------------------------------- downloads


def test_download_council_pack(page, server, tmp_path):
    from geo.export._rfc7946 import rfc7946_problems

    _open(page, f"{server}/?page=council&council=E06000009")
    page.get_by_role("heading", name="Blackpool (E06000009)").wait_for()
    _map_frame(page)
    path = _download_pack(page, tmp_path)
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
    _open(page, f"{server}/?page=explore&council=E08000025&scheme=deciles"
          "&lsoa=iod2025.imd_score")
    page.get_by_text("Birmingham: neighbourhoods (LSOAs)").wait_for()
    worse = _within("E08000025")
    page.get_by_text(f"In Birmingham: {worse} LSOAs in worse clusters").wait_for()
    _map_frame(page, 1)
    page.frame_locator(FRAME).nth(1).locator(".oppmap-legend", has_text="deciles").wait_for()
    page.locator(FRAME).nth(1).scroll_into_view_if_needed()
    _shot(page, "browser_shared_birmingham")


def test_upload_good_then_bad_csv(page, server, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("code,score\nE08000025,12.5\nE08000003,8\nE06000009,20\nE07000235,3\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("name,value\nfoo,bar\n")
    _open(page, f"{server}/?page=upload")
    page.locator("input[type=file]").set_input_files(str(good))
    page.get_by_text("4 of 4 rows matched").wait_for()
    _map_frame(page)
    _shot(page, "browser_upload_good")
    page.locator("input[type=file]").set_input_files(str(bad))
    page.get_by_text("This file cannot be mapped").wait_for()
    page.wait_for_function(IDLE, polling=100)
    assert page.locator(FRAME).count() == 0  # nothing mapped
    _shot(page, "browser_upload_bad")
