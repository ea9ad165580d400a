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

import io
import math
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo._errors import InputError, format_codes


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
    from pyproj import Transformer

    from geo.maps._grid import _check_projected, _check_resolution, _grid

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
