"""``python -m geo data fetch``: download the official datasets into a mirror directory.

Argument parsing and printing only; the downloading and converting is
:func:`geo.data.fetch.fetch_datasets`, which writes each mirror file atomically (creating the
mirror's folders: ``--to`` names a folder to fill, not an output file) and reports what it did.
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
    p.add_argument("--to", required=True, metavar="DIR",
                   help="mirror directory to fill (created if missing)")
    p.add_argument("--only", nargs="+", action="extend", metavar="ID",
                   help="registry ids to fetch (default: all)")
    p.add_argument("--base-url", metavar="URL",
                   help="replace the official hosts by this one, e.g. a local test server "
                        "(default: the official hosts)")
    p.add_argument("--retries", type=int, default=3, help="retries per download")
    p.add_argument("--no-progress", action="store_true", help="no progress bars (default: show them)")
    p.set_defaults(func=_cmd_fetch)
    return p


def _cmd_fetch(args: argparse.Namespace) -> int:
    report = fetch_datasets(args.to, ids=args.only or None, base_url=args.base_url,
                            retries=args.retries, progress=not args.no_progress)
    sys.stdout.write(format_fetch_report(report) + "\n")
    return 1 if report.ids("failed") else 0
