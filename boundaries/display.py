"""Display geography precomputed by the store build, so that the app only loads it.

What the app drew and clicked used to be built by a background thread on each server start
(about 8 s on two cores, competing with the first visitor). The build now writes, beside the
display copies (``display/`` in the store):

- ``<level>_positions.npz``: every area's row position burnt into the Web Mercator grid of the
  national image (:func:`boundaries.grids.position_grid`), for each level of
  :data:`IMAGE_LEVELS` in the store;
- ``<level>_lookup.npz``: the coarse grid of the point-in-area lookup of map clicks
  (:func:`boundaries.grids.lookup_grid`), same levels;
- ``places.parquet``: label points of councils (both tiers) and of places (wards, or data
  zones by the name they share without their number), with a weight and the zoom from which
  they show;
- ``groups_<name>.parquet``: outlines of groups of small areas (the named clusters), dissolved
  and simplified for a national map, with a point inside each for its label.

:func:`write_display_extras` is the one call of the build; ``load_*`` read them back (cached
per file). Nothing here knows what a cluster is: the build passes each group as a Series of
group ids indexed by area code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine

from boundaries._errors import InputError, StoreError
from boundaries._store import BUILD_HINT, store_dir
from boundaries.grids import PositionGrid, lookup_grid, position_grid

__all__ = ["IMAGE_LEVELS", "GRID_RESOLUTION", "write_display_extras", "place_points",
           "load_position_grid", "load_lookup_grid", "load_places", "load_group_outlines"]

#: Small-area levels painted into one national image (and clicked on it).
IMAGE_LEVELS = ("lsoa21", "dz11")
#: Pixel and lookup-cell size of the national image, in metres.
GRID_RESOLUTION = 500.0
#: Simplification of group outlines for a national map, in metres.
GROUP_TOLERANCE = 50.0
#: Zoom from which labels show: councils (a national map of England is near zoom 6), then
#: places (wards, data zones).
COUNCIL_MIN_ZOOM = 6.0
PLACE_MIN_ZOOM = 11.0
#: Councils named on maps (each map names the level it draws).
COUNCIL_LEVELS = ("lad24", "utla24")
#: Columns of the stored label points.
PLACE_FIELDS = ("kind", "level", "code", "name", "lon", "lat", "weight", "min_zoom")
#: Where each level takes its place names: (column of the key, column of the name).
PLACE_COLUMNS = {"lsoa21": ("ward24_code", "ward24_name"), "dz11": (None, "name")}
_DZ_NUMBER = re.compile(r"\s*-\s*\d+$")


def _lonlat(points: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray]:
    ll = points.to_crs("EPSG:4326")
    return np.round(ll.x.to_numpy(), 5), np.round(ll.y.to_numpy(), 5)


def place_points(gdf_27700: gpd.GeoDataFrame, names: pd.Series, *,
                 keys: pd.Series | None = None) -> pd.DataFrame:
    """One label point per place: the member area nearest the middle of its members.

    Parameters
    ----------
    gdf_27700
        Small areas in EPSG:27700, indexed by code.
    names
        The place name of each area (indexed like ``gdf_27700``); missing names are skipped.
    keys
        What makes a place (e.g. the ward code, since ward names repeat across councils);
        default the name itself.

    Returns
    -------
    pandas.DataFrame
        Indexed by key: ``name``, ``lon``, ``lat`` (degrees, 5 decimals) and ``n_areas``.

    Examples
    --------
    >>> place_points(lsoas, lsoas["ward24_name"], keys=lsoas["ward24_code"])  # doctest: +SKIP
    """
    keys = names if keys is None else keys
    ok = names.notna() & keys.notna() & names.astype(str).str.strip().ne("")
    points = gdf_27700.geometry[ok].representative_point()
    frame = pd.DataFrame({"key": keys[ok].to_numpy(), "name": names[ok].astype(str).to_numpy(),
                          "x": points.x.to_numpy(), "y": points.y.to_numpy()})
    middle = frame.groupby("key")[["x", "y"]].transform("mean")
    frame["d"] = np.hypot(frame["x"] - middle["x"], frame["y"] - middle["y"])
    best = frame.loc[frame.groupby("key")["d"].idxmin()].set_index("key")
    lon, lat = _lonlat(gpd.GeoSeries(gpd.points_from_xy(best["x"], best["y"]),
                                     crs=gdf_27700.crs))
    out = pd.DataFrame({"name": best["name"], "lon": lon, "lat": lat,
                        "n_areas": frame.groupby("key").size().reindex(best.index)})
    out.index.name = "key"
    return out


def _council_rows(levels: Mapping[str, gpd.GeoDataFrame], level: str,
                  people: pd.Series | None = None) -> pd.DataFrame:
    """Label points of the councils of ``level``, weighted by their people: ``people`` (per
    LAD 2024, summed to upper tiers by ``utla24_code``) where given, else their number of
    LSOAs, else, for councils with neither, half their area share."""
    councils = levels[level]
    if people is not None and level != "lad24" and "lad24" in levels:
        owner = levels["lad24"].get(f"{level}_code")
        people = (people.groupby(owner.reindex(people.index)).sum(min_count=1)
                  if owner is not None else None)
    if people is not None:
        counts = people.reindex(councils.index).astype("float64")
    else:
        lsoa = levels.get("lsoa21")
        column = f"{level}_code"
        counts = (lsoa[column].value_counts() if lsoa is not None and column in lsoa
                  else pd.Series(dtype=float)).reindex(councils.index)
    area = councils.geometry.area
    weight = (counts / counts.max()).where(counts.notna(), 0.5 * area / area.max()).fillna(0)
    lon, lat = _lonlat(councils.geometry.representative_point())
    return pd.DataFrame({"kind": "council", "level": level,
                         "code": councils.index.astype(str), "name": councils["name"].astype(str),
                         "lon": lon, "lat": lat, "weight": weight.to_numpy(dtype="float64"),
                         "min_zoom": COUNCIL_MIN_ZOOM})


def _places(levels: Mapping[str, gpd.GeoDataFrame],
            people: pd.Series | None = None) -> pd.DataFrame:
    """Council and place label points of the levels in ``levels``: ``kind`` ("council" or
    "place"), the ``level`` they name and its ``code``, ``name``, ``lon``, ``lat``, ``weight``
    (0 to 1 within a level) and ``min_zoom``; the most important first."""
    parts = [_council_rows(levels, lv, people) for lv in COUNCIL_LEVELS if lv in levels]
    for level, (key_col, name_col) in PLACE_COLUMNS.items():
        gdf = levels.get(level)
        if gdf is None or name_col not in gdf.columns:
            continue
        names = gdf[name_col]
        if key_col is None:  # data zones: "Culter - 01" is a part of the place "Culter"
            names = names.astype(str).str.replace(_DZ_NUMBER, "", regex=True)
        pts = place_points(gdf, names, keys=None if key_col is None else gdf[key_col])
        parts.append(pd.DataFrame({"kind": "place", "level": level,
                                   "code": pts.index.astype(str), "name": pts["name"],
                                   "lon": pts["lon"], "lat": pts["lat"],
                                   "weight": pts["n_areas"] / pts["n_areas"].max(),
                                   "min_zoom": PLACE_MIN_ZOOM}).reset_index(drop=True))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=PLACE_FIELDS)
    return out[list(PLACE_FIELDS)].sort_values(["min_zoom", "weight"], ascending=[True, False],
                                               kind="mergesort", ignore_index=True)


def _group_outlines(gdf_27700: gpd.GeoDataFrame, groups: pd.Series) -> gpd.GeoDataFrame:
    """The areas of each group dissolved, simplified for a national map, in EPSG:4326."""
    owner = groups.reindex(gdf_27700.index)
    keep = owner.notna().to_numpy()
    rows, index = [], []
    geoms = np.asarray(gdf_27700.geometry.values, dtype=object)
    ids = owner[keep].astype(groups.dtype).to_numpy()
    for key, positions in pd.Series(np.flatnonzero(keep)).groupby(ids):
        merged = shapely.simplify(shapely.union_all(geoms[positions.to_numpy()]),
                                  GROUP_TOLERANCE, preserve_topology=True)
        rows.append(merged)
        index.append(key)
    shapes = gpd.GeoSeries(rows, index=pd.Index(index, name=groups.name or "group",
                                                 dtype=groups.dtype), crs=gdf_27700.crs)
    lon, lat = _lonlat(shapes.representative_point())
    shown = shapes.to_crs("EPSG:4326")
    shown = gpd.GeoSeries(shapely.set_precision(shown.values, 1e-5), index=shown.index,
                          crs=shown.crs)
    return gpd.GeoDataFrame({"lat": lat, "lon": lon}, geometry=shown, index=shapes.index)


def write_display_extras(out_dir: Path | str, levels: Mapping[str, gpd.GeoDataFrame], *,
                         groups: Mapping[str, pd.Series] | None = None,
                         people: pd.Series | None = None) -> list[str]:
    """Write the precomputed display geography of a store build into ``out_dir/display``.

    Parameters
    ----------
    out_dir
        The build folder (the store's root).
    levels
        The build's boundaries by level name, in EPSG:27700 (``lad24``, ``utla24`` for council
        labels;
        the levels of :data:`IMAGE_LEVELS` and :data:`PLACE_COLUMNS` that are present).
    groups
        Name -> group id indexed by small-area code (``lsoa21``), e.g. the named clusters'
        membership; each group is dissolved into one outline.
    people
        Residents of each LAD 2024 council, the weight of its name on national maps (the
        heaviest named first); default None: weighted by their number of LSOAs.

    Returns
    -------
    list of str
        The files written, relative to ``out_dir`` (for the build's check of its files).

    Examples
    --------
    >>> write_display_extras(tmp, geo_levels, groups={"clusters": members})  # doctest: +SKIP
    ['display/lsoa21_positions.npz', ...]
    """
    out = Path(out_dir) / "display"
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for level in IMAGE_LEVELS:
        if level not in levels:
            continue
        gdf = levels[level]
        grid = position_grid(gdf, resolution=GRID_RESOLUTION)
        np.savez_compressed(out / f"{level}_positions.npz", grid=grid.grid,
                            codes=np.asarray(grid.codes, dtype=str),
                            bounds=np.asarray(grid.bounds, dtype="float64"))
        cells, transform = lookup_grid(gdf, resolution=GRID_RESOLUTION)
        np.savez_compressed(out / f"{level}_lookup.npz", grid=cells,
                            transform=np.asarray(transform[:6], dtype="float64"),
                            codes=np.asarray(gdf.index, dtype=str))
        written += [f"display/{level}_positions.npz", f"display/{level}_lookup.npz"]
    _places(levels, people).to_parquet(out / "places.parquet")
    written.append("display/places.parquet")
    for name, members in (groups or {}).items():
        if not re.fullmatch(r"[a-z0-9_]+", name):
            msg = f"`groups` name {name!r} must be lower case letters, digits and underscores."
            raise InputError(msg)
        _group_outlines(levels["lsoa21"], members).to_parquet(out / f"groups_{name}.parquet")
        written.append(f"display/groups_{name}.parquet")
    return written


def _path(name: str) -> Path:
    store = store_dir()
    path = store / "display" / name
    if not path.exists():
        msg = f"the store has no file display/{name}: {BUILD_HINT}"
        raise StoreError(msg)
    return path


@lru_cache(maxsize=8)
def _npz(path: str, mtime: float) -> dict[str, np.ndarray]:  # noqa: ARG001 - cache key
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def _stored(name: str) -> dict[str, np.ndarray]:
    path = _path(name)
    return _npz(str(path), path.stat().st_mtime)


def load_position_grid(level: str = "lsoa21") -> PositionGrid:
    """The stored grid of the national image of ``level`` (see :func:`position_grid`).

    Raises
    ------
    StoreError
        A store without it (rebuild the store).
    """
    data = _stored(f"{level}_positions.npz")
    bounds = data["bounds"].tolist()
    return PositionGrid(grid=data["grid"], codes=pd.Index(data["codes"].astype(object)),
                        bounds=bounds)


def load_lookup_grid(level: str = "lsoa21") -> dict[str, Any]:
    """The stored click-lookup grid of ``level``: ``grid``, ``transform`` and ``codes``."""
    data = _stored(f"{level}_lookup.npz")
    return {"grid": data["grid"], "transform": Affine(*data["transform"].tolist()),
            "codes": pd.Index(data["codes"].astype(object))}


def load_places() -> pd.DataFrame:
    """The stored label points (the columns of :data:`PLACE_FIELDS`)."""
    return pd.read_parquet(_path("places.parquet"))


def load_group_outlines(name: str) -> gpd.GeoDataFrame:
    """The stored outlines of the groups ``name`` (EPSG:4326, with ``lat``/``lon`` of a label)."""
    return gpd.read_parquet(_path(f"groups_{name}.parquet"))
