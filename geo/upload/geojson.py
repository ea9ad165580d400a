"""A user's own polygons (GeoJSON), and the codes of other vintages that explain uploaded codes.

* :func:`read_geojson_upload`: a user's GeoJSON of polygons, checked and returned in EPSG:27700;
  every failure is an :class:`~geo._errors.InputError` saying what is wrong and how to fix it
  (not JSON, no polygons, metres where longitude/latitude belong, outside Great Britain, polygons
  that ``make_valid`` cannot repair), never a crash.
* :func:`load_vintage_codes`: council and LSOA codes of other vintages (from the mirror), which
  :func:`geo.upload.reader.read_upload` uses to explain codes that do not match.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from geo._errors import InputError, RepairedGeometryWarning, format_codes
from geo.upload._input import _decode, _q, _read_input, safe_label

__all__ = ['load_vintage_codes', 'read_geojson_upload']


def load_vintage_codes(mirror: str | Path, *, year: int = 2024) -> pd.DataFrame:
    """Council and LSOA codes of other vintages, to explain uploaded codes that do not match.

    Reads the ONS council TopoJSON of 2014-2025 (``start``/``end`` years per code), the LAD-to-LAD
    lookup and the LSOA 2011 -> 2021 lookup from the mirror.

    Parameters
    ----------
    mirror
        The data mirror directory (``$OPPMAP_DATA``).
    year
        The boundary year in use; codes valid in that year are left out.

    Returns
    -------
    DataFrame
        Indexed by ``code``; columns ``name``, ``vintage`` (e.g. ``"council code used until 2019"``,
        ``"LSOA 2011 code"``) and ``current`` (the code(s) of ``year``, ``""`` when unknown).

    Examples
    --------
    >>> load_vintage_codes(mirror).loc["E07000004", "current"]  # doctest: +SKIP
    'E06000060'
    """
    mirror = Path(mirror)
    topo = json.loads((mirror / "boundaries/onsvisual_uk_topojson_2014_2025.topo.json").read_text())
    rows = []
    for layer, kind in (("ltla", "council"), ("utla", "upper-tier council"), ("cty", "county")):
        for geom in topo["objects"][layer]["geometries"]:
            p = geom["properties"]
            rows.append((p["areacd"], p["areanm"], layer, kind, p.get("start"), p.get("end")))
    areas = pd.DataFrame(rows, columns=["code", "name", "layer", "kind", "start", "end"])
    valid = (areas["start"].fillna(0) <= year) & (areas["end"].fillna(9999) >= year)
    current_names = areas[valid].groupby(["layer", "name"])["code"].first()
    lookup = pd.read_csv(mirror / "lookups/lookup_ltla_ltla.csv", dtype=str)
    now_col = f"ltla{year % 100}_code"
    successors: dict[str, set[str]] = {}
    if now_col in lookup:
        for col in [c for c in lookup.columns if c.endswith("_code")]:
            for old, new in zip(lookup[col], lookup[now_col], strict=True):
                successors.setdefault(old, set()).add(new)
    out = {}
    valid_codes = set(areas.loc[valid, "code"])
    for a in areas[~valid].drop_duplicates("code").itertuples():
        if a.code in valid_codes:
            continue
        if pd.notna(a.end) and a.end < year:
            vintage = f"{a.kind} code used until {int(a.end)}"
        else:
            vintage = f"{a.kind} code introduced in {int(a.start)}"
        now = sorted(successors.get(a.code, set()) - {a.code})
        if not now and (a.layer, a.name) in current_names.index:
            now = [current_names[(a.layer, a.name)]]
        out[a.code] = (a.name, vintage, "; ".join(now))
    lsoa = pd.read_csv(mirror / "lookups/lookup_lsoa11_lsoa21_ltla22.csv", dtype=str)
    gone = lsoa[~lsoa["lsoa11_code"].isin(set(lsoa["lsoa21_code"]))]
    gone = gone.groupby("lsoa11_code", sort=False).agg(
        name=("lsoa11_name", "first"), current=("lsoa21_code", lambda c: sorted(set(c))))
    for code, name, now in zip(gone.index, gone["name"], gone["current"], strict=True):
        out.setdefault(code, (name, "LSOA 2011 code", format_codes(now, limit=3)))
    frame = pd.DataFrame.from_dict(out, orient="index", columns=["name", "vintage", "current"])
    frame.index.name = "code"
    return frame


_BNG_BOX = (-100_000.0, -100_000.0, 800_000.0, 1_400_000.0)


def _geojson_crs(obj: dict) -> str | None:
    crs = obj.get("crs")
    if crs is None:
        return None
    name = (crs.get("properties") or {}).get("name") if isinstance(crs, dict) else None
    if not isinstance(name, str):
        raise InputError("The GeoJSON 'crs' member has no name; remove it and store WGS 84 "
                         "longitude/latitude (RFC 7946).")
    if name.upper().endswith(("CRS84", "EPSG::4326", "EPSG:4326")):
        return "EPSG:4326"
    return name


def _features(text: str, *, max_features: int) -> tuple[dict, list]:
    """The parsed document and its features (a lone Feature or geometry counts as one)."""
    if not text.strip():
        raise InputError("The file is empty. Upload a GeoJSON FeatureCollection of polygons.")
    try:
        obj = json.loads(text)
    except ValueError as err:
        raise InputError(f"The file is not valid JSON ({err}). Export the areas as GeoJSON "
                         "(RFC 7946) and upload that.") from None
    kind = obj.get("type") if isinstance(obj, dict) else None
    if kind == "FeatureCollection":
        features = obj.get("features")
    elif kind == "Feature":
        features = [obj]
    elif kind in ("Polygon", "MultiPolygon"):
        features = [{"type": "Feature", "geometry": obj, "properties": {}}]
    else:
        raise InputError(f"Expected a GeoJSON FeatureCollection; got {_q(kind or type(obj).__name__)}"
                         ". Export the areas as GeoJSON and upload that.")
    if not isinstance(features, list) or not features:
        raise InputError("The GeoJSON has no features. Export at least one polygon.")
    if len(features) > max_features:
        raise InputError(f"The GeoJSON has {len(features):,} features; the limit is "
                         f"{max_features:,}. Dissolve or select the areas you need.")
    return obj, features


def _polygons(features: list) -> tuple[list, list[dict]]:
    """Shapely polygons and properties of the features; refuses missing or other geometries."""
    from shapely.geometry import shape

    geoms, props, missing, empty = [], [], [], []
    types: dict[str, int] = {}
    for i, feat in enumerate(features):
        geom = feat.get("geometry") if isinstance(feat, dict) else None
        if not isinstance(geom, dict) or not geom.get("type"):
            missing.append(i)
            continue
        types[geom["type"]] = types.get(geom["type"], 0) + 1
        if geom["type"] in ("Polygon", "MultiPolygon"):
            try:
                geoms.append(shape(geom))
            except (ValueError, TypeError, AttributeError, IndexError) as err:
                raise InputError(f"Feature {i} has a malformed {geom['type']} ({err}). Fix or "
                                 "remove it and export again.") from None
            if geoms[-1].is_empty:  # before the lon/lat check, which empty bounds (NaN) fail
                empty.append(i)
            props.append(feat.get("properties") or {})
    if missing:
        raise InputError(f"{len(missing)} features have no geometry (features "
                         f"{format_codes(missing, limit=5)}). Remove them or draw their areas.")
    if empty:
        raise InputError(f"{len(empty)} features have an empty geometry, a polygon without "
                         f"coordinates (features {format_codes(empty, limit=5)}, counting from "
                         "0). Remove them or draw their areas.")
    other = {t: n for t, n in types.items() if t not in ("Polygon", "MultiPolygon")}
    if other:
        shown = ", ".join(f"{n} {_q(t)}" for t, n in other.items())
        raise InputError(f"Only Polygon and MultiPolygon areas can be used; the file has {shown}. "
                         "Buffer points and lines into areas, or upload only the polygons.")
    return geoms, props


def _coordinates_crs(declared: str | None, bounds: tuple[float, float, float, float]) -> str:
    """The CRS the coordinates are in, refusing what they cannot be (metres without a crs...)."""
    xmin, ymin, xmax, ymax = bounds
    lonlat = xmin >= -180 and xmax <= 180 and ymin >= -90 and ymax <= 90
    bng = (xmin >= _BNG_BOX[0] and xmax <= _BNG_BOX[2] and ymin >= _BNG_BOX[1]
           and ymax <= _BNG_BOX[3])
    shown = f"x {xmin:,.6g} to {xmax:,.6g}, y {ymin:,.6g} to {ymax:,.6g}"
    if declared is not None and declared != "EPSG:4326":
        if lonlat and "27700" in declared:
            raise InputError(f"The file declares {_q(declared)} (British National Grid) but the "
                             f"coordinates ({shown}) look like longitude/latitude. Remove the "
                             "'crs' member.")
        return declared
    if not lonlat and bng:
        raise InputError(
            f"The coordinates ({shown}) look like British National Grid metres "
            "(eastings/northings), but GeoJSON must be WGS 84 longitude/latitude "
            "(RFC 7946). Reproject to WGS 84 (EPSG:4326), e.g. in QGIS 'Export > Save "
            "Features As' with CRS EPSG:4326 or `ogr2ogr -t_srs EPSG:4326`, or declare "
            "\"crs\": {\"type\": \"name\", \"properties\": {\"name\": "
            "\"urn:ogc:def:crs:EPSG::27700\"}}.")
    if not lonlat:
        raise InputError(f"The coordinates ({shown}) are not longitude/latitude. Reproject the "
                         "areas to WGS 84 (EPSG:4326) and export again.")
    if xmin >= 49 and xmax <= 61 and ymin >= -9 and ymax <= 3:
        raise InputError(f"The coordinates ({shown}) look like latitude/longitude in the wrong "
                         "order; GeoJSON needs longitude first. Swap them and export again.")
    return "EPSG:4326"


def _repair(gdf):  # noqa: ANN001, ANN202 - GeoDataFrame in and out
    """Invalid or empty polygons repaired with make_valid (polygon parts kept), with a warning."""
    import geopandas as gpd

    invalid = ~gdf.is_valid | gdf.is_empty
    if not invalid.any():
        return gdf, 0
    fixed = gdf.geometry[invalid].make_valid()
    polys = [shapely.union_all([g for g in shapely.get_parts(f)
                                if g.geom_type in ("Polygon", "MultiPolygon")])
             if not f.is_empty else f for f in fixed]
    fixed = gpd.GeoSeries(polys, index=fixed.index, crs=gdf.crs)
    broken = fixed.index[fixed.is_empty | (fixed.area <= 0)]
    if len(broken):
        raise InputError(f"{len(broken)} polygons are empty or have no area even after "
                         f"repair (features {format_codes(list(broken), limit=5)}). Redraw "
                         "or remove them.")
    gdf.loc[invalid, "geometry"] = fixed
    warnings.warn(f"{int(invalid.sum())} invalid polygons were repaired with make_valid "
                  f"(features {format_codes(list(fixed.index), limit=5)})",
                  RepairedGeometryWarning, stacklevel=4)
    return gdf, int(invalid.sum())


def _read_geojson_upload(data: bytes | str | Path, *, max_bytes: int = 20_000_000,
                         max_features: int = 20_000, filename: str | None = None):  # noqa: ANN202
    """Check a user's GeoJSON of polygons and return it as a GeoDataFrame in EPSG:27700.

    Anything the checks below did not foresee (deeply nested arrays, NaN coordinates that
    GEOS refuses, ...) is reported as an :class:`InputError` too, never a crash.

    Parameters
    ----------
    data
        The file's bytes, its text (``str``), a :class:`pathlib.Path` or a binary file object.
    max_bytes, max_features
        Size limits.
    filename
        Name shown in messages.

    Returns
    -------
    GeoDataFrame
        One row per feature (index ``feature``, in file order), the properties as columns, in
        EPSG:27700. ``attrs["report"]`` holds ``features``, ``repaired`` and ``crs_source``.

    Raises
    ------
    InputError
        Not JSON/GeoJSON, empty, non-polygon or missing geometries, coordinates that are not
        longitude/latitude (e.g. British National Grid metres without a ``crs`` member), areas outside
        Great Britain, geometries that ``make_valid`` cannot repair.

    Warns
    -----
    RepairedGeometryWarning
        When invalid polygons were repaired with ``make_valid`` (the count is in the message).
    """
    import geopandas as gpd

    raw, filename = _read_input(data, max_bytes=max_bytes, filename=filename)
    text, _, _ = _decode(raw, "a GeoJSON file")
    obj, features = _features(text, max_features=max_features)
    geoms, props = _polygons(features)
    xmin, ymin, xmax, ymax = (float(v) for v in shapely.total_bounds(np.array(geoms, dtype=object)))
    declared = _geojson_crs(obj)
    crs = _coordinates_crs(declared, (xmin, ymin, xmax, ymax))
    attributes = pd.DataFrame(props).rename(columns={"geometry": "properties_geometry"})
    try:
        gdf = gpd.GeoDataFrame(attributes, geometry=geoms, crs=crs).to_crs(27700)
    except Exception as err:  # pyproj.CRSError and friends: an unreadable crs name
        raise InputError(f"Cannot use the declared CRS {_q(declared)} ({safe_label(err)}). Store "
                         "WGS 84 longitude/latitude without a 'crs' member.") from None
    gdf.index.name = "feature"
    if not gdf.intersects(shapely.box(*_BNG_BOX)).any():
        raise InputError(f"The areas lie outside Great Britain (x {xmin:,.6g} to {xmax:,.6g}, "
                         f"y {ymin:,.6g} to {ymax:,.6g}). Check the coordinates and their CRS.")
    gdf, repaired = _repair(gdf)
    gdf.attrs["report"] = {"features": len(gdf), "repaired": repaired,
                           "crs_source": safe_label(declared or "RFC 7946 (WGS 84)"),
                           "filename": safe_label(filename) if filename else None}
    return gdf


def read_geojson_upload(data: bytes | str | Path, *, max_bytes: int = 20_000_000,
                        max_features: int = 20_000, filename: str | None = None):
    """Check a user's GeoJSON of polygons and return it as a GeoDataFrame in EPSG:27700.

    See :func:`_read_geojson_upload` for the checks; every failure is an :class:`InputError`
    whose message says what is wrong and how to fix it.
    """
    try:
        return _read_geojson_upload(data, max_bytes=max_bytes, max_features=max_features,
                                    filename=filename)
    except InputError:
        raise
    except (RecursionError, ValueError, TypeError, KeyError, AttributeError, IndexError,
            shapely.errors.GEOSException) as exc:
        detail = safe_label(f"{type(exc).__name__}: {exc}", max_length=120)
        msg = (f"The GeoJSON could not be read ({detail}). Check that it is a FeatureCollection "
               "of Polygon/MultiPolygon features with finite WGS 84 longitude/latitude "
               "coordinates (RFC 7946), for example by re-exporting it from QGIS.")
        raise InputError(msg) from None
