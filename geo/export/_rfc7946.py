"""Checks on what leaves the program: an RFC 7946 validator and safe output file names.

* :func:`rfc7946_problems`: the ways a GeoJSON document breaks RFC 7946 (the tests and the
  browser tests check every export with it).
* :func:`safe_filename` / :func:`resolve_inside`: names from user input never leave the folder.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from geo._errors import InputError

__all__ = ['rfc7946_problems', 'safe_filename', 'resolve_inside']


_WINDOWS_RESERVED = {
    "CON", "PRN", "AUX", "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}  # fmt: skip


# ----------------------------------------------------------------------------- file names
def safe_filename(name: Any, *, default: str = "export", max_length: int = 100) -> str:
    """A file name derived from user input that cannot leave its folder.

    Path separators, control characters, and anything outside letters, digits, ``.``, ``_`` and
    ``-`` become ``_``; runs of dots collapse (so ``..`` cannot appear), leading dots and
    trailing dots/spaces go, Windows device names get a leading ``_``, and the name is cut to
    ``max_length`` characters keeping its extension.

    Parameters
    ----------
    name
        Proposed name (converted to text).
    default
        Returned when nothing usable is left.
    max_length
        Longest name returned.

    Returns
    -------
    str

    Examples
    --------
    >>> safe_filename("../../etc/passwd")
    'etc_passwd'
    >>> safe_filename("Kingston upon Hull, City of.geojson")
    'Kingston_upon_Hull_City_of.geojson'
    """
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^A-Za-z0-9._-]+", "_", text)
    text = re.sub(r"\.{2,}", ".", text)
    text = re.sub(r"_*\._*", ".", text)
    text = re.sub(r"_{2,}", "_", text)
    text = text.strip("._- ")
    if text.split(".")[0].upper() in _WINDOWS_RESERVED:
        text = "_" + text
    if len(text) > max_length:
        stem, dot, ext = text.rpartition(".")
        if dot and 0 < len(ext) <= 10 and len(stem) > 0:
            text = stem[: max_length - len(ext) - 1].rstrip("._-") + "." + ext
        else:
            text = text[:max_length].rstrip("._-")
    if not text or text.startswith("."):
        return safe_filename(default, default="export") if default != "export" else "export"
    return text


def resolve_inside(folder: str | os.PathLike, name: str | os.PathLike) -> Path:
    """Resolve ``folder / name`` and refuse it if it lands outside ``folder``.

    Parameters
    ----------
    folder
        The output folder.
    name
        A file name or relative path (symlinks are followed).

    Returns
    -------
    Path
        The resolved path, inside ``folder``.

    Raises
    ------
    InputError
        If the path escapes ``folder`` (``..``, an absolute path, a symlink pointing out) or is
        ``folder`` itself.

    Examples
    --------
    >>> resolve_inside("/tmp/out", "a.csv")
    PosixPath('/tmp/out/a.csv')
    """
    base = Path(folder).resolve()
    candidate = (base / Path(name)).resolve()
    if candidate == base or not candidate.is_relative_to(base):
        msg = (
            f"`name` {str(name)!r} resolves to {str(candidate)!r}, outside the output folder "
            f"{str(base)!r}; pass a plain file name (see safe_filename)"
        )
        raise InputError(msg)
    return candidate


# ----------------------------------------------------------------------------- validator
_GEOMETRY_TYPES = {
    "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon",
    "GeometryCollection",
}  # fmt: skip


def _decimals(x: float) -> int:
    exponent = Decimal(repr(float(x))).as_tuple().exponent
    return max(0, -int(exponent)) if isinstance(exponent, int) else 0


def _signed_area(ring: list) -> float:
    xs = np.asarray([p[0] for p in ring], dtype=float)
    ys = np.asarray([p[1] for p in ring], dtype=float)
    return 0.5 * float(np.sum(xs[:-1] * ys[1:] - xs[1:] * ys[:-1]))


class _Found(NamedTuple):
    """Where problems are collected, and the rules they are judged by."""

    problems: list[str]
    limit: int
    max_decimals: int

    def add(self, msg: str) -> None:
        if len(self.problems) < self.limit:
            self.problems.append(msg)


def _check_position(found: _Found, pos: Any, where: str) -> None:
    if not isinstance(pos, list) or len(pos) not in (2, 3):
        found.add(f"{where}: position {pos!r} is not 2 or 3 numbers")
        return
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in pos):
        found.add(f"{where}: position {pos!r} holds non-numbers")
        return
    lon, lat = pos[0], pos[1]
    if not -180 <= lon <= 180:
        found.add(f"{where}: longitude {lon} outside [-180, 180]")
    if not -90 <= lat <= 90:
        found.add(f"{where}: latitude {lat} outside [-90, 90]")
    for v in pos[:2]:
        if isinstance(v, float) and _decimals(v) > found.max_decimals:
            found.add(f"{where}: coordinate {v!r} has more than {found.max_decimals} decimals")
            break


def _check_ring(found: _Found, ring: Any, where: str, *, hole: bool) -> None:
    if not isinstance(ring, list) or len(ring) < 4:
        found.add(f"{where}: a linear ring needs at least 4 positions")
        return
    for pos in ring:
        _check_position(found, pos, where)
    if ring[0] != ring[-1]:
        found.add(f"{where}: ring is not closed (first {ring[0]} != last {ring[-1]})")
        return
    try:
        area = _signed_area(ring)
    except (TypeError, IndexError, ValueError):
        return
    if hole and area > 0:
        found.add(f"{where}: hole is counter-clockwise (RFC 7946 wants clockwise)")
    if not hole and area < 0:
        found.add(f"{where}: exterior ring is clockwise (RFC 7946 wants counter-clockwise)")


def _check_polygon(found: _Found, rings: Any, where: str) -> None:
    if not isinstance(rings, list) or not rings:
        found.add(f"{where}: polygon needs at least one ring")
        return
    for k, ring in enumerate(rings):
        _check_ring(found, ring, f"{where} ring {k}", hole=k > 0)


def _check_coordinates(found: _Found, kind: str, coords: list, where: str) -> None:
    """The coordinates of one geometry of a type other than GeometryCollection."""
    if kind == "Point":
        _check_position(found, coords, where)
    elif kind in ("MultiPoint", "LineString"):
        for pos in coords:
            _check_position(found, pos, where)
        if kind == "LineString" and len(coords) < 2:
            found.add(f"{where}: a LineString needs at least 2 positions")
    elif kind == "MultiLineString":
        for line in coords:
            for pos in line if isinstance(line, list) else [line]:
                _check_position(found, pos, where)
    elif kind == "Polygon":
        _check_polygon(found, coords, where)
    else:  # MultiPolygon
        for k, poly in enumerate(coords):
            _check_polygon(found, poly, f"{where} polygon {k}")


def _check_geometry(found: _Found, geom: Any, where: str) -> None:
    if geom is None:
        return
    if not isinstance(geom, dict):
        found.add(f"{where}: geometry must be an object or null")
        return
    if "crs" in geom:
        found.add(f"{where}: has a 'crs' member (removed in RFC 7946)")
    kind = geom.get("type")
    if kind not in _GEOMETRY_TYPES:
        found.add(f"{where}: unknown geometry type {kind!r}")
        return
    if kind == "GeometryCollection":
        for k, g in enumerate(geom.get("geometries") or []):
            _check_geometry(found, g, f"{where} part {k}")
        return
    coords = geom.get("coordinates")
    if not isinstance(coords, list):
        found.add(f"{where}: 'coordinates' missing")
        return
    _check_coordinates(found, kind, coords, where)


def _check_feature(found: _Found, feat: Any, where: str) -> None:
    if not isinstance(feat, dict) or feat.get("type") != "Feature":
        found.add(f"{where}: not a Feature object")
        return
    if "crs" in feat:
        found.add(f"{where}: has a 'crs' member (removed in RFC 7946)")
    if "geometry" not in feat:
        found.add(f"{where}: 'geometry' member missing")
    if "properties" not in feat:
        found.add(f"{where}: 'properties' member missing")
    elif feat["properties"] is not None and not isinstance(feat["properties"], dict):
        found.add(f"{where}: 'properties' must be an object or null")
    fid = feat.get("id")
    if "id" in feat and not (isinstance(fid, str | int | float) and not isinstance(fid, bool)):
        found.add(f"{where}: 'id' must be a string or a number")
    _check_geometry(found, feat.get("geometry"), where)


def rfc7946_problems(obj: Any, *, max_decimals: int = 6, limit: int = 50) -> list[str]:
    """List the ways a GeoJSON document breaks RFC 7946 (and this project's precision rule).

    Checks: no ``crs`` member anywhere; valid ``type`` members; positions of 2 or 3 numbers with
    longitude in [-180, 180] and latitude in [-90, 90]; at most ``max_decimals`` decimals;
    linear rings closed with at least 4 positions; exterior rings counter-clockwise and holes
    clockwise.

    Parameters
    ----------
    obj
        GeoJSON as bytes, text, or a parsed dict.
    max_decimals
        Most decimals a coordinate may have.
    limit
        Stop after this many problems.

    Returns
    -------
    list of str
        Empty when the document passes.

    Examples
    --------
    >>> rfc7946_problems({"type": "Point", "coordinates": [200.0, 0.0]})
    ['geometry: longitude 200.0 outside [-180, 180]']
    """
    if isinstance(obj, bytes | bytearray):
        obj = obj.decode("utf-8")
    if isinstance(obj, str):
        try:
            obj = json.loads(obj)
        except json.JSONDecodeError as exc:
            return [f"not JSON: {exc}"]
    if not isinstance(obj, dict):
        return ["top level is not a JSON object"]
    found = _Found([], limit, max_decimals)
    if "crs" in obj:
        found.add("top level: has a 'crs' member (removed in RFC 7946)")
    kind = obj.get("type")
    if kind == "FeatureCollection":
        features = obj.get("features")
        if not isinstance(features, list):
            found.add("top level: 'features' must be an array")
            return found.problems
        for i, feat in enumerate(features):
            label = (feat.get("id") if isinstance(feat, dict) else None) or i
            _check_feature(found, feat, f"feature {label}")
    elif kind == "Feature":
        _check_feature(found, obj, "feature")
    else:
        _check_geometry(found, obj, "geometry")
    return found.problems
