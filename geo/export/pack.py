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

import io
import re
import zipfile
from collections.abc import Mapping

import geopandas as gpd
import numpy as np

from geo._errors import InputError
from geo.export._rfc7946 import safe_filename

# Re-exported: the atomic writers, metadata checks, file-name guards and the RFC 7946 validator
# live in private modules but stay importable from here (geo.cli.export uses _write_bytes_atomic).
from geo.export.atomic import _atomic_target as _atomic_target
from geo.export.csv import to_csv_safe
from geo.export.geojson import _check_frame, attribution_text, to_geojson
from geo.export.metadata import _check_metadata
from geo.export.metadata import _json_ready as _json_ready

__all__ = ['council_pack']


#: Fixed timestamp of every zip entry, so that the same inputs give the same bytes.
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)


# ----------------------------------------------------------------------------- council pack
_COUNCIL_CODE = re.compile(r"^[EWSN]\d{8}$")


def council_pack(
    lsoa_gdf: gpd.GeoDataFrame,
    *,
    council_code: str,
    council_name: str,
    metadata: Mapping,
    map_html: str | None = None,
    methodology: str,
) -> bytes:
    """A zip of one council's LSOAs: GeoJSON, CSV, optional map and a README.

    Entries, in this order: ``<code>_lsoas.csv``, ``<code>_lsoas.geojson``, ``<code>_map.html``
    (only when ``map_html`` is given) and ``README.txt`` (methodology, attribution, sources,
    method parameters). Timestamps are fixed, so the same inputs give the same bytes.

    Parameters
    ----------
    lsoa_gdf
        LSOAs indexed by code. When it has a ``lad24_code`` column, only the rows of
        ``council_code`` are packed; otherwise every row is.
    council_code
        The council's GSS code, e.g. ``"E08000003"``.
    council_name
        Its name, for the README.
    metadata
        As for :func:`to_geojson` (must include ``attribution``).
    map_html
        A standalone HTML map (e.g. ``folium.Map.get_root().render()``).
    methodology
        Plain text describing how the indicators and labels were made.

    Returns
    -------
    bytes
        The zip file.

    Raises
    ------
    InputError
        Bad council code, no LSOAs for the council, or anything :func:`to_geojson` refuses.

    Examples
    --------
    >>> data = council_pack(g, council_code="E08000003", council_name="Manchester",
    ...                     metadata=meta, methodology="...")  # doctest: +SKIP
    """
    if not isinstance(council_code, str) or not _COUNCIL_CODE.match(council_code):
        msg = (
            f"`council_code` must be a 9-character GSS code like 'E08000003'; got {council_code!r}"
        )
        raise InputError(msg)
    if not isinstance(methodology, str) or not methodology.strip():
        msg = "`methodology` must be non-empty text describing how the figures were made"
        raise InputError(msg)
    if map_html is not None and not isinstance(map_html, str):
        msg = f"`map_html` must be HTML text or None; got {type(map_html).__name__}"
        raise InputError(msg)
    _check_frame(lsoa_gdf, name="lsoa_gdf")
    gdf = lsoa_gdf
    if "lad24_code" in gdf.columns:
        gdf = gdf[gdf["lad24_code"] == council_code]
        if gdf.empty:
            msg = (
                f"`lsoa_gdf` has no rows with lad24_code == {council_code!r}; check the code "
                "(LAD 2024 codes) or pass the council's LSOAs"
            )
            raise InputError(msg)
    if gdf.empty:
        msg = "`lsoa_gdf` is empty; pass the council's LSOAs"
        raise InputError(msg)

    code = safe_filename(council_code)
    geojson = to_geojson(gdf, metadata=metadata, precision=6)
    order = np.argsort(np.asarray(gdf.index.astype(str)), kind="stable")
    csv_text = to_csv_safe(gdf.iloc[order], None) or ""
    entries = {
        f"{code}_lsoas.geojson": geojson,
        f"{code}_lsoas.csv": csv_text.encode("utf-8"),
        "README.txt": _readme(
            gdf,
            council_code=council_code,
            council_name=str(council_name),
            metadata=metadata,
            methodology=methodology,
            files=sorted(
                [f"{code}_lsoas.geojson", f"{code}_lsoas.csv"]
                + ([f"{code}_map.html"] if map_html is not None else [])
            ),
        ).encode("utf-8"),
    }
    if map_html is not None:
        entries[f"{code}_map.html"] = map_html.encode("utf-8")
    return _deterministic_zip(entries)


def _readme(
    gdf: gpd.GeoDataFrame,
    *,
    council_code: str,
    council_name: str,
    metadata: Mapping,
    methodology: str,
    files: list[str],
) -> str:
    meta = _check_metadata(metadata)
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
