"""``python -m geo summaries``: IoD-style area summaries written to CSV.

Argument parsing and printing only: the summaries are :func:`geo.data.area_summaries.build_summaries`
(reading) over :func:`geo.stats.summaries.summarise_areas` (the statistics). The command follows
the convention of :mod:`geo.cli._common` (``--out`` checked first, ``--force``, the CSV and its
README written atomically, ``wrote PATH``).
"""

from __future__ import annotations

import argparse
import sys

from geo.cli._common import add_force, add_out_argument, check_output, report_written
from geo.data.area_summaries import (
    GEOGRAPHIES,
    INDEXES,
    IOD2019_GEOGRAPHY,
    SOURCES,
    build_summaries,
)

__all__ = ['register_cli', 'run_summaries']


def run_summaries(args: argparse.Namespace) -> int:
    """Run ``summaries`` from parsed arguments; write the CSV and say what was used."""
    from geo.export.csv import to_csv_safe
    from geo.export.metadata import export_metadata

    out = check_output(args.out, force=args.force, suffixes=(".csv",))
    table, used = build_summaries(args.index, args.geography, source=args.source)
    level = str(table.index.name).removesuffix("_code")
    meta = export_metadata(SOURCES[args.index], level=level, title="oppmap IoD summaries")
    meta["method"] = {"summary": used}
    to_csv_safe(table, out, metadata=meta)
    sys.stdout.write(f"summaries: {used}; {len(table)} rows\n")
    report_written(out)
    return 0


def register_cli(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``summaries`` command to ``python -m geo``.

    Parameters
    ----------
    subparsers
        The object returned by ``ArgumentParser.add_subparsers()``.

    Returns
    -------
    argparse.ArgumentParser
        The new sub-parser; its ``func`` default is :func:`run_summaries` (returns an exit code).
    """
    parser = subparsers.add_parser(
        "summaries",
        help="IoD-style area summaries (average score/rank, proportion, extent, local concentration)",
        description=(
            "Summarise LSOA-level deprivation for councils, regions or combined authorities with "
            "the five measures MHCLG publishes, and write a CSV. iod2025 uses the store; iod2019 "
            "is summarised on its own geography (LAD 2021) from the mirror."
        ),
    )
    parser.add_argument("--index", choices=list(INDEXES), default="iod2025", help="release")
    parser.add_argument(
        "--geography",
        choices=[*GEOGRAPHIES, IOD2019_GEOGRAPHY],
        default=None,
        help="parent areas (default: lad24 for iod2025, lad21 for iod2019; iod2025 also takes "
             "utla24, region, cauth)",
    )
    add_out_argument(parser, suffixes=(".csv",), help="the summary table")
    add_force(parser)
    parser.add_argument(
        "--source", default=None, help="mirror directory for --index iod2019 (default: $OPPMAP_DATA)"
    )
    parser.set_defaults(func=run_summaries)
    return parser
