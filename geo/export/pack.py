"""The council pack's zip and its provenance: one deterministic file per council.

* :func:`council_pack`: the zip of a council's areas (LSOAs, data zones, or the council itself
  where there are no small areas): ``<code>_<areas>.csv``, ``<code>_<areas>.geojson``
  (RFC 7946), ``<code>_map.html`` when a map is given, and a ``README.txt`` with the
  methodology, attribution, sources and method parameters. Fixed timestamps and entry order,
  so the same inputs give the same bytes.
* :func:`pack_metadata`: the provenance of a pack (sources, licences, attribution, method,
  seed) from the registry entries of the datasets it holds.

The pack of a council in the store, as the app and ``python -m geo export --council`` serve
it, is built by :func:`geo.council.council_pack`, which calls these.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Mapping
from typing import Any

import geopandas as gpd
import numpy as np

from geo._errors import InputError
from geo.data.sources import attribution_lines, registry, registry_meta
from geo.export._rfc7946 import safe_filename
from geo.export.csv import to_csv_safe
from geo.export.geojson import _check_frame, to_geojson
from geo.export.metadata import attribution_text, check_metadata

__all__ = ["council_pack", "pack_metadata", "ZIP_DATE_TIME"]

#: Fixed timestamp of every zip entry, so that the same inputs give the same bytes.
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
_COUNCIL_CODE = re.compile(r"^[EWSN]\d{8}$")
#: Columns that name the council an LSOA belongs to, by level.
_COUNCIL_COLUMNS = ("lad24_code", "utla24_code")


def _council_rows(gdf: gpd.GeoDataFrame, code: str) -> gpd.GeoDataFrame:
    """The rows of the council ``code`` (by its ``lad24_code`` / ``utla24_code`` columns,
    those present), or every row when the frame has neither."""
    columns = [c for c in _COUNCIL_COLUMNS if c in gdf.columns]
    if columns:
        gdf = gdf[np.logical_or.reduce([gdf[c] == code for c in columns])]
        if gdf.empty:
            wanted = " or ".join(f"{c} == {code!r}" for c in columns)
            msg = (f"`lsoa_gdf` has no rows with {wanted}; check the code (2024 council codes) "
                   "or pass the council's LSOAs")
            raise InputError(msg)
    if gdf.empty:
        msg = "`lsoa_gdf` is empty; pass the council's LSOAs"
        raise InputError(msg)
    return gdf


def council_pack(lsoa_gdf: gpd.GeoDataFrame, *, council_code: str, council_name: str,
                 metadata: Mapping, methodology: str, map_html: str | None = None,
                 areas_name: str = "lsoas") -> bytes:
    """A zip of one council's areas: GeoJSON, CSV, optional map and a README.

    Parameters
    ----------
    lsoa_gdf
        LSOAs indexed by code (any CRS; GeoJSON is written in WGS 84). When it has
        ``lad24_code`` or ``utla24_code`` columns, only the council's rows are packed.
    council_code, council_name
        The council's GSS code (e.g. ``"E08000003"``) and name, for the file names and README.
    metadata
        As for :func:`geo.export.geojson.to_geojson` (must include ``attribution``), e.g.
        :func:`pack_metadata`.
    methodology
        Text describing how the figures were made (the README's middle).
    map_html
        A standalone HTML map (:func:`geo.maps.choropleth.to_standalone_html`), or None.
    areas_name
        What the areas are, in the file names: ``"lsoas"``, ``"datazones"``, ``"council"``.

    Returns
    -------
    bytes
        The zip file; entries in name order with fixed timestamps.

    Raises
    ------
    InputError
        Bad council code, no LSOAs for the council, empty methodology, or anything
        :func:`geo.export.geojson.to_geojson` refuses.

    Examples
    --------
    >>> data = council_pack(g, council_code="E08000003", council_name="Manchester",
    ...                     metadata=meta, methodology="...")  # doctest: +SKIP
    """
    problems = []
    if not isinstance(council_code, str) or not _COUNCIL_CODE.match(council_code):
        problems.append(f"`council_code` must be a 9-character GSS code like 'E08000003'; "
                        f"got {council_code!r}")
    if not isinstance(methodology, str) or not methodology.strip():
        problems.append("`methodology` must be non-empty text describing how the figures "
                        "were made")
    if not isinstance(areas_name, str) or not re.fullmatch(r"[a-z0-9_]+", areas_name):
        problems.append(f"`areas_name` must be lower-case letters, digits or underscores; got "
                        f"{areas_name!r}")
    if map_html is not None and not isinstance(map_html, str):
        problems.append(f"`map_html` must be HTML text or None; got {type(map_html).__name__}")
    if problems:
        raise InputError("; ".join(problems))
    _check_frame(lsoa_gdf, name="lsoa_gdf")
    gdf = _council_rows(lsoa_gdf, council_code)
    code = safe_filename(council_code)
    entries = {f"{code}_{areas_name}.geojson": to_geojson(gdf, metadata=metadata, precision=6)}
    order = np.argsort(np.asarray(gdf.index.astype(str)), kind="stable")
    entries[f"{code}_{areas_name}.csv"] = (to_csv_safe(gdf.iloc[order], None) or "").encode("utf-8")
    if map_html is not None:
        entries[f"{code}_map.html"] = map_html.encode("utf-8")
    entries["README.txt"] = _readme(
        gdf, council_code=council_code, council_name=str(council_name), metadata=metadata,
        methodology=methodology, files=sorted(entries)).encode("utf-8")
    return _deterministic_zip(entries)


def pack_metadata(dataset_ids: Iterable[str], *, council: Mapping[str, Any],
                  params: Mapping[str, Any], level: str = "lsoa21",
                  hotspots: bool = True) -> dict[str, Any]:
    """The provenance of a council pack, from the registry.

    Parameters
    ----------
    dataset_ids
        The datasets whose data the pack holds: registry ids, or derived tables (expanded to
        the sources they were computed from, as ``[[derived]]`` of the registry lists them).
    council
        What the pack is about, e.g. ``{"code": ..., "name": ..., "level": ...}``.
    params
        The hotspot parameters (:func:`geo.methodology.stored_parameters`).
    level
        The level of the pack's areas (``lsoa21``, ``dz11``, ``lad24``).
    hotspots
        Whether the pack holds hotspot results (none where there are no small areas): the
        method and its parameters are stated only then.

    Returns
    -------
    dict
        JSON-ready: ``title``, ``council``, ``level``, ``sources`` (id, title, publisher,
        vintage, licence, licence_url, url), ``licence``, ``attribution`` and, with hotspots,
        ``method`` (with the permutations, seed, alpha and correction); no timestamp, so the
        same store gives the same bytes.
    """
    reg, meta = registry(), registry_meta()
    derived = {d["id"]: d.get("sources", []) for d in meta.get("derived", [])}
    ids = [i for i in dict.fromkeys(s for d in dataset_ids for s in derived.get(d, [d]))
           if i in reg]
    licences = meta.get("licences", {})
    sources = [{"id": i, "title": reg[i]["title"], "publisher": reg[i]["publisher"],
                "vintage": reg[i]["vintage"], "licence": reg[i]["licence"],
                "licence_url": licences.get(reg[i]["licence"]), "url": reg[i]["landing"]}
               for i in ids]
    out: dict[str, Any] = {
        "title": "oppmap council pack",
        "council": dict(council),
        "level": level,
        "sources": sources,
        "licence": ", ".join(sorted({s["licence"] for s in sources if s["licence"]})),
        "attribution": attribution_lines(ids),
    }
    if hotspots:
        out["method"] = {"hotspots": "local Getis-Ord Gi* (binary contiguity weights including "
                                     "self) and local Moran's I (row-standardised), conditional "
                                     "permutations, two-sided p-values; each council's areas "
                                     "judged as one family on its nation's national run",
                         **params}
    return out


def _readme(gdf: gpd.GeoDataFrame, *, council_code: str, council_name: str, metadata: Mapping,
            methodology: str, files: list[str]) -> str:
    meta = check_metadata(metadata)
    title = meta.get("title") or "oppmap export"
    lines = [
        f"{title}: {council_name} ({council_code})",
        "",
        f"{len(gdf)} areas ({gdf.index.name or 'code'}), one row / feature each.",
        "",
        "Files:",
        *(f"  {f}" for f in files),
        "",
        "GeoJSON follows RFC 7946: longitude/latitude (WGS 84), 6 decimals, no crs member;",
        "its top-level 'oppmap' member repeats the provenance below. The CSV is UTF-8; text",
        "cells that would start with = + - @ are prefixed with ' so spreadsheets do not run them.",
        "",
        "Methodology:",
        methodology.strip(),
        "",
        attribution_text(metadata).rstrip("\n"),
    ]
    return "\n".join(lines) + "\n"


def _deterministic_zip(entries: Mapping[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            zf.writestr(info, entries[name], compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return buffer.getvalue()
