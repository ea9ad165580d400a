"""Grids over areas: the checks, a grid snapped to the resolution, Web Mercator display grids.

The ground floor of every raster in oppmap, so that the store build can precompute what the
app draws and clicks (:mod:`boundaries.display`) with the same code the app would use:

- :func:`snapped_grid`: a grid of ``resolution`` metres snapped to its multiples (GeoTIFF and
  zonal exports, click lookups, in British National Grid);
- :func:`mercator_grid`: the areas in Web Mercator (the projection of Leaflet's maps) and a grid
  whose pixels are about ``resolution`` metres on the ground at their central latitude;
- :func:`position_grid`: every area's row position burnt into that grid once (the slow step of
  a national image: each indicator is then painted by a colour lookup);
- :func:`lookup_grid`: per cell, the area that covers the whole cell, ``-1`` where no area
  touches it and ``-2`` where a boundary crosses it (exact point-in-polygon tests decide there).

Grids larger than :data:`MAX_CELLS` are refused.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine
from pyproj import Transformer

from boundaries._errors import InputError, format_codes

__all__ = ["MAX_CELLS", "WEB_MERCATOR", "PositionGrid", "is_position_grid", "check_projected", "check_resolution",
           "snapped_grid", "mercator_grid", "position_grid", "lookup_grid"]

#: Refuse grids larger than this many cells (a typo such as ``resolution=1``).
MAX_CELLS = 400_000_000

WEB_MERCATOR = "EPSG:3857"


class PositionGrid(NamedTuple):
    """Every area burnt into a Web Mercator grid: cell = row position + 1 (0 = no area).

    ``codes`` are the areas in row order and ``bounds`` the grid's ``[[south, west], [north,
    east]]`` in degrees (for a Leaflet image overlay).
    """

    grid: np.ndarray
    codes: pd.Index
    bounds: list[list[float]]


def check_projected(gdf: Any, *, name: str) -> None:
    """Refuse a non-GeoDataFrame, a missing or geographic CRS, or duplicated codes (one error)."""
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


def check_resolution(resolution: Any) -> float:
    """``resolution`` as a positive number of metres, or an :class:`InputError`."""
    if (
        isinstance(resolution, bool)
        or not isinstance(resolution, int | float | np.integer | np.floating)
        or not math.isfinite(float(resolution))
        or resolution <= 0
    ):
        msg = f"`resolution` must be a positive number of metres (e.g. 100); got {resolution!r}"
        raise InputError(msg)
    return float(resolution)


def snapped_grid(bounds: Sequence[float], resolution: float) -> tuple[Affine, int, int]:
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


def mercator_grid(
    gdf_27700: gpd.GeoDataFrame, resolution: float
) -> tuple[np.ndarray, Affine, int, int, list[list[float]]]:
    """The areas in Web Mercator and a grid over them with pixels about ``resolution`` metres
    on the ground at their central latitude (Web Mercator stretches distances by
    1/cos(latitude)); last, the grid's ``[[south, west], [north, east]]`` in degrees."""
    merc = gdf_27700.geometry.to_crs(WEB_MERCATOR)
    lonlat = gdf_27700.geometry.to_crs("EPSG:4326").total_bounds
    pixel = resolution / math.cos(math.radians((lonlat[1] + lonlat[3]) / 2))
    transform, width, height = snapped_grid(merc.total_bounds, pixel)
    x0, y1 = transform.c, transform.f
    to_lonlat = Transformer.from_crs(WEB_MERCATOR, "EPSG:4326", always_xy=True)
    west, south = to_lonlat.transform(x0, y1 - height * pixel)
    east, north = to_lonlat.transform(x0 + width * pixel, y1)
    bounds = [[float(south), float(west)], [float(north), float(east)]]
    return np.asarray(merc.values, dtype=object), transform, width, height, bounds


def is_position_grid(obj: object) -> bool:
    """True for a :class:`PositionGrid`, judged by its fields, not its class: a server that
    reloads a changed module (Streamlit's file watcher) keeps grids of the class as it was
    first imported, and those are still grids."""
    return isinstance(obj, tuple) and all(hasattr(obj, f) for f in PositionGrid._fields)


def position_grid(gdf_27700: gpd.GeoDataFrame, *, resolution: float = 500) -> PositionGrid:
    """Rasterise each area's row position once into a Web Mercator display grid.

    A pixel takes the area containing its centre; about 3 s for the 35,672 LSOAs of England
    and Wales at 500 m, which is why the store build does it (:mod:`boundaries.display`).

    Examples
    --------
    >>> grid = position_grid(boundaries.load("lsoa21"))  # doctest: +SKIP
    """
    import rasterio.features

    check_projected(gdf_27700, name="gdf")
    geoms, transform, width, height, bounds = mercator_grid(
        gdf_27700, check_resolution(resolution))
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    positions = np.arange(1, len(geoms) + 1, dtype="int32")
    grid = rasterio.features.rasterize(
        zip(geoms[keep], positions[keep].tolist(), strict=True),
        out_shape=(height, width), transform=transform, fill=0, dtype="int32",
    )
    return PositionGrid(grid=grid, codes=pd.Index(gdf_27700.index), bounds=bounds)


def lookup_grid(gdf_27700: gpd.GeoDataFrame, *, resolution: float = 500
                ) -> tuple[np.ndarray, Affine]:
    """The coarse grid of a point-in-area lookup (about 3 s for England and Wales' LSOAs).

    Returns
    -------
    grid : numpy.ndarray
        ``int32`` per cell: the row position of the area covering the whole cell, ``-1`` where
        no area touches the cell, ``-2`` where a boundary crosses it or its neighbours.
    transform : affine.Affine
        Cell to ``gdf_27700``'s coordinates.
    """
    import rasterio.features
    from scipy import ndimage

    check_projected(gdf_27700, name="gdf_27700")
    res = check_resolution(resolution)
    geoms = np.asarray(gdf_27700.geometry.values, dtype=object)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    transform, width, height = snapped_grid(gdf_27700.total_bounds, res)
    positions = np.flatnonzero(present)
    inside = rasterio.features.rasterize(
        zip(geoms[positions], positions.tolist(), strict=True),
        out_shape=(height, width), transform=transform, fill=-1, dtype="int32",
    )
    edges = shapely.boundary(geoms[positions])
    edges = edges[~shapely.is_empty(edges)]
    crossed = rasterio.features.rasterize(
        ((e, 1) for e in edges), out_shape=(height, width), transform=transform, fill=0,
        dtype="uint8", all_touched=True,
    ).astype(bool)
    crossed = ndimage.binary_dilation(crossed, structure=np.ones((3, 3), dtype=bool))
    return np.where(crossed, np.int32(-2), inside).astype("int32"), transform
