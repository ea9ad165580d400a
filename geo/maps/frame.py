"""How every map of oppmap behaves in its frame: a name, one tab stop, clicks that land, room
for the legends, place names without internet and an optional web basemap.

- :func:`frame_element` (added by :func:`geo.maps.choropleth.base_map`) gives the map its
  accessible name (the document's and the embedding iframe's title, the container's label),
  focuses the map on a mouse press *without scrolling the page* (Leaflet focuses the map on
  ``mousedown``; inside an iframe the parent page then scrolls it into view and the press lands
  somewhere else, Leaflet issue 5392), takes every shape out of the tab order (the map itself is
  one stop: arrow keys pan, + and - zoom) and fits the view so that no legend covers the areas
  (on a map too small for both, the legends fold to their titles: a click opens one);
- :func:`set_map_title` names a map after it is built;
- :func:`place_labels`: council and place names drawn from stored label points (no tiles), the
  most important first and none over another, councils from zoom 6, places from zoom 11;
- :func:`add_web_basemap`: OpenStreetMap tiles under the areas, for machines that are online; a
  machine without internet simply draws no tiles (Leaflet reports the failures to no one).
"""

from __future__ import annotations

import html
import re
from collections.abc import Hashable, Sequence
from typing import Any

import folium
import pandas as pd
from branca.element import MacroElement
from folium.map import Layer
from folium.template import Template

from geo._errors import InputError
from geo.maps._safe import inert_name, render_inert
from geo.maps.elements import _html_safe_json, _map_of

__all__ = ["WEB_BASEMAP", "frame_element", "set_map_title", "place_labels", "add_web_basemap"]

#: The optional web basemap: tile URL template and its attribution.
WEB_BASEMAP = {"tiles": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
               "attribution": "© OpenStreetMap contributors",
               "name": "Web basemap (OpenStreetMap)",
               "offline": "Web basemap could not load (offline?): showing the offline map"}

#: Legends fold to their titles when showing them beside the areas would draw the areas more
#: than this many zoom levels smaller (a council on a narrow Compare map).
FOLD_LEVELS = 1.5

#: folium's page forbids zooming (``maximum-scale=1.0, user-scalable=no``); people who read at
#: 200% need it (WCAG 1.4.4, axe-core ``meta-viewport``).
_NO_ZOOM = re.compile(r",\s*maximum-scale=1(?:\.0)?,\s*user-scalable=no")

_FRAME_CSS = (
    "<style>.leaflet-container:focus-visible{outline:3px solid #1a5fb4;outline-offset:-3px}"
    # folium sets every map text to 1rem; Leaflet's 12px for the attribution and scale bar keeps
    # them on one line on a narrow map
    ".leaflet-container .leaflet-control-attribution,.leaflet-container .leaflet-control-scale"
    "{font-size:12px}"
    ".oppmap-place{background:none;border:none}"
    ".oppmap-place span{position:absolute;transform:translate(-50%,-50%);white-space:nowrap;"
    "font:12px/1.2 sans-serif;color:#1a1a1a;pointer-events:none;"
    "text-shadow:0 0 2px #fff,0 0 2px #fff,0 0 3px #fff,0 0 4px #fff}"
    ".oppmap-place-council span{font-weight:700;font-size:12.5px;letter-spacing:.02em}"
    ".oppmap-place-place span{font-style:italic;color:#262626}</style>"
)


class _MapFrame(MacroElement):
    """Name, focus, tab order and a legend-aware fit of one map (see the module docstring)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            var box = map.getContainer();
            var title = {{ this.title|tojson }};
            var bounds = {{ this.bounds|tojson }};
            document.title = title;
            try { if (window.frameElement) { window.frameElement.setAttribute("title", title); } }
            catch (e) { /* a frame of another origin keeps its own title */ }
            box.setAttribute("role", "region");
            box.setAttribute("aria-label", title + {{ this.keys|tojson }});
            box.setAttribute("aria-roledescription", "map");
            if (map.keyboard) {
                map.keyboard.disable();
                map.keyboard._onMouseDown = function() {
                    if (!this._focused) { this._map._container.focus({preventScroll: true}); }
                };
                map.keyboard.enable();
            }
            var untab = function() {
                var shapes = box.querySelectorAll(
                    "path.leaflet-interactive, .leaflet-marker-icon, .leaflet-image-layer");
                for (var i = 0; i < shapes.length; i++) { shapes[i].setAttribute("tabindex", "-1"); }
            };
            var reach = function(el) {  // from the map's top or bottom edge to the far side
                var r = el.getBoundingClientRect(), edge = box.getBoundingClientRect();
                return el.closest(".leaflet-top") ? r.bottom - edge.top : edge.bottom - r.top;
            };
            var corner = function(sides, measure) {
                var size = 0;
                for (var i = 0; i < sides.length; i++) {
                    // legends; above and below, also the attribution and scale bars (thin
                    // and wide: they would cover an area drawn along the map's edge)
                    var bars = ["leaflet-control-attribution", "leaflet-control-scale"];
                    var kinds = measure === "w" ? ["oppmap-legend"] : measure === "bars"
                        ? bars : ["oppmap-legend"].concat(bars);
                    var legends = box.querySelectorAll(kinds.map(
                        function(c) { return sides[i] + " ." + c; }).join(", "));
                    var used = 0;
                    for (var j = 0; j < legends.length; j++) {
                        used = Math.max(used, measure === "w" ? legends[j].offsetWidth
                                                              : reach(legends[j]));
                    }
                    size = Math.max(size, used);
                }
                return size ? size + 12 : 10;
            };
            var lift = function() {
                // on a narrow map the attribution (and a folded legend) run under the scale bar:
                // the scale bar goes above whatever it would meet in the other bottom corner
                var left = box.querySelector(".leaflet-bottom.leaflet-left");
                if (!left) { return; }
                left.style.bottom = "";
                var mine = left.getBoundingClientRect(), edge = box.getBoundingClientRect();
                if (!mine.height) { return; }
                var up = 0, others = box.querySelectorAll(".leaflet-bottom.leaflet-right .leaflet-control");
                for (var i = 0; i < others.length; i++) {
                    var r = others[i].getBoundingClientRect();
                    if (r.height && r.left < mine.right + 4) { up = Math.max(up, edge.bottom - r.top); }
                }
                if (up) { left.style.bottom = up + "px"; }
            };
            var zoomOf = function(o) {
                // no room at all: Leaflet would answer Infinity (the log of a negative scale)
                var pad = L.point(o.paddingTopLeft).add(o.paddingBottomRight), size = map.getSize();
                if (pad.x >= size.x - 20 || pad.y >= size.y - 20) { return -Infinity; }
                return map.getBoundsZoom(bounds, false, pad);
            };
            var room = function() {
                lift();
                var below = corner([".leaflet-bottom"], "bars");
                var sideways = {
                    paddingTopLeft: [corner([".leaflet-left"], "w"), 10],
                    paddingBottomRight: [corner([".leaflet-right"], "w"), below]};
                var stacked = {
                    paddingTopLeft: [10, corner([".leaflet-top.leaflet-left", ".leaflet-top.leaflet-right"], "h")],
                    paddingBottomRight: [10, corner([".leaflet-bottom.leaflet-left", ".leaflet-bottom.leaflet-right"], "h")]};
                return zoomOf(stacked) > zoomOf(sideways) ? stacked : sideways;
            };
            var fold = function(shut) {
                var boxes = box.querySelectorAll(shut ? ".oppmap-legend details[open]"
                                                      : ".oppmap-legend details[data-oppmap-folded]");
                for (var i = 0; i < boxes.length; i++) {
                    boxes[i].open = !shut;
                    if (shut) { boxes[i].setAttribute("data-oppmap-folded", ""); }
                    else { boxes[i].removeAttribute("data-oppmap-folded"); }
                }
                return boxes.length;
            };
            var fit = function() {
                // legends beside the areas; on a map too small for both (the areas drawn more
                // than {{ this.fold_levels }} zoom levels smaller than without legends), legends
                // folded to their titles, a click on one opens it
                fold(false);
                var best = room();
                var bare = zoomOf({paddingTopLeft: [10, 10], paddingBottomRight: [10, 10]});
                if (bare - zoomOf(best) > {{ this.fold_levels }} && fold(true)) { best = room(); }
                if (zoomOf(best) === -Infinity) {  // a map smaller than its folded legends
                    best = {paddingTopLeft: [10, 10], paddingBottomRight: [10, 10]};
                }
                best.animate = false;
                map.fitBounds(bounds, best);
                // for tests and benchmarks: fitted with the stylesheet applied, and drawn
                L.Util.requestAnimFrame(function() {
                    L.Util.requestAnimFrame(function() { box.setAttribute("data-oppmap-fitted", ""); });
                });
            };
            // every measure above needs Leaflet's stylesheet, and a page may add it without
            // waiting for it (streamlit-folium appends its <link> and runs this script at once):
            // measured before it applies, the corners lie in the page's flow, one under the
            // other, and the fit drew the City of London at zoom 10 instead of 13.25 in about
            // 1 load in 8. So fit only once the corners are Leaflet's, and fit again then.
            var styled = function() {
                var c = box.querySelector(".leaflet-control-container .leaflet-top");
                return !c || window.getComputedStyle(c).position === "absolute";
            };
            var touched = false;
            var refit = function() { if (!touched && styled()) { fit(); } };
            map.fitBounds(bounds, {animate: false});
            Promise.resolve().then(function() { refit(); untab(); });
            if (!styled()) {
                var waited = 0, wait = function() {
                    if (styled()) { refit(); }
                    else if ((waited += 25) < 30000) { setTimeout(wait, 25); }
                };
                setTimeout(wait, 25);
                var sheets = document.querySelectorAll('link[rel="stylesheet"]');
                for (var i = 0; i < sheets.length; i++) {
                    sheets[i].addEventListener("load", function() { if (styled()) { refit(); } });
                }
            }
            // the frame is sized after the map is made: fit again on a resize until the person
            // moves the map themselves
            ["mousedown", "wheel", "keydown", "touchstart"].forEach(function(e) {
                box.addEventListener(e, function() { touched = true; }, {passive: true});
            });
            map.on("resize", refit);
            map.on("layeradd", function() { Promise.resolve().then(untab); });
        })();
        {% endmacro %}
        """
    )

    def __init__(self, bounds: Sequence[Sequence[float]], *, title: str):
        super().__init__()
        self._name = "OppmapFrame"
        self.bounds = [[float(v) for v in corner] for corner in bounds]
        self.title = str(title)
        self.keys = ". Arrow keys pan the map, plus and minus zoom."
        self.fold_levels = FOLD_LEVELS

    def render(self, **kwargs: Any) -> str:
        _let_people_zoom(self._parent)
        return render_inert(self, **kwargs)


def _let_people_zoom(m: Any) -> None:
    """Take folium's ban on zooming out of the map's page header (rendered before its children)."""
    if m is None:
        return
    header = getattr(m.get_root(), "header", None)
    element: Any = getattr(header, "_children", {}).get(m.get_name())
    text = getattr(element, "_template_str", None)
    if text and _NO_ZOOM.search(text):
        element._template_str = _NO_ZOOM.sub("", text)
        element._template = type(element._template)(element._template_str)


def frame_element(bounds: Sequence[Sequence[float]], *, title: str = "Map") -> MacroElement:
    """The element that names, focuses and fits a map (add it to a map first of all).

    Parameters
    ----------
    bounds
        ``[[south, west], [north, east]]`` that the first view shows, legends aside.
    title
        The map's accessible name (the embedding frame's title and the container's label).

    Examples
    --------
    >>> m = folium.Map(location=None, tiles=None)
    >>> _ = m.add_child(frame_element([[51, -1], [52, 0]], title="Map: test"), name="oppmap_frame")
    """
    return _MapFrame(bounds, title=title)


def set_map_title(m: folium.Map, title: str) -> folium.Map:
    """Name a map built by :mod:`geo.maps` (its frame's title and its label for screen readers).

    Raises
    ------
    InputError
        A map that was not made by :func:`geo.maps.choropleth.base_map`, or an empty title.
    """
    frame = getattr(m, "_children", {}).get("oppmap_frame")
    if not isinstance(frame, _MapFrame) or not str(title).strip():
        msg = ("`m` must be a map of geo.maps (base_map, choropleth_map, lsoa_overview_map) and "
               f"`title` a non-empty text; got {type(m).__name__} and {title!r}.")
        raise InputError(msg)
    frame.title = str(title).strip()
    return m


class _PlaceLabels(Layer):
    """Text labels at stored points, the heaviest first, none over another (no tiles)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.layerGroup();
        (function() {
            var map = {{ this.map_name }};
            var layer = {{ this.get_name() }};
            var rows = {{ this.rows_json }};
            if (!map.getPane("oppmapPlaces")) {
                var pane = map.createPane("oppmapPlaces");
                pane.style.zIndex = 620;
                pane.style.pointerEvents = "none";
            }
            var draw = function() {
                layer.clearLayers();
                if (!map.hasLayer(layer)) { return; }
                var zoom = map.getZoom(), view = map.getBounds().pad(0.05), taken = [];
                for (var i = 0; i < rows.length && taken.length < {{ this.max_labels }}; i++) {
                    var r = rows[i];
                    if (zoom < r[3] || !view.contains([r[0], r[1]])) { continue; }
                    var p = map.latLngToContainerPoint([r[0], r[1]]);
                    var w = r[2].length * (r[4] === "council" ? 7.4 : 6.4) / 2 + 4, h = 9;
                    var free = true;
                    for (var j = 0; j < taken.length && free; j++) {
                        var t = taken[j];
                        free = p.x + w < t[0] || p.x - w > t[2] || p.y + h < t[1] || p.y - h > t[3];
                    }
                    if (!free) { continue; }
                    taken.push([p.x - w, p.y - h, p.x + w, p.y + h]);
                    L.marker([r[0], r[1]], {pane: "oppmapPlaces", interactive: false,
                        keyboard: false, icon: L.divIcon({className: "oppmap-place oppmap-place-" + r[4],
                        html: "<span>" + r[2] + "</span>", iconSize: null})}).addTo(layer);
                }
            };
            map.on("zoomend moveend overlayadd", draw);
            layer.on("add", draw);
        })();
        {% endmacro %}
        """
    )

    def __init__(self, rows: list[list[Any]], *, name: str, max_labels: int, show: bool):
        super().__init__(name=inert_name(name), overlay=True, control=True, show=show)
        self._name = "OppmapPlaces"
        self.rows_json = _html_safe_json(rows)
        self.max_labels = int(max_labels)
        self.map_name = ""

    def render(self, **kwargs: Any) -> str:
        m = _map_of(self)
        if m is None:
            msg = "Place labels must be added to a folium.Map first."
            raise InputError(msg)
        self.map_name = m.get_name()
        return render_inert(self, layer=True, **kwargs)


def place_labels(places: pd.DataFrame, *, bounds: Sequence[Sequence[float]] | None = None,
                 name: str = "Place names", max_labels: int = 120,
                 show: bool = True, first: Sequence[Hashable] | None = None) -> Layer:
    """A layer of council and place names drawn from label points, for maps without tiles.

    Labels show from their ``min_zoom``, heaviest first (councils before places, then by
    ``weight``; the rows named in ``first`` before all others), skipping any that would
    overlap one already drawn, at most ``max_labels`` at once; they never catch the mouse or a
    Tab press.

    Parameters
    ----------
    places
        ``kind`` ("council" or "place"), ``name``, ``lat``, ``lon``, ``min_zoom`` and
        ``weight`` (the store's, :func:`boundaries.display.load_places`).
    bounds
        ``[[south, west], [north, east]]``: keep only the points inside (a council's map need
        not carry every ward of the country).
    name
        The layer's name in the layer control.
    max_labels
        The most labels drawn at once.
    show
        Whether the names are on when the map opens.
    first
        Index labels of ``places`` drawn before all others (say the heaviest council of each
        nation, so that the UK view names all four, whatever the other labels crowd out).

    Returns
    -------
    folium.map.Layer
        Add it to a map of :mod:`geo.maps`.

    Raises
    ------
    InputError
        ``places`` without the columns above.

    Examples
    --------
    >>> pts = pd.DataFrame({"kind": ["council"], "name": ["York"], "lat": [53.96],
    ...                     "lon": [-1.08], "min_zoom": [7.0], "weight": [1.0]})
    >>> layer = place_labels(pts)
    """
    need = ["kind", "name", "lat", "lon", "min_zoom", "weight"]
    absent = [c for c in need if c not in getattr(places, "columns", [])]
    if absent:
        msg = f"`places` lacks columns {absent}; pass boundaries.display.load_places()."
        raise InputError(msg)
    lead = pd.Series(False, index=places.index)
    if first is not None:
        unknown = [k for k in first if k not in places.index]
        if unknown:
            msg = f"`first` names rows that `places` does not have: {unknown[:5]}."
            raise InputError(msg)
        lead.loc[list(first)] = True
    rows = places.assign(_lead=lead)
    if bounds is not None:
        (south, west), (north, east) = bounds
        rows = rows[rows["lat"].between(south, north) & rows["lon"].between(west, east)]
    rows = rows.sort_values(["_lead", "min_zoom", "weight"], ascending=[False, True, False],
                            kind="mergesort")
    data = [[round(float(r.lat), 4), round(float(r.lon), 4), html.escape(str(r.name)),
             float(r.min_zoom), str(r.kind)] for r in rows.itertuples(index=False)]
    return _PlaceLabels(data, name=name, max_labels=max_labels, show=show)


def add_web_basemap(m: folium.Map) -> folium.Map:
    """Put OpenStreetMap tiles under the areas of ``m`` (for an online machine; off by default).

    Without internet the tiles do not arrive and the map draws as without them; the first
    tile that fails puts one small notice on the map (``WEB_BASEMAP["offline"]``), once.

    Examples
    --------
    >>> from geo.maps.choropleth import base_map
    >>> _ = add_web_basemap(base_map(attribution="x"))
    """
    layer = folium.TileLayer(tiles=WEB_BASEMAP["tiles"], attr=WEB_BASEMAP["attribution"],
                             name=WEB_BASEMAP["name"], overlay=False, control=False,
                             max_zoom=19).add_to(m)
    m.add_child(_TileErrorNotice(layer.get_name(), WEB_BASEMAP["offline"]))  # after the layer
    return m


class _TileErrorNotice(MacroElement):
    """On the first ``tileerror`` of a tile layer, a small notice in the map's corner (once)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var layer = {{ this.layer }}, shown = false;
            layer.on('tileerror', function () {
                var map = layer._map;
                if (shown || !map) { return; }
                shown = true;
                var note = L.control({position: 'topright'});
                note.onAdd = function () {
                    var box = L.DomUtil.create('div', 'oppmap-basemap-offline');
                    box.setAttribute('role', 'status');
                    box.style.cssText = 'background:rgba(255,255,255,0.92);padding:3px 8px;'
                        + 'border-radius:4px;font:12px/1.4 sans-serif;color:#333;'
                        + 'box-shadow:0 1px 4px rgba(0,0,0,0.3)';
                    box.textContent = {{ this.text|tojson }};
                    return box;
                };
                note.addTo(map);
            });
        })();
        {% endmacro %}
        """
    )

    def __init__(self, layer: str, text: str):
        super().__init__()
        self._name = "OppmapTileErrorNotice"
        self.layer = re.sub(r"[^A-Za-z0-9_]", "", layer)  # a folium variable name
        self.text = text

    def render(self, **kwargs: Any) -> str:
        return render_inert(self, **kwargs)
