"""Exports that GIS clients and spreadsheets can trust.

* :func:`to_geojson` / :func:`write_geojson`: RFC 7946 GeoJSON (lon/lat, no ``crs`` member,
  counter-clockwise exteriors, 6 decimals, valid polygons), byte-identical for the same inputs,
  with the sources, vintages, licence and method recorded in a top-level ``"oppmap"`` member.
* :func:`to_csv_safe`: CSV whose text cells cannot run as spreadsheet formulas.
* :func:`council_pack`: a deterministic zip for one council (GeoJSON, CSV, map, README).
* :func:`safe_filename` / :func:`resolve_inside`: names from user input never leave the folder.
* :func:`rfc7946_problems`: a validator the tests (and the browser tests) use.

Every file is written atomically: a temporary file in the same folder, then :func:`os.replace`,
so a failure never leaves half a file behind (:mod:`geo.export.atomic`). The file-name guards and the
validator are defined in :mod:`geo.export._rfc7946`, the metadata checks in :mod:`geo.export.metadata`;
all are importable from here.
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

# Re-exported: the atomic writers, metadata checks, file-name guards and the RFC 7946 validator
# live in private modules but stay importable from here (geo.cli.export uses _write_bytes_atomic).
from geo.export.atomic import _atomic_target as _atomic_target
from geo.export.atomic import _write_bytes_atomic
from geo.export.metadata import _UNSUPPORTED, _check_metadata, _json_scalar
from geo.export.metadata import _json_ready as _json_ready

__all__ = ['to_geojson', 'write_geojson', 'attribution_text']


GEOJSON_CRS = "EPSG:4326"


_MAX_PRECISION = 15


# ----------------------------------------------------------------------------- metadata
def attribution_text(metadata: Mapping) -> str:
    """Plain-text attribution and provenance for a README beside an export.

    Parameters
    ----------
    metadata
        The export metadata: ``attribution`` (str or list of str, required) and optionally
        ``title``, ``sources`` (list of mappings with ``title``/``name``, ``publisher``,
        ``vintage``, ``licence``, ``url``), ``licence``, ``method`` (mapping) and ``seed``.

    Returns
    -------
    str
        Lines of text ending in a newline; the attribution statements come first.

    Raises
    ------
    InputError
        If ``metadata`` is not a mapping or carries no attribution.

    Examples
    --------
    >>> print(attribution_text({"attribution": "Contains OS data"}), end="")
    Attribution:
      Contains OS data
    """
    meta = _check_metadata(metadata)
    attribution = meta["attribution"]
    lines = ["Attribution:"]
    seen: set[str] = set()
    for line in [attribution] if isinstance(attribution, str) else attribution:
        if line not in seen:
            seen.add(line)
            lines.append(f"  {line}")
    if meta.get("licence"):
        lines += ["", f"Licence: {meta['licence']}"]
    sources = meta.get("sources") or []
    if sources:
        lines += ["", "Sources:"]
        for src in sources:
            if isinstance(src, Mapping):
                name = src.get("title") or src.get("name") or src.get("id") or "source"
                parts = [str(src[k]) for k in ("publisher", "vintage", "licence") if src.get(k)]
                text = f"  - {name}" + (f" ({', '.join(parts)})" if parts else "")
                if src.get("url") or src.get("landing"):
                    text += f"\n    {src.get('landing') or src.get('url')}"
                lines.append(text)
            else:
                lines.append(f"  - {src}")
    method = meta.get("method")
    if method:
        lines += ["", "Method parameters:"]
        if isinstance(method, Mapping):
            lines += [f"  {k}: {json.dumps(v, ensure_ascii=False)}" for k, v in method.items()]
        else:
            lines.append(f"  {method}")
    if meta.get("seed") is not None:
        lines.append(f"  seed: {meta['seed']}")
    return "\n".join(lines) + "\n"


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


def _feature_collection(gdf: gpd.GeoDataFrame, *, metadata: Mapping, precision: int) -> dict:
    _check_frame(gdf)
    if isinstance(precision, bool) or not isinstance(precision, int | np.integer):
        msg = f"`precision` must be an integer number of decimals (6 is ~10 cm); got {precision!r}"
        raise InputError(msg)
    if not 0 <= precision <= _MAX_PRECISION:
        msg = f"`precision` must be between 0 and {_MAX_PRECISION} decimals; got {precision}"
        raise InputError(msg)
    meta = _check_metadata(metadata)
    index_key = _index_property(gdf)

    order = np.argsort(np.asarray(gdf.index.astype(str)), kind="stable")
    ordered = gdf.iloc[order]
    codes = ordered.index
    geoms = _prepare_geometries(ordered.geometry, codes, int(precision))
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
            try:
                value = _json_scalar(values[i])
            except ValueError as exc:
                msg = f"`gdf` column {col!r} at {code!r}: {exc}; replace it with NaN or a number"
                raise InputError(msg) from exc
            if value is _UNSUPPORTED:
                msg = (
                    f"`gdf` column {col!r} at {code!r} holds a {type(values[i]).__name__}, "
                    "which GeoJSON properties cannot carry; convert it to text or a number"
                )
                raise InputError(msg)
            props[str(col)] = value
        features.append(
            {
                "type": "Feature",
                "id": code_value,
                "properties": props,
                "geometry": _geometry_json(geoms[i], int(precision)),
            }
        )
    return {"type": "FeatureCollection", "oppmap": meta, "features": features}


def to_geojson(gdf: gpd.GeoDataFrame, *, metadata: Mapping, precision: int = 6) -> bytes:
    """Serialise a GeoDataFrame as RFC 7946 GeoJSON, byte-identical for the same inputs.

    Geometries are reprojected to EPSG:4326 (longitude, latitude), snapped to ``precision``
    decimals with :func:`shapely.set_precision` (which keeps polygons valid), and oriented with
    counter-clockwise exteriors and clockwise holes. There is no ``crs`` member. Features are
    sorted by code; each carries the code as ``id``, as property ``code`` and under the index's
    name (e.g. ``lsoa21_code``), then every column in the frame's order. NaN becomes ``null``,
    numpy numbers become JSON numbers. A top-level foreign member ``"oppmap"`` records
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
) -> Path:
    """Write :func:`to_geojson` output to ``path`` atomically.

    Parameters
    ----------
    gdf, metadata, precision
        As for :func:`to_geojson`.
    path
        Output file (its folder must exist); replaced only once the whole file is written.

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
    return _write_bytes_atomic(path, data)
