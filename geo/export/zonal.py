"""Rasters: GeoTIFF exports, coverage-weighted zonal statistics, and the display overlay.

* :func:`rasterize_indicator` / :func:`write_geotiff`: an indicator on a regular grid in the
  areas' projected CRS (EPSG:27700), deflate-compressed, tiled, with overviews and provenance tags.
  Text labels (hotspot classes) become integer codes with the category table in the tags.
* :func:`zonal_stats`: mean or sum of a raster over polygons, each cell weighted by the fraction
  of it the polygon covers (``exactextract``).
* :func:`rasterize_for_display`: the national LSOA choropleth as a PNG in Web Mercator for a
  ``folium.raster_layers.ImageOverlay``, with its lat/lon bounds.
* :func:`make_lookup_index` / :func:`lsoa_at`: which area lies under a clicked point.

The last three are defined in :mod:`geo.maps.raster` and importable from here.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import rasterio.features
import shapely
from pyproj import CRS

from geo._errors import InputError, RepairedGeometryWarning, format_codes
from geo.maps._grid import MAX_CELLS as MAX_CELLS

# The display overlay and the click lookup live in geo.maps.raster, the grid checks in
# geo.maps._grid; their names stay importable from here.
from geo.maps.raster import WEB_MERCATOR as WEB_MERCATOR

__all__ = ['zonal_stats']


#: Zonal statistics: normalised name -> exactextract operation.
ZONAL_STATS = {"mean": "mean", "sum": "sum", "count": "count", "min": "min", "max": "max"}


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
