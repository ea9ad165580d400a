"""Coverage-weighted zonal statistics of a raster over areas (``python -m geo zonal``).

* :func:`zonal_stats`: the mean, sum, count, min or max of a raster band over each zone, each
  cell weighted by the fraction of it the zone covers (``exactextract``), indexed like the zones.
* :func:`zonal_table`: the same for a one-band raster file over a level's areas, as the table and
  metadata an export writes (the raster's own provenance, from its ``OPPMAP_METADATA`` tag, kept).
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely
from pyproj import CRS

from geo._errors import InputError, RepairedGeometryWarning, format_codes
from geo.export.metadata import export_metadata

__all__ = ['zonal_stats', 'zonal_table']


#: Areas with less of their area than this under cells with data get no statistic.
MIN_COVERAGE = 0.5

#: Zonal statistics: normalised name -> exactextract operation.
ZONAL_STATS = {"mean": "mean", "sum": "sum", "count": "count", "min": "min", "max": "max"}


def _check_arguments(stat: Any, zones: Any, raster_path: str | os.PathLike) -> tuple[str, Path]:
    """The normalised statistic and the raster's path, or one InputError naming every problem."""
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
    return key, path


def _zone_geometries(zones: gpd.GeoDataFrame, raster_crs: CRS) -> np.ndarray:
    """The zones' geometries in the raster's CRS, invalid ones repaired (with warnings)."""
    geoms = zones.geometry
    if not zones.crs.equals(raster_crs):
        warnings.warn(
            f"`zones` are in {zones.crs.to_string()} and the raster in "
            f"{raster_crs.to_string()}: the zones were reprojected to the raster's CRS "
            "for the extraction",
            UserWarning,
            stacklevel=3,
        )
        geoms = geoms.to_crs(raster_crs)
    arr = np.asarray(geoms.values, dtype=object).copy()
    present = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
    invalid = present & ~shapely.is_valid(arr)
    if invalid.any():
        warnings.warn(
            f"{int(invalid.sum())} invalid zone geometries were repaired with make_valid: "
            f"{format_codes(zones.index[invalid])}",
            RepairedGeometryWarning,
            stacklevel=3,
        )
        arr[invalid] = shapely.make_valid(arr[invalid])
    return arr


def _extract(src: Any, arr: np.ndarray, *, key: str, band: int, crs: CRS,
             fractions: np.ndarray | None = None) -> np.ndarray:
    """The statistic per zone (NaN where no cell with data lies under it); ``fractions``, when
    given, receives each zone's sum of the covered fractions of its cells with data."""
    from exactextract import exact_extract

    result = np.full(len(arr), np.nan)
    positions = np.flatnonzero(~(shapely.is_missing(arr) | shapely.is_empty(arr)))
    if not positions.size:
        return result
    frame = gpd.GeoDataFrame({"_zone": positions}, geometry=list(arr[positions]), crs=crs)
    ops = sorted({ZONAL_STATS[key], "count"})
    with warnings.catch_warnings():
        # exactextract compares WKT strings; the CRSs were checked by the caller.
        warnings.filterwarnings("ignore", "Spatial reference system", RuntimeWarning)
        table = exact_extract(_band_source(src, band), frame, ops, include_cols=["_zone"],
                              output="pandas")
    values = table[ZONAL_STATS[key]].to_numpy(dtype="float64")
    count = table["count"].to_numpy(dtype="float64")
    result[table["_zone"].to_numpy()] = np.where(count > 0, values, np.nan)
    if fractions is not None:
        fractions[table["_zone"].to_numpy()] = count
    return result


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
    return _zonal(raster_path, zones, stat=stat, band=band)[0]


def _zonal(raster_path: str | os.PathLike, zones: gpd.GeoDataFrame, *, stat: str,
           band: int) -> tuple[pd.Series, pd.Series]:
    """:func:`zonal_stats` and the share of each zone's area under cells with data (NaN for a
    raster in a geographic CRS)."""
    key, path = _check_arguments(stat, zones, raster_path)
    fractions = np.zeros(len(zones))
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
        arr = _zone_geometries(zones, raster_crs)
        result = _extract(src, arr, key=key, band=band, crs=raster_crs, fractions=fractions)
        cell_area = abs(src.transform.a * src.transform.e - src.transform.b * src.transform.d)
    area = shapely.area(arr)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.clip(fractions * cell_area / area, 0.0, 1.0) if raster_crs.is_projected else (
            np.full(len(zones), np.nan))
    missing = np.isnan(result)
    if missing.any():
        warnings.warn(
            f"{int(missing.sum())} of {len(zones)} zones have no raster data under them "
            f"(outside the raster, only nodata, or empty geometry); reported as NaN: "
            f"{format_codes(zones.index[missing])}",
            UserWarning,
            stacklevel=2,
        )
    index = zones.index.copy()
    return (pd.Series(result, index=index, name=key, dtype="float64"),
            pd.Series(share, index=index, name="data_coverage", dtype="float64"))


def _band_source(src: Any, band: int) -> Any:
    from exactextract.raster import RasterioRasterSource

    return RasterioRasterSource(src, band)


def _raster_provenance(path: Path) -> dict[str, Any]:
    """The raster's ``OPPMAP_METADATA`` tag (``{}`` if none); one band is required."""
    try:
        with rasterio.open(path) as src:
            tags, bands = src.tags(), src.count
    except (OSError, rasterio.errors.RasterioError) as exc:
        msg = f"`raster_path` {str(path)!r} cannot be read as a raster: {exc}"
        raise InputError(msg) from exc
    if bands > 1:
        msg = (f"`raster_path` {path.name!r} has {bands} bands; zonal statistics use one. "
               "Save the band you want as its own GeoTIFF (e.g. gdal_translate -b 1).")
        raise InputError(msg)
    try:
        meta = json.loads(tags.get("OPPMAP_METADATA", "{}"))
    except json.JSONDecodeError:
        meta = {}
    return meta if isinstance(meta, dict) else {}


def zonal_table(
    raster_path: str | os.PathLike, zones: gpd.GeoDataFrame, *, stat: str = "mean", level: str
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A one-band raster's statistic over a level's areas, with the metadata to export it.

    Parameters
    ----------
    raster_path
        A one-band raster with a CRS (a GeoTIFF of ``python -m geo raster`` or any other).
    zones
        The level's areas (``boundaries.load(level)``), indexed by code.
    stat
        As for :func:`zonal_stats`.
    level
        The zones' level, for the metadata (its boundaries are credited).

    Returns
    -------
    (DataFrame, dict)
        ``name`` (when the zones have one), the statistic (NaN where less than
        :data:`MIN_COVERAGE` of the area lies under cells with data, with a warning) and
        ``data_coverage`` (that share), indexed like ``zones``; metadata
        with the raster's sources and attribution first, then the boundaries', and the method.

    Raises
    ------
    InputError
        A missing or unreadable raster, more than one band, or no value for any zone.
    """
    path = Path(raster_path).expanduser()
    if not path.is_file():
        msg = f"`raster_path` {str(raster_path)!r} does not exist; check the path"
        raise InputError(msg)
    provenance = _raster_provenance(path)
    values, coverage = _zonal(path, zones, stat=stat, band=1)
    thin = (coverage < MIN_COVERAGE) & values.notna()
    if thin.any():  # e.g. Welsh councils beside England under an England-only raster
        warnings.warn(
            f"{int(thin.sum())} {level} areas have less than {MIN_COVERAGE:.0%} of their area "
            f"under cells with data (the raster does not cover them, only cells along their "
            f"edge); their {values.name} is reported as NaN, their data_coverage kept: "
            f"{format_codes(zones.index[thin.to_numpy()])}", UserWarning, stacklevel=2)
        values = values.mask(thin)
    if values.notna().sum() == 0:
        msg = (f"`raster_path` {path.name!r} gives no value for any {level} area: it does not "
               "overlap Great Britain, or all its cells are nodata. Check its extent and CRS.")
        raise InputError(msg)
    table = pd.DataFrame({"name": zones["name"]}) if "name" in zones.columns else (
        pd.DataFrame(index=zones.index))
    table[values.name] = values
    table["data_coverage"] = coverage.round(4)
    meta = export_metadata([], level=level)
    lines = provenance.get("attribution") or []
    lines = [lines] if isinstance(lines, str) else list(lines)
    meta["attribution"] = list(dict.fromkeys([*lines, *meta["attribution"]]))
    meta["sources"] = [*(provenance.get("sources") or []), *meta["sources"]]
    meta["method"] = {
        "zonal_statistic": values.name,
        "weighting": "each cell weighted by the fraction of it inside the area (exactextract)",
        "raster": path.name,
        "data_coverage": ("share of each area under cells with data; below "
                          f"{MIN_COVERAGE:.0%} the statistic is not given (NaN)"),
        "raster_indicator": provenance.get("indicator"),
    }
    return table, meta
