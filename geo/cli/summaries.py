"""``python -m geo summaries``: IoD-style area summaries written to CSV.

Argument parsing and printing only: the summaries are :func:`geo.data.area_summaries.build_summaries`
(reading) over :func:`geo.stats.summaries.summarise_areas` (the statistics) for England, and the
stored summaries of Wales, Scotland and Northern Ireland (:func:`geo.data.nations.index_summaries`),
each on its own index; the README says which index, vintage, small areas and weights. The command follows
the convention of :mod:`geo.cli._common` (``--out`` checked first, ``--force``, the CSV and its
README written atomically, ``wrote PATH``).
"""

from __future__ import annotations

import argparse
import sys

from geo.cli._common import add_force, add_out_argument, check_output, choice, report_written
from geo.data.area_summaries import (
    GEOGRAPHIES,
    INDEXES,
    IOD2019_GEOGRAPHY,
    SOURCES,
    build_summaries,
    summary_notes,
)

__all__ = ['register_cli', 'run_summaries']


def run_summaries(args: argparse.Namespace) -> int:
    """Run ``summaries`` from parsed arguments; write the CSV and say what was used."""
    from geo.export.csv import to_csv_safe
    from geo.export.metadata import export_metadata

    out = check_output(args.out, force=args.force, suffixes=(".csv",))
    table, used = build_summaries(args.index, args.geography, source=args.source)
    level = str(table.index.name).removesuffix("_code")
    meta = export_metadata(SOURCES[args.index], level=level,
                           title=f"oppmap {args.index} summaries")
    meta["method"] = {"summary": used, **{k: v for k, v in table.attrs.items() if v is not None}}
    meta["notes"] = summary_notes(args.index, table)
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
            "Summarise small-area deprivation for councils (and regions or combined authorities "
            "in England) with the measures each index publishes, and write a CSV. Each nation on "
            "its own index: iod2025 (England, the store), iod2019 (England, on its own LAD 2021 "
            "from the mirror), wimd2019 (Wales, LSOA 2011), simd2020 (Scotland, data zones, equal "
            "weights), nimdm2017 (Northern Ireland, council figures as published). The indices "
            "are not comparable across nations: compare councils of different nations with the "
            "composite UK IMD (`export --level lad24`, ukimd_la.*)."
        ),
    )
    parser.add_argument("--index", choices=list(INDEXES), default="iod2025",
                        type=choice(INDEXES, what="an index"), help="the nation's index")
    parser.add_argument(
        "--geography",
        choices=list(dict.fromkeys([*GEOGRAPHIES, IOD2019_GEOGRAPHY, "country"])),
        default=None,
        help="parent areas (default: lad24, or lad21 for iod2019; iod2025 also takes utla24, "
             "region, cauth; wimd2019 and simd2020 also country, the nation as one area)",
    )
    add_out_argument(parser, suffixes=(".csv",), help="the summary table")
    add_force(parser)
    parser.add_argument(
        "--source", default=None, help="mirror directory for --index iod2019 (default: $OPPMAP_DATA)"
    )
    parser.set_defaults(func=run_summaries)
    return parser
