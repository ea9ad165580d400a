"""Private Leaflet elements and helpers behind :mod:`geo.maps` (not a public API).

- :class:`_VectorLayer`: one ``L.geoJson`` layer styled from precomputed ``_fill`` / ``_line``
  properties (canvas by default; an SVG pane for hoverable outlines drawn over a canvas);
- :class:`_Legend`, :class:`_Attribution`, :class:`_PermanentLabels`: controls and labels;
- script-safe GeoJSON (:func:`_features_json`), input checks, tooltip specs, hotspot colours;
- :func:`_dissolve_by`: outlines of groups of areas (clusters) at display precision;
- :func:`_position_grid` / :func:`_paint_grid`: every LSOA burnt once into a grid of row
  positions, then any indicator painted by a colour lookup. Every name and value shown in a
  tooltip, label or legend goes through :func:`html.escape`.
"""

from __future__ import annotations

import html
import io
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from folium.map import Layer
from folium.template import Template

from geo._errors import InputError, format_codes
from geo.classify import NO_DATA_COLOUR, format_value, normalise_key

#: Colours of hotspot and cluster labels (normalised label -> colour); ColorBrewer RdBu,
#: distinguishable with the common colour-vision deficiencies. ``None`` = not drawn.
HOTSPOT_COLOURS: dict[str, str | None] = {
    "hot_spot": "#b2182b",
    "hot_spot_99": "#b2182b",
    "hot_spot_95": "#d6604d",
    "hot_spot_90": "#f4a582",
    "cold_spot": "#2166ac",
    "cold_spot_99": "#2166ac",
    "cold_spot_95": "#4393c3",
    "cold_spot_90": "#92c5de",
    "high_high": "#b2182b",
    "low_low": "#2166ac",
    "high_low": "#f4a582",
    "low_high": "#92c5de",
    "not_significant": None,
    "ns": None,
    "island_not_tested": None,
    "no_data_not_tested": None,
}

_BASE_STYLE = {"color": "#4d4d4d", "weight": 0.6, "opacity": 0.9, "fillOpacity": 0.85}
_HOVER_STYLE = {"color": "#000000", "weight": 2.5, "opacity": 1}
_TIP_CSS = (
    "<style>.oppmap-tip th{text-align:left;padding-right:8px;font-weight:600}"
    ".oppmap-tip td{text-align:left}"
    ".oppmap-legend{background:rgba(255,255,255,.92);padding:6px 8px;border-radius:4px;"
    "font:12px/1.35 sans-serif;color:#222;box-shadow:0 0 4px rgba(0,0,0,.3);max-width:240px}"
    ".oppmap-legend i{display:inline-block;width:14px;height:12px;margin-right:6px;"
    "vertical-align:-1px;border:1px solid #888}"
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



def _check_gdf(gdf: Any, *, name: str = "gdf", geographic: bool = True) -> None:
    problems = []
    if not isinstance(gdf, gpd.GeoDataFrame):
        msg = f"`{name}` must be a GeoDataFrame indexed by area code; got {type(gdf).__name__}."
        raise InputError(msg)
    if gdf.crs is None:
        problems.append(f"`{name}` has no CRS; set it (display copies are EPSG:4326)")
    elif geographic and gdf.crs.to_epsg() != 4326:
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
    while node is not None and type(node).__name__ != "Map":
        node = getattr(node, "_parent", None)
    return node


class _VectorLayer(Layer):
    """One Leaflet GeoJSON layer styled from precomputed ``_fill`` / ``_line`` properties.

    With ``pane`` set, the layer is drawn with SVG in its own pane whose background lets mouse
    events through (``pointer-events: none``), so thin outlines drawn over the canvas choropleth
    can carry a tooltip without blocking the areas underneath.
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
        var {{ this.get_name() }} = L.geoJson({{ this.data_json }}, {
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
    ):
        super().__init__(name=name, overlay=True, control=control, show=show)
        self._name = "OppmapGeoJson"
        self.data_json = data_json
        self.bounds = bounds
        self.base_style = dict(base_style)
        self.hover_style = dict(hover_style) if hover_style else None
        self.tooltip_fields = list(tooltip_fields)
        self.tooltip_aliases = list(tooltip_aliases)
        self.interactive = bool(interactive)
        self.use_line_property = True
        self.pane = pane
        self.map_name = ""

    def render(self, **kwargs: Any) -> None:
        if self.pane:
            m = _map_of(self)
            if m is None:
                msg = "A layer drawn in its own pane must be added to a folium.Map first."
                raise InputError(msg)
            self.map_name = m.get_name()
        super().render(**kwargs)

    def _get_self_bounds(self) -> list[list[float]]:
        return self.bounds


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

    def render(self, **kwargs: Any) -> None:
        m = _map_of(self)
        if m is None:
            msg = "Labels must be added to a folium.Map (or one of its layers) first."
            raise InputError(msg)
        self.map_name = m.get_name()
        super().render(**kwargs)


class _Legend(MacroElement):
    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var legend = L.control({position: {{ this.position|tojson }}});
            legend.onAdd = function() {
                var div = L.DomUtil.create("div", "oppmap-legend");
                div.innerHTML = {{ this.html|tojson }};
                L.DomEvent.disableClickPropagation(div);
                return div;
            };
            legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, html_text: str, *, position: str = "bottomright"):
        super().__init__()
        self._name = "OppmapLegend"
        self.html = html_text
        self.position = position


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



def _legend_html(
    *,
    title: str,
    unit: str,
    colours: Sequence[str],
    labels: Sequence[str],
    counts: Sequence[int] | None,
    polarity: str | None,
    n_missing: int,
    note: str | None = None,
) -> str:
    head = html.escape(title)
    if unit and unit not in title:
        head += f" <span style='font-weight:400'>({html.escape(unit)})</span>"
    rows = [f"<div style='font-weight:600;margin-bottom:3px'>{head}</div>"]
    order = range(len(colours) - 1, -1, -1)  # highest values on top
    for i in order:
        count = f" <span style='color:#666'>({counts[i]:,})</span>" if counts is not None else ""
        rows.append(f"<div><i style='background:{colours[i]}'></i>{html.escape(labels[i])}{count}</div>")
    if n_missing:
        rows.append(
            f"<div><i style='background:{NO_DATA_COLOUR}'></i>no data"
            f" <span style='color:#666'>({n_missing:,})</span></div>"
        )
    if polarity is not None:
        worse = "higher" if normalise_key(polarity) == "higher_worse" else "lower"
        rows.append(
            f"<div style='margin-top:3px;color:#444'>Darker = worse ({worse} values)</div>"
        )
    if note:
        rows.append(f"<div style='margin-top:3px;color:#444'>{html.escape(note)}</div>")
    return "".join(rows)



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



def _hotspot_key(label: Any) -> str:
    key = normalise_key(str(label)).replace("%", "").replace("*", "")
    key = key.replace("(", "").replace(")", "").replace(",", "").replace(".", "")
    while "__" in key:
        key = key.replace("__", "_")
    return key.strip("_")



# ----------------------------------------------------------------------------- outlines


def _dissolve_by(
    gdf: gpd.GeoDataFrame, groups: pd.Series, *, precision: int, simplify: float | None = None
) -> gpd.GeoDataFrame:
    """One (multi)polygon per group: the union of its areas, snapped to the display precision.

    ``groups`` is indexed like ``gdf`` (NaN = not in any group). Returns a frame indexed by
    group key, in the CRS of ``gdf``, with a representative point (``lat``, ``lon``) for labels.
    """
    keys = groups.reindex(gdf.index)
    keep = keys.notna().to_numpy()
    rows, index = [], []
    grid = 10.0**-precision
    for key, positions in pd.Series(np.flatnonzero(keep)).groupby(keys[keep].to_numpy()):
        geoms = np.asarray(gdf.geometry.values)[positions.to_numpy()]
        merged = shapely.union_all(geoms, grid_size=grid)
        if simplify:
            merged = shapely.simplify(merged, simplify, preserve_topology=True)
        point = shapely.point_on_surface(merged)
        rows.append({"geometry": merged, "lat": point.y, "lon": point.x})
        index.append(key)
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs=gdf.crs,
                           columns=["geometry", "lat", "lon"])
    out.index = pd.Index(index, name="group")
    return out


# ----------------------------------------------------------------------------- LSOA image


class _PositionGrid(NamedTuple):
    """Every area burnt into a Web Mercator grid: cell = row position + 1 (0 = no area)."""

    grid: np.ndarray
    codes: pd.Index
    bounds: list[list[float]]


def _position_grid(gdf_27700: gpd.GeoDataFrame, *, resolution: float) -> _PositionGrid:
    """Rasterise each area's row position once (the slow step of a national LSOA image).

    Same grid as :func:`geo.raster.rasterize_for_display`: Web Mercator pixels about
    ``resolution`` metres on the ground at the data's central latitude; a pixel takes the area
    containing its centre.
    """
    import rasterio.features
    from pyproj import Transformer

    from geo._raster_grid import _check_projected, _check_resolution, _grid

    _check_projected(gdf_27700, name="gdf")
    res = _check_resolution(resolution)
    merc = gdf_27700.geometry.to_crs("EPSG:3857")
    geoms = np.asarray(merc.values, dtype=object)
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    lonlat = gdf_27700.geometry.to_crs("EPSG:4326").total_bounds
    pixel = res / math.cos(math.radians((lonlat[1] + lonlat[3]) / 2))
    transform, width, height = _grid(merc.total_bounds, pixel)
    positions = np.arange(1, len(geoms) + 1, dtype="int32")
    grid = rasterio.features.rasterize(
        zip(geoms[keep], positions[keep].tolist(), strict=True),
        out_shape=(height, width), transform=transform, fill=0, dtype="int32",
    )
    x0, y1 = transform.c, transform.f
    x1, y0 = x0 + width * pixel, y1 - height * pixel
    to_lonlat = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)
    west, south = to_lonlat.transform(x0, y0)
    east, north = to_lonlat.transform(x1, y1)
    bounds = [[float(south), float(west)], [float(north), float(east)]]
    return _PositionGrid(grid=grid, codes=pd.Index(gdf_27700.index), bounds=bounds)


def _paint_grid(grid: _PositionGrid, colours: pd.Series) -> bytes:
    """A paletted PNG of ``grid`` with each area in its colour (hex, indexed by code).

    Areas missing from ``colours`` (or with a missing colour) are transparent.
    """
    from PIL import Image

    per_area = colours.reindex(grid.codes)
    palette = sorted({str(c).lower() for c in per_area.dropna()})
    if len(palette) > 255:
        msg = f"`colours` has {len(palette)} distinct colours; a paletted image holds 255."
        raise InputError(msg)
    slot = {c: i + 1 for i, c in enumerate(palette)}
    lut = np.zeros(len(grid.codes) + 1, dtype="uint8")
    lut[1:] = [0 if pd.isna(c) else slot[str(c).lower()] for c in per_area]
    painted = np.ascontiguousarray(lut[grid.grid])
    image = Image.frombytes("P", (painted.shape[1], painted.shape[0]), painted.tobytes())
    rgb = [int(c[i : i + 2], 16) for c in palette for i in (1, 3, 5)]
    image.putpalette([0, 0, 0, *rgb])
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", transparency=bytes([0] + [255] * len(palette)),
               optimize=False, compress_level=6)
    return buffer.getvalue()


def _hotspot_areas(
    group: Any, gdf: gpd.GeoDataFrame, labels: pd.Series, keys: pd.Series, fill: pd.Series, *,
    name: str, details: Mapping[str, pd.Series] | None, outline: bool, precision: int,
) -> Any:
    """Add the tinted hotspot areas (with tooltips) and, optionally, the outlines of each
    label's contiguous groups to ``group`` (see :func:`geo.maps.hotspot_layer`)."""
    drawn = fill.notna()
    sel = gdf.loc[drawn]
    props = pd.DataFrame({"code": sel.index.astype(str)}, index=sel.index)
    names = sel["name"] if "name" in sel.columns else sel.index.to_series()
    props["name"] = [html.escape(f"{n} ({c})") for n, c in zip(names, sel.index, strict=True)]
    props["label"] = [html.escape(str(v)) for v in labels.loc[drawn]]
    fields, aliases = ["name", "label"], ["Area", "Result"]
    for i, (alias, series) in enumerate((details or {}).items()):
        props[f"d{i}"] = [html.escape(format_value(v)) for v in series.reindex(sel.index)]
        fields.append(f"d{i}")
        aliases.append(html.escape(str(alias)))
    props["_fill"] = fill.loc[drawn].to_numpy()
    group.add_child(
        _VectorLayer(
            _features_json(sel, props, precision=precision),
            _bounds_latlon(sel),
            name=f"{name} areas",
            # a light tint: the choropleth underneath stays readable
            base_style={"stroke": False, "fillOpacity": 0.3},
            hover_style={"stroke": True, "color": "#000000", "weight": 2, "opacity": 1},
            tooltip_fields=fields,
            tooltip_aliases=aliases,
            control=False,
        )
    )
    if outline:
        parts = []
        for key, colour in fill.loc[drawn].groupby(keys.loc[drawn]).first().items():
            geoms = sel.geometry[keys.loc[drawn] == key]
            # snap to the display precision so edges shared up to rounding dissolve
            merged = shapely.union_all(np.asarray(geoms.values), grid_size=10.0**-precision)
            for poly in getattr(merged, "geoms", [merged]):
                parts.append({"key": key, "_line": colour, "geometry": poly})
        clusters = gpd.GeoDataFrame(parts, geometry="geometry", crs=gdf.crs)
        clusters.index = pd.Index([f"cluster_{i}" for i in range(len(clusters))], name="cluster")
        data = _features_json(clusters, clusters[["key", "_line"]], precision=precision)
        # a white casing under the coloured outline keeps it visible over any fill colour
        for style in (
            {"color": "#ffffff", "weight": 6, "opacity": 0.9, "fill": False},
            {"weight": 3, "opacity": 1, "fill": False},
        ):
            layer = _VectorLayer(
                data, _bounds_latlon(clusters), name=f"{name} clusters",
                base_style=style, hover_style=None, interactive=False, control=False,
            )
            layer.use_line_property = "color" not in style
            group.add_child(layer)
    return group


def _cluster_outlines(
    group: Any, shapes: gpd.GeoDataFrame, info: pd.DataFrame, *, name: str, colour: str,
    precision: int, label_top: int, label_min_zoom: float = 0,
) -> Any:
    """Add dissolved cluster outlines (white casing, coloured line with a tooltip, in an SVG
    pane) and permanent labels of the ``label_top`` most populous clusters to ``group``."""
    props = pd.DataFrame(index=shapes.index)
    props["name"] = [html.escape(str(v)) for v in info["name"]]
    fields, aliases = ["name"], ["Cluster"]
    for column, alias, unit in (("n_lsoas", "Neighbourhoods (LSOAs)", ""),
                                ("population", "People", ""), ("domains", "Domains", "")):
        if column in info.columns:
            props[column] = [html.escape(format_value(v, unit)) for v in info[column]]
            fields.append(column)
            aliases.append(alias)
    data = _features_json(shapes, props, precision=precision)
    bounds = _bounds_latlon(shapes)
    group.add_child(_VectorLayer(
        data, bounds, name=f"{name} casing", control=False, interactive=False, hover_style=None,
        base_style={"color": "#ffffff", "weight": 5, "opacity": 0.85, "fill": False},
        pane="oppmapClusters",
    ))
    group.add_child(_VectorLayer(
        data, bounds, name=name, control=False, pane="oppmapClusters",
        base_style={"color": colour, "weight": 2.5, "opacity": 1, "fill": False},
        hover_style={"weight": 5}, tooltip_fields=fields, tooltip_aliases=aliases,
    ))
    if label_top > 0:
        order = info["population"] if "population" in info.columns else info.index.to_series()
        top = order.sort_values(ascending=False, kind="mergesort").index[:label_top]
        group.add_child(_PermanentLabels(
            [(shapes.at[c, "lat"], shapes.at[c, "lon"], info.at[c, "name"]) for c in top],
            min_zoom=label_min_zoom,
        ))
    return group


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


def _standalone_html(m: Any, assets: Mapping[str, str], *, title: str) -> str:
    """Render ``m`` with Leaflet's CSS and JS inlined, leaving the map as it was."""
    from branca.element import Element

    saved_js, saved_css = m.default_js, m.default_css
    m.default_js, m.default_css = [], []
    try:
        root = m.get_root()
        root.header.add_child(
            Element("<style>" + assets["css"] + "</style>"),
            name="leaflet_inline_css",
        )
        root.header.add_child(
            Element("<script>" + assets["js"].replace("</script", "<\\/script") + "</script>"),
            name="leaflet_inline_js",
        )
        text = root.render()
    finally:
        m.default_js, m.default_css = saved_js, saved_css
        for key in ("leaflet_inline_css", "leaflet_inline_js"):
            m.get_root().header._children.pop(key, None)
    return text.replace("<head>", f"<head>\n<title>{html.escape(title)}</title>", 1)


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


def _hotspot_legend_html(labels: pd.Series, *, title: str, note: str | None) -> str:
    """Legend rows of the hotspot labels present (escaped), with counts."""
    counts = labels.dropna().astype(str).value_counts()
    rows = [f"<div style='font-weight:600;margin-bottom:3px'>{html.escape(title)}</div>"]
    for label, n in sorted(counts.items()):
        colour = HOTSPOT_COLOURS.get(_hotspot_key(label), "")
        if colour:
            rows.append(
                f"<div><i style='background:{colour};opacity:.6;border:2px solid {colour}'></i>"
                f"{html.escape(label)} <span style='color:#666'>({n:,})</span></div>"
            )
    shown = len(rows) - 1
    if not shown:
        rows.append("<div>no significant area here</div>")
    if note:
        rows.append(f"<div style='margin-top:3px;color:#444'>{html.escape(note)}</div>")
    return "".join(rows)


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


def _cluster_owner(clusters: pd.DataFrame) -> pd.Series:
    """Area code -> cluster id from the ``";"``-joined ``lsoa_codes`` of ``clusters``."""
    absent = [c for c in ("name", "lsoa_codes") if c not in getattr(clusters, "columns", [])]
    if absent:
        msg = (
            f"`clusters` lacks columns {absent}; pass the store's clusters table "
            "(geo.load_indicators('clusters')) or geo.clusters.hotspot_clusters()."
        )
        raise InputError(msg)
    members = clusters["lsoa_codes"].fillna("").astype(str).str.split(";").explode()
    members = members[members != ""]
    if members.duplicated().any():
        dup = members[members.duplicated()].unique()
        msg = f"`clusters` puts areas in two clusters: {format_codes(dup)}; pass disjoint clusters."
        raise InputError(msg)
    return pd.Series(members.index, index=members.to_numpy())


def _hotspot_fill(
    gdf: gpd.GeoDataFrame, labels: Any, colours: Mapping[str, str | None] | None
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Labels in ``gdf``'s order, their normalised keys and fill colours (None = not drawn),
    refusing misaligned labels and labels without a colour."""
    if not isinstance(labels, pd.Series):
        msg = f"`labels` must be a pandas Series indexed like `gdf`; got {type(labels).__name__}."
        raise InputError(msg)
    missing = gdf.index.difference(labels.index)
    extra = labels.index.difference(gdf.index)
    if len(missing) or len(extra) or not labels.index.is_unique:
        msg = (
            "`labels` must be indexed exactly like `gdf` (one label per area): "
            f"{len(missing)} areas lack a label ({format_codes(missing)}), "
            f"{len(extra)} labels have no area ({format_codes(extra)}). Reindex them first."
        )
        raise InputError(msg)
    palette_map = dict(HOTSPOT_COLOURS)
    if colours:
        palette_map.update({_hotspot_key(k): v for k, v in colours.items()})
    labels = labels.reindex(gdf.index)
    keys = labels.map(lambda v: "not_significant" if pd.isna(v) else _hotspot_key(v))
    unknown = sorted(set(keys) - set(palette_map))
    if unknown:
        msg = (
            f"`labels` has values without a colour: {unknown}; known: {sorted(palette_map)}. "
            "Pass `colours={label: '#rrggbb' or None}`."
        )
        raise InputError(msg)
    return labels, keys, keys.map(palette_map)


def _check_paint(grid: Any, values: Any) -> None:
    """Refuse a grid not made by lsoa_grid() and values that are not a Series of its codes."""
    if not isinstance(grid, _PositionGrid):
        msg = f"`grid` must be the LsoaGrid of lsoa_grid(); got {type(grid).__name__}."
        raise InputError(msg)
    if not isinstance(values, pd.Series) or not values.index.is_unique:
        msg = "`values` must be a Series indexed by unique area codes."
        raise InputError(msg)
    strangers = values.index.difference(grid.codes)
    if len(strangers):
        msg = (f"`values` has {len(strangers)} codes that are not in `grid` "
               f"({format_codes(strangers)}); build the grid from the same areas.")
        raise InputError(msg)
