"""Choropleth maps that draw without internet: the base map, one-column choropleths, legends.

Pure functions: each returns a :class:`folium.Map`; no Streamlit call here. Design choices,
each for a measured reason:

- one GeoJSON layer per map whose style reads a precomputed colour property (``_fill``) in
  JavaScript, instead of folium's per-feature ``style_function`` (which writes one style entry
  per feature into the page); classes are computed once in Python (:mod:`geo.maps.classes`);
- ``prefer_canvas=True``: one canvas instead of one SVG path per area;
- coordinates rounded to ``precision`` decimals (5 = about 1 m) and compact JSON;
- no base tiles by default (the boundaries give the context, and there is no internet);
- Leaflet from ``static/vendor`` (:mod:`geo.maps.assets`), or inlined by
  :func:`to_standalone_html` for a file that opens anywhere, byte-identical for the same map.

The Leaflet elements themselves (layer, legend, attribution) are in :mod:`geo.maps.elements`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import cast

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import Figure

from geo._errors import InputError
from geo.maps._legend import _Legend, _legend_html
from geo.maps._safe import _Inert
from geo.maps.assets import STATIC_URL, inline_assets, local_asset_urls
from geo.maps.classes import (
    NOT_COVERED,
    NOT_COVERED_COLOUR,
    classify,
    colours_for,
    normalise_key,
    palette,
)
from geo.maps.elements import (
    _BASE_STYLE,
    _HOVER_STYLE,
    _TIP_CSS,
    _Attribution,
    _bounds_latlon,
    _check_column,
    _check_gdf,
    _features_json,
    _highlight_codes,
    _highlight_layer,
    _tooltip_spec,
    _VectorLayer,
)
from geo.maps.frame import _FRAME_CSS, frame_element
from geo.maps.text import class_labels

__all__ = ['base_map', 'choropleth_map', 'add_legend', 'to_standalone_html']


def base_map(
    *,
    attribution: str,
    bounds: Sequence[Sequence[float]] | None = None,
    tiles: str | None = None,
    asset_base_url: str = STATIC_URL,
    height: str | int = "100%",
    title: str = "Map",
) -> folium.Map:
    """An empty map with local Leaflet, canvas rendering, the attribution and its frame set.

    Parameters
    ----------
    bounds
        ``[[south, west], [north, east]]`` to fit; default Great Britain.
    tiles
        A folium tile name or URL template; default ``None`` (no base tiles: a machine
        without internet cannot fetch them, and the boundaries give the context).
    attribution
        Text added to Leaflet's attribution control (escaped): the sources of what the map
        draws, short form (:func:`geo.export.metadata.map_attribution`, from the registry;
        never a literal). The full statements go under the map.
    asset_base_url
        Absolute URL where ``static/vendor`` is served (see :func:`geo.maps.assets.local_asset_urls`).
    height
        Height of the map element.
    title
        The map's accessible name (:func:`geo.maps.frame.set_map_title` changes it later).

    Returns
    -------
    folium.Map
        ``prefer_canvas=True``, ``default_js`` / ``default_css`` pointing at the local Leaflet
        only, and the frame of :func:`geo.maps.frame.frame_element`: the view fits ``bounds``
        beside the legends, a mouse press never scrolls the page, the map is one tab stop.

    Examples
    --------
    >>> m = base_map(attribution="Contains OS data © Crown copyright and database right 2024")
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
    cast(Figure, m.get_root()).header.add_child(_Inert(_TIP_CSS + _FRAME_CSS),
                                                name="oppmap_css")
    b = bounds if bounds is not None else [[49.8, -8.7], [60.9, 1.8]]
    m.add_child(frame_element(b, title=title), name="oppmap_frame")
    if attribution:
        m.add_child(_Attribution(attribution))
    return m


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
    n_not_covered: int = 0,
) -> folium.Map:
    """Add a class legend (colours, ranges with units, counts, "darker = worse") to ``m``.

    Parameters
    ----------
    m
        The map; modified in place and returned.
    classes
        Output of :func:`geo.maps.classes.classify` (its ``attrs`` carry the bins).
    polarity, palette_name
        As in :func:`geo.maps.classes.palette`.
    label, unit
        The indicator's label and unit (escaped).
    position
        Leaflet control position.
    note
        An extra line (escaped), e.g. "Quantiles, 5 classes".
    n_not_covered
        Areas drawn that the indicator does not cover (another nation's index): a row "not
        covered by this index" with their count, never a silent blank.

    Returns
    -------
    folium.Map
        ``m``.

    Examples
    --------
    >>> c = classify(pd.Series([1.0, 2.0, 3.0, 4.0]), k=2)
    >>> _ = add_legend(base_map(attribution="x"), c, polarity="higher_worse", label="Score")
    """
    k = classes.attrs["k"]
    colours = palette(k, polarity=polarity, name=palette_name)
    labels = class_labels(classes, unit)
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
        n_not_covered=int(n_not_covered),
    )
    m.add_child(_Legend(text, position=position))
    return m


def _fit_bounds(gdf: gpd.GeoDataFrame, highlight_codes: list[str], fit: str) -> list:
    if normalise_key(fit) not in ("all", "highlight"):
        msg = f"`fit` must be 'all' or 'highlight'; got {fit!r}."
        raise InputError(msg)
    if highlight_codes and normalise_key(fit) == "highlight":
        return _bounds_latlon(gdf.loc[highlight_codes])
    return _bounds_latlon(gdf)


def choropleth_map(
    gdf: gpd.GeoDataFrame, column: str, *, scheme: str = "quantiles", k: int | None = None,
    polarity: str = "higher_worse", label: str | None = None, unit: str = "",
    tooltip_fields: Mapping[str, str] | Sequence[str] | None = None,
    highlight: str | Iterable[str] | None = None, name_column: str | None = "name",
    palette_name: str = "ylorrd", attribution: str,
    tiles: str | None = None, precision: int = 5, fit: str = "all",
    layer_name: str | None = None, asset_base_url: str = STATIC_URL,
    reference: pd.Series | None = None, classes_of: str | None = None, title: str | None = None,
    not_covered: Iterable[str] | None = None,
) -> folium.Map:
    """A choropleth of one column: one GeoJSON layer, colours precomputed, canvas rendering.

    Parameters
    ----------
    gdf
        Display copy in EPSG:4326, indexed by area code, with ``column`` (numeric; NaN is drawn
        grey as "no data") and usually a ``name`` column (``name_column``; None for codes only).
    column, label, unit
        The column to map, its label (default ``column``) and unit (tooltip and legend).
    scheme, k, polarity, palette_name
        Classes (:func:`geo.maps.classes.classify`) and colours (:func:`geo.maps.classes.palette`):
        the darkest colour is always the worse end.
    tooltip_fields
        Extra tooltip columns (a list, or column -> label) beside the area name and value;
        every name and value is HTML-escaped.
    highlight, fit
        Codes outlined in black on top (the selected council); ``fit="highlight"`` fits the
        map to them, ``"all"`` to every area.
    attribution, tiles, asset_base_url
        As in :func:`base_map`.
    precision, layer_name
        Coordinate decimals (5 is about 1 m); the layer's name (default ``label``).
    reference, classes_of
        Values that set the classes instead of ``gdf[column]`` (every LSOA of the nation, so
        that maps share one scheme) and, for the legend, what they are ("England's LSOAs").
    title, not_covered
        The map's accessible name (default "Map: <label>"); codes of ``gdf`` the indicator does
        not cover (another nation's), pale grey and "not covered by this index" with a count.

    Returns
    -------
    folium.Map
        Each feature carries its area code (``properties.code``).

    Raises
    ------
    InputError
        Wrong CRS, duplicated codes, missing column or geometry, unknown scheme, polarity or
        highlight codes; every area not covered.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame({"name": ["A", "B"], "v": [1.0, 2.0]},
    ...     geometry=[box(0, 51, 1, 52), box(1, 51, 2, 52)], crs=4326,
    ...     index=pd.Index(["E1", "E2"], name="lad24_code"))
    >>> m = choropleth_map(g, "v", k=2, unit="%", attribution="Source: the example")
    """
    _check_numeric(gdf, column)
    label = label or column
    highlight_codes = _highlight_codes(gdf, highlight)
    m = base_map(bounds=_fit_bounds(gdf, highlight_codes, fit), tiles=tiles,
                 attribution=attribution, asset_base_url=asset_base_url,
                 title=title or f"Map: {label}")
    outside = _outside(gdf, not_covered)
    classes = classify(gdf.loc[~outside, column], scheme=scheme, k=k, reference=reference)
    props, fields, aliases = _tooltip_spec(gdf, column, label=label, unit=unit,
                                           name_column=name_column, tooltip_fields=tooltip_fields)
    _fill_props(props, classes, outside, polarity=polarity, palette_name=palette_name)
    m.add_child(_VectorLayer(_features_json(gdf, props, precision=precision),
                             _bounds_latlon(gdf), name=layer_name or label,
                             base_style=_BASE_STYLE, hover_style=_HOVER_STYLE,
                             tooltip_fields=fields, tooltip_aliases=aliases))
    if highlight_codes:
        m.add_child(_highlight_layer(gdf.loc[highlight_codes], precision=precision))
    add_legend(m, classes, polarity=polarity, label=label, unit=unit, palette_name=palette_name,
               note=_classes_note(classes, None if reference is None else classes_of or
                                  "the reference values"), n_not_covered=int(outside.sum()))
    return m


def _classes_note(classes: pd.Series, of: str | None) -> str:
    """The legend's line on the classes: scheme, number and what set them."""
    return (f"{classes.attrs['scheme'].replace('_', ' ')}, {classes.attrs['k']} classes"
            + (f" of {of}" if of else ""))


def _fill_props(props: pd.DataFrame, classes: pd.Series, outside: pd.Series, *, polarity: str,
                palette_name: str) -> None:
    """Each feature's code and fill colour (pale grey and "not covered" where ``outside``)."""
    props.insert(0, "code", [str(c) for c in props.index])
    props.loc[outside, "value"] = NOT_COVERED
    fills = colours_for(classes, polarity=polarity, name=palette_name).reindex(props.index)
    props["_fill"] = fills.where(~outside, NOT_COVERED_COLOUR).to_numpy()


def _outside(gdf: gpd.GeoDataFrame, not_covered: Iterable[str] | None) -> pd.Series:
    """True for the rows of ``gdf`` whose code is in ``not_covered``; all of them refused."""
    codes = pd.Index([] if not_covered is None else list(not_covered))
    outside = pd.Series(gdf.index.isin(codes), index=gdf.index)
    if outside.all():
        msg = ("`not_covered` names every area of `gdf`: the indicator covers none of them, so "
               "there is nothing to classify; choose an indicator that covers these areas.")
        raise InputError(msg)
    return outside


def _check_numeric(gdf: gpd.GeoDataFrame, column: str) -> None:
    _check_gdf(gdf)
    _check_column(gdf, column)
    if not (pd.api.types.is_numeric_dtype(gdf[column]) or gdf[column].isna().all()):
        msg = f"`column` {column!r} must be numeric; got dtype {gdf[column].dtype}."
        raise InputError(msg)


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
        The vendor folder; default ``static/vendor`` (:data:`geo.maps.assets.VENDOR_DIR`).

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
    >>> html_text = to_standalone_html(choropleth_map(g, "v", attribution="x"))  # doctest: +SKIP
    """
    return _standalone_html(m, inline_assets(assets_dir), title=title)


def _standalone_html(m: folium.Map, assets: Mapping[str, str], *, title: str) -> str:
    """Render ``m`` with Leaflet's CSS and JS inlined, leaving the map as it was."""
    saved_js, saved_css = m.default_js, m.default_css
    m.default_js, m.default_css = [], []
    try:
        root = cast(Figure, m.get_root())
        root.header.add_child(
            _Inert("<style>" + assets["css"] + "</style>"),
            name="leaflet_inline_css",
        )
        root.header.add_child(
            _Inert("<script>" + assets["js"].replace("</script", "<\\/script") + "</script>"),
            name="leaflet_inline_js",
        )
        text = root.render()
    finally:
        m.default_js, m.default_css = saved_js, saved_css
        for key in ("leaflet_inline_css", "leaflet_inline_js"):
            cast(Figure, m.get_root()).header._children.pop(key, None)
    text = text.replace("<head>", f"<head>\n<title>{html.escape(title)}</title>", 1)
    return _number_element_ids(text)


#: folium names each element ``<kind>_<32 random hex digits>``.
_ELEMENT_ID = re.compile(r"(?<=_)[0-9a-f]{32}(?![0-9A-Za-z])")


def _number_element_ids(text: str) -> str:
    """Replace folium's random element ids by their order of first appearance."""
    order: dict[str, str] = {}
    return _ELEMENT_ID.sub(lambda m: order.setdefault(m.group(0), f"{len(order):032d}"), text)
