"""Rasters: GeoTIFF exports, coverage-weighted zonal statistics, and the display overlay.

* :func:`rasterize_indicator` / :func:`write_geotiff`: an indicator on a regular grid in the
  areas' projected CRS (EPSG:27700), deflate-compressed, tiled, with overviews and provenance tags.
  Text labels (hotspot classes) become integer codes with the category table in the tags.
* :func:`zonal_stats`: mean or sum of a raster over polygons, each cell weighted by the fraction
  of it the polygon covers (``exactextract``).
* :func:`rasterize_for_display`: the national LSOA choropleth as a PNG in Web Mercator for a
  ``folium.raster_layers.ImageOverlay``, with its lat/lon bounds.
* :func:`make_lookup_index` / :func:`lsoa_at`: which area lies under a clicked point.

The last three are defined in :mod:`geo._raster_display` and importable from here.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import rasterio.features
import shapely
from affine import Affine
from pyproj import CRS
from rasterio.enums import Resampling

from geo._atomic import _atomic_target
from geo._errors import InputError, RepairedGeometryWarning, format_codes
from geo._metadata import _check_metadata

# The display overlay and the click lookup live in geo._raster_display, the grid checks in
# geo._raster_grid; their names stay importable from here.
from geo._raster_display import WEB_MERCATOR as WEB_MERCATOR
from geo._raster_display import LookupIndex, lsoa_at, make_lookup_index, rasterize_for_display
from geo._raster_grid import MAX_CELLS as MAX_CELLS
from geo._raster_grid import _check_projected, _check_resolution, _grid

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
#: Zonal statistics: normalised name -> exactextract operation.
ZONAL_STATS = {"mean": "mean", "sum": "sum", "count": "count", "min": "min", "max": "max"}


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
