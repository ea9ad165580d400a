"""Display rasters and map clicks: a choropleth PNG for a Leaflet overlay, the area under a point.

* :func:`rasterize_for_display`: many small areas burnt into one PNG in Web Mercator (the
  projection of Leaflet's tiles) for a ``folium.raster_layers.ImageOverlay``, with its lat/lon
  bounds; pixels are about ``resolution`` metres on the ground.
* :func:`make_lookup_index` / :func:`lsoa_at`: which area lies under a clicked point, exactly,
  answered from a coarse grid where one area covers a whole cell and from the polygons
  elsewhere.

GeoTIFF exports in British National Grid are :mod:`geo.export.geotiff`; both use the grid
helpers of :mod:`geo.maps._grid`.
"""

from __future__ import annotations

import io
import math
import re
import threading
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import rasterio.features
import shapely
from affine import Affine
from pyproj import CRS, Transformer

from boundaries.grids import lookup_grid
from geo._errors import InputError, UnmatchedCodesWarning, format_codes
from geo.maps._grid import WEB_MERCATOR as WEB_MERCATOR  # imported from here by geo.export
from geo.maps._grid import _check_projected, _check_resolution, _mercator_grid, has_fields_of

__all__ = ['rasterize_for_display', 'make_lookup_index', 'lookup_index', 'lsoa_at', 'LookupIndex']



_HEX = re.compile(r"^#([0-9a-fA-F]{6})([0-9a-fA-F]{2})?$")


# ----------------------------------------------------------------------------- display PNG
def _rgba(colour: str) -> tuple[int, int, int, int]:
    match = _HEX.match(colour.strip()) if isinstance(colour, str) else None
    if match is None:
        msg = f"`colors` holds {colour!r}; expected hex colours like '#1f77b4' or '#1f77b4cc'"
        raise InputError(msg)
    rgb, alpha = match.groups()
    return (
        int(rgb[0:2], 16),
        int(rgb[2:4], 16),
        int(rgb[4:6], 16),
        int(alpha, 16) if alpha else 255,
    )


def _feature_colours(gdf: gpd.GeoDataFrame, values: Any, colors: Any) -> list[str | None]:
    """One hex colour (or None for transparent) per row of ``gdf``."""
    n = len(gdf)

    def aligned(obj: Any, name: str) -> list:
        if isinstance(obj, pd.Series):
            if obj.index.has_duplicates:
                dup = obj.index[obj.index.duplicated()].unique()
                msg = f"`{name}` has duplicate codes: {format_codes(dup)}"
                raise InputError(msg)
            missing = gdf.index.difference(obj.index)
            if len(missing) == len(gdf) and len(gdf):
                msg = (
                    f"`{name}` shares no code with `gdf_27700` (e.g. {format_codes(obj.index, limit=3)}"
                    f" vs {format_codes(gdf.index, limit=3)}); index it by the same area codes"
                )
                raise InputError(msg)
            if len(missing):
                warnings.warn(
                    f"`{name}` has no entry for {len(missing)} of {len(gdf)} areas, drawn "
                    f"transparent: {format_codes(missing)}",
                    UnmatchedCodesWarning,
                    stacklevel=4,
                )
            return obj.reindex(gdf.index).tolist()
        seq = list(obj)
        if len(seq) != n:
            msg = f"`{name}` has {len(seq)} entries; `gdf_27700` has {n} rows (one each)"
            raise InputError(msg)
        return seq

    if values is None:
        if isinstance(colors, Mapping):
            msg = "`values` is None, so `colors` must give one hex colour per area, not a mapping"
            raise InputError(msg)
        return [None if _missing(c) else c for c in aligned(colors, "colors")]
    if not isinstance(colors, Mapping):
        msg = (
            "`colors` must map each class in `values` to a hex colour, e.g. "
            f"{{1: '#fee5d9', 2: '#a50f15'}}; got {type(colors).__name__}"
        )
        raise InputError(msg)
    labels = aligned(values, "values")
    unknown = sorted({str(v) for v in labels if not _missing(v) and v not in colors})
    if unknown:
        msg = f"`colors` has no colour for classes {unknown}; it has {list(colors)}"
        raise InputError(msg)
    return [None if _missing(v) else colors[v] for v in labels]


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def _png(grid: np.ndarray, rgba: list[tuple[int, int, int, int]]) -> bytes:
    """The grid of colour numbers (0 = transparent) as a PNG: paletted up to 255 colours."""
    from PIL import Image

    buffer = io.BytesIO()
    if len(rgba) <= 255:
        image = Image.fromarray(grid, mode="P")
        image.putpalette([0, 0, 0] + [v for c in rgba for v in c[:3]])
        alpha = bytes([0] + [c[3] for c in rgba])
        image.save(buffer, format="PNG", transparency=alpha, optimize=False, compress_level=6)
    else:
        lut = np.array([(0, 0, 0, 0), *rgba], dtype="uint8")
        Image.fromarray(lut[grid], mode="RGBA").save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def rasterize_for_display(
    gdf_27700: gpd.GeoDataFrame,
    values: pd.Series | Sequence | None,
    *,
    colors: Mapping | pd.Series | Sequence[str],
    resolution: float = 100,
) -> tuple[bytes, list[list[float]]]:
    """A choropleth of many small areas as one PNG in Web Mercator, for a Leaflet overlay.

    The areas are reprojected to EPSG:3857 and burnt onto a grid whose pixels are about
    ``resolution`` metres on the ground at the data's central latitude (Web Mercator stretches
    distances by 1/cos(latitude)). Each pixel takes the colour of the area containing its
    centre; pixels with no area, and areas with a missing class or colour, are transparent.
    With up to 255 colours the PNG is paletted (which browsers decode to RGBA), else RGBA.

    Parameters
    ----------
    gdf_27700
        Areas in a projected CRS (EPSG:27700).
    values
        Class of each area: a Series indexed like ``gdf_27700``, or a sequence in its row
        order; ``None`` when ``colors`` already gives one colour per area.
    colors
        Mapping class -> hex colour (``"#rrggbb"`` or ``"#rrggbbaa"``), or, with
        ``values=None``, one hex colour per area (Series indexed like ``gdf_27700`` or a
        sequence in row order).
    resolution
        Pixel size on the ground, in metres.

    Returns
    -------
    png : bytes
        The image.
    bounds : list
        ``[[south, west], [north, east]]`` in degrees, for ``folium.raster_layers.ImageOverlay``
        (which must keep its default Web Mercator map CRS).

    Raises
    ------
    InputError
        Bad CRS, misaligned ``values``/``colors``, classes without colour, bad hex.

    Examples
    --------
    >>> png, bounds = rasterize_for_display(lsoas, deciles, colors=palette)  # doctest: +SKIP
    >>> folium.raster_layers.ImageOverlay(png_data_url, bounds=bounds).add_to(m)  # doctest: +SKIP
    """
    _check_projected(gdf_27700, name="gdf_27700")
    res = _check_resolution(resolution)
    feature_colours = _feature_colours(gdf_27700, values, colors)
    palette = sorted({c.strip().lower() for c in feature_colours if c is not None})
    rgba = [_rgba(c) for c in palette]
    index = {c: i + 1 for i, c in enumerate(palette)}
    codes = np.array(
        [0 if c is None else index[c.strip().lower()] for c in feature_colours], dtype="int32"
    )

    geoms, transform, width, height, bounds = _mercator_grid(gdf_27700, res)
    keep = (codes > 0) & ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    dtype = "uint8" if len(palette) <= 255 else "uint16"
    grid = np.zeros((height, width), dtype=dtype)
    if keep.any():
        grid = rasterio.features.rasterize(
            zip(geoms[keep], codes[keep].tolist(), strict=True),
            out_shape=(height, width), transform=transform, fill=0, dtype=dtype,
        )
    return _png(grid, rgba), bounds


# ----------------------------------------------------------------------------- click lookup
class LookupIndex(NamedTuple):
    """Prepared structure for :func:`lsoa_at` (build it once with :func:`make_lookup_index`).

    ``grid`` holds, per cell, the position of the area covering the whole cell, ``-1`` if no
    area touches the cell, or ``-2`` if a boundary crosses it (then the exact polygons decide).
    """

    codes: np.ndarray
    geometries: np.ndarray
    tree: shapely.STRtree
    grid: np.ndarray
    transform: Affine
    crs: CRS


def make_lookup_index(gdf_27700: gpd.GeoDataFrame, *, resolution: float = 500) -> LookupIndex:
    """Prepare fast, exact point-in-area lookups for map clicks.

    A grid of ``resolution`` metres answers directly for cells wholly inside one area (or
    wholly outside all of them); cells crossed by a boundary fall back to an exact
    point-in-polygon test through an STR-tree. Answers are identical to a plain polygon test.
    At 500 m the grid for England takes about 6 MB.

    Parameters
    ----------
    gdf_27700
        Areas in a projected CRS, indexed by code.
    resolution
        Grid cell size in metres.

    Returns
    -------
    LookupIndex

    Raises
    ------
    InputError
        Bad CRS, duplicate codes, bad resolution.

    Examples
    --------
    >>> index = make_lookup_index(lsoas)  # doctest: +SKIP
    >>> lsoa_at(53.4808, -2.2426, index)  # doctest: +SKIP
    'E01033677'
    """
    grid, transform = lookup_grid(gdf_27700, resolution=resolution)
    return lookup_index(gdf_27700, grid, transform)


def lookup_index(gdf_27700: gpd.GeoDataFrame, grid: np.ndarray, transform: Affine
                 ) -> LookupIndex:
    """A :class:`LookupIndex` from a grid made beforehand (the store's, see
    :func:`boundaries.display.load_lookup_grid`) and the areas it was made from.

    Raises
    ------
    InputError
        A grid that is not two-dimensional integers, or areas in a geographic CRS.

    Examples
    --------
    >>> stored = boundaries.load_lookup_grid("lsoa21")  # doctest: +SKIP
    >>> index = lookup_index(boundaries.load("lsoa21"), stored["grid"], stored["transform"])  # doctest: +SKIP
    """
    _check_projected(gdf_27700, name="gdf_27700")
    if not isinstance(grid, np.ndarray) or grid.ndim != 2 or grid.dtype.kind != "i":
        msg = "`grid` must be the 2-D integer grid of boundaries.grids.lookup_grid()."
        raise InputError(msg)
    geoms = np.asarray(gdf_27700.geometry.values, dtype=object)
    return LookupIndex(
        codes=np.asarray(gdf_27700.index.astype(str), dtype=object),
        geometries=geoms,
        tree=shapely.STRtree(geoms),
        grid=grid,
        transform=transform,
        crs=CRS.from_user_input(gdf_27700.crs),
    )


_local = threading.local()


def _to_crs(crs: CRS) -> Transformer:
    """A lon/lat -> ``crs`` transformer, cached per thread (pyproj transformers are not
    thread-safe, and Streamlit serves each session in its own thread)."""
    cache = _local.__dict__.setdefault("transformers", {})
    key = crs.srs or crs.to_wkt()  # ``srs`` is the user's input, e.g. "EPSG:27700": cheap
    if key not in cache:
        cache[key] = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    return cache[key]


def _first_hit(hits: np.ndarray, codes: Any) -> str | None:
    if hits.size == 0:
        return None
    # A point on a shared edge touches two areas: take the smallest code, deterministically.
    return min(str(codes[h]) for h in hits)


def lsoa_at(lat: float, lon: float, gdf: gpd.GeoDataFrame | LookupIndex) -> str | None:
    """The code of the area under a point given in degrees (e.g. a map click), or None.

    Parameters
    ----------
    lat, lon
        WGS 84 latitude and longitude.
    gdf
        The areas (any CRS; the GeoDataFrame's spatial index is used) or a
        :class:`LookupIndex` from :func:`make_lookup_index` (faster).

    Returns
    -------
    str or None
        The area's code; on a shared edge the smallest of the codes; None outside every area.

    Raises
    ------
    InputError
        Latitude or longitude out of range or not numbers; ``gdf`` without CRS.

    Examples
    --------
    >>> lsoa_at(53.4808, -2.2426, lsoas)  # doctest: +SKIP
    'E01033677'
    """
    try:
        lat_f, lon_f = float(lat), float(lon)
    except (TypeError, ValueError):
        lat_f = lon_f = math.nan
    if not (-90 <= lat_f <= 90 and -180 <= lon_f <= 180):
        msg = (
            f"`lat`, `lon` must be degrees with latitude in [-90, 90] and longitude in "
            f"[-180, 180]; got lat={lat!r}, lon={lon!r}"
        )
        raise InputError(msg)
    if has_fields_of(gdf, LookupIndex):  # not isinstance: a cached index outlives a reload
        x, y = _to_crs(gdf.crs).transform(lon_f, lat_f)
        col, row = ~gdf.transform @ (x, y)
        row_i, col_i = math.floor(row), math.floor(col)
        height, width = gdf.grid.shape
        if not (0 <= row_i < height and 0 <= col_i < width):
            return None
        cell = int(gdf.grid[row_i, col_i])
        if cell >= 0:
            return str(gdf.codes[cell])
        if cell == -1:
            return None
        point = shapely.Point(x, y)
        hits = gdf.tree.query(point, predicate="intersects")
        return _first_hit(hits, gdf.codes)
    if not isinstance(gdf, gpd.GeoDataFrame):
        msg = f"`gdf` must be a GeoDataFrame or a LookupIndex; got {type(gdf).__name__}"
        raise InputError(msg)
    if gdf.crs is None:
        msg = "`gdf` has no CRS; set it, e.g. gdf.set_crs('EPSG:27700')"
        raise InputError(msg)
    x, y = _to_crs(CRS.from_user_input(gdf.crs)).transform(lon_f, lat_f)
    point = shapely.Point(x, y)
    hits = gdf.sindex.query(point, predicate="intersects")
    return _first_hit(hits, gdf.index)
