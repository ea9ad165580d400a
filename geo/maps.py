"""Folium maps that draw without internet: choropleths, the national LSOA image and hotspots.

Pure functions: each returns a :class:`folium.Map` or a layer; no Streamlit call here.

Design choices, each for a measured reason:

- one GeoJSON layer per map whose style reads a precomputed colour property (``_fill``) in
  JavaScript, instead of folium's per-feature ``style_function`` (which writes one style entry
  per feature into the page); classes are computed once in Python (:mod:`geo.classify`);
- ``prefer_canvas=True``: one canvas instead of one SVG path per area;
- coordinates rounded to ``precision`` decimals (5 = about 1 m) and compact JSON;
- no base tiles by default (the boundaries give the context, and there is no internet);
- Leaflet from ``static/vendor`` (:mod:`geo.assets`), or inlined for a standalone HTML file;
- every name and value shown in a tooltip or legend goes through :func:`html.escape`.
"""

from __future__ import annotations

import base64
import html
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from folium.map import Layer
from folium.template import Template

from geo._errors import InputError, format_codes
from geo.assets import STATIC_URL, inline_assets, local_asset_urls
from geo.classify import (
    NO_DATA_COLOUR,
    classify,
    colours_for,
    legend_labels,
    normalise_key,
    palette,
)

__all__ = [
    "DEFAULT_ATTRIBUTION",
    "HOTSPOT_COLOURS",
    "base_map",
    "choropleth_map",
    "add_legend",
    "LsoaImage",
    "render_lsoa_image",
    "national_lsoa_overlay",
    "lsoa_overview_map",
    "hotspot_layer",
    "add_hotspot_legend",
    "map_table",
    "describe_values",
    "format_value",
    "to_standalone_html",
]

#: Short attribution for the map's attribution control (the full lines go under each map).
DEFAULT_ATTRIBUTION = "© Crown copyright 2024 (OS, ONS); MHCLG, DfE data: OGL v3.0"

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
    "vertical-align:-1px;border:1px solid #888}</style>"
)


# ----------------------------------------------------------------------------- helpers


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


def format_value(value: Any, unit: str = "", *, decimals: int | None = None) -> str:
    """Format one value for a tooltip or table: thousands separators, unit, "no data".

    Parameters
    ----------
    value
        A number (or anything else, shown as text); NaN/None read "no data".
    unit
        ``"%"`` is appended (``"% of cohort"`` too: ``"6.4% of cohort"``), ``"£"`` prefixed,
        other units follow after a space.
    decimals
        Decimal places; default 0 for integers and values of 1,000 or more, else 1 or 2.

    Returns
    -------
    str
        Plain text (not escaped).

    Examples
    --------
    >>> format_value(12.345, "%")
    '12.3%'
    >>> format_value(float("nan"))
    'no data'
    """
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "no data"
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        v = float(value)
        if decimals is None:
            if v == int(v) and abs(v) < 1e15 and isinstance(value, (int, np.integer)):
                decimals = 0
            elif abs(v) >= 1000:
                decimals = 0
            elif abs(v) >= 10:
                decimals = 1
            else:
                decimals = 2
        s = f"{v:,.{decimals}f}"
    else:
        return str(value)
    unit = (unit or "").strip()
    if unit in ("%", "percent", "per cent"):
        return s + "%"
    if unit.startswith("% "):
        return s + unit
    if unit in ("£", "GBP"):
        return ("-£" + s[1:]) if s.startswith("-") else "£" + s
    return f"{s} {unit}" if unit else s


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


class _VectorLayer(Layer):
    """One Leaflet GeoJSON layer styled from a precomputed ``_fill`` property."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
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

    def _get_self_bounds(self) -> list[list[float]]:
        return self.bounds


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


# ----------------------------------------------------------------------------- public API


def base_map(
    *,
    bounds: Sequence[Sequence[float]] | None = None,
    tiles: str | None = None,
    attribution: str = DEFAULT_ATTRIBUTION,
    asset_base_url: str = STATIC_URL,
    height: str | int = "100%",
) -> folium.Map:
    """An empty map with local Leaflet, canvas rendering and the attribution set.

    Parameters
    ----------
    bounds
        ``[[south, west], [north, east]]`` to fit; default Great Britain.
    tiles
        A folium tile name or URL template; default ``None`` (no base tiles: a machine
        without internet cannot fetch them, and the boundaries give the context).
    attribution
        Text added to Leaflet's attribution control (escaped).
    asset_base_url
        Absolute URL where ``static/vendor`` is served (see :func:`geo.assets.local_asset_urls`).
    height
        Height of the map element.

    Returns
    -------
    folium.Map
        ``prefer_canvas=True``, ``default_js`` / ``default_css`` pointing at the local Leaflet only.

    Examples
    --------
    >>> m = base_map()
    >>> m.default_js
    [('leaflet', '/app/static/vendor/leaflet-1.9.4/leaflet.js')]
    """
    urls = local_asset_urls(base_url=asset_base_url)
    m = folium.Map(
        location=None,
        tiles=tiles,
        prefer_canvas=True,
        control_scale=True,
        zoom_snap=0.25,
        height=height,
    )
    m.default_js = list(urls["js"])
    m.default_css = list(urls["css"])
    m.get_root().header.add_child(Element(_TIP_CSS), name="oppmap_css")
    if attribution:
        m.add_child(_Attribution(attribution))
    b = bounds if bounds is not None else [[49.8, -8.7], [60.9, 1.8]]
    m.fit_bounds([list(b[0]), list(b[1])])
    return m


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


def add_legend(
    m: folium.Map,
    classes: pd.Series,
    *,
    polarity: str,
    label: str,
    unit: str = "",
    palette_name: str = "ylorrd",
    position: str = "bottomright",
    note: str | None = None,
) -> folium.Map:
    """Add a class legend (colours, ranges with units, counts, "darker = worse") to ``m``.

    Parameters
    ----------
    m
        The map; modified in place and returned.
    classes
        Output of :func:`geo.classify.classify` (its ``attrs`` carry the bins).
    polarity, palette_name
        As in :func:`geo.classify.palette`.
    label, unit
        The indicator's label and unit (escaped).
    position
        Leaflet control position.
    note
        An extra line (escaped), e.g. "Quantiles, 5 classes".

    Returns
    -------
    folium.Map
        ``m``.

    Examples
    --------
    >>> c = classify(pd.Series([1.0, 2.0, 3.0, 4.0]), k=2)
    >>> _ = add_legend(base_map(), c, polarity="higher_worse", label="Score")
    """
    k = classes.attrs["k"]
    colours = palette(k, polarity=polarity, name=palette_name)
    labels = legend_labels(classes.attrs["bins"], unit, lower=classes.attrs.get("lower"))
    counts = np.bincount(classes.dropna().astype(int), minlength=k)[:k].tolist()
    text = _legend_html(
        title=label,
        unit=unit,
        colours=colours,
        labels=labels,
        counts=counts,
        polarity=polarity,
        n_missing=int(classes.isna().sum()),
        note=note,
    )
    m.add_child(_Legend(text, position=position))
    return m


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


def choropleth_map(
    gdf: gpd.GeoDataFrame,
    column: str,
    *,
    scheme: str = "quantiles",
    k: int | None = None,
    polarity: str = "higher_worse",
    label: str | None = None,
    unit: str = "",
    tooltip_fields: Mapping[str, str] | Sequence[str] | None = None,
    highlight: str | Iterable[str] | None = None,
    name_column: str | None = "name",
    palette_name: str = "ylorrd",
    attribution: str = DEFAULT_ATTRIBUTION,
    tiles: str | None = None,
    precision: int = 5,
    fit: str = "all",
    layer_name: str | None = None,
    asset_base_url: str = STATIC_URL,
) -> folium.Map:
    """A choropleth of one column: one GeoJSON layer, colours precomputed, canvas rendering.

    Parameters
    ----------
    gdf
        Display copy in EPSG:4326, indexed by area code, with ``column`` (numeric; NaN is drawn
        grey as "no data") and usually a ``name`` column.
    column
        The column to map.
    scheme, k
        Classification (:func:`geo.classify.classify`).
    polarity
        ``"higher_worse"`` or ``"higher_better"``: the darkest colour is always the worse end.
    label, unit
        Indicator label (default ``column``) and unit, for the tooltip and legend.
    tooltip_fields
        Extra columns for the tooltip: a list, or a mapping column -> label. The area name and
        the mapped value are always shown. Every name and value is HTML-escaped.
    highlight
        One code or several to outline in black on top (e.g. the selected council).
    name_column
        Column holding area names (``None`` for codes only).
    palette_name
        ``"ylorrd"``, ``"pubu"`` or ``"viridis"``.
    attribution
        Text for the map's attribution control.
    tiles
        Base tiles; default none (see :func:`base_map`).
    precision
        Decimal places kept in coordinates (5 is about 1 m).
    fit
        ``"all"`` fits the map to every area, ``"highlight"`` to the highlighted ones.
    layer_name
        Name of the layer (default ``label``).
    asset_base_url
        Where the vendored Leaflet is served.

    Returns
    -------
    folium.Map
        Each feature carries ``properties.code`` (the area code), so a click on it can be read
        back from ``st_folium(..., returned_objects=["last_active_drawing"])``.

    Raises
    ------
    InputError
        Wrong CRS, duplicated codes, missing column or geometry, unknown scheme or polarity,
        unknown highlight codes.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame({"name": ["A", "B"], "v": [1.0, 2.0]},
    ...     geometry=[box(0, 51, 1, 52), box(1, 51, 2, 52)], crs=4326,
    ...     index=pd.Index(["E1", "E2"], name="lad24_code"))
    >>> m = choropleth_map(g, "v", k=2, unit="%")
    """
    _check_gdf(gdf)
    _check_column(gdf, column)
    if not (pd.api.types.is_numeric_dtype(gdf[column]) or gdf[column].isna().all()):
        msg = f"`column` {column!r} must be numeric; got dtype {gdf[column].dtype}."
        raise InputError(msg)
    if normalise_key(fit) not in ("all", "highlight"):
        msg = f"`fit` must be 'all' or 'highlight'; got {fit!r}."
        raise InputError(msg)
    label = label or column
    highlight_codes: list[str] = []
    if highlight is not None:
        highlight_codes = [highlight] if isinstance(highlight, str) else list(highlight)
        unknown = [c for c in highlight_codes if c not in gdf.index]
        if unknown:
            msg = (
                f"`highlight` codes {format_codes(unknown)} are not in `gdf`'s index "
                f"({gdf.index.name or 'codes'}); pass codes of the mapped level."
            )
            raise InputError(msg)

    classes = classify(gdf[column], scheme=scheme, k=k)
    fills = colours_for(classes, polarity=polarity, name=palette_name)
    props, fields, aliases = _tooltip_spec(
        gdf, column, label=label, unit=unit, name_column=name_column, tooltip_fields=tooltip_fields
    )
    props.insert(0, "code", [str(c) for c in gdf.index])
    props["_fill"] = fills.to_numpy()

    bounds = _bounds_latlon(gdf)
    if highlight_codes and normalise_key(fit) == "highlight":
        fit_bounds = _bounds_latlon(gdf.loc[highlight_codes])
    else:
        fit_bounds = bounds
    m = base_map(
        bounds=fit_bounds, tiles=tiles, attribution=attribution, asset_base_url=asset_base_url
    )
    layer = _VectorLayer(
        _features_json(gdf, props, precision=precision),
        bounds,
        name=layer_name or label,
        base_style=_BASE_STYLE,
        hover_style=_HOVER_STYLE,
        tooltip_fields=fields,
        tooltip_aliases=aliases,
    )
    m.add_child(layer)
    if highlight_codes:
        sel = gdf.loc[highlight_codes]
        m.add_child(
            _VectorLayer(
                _features_json(sel, pd.DataFrame({"code": sel.index.astype(str)}, index=sel.index),
                               precision=precision),
                _bounds_latlon(sel),
                name="Selected",
                base_style={"color": "#000000", "weight": 3, "opacity": 1, "fill": False},
                hover_style=None,
                interactive=False,
                control=False,
            )
        )
    scheme_note = f"{classes.attrs['scheme'].replace('_', ' ')}, {classes.attrs['k']} classes"
    add_legend(
        m, classes, polarity=polarity, label=label, unit=unit, palette_name=palette_name,
        note=scheme_note,
    )
    return m


class LsoaImage(NamedTuple):
    """A rendered national LSOA choropleth: the PNG, its lat/lon bounds and the classes.

    Plain data (picklable), so an app can cache it and build the map on each rerun.
    """

    png: bytes
    bounds: list[list[float]]
    classes: pd.Series


def render_lsoa_image(
    gdf: gpd.GeoDataFrame,
    column: str,
    *,
    scheme: str = "deciles",
    k: int | None = None,
    polarity: str = "higher_worse",
    palette_name: str = "ylorrd",
    resolution: float = 500,
) -> LsoaImage:
    """Classify and paint every LSOA into one PNG (33,755 polygons are too many to draw).

    Colours are computed here (:mod:`geo.classify`) and burnt into a Web Mercator PNG by
    :func:`geo.raster.rasterize_for_display`; areas without a value are painted grey.

    Parameters
    ----------
    gdf
        LSOA boundaries in EPSG:27700 (the analysis copy, not the display copy), with ``column``.
    column
        The column to map.
    scheme, k, polarity, palette_name
        As in :func:`choropleth_map`.
    resolution
        Pixel size in metres (500 m keeps England's PNG near 0.3 MB; zoom in via a council).

    Returns
    -------
    LsoaImage

    Raises
    ------
    InputError
        Missing column, duplicated codes, unknown scheme or polarity, unprojected CRS.

    Examples
    --------
    >>> image = render_lsoa_image(lsoas, "imd_score")  # doctest: +SKIP
    """
    _check_gdf(gdf, geographic=False)
    _check_column(gdf, column)
    from geo.raster import rasterize_for_display

    classes = classify(gdf[column], scheme=scheme, k=k)
    colours = colours_for(classes, polarity=polarity, name=palette_name)
    png, bounds = rasterize_for_display(gdf, None, colors=colours, resolution=resolution)
    bounds = [[float(bounds[0][0]), float(bounds[0][1])], [float(bounds[1][0]), float(bounds[1][1])]]
    return LsoaImage(png=png, bounds=bounds, classes=classes)


def national_lsoa_overlay(
    image: LsoaImage, *, opacity: float = 0.9, name: str = "LSOAs"
) -> folium.raster_layers.ImageOverlay:
    """The image of :func:`render_lsoa_image` as a Leaflet image overlay (PNG as a data URL).

    Parameters
    ----------
    image
        From :func:`render_lsoa_image`.
    opacity
        Image opacity.
    name
        Layer name.

    Returns
    -------
    folium.raster_layers.ImageOverlay

    Examples
    --------
    >>> overlay = national_lsoa_overlay(render_lsoa_image(lsoas, "imd_score"))  # doctest: +SKIP
    """
    if not isinstance(image, LsoaImage):
        msg = f"`image` must be the LsoaImage of render_lsoa_image(); got {type(image).__name__}."
        raise InputError(msg)
    url = "data:image/png;base64," + base64.b64encode(image.png).decode("ascii")
    return folium.raster_layers.ImageOverlay(
        url, image.bounds, opacity=opacity, name=name, pixelated=False, interactive=False
    )


def lsoa_overview_map(
    image: LsoaImage,
    *,
    label: str,
    unit: str = "",
    polarity: str = "higher_worse",
    palette_name: str = "ylorrd",
    outlines: gpd.GeoDataFrame | None = None,
    outline_precision: int = 4,
    attribution: str = DEFAULT_ATTRIBUTION,
    asset_base_url: str = STATIC_URL,
) -> folium.Map:
    """A national map of every LSOA as an image, with optional clickable council outlines.

    Parameters
    ----------
    image
        From :func:`render_lsoa_image` (polarity and palette must match the ones used there).
    label, unit, polarity, palette_name
        For the legend.
    outlines
        Council boundaries (EPSG:4326 display copy, ``name`` column) drawn as thin clickable
        outlines on top, each with ``properties.code`` as in :func:`choropleth_map`.
    outline_precision
        Coordinate decimals of the outlines (4 is about 10 m, plenty at national zoom).
    attribution, asset_base_url
        As in :func:`base_map`.

    Returns
    -------
    folium.Map

    Examples
    --------
    >>> m = lsoa_overview_map(render_lsoa_image(lsoas, "imd_score"), label="IMD score")  # doctest: +SKIP
    """
    overlay = national_lsoa_overlay(image, name=label)
    m = base_map(bounds=image.bounds, attribution=attribution, asset_base_url=asset_base_url)
    m.add_child(overlay)
    if outlines is not None:
        _check_gdf(outlines, name="outlines")
        props = pd.DataFrame({"code": outlines.index.astype(str)}, index=outlines.index)
        names = outlines["name"] if "name" in outlines.columns else outlines.index.to_series()
        props["name"] = [html.escape(f"{n} ({c})") for n, c in zip(names, outlines.index, strict=True)]
        m.add_child(
            _VectorLayer(
                _features_json(outlines, props, precision=outline_precision),
                _bounds_latlon(outlines),
                name="Councils",
                base_style={"color": "#333333", "weight": 0.5, "opacity": 0.7,
                            "fillOpacity": 0, "fillColor": "#ffffff"},
                hover_style={"color": "#000000", "weight": 2, "opacity": 1},
                tooltip_fields=["name"],
                tooltip_aliases=["Council"],
            )
        )
    classes = image.classes
    add_legend(
        m, classes, polarity=polarity, label=label, unit=unit, palette_name=palette_name,
        note=f"{classes.attrs['scheme'].replace('_', ' ')} of {int(classes.notna().sum()):,} LSOAs",
    )
    return m


def _hotspot_key(label: Any) -> str:
    key = normalise_key(str(label)).replace("%", "").replace("*", "")
    key = key.replace("(", "").replace(")", "").replace(",", "").replace(".", "")
    while "__" in key:
        key = key.replace("__", "_")
    return key.strip("_")


def hotspot_layer(
    gdf: gpd.GeoDataFrame,
    labels: pd.Series,
    *,
    name: str = "Hotspots",
    colours: Mapping[str, str | None] | None = None,
    details: Mapping[str, pd.Series] | None = None,
    outline: bool = True,
    precision: int = 5,
    show: bool = True,
) -> folium.FeatureGroup:
    """Significant hotspots or clusters: coloured areas plus outlines of contiguous clusters.

    Parameters
    ----------
    gdf
        Display copy in EPSG:4326 of the analysed areas, indexed by code (names in ``name``).
    labels
        One label per area, indexed like ``gdf`` (e.g. ``"hot spot"``, ``"cold spot"``,
        ``"not significant"`` from Gi*, or ``"High-High"``, ``"Low-Low"``, ``"High-Low"``,
        ``"Low-High"``, ``"not significant"`` from local Moran). Labels are matched on a
        normalised key (case, spaces, hyphens, "%" ignored): see :data:`HOTSPOT_COLOURS`.
    name
        Layer name.
    colours
        Label -> colour overrides (``None`` = do not draw).
    details
        Extra tooltip lines: label -> Series indexed like ``gdf`` (e.g. ``{"z": z, "q (FDR)": q}``).
    outline
        Draw the outline of each cluster (touching areas with the same label, dissolved).
    precision
        Coordinate decimals.
    show
        Whether the layer is on when the map opens.

    Returns
    -------
    folium.FeatureGroup
        Add it to a map from :func:`choropleth_map` (and a ``folium.LayerControl``).

    Raises
    ------
    InputError
        Labels not indexed like ``gdf``, or an unknown label without a colour.

    Examples
    --------
    >>> fg = hotspot_layer(lsoas, labels)  # doctest: +SKIP
    """
    _check_gdf(gdf)
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
    fill = keys.map(palette_map)
    drawn = fill.notna()
    group = folium.FeatureGroup(name=name, overlay=True, show=show)
    if not drawn.any():
        return group
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


def add_hotspot_legend(
    m: folium.Map, labels: pd.Series, *, title: str = "Hotspots", note: str | None = None,
    position: str = "bottomleft",
) -> folium.Map:
    """Add a legend of the hotspot or cluster labels present in ``labels`` (with counts).

    Parameters
    ----------
    m
        The map (modified in place and returned).
    labels
        The labels given to :func:`hotspot_layer`.
    title, note
        Legend title and an optional line under it (both escaped), e.g. "FDR 5%".
    position
        Leaflet control position.

    Returns
    -------
    folium.Map

    Examples
    --------
    >>> _ = add_hotspot_legend(base_map(), pd.Series(["hot spot 95%", "not significant"]))
    """
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
    m.add_child(_Legend("".join(rows), position=position))
    return m


def map_table(
    gdf: pd.DataFrame,
    column: str,
    *,
    scheme: str = "quantiles",
    k: int | None = None,
    unit: str = "",
    name_column: str | None = "name",
) -> pd.DataFrame:
    """The map as a table (the accessible alternative): name, value, class range, rank.

    Parameters
    ----------
    gdf
        A (Geo)DataFrame indexed by area code with ``column``.
    column, scheme, k, unit, name_column
        As in :func:`choropleth_map`.

    Returns
    -------
    pandas.DataFrame
        Indexed exactly like ``gdf``, columns ``name`` (if available), ``value``, ``class``
        (1 = lowest values), ``range`` (legend label) and ``rank`` (1 = highest value).

    Examples
    --------
    >>> t = map_table(pd.DataFrame({"v": [1.0, 3.0]}, index=["a", "b"]), "v", k=2)
    >>> t["rank"].tolist()
    [2, 1]
    """
    if not isinstance(gdf, pd.DataFrame):
        msg = f"`gdf` must be a DataFrame indexed by area code; got {type(gdf).__name__}."
        raise InputError(msg)
    if column not in gdf.columns:
        msg = f"`column` {column!r} is not in `gdf`; available: {list(gdf.columns)}."
        raise InputError(msg)
    classes = classify(gdf[column], scheme=scheme, k=k)
    labels = legend_labels(classes.attrs["bins"], unit, lower=classes.attrs["lower"])
    out = pd.DataFrame(index=gdf.index)
    if name_column is not None and name_column in gdf.columns:
        out["name"] = gdf[name_column]
    out["value"] = gdf[column].astype("float64")
    out["class"] = (classes + 1).astype("Int64")
    out["range"] = [labels[int(c)] if pd.notna(c) else "no data" for c in classes]
    out["rank"] = out["value"].rank(ascending=False, method="min").astype("Int64")
    return out


def describe_values(
    values: pd.Series,
    *,
    label: str,
    unit: str = "",
    polarity: str = "higher_worse",
    names: pd.Series | None = None,
    area_word: str = "areas",
) -> str:
    """A one-sentence summary of a map for screen readers and the caption.

    Parameters
    ----------
    values
        The mapped values indexed by code.
    label, unit, polarity
        The indicator's label, unit and polarity.
    names
        Area names indexed by code (codes are used when missing).
    area_word
        Plural noun for the areas ("councils", "LSOAs").

    Returns
    -------
    str
        E.g. "IMD score across 296 councils: worst Blackpool (45.0), best Hart (5.2),
        median 20.1; 0 without data."

    Examples
    --------
    >>> s = pd.Series([1.0, 5.0, 3.0], index=["a", "b", "c"])
    >>> describe_values(s, label="Score")
    'Score across 3 areas: worst b (5.00), best a (1.00), median 3.00.'
    """
    pol = normalise_key(polarity)
    if pol not in ("higher_worse", "higher_better"):
        msg = f"`polarity` {polarity!r} is not known; expected 'higher_worse' or 'higher_better'."
        raise InputError(msg)
    v = pd.to_numeric(values, errors="coerce").dropna()
    if v.empty:
        return f"{label}: no data to describe."
    worst_code = v.idxmax() if pol == "higher_worse" else v.idxmin()
    best_code = v.idxmin() if pol == "higher_worse" else v.idxmax()

    def nm(code: Any) -> str:
        if names is not None and code in names.index and pd.notna(names.loc[code]):
            return str(names.loc[code])
        return str(code)

    top = float(v.abs().max())
    decimals = 0 if top >= 1000 else 1 if top >= 10 else 2

    def fmt(x: float) -> str:
        return format_value(float(x), unit, decimals=decimals)

    n_missing = int(len(values) - len(v))
    tail = f"; {n_missing} without data" if n_missing else ""
    return (
        f"{label} across {len(v):,} {area_word}: worst {nm(worst_code)} "
        f"({fmt(v.loc[worst_code])}), best {nm(best_code)} "
        f"({fmt(v.loc[best_code])}), median {fmt(v.median())}"
        f"{tail}."
    )


def to_standalone_html(
    m: folium.Map, *, title: str = "oppmap", assets_dir: str | None = None
) -> str:
    """Render a map as one self-contained HTML file, Leaflet inlined (works offline, alone).

    Parameters
    ----------
    m
        A map from this module.
    title
        The page title (escaped).
    assets_dir
        The vendor folder; default ``static/vendor`` (:data:`geo.assets.VENDOR_DIR`).

    Returns
    -------
    str
        HTML with no external script or style sheet.

    Raises
    ------
    geo._errors.OppmapError
        When the vendored assets are not installed (``python -m geo assets``).

    Examples
    --------
    >>> html_text = to_standalone_html(choropleth_map(g, "v"))  # doctest: +SKIP
    """
    assets = inline_assets(assets_dir)
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
