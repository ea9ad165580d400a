"""Export metadata: the one place that says where an exported file's numbers come from.

Every file oppmap writes carries the same provenance: its title and level, the method parameters
(permutations, seed, alpha, read from the run or the store's manifest, never typed in), the
sources with their vintages and licences, and the attribution statements the licences require.

* :func:`export_metadata`: that provenance for a list of registry datasets at a level.
* :func:`hotspot_method`: the parameters of the national hotspot runs, from the store's manifest.
* :func:`attribution_text` / :func:`readme_text`: the plain text of the README beside a file.
* :func:`readme_path` / :func:`write_readme`: where that README goes (``<file>.README.txt``) and
  writing it atomically with LF line endings.
* :func:`check_metadata`: validation and a JSON-ready copy (used by every writer).

Examples
--------
>>> meta = export_metadata(["iod2025"], level="lsoa21")              # doctest: +SKIP
>>> print(readme_text(meta, name="imd.geojson").splitlines()[0])     # doctest: +SKIP
oppmap export: imd.geojson
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import textwrap
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from boundaries import write_text_atomic
from geo._errors import InputError, OppmapError

__all__ = [
    "export_metadata",
    "hotspot_method",
    "attribution_text",
    "map_attribution",
    "readme_text",
    "readme_path",
    "write_readme",
    "check_metadata",
]


#: Stored tables computed from registry datasets that the registry's ``[[derived]]`` list lacks.
DERIVED_SOURCES = {
    "hotspots_lsoa21": ["iod2025", "iod2019", "lsoa21_bsc", "population"],
    "clusters": ["iod2025", "lsoa21_bsc", "lookup_lsoa21_ward24_lad24", "population"],
}


#: Suffix of the README written beside every exported file.
README_SUFFIX = ".README.txt"


#: Width of the wrapped notes in a README.
README_WIDTH = 100


HOTSPOT_METHOD = (
    "local Getis-Ord Gi* (binary contiguity weights including self) and local Moran's I "
    "(row-standardised), conditional permutations, two-sided p, Benjamini-Hochberg FDR"
)


# ----------------------------------------------------------------------------- building
def _source_ids(datasets: list[str], *, level: str | None) -> list[str]:
    """Registry ids behind an export: the level's boundaries, then each dataset's own sources."""
    from geo.data.sources import registry, registry_meta

    reg = registry()
    derived = {d["id"]: d.get("sources", []) for d in registry_meta().get("derived", [])}
    for ident, sources in DERIVED_SOURCES.items():
        derived.setdefault(ident, sources)
    for spec in registry_meta().get("national_indices", {}).values():
        for key in ("hotspot_table", "cluster_table"):  # a nation's runs rest on its index
            if spec.get(key):
                derived.setdefault(spec[key], [spec["dataset"]])
    base = level.removesuffix("_detailed") if level else None
    boundary = [i for i, e in reg.items() if e.get("kind") == "boundary" and e.get("level") == base]
    # lad24 and lad24_detailed share a level name: the detailed one is dissolved from LSOAs
    detailed = [i for i in boundary if reg[i].get("derived_from")]
    if level and detailed and len(detailed) < len(boundary):
        boundary = detailed if level.endswith("_detailed") else [
            i for i in boundary if i not in detailed]
    expanded: list[str] = []
    for ident in [*boundary, *datasets]:
        expanded.extend(derived.get(ident, [ident]))
    ids = [i for i in dict.fromkeys(expanded) if i in reg]
    if level == "region" and "ons_topojson" not in ids:
        ids.insert(0, "ons_topojson")
    # never export without attribution: every level rests on ONS boundaries
    return ids or ["lad24_uk_buc"]


def export_metadata(
    datasets: list[str],
    *,
    level: str | None,
    method: Mapping[str, Any] | None = None,
    title: str = "oppmap export",
) -> dict[str, Any]:
    """Provenance of an export: title, level, sources, licences, attribution and method.

    Parameters
    ----------
    datasets
        Registry ids (or stored derived tables such as ``"compound"``, ``"hotspots_lsoa21"``) whose
        values the file holds; the boundaries of ``level`` are added, derived tables stand for the
        datasets they were computed from.
    level
        The geography level of the rows (``"lsoa21"``, ``"lad24"``...), or ``None`` for a table
        that is not about areas (the catalogue): then no boundaries are credited.
    method
        Method parameters (permutations, seed, alpha...) as the run recorded them; ``seed`` is
        also copied to the top level.
    title
        First line of the README.

    Returns
    -------
    dict
        JSON-ready, without timestamps (the same store gives the same bytes): ``title``,
        ``generator``, ``level``, ``sources`` (id, title, publisher, vintage, licence,
        licence_url, url), ``licence``, ``attribution`` and, when given, ``method`` and ``seed``.

    Examples
    --------
    >>> export_metadata(["iod2025"], level="lsoa21")["licence"]      # doctest: +SKIP
    'OGL-UK-3.0'
    """
    from geo.data.sources import attribution_lines, registry, registry_meta

    reg = registry()
    licences = registry_meta().get("licences", {})
    ids = _source_ids(list(datasets), level=level)
    sources = [
        {
            "id": ident,
            "title": reg[ident].get("title"),
            "publisher": reg[ident].get("publisher"),
            "vintage": reg[ident].get("vintage"),
            "licence": reg[ident].get("licence"),
            "licence_url": licences.get(reg[ident].get("licence")),
            "url": reg[ident].get("landing") or reg[ident].get("url"),
        }
        for ident in ids
    ]
    meta: dict[str, Any] = {
        "title": title,
        "generator": "oppmap (python -m geo)",
        **({"level": level} if level else {}),
        "sources": sources,
        "licence": ", ".join(sorted({s["licence"] for s in sources if s["licence"]})),
        "attribution": attribution_lines(ids),
    }
    if method:
        meta["method"] = dict(method)
        if "seed" in method:
            meta["seed"] = method["seed"]
    return meta


def map_attribution(datasets: list[str], *, levels: list[str | None]) -> str:
    """The short attribution of a map's attribution control: what the map draws, by its source.

    The one text of every map's control (national, Compare, a council's, the pack's offline
    map, the uploads' maps): the boundaries of each of ``levels`` and the sources of each of
    ``datasets`` (derived tables stand for what they were computed from, as in
    :func:`export_metadata`), in the short form of
    :func:`geo.export._map_attribution.map_attribution_text`. The full statements go under the map.

    Parameters
    ----------
    datasets
        Registry ids or stored tables drawn: the indicator's, a hotspot run's, the clusters'.
    levels
        The geography levels drawn (``"lsoa21"``, ``"dz11"``, ``"lad24"``...).

    Returns
    -------
    str

    Examples
    --------
    >>> map_attribution(["simd2020"], levels=["dz11"])
    'Data zones 2011, SIMD 2020 © Scottish Government (OGL v3.0)'
    """
    from geo.export._map_attribution import map_attribution_text

    ids = [i for level in (levels or [None]) for i in _source_ids(list(datasets), level=level)]
    return map_attribution_text(list(dict.fromkeys(ids)))


def hotspot_method(manifest: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The parameters of the store's national hotspot runs, for an export's ``method``.

    Parameters
    ----------
    manifest
        The store's manifest; read from the current store when not given.

    Returns
    -------
    dict
        ``hotspots`` (the method in words) and the stored ``hotspot_params`` (permutations, seed,
        alpha...); empty when the store has no hotspots or cannot be read.
    """
    if manifest is None:
        import boundaries

        try:
            manifest = boundaries.read_manifest(boundaries.store_dir())
        except OppmapError:
            return {}
    params = manifest.get("hotspot_params") or {}
    return {"hotspots": HOTSPOT_METHOD, **params} if params else {}


# ----------------------------------------------------------------------------- README
def _source_line(src: Any) -> str:
    if not isinstance(src, Mapping):
        return f"  - {src}"
    name = src.get("title") or src.get("name") or src.get("id") or "source"
    parts = [str(src[k]) for k in ("publisher", "vintage", "licence") if src.get(k)]
    text = f"  - {name}" + (f" ({', '.join(parts)})" if parts else "")
    url = src.get("landing") or src.get("url")
    return text + (f"\n    {url}" if url else "")


def attribution_text(metadata: Mapping) -> str:
    """Plain-text attribution and provenance, the body of the README beside an export.

    Parameters
    ----------
    metadata
        ``attribution`` (str or list of str, required) and optionally ``licence``, ``sources``
        (mappings with ``title``/``name``, ``publisher``, ``vintage``, ``licence``, ``url``),
        ``method`` (mapping) and ``seed``.

    Returns
    -------
    str
        Lines ending in ``"\\n"``; the attribution statements come first.

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
    meta = check_metadata(metadata)
    attribution = meta["attribution"]
    lines = ["Attribution:"]
    lines += [f"  {line}" for line in dict.fromkeys(
        [attribution] if isinstance(attribution, str) else attribution)]
    if meta.get("licence"):
        lines += ["", f"Licence: {meta['licence']}"]
    if meta.get("sources"):
        lines += ["", "Sources:", *(_source_line(src) for src in meta["sources"])]
    method = meta.get("method")
    if method:
        lines += ["", "Method parameters:"]
        if isinstance(method, Mapping):
            lines += [f"  {k}: {json.dumps(v, ensure_ascii=False)}" for k, v in method.items()]
        else:
            lines.append(f"  {method}")
    in_method = isinstance(method, Mapping) and "seed" in method
    if meta.get("seed") is not None and not in_method:
        lines.append(f"  seed: {meta['seed']}")
    return "\n".join(lines) + "\n"


def readme_text(metadata: Mapping, *, name: str) -> str:
    """The README beside an exported file: what it holds, then :func:`attribution_text`.

    Parameters
    ----------
    metadata
        As for :func:`attribution_text`; ``title``, ``council`` (``{"code", "name"}``),
        ``nation``, ``level``, ``indicator``, ``units``, ``source`` (a user's file) and ``notes``
        (a list of sentences: the index, lookup rules, what is not covered) are shown when
        present.
    name
        The exported file's name.

    Returns
    -------
    str
        LF-terminated text.
    """
    meta = check_metadata(metadata)
    lines = [f"{meta.get('title') or 'oppmap export'}: {name}"]
    council = meta.get("council")
    if isinstance(council, Mapping):
        lines.append(f"Council: {council.get('name')} ({council.get('code')})")
    for key, label in (("nation", "Nation"), ("level", "Level"), ("indicator", "Indicator"),
                       ("units", "Units"), ("source", "Data from")):
        if meta.get(key):
            lines.append(f"{label}: {meta[key]}")
    notes = meta.get("notes")
    if notes:
        lines += ["", "Notes:"]
        lines += [textwrap.fill(str(note), width=README_WIDTH, initial_indent="  - ",
                                subsequent_indent="    ", break_on_hyphens=False)
                  for note in ([notes] if isinstance(notes, str) else notes)]
    return "\n".join(lines) + "\n\n" + attribution_text(meta)


def readme_path(path: str | os.PathLike) -> Path:
    """Where the README of an exported file goes: ``<file>.README.txt`` beside it."""
    path = Path(path)
    return path.with_name(path.name + README_SUFFIX)


def write_readme(path: str | os.PathLike, metadata: Mapping) -> Path:
    """Write :func:`readme_text` beside ``path`` atomically (UTF-8, LF); return the README's path."""
    return write_text_atomic(readme_path(path), readme_text(metadata, name=Path(path).name))


# ----------------------------------------------------------------------------- validation
def check_metadata(metadata: Any, *, required: bool = True) -> dict:
    """Validate export metadata and return a JSON-ready copy with sorted keys.

    Parameters
    ----------
    metadata
        A mapping with ``attribution`` (a non-empty string or list of strings).
    required
        When false, ``None`` is accepted and gives ``{}``.

    Returns
    -------
    dict
        numpy and pandas scalars turned into JSON types, NaN into ``None``.

    Raises
    ------
    InputError
        Not a mapping, no attribution, or values JSON cannot hold.
    """
    if metadata is None and not required:
        return {}
    if not isinstance(metadata, Mapping):
        msg = (
            f"`metadata` must be a mapping (sources, vintages, licence, attribution, method, "
            f"seed); got {type(metadata).__name__}. Build it with "
            "geo.export.metadata.export_metadata() or pass a dict"
        )
        raise InputError(msg)
    attribution = metadata.get("attribution")
    lines = [attribution] if isinstance(attribution, str) else attribution
    if (
        not lines
        or not isinstance(lines, list | tuple)
        or not all(isinstance(s, str) and s.strip() for s in lines)
    ):
        msg = (
            "`metadata` must carry 'attribution': a non-empty string or list of strings (the "
            "licence statements every export has to show); got "
            f"{attribution!r}. Add e.g. metadata['attribution'] = ['Source: Office for National "
            "Statistics licensed under the Open Government Licence v.3.0. ...']"
        )
        raise InputError(msg)
    try:
        clean = _json_ready(metadata, where="metadata")
        json.dumps(clean, allow_nan=False)
    except (TypeError, ValueError) as exc:
        msg = f"`metadata` must be JSON-serialisable (str, numbers, lists, dicts); {exc}"
        raise InputError(msg) from exc
    return clean


# Old private name, kept while geo/export/pack.py (rewritten in parallel) imports it.


def _json_ready(obj: Any, *, where: str) -> Any:
    """Recursively turn numpy/pandas scalars into JSON types; sort mapping keys."""
    if isinstance(obj, Mapping):
        return {str(k): _json_ready(obj[k], where=f"{where}[{k!r}]") for k in sorted(obj, key=str)}
    if isinstance(obj, list | tuple):
        return [_json_ready(v, where=where) for v in obj]
    value = _json_scalar(obj)
    if value is _UNSUPPORTED:
        msg = f"{where} holds a {type(obj).__name__} ({obj!r}), which JSON cannot represent"
        raise TypeError(msg)
    return value


_UNSUPPORTED = object()


def _json_scalar(value: Any) -> Any:
    """A JSON-compatible scalar for ``value``; ``None`` for missing; ``_UNSUPPORTED`` otherwise.

    Integral numpy and Python integers stay integers, floats stay floats (a float column is
    written as floats, so a GIS client sees one type per column). Infinite floats raise
    :class:`ValueError` (JSON has no infinity).
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        v = float(value)
        if math.isnan(v):
            return None
        if math.isinf(v):
            msg = f"an infinite value ({v}) cannot be written to JSON"
            raise ValueError(msg)
        return v
    if isinstance(value, str):
        return value
    if isinstance(value, pd.Timestamp | _dt.datetime | _dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return _UNSUPPORTED
