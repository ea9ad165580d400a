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
- every name and value shown in a tooltip or legend goes through :func:`html.escape`;
- the national LSOA image is painted from a grid of area positions burnt once
  (:func:`lsoa_grid`), so a new indicator or class scheme costs a colour lookup, not a
  rasterisation of 33,755 polygons.

The Leaflet elements themselves (layer, legend, labels) are private, in :mod:`geo._map_elements`.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import Element

from geo._errors import InputError
from geo._map_elements import (
    _BASE_STYLE,
    _HOVER_STYLE,
    _TIP_CSS,
    HOTSPOT_COLOURS,
    _Attribution,
    _bounds_latlon,
    _check_column,
    _check_gdf,
    _check_paint,
    _cluster_outlines,
    _cluster_owner,
    _dissolve_by,
    _features_json,
    _highlight_codes,
    _highlight_layer,
    _hotspot_areas,
    _hotspot_fill,
    _hotspot_legend_html,
    _Legend,
    _legend_html,
    _outline_layer,
    _paint_grid,
    _position_grid,
    _PositionGrid,
    _standalone_html,
    _tooltip_spec,
    _VectorLayer,
)
from geo.assets import STATIC_URL, inline_assets, local_asset_urls
from geo.classify import (
    classify,
    colours_for,
    describe_values,
    format_value,
    legend_labels,
    map_table,
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
    "LsoaGrid",
    "lsoa_grid",
    "paint_lsoa_grid",
    "render_lsoa_image",
    "national_lsoa_overlay",
    "lsoa_overview_map",
    "hotspot_layer",
    "add_hotspot_legend",
    "CLUSTER_COLOUR",
    "cluster_outlines",
    "cluster_layer",
    "map_table",
    "describe_values",
    "format_value",
    "to_standalone_html",
]

#: Short attribution for the map's attribution control (the full lines go under each map).
DEFAULT_ATTRIBUTION = "© Crown copyright 2024 (OS, ONS); MHCLG, DfE data: OGL v3.0"



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
    highlight_codes = _highlight_codes(gdf, highlight)

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
        m.add_child(_highlight_layer(gdf.loc[highlight_codes], precision=precision))
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


#: The grid of :func:`lsoa_grid`: ``grid`` (row position + 1 per pixel, 0 = none), ``codes``
#: (the areas in row order) and ``bounds`` (``[[south, west], [north, east]]``).
LsoaGrid = _PositionGrid


def lsoa_grid(gdf: gpd.GeoDataFrame, *, resolution: float = 500) -> LsoaGrid:
    """Burn every area into a Web Mercator grid once (the slow step of a national image).

    Build it once per process (about 3 s for England's 33,755 LSOAs at 500 m) and paint any
    indicator with :func:`paint_lsoa_grid` in a fraction of a second.

    Parameters
    ----------
    gdf
        Boundaries in EPSG:27700 (the analysis copy), indexed by code.
    resolution
        Pixel size on the ground in metres (500 m keeps England's PNG near 0.1 MB).

    Returns
    -------
    LsoaGrid

    Raises
    ------
    InputError
        Unprojected CRS, duplicated codes, missing geometries, bad resolution.

    Examples
    --------
    >>> grid = lsoa_grid(lsoas)  # doctest: +SKIP
    """
    _check_gdf(gdf, geographic=False)
    return _position_grid(gdf, resolution=resolution)


def paint_lsoa_grid(
    grid: LsoaGrid,
    values: pd.Series,
    *,
    scheme: str = "deciles",
    k: int | None = None,
    polarity: str = "higher_worse",
    palette_name: str = "ylorrd",
) -> LsoaImage:
    """Classify ``values`` and paint each area of ``grid`` in its class colour.

    Areas in ``values`` with a missing value are painted grey ("no data"); areas of the grid
    that are not in ``values`` at all stay transparent (so one grid of England and Wales serves
    an England-only indicator); codes that are not in the grid are refused.

    Parameters
    ----------
    grid
        From :func:`lsoa_grid`.
    values
        Numbers indexed by area code (a subset of the grid's codes).
    scheme, k, polarity, palette_name
        As in :func:`choropleth_map`.

    Returns
    -------
    LsoaImage
        The PNG, its bounds and the classes (indexed like ``values``).

    Raises
    ------
    InputError
        ``grid`` not from :func:`lsoa_grid`, codes outside the grid, unknown scheme or polarity.

    Examples
    --------
    >>> image = paint_lsoa_grid(grid, iod["imd_score"], scheme="quantiles")  # doctest: +SKIP
    """
    _check_paint(grid, values)
    classes = classify(values, scheme=scheme, k=k)
    colours = colours_for(classes, polarity=polarity, name=palette_name)
    png = _paint_grid(grid, colours)
    return LsoaImage(png=png, bounds=[list(b) for b in grid.bounds], classes=classes)


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

    :func:`lsoa_grid` then :func:`paint_lsoa_grid` in one call; an app that paints several
    indicators should keep the grid and call :func:`paint_lsoa_grid` alone.

    Parameters
    ----------
    gdf
        LSOA boundaries in EPSG:27700 (the analysis copy, not the display copy), with ``column``.
    column
        The column to map.
    scheme, k, polarity, palette_name
        As in :func:`choropleth_map`.
    resolution
        Pixel size in metres.

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
    return paint_lsoa_grid(lsoa_grid(gdf, resolution=resolution), gdf[column], scheme=scheme,
                           k=k, polarity=polarity, palette_name=palette_name)


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
        m.add_child(_outline_layer(outlines, precision=outline_precision))
    classes = image.classes
    add_legend(
        m, classes, polarity=polarity, label=label, unit=unit, palette_name=palette_name,
        note=f"{classes.attrs['scheme'].replace('_', ' ')} of {int(classes.notna().sum()):,} LSOAs",
    )
    return m



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
    labels, keys, fill = _hotspot_fill(gdf, labels, colours)
    drawn = fill.notna()
    group = folium.FeatureGroup(name=name, overlay=True, show=show)
    if not drawn.any():
        return group
    return _hotspot_areas(group, gdf, labels, keys, fill, name=name, details=details,
                          outline=outline, precision=precision)


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
    m.add_child(_Legend(_hotspot_legend_html(labels, title=title, note=note), position=position))
    return m


#: Outline colour of named clusters (ColorBrewer PuOr's darkest purple: apart from the
#: red/blue of hot and cold spots and from every choropleth palette's darkest colour).
CLUSTER_COLOUR = "#542788"


def cluster_outlines(
    gdf: gpd.GeoDataFrame,
    clusters: pd.DataFrame,
    *,
    precision: int = 5,
    simplify: float | None = None,
) -> gpd.GeoDataFrame:
    """One outline per named cluster: its areas dissolved (cacheable input of :func:`cluster_layer`).

    Parameters
    ----------
    gdf
        Display copy in EPSG:4326 of the areas, indexed by code. Clusters are drawn from the
        members found here (the rest of a cluster beyond ``gdf`` is left out).
    clusters
        Indexed by cluster id, with ``name`` and ``lsoa_codes`` (``";"``-joined member codes)
        and optionally ``n_lsoas``, ``population``, ``domains`` (the store's ``clusters``
        table, see :func:`geo.clusters.hotspot_clusters`).
    precision
        Coordinate decimals the areas are snapped to before dissolving (4 is about 10 m).
    simplify
        Optional simplification tolerance in degrees for national views (e.g. 0.0005).

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, indexed by cluster id (those with a member in ``gdf``): the columns of
        ``clusters`` except ``lsoa_codes``, ``lat`` / ``lon`` of a point inside (for labels)
        and the geometry.

    Raises
    ------
    InputError
        ``clusters`` without ``name`` or ``lsoa_codes``, or an area in two clusters.

    Examples
    --------
    >>> outlines = cluster_outlines(lsoas, geo.load_indicators("clusters"))  # doctest: +SKIP
    """
    _check_gdf(gdf)
    owner = _cluster_owner(clusters)
    shapes = _dissolve_by(gdf, owner, precision=precision, simplify=simplify)
    info = clusters.loc[shapes.index].drop(columns="lsoa_codes")
    out = gpd.GeoDataFrame(info.join(shapes), geometry="geometry", crs=gdf.crs)
    out.index.name = clusters.index.name or "cluster_id"
    return out


def cluster_layer(
    outlines: gpd.GeoDataFrame,
    *,
    name: str = "Named clusters",
    colour: str = CLUSTER_COLOUR,
    precision: int = 5,
    label_top: int = 5,
    label_min_zoom: float = 0,
    show: bool = True,
) -> folium.FeatureGroup:
    """Named clusters outlined, with their name in a tooltip and on the map for the largest.

    The outlines are drawn in an SVG pane over the canvas, so hovering one shows the
    cluster's name, size, people and domains while the areas underneath stay clickable.

    Parameters
    ----------
    outlines
        From :func:`cluster_outlines`.
    name
        Layer name.
    colour
        Outline colour.
    precision
        Coordinate decimals.
    label_top
        How many clusters (most people first) are also named on the map (0 for none).
    label_min_zoom
        Zoom level from which those names show (e.g. 9 on a national map, where they overlap).
    show
        Whether the layer is on when the map opens.

    Returns
    -------
    folium.FeatureGroup
        Empty when ``outlines`` is.

    Examples
    --------
    >>> fg = cluster_layer(cluster_outlines(lsoas, clusters))  # doctest: +SKIP
    """
    if not isinstance(outlines, gpd.GeoDataFrame) or "name" not in outlines.columns:
        msg = "`outlines` must be the GeoDataFrame of cluster_outlines() (with a `name` column)."
        raise InputError(msg)
    group = folium.FeatureGroup(name=name, overlay=True, show=show)
    if outlines.empty:
        return group
    _check_gdf(outlines, name="outlines")
    return _cluster_outlines(group, outlines, outlines, name=name, colour=colour,
                             precision=precision, label_top=label_top,
                             label_min_zoom=label_min_zoom)


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
    return _standalone_html(m, inline_assets(assets_dir), title=title)
