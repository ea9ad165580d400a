"""Download the official datasets and convert them into the mirror layout (``data fetch``).

Each registry entry (``data/sources.toml``) names an official URL, the official file's format
(``official_format``) and the mirror file the store build reads (``file``, ``format``). This module
downloads the official file with :mod:`pooch` (checked against the entry's ``sha256`` when the
registry pins one), converts it, and writes ``DEST/<file>`` atomically (a temporary file in the
same folder, then :func:`os.replace`), so a failed or interrupted fetch never leaves a half-written
mirror file.

Official formats and what fetch does with them:

``csv``
    Official headers are renamed to mirror columns through ``official_columns`` (when the entry has
    them, otherwise the official file must already carry the mirror columns, the keys of
    ``columns``); only the mirror columns are kept; values are copied verbatim as text.
``arcgis_geojson``
    An ONS ArcGIS feature service queried as GeoJSON, page by page (``resultOffset``,
    ``resultRecordCount``, at most 2,000 records a page). Boundaries become a GeoPackage in
    EPSG:4326 with the official columns (``LAD24CD``, ``LAD24NM``, ...); lookups become a CSV
    renamed through ``official_columns``.
``topojson``
    Saved as it is, after checking that it is a TopoJSON topology.
``derived``
    Built from other fetched datasets: ``lad24_ew_detailed`` is the LSOA 2021 boundaries dissolved
    through the LSOA 2021 -> LAD 2024 lookup (in EPSG:27700, written in EPSG:4326).
``xlsx``, ``ods``, ``zipped_shapefile``
    Not converted: the dataset is reported as skipped, naming its landing page and the mirror file
    to place by hand.

Examples
--------
>>> report = fetch_datasets("mirror", ids=["iod2025"])      # doctest: +SKIP
>>> print(format_fetch_report(report))                      # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import sys

from geo.data.fetch import fetch_datasets, format_fetch_report

__all__ = ['register_fetch_cli']


def register_fetch_cli(data_subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``fetch`` to the ``data`` command group.

    ``python -m geo data fetch --to DIR [--only ID ...] [--base-url URL] [--retries N]
    [--no-progress]``. The handler (``func``) returns 0 when nothing failed, 1 when some datasets
    failed; an :class:`OppmapError` (offline, bad arguments) propagates, and the CLI's ``main``
    prints it and exits with status 2.

    Parameters
    ----------
    data_subparsers
        What ``data_parser.add_subparsers()`` returned.

    Returns
    -------
    argparse.ArgumentParser
        The ``fetch`` parser.
    """
    p = data_subparsers.add_parser(
        "fetch",
        help="download the official files into a mirror directory",
        description=(
            "Download the official datasets (ONS, MHCLG, ...) and convert them into the mirror "
            "layout that `python -m geo data build --source DIR` reads. Formats that are not "
            "converted (xlsx, ods, zipped shapefiles) are reported with where to get them."
        ),
    )
    p.add_argument("--to", required=True, metavar="DIR", help="mirror directory to fill")
    p.add_argument("--only", nargs="+", action="extend", metavar="ID",
                   help="registry ids to fetch (default: all)")
    p.add_argument("--base-url", metavar="URL",
                   help="replace the official hosts by this one (a local test server)")
    p.add_argument("--retries", type=int, default=3, help="retries per download (default 3)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=_cmd_fetch)
    return p


def _cmd_fetch(args: argparse.Namespace) -> int:
    report = fetch_datasets(args.to, ids=args.only or None, base_url=args.base_url,
                            retries=args.retries, progress=not args.no_progress)
    sys.stdout.write(format_fetch_report(report) + "\n")
    return 1 if report.ids("failed") else 0
