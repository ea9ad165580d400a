"""Benchmark the app's maps: payload size and paint time in headless Chromium, against a baseline.

Baseline, measured in the same run: the usual folium recipe, ``folium.GeoJson`` with a Python
``style_function`` (folium writes a per-feature style table into the page), a
``GeoJsonTooltip``, SVG rendering and full-precision coordinates. Ours: :func:`geo.maps.
choropleth_map` (one layer styled from a precomputed ``_fill`` property, canvas, coordinates
rounded to 5 decimals, compact JSON). Both pages inline the same vendored Leaflet, so both draw
offline and the difference is the map itself.

Usage: ``python bench/bench_app.py [--repeat 5]`` (needs the store and ``python -m geo assets``).
Prints sizes, median paint times and ratios (ours / baseline; below 1 is better).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from scripts.browser import ARGS, CHROMIUM  # noqa: E402 - one browser for tests and benches

#: Milliseconds from the start of <body> (Leaflet itself is already parsed, in <head>) until two
#: animation frames after the load event: the map's data is parsed, the layer built and the
#: features painted.
MARK = "<script>window.__t0 = performance.now();</script>"
PAINT_JS = """async () => {
    await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
    return performance.now() - window.__t0;
}"""


def _views():
    """(name, GeoDataFrame in EPSG:4326 with name/value, label, unit, polarity) per view."""
    import boundaries
    import geo

    lad = boundaries.load("lad24", display="national")
    summary = geo.load_indicators("summary_lad24")
    national = lad.loc[lad["country"] == "E", ["name", "geometry"]].join(
        summary["imd_average_score"].rename("value"))
    lsoa = boundaries.load("lsoa21", display="council")
    iod = geo.load_indicators("iod2025")
    council = lsoa.loc[lsoa["lad24_code"] == "E08000025", ["name", "geometry"]].join(
        iod["imd_score"].rename("value"))
    return [
        ("national councils (296)", national, "IMD 2025 average score", "score", "higher_worse"),
        ("Birmingham LSOAs (659)", council, "IMD 2025 score", "score", "higher_worse"),
    ]


def _baseline(gdf, *, label: str, polarity: str):
    """The usual folium choropleth: per-feature style_function, SVG, full coordinates."""
    import folium

    from geo.maps.classes import classify, colours_for

    colours = colours_for(classify(gdf["value"]), polarity=polarity).to_dict()
    data = gdf.reset_index().rename(columns={gdf.index.name or "index": "code"})
    m = folium.Map(location=[52.5, -1.5], zoom_start=6, tiles=None)
    folium.GeoJson(
        data,
        style_function=lambda f: {"fillColor": colours[f["properties"]["code"]],
                                  "color": "#4d4d4d", "weight": 0.6, "fillOpacity": 0.85},
        highlight_function=lambda _f: {"weight": 2.5, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(fields=["name", "value"], aliases=["Area", label]),
    ).add_to(m)
    m.fit_bounds([[gdf.total_bounds[1], gdf.total_bounds[0]],
                  [gdf.total_bounds[3], gdf.total_bounds[2]]])
    return m


def _ours(gdf, *, label: str, unit: str, polarity: str):
    from geo.export.metadata import map_attribution
    from geo.maps.choropleth import choropleth_map

    small = str(gdf.index.name).startswith("lsoa21")  # else councils, from summary_lad24
    drawn = map_attribution(["iod2025" if small else "summary_lad24"],
                            levels=["lsoa21" if small else "lad24"])
    return choropleth_map(gdf, "value", label=label, unit=unit, polarity=polarity,
                          attribution=drawn)


def _payload(m) -> int:
    """Bytes of map script that st_folium sends to the browser for this map."""
    from streamlit_folium import generate_leaflet_string

    m.render()
    return len(generate_leaflet_string(m).encode())


def _paint_ms(page, paths: dict[str, Path], repeat: int) -> dict[str, float]:
    """Median paint time per page, loading the pages in turn (so drift hits both alike)."""
    times: dict[str, list[float]] = {k: [] for k in paths}
    for _ in range(repeat):
        for kind, path in paths.items():
            page.goto(path.as_uri(), wait_until="load")
            times[kind].append(page.evaluate(PAINT_JS))
    return {k: statistics.median(v) for k, v in times.items()}


def main(argv: list[str] | None = None) -> dict:
    from playwright.sync_api import sync_playwright

    from geo.maps.choropleth import to_standalone_html

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=11, help="page loads per map (median)")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        sys.exit(f"no Chromium at {CHROMIUM}: install it (scripts/install_browser.sh)")

    results = {}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        for name, gdf, label, unit, polarity in _views():
            row = {}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                maps = {"baseline": _baseline(gdf, label=label, polarity=polarity),
                        "ours": _ours(gdf, label=label, unit=unit, polarity=polarity)}
            paths = {}
            for kind, m in maps.items():
                t = time.perf_counter()
                html = to_standalone_html(m, title=name).replace("<body>", "<body>" + MARK, 1)
                build_s = time.perf_counter() - t
                paths[kind] = Path(tmp) / f"{kind}.html"
                paths[kind].write_text(html, encoding="utf-8")
                row[kind] = {"payload_bytes": _payload(m), "html_bytes": len(html.encode()),
                             "build_s": round(build_s, 3)}
            for kind, ms in _paint_ms(page, paths, args.repeat).items():
                row[kind]["paint_ms"] = round(ms, 1)
            row["payload_ratio"] = round(row["ours"]["payload_bytes"]
                                         / row["baseline"]["payload_bytes"], 3)
            row["paint_ratio"] = round(row["ours"]["paint_ms"] / row["baseline"]["paint_ms"], 3)
            results[name] = row
            print(f"{name}:")
            for kind in ("baseline", "ours"):
                r = row[kind]
                print(f"  {kind:8s} payload {r['payload_bytes'] / 1e6:6.3f} MB   "
                      f"page {r['html_bytes'] / 1e6:6.3f} MB   paint {r['paint_ms']:7.1f} ms")
            print(f"  ratio ours/baseline: payload {row['payload_ratio']:.2f}, "
                  f"paint {row['paint_ratio']:.2f}")
        browser.close()
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "bench_app.json").write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
