"""GeoTIFF exports: an indicator on a regular grid that GIS clients open with its provenance.

* :func:`rasterize_indicator`: an indicator burnt onto a grid in the areas' projected CRS
  (EPSG:27700), a cell taking the value of the area containing its centre. Text labels (hotspot
  classes) become integer codes (:func:`category_codes`).
* :func:`write_geotiff`: that grid as a deflate-compressed, tiled GeoTIFF with overviews, nodata
  and provenance tags, written atomically with the attribution README beside it.

Zonal statistics of a raster are in :mod:`geo.export.zonal`; display rasters for the map in
:mod:`geo.maps.raster`.
"""

from __future__ import annotations

import json
import os
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
from rasterio.enums import Resampling

from geo._errors import InputError, format_codes
from geo.export.atomic import export_path
from geo.export.metadata import check_metadata
from geo.maps._grid import _check_projected, _check_resolution, _grid

__all__ = ['rasterize_indicator', 'category_codes', 'write_geotiff']


#: Default nodata value of float rasters (integer category rasters use 0).
FLOAT_NODATA = -9999.0


#: Overview factors built into every GeoTIFF.
OVERVIEW_FACTORS = (2, 4, 8, 16)


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
    meta = check_metadata(metadata)
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
    readme: bool = True,
) -> Path:
    """Write an indicator as a GeoTIFF that GIS clients open with its provenance.

    The file is in the areas' CRS (EPSG:27700), deflate-compressed, tiled (256 px), with
    overviews at 2, 4, 8 and 16 (average for numbers, mode for categories), nodata set, and
    tags ``INDICATOR``, ``UNITS``, ``SOURCE``, ``ATTRIBUTION``, ``LICENCE``, ``OPPMAP_METADATA``
    (the whole ``metadata`` as JSON) and, for text labels, ``CATEGORIES`` (code -> label JSON,
    also on band 1). Written atomically, with ``<path>.README.txt`` beside it.

    Parameters
    ----------
    gdf, column, resolution, nodata
        As for :func:`rasterize_indicator`.
    path
        Output ``.tif`` (its folder must exist).
    metadata
        Mapping with ``attribution`` (required), and optionally ``sources``, ``units``,
        ``indicator`` (a label), ``licence``, ``method``, ``seed``.
    readme
        Also write the attribution README beside the file.

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
    with export_path(path, metadata=metadata, readme=readme) as tmp, \
            rasterio.open(tmp, "w", **profile) as dst:
        dst.write(array, 1)
        dst.set_band_description(1, str(column))
        dst.update_tags(**tags)
        if categories is not None:
            dst.update_tags(1, CATEGORIES=tags["CATEGORIES"])
        factors = [f for f in OVERVIEW_FACTORS if min(array.shape) // f >= 1] or [2]
        dst.build_overviews(factors, resampling)
        dst.update_tags(ns="rio_overview", resampling=resampling.name)
    return Path(path)
