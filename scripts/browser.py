"""The headless Chromium that the browser tests (``tests/test_browser*.py``) and the benches
(``bench/bench_app.py``, ``bench/bench_browser.py``, ``bench/bench_upload_page.py``) drive: one
path, one set of flags, one paint probe and one way to wait for the app's runs
(:func:`count_runs`, :func:`after`), so that a test and a bench always measure the same browser.

Chromium comes from Debian (``scripts/install_browser.sh``); Playwright only drives it.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable

#: Debian's Chromium (``apt-get install chromium``).
CHROMIUM = "/usr/bin/chromium"
#: Flags for a shared machine without a display or internet: no sandbox (containers), no GPU,
#: no background fetches or component updates (they would reach for the internet).
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update"]
#: The painted pixels of a map's canvas (Leaflet draws every polygon on one canvas), as a
#: JavaScript function for ``frame.evaluate`` / ``frame.wait_for_function``.
PAINTED = """() => {
    const c = document.querySelector('canvas.leaflet-zoom-animated');
    if (!c || !c.width) return 0;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
    return n;
}"""

#: The map has been fitted with Leaflet's stylesheet applied (set by
#: :mod:`geo.maps.frame` two animation frames after the fit, so the view is drawn): a map
#: measured before is drawn where its first, unstyled fit put it.
FITTED = "() => document.querySelector('.leaflet-container[data-oppmap-fitted]') !== null"

#: When the page's document last changed (any node, attribute or text): an init script for every
#: page of a browser context (``context.add_init_script``), read by :func:`settled`.
QUIET_SINCE = """window.__changed = performance.now();
new MutationObserver(() => { window.__changed = performance.now(); })
    .observe(document, {subtree: true, childList: true, attributes: true, characterData: true});"""
#: The page has not changed for 300 ms.
QUIET = "() => performance.now() - window.__changed > 300"
#: The Streamlit app shows no run in progress.
IDLE = """() => { const a = document.querySelector('[data-testid="stApp"]');
    return !!a && a.getAttribute('data-test-script-state') === 'notRunning'; }"""


def count_runs(pg) -> None:  # noqa: ANN001 - a Playwright page
    """Count the script runs the server finishes for the page ``pg`` in ``pg.runs``.

    Each run ends with a ``script_finished`` message on the app's websocket. The page's own
    ``data-test-script-state`` is no counter: a fast run (a button that clears a file) can start
    and finish between two renders of the page, which then never shows "running".
    """
    from google.protobuf.message import DecodeError
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    pg.runs = 0

    def frame(payload) -> None:  # noqa: ANN001 - bytes, or str for a text frame
        if isinstance(payload, str):
            return
        try:
            kind = ForwardMsg.FromString(payload).WhichOneof("type")
        except DecodeError:
            return
        if kind == "script_finished":
            pg.runs += 1

    pg.on("websocket", lambda ws: ws.on("framereceived", frame))


def run_after(pg, done: int, *, timeout_ms: int) -> bool:  # noqa: ANN001
    """Wait (``timeout_ms`` at most) until a run after the ``done``-th has finished."""
    for _ in range(max(1, timeout_ms // 50)):
        if pg.runs > done:
            return True
        pg.wait_for_timeout(50)  # lets Playwright deliver the websocket's frames
    return pg.runs > done


def settled(pg, *, quiet: bool = True) -> None:  # noqa: ANN001
    """Wait until the app is idle and (``quiet``, needs :data:`QUIET_SINCE`) has drawn what its
    last run sent: its document unchanged for 300 ms."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    pg.wait_for_function(IDLE, polling=100)
    if quiet:
        # something that keeps changing (an animation) is no reason to wait longer: the run is over
        with contextlib.suppress(PlaywrightTimeout):
            pg.wait_for_function(QUIET, polling=100, timeout=10_000)
        pg.wait_for_function(IDLE, polling=100)


def after(pg, action: Callable[[], object], *, timeout_ms: int, quiet: bool = True,  # noqa: ANN001
          retry: bool = True) -> None:
    """Do ``action`` (a click, a key) and wait until the run it starts has finished and drawn
    (the page needs :func:`count_runs`).

    A click that lands while a run redraws its element (a map frame reporting its first view
    starts one) can hit the element being replaced and do nothing; as a person would, with
    ``retry`` the action is done once more (with a warning) when no run has finished after 20 s
    and the page is idle. A bench, which times the action, passes ``retry=False, quiet=False``.
    """
    done = pg.runs
    action()
    if not run_after(pg, done, timeout_ms=20_000 if retry else timeout_ms):
        pg.wait_for_function(IDLE, polling=100)
        if retry and pg.runs == done:
            warnings.warn("no run finished 20 s after an action on an idle page: doing it again",
                          stacklevel=2)
            action()
        if not run_after(pg, done, timeout_ms=timeout_ms):
            msg = "the action started no run"
            raise AssertionError(msg)
    settled(pg, quiet=quiet)
