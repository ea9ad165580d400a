"""The headless Chromium that the browser tests (``tests/test_browser*.py``) and the benches
(``bench/bench_app.py``, ``bench/bench_browser.py``) drive: one path, one set of flags, one
paint probe, so that a test and a bench always measure the same browser.

Chromium comes from Debian (``scripts/install_browser.sh``); Playwright only drives it.
"""

from __future__ import annotations

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
