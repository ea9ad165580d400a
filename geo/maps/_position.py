"""The grid behind the national LSOA image (private; public face in :mod:`geo.maps.national`).

Burning 33,755 polygons takes seconds, colouring pixels a fraction of one: so every area is
burnt once into a Web Mercator grid whose cells hold its row position (:func:`_position_grid`),
and each indicator or class scheme is then painted by a colour lookup (:func:`_paint_grid`) into
a paletted PNG.
"""

from __future__ import annotations

import io
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo._errors import InputError, format_codes
from geo.maps._grid import _check_projected, _check_resolution, _mercator_grid


class _PositionGrid(NamedTuple):
    """Every area burnt into a Web Mercator grid: cell = row position + 1 (0 = no area)."""

    grid: np.ndarray
    codes: pd.Index
    bounds: list[list[float]]


def _position_grid(gdf_27700: gpd.GeoDataFrame, *, resolution: float) -> _PositionGrid:
    """Rasterise each area's row position once (the slow step of a national LSOA image).

    Same grid as :func:`geo.maps.raster.rasterize_for_display`: Web Mercator pixels about
    ``resolution`` metres on the ground at the data's central latitude; a pixel takes the area
    containing its centre.
    """
    import rasterio.features

    _check_projected(gdf_27700, name="gdf")
    geoms, transform, width, height, bounds = _mercator_grid(
        gdf_27700, _check_resolution(resolution))
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    positions = np.arange(1, len(geoms) + 1, dtype="int32")
    grid = rasterio.features.rasterize(
        zip(geoms[keep], positions[keep].tolist(), strict=True),
        out_shape=(height, width), transform=transform, fill=0, dtype="int32",
    )
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
