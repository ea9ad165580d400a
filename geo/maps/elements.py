"""Leaflet building blocks of every map in :mod:`geo.maps` (private names, one module).

- :class:`_VectorLayer`: one ``L.geoJson`` layer styled from precomputed ``_fill`` / ``_line``
  properties (canvas by default; an SVG pane for hoverable outlines drawn over a canvas);
- :class:`_Attribution`, :class:`_PermanentLabels`: a control and labels (legends live in
  :mod:`geo.maps._legend`);
- :func:`_features_json`: compact GeoJSON with rounded coordinates, safe inside ``<script>``;
- the checks of a map's input (:func:`_check_gdf`, :func:`_check_column`,
  :func:`_highlight_codes`) and tooltip specs;
- :func:`_highlight_layer` (black outlines of chosen areas) and :func:`_outline_layer` (thin
  clickable council outlines over the national image).

Every name and value shown in a tooltip, label or legend goes through :func:`html.escape`.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from folium.map import Layer
from folium.template import Template
from pyproj import CRS

from geo._errors import InputError, format_codes
from geo.maps._safe import inert_name, render_inert
from geo.maps.text import format_value

_BASE_STYLE = {"color": "#4d4d4d", "weight": 0.6, "opacity": 0.9, "fillOpacity": 0.85}


_HOVER_STYLE = {"color": "#000000", "weight": 2.5, "opacity": 1}


_TIP_CSS = (
    "<style>.oppmap-tip th{text-align:left;padding-right:8px;font-weight:600}"
    ".oppmap-tip td{text-align:left}"
    ".oppmap-legend{background:rgba(255,255,255,.92);padding:6px 8px;border-radius:4px;"
    "font:12px/1.35 sans-serif;color:#222;box-shadow:0 0 4px rgba(0,0,0,.3);max-width:240px}"
    ".oppmap-legend i{display:inline-block;width:14px;height:12px;margin-right:6px;"
    "vertical-align:-1px;border:1px solid #888}"
    ".oppmap-legend summary{font-weight:600;margin-bottom:3px;cursor:pointer}"
    ".oppmap-legend details:not([open]) summary{margin-bottom:0}"
    ".oppmap-label{position:absolute;background:rgba(255,255,255,.85);border:1px solid #542788;color:#2d004b;"
    "font:600 11px/1.2 sans-serif;padding:1px 4px;box-shadow:none;white-space:nowrap}"
    ".oppmap-label:before{display:none}</style>"
)


def _html_safe_json(obj: Any) -> str:
    """Compact JSON that is safe inside a ``<script>`` element."""
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return _script_safe(text)


def _script_safe(text: str) -> str:
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


@lru_cache(maxsize=32)
def _epsg(srs: str) -> int | None:
    """The EPSG code of a CRS given as text (parsing a CRS takes milliseconds: once each)."""
    return CRS.from_user_input(srs).to_epsg()


def _check_gdf(gdf: Any, *, name: str = "gdf", geographic: bool = True) -> None:
    problems = []
    if not isinstance(gdf, gpd.GeoDataFrame):
        msg = f"`{name}` must be a GeoDataFrame indexed by area code; got {type(gdf).__name__}."
        raise InputError(msg)
    if gdf.crs is None:
        problems.append(f"`{name}` has no CRS; set it (display copies are EPSG:4326)")
    elif geographic and _epsg(gdf.crs.srs) != 4326:
        problems.append(
            f"`{name}` is in {gdf.crs.to_string()}, expected EPSG:4326 for display; use the "
            "display copy (boundaries.load(level, display='national'|'council')) or "
            "gdf.to_crs(4326)"
        )
    if not gdf.index.is_unique:
        dup = gdf.index[gdf.index.duplicated()].unique()
        problems.append(f"`{name}` has duplicated index codes: {format_codes(dup)}")
    if len(gdf) == 0:
        problems.append(f"`{name}` has no rows; nothing to map")
    else:
        empty = gdf.geometry.isna() | gdf.geometry.is_empty
        if empty.any():
            problems.append(
                f"`{name}` has {int(empty.sum())} missing or empty geometries "
                f"({format_codes(gdf.index[empty])}); drop them or repair the boundaries"
            )
    if problems:
        raise InputError("; ".join(problems) + ".")


def _check_column(gdf: pd.DataFrame, column: str, *, name: str = "gdf") -> None:
    if column not in gdf.columns:
        cols = [c for c in gdf.columns if c != gdf.geometry.name]
        msg = f"`column` {column!r} is not in `{name}`; available: {cols}."
        raise InputError(msg)


def _bounds_latlon(gdf: gpd.GeoDataFrame) -> list[list[float]]:
    minx, miny, maxx, maxy = (float(v) for v in gdf.total_bounds)
    return [[miny, minx], [maxy, maxx]]


def _features_json(
    gdf: gpd.GeoDataFrame, properties: pd.DataFrame, *, precision: int
) -> str:
    """A compact, script-safe GeoJSON FeatureCollection with rounded coordinates."""
    geoms = gdf.geometry.values
    if precision is not None:
        geoms = shapely.transform(np.asarray(geoms), lambda c: np.round(c, precision))
    geo_strings = shapely.to_geojson(np.asarray(geoms))
    records = properties.to_dict(orient="records")
    parts = []
    for code, geom, rec in zip(gdf.index, geo_strings, records, strict=True):
        parts.append(
            '{"type":"Feature","id":'
            + json.dumps(str(code))
            + ',"properties":'
            + json.dumps(rec, separators=(",", ":"), ensure_ascii=False)
            + ',"geometry":'
            + geom
            + "}"
        )
    return _script_safe('{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}")


def _map_of(element: Any) -> Any:
    """The folium.Map an element belongs to (walking up its parents), or None."""
    node = getattr(element, "_parent", None)
    while node is not None and not isinstance(node, folium.Map):
        node = getattr(node, "_parent", None)
    return node


class _VectorLayer(Layer):
    """One Leaflet GeoJSON layer styled from precomputed ``_fill`` / ``_line`` properties.

    With ``pane`` set, the layer is drawn with SVG in its own pane whose background lets mouse
    events through (``pointer-events: none``), so thin outlines drawn over the canvas choropleth
    can carry a tooltip without blocking the areas underneath. With ``data_of``, the layer
    draws the data of a layer drawn before it (a casing and its line): the map carries it once.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {%- if this.pane %}
        if (!{{ this.map_name }}.getPane({{ this.pane|tojson }})) {
            var pane = {{ this.map_name }}.createPane({{ this.pane|tojson }});
            pane.style.zIndex = 450;
            pane.style.pointerEvents = "none";
        }
        {%- endif %}
        var {{ this.get_name() }}_style = function(feature) {
            var s = {{ this.base_style|tojson }};
            var p = feature.properties || {};
            if (p._fill) { s.fillColor = p._fill; }
            {%- if this.use_line_property %}
            if (p._line) { s.color = p._line; }
            {%- endif %}
            return s;
        };
        {%- if this.data_of is not none %}
        var {{ this.get_name() }}_data = {{ this.data_of.get_name() }}_data;
        {%- else %}
        var {{ this.get_name() }}_data = {{ this.data_json }};
        {%- endif %}
        var {{ this.get_name() }} = L.geoJson({{ this.get_name() }}_data, {
            style: {{ this.get_name() }}_style,
            interactive: {{ this.interactive|tojson }},
            {%- if this.pane %}
            pane: {{ this.pane|tojson }},
            renderer: L.svg({pane: {{ this.pane|tojson }}}),
            {%- endif %}
            {%- if this.hover_style %}
            onEachFeature: function(feature, layer) {
                layer.on({
                    mouseover: function(e) {
                        e.target.setStyle({{ this.hover_style|tojson }});
                    },
                    mouseout: function(e) {
                        e.target.setStyle({{ this.get_name() }}_style(e.target.feature));
                    }
                });
            },
            {%- endif %}
        });
        {%- if this.tooltip_fields %}
        {{ this.get_name() }}.bindTooltip(function(layer) {
            var p = layer.feature.properties || {};
            var f = {{ this.tooltip_fields|tojson }};
            var a = {{ this.tooltip_aliases|tojson }};
            var rows = "";
            for (var i = 0; i < f.length; i++) {
                var v = p[f[i]];
                rows += "<tr><th>" + a[i] + "</th><td>" + (v == null ? "no data" : v) + "</td></tr>";
            }
            return '<table class="oppmap-tip">' + rows + "</table>";
        }, {sticky: true});
        {%- endif %}
        {% endmacro %}
        """
    )

    def __init__(
        self,
        data_json: str,
        bounds: list[list[float]],
        *,
        name: str,
        base_style: Mapping[str, Any],
        hover_style: Mapping[str, Any] | None,
        tooltip_fields: Sequence[str] = (),
        tooltip_aliases: Sequence[str] = (),
        interactive: bool = True,
        show: bool = True,
        control: bool = True,
        pane: str | None = None,
        data_of: _VectorLayer | None = None,
    ):
        super().__init__(name=inert_name(name), overlay=True, control=control, show=show)
        self._name = "OppmapGeoJson"
        self.data_json = data_json
        self.data_of = data_of  # a layer drawn earlier from the same data: share it
        self.bounds = bounds
        self.base_style = dict(base_style)
        self.hover_style = dict(hover_style) if hover_style else None
        self.tooltip_fields = list(tooltip_fields)
        self.tooltip_aliases = list(tooltip_aliases)
        self.interactive = bool(interactive)
        self.use_line_property = True
        self.pane = pane
        self.map_name = ""

    def render(self, **kwargs: Any) -> str:
        if self.pane:
            m = _map_of(self)
            if m is None:
                msg = "A layer drawn in its own pane must be added to a folium.Map first."
                raise InputError(msg)
            self.map_name = m.get_name()
        return render_inert(self, layer=True, **kwargs)

    def _get_self_bounds(self) -> list[list[float | None]]:
        return [list(corner) for corner in self.bounds]


class _PermanentLabels(MacroElement):
    """Always-visible text labels (Leaflet tooltips) at given points, e.g. cluster names."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this.map_name }};
            var labels = {{ this.labels_json }};
            var tips = [];
            for (var i = 0; i < labels.length; i++) {
                tips.push(L.tooltip({permanent: true, direction: "center", interactive: false,
                                     className: "oppmap-label"})
                    .setLatLng([labels[i][0], labels[i][1]])
                    .setContent(labels[i][2])
                    .addTo(map));
            }
            // a label is centred on its point by its width, known only once the style sheets
            // apply (and the component may resize the map): place the labels again then
            var place = function() {
                var show = map.getZoom() >= {{ this.min_zoom }};
                for (var j = 0; j < tips.length; j++) {
                    tips[j].update();
                    var el = tips[j].getElement();
                    if (el) { el.style.display = show ? "" : "none"; }
                }
            };
            place();
            map.on("resize moveend zoomend viewreset", place);
            window.addEventListener("load", place);
            setTimeout(place, 250);
            setTimeout(place, 1500);
        })();
        {% endmacro %}
        """
    )

    def __init__(self, points: Sequence[tuple[float, float, str]], *, min_zoom: float = 0):
        super().__init__()
        self._name = "OppmapLabels"
        self.min_zoom = float(min_zoom)
        self.labels_json = _html_safe_json(
            [[round(float(lat), 5), round(float(lon), 5), html.escape(str(text))]
             for lat, lon, text in points]
        )
        self.map_name = ""

    def render(self, **kwargs: Any) -> str:
        m = _map_of(self)
        if m is None:
            msg = "Labels must be added to a folium.Map (or one of its layers) first."
            raise InputError(msg)
        self.map_name = m.get_name()
        return render_inert(self, **kwargs)


class _Attribution(MacroElement):
    _template = Template(
        """
        {% macro script(this, kwargs) %}
        if ({{ this._parent.get_name() }}.attributionControl) {
            {{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.text|tojson }});
        }
        {% endmacro %}
        """
    )

    def __init__(self, text: str):
        super().__init__()
        self._name = "OppmapAttribution"
        self.text = html.escape(text)

    def render(self, **kwargs: Any) -> str:
        return render_inert(self, **kwargs)


def _tooltip_spec(
    gdf: gpd.GeoDataFrame,
    column: str,
    *,
    label: str,
    unit: str,
    name_column: str | None,
    tooltip_fields: Mapping[str, str] | Sequence[str] | None,
) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Escaped tooltip properties and aliases."""
    props = pd.DataFrame(index=gdf.index)
    fields, aliases = [], []
    if name_column is not None and name_column in gdf.columns:
        names = gdf[name_column].astype("string").fillna("")
        props["name"] = [
            html.escape(f"{n} ({c})" if n else str(c)) for n, c in zip(names, gdf.index, strict=True)
        ]
    else:
        props["name"] = [html.escape(str(c)) for c in gdf.index]
    fields.append("name")
    aliases.append("Area")
    props["value"] = [html.escape(format_value(v, unit)) for v in gdf[column]]
    fields.append("value")
    aliases.append(html.escape(label))
    if tooltip_fields is not None:
        spec = (
            dict(tooltip_fields)
            if isinstance(tooltip_fields, Mapping)
            else {c: c for c in tooltip_fields}
        )
        missing = [c for c in spec if c not in gdf.columns]
        if missing:
            msg = (
                f"`tooltip_fields` {missing} are not columns of `gdf`; available: "
                f"{[c for c in gdf.columns if c != gdf.geometry.name]}."
            )
            raise InputError(msg)
        for i, (col, alias) in enumerate(spec.items()):
            if col in (column, name_column):
                continue
            key = f"t{i}"
            props[key] = [html.escape(format_value(v)) for v in gdf[col]]
            fields.append(key)
            aliases.append(html.escape(str(alias)))
    return props, fields, aliases


def _highlight_layer(sel: gpd.GeoDataFrame, *, precision: int) -> _VectorLayer:
    """Black outlines of the selected areas, drawn on top and not interactive."""
    return _VectorLayer(
        _features_json(sel, pd.DataFrame({"code": sel.index.astype(str)}, index=sel.index),
                       precision=precision),
        _bounds_latlon(sel),
        name="Selected",
        base_style={"color": "#000000", "weight": 3, "opacity": 1, "fill": False},
        hover_style=None,
        interactive=False,
        control=False,
    )


def _highlight_codes(gdf: pd.DataFrame, highlight: Any) -> list[str]:
    """``highlight`` (one code, several or None) as a list, refusing codes not in ``gdf``."""
    if highlight is None:
        return []
    codes = [highlight] if isinstance(highlight, str) else list(highlight)
    unknown = [c for c in codes if c not in gdf.index]
    if unknown:
        msg = (f"`highlight` codes {format_codes(unknown)} are not in `gdf`'s index "
               f"({gdf.index.name or 'codes'}); pass codes of the mapped level.")
        raise InputError(msg)
    return codes


def _outline_layer(outlines: gpd.GeoDataFrame, *, precision: int) -> _VectorLayer:
    """Thin council outlines with a name tooltip and ``properties.code`` (national image)."""
    props = pd.DataFrame({"code": outlines.index.astype(str)}, index=outlines.index)
    names = outlines["name"] if "name" in outlines.columns else outlines.index.to_series()
    props["name"] = [html.escape(f"{n} ({c})") for n, c in zip(names, outlines.index, strict=True)]
    return _VectorLayer(
        _features_json(outlines, props, precision=precision),
        _bounds_latlon(outlines),
        name="Councils",
        base_style={"color": "#333333", "weight": 0.5, "opacity": 0.7,
                    "fillOpacity": 0, "fillColor": "#ffffff"},
        hover_style={"color": "#000000", "weight": 2, "opacity": 1},
        tooltip_fields=["name"],
        tooltip_aliases=["Council"],
    )
