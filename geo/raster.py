"""Rasters: GeoTIFF exports, coverage-weighted zonal statistics, and the display overlay.

* :func:`rasterize_indicator` / :func:`write_geotiff`: an indicator on a regular grid in the
  areas' projected CRS (EPSG:27700), deflate-compressed, tiled, with overviews and provenance tags.
  Text labels (hotspot classes) become integer codes with the category table in the tags.
* :func:`zonal_stats`: mean or sum of a raster over polygons, each cell weighted by the fraction
  of it the polygon covers (``exactextract``).
* :func:`rasterize_for_display`: the national LSOA choropleth as a PNG in Web Mercator for a
  ``folium.raster_layers.ImageOverlay``, with its lat/lon bounds.
* :func:`make_lookup_index` / :func:`lsoa_at`: which area lies under a clicked point.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import threading
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import rasterio.features
import shapely
from affine import Affine
from pyproj import CRS, Transformer
from rasterio.enums import Resampling

from geo._errors import (
    InputError,
    RepairedGeometryWarning,
    UnmatchedCodesWarning,
    format_codes,
)
from geo.export import _atomic_target, _check_metadata

__all__ = [
    "rasterize_indicator",
    "category_codes",
    "write_geotiff",
    "zonal_stats",
    "rasterize_for_display",
    "make_lookup_index",
    "lsoa_at",
    "LookupIndex",
]

#: Default nodata value of float rasters (integer category rasters use 0).
FLOAT_NODATA = -9999.0
#: Overview factors built into every GeoTIFF.
OVERVIEW_FACTORS = (2, 4, 8, 16)
#: Refuse grids larger than this many cells (a typo such as ``resolution=1``).
MAX_CELLS = 400_000_000
#: Zonal statistics: normalised name -> exactextract operation.
ZONAL_STATS = {"mean": "mean", "sum": "sum", "count": "count", "min": "min", "max": "max"}
WEB_MERCATOR = "EPSG:3857"
_HEX = re.compile(r"^#([0-9a-fA-F]{6})([0-9a-fA-F]{2})?$")


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


def _is_categorical(series: pd.Series) -> bool:
    return isinstance(series.dtype, pd.CategoricalDtype) or not (
        pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype)
    )


def category_codes(values: pd.Series) -> dict[str, int]:
    """Integer codes of the labels of a categorical indicator, as written into rasters.

    A pandas Categorical keeps its category order; other labels are sorted. Codes start at 1;
    0 is nodata.

    Parameters
    ----------
    values
        The labels (missing values are skipped).

    Returns
    -------
    dict
        label -> code.

    Examples
    --------
    >>> category_codes(pd.Series(["hot", "cold", "hot", None]))
    {'cold': 1, 'hot': 2}
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        labels = [str(c) for c in values.cat.categories]
    else:
        labels = sorted({str(v) for v in values.dropna()})
    return {label: i + 1 for i, label in enumerate(labels)}


def _rasterize(
    gdf: gpd.GeoDataFrame,
    column: str,
    *,
    resolution: Any,
    nodata: float | int | None,
) -> tuple[np.ndarray, Affine, dict, dict[str, int] | None]:
    _check_projected(gdf, name="gdf")
    if column not in gdf.columns or column == gdf.geometry.name:
        cols = [c for c in gdf.columns if c != gdf.geometry.name]
        msg = f"`column` {column!r} is not in the table; available: {cols}"
        raise InputError(msg)
    res = _check_resolution(resolution)
    series = gdf[column]
    categories = None
    if _is_categorical(series):
        categories = category_codes(series)
        dtype = "uint8" if len(categories) <= 255 else "uint16"
        if nodata not in (None, 0):
            msg = f"`nodata` must be 0 (or None) for a categorical column; got {nodata!r}"
            raise InputError(msg)
        nodata = 0
        labels = series.astype(object)
        values = np.array(
            [categories[str(v)] if not pd.isna(v) else 0 for v in labels], dtype=dtype
        )
        present = values != 0
    else:
        dtype = "float32"
        nodata = FLOAT_NODATA if nodata is None else float(nodata)
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        present = np.isfinite(values)
        clash = present & (values.astype(dtype) == np.float32(nodata))
        if clash.any():
            msg = (
                f"`nodata` {nodata} is a real value of {column!r} for "
                f"{format_codes(gdf.index[clash])}; pass another nodata value"
            )
            raise InputError(msg)
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    present &= ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    transform, width, height = _grid(gdf.total_bounds, res)
    shapes = zip(geoms[present], values[present].tolist(), strict=True)
    array = np.full((height, width), nodata, dtype=dtype)
    if present.any():
        array = rasterio.features.rasterize(
            shapes,
            out_shape=(height, width),
            transform=transform,
            fill=nodata,
            dtype=dtype,
            all_touched=False,
        )
    profile = {
        "driver": "GTiff",
        "dtype": dtype,
        "count": 1,
        "width": width,
        "height": height,
        "crs": rasterio.crs.CRS.from_wkt(gdf.crs.to_wkt()),
        "transform": transform,
        "nodata": nodata,
        "compress": "deflate",
        "predictor": 2 if categories is not None else 3,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
    }
    return array, transform, profile, categories


def rasterize_indicator(
    gdf: gpd.GeoDataFrame,
    column: str,
    *,
    resolution: float = 100,
    nodata: float | None = None,
) -> tuple[np.ndarray, Affine, dict]:
    """Burn an indicator column onto a regular grid in the areas' projected CRS.

    A cell takes the value of the area containing its centre. The grid is snapped to multiples
    of ``resolution`` (so rasters of the same areas line up). Numeric columns give a float32
    array with ``nodata`` (default -9999) outside the areas and for missing values; text or
    categorical columns give integer codes from :func:`category_codes`, 0 being nodata.

    Parameters
    ----------
    gdf
        Areas in a projected CRS (EPSG:27700), indexed by code.
    column
        The column to burn.
    resolution
        Cell size in metres.
    nodata
        Value for cells with no data (float columns only).

    Returns
    -------
    array : numpy.ndarray
        ``(height, width)`` values, north up.
    transform : affine.Affine
        Pixel-to-CRS transform.
    profile : dict
        A rasterio GeoTIFF profile (CRS, transform, nodata, deflate, 256-pixel tiles).

    Raises
    ------
    InputError
        No CRS or a geographic one, unknown column, bad resolution, nodata among the values.

    Examples
    --------
    >>> arr, transform, profile = rasterize_indicator(lsoas, "imd_score")  # doctest: +SKIP
    """
    array, transform, profile, _ = _rasterize(gdf, column, resolution=resolution, nodata=nodata)
    return array, transform, profile


def _tags(metadata: Mapping, column: str, categories: dict[str, int] | None) -> dict[str, str]:
    meta = _check_metadata(metadata)
    attribution = meta["attribution"]
    sources = meta.get("sources") or []
    source_names = []
    for src in sources:
        if isinstance(src, Mapping):
            label = src.get("title") or src.get("name") or src.get("id") or ""
            if src.get("vintage"):
                label = f"{label} ({src['vintage']})"
            source_names.append(str(label))
        else:
            source_names.append(str(src))
    tags = {
        "INDICATOR": str(meta.get("indicator") or column),
        "UNITS": str(meta.get("units") or meta.get("unit") or ""),
        "SOURCE": "; ".join(source_names) or str(meta.get("source") or ""),
        "ATTRIBUTION": attribution if isinstance(attribution, str) else " ".join(attribution),
        "OPPMAP_METADATA": json.dumps(meta, ensure_ascii=False, sort_keys=True),
    }
    if meta.get("licence"):
        tags["LICENCE"] = str(meta["licence"])
    if categories is not None:
        tags["CATEGORIES"] = json.dumps(
            {str(code): label for label, code in categories.items()}, ensure_ascii=False
        )
    return tags


def write_geotiff(
    gdf: gpd.GeoDataFrame,
    column: str,
    path: str | os.PathLike,
    *,
    resolution: float = 100,
    metadata: Mapping,
    nodata: float | None = None,
) -> Path:
    """Write an indicator as a GeoTIFF that GIS clients open with its provenance.

    The file is in the areas' CRS (EPSG:27700), deflate-compressed, tiled (256 px), with
    overviews at 2, 4, 8 and 16 (average for numbers, mode for categories), nodata set, and
    tags ``INDICATOR``, ``UNITS``, ``SOURCE``, ``ATTRIBUTION``, ``LICENCE``, ``OPPMAP_METADATA``
    (the whole ``metadata`` as JSON) and, for text labels, ``CATEGORIES`` (code -> label JSON,
    also on band 1). Written atomically.

    Parameters
    ----------
    gdf, column, resolution, nodata
        As for :func:`rasterize_indicator`.
    path
        Output ``.tif`` (its folder must exist).
    metadata
        Mapping with ``attribution`` (required), and optionally ``sources``, ``units``,
        ``indicator`` (a label), ``licence``, ``method``, ``seed``.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    InputError
        As for :func:`rasterize_indicator`, or metadata without attribution.

    Examples
    --------
    >>> write_geotiff(lsoas, "imd_score", "imd.tif", metadata=meta)  # doctest: +SKIP
    """
    array, _, profile, categories = _rasterize(gdf, column, resolution=resolution, nodata=nodata)
    tags = _tags(metadata, column, categories)
    resampling = Resampling.mode if categories is not None else Resampling.average
    with _atomic_target(path) as tmp:
        with rasterio.open(tmp, "w", **profile) as dst:
            dst.write(array, 1)
            dst.set_band_description(1, str(column))
            dst.update_tags(**tags)
            if categories is not None:
                dst.update_tags(1, CATEGORIES=tags["CATEGORIES"])
            factors = [f for f in OVERVIEW_FACTORS if min(array.shape) // f >= 1] or [2]
            dst.build_overviews(factors, resampling)
            dst.update_tags(ns="rio_overview", resampling=resampling.name)
    return Path(path)


# ----------------------------------------------------------------------------- zonal stats
def zonal_stats(
    raster_path: str | os.PathLike,
    zones: gpd.GeoDataFrame,
    *,
    stat: str = "mean",
    band: int = 1,
) -> pd.Series:
    """Coverage-weighted statistic of a raster band over each zone.

    Each cell counts by the fraction of it the zone covers (``exactextract``): ``mean`` is
    sum(value * fraction) / sum(fraction) over cells with data, ``sum`` is sum(value * fraction),
    ``count`` is sum(fraction), and ``min`` / ``max`` take any cell the zone touches. Nodata and
    NaN cells are skipped. A zone with no data under it (outside the raster, all nodata, empty
    geometry) gets NaN and a warning names it.

    Parameters
    ----------
    raster_path
        A raster file rasterio can open; it must have a CRS.
    zones
        Polygons indexed by code, with a CRS. If it differs from the raster's, the zones are
        reprojected to the raster's CRS for the extraction (with a warning).
    stat
        One of ``"mean"``, ``"sum"``, ``"count"``, ``"min"``, ``"max"``.
    band
        Band number (1-based).

    Returns
    -------
    pandas.Series
        float64, indexed exactly like ``zones``, named after ``stat``.

    Raises
    ------
    InputError
        Missing raster or one without a CRS, zones without CRS or with duplicate codes,
        an unknown stat or band.

    Examples
    --------
    >>> zonal_stats("imd.tif", lad24, stat="mean")  # doctest: +SKIP
    """
    from exactextract import exact_extract

    key = str(stat).strip().lower() if isinstance(stat, str) else stat
    if key not in ZONAL_STATS:
        msg = f"`stat` {stat!r} is not known; valid: {sorted(ZONAL_STATS)}"
        raise InputError(msg)
    if not isinstance(zones, gpd.GeoDataFrame):
        msg = f"`zones` must be a GeoDataFrame; got {type(zones).__name__}"
        raise InputError(msg)
    problems = []
    if zones.crs is None:
        problems.append("it has no CRS; set it, e.g. zones.set_crs('EPSG:27700')")
    if zones.index.has_duplicates:
        problems.append(
            f"its index has duplicate codes: {format_codes(zones.index[zones.index.duplicated()])}"
        )
    if problems:
        msg = "`zones` cannot be used: " + "; ".join(problems)
        raise InputError(msg)
    path = Path(raster_path)
    if not path.is_file():
        msg = f"`raster_path` {str(path)!r} does not exist; write one with write_geotiff first"
        raise InputError(msg)

    result = np.full(len(zones), np.nan)
    with rasterio.open(path) as src:
        if src.crs is None:
            msg = (
                f"`raster_path` {str(path)!r} has no CRS, so zones cannot be placed on it; "
                "assign one (e.g. rio edit-info --crs EPSG:27700) and try again"
            )
            raise InputError(msg)
        if not isinstance(band, int) or not 1 <= band <= src.count:
            msg = f"`band` must be between 1 and {src.count} for {path.name}; got {band!r}"
            raise InputError(msg)
        raster_crs = CRS.from_wkt(src.crs.to_wkt())
        geoms = zones.geometry
        if not zones.crs.equals(raster_crs):
            warnings.warn(
                f"`zones` are in {zones.crs.to_string()} and the raster in "
                f"{raster_crs.to_string()}: the zones were reprojected to the raster's CRS "
                "for the extraction",
                UserWarning,
                stacklevel=2,
            )
            geoms = geoms.to_crs(raster_crs)
        arr = np.asarray(geoms.values, dtype=object)
        present = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
        invalid = present & ~shapely.is_valid(arr)
        if invalid.any():
            warnings.warn(
                f"{int(invalid.sum())} invalid zone geometries were repaired with make_valid: "
                f"{format_codes(zones.index[invalid])}",
                RepairedGeometryWarning,
                stacklevel=2,
            )
            arr = arr.copy()
            arr[invalid] = shapely.make_valid(arr[invalid])
        positions = np.flatnonzero(present)
        if positions.size:
            frame = gpd.GeoDataFrame(
                {"_zone": positions}, geometry=list(arr[positions]), crs=raster_crs
            )
            ops = sorted({ZONAL_STATS[key], "count"})
            source = _band_source(src, band)
            with warnings.catch_warnings():
                # exactextract compares WKT strings; the CRSs were checked above.
                warnings.filterwarnings("ignore", "Spatial reference system", RuntimeWarning)
                table = exact_extract(source, frame, ops, include_cols=["_zone"], output="pandas")
            values = table[ZONAL_STATS[key]].to_numpy(dtype="float64")
            covered = table["count"].to_numpy(dtype="float64") > 0
            result[table["_zone"].to_numpy()] = np.where(covered, values, np.nan)
    missing = np.isnan(result)
    if missing.any():
        warnings.warn(
            f"{int(missing.sum())} of {len(zones)} zones have no raster data under them "
            f"(outside the raster, only nodata, or empty geometry); reported as NaN: "
            f"{format_codes(zones.index[missing])}",
            UserWarning,
            stacklevel=2,
        )
    return pd.Series(result, index=zones.index.copy(), name=key, dtype="float64")


def _band_source(src: Any, band: int) -> Any:
    from exactextract.raster import RasterioRasterSource

    return RasterioRasterSource(src, band)


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
    from PIL import Image

    _check_projected(gdf_27700, name="gdf_27700")
    res = _check_resolution(resolution)
    feature_colours = _feature_colours(gdf_27700, values, colors)
    palette = sorted({c.strip().lower() for c in feature_colours if c is not None})
    rgba = [_rgba(c) for c in palette]
    index = {c: i + 1 for i, c in enumerate(palette)}
    codes = np.array(
        [0 if c is None else index[c.strip().lower()] for c in feature_colours], dtype="int32"
    )

    merc = gdf_27700.geometry.to_crs(WEB_MERCATOR)
    geoms = np.asarray(merc.values, dtype=object)
    keep = (codes > 0) & ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    lonlat_bounds = gdf_27700.geometry.to_crs("EPSG:4326").total_bounds
    centre_lat = math.radians((lonlat_bounds[1] + lonlat_bounds[3]) / 2)
    pixel = res / math.cos(centre_lat)
    transform, width, height = _grid(merc.total_bounds, pixel)
    dtype = "uint8" if len(palette) <= 255 else "uint16"
    grid = np.zeros((height, width), dtype=dtype)
    if keep.any():
        grid = rasterio.features.rasterize(
            zip(geoms[keep], codes[keep].tolist(), strict=True),
            out_shape=(height, width),
            transform=transform,
            fill=0,
            dtype=dtype,
        )
    if len(palette) <= 255:
        image = Image.fromarray(grid, mode="P")
        flat = [0, 0, 0] + [v for c in rgba for v in c[:3]]
        image.putpalette(flat)
        alpha = bytes([0] + [c[3] for c in rgba])
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", transparency=alpha, optimize=False, compress_level=6)
    else:
        lut = np.array([(0, 0, 0, 0), *rgba], dtype="uint8")
        image = Image.fromarray(lut[grid], mode="RGBA")
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", compress_level=6)

    x0, y1 = transform.c, transform.f
    x1, y0 = x0 + width * pixel, y1 - height * pixel
    to_lonlat = Transformer.from_crs(WEB_MERCATOR, "EPSG:4326", always_xy=True)
    west, south = to_lonlat.transform(x0, y0)
    east, north = to_lonlat.transform(x1, y1)
    return buffer.getvalue(), [[float(south), float(west)], [float(north), float(east)]]


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
    from scipy import ndimage

    _check_projected(gdf_27700, name="gdf_27700")
    res = _check_resolution(resolution)
    geoms = np.asarray(gdf_27700.geometry.values, dtype=object)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    transform, width, height = _grid(gdf_27700.total_bounds, res)
    positions = np.flatnonzero(present)
    inside = rasterio.features.rasterize(
        zip(geoms[positions], positions.tolist(), strict=True),
        out_shape=(height, width),
        transform=transform,
        fill=-1,
        dtype="int32",
    )
    edges = shapely.boundary(geoms[positions])
    edges = edges[~shapely.is_empty(edges)]
    crossed = rasterio.features.rasterize(
        ((e, 1) for e in edges),
        out_shape=(height, width),
        transform=transform,
        fill=0,
        dtype="uint8",
        all_touched=True,
    ).astype(bool)
    crossed = ndimage.binary_dilation(crossed, structure=np.ones((3, 3), dtype=bool))
    grid = np.where(crossed, np.int32(-2), inside).astype("int32")
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
    if isinstance(gdf, LookupIndex):
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
