"""The national LSOA map: every neighbourhood of England and Wales painted into one image.

33,755 LSOA polygons are too many for a browser to draw, so the national view is a PNG in a
Leaflet image overlay: :func:`lsoa_grid` burns every area once into a grid of row positions
(about 3 s), :func:`paint_lsoa_grid` classifies an indicator and paints the grid by a colour
lookup (a fraction of a second), :func:`lsoa_overview_map` puts the image, its legend and
clickable council outlines on a map. :func:`render_lsoa_image` does the first two in one call.
"""

from __future__ import annotations

import base64
from typing import NamedTuple

import folium
import geopandas as gpd
import pandas as pd

from geo._errors import InputError
from geo.maps._position import _check_paint, _paint_grid, _position_grid, _PositionGrid
from geo.maps.assets import STATIC_URL
from geo.maps.choropleth import DEFAULT_ATTRIBUTION, add_legend, base_map
from geo.maps.classes import classify, colours_for
from geo.maps.elements import _check_column, _check_gdf, _outline_layer

__all__ = ['LsoaImage', 'LsoaGrid', 'lsoa_grid', 'paint_lsoa_grid', 'render_lsoa_image', 'national_lsoa_overlay', 'lsoa_overview_map']


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
    title: str | None = None,
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
    title
        The map's accessible name; default "Map: <label> by neighbourhood".

    Returns
    -------
    folium.Map

    Examples
    --------
    >>> m = lsoa_overview_map(render_lsoa_image(lsoas, "imd_score"), label="IMD score")  # doctest: +SKIP
    """
    overlay = national_lsoa_overlay(image, name=label)
    m = base_map(bounds=image.bounds, attribution=attribution, asset_base_url=asset_base_url,
                 title=title or f"Map: {label} by neighbourhood")
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
