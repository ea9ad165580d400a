"""``python -m geo map-upload``: check a user's CSV and write it, joined to boundaries, as GeoJSON.

``python -m geo map-upload PATH.csv --out PATH.geojson`` prints the match report of
:func:`geo.upload.reader.read_upload`, then writes the matched areas
(:func:`geo.upload.reader.upload_areas`) with :func:`geo.export.geojson.write_geojson`. Codes may
be LSOA 2021, LSOA 2011 (carried to LSOA 2021 through the ONS lookup by
:func:`geo.analysis.upload.upload_for_analysis`, the carry report printed with the match
report), Scottish data zones or councils. It follows
:mod:`geo.cli._common`: ``--out`` is checked first (``--force`` to replace), invalid input exits
with status 2 and one line saying what is wrong and how to fix it, and nothing is written then.
"""

from __future__ import annotations

import argparse
import html
import sys
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from geo._errors import InputError
from geo.cli._common import add_force, add_out_argument, check_output, report_written

__all__ = ['add_carry', 'carry_rules', 'register_cli', 'run_map_upload']


#: How LSOA 2011 values reach LSOA 2021 (``auto``: counts apportioned, others averaged).
CARRY_CHOICES = ("auto", "mean", "apportion")


def register_cli(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``map-upload`` command to the ``python -m geo`` parser.

    Parameters
    ----------
    subparsers
        The object returned by ``ArgumentParser.add_subparsers()``. The command's handler is set
        as ``func``; it returns 0, or raises an :class:`~geo._errors.OppmapError` that
        :func:`geo.cli.parser.main` reports with exit status 2.
    """
    parser = subparsers.add_parser(
        "map-upload", help="check a CSV of values per area and write it as GeoJSON",
        description="Check a CSV of values per area (LSOA 2021, LSOA 2011, Scottish data zone, "
                    "council 2024 or upper-tier council codes), print the match report and write "
                    "the matched areas as GeoJSON (WGS 84). LSOA 2011 codes are carried to LSOA "
                    "2021 through the ONS lookup, with a report. Invalid input exits with status "
                    "2 and writes nothing.")
    parser.add_argument("path", type=Path, help="the CSV file")
    add_out_argument(parser, suffixes=(".geojson", ".json"), help="the matched areas")
    add_force(parser)
    add_carry(parser, what="every column")
    parser.set_defaults(func=run_map_upload)


def add_carry(parser: argparse.ArgumentParser, *, what: str) -> None:
    """The ``--carry`` option: how an LSOA 2011 upload's values reach LSOA 2021."""
    parser.add_argument("--carry", choices=CARRY_CHOICES, default="auto",
                        help=f"LSOA 2011 uploads only: how {what} is carried to LSOA 2021: auto "
                             "(columns that look like counts are apportioned by population and "
                             "summed, others take population-weighted means), mean or apportion "
                             "(default: auto)")


def carry_rules(choice: str, columns: Iterable[str]) -> dict[str, str] | None:
    """``--carry`` as the ``rules`` of :func:`geo.analysis.upload.upload_for_analysis`."""
    return None if choice == "auto" else dict.fromkeys(columns, choice)


def _say(lines: Iterable[str]) -> None:
    # Report strings are HTML-escaped for the app; a terminal shows them unescaped.
    for line in lines:
        sys.stdout.write(html.unescape(line) + "\n")


def _load_boundaries(level: str):  # noqa: ANN202 - a GeoDataFrame
    import boundaries

    return boundaries.load(level)


def _known_codes() -> dict[str, pd.Index]:
    from geo.upload.reader import upload_known_codes

    return upload_known_codes()


def _vintages() -> pd.DataFrame | None:
    """Codes of other vintages from the mirror, to explain unmatched codes (None without one)."""
    from geo.data.sources import mirror_dir
    from geo.upload.geojson import load_vintage_codes

    mirror = mirror_dir()
    if mirror is None:
        return None
    try:
        return load_vintage_codes(mirror)
    except (OSError, KeyError, ValueError):  # a courtesy: the check stands without it
        return None


def run_map_upload(args: argparse.Namespace) -> int:
    """Run ``map-upload``: check, report, write; returns 0 or raises an InputError."""
    from geo.analysis.upload import upload_for_analysis
    from geo.export.geojson import write_geojson
    from geo.export.metadata import export_metadata
    from geo.upload.reader import read_upload, upload_areas

    out = check_output(args.out, force=args.force, suffixes=(".geojson", ".json"))
    if not Path(args.path).is_file():
        msg = f"{args.path} is not a file; check the path"
        raise InputError(msg)
    known = _known_codes()
    try:
        result = read_upload(Path(args.path), known_codes=known, vintages=_vintages())
    except InputError as err:
        raise InputError(html.unescape(str(err))) from None
    result = upload_for_analysis(result, rules=carry_rules(args.carry, result.table.columns))
    _say(result.messages)
    joined = upload_areas(result, _load_boundaries(result.level))
    carried = result.carry.sources if result.carry is not None else []
    metadata = export_metadata(carried, level=result.level, title="oppmap map-upload")
    metadata.update(source=html.unescape(result.report.filename or str(args.path)),
                    areas=len(joined), unmatched_codes=len(result.report.unknown_codes))
    write_geojson(joined, out, metadata=metadata)
    _say([f"Wrote {len(joined):,} areas ({result.level})."])
    report_written(out)
    return 0
