"""Grids for rasters: checks of the areas to burn, a grid snapped to the resolution, Web Mercator.

Shared by the display rasters of :mod:`geo.maps.raster` and :mod:`geo.maps._position` (pixels
in Web Mercator, about ``resolution`` metres on the ground) and by the GeoTIFF and zonal
exports of :mod:`geo.export` (cells in British National Grid). Grids larger than
:data:`MAX_CELLS` are refused.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
from affine import Affine
from pyproj import Transformer

from geo._errors import InputError, format_codes

__all__ = ['MAX_CELLS']


#: Refuse grids larger than this many cells (a typo such as ``resolution=1``).
MAX_CELLS = 400_000_000


# ----------------------------------------------------------------------------- validation
def _check_projected(gdf: Any, *, name: str) -> None:
    if not isinstance(gdf, gpd.GeoDataFrame):
        msg = f"`{name}` must be a GeoDataFrame; got {type(gdf).__name__}"
        raise InputError(msg)
    problems = []
    if gdf.crs is None:
        problems.append("it has no CRS; set it, e.g. gdf.set_crs('EPSG:27700')")
    elif not gdf.crs.is_projected:
        problems.append(
            f"its CRS {gdf.crs.to_string()} is geographic (degrees); reproject it first with "
            "gdf.to_crs('EPSG:27700') so cells are square in metres"
        )
    if gdf.index.has_duplicates:
        dup = gdf.index[gdf.index.duplicated()].unique()
        problems.append(f"its index has duplicate codes: {format_codes(dup)}")
    if problems:
        msg = f"`{name}` cannot be rasterised: " + "; ".join(problems)
        raise InputError(msg)


def _check_resolution(resolution: Any) -> float:
    if (
        isinstance(resolution, bool)
        or not isinstance(resolution, int | float | np.integer | np.floating)
        or not math.isfinite(float(resolution))
        or resolution <= 0
    ):
        msg = f"`resolution` must be a positive number of metres (e.g. 100); got {resolution!r}"
        raise InputError(msg)
    return float(resolution)


def _grid(bounds: Sequence[float], resolution: float) -> tuple[Affine, int, int]:
    """A grid snapped to multiples of ``resolution`` that covers ``bounds``."""
    minx, miny, maxx, maxy = bounds
    if not all(math.isfinite(v) for v in bounds):
        msg = "the geometries are empty: there is nothing to rasterise"
        raise InputError(msg)
    x0 = math.floor(minx / resolution) * resolution
    y1 = math.ceil(maxy / resolution) * resolution
    width = max(1, math.ceil((maxx - x0) / resolution))
    height = max(1, math.ceil((y1 - miny) / resolution))
    if width * height > MAX_CELLS:
        msg = (
            f"`resolution` {resolution:g} gives a {width} x {height} grid "
            f"({width * height:,} cells, limit {MAX_CELLS:,}); use a coarser resolution"
        )
        raise InputError(msg)
    return Affine(resolution, 0.0, x0, 0.0, -resolution, y1), width, height


WEB_MERCATOR = "EPSG:3857"


def _mercator_grid(
    gdf_27700: gpd.GeoDataFrame, resolution: float
) -> tuple[np.ndarray, Affine, int, int, list[list[float]]]:
    """The areas in Web Mercator and a grid over them with pixels about ``resolution`` metres
    on the ground at their central latitude (Web Mercator stretches distances by
    1/cos(latitude)); last, the grid's ``[[south, west], [north, east]]`` in degrees."""
    merc = gdf_27700.geometry.to_crs(WEB_MERCATOR)
    lonlat = gdf_27700.geometry.to_crs("EPSG:4326").total_bounds
    pixel = resolution / math.cos(math.radians((lonlat[1] + lonlat[3]) / 2))
    transform, width, height = _grid(merc.total_bounds, pixel)
    x0, y1 = transform.c, transform.f
    to_lonlat = Transformer.from_crs(WEB_MERCATOR, "EPSG:4326", always_xy=True)
    west, south = to_lonlat.transform(x0, y1 - height * pixel)
    east, north = to_lonlat.transform(x0 + width * pixel, y1)
    bounds = [[float(south), float(west)], [float(north), float(east)]]
    return np.asarray(merc.values, dtype=object), transform, width, height, bounds
