"""GeoJSON that GIS clients can trust: RFC 7946, byte-identical for the same inputs.

* :func:`to_geojson`: a GeoDataFrame as RFC 7946 GeoJSON bytes (lon/lat, no ``crs`` member,
  counter-clockwise exteriors, 6 decimals, valid polygons), with the provenance (sources, vintages,
  licence, method) in a top-level ``"oppmap"`` member; column types as :mod:`geo.export.columns`
  sets them (counts, ranks and deciles as integers).
* :func:`write_geojson`: the same written atomically, with the README of
  :func:`geo.export.metadata.write_readme` beside it.

The validator of the output is :func:`geo.export._rfc7946.rfc7946_problems`.
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
import shapely

from geo._errors import InputError, RepairedGeometryWarning, format_codes
from geo.export.atomic import write_export
from geo.export.columns import export_types
from geo.export.metadata import _UNSUPPORTED, _json_scalar, check_metadata

# Kept importable from here while geo/export/pack.py (rewritten in parallel) imports it.

__all__ = ['to_geojson', 'write_geojson']


GEOJSON_CRS = "EPSG:4326"


_MAX_PRECISION = 15


# ----------------------------------------------------------------------------- GeoJSON
def _check_frame(gdf: Any, *, name: str = "gdf") -> None:
    if not isinstance(gdf, gpd.GeoDataFrame):
        msg = f"`{name}` must be a GeoDataFrame; got {type(gdf).__name__}"
        raise InputError(msg)
    problems = []
    if gdf.crs is None:
        problems.append(
            "it has no CRS; set the one its coordinates are in, e.g. gdf.set_crs('EPSG:27700')"
        )
    if gdf.index.has_duplicates:
        dup = gdf.index[gdf.index.duplicated()].unique()
        problems.append(f"its index (the area codes) has duplicates: {format_codes(dup)}")
    if gdf.index.hasnans:
        problems.append("its index (the area codes) has missing values")
    if problems:
        msg = f"`{name}` cannot be exported: " + "; ".join(problems)
        raise InputError(msg)


def _index_property(gdf: gpd.GeoDataFrame) -> str | None:
    """The property repeating the code under the index's name (None if unnamed or "code").

    Raises if a column would clash with ``code``, with that property, or with another column.
    """
    index_name = gdf.index.name
    key = None if index_name is None or str(index_name) == "code" else str(index_name)
    columns = [str(c) for c in gdf.columns if c != gdf.geometry.name]
    reserved = {"code", key} - {None}
    clashes = sorted({c for c in columns if c in reserved or columns.count(c) > 1})
    if clashes:
        msg = (
            f"`gdf` has columns {clashes} that clash with the properties carrying the index "
            f"('code' and the index name {index_name!r}) or with each other; "
            "rename or drop them (the index already supplies the code)"
        )
        raise InputError(msg)
    return key


def _prepare_geometries(geoms: gpd.GeoSeries, codes: pd.Index, precision: int) -> np.ndarray:
    """Reproject to lon/lat, snap to the decimal grid keeping polygons valid, orient rings."""
    geoms = geoms.to_crs(GEOJSON_CRS)
    arr = shapely.force_2d(np.asarray(geoms.values, dtype=object))
    present = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
    invalid = present & ~shapely.is_valid(arr)
    if invalid.any():
        warnings.warn(
            f"{int(invalid.sum())} invalid geometries were repaired with make_valid before "
            f"export: {format_codes(codes[invalid])}",
            RepairedGeometryWarning,
            stacklevel=3,
        )
        arr[invalid] = shapely.make_valid(arr[invalid])
    snapped = arr.copy()
    snapped[present] = shapely.set_precision(arr[present], 10.0**-precision)
    collapsed = present & shapely.is_empty(snapped)
    if collapsed.any():
        msg = (
            f"`precision` {precision}: {int(collapsed.sum())} geometries collapse to nothing "
            f"when rounded ({format_codes(codes[collapsed])}); use a higher precision"
        )
        raise InputError(msg)
    snapped[present] = shapely.orient_polygons(snapped[present], exterior_cw=False)
    return snapped


def _ring(coords: np.ndarray, precision: int) -> list:
    return np.round(coords[:, :2], precision).tolist()


def _geometry_json(geom: Any, precision: int) -> dict | None:
    """RFC 7946 geometry object with coordinates rounded to ``precision`` decimals."""
    if geom is None or geom.is_empty:
        return None
    kind = geom.geom_type
    if kind == "Point":
        return {"type": kind, "coordinates": _ring(shapely.get_coordinates(geom), precision)[0]}
    if kind == "LineString":
        return {"type": kind, "coordinates": _ring(shapely.get_coordinates(geom), precision)}
    if kind == "Polygon":
        rings = [geom.exterior, *geom.interiors]
        return {
            "type": kind,
            "coordinates": [_ring(shapely.get_coordinates(r), precision) for r in rings],
        }
    if kind in ("MultiPoint", "MultiLineString", "MultiPolygon"):
        parts = [_geometry_json(g, precision) for g in geom.geoms]
        return {"type": kind, "coordinates": [p["coordinates"] for p in parts if p]}
    if kind == "GeometryCollection":
        parts = [_geometry_json(g, precision) for g in geom.geoms]
        return {"type": kind, "geometries": [p for p in parts if p]}
    msg = f"geometry type {kind!r} cannot be written to GeoJSON"  # pragma: no cover
    raise InputError(msg)  # pragma: no cover


def _check_precision(precision: Any) -> int:
    if isinstance(precision, bool) or not isinstance(precision, int | np.integer):
        msg = f"`precision` must be an integer number of decimals (6 is ~10 cm); got {precision!r}"
        raise InputError(msg)
    if not 0 <= precision <= _MAX_PRECISION:
        msg = f"`precision` must be between 0 and {_MAX_PRECISION} decimals; got {precision}"
        raise InputError(msg)
    return int(precision)


def _property(value: Any, *, col: Any, code: Any) -> Any:
    """One property value as JSON, or an InputError naming the column and the area."""
    try:
        out = _json_scalar(value)
    except ValueError as exc:
        msg = f"`gdf` column {col!r} at {code!r}: {exc}; replace it with NaN or a number"
        raise InputError(msg) from exc
    if out is _UNSUPPORTED:
        msg = (
            f"`gdf` column {col!r} at {code!r} holds a {type(value).__name__}, "
            "which GeoJSON properties cannot carry; convert it to text or a number"
        )
        raise InputError(msg)
    return out


def _feature_collection(gdf: gpd.GeoDataFrame, *, metadata: Mapping, precision: int) -> dict:
    _check_frame(gdf)
    digits = _check_precision(precision)
    meta = check_metadata(metadata)
    index_key = _index_property(gdf)

    order = np.argsort(np.asarray(gdf.index.astype(str)), kind="stable")
    ordered = export_types(gdf.iloc[order])
    codes = ordered.index
    geoms = _prepare_geometries(ordered.geometry, codes, digits)
    columns = [c for c in ordered.columns if c != ordered.geometry.name]
    col_values = [(col, ordered[col].astype(object).to_numpy()) for col in columns]

    features = []
    for i, code in enumerate(codes):
        code_value = _json_scalar(code)
        if code_value is _UNSUPPORTED:
            code_value = str(code)
        props: dict[str, Any] = {"code": code_value}
        if index_key is not None:
            props[index_key] = code_value
        for col, values in col_values:
            props[str(col)] = _property(values[i], col=col, code=code)
        features.append(
            {
                "type": "Feature",
                "id": code_value,
                "properties": props,
                "geometry": _geometry_json(geoms[i], digits),
            }
        )
    return {"type": "FeatureCollection", "oppmap": meta, "features": features}


def to_geojson(gdf: gpd.GeoDataFrame, *, metadata: Mapping, precision: int = 6) -> bytes:
    """Serialise a GeoDataFrame as RFC 7946 GeoJSON, byte-identical for the same inputs.

    Geometries are reprojected to EPSG:4326 (longitude, latitude), snapped to ``precision``
    decimals with :func:`shapely.set_precision` (which keeps polygons valid), and oriented with
    counter-clockwise exteriors and clockwise holes. There is no ``crs`` member. Features are
    sorted by code; each carries the code as ``id``, as property ``code`` and under the index's
    name (e.g. ``lsoa21_code``), then every column in the frame's order, typed by
    :func:`geo.export.columns.export_types` (counts, ranks and deciles as integers). NaN becomes
    ``null``, numpy numbers become JSON numbers. A top-level foreign member ``"oppmap"`` records
    ``metadata`` (sources, vintages, licence, attribution, method parameters, seed).

    Parameters
    ----------
    gdf
        Areas indexed by code, in any CRS (it must be set).
    metadata
        JSON-serialisable mapping; must include ``attribution`` (str or list of str).
    precision
        Decimals of the coordinates; 6 (about 10 cm) is the RFC's recommendation.

    Returns
    -------
    bytes
        UTF-8 JSON, compact, ending in a newline.

    Raises
    ------
    InputError
        No CRS, duplicate or missing codes, a column clashing with ``code``, infinite or
        unsupported values, metadata without attribution, or geometries that collapse.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> g = gpd.GeoDataFrame({"v": [1.5]}, geometry=[shapely.Point(0.1, 51.5)], crs=4326,
    ...                      index=pd.Index(["E1"], name="lsoa21_code"))
    >>> to_geojson(g, metadata={"attribution": "x"})[:30]
    b'{"type":"FeatureCollection","o'
    """
    obj = _feature_collection(gdf, metadata=metadata, precision=precision)
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (text + "\n").encode("utf-8")


def write_geojson(
    gdf: gpd.GeoDataFrame,
    path: str | os.PathLike,
    *,
    metadata: Mapping,
    precision: int = 6,
    readme: bool = True,
) -> Path:
    """Write :func:`to_geojson` output to ``path`` atomically, with a README beside it.

    Parameters
    ----------
    gdf, metadata, precision
        As for :func:`to_geojson`.
    path
        Output file (its folder must exist); replaced only once the whole file is written.
    readme
        Also write ``<path>.README.txt`` (:func:`geo.export.metadata.write_readme`).

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    InputError
        As for :func:`to_geojson`, or if the folder does not exist.

    Examples
    --------
    >>> write_geojson(g, "out.geojson", metadata={"attribution": "x"})  # doctest: +SKIP
    """
    data = to_geojson(gdf, metadata=metadata, precision=precision)
    return write_export(path, data, metadata=metadata, readme=readme)
