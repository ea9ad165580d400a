"""Geography levels: reading, repairing and serving boundaries and graphs.

The levels oppmap knows (:data:`LEVELS`, a vintage in every name), the stored graphs
(:data:`GRAPHS`), reading a boundary file or one layer of the ONS TopoJSON into EPSG:27700 with
invalid geometries repaired, coverage-aware display copies in EPSG:4326, and loading boundaries
and graphs from the store (:func:`load`, :func:`load_graph`). Functions take paths and frames;
the store build (:mod:`geo.data.build`) decides which files to read.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from boundaries._errors import (
    DuplicateCodeError,
    OppmapError,
    RepairedGeometryWarning,
    SchemaError,
    StoreError,
    format_codes,
)
from boundaries._store import BUILD_HINT, store_dir

__all__ = [
    "BNG",
    "WGS84",
    "LEVELS",
    "DISPLAY_TOLERANCES",
    "levels",
    "index_name",
    "country_of",
    "read_boundaries",
    "read_topojson_layer",
    "repair_geometries",
    "display_copy",
    "load",
    "load_graph",
    "clear_cache",
    "GRAPHS",
    "GRAPH_LEVELS",
]

BNG = "EPSG:27700"
WGS84 = "EPSG:4326"

#: Levels served by :func:`load`: index name and a label for people.
LEVELS: dict[str, dict[str, str]] = {
    "lsoa21": {"index": "lsoa21_code", "label": "Neighbourhoods (LSOA 2021), England and Wales"},
    "lad24": {"index": "lad24_code", "label": "Councils (local authority districts 2024), UK"},
    "lad24_detailed": {
        "index": "lad24_code",
        "label": "Councils (LAD 2024), England and Wales, detailed outlines",
    },
    "utla24": {"index": "utla24_code", "label": "Upper-tier councils 2024, UK"},
    "region": {"index": "region_code", "label": "English regions (2024)"},
    "dz11": {"index": "dz11_code", "label": "Scottish data zones 2011"},
}

#: Simplification tolerance in metres for each display copy (coverage-aware: neighbours keep a
#: shared edge). "national" is the whole-country view, "council" a council and its surroundings.
DISPLAY_TOLERANCES: dict[tuple[str, str], float] = {
    ("lad24", "national"): 400.0,
    ("lad24", "council"): 60.0,
    ("lad24_detailed", "national"): 400.0,
    ("lad24_detailed", "council"): 40.0,
    ("utla24", "national"): 400.0,
    ("region", "national"): 800.0,
    ("lsoa21", "national"): 80.0,
    ("lsoa21", "council"): 10.0,
    ("dz11", "national"): 80.0,
    ("dz11", "council"): 10.0,
}

_COUNTRY = {"E": "E", "W": "W", "S": "S", "N": "N", "9": "N"}


def levels() -> list[str]:
    """Names of the levels that :func:`load` serves."""
    return list(LEVELS)


def _level_key(level: str) -> str:
    key = str(level).strip().lower()
    if key not in LEVELS:
        msg = f"`level` {level!r} is not a known level; valid levels: {list(LEVELS)}"
        raise OppmapError(msg)
    return key


def index_name(level: str) -> str:
    """Index name of a level's tables, e.g. ``"lad24_code"``."""
    return LEVELS[_level_key(level)]["index"]


def country_of(codes: pd.Index | pd.Series) -> pd.Series:
    """Country letter (E, W, S, N) from the first character of GSS codes."""
    first = pd.Series(np.asarray(codes, dtype=object), index=codes).astype(str).str[0]
    return first.map(_COUNTRY).fillna("?")


def repair_geometries(gdf: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Repair invalid geometries with ``make_valid``, keeping only their polygonal parts.

    Returns
    -------
    (GeoDataFrame, list of str)
        The repaired frame (same index) and the codes that were repaired.
    """
    # Invalid shapes, and valid collections that mix in lines or points, are both repaired:
    # analysis and coverage simplification need (multi)polygons only.
    invalid = ~gdf.geometry.is_valid | ~gdf.geom_type.isin(["Polygon", "MultiPolygon"])
    codes = [str(c) for c in gdf.index[invalid]]
    if codes:
        gdf = gdf.copy()
        fixed = shapely.make_valid(gdf.geometry[invalid].values)
        fixed = [_polygonal(g) for g in fixed]
        gdf.loc[invalid, gdf.geometry.name] = gpd.GeoSeries(fixed, index=gdf.index[invalid], crs=gdf.crs)
    empty = gdf.geometry.is_empty | gdf.geometry.isna()
    if empty.any():
        msg = (
            f"{int(empty.sum())} boundaries have no usable geometry after repair: "
            f"{format_codes(gdf.index[empty])}; check the source file"
        )
        raise SchemaError(msg)
    return gdf, codes


def _polygonal(geom: Any) -> Any:
    if geom is None or geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    polys: list[Any] = []
    for g in getattr(geom, "geoms", []):
        if g.geom_type == "Polygon":
            polys.append(g)
        elif g.geom_type == "MultiPolygon":
            polys.extend(g.geoms)
        elif g.geom_type == "GeometryCollection":
            sub = _polygonal(g)
            polys.extend(getattr(sub, "geoms", [sub]) if not sub.is_empty else [])
    return shapely.MultiPolygon(polys) if polys else shapely.Polygon()


def _finish(gdf: gpd.GeoDataFrame, *, code_column: str, source: str,
            expected_rows: int | None) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    gdf[code_column] = gdf[code_column].astype(str).str.strip()
    dup = gdf[code_column][gdf[code_column].duplicated(keep=False)]
    if len(dup):
        msg = f"{source}: codes in {code_column!r} are repeated: {format_codes(sorted(set(dup)))}"
        raise DuplicateCodeError(msg)
    gdf = gdf.set_index(code_column).sort_index()
    if gdf.crs is None:
        msg = f"{source}: the file has no CRS; expected EPSG:4326 or EPSG:27700"
        raise SchemaError(msg)
    gdf = gdf.to_crs(BNG)
    gdf, repaired = repair_geometries(gdf)
    if repaired:
        warnings.warn(
            f"{source}: repaired {len(repaired)} invalid geometries with make_valid: "
            f"{format_codes(repaired)}",
            RepairedGeometryWarning,
            stacklevel=3,
        )
    info = {"rows": int(len(gdf)), "repaired": repaired}
    if expected_rows is not None and len(gdf) != expected_rows:
        info["expected_rows"] = expected_rows
        msg = f"{source}: expected {expected_rows} features, found {len(gdf)}"
        raise SchemaError(msg)
    gdf.insert(0, "country", country_of(gdf.index).to_numpy())
    return gdf, info


def read_boundaries(path: Path | str, *, columns: Mapping[str, str], code_column: str,
                    expected_rows: int | None = None) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """Read a boundary file into EPSG:27700, indexed by code, invalid geometries repaired.

    Parameters
    ----------
    path
        A GeoPackage (or any file GDAL reads).
    columns
        Source column -> canonical column; at least the code column and ``name``.
    code_column
        Canonical name of the code column (becomes the index).
    expected_rows
        Raise when the file does not hold exactly this many features.

    Returns
    -------
    (GeoDataFrame, dict)
        The boundaries and an info dict (rows, repaired codes).

    Raises
    ------
    SchemaError
        Missing columns (expected against found), a missing CRS, a wrong feature count.
    DuplicateCodeError
        Repeated codes, listed.
    """
    path = Path(path)
    found = [f for f in pyogrio.read_info(path)["fields"]]
    missing = [c for c in columns if c not in found]
    if missing:
        msg = f"{path.name}: columns {missing} are missing; expected {list(columns)}, found {found}"
        raise SchemaError(msg)
    gdf = pyogrio.read_dataframe(path, columns=list(columns))
    gdf = gdf.rename(columns=dict(columns))
    return _finish(gdf, code_column=code_column, source=path.name, expected_rows=expected_rows)


def read_topojson_layer(path: Path | str, *, layer: str, year: int, code_column: str,
                        prefixes: tuple[str, ...] | None = None
                        ) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """Read one layer of the ONS multi-vintage TopoJSON for one year.

    Features are kept when ``start <= year <= end`` (a missing ``end`` is open). The file carries
    no CRS: it is WGS 84 longitude/latitude and is set so before reprojection.

    Parameters
    ----------
    path
        The TopoJSON file.
    layer
        Its layer (``utla``, ``rgn``, ...).
    year
        The vintage year to keep.
    code_column
        Canonical name for ``areacd`` (``areanm`` becomes ``name``).
    prefixes
        Keep only codes starting with one of these (e.g. ``("E12",)`` for English regions).
    """
    path = Path(path)
    layers = [str(x) for x in pyogrio.list_layers(path)[:, 0]]
    if layer not in layers:
        msg = f"{path.name}: layer {layer!r} is missing; found layers {layers}"
        raise SchemaError(msg)
    gdf = pyogrio.read_dataframe(path, layer=layer)
    need = ["areacd", "areanm"]
    missing = [c for c in need if c not in gdf.columns]
    if missing:
        msg = f"{path.name} layer {layer!r}: columns {missing} are missing; found {list(gdf.columns)}"
        raise SchemaError(msg)
    # Layers without start/end (regions) hold one vintage: every feature is open-ended.
    nan = pd.Series(float("nan"), index=gdf.index)
    start = pd.to_numeric(gdf["start"], errors="coerce") if "start" in gdf else nan
    end = pd.to_numeric(gdf["end"], errors="coerce") if "end" in gdf else nan
    keep = (start.fillna(0) <= year) & (end.isna() | (end >= year))
    gdf = gdf.loc[keep, ["areacd", "areanm", "geometry"]].rename(
        columns={"areacd": code_column, "areanm": "name"}
    )
    if prefixes:
        gdf = gdf[gdf[code_column].astype(str).str.startswith(prefixes)]
    gdf = gdf.set_crs(WGS84, allow_override=True)
    return _finish(gpd.GeoDataFrame(gdf, geometry="geometry"), code_column=code_column,
                   source=f"{path.name}[{layer}, {year}]", expected_rows=None)


def display_copy(gdf: gpd.GeoDataFrame, *, tolerance: float,
                 columns: list[str] | None = None) -> gpd.GeoDataFrame:
    """A simplified EPSG:4326 copy for maps, simplified with coverage-aware simplification.

    Neighbours keep a common edge (``shapely.coverage_simplify``), so no slivers or gaps appear
    between councils at any zoom.

    Parameters
    ----------
    gdf
        Boundaries in a projected CRS (metres).
    tolerance
        Simplification tolerance in metres.
    columns
        Attribute columns to keep (default: ``name`` when present).
    """
    if gdf.crs is None or not gdf.crs.is_projected:
        msg = f"`gdf` must be in a projected CRS (EPSG:27700) to simplify in metres; got {gdf.crs}"
        raise OppmapError(msg)
    keep = columns if columns is not None else [c for c in ("name",) if c in gdf.columns]
    geoms = shapely.coverage_simplify(gdf.geometry.values, tolerance, simplify_boundary=True)
    geoms = shapely.make_valid(geoms)
    out = gpd.GeoDataFrame(gdf[keep].copy(), geometry=list(geoms), crs=gdf.crs)
    out = out.to_crs(WGS84)
    # Reprojection can leave a few self-touching rings invalid: repair after it, not before.
    bad = ~out.geometry.is_valid
    if bad.any():
        out.loc[bad, out.geometry.name] = gpd.GeoSeries(
            [_polygonal(g) for g in shapely.make_valid(out.geometry[bad].values)],
            index=out.index[bad], crs=out.crs)
    return out


# ----------------------------------------------------------------------------- loading

@lru_cache(maxsize=32)
def _read_parquet(path: str, _mtime: float) -> gpd.GeoDataFrame:
    return gpd.read_parquet(path)


def clear_cache() -> None:
    """Forget boundaries cached in this process (after a rebuild)."""
    _read_parquet.cache_clear()
    _read_graph.cache_clear()


def load(level: str, *, display: str | None = None) -> gpd.GeoDataFrame:
    """Load a level's boundaries from the store.

    Parameters
    ----------
    level
        One of :data:`LEVELS`: ``lsoa21``, ``lad24``, ``lad24_detailed``, ``utla24``, ``region``,
        ``dz11``.
    display
        ``None`` for the analysis copy in EPSG:27700; ``"national"`` or ``"council"`` for the
        simplified EPSG:4326 display copy.

    Returns
    -------
    GeoDataFrame
        Indexed by code (``index.name`` like ``"lad24_code"``), with ``name``, ``country``,
        ``island`` and parent codes.

    Raises
    ------
    StoreError
        If the store is missing or outdated (with the command that builds it).

    Examples
    --------
    >>> lad = load("lad24")  # doctest: +SKIP
    >>> lad.crs.to_epsg(), len(lad)  # doctest: +SKIP
    (27700, 361)
    """
    key = _level_key(level)
    store = store_dir()
    if display is None:
        path = store / "boundaries" / f"{key}.parquet"
    else:
        view = str(display).strip().lower()
        if (key, view) not in DISPLAY_TOLERANCES:
            views = sorted(v for (lv, v) in DISPLAY_TOLERANCES if lv == key)
            msg = f"`display` {display!r} is not available for {key!r}; valid: {views} or None"
            raise OppmapError(msg)
        path = store / "display" / f"{key}_{view}.parquet"
    if not path.exists():
        msg = f"the store has no file {path.relative_to(store)}: {BUILD_HINT}"
        raise StoreError(msg)
    gdf = _read_parquet(str(path), path.stat().st_mtime)
    return gdf.copy()


@lru_cache(maxsize=8)
def _read_graph(path: str, _mtime: float):  # noqa: ANN202 - libpysal Graph
    from libpysal.graph import Graph, read_parquet

    graph = read_parquet(path)
    # libpysal trap: a graph read back from Parquet orders its sparse matrix by sorted code, not
    # by its ids; rebuild it so that positional consumers (esda) pair values with the right areas.
    index = graph._adjacency.index
    ids = graph.unique_ids
    if not (index.levels[0].equals(ids) and index.levels[1].equals(ids)):
        graph = Graph(graph.adjacency, transformation=graph.transformation)
    return graph


#: Graphs kept in the store (fuzzy contiguity, islands joined to their nearest neighbours):
#: name -> (level, country letter of the nodes or ``None`` for all of the level).
GRAPH_LEVELS: dict[str, tuple[str, str | None]] = {
    "lsoa21": ("lsoa21", None),
    "lsoa21_en": ("lsoa21", "E"),
    "lsoa21_wa": ("lsoa21", "W"),
    "dz11": ("dz11", None),
    "lad24": ("lad24", None),
}

#: Names of the stored graphs.
GRAPHS = tuple(GRAPH_LEVELS)


def load_graph(name: str):  # noqa: ANN201 - libpysal Graph
    """Load a stored contiguity graph (one of :data:`GRAPHS`).

    Returns
    -------
    libpysal.graph.Graph
        Binary, symmetric, no isolates; ids are the level's codes. The nodes joined to their
        nearest neighbours (islands) are listed in the level's ``island`` column.
    """
    key = str(name).strip().lower()
    if key not in GRAPHS:
        msg = f"`name` {name!r} is not a stored graph; valid: {list(GRAPHS)}"
        raise OppmapError(msg)
    path = store_dir() / "graphs" / f"{key}.parquet"
    if not path.exists():
        msg = f"the store has no graph {key!r}: {BUILD_HINT}"
        raise StoreError(msg)
    return _read_graph(str(path), path.stat().st_mtime)
