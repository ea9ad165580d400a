"""The ``map-upload`` command: check a user's CSV and write it, joined to boundaries, as GeoJSON.

``python -m geo map-upload PATH.csv --out PATH.geojson`` prints the match report. Invalid input
exits with status 2 and a message that says what is wrong and how to fix it; no output file is
written then (the GeoJSON is written to a temporary file beside ``--out`` and renamed at the end).
"""

from __future__ import annotations

import argparse
import html
import os
import sys
from pathlib import Path

from geo._errors import InputError, OppmapError

__all__ = ['register_cli', 'run_map_upload']


#: Levels an upload may be at (their codes come from the store) and the registry id of the
#: boundaries each is drawn with (for the attribution of the export).
UPLOAD_LEVELS = {"lsoa21": "lsoa21_bsc", "lad24": "lad24_uk_buc", "utla24": "ons_topojson"}


def register_cli(subparsers) -> None:
    """Add the ``map-upload`` command to the ``python -m geo`` parser.

    Parameters
    ----------
    subparsers
        The object returned by ``ArgumentParser.add_subparsers()``. The command's handler is set
        as ``func`` (``args.func(args)`` returns the exit status: 0, 1 for a missing store or
        module, 2 for invalid input).
    """
    parser = subparsers.add_parser(
        "map-upload", help="check a CSV of values per area and write it as GeoJSON",
        description="Check a CSV of values per area (LSOA 2021, council 2024 or upper-tier council "
                    "codes), print the match report and write the matched areas as GeoJSON "
                    "(WGS 84). Invalid input exits with status 2 and writes nothing.")
    parser.add_argument("path", type=Path, help="the CSV file")
    parser.add_argument("--out", type=Path, required=True, help="the GeoJSON file to write")
    parser.set_defaults(func=run_map_upload)


def _say(lines, stream) -> None:
    # Report strings are HTML-escaped for the app; a terminal shows them unescaped.
    for line in lines:
        stream.write(html.unescape(line) + "\n")


def _mirror_dir() -> Path:
    env = os.environ.get("OPPMAP_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[3] / "shared" / "data"


def _load_boundaries(level: str):
    import boundaries

    return boundaries.load(level)


def _known_codes() -> dict:
    return {level: _load_boundaries(level).index for level in UPLOAD_LEVELS}


def _vintages():
    from geo.upload.geojson import load_vintage_codes

    mirror = _mirror_dir()
    try:
        return load_vintage_codes(mirror)
    except (OSError, KeyError, ValueError):
        return None


def _attribution(level: str) -> list[str]:
    try:
        from geo.data.sources import attribution_lines

        return attribution_lines([UPLOAD_LEVELS[level]])
    except (ImportError, KeyError, ValueError):
        return ["Source: Office for National Statistics licensed under the Open Government Licence "
                "v.3.0. Contains OS data \u00a9 Crown copyright and database right 2024."]


def _write_geojson(gdf, path: Path, *, metadata: dict) -> None:
    from geo.export.geojson import write_geojson

    write_geojson(gdf, path, metadata=metadata)


def run_map_upload(args: argparse.Namespace) -> int:
    """Run ``map-upload``; returns the exit status (0 ok, 1 store or module missing, 2 bad input)."""
    from geo.upload.reader import read_upload

    out: Path = args.out
    if out.suffix.lower() not in (".geojson", ".json"):
        _say([f"error: --out {out} must end in .geojson; choose a file name like areas.geojson"],
             sys.stderr)
        return 2
    if not out.parent.is_dir():
        _say([f"error: the folder of --out ({out.parent}) does not exist; create it first"],
             sys.stderr)
        return 2
    if not Path(args.path).is_file():
        _say([f"error: {args.path} is not a file; check the path"], sys.stderr)
        return 2
    try:
        known = _known_codes()
    except (ImportError, AttributeError) as err:
        _say([f"error: map-upload needs the boundary store API (boundaries.load): {err}"],
             sys.stderr)
        return 1
    except OppmapError as err:
        _say([f"error: cannot load boundaries: {err}", "Build the store first: python -m geo data "
              "build"], sys.stderr)
        return 1
    try:
        result = read_upload(Path(args.path), known_codes=known, vintages=_vintages())
    except InputError as err:
        _say([f"error: {err}"], sys.stderr)
        return 2
    _say(result.messages, sys.stdout)
    areas = _load_boundaries(result.level)
    joined = areas[["name", areas.geometry.name]].join(result.table, how="inner",
                                                       validate="one_to_one")
    tmp = out.with_name(f".{out.stem}.partial-{os.getpid()}{out.suffix}")
    metadata = {"attribution": _attribution(result.level),
                "source": html.unescape(result.report.filename or str(args.path)),
                "level": result.level, "areas": len(joined),
                "unmatched_codes": len(result.report.unknown_codes)}
    try:
        _write_geojson(joined, tmp, metadata=metadata)
        os.replace(tmp, out)
    except (ImportError, AttributeError) as err:
        _say([f"error: map-upload needs the GeoJSON writer (geo.export.geojson.write_geojson): {err}"],
             sys.stderr)
        return 1
    finally:
        tmp.unlink(missing_ok=True)
    _say([f"Wrote {len(joined):,} areas ({result.level}) to {out}."], sys.stdout)
    return 0
