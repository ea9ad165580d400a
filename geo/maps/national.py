"""The national neighbourhood map: every small area of Great Britain painted into images.

35,672 LSOAs and 6,976 data zones are too many polygons for a browser to draw, so the national
view is a PNG per small-area level in Leaflet image overlays: :func:`lsoa_grid` burns every area
once into a grid of row positions (about 3 s; the store keeps one per level),
:func:`paint_lsoa_grid` classifies an indicator and paints one grid by a colour lookup (a
fraction of a second), :func:`paint_national_grids` paints several grids (LSOAs of England and
Wales, data zones of Scotland) on one class scheme, the areas an indicator does not cover pale
grey, and :func:`lsoa_overview_map` puts the images, their legend and clickable council outlines
on a map. :func:`render_lsoa_image` does the first two in one call.
"""

from __future__ import annotations

import base64
from typing import NamedTuple

import folium
import geopandas as gpd
import pandas as pd

from geo._errors import InputError
from geo.maps._grid import has_fields_of
from geo.maps._position import _check_paint, _paint_grid, _position_grid, _PositionGrid
from geo.maps.assets import STATIC_URL
from geo.maps.choropleth import add_legend, base_map
from geo.maps.classes import NOT_COVERED_COLOUR, classify, colours_for
from geo.maps.elements import _check_column, _check_gdf, _outline_layer

__all__ = ['LsoaImage', 'LsoaGrid', 'NationalImage', 'lsoa_grid', 'paint_lsoa_grid',
           'paint_national_grids', 'render_lsoa_image', 'national_lsoa_overlay',
           'lsoa_overview_map']


class LsoaImage(NamedTuple):
    """A rendered national LSOA choropleth: the PNG, its lat/lon bounds and the classes.

    Plain data (picklable), so an app can cache it and build the map on each rerun.
    """

    png: bytes
    bounds: list[list[float]]
    classes: pd.Series


class NationalImage(NamedTuple):
    """Several small-area levels painted on one class scheme (:func:`paint_national_grids`).

    ``images`` (one :class:`LsoaImage` per grid, drawn in order), ``classes`` (every area with
    a value, all grids) and ``n_not_covered`` (areas of the grids the values do not cover,
    painted pale grey). Plain data (picklable).
    """

    images: list[LsoaImage]
    classes: pd.Series
    n_not_covered: int


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


def paint_national_grids(
    grids: list[LsoaGrid],
    values: pd.Series,
    *,
    scheme: str = "deciles",
    k: int | None = None,
    polarity: str = "higher_worse",
    palette_name: str = "ylorrd",
) -> NationalImage:
    """Paint several grids (e.g. LSOAs and data zones) on one class scheme of ``values``.

    Areas of the grids with a value are painted by class (a missing value grey, "no data");
    areas without any value, those the indicator does not cover, pale grey (counted in
    ``n_not_covered``, for the legend's "not covered by this index"): never a silent blank.

    Parameters
    ----------
    grids
        From :func:`lsoa_grid` (or the store's :func:`boundaries.display.load_position_grid`).
    values
        Numbers indexed by area code, each code in one of the grids.
    scheme, k, polarity, palette_name
        As in :func:`paint_lsoa_grid`.

    Raises
    ------
    InputError
        No grid, a grid not from :func:`lsoa_grid`, codes in none of the grids.

    Examples
    --------
    >>> image = paint_national_grids([lsoas, zones], deciles, scheme="categories")  # doctest: +SKIP
    """
    if not grids:
        msg = "`grids` is empty; pass the grids of the levels to paint (lsoa_grid())."
        raise InputError(msg)
    every = pd.Index([])
    for grid in grids:
        _check_paint(grid, values.iloc[:0])
        every = every.append(grid.codes)
    _check_paint(type(grids[0])(grid=grids[0].grid, codes=every, bounds=grids[0].bounds), values)
    classes = classify(values, scheme=scheme, k=k)
    colours = colours_for(classes, polarity=polarity, name=palette_name)
    images, n_out = [], 0
    for grid in grids:
        on_grid = colours.reindex(grid.codes)
        absent = on_grid.isna()
        n_out += int(absent.sum())
        png = _paint_grid(grid, on_grid.where(~absent, NOT_COVERED_COLOUR))
        images.append(LsoaImage(png=png, bounds=[list(b) for b in grid.bounds],
                                classes=classes[classes.index.isin(grid.codes)]))
    return NationalImage(images=images, classes=classes, n_not_covered=n_out)


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
    if not has_fields_of(image, LsoaImage):  # by fields: a cached image outlives a reload
        msg = f"`image` must be the LsoaImage of render_lsoa_image(); got {type(image).__name__}."
        raise InputError(msg)
    url = "data:image/png;base64," + base64.b64encode(image.png).decode("ascii")
    return folium.raster_layers.ImageOverlay(
        url, image.bounds, opacity=opacity, name=name, pixelated=False, interactive=False
    )


def lsoa_overview_map(
    image: LsoaImage | NationalImage,
    *,
    label: str,
    attribution: str,
    unit: str = "",
    polarity: str = "higher_worse",
    palette_name: str = "ylorrd",
    outlines: gpd.GeoDataFrame | None = None,
    outline_precision: int = 4,
    asset_base_url: str = STATIC_URL,
    title: str | None = None,
    area_word: str = "LSOAs",
    note: str | None = None,
) -> folium.Map:
    """A national map of every small area as images, with optional clickable council outlines.

    Parameters
    ----------
    image
        From :func:`render_lsoa_image` or :func:`paint_national_grids` (polarity and palette
        must match the ones used there).
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
    area_word, note
        What the areas are, for the legend ("LSOAs and data zones"), and a line under it
        (escaped), e.g. which index paints which nation.

    Returns
    -------
    folium.Map

    Examples
    --------
    >>> m = lsoa_overview_map(render_lsoa_image(lsoas, "imd_score"), label="IMD score", attribution="...")  # doctest: +SKIP
    """
    if has_fields_of(image, LsoaImage):  # by fields, not class: cached images outlive a reload
        image = NationalImage(images=[image], classes=image.classes, n_not_covered=0)
    if not has_fields_of(image, NationalImage) or not image.images:
        msg = ("`image` must be the LsoaImage of render_lsoa_image() or the NationalImage of "
               "paint_national_grids().")
        raise InputError(msg)
    south = min(b[0][0] for b in (i.bounds for i in image.images))
    west = min(b[0][1] for b in (i.bounds for i in image.images))
    north = max(b[1][0] for b in (i.bounds for i in image.images))
    east = max(b[1][1] for b in (i.bounds for i in image.images))
    m = base_map(bounds=[[south, west], [north, east]], attribution=attribution,
                 asset_base_url=asset_base_url, title=title or f"Map: {label} by neighbourhood")
    for i, part in enumerate(image.images):
        m.add_child(national_lsoa_overlay(part, name=label if i == 0 else f"{label} ({i + 1})"))
    if outlines is not None:
        _check_gdf(outlines, name="outlines")
        m.add_child(_outline_layer(outlines, precision=outline_precision))
    classes = image.classes
    words = (f"{classes.attrs['scheme'].replace('_', ' ')} of "
             f"{int(classes.notna().sum()):,} {area_word}") + (f". {note}" if note else "")
    add_legend(m, classes, polarity=polarity, label=label, unit=unit, palette_name=palette_name,
               note=words, n_not_covered=image.n_not_covered)
    return m
