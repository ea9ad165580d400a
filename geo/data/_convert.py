"""Conversions for :mod:`geo.data.fetch`: official tables and features to mirror files.

CSV headers are renamed to mirror columns, ArcGIS features become a GeoDataFrame, TopoJSON is
checked, and derived boundaries are dissolved from their child areas through a lookup.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from geo._errors import DuplicateCodeError, SchemaError, VintageError, format_codes


def _read_official_csv(path: Path, *, entry: dict[str, Any]) -> pd.DataFrame:
    head = path.read_bytes()[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype", b"<html", b"<?xml")):
        msg = (
            f"dataset {entry['id']!r}: {entry['url']} returned a web page, not a CSV; download the "
            f"file from {entry['landing']} and update `url` in data/sources.toml"
        )
        raise SchemaError(msg)
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        msg = f"dataset {entry['id']!r}: the download from {entry['url']} is not a UTF-8 CSV ({exc})"
        raise SchemaError(msg) from exc


def _norm(name: str) -> str:
    return re.sub(r"\s+", " ", str(name)).strip().casefold()


def _to_mirror_columns(table: pd.DataFrame, *, entry: dict[str, Any], source: str
                       ) -> pd.DataFrame:
    """Rename official headers to mirror columns and keep only those.

    The mapping is ``official_columns`` (official header -> mirror column); without it the official
    file must carry the mirror columns (the keys of ``columns``) itself. Headers match exactly, or
    else ignoring case and runs of white space.
    """
    ident = entry["id"]
    mapping: dict[str, str] = dict(entry.get("official_columns") or
                                   {c: c for c in entry.get("columns", {})})
    found = [str(c) for c in table.columns]
    by_norm = {_norm(c): c for c in found}
    chosen: dict[str, str] = {}
    missing = []
    for official, mirror in mapping.items():
        if official in found:
            chosen[official] = mirror
        elif _norm(official) in by_norm:
            chosen[by_norm[_norm(official)]] = mirror
        else:
            missing.append(official)
    if missing:
        hint = ("update [dataset.official_columns] in data/sources.toml"
                if entry.get("official_columns") else
                "add [dataset.official_columns] (official header = mirror column) to the entry "
                "in data/sources.toml")
        msg = (
            f"dataset {ident!r}: the official file {source} lacks {len(missing)} expected "
            f"column(s) {missing}; expected {list(mapping)}, found {found}. The publisher may "
            f"have renamed them: {hint}"
        )
        raise SchemaError(msg)
    out = table[list(chosen)].rename(columns=chosen)
    lacking = [c for c in entry.get("columns", {}) if c not in out.columns]
    if lacking:
        msg = (
            f"dataset {ident!r}: after renaming, the mirror columns {lacking} (keys of "
            f"[dataset.columns]) are missing; official_columns gives {list(out.columns)}. "
            "Make the two tables of the entry in data/sources.toml agree"
        )
        raise SchemaError(msg)
    return out


def _features_to_frame(features: list[dict[str, Any]], *, entry: dict[str, Any], source: str
                       ) -> gpd.GeoDataFrame:
    ident = entry["id"]
    if not features:
        msg = f"dataset {ident!r}: {source} returned no features"
        raise SchemaError(msg)
    nulls = sum(1 for f in features if not f.get("geometry"))
    if nulls:
        msg = (
            f"dataset {ident!r}: {nulls} of {len(features)} features from {source} have no "
            "geometry; a boundary service must return polygons (f=geojson)"
        )
        raise SchemaError(msg)
    gdf = gpd.GeoDataFrame.from_features(features, crs="EPSG:4326")
    table = _to_mirror_columns(pd.DataFrame(gdf.drop(columns="geometry")), entry=entry,
                               source=source)
    return gpd.GeoDataFrame(table, geometry=_to_multi(gdf.geometry).values, crs="EPSG:4326")


def _to_multi(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """Polygons as one-part MultiPolygons, so the layer has a single geometry type."""
    multi = [shapely.MultiPolygon([g]) if isinstance(g, shapely.Polygon) else g for g in geoms]
    return gpd.GeoSeries(multi, index=geoms.index, crs=geoms.crs)


def _check_topojson(path: Path, *, entry: dict[str, Any]) -> int:
    try:
        topo = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        msg = f"dataset {entry['id']!r}: the download from {entry['url']} is not JSON ({exc})"
        raise SchemaError(msg) from exc
    objects = topo.get("objects") if isinstance(topo, dict) else None
    if not isinstance(topo, dict) or topo.get("type") != "Topology" or not isinstance(objects,
                                                                                      dict):
        msg = (
            f"dataset {entry['id']!r}: the download from {entry['url']} is not a TopoJSON "
            "Topology (type 'Topology' with `objects`)"
        )
        raise SchemaError(msg)
    lacking = [layer for layer in entry.get("layers", []) if layer not in objects]
    if lacking:
        msg = (
            f"dataset {entry['id']!r}: the TopoJSON lacks layers {lacking}; found {sorted(objects)}"
        )
        raise SchemaError(msg)
    return sum(len(o.get("geometries", [])) for o in objects.values() if isinstance(o, dict))


def _key_for(columns: dict[str, str], canonical: str, *, entry: dict[str, Any]) -> str:
    """The mirror column whose canonical name is ``canonical`` (in ``[dataset.columns]``)."""
    for mirror, canon in columns.items():
        if canon == canonical:
            return mirror
    msg = (
        f"dataset {entry['id']!r}: no column of [dataset.columns] maps to {canonical!r} "
        f"(columns {columns})"
    )
    raise SchemaError(msg)


def _derived_inputs(entry: dict[str, Any], reg: dict[str, dict[str, Any]]
                    ) -> list[dict[str, Any]]:
    """The boundary a derived dataset dissolves and the lookup that groups it."""
    ident = entry["id"]
    src_id = entry.get("derived_from")
    if src_id not in reg:
        msg = f"dataset {ident!r}: `derived_from` {src_id!r} is not a registry id"
        raise SchemaError(msg)
    src = reg[src_id]
    lookup_id = entry.get("derived_lookup")
    if lookup_id is None:
        # The lookup from the source's level to the derived level's code, e.g. lsoa21 -> lad24.
        target = entry["code_column"]
        candidates = [
            e["id"] for e in reg.values()
            if e["kind"] == "lookup" and e["level"] == src["level"]
            and target in e.get("columns", {}).values()
            and src["code_column"] in e.get("columns", {}).values()
        ]
        if len(candidates) != 1:
            msg = (
                f"dataset {ident!r}: found {len(candidates)} lookups from {src['level']} to "
                f"{target} ({candidates}); name one with `derived_lookup` in data/sources.toml"
            )
            raise SchemaError(msg)
        lookup_id = candidates[0]
    if lookup_id not in reg:
        msg = f"dataset {ident!r}: `derived_lookup` {lookup_id!r} is not a registry id"
        raise SchemaError(msg)
    return [src, reg[lookup_id]]


def _derive_dissolved(entry: dict[str, Any], dest: Path, reg: dict[str, dict[str, Any]]
                      ) -> gpd.GeoDataFrame:
    """Dissolve the fetched child boundaries into the derived level through the lookup."""
    ident = entry["id"]
    src, lookup = _derived_inputs(entry, reg)
    child = _key_for(src["columns"], src["code_column"], entry=src)
    lk_child = _key_for(lookup["columns"], src["code_column"], entry=lookup)
    lk_parent = _key_for(lookup["columns"], entry["code_column"], entry=lookup)
    parent_name = entry["code_column"].replace("_code", "_name")
    lk_name = _key_for(lookup["columns"], parent_name, entry=lookup)
    out_code = _key_for(entry["columns"], entry["code_column"], entry=entry)
    out_name = _key_for(entry["columns"], "name", entry=entry)

    path = dest / src["file"]
    fields = list(pyogrio.read_info(path)["fields"])
    if child not in fields:
        msg = f"{path.name}: column {child!r} is missing; found {fields}"
        raise SchemaError(msg)
    areas = pyogrio.read_dataframe(path, columns=[child])
    if areas.crs is None:
        msg = f"{path.name} has no CRS; fetched boundaries are written in EPSG:4326"
        raise SchemaError(msg)
    table = pd.read_csv(dest / lookup["file"], dtype=str, keep_default_na=False,
                        encoding="utf-8-sig")
    lacking = [c for c in (lk_child, lk_parent, lk_name) if c not in table.columns]
    if lacking:
        msg = (
            f"{lookup['file']}: columns {lacking} are missing; found {list(table.columns)}"
        )
        raise SchemaError(msg)
    table = table[[lk_child, lk_parent, lk_name]]
    dup = table[lk_child][table[lk_child].duplicated()]
    if len(dup):
        msg = (
            f"dataset {ident!r}: the lookup {lookup['id']!r} lists {dup.nunique()} "
            f"{src['level']} codes more than once: {format_codes(dup.unique())}"
        )
        raise DuplicateCodeError(msg)
    codes = set(areas[child])
    no_parent = sorted(codes - set(table[lk_child]))
    no_shape = sorted(set(table[lk_child]) - codes)
    if no_parent or no_shape:
        parts = []
        if no_parent:
            parts.append(f"{len(no_parent)} areas of {src['id']!r} are not in the lookup "
                         f"({format_codes(no_parent)})")
        if no_shape:
            parts.append(f"{len(no_shape)} lookup codes have no boundary "
                         f"({format_codes(no_shape)})")
        msg = (
            f"dataset {ident!r}: {'; '.join(parts)}. Both must be the same vintage "
            f"({src['level']}); fetch them again together"
        )
        raise VintageError(msg)
    joined = areas.merge(table, left_on=child, right_on=lk_child, how="left",
                         validate="one_to_one").to_crs(27700)
    dissolved = joined.dissolve(by=lk_parent, aggfunc={lk_name: "first"}).sort_index()
    return gpd.GeoDataFrame(
        {out_code: dissolved.index.astype(str), out_name: dissolved[lk_name].to_numpy()},
        geometry=_to_multi(dissolved.geometry.to_crs(4326)).values,
        crs="EPSG:4326",
    )
