"""The ``python -m geo`` entry point: the parser, the data commands, and exit statuses.

Commands: ``data build``, ``data fetch``, ``assets``, ``catalogue``, ``report`` (here), and those
that command modules register with ``register_cli(subparsers)`` (:data:`CLI_MODULES`:
``summaries``, ``hotspots``, ``clusters``, ``export``, ``raster``, ``zonal``, ``map-upload``,
``analyse``).
``python -m geo --version`` prints the version without building the parser.

:func:`main` turns every :class:`~geo._errors.OppmapError` (and a file-system error) into one line
``error: ...`` on stderr and exit status 2, never a traceback; the conventions every command
follows are in :mod:`geo.cli._common`.
"""

from __future__ import annotations

import argparse
import importlib
import json
import signal
import sys
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

from geo._errors import OppmapError
from geo.cli._common import (
    ArgumentParser,
    add_force,
    add_out_argument,
    check_output,
    package_version,
    report_written,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = ['main', 'build_parser']


#: Modules that add commands with a ``register_cli(subparsers)`` function.
CLI_MODULES = ("geo.cli.summaries", "geo.cli.hotspots", "geo.cli.export", "geo.cli.upload",
               "geo.cli.analyse")


def _cmd_build(args: argparse.Namespace) -> int:
    from geo.data.build import build_store

    build_store(source=args.source, force=args.force, hotspots=not args.no_hotspots)
    return 0


def _cmd_assets(args: argparse.Namespace) -> int:
    from geo.maps.assets import install_assets

    install_assets(**({"dest": args.dest} if args.dest else {}))
    return 0


#: Columns ``catalogue`` prints, after the id (``nations``: the letters of the nations covered).
CATALOGUE_COLUMNS = ("level", "unit", "polarity", "vintage", "nations", "label")


def _catalogue_lines(cat: pd.DataFrame) -> list[str]:
    """The catalogue as aligned text: id, level, unit, polarity, vintage, nations and label."""
    rows: list[tuple[str, ...]] = [("id", *CATALOGUE_COLUMNS)]
    for ident, row in cat.iterrows():
        rows.append((str(ident), *("" if row.isna()[c] else str(row[c])
                                   for c in CATALOGUE_COLUMNS)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(CATALOGUE_COLUMNS))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(r[:-1], widths, strict=True)) + "  " + r[-1]
            for r in rows]


def _cmd_catalogue(args: argparse.Namespace) -> int:
    from geo.data.indicators import catalogue

    out = check_output(args.out, force=args.force, suffixes=(".csv",)) if args.out else None
    cat = catalogue()
    if out is None:
        sys.stdout.write("\n".join(_catalogue_lines(cat)) + "\n")
        return 0
    from geo.export.csv import to_csv_safe
    from geo.export.metadata import export_metadata

    meta = export_metadata(sorted(set(cat["dataset"])), level=None,
                           title="oppmap indicator catalogue")
    to_csv_safe(cat, out, metadata=meta)
    report_written(out)
    return 0


def _coverage_lines(coverage: pd.DataFrame, report: dict) -> list[str]:
    """Each nation's coverage: its own index, councils and small areas in the store."""
    from geo.data.nations import comparability_note

    levels = report.get("levels", {})
    lines = ["nations (each on its own index):"]
    for code, row in coverage.iterrows():
        councils = levels.get("lad24", {}).get("by_country", {}).get(code, 0)
        level = row["map_level"]
        mapped = levels.get(level, {}).get("by_country", {}).get(code, 0) if level else 0
        where = f" [{mapped} on {level}]" if level else ""
        lines.append(f"  {code} {row['nation']}: {row['index']} ({row['title']}, {row['vintage']}, "
                     f"{row['licence']}); {councils} councils; small areas: {row['small_areas']}"
                     f"{where}; {row['indicators']} catalogue indicators cover it")
    lines.append(f"  {comparability_note()}")
    return lines


def _cmd_report(args: argparse.Namespace) -> int:
    from boundaries import store_dir
    from geo.data.build import format_report
    from geo.data.nations import nation_coverage

    report = json.loads((store_dir() / "report.json").read_text(encoding="utf-8"))
    coverage = nation_coverage()
    if args.json:
        report = {**report, "nation_coverage": json.loads(coverage.to_json(orient="index"))}
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
        return 0
    text = "\n".join([format_report(report), *_coverage_lines(coverage, report)])
    sys.stdout.write(text + "\n")
    return 0


def _add_data_commands(sub: argparse._SubParsersAction) -> None:
    from geo.cli.fetch import register_fetch_cli

    data = sub.add_parser("data", help="fetch official data, build the store")
    dsub = data.add_subparsers(dest="data_command", required=True, metavar="SUBCOMMAND")
    b = dsub.add_parser("build", help="build the analysis store from the data mirror")
    b.add_argument("--source", metavar="DIR",
                   help="mirror directory (default: $OPPMAP_DATA, else download)")
    b.add_argument("--force", action="store_true", help="rebuild even when nothing changed (default: skip an up-to-date store)")
    b.add_argument("--no-hotspots", action="store_true",
                   help="skip the national hotspot precomputation, faster for development "
                   "(default: compute them)")
    b.set_defaults(func=_cmd_build)
    register_fetch_cli(dsub)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command registered."""
    parser = ArgumentParser(
        prog="python -m geo",
        description="oppmap: where opportunity is missing, and why (analysis and data commands)",
    )
    parser.add_argument("--version", action="version", version=f"oppmap {package_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_data_commands(sub)

    a = sub.add_parser("assets", help="install the map's JavaScript/CSS (Leaflet) for offline use")
    a.add_argument("--dest", metavar="DIR", help="folder (default: static/vendor)")
    a.set_defaults(func=_cmd_assets)

    c = sub.add_parser("catalogue", help="list every indicator: id, level, unit, polarity, "
                                         "vintage, nations covered (E W S N) and label")
    add_out_argument(c, suffixes=(".csv",), required=False,
                     help="write the whole catalogue as CSV (default: print the list)")
    add_force(c)
    c.set_defaults(func=_cmd_catalogue)

    r = sub.add_parser("report", help="print the build report of the current store and what "
                                      "it holds for each nation")
    r.add_argument("--json", action="store_true", help="the report as JSON (default: readable text)")
    r.set_defaults(func=_cmd_report)

    for name in CLI_MODULES:
        importlib.import_module(name).register_cli(sub)
    return parser


def _one_line_warning(message: Warning | str, category: type[Warning], *_args: object,
                      **_kwargs: object) -> str:
    """Warnings (unmatched codes, repaired geometries) are for people: one line each, no source."""
    return f"warning: {message} [{category.__name__}]\n"


class _Terminated(KeyboardInterrupt):
    """SIGTERM as an exception, so half-written files are removed as after Ctrl-C."""


def _on_sigterm(_signum: int, _frame: object) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut the cleanup
    raise _Terminated


def _run(args: argparse.Namespace) -> int:
    """Run the command with SIGTERM raising :class:`_Terminated` (main thread only)."""
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread: signals cannot be handled here
        return int(args.func(args) or 0)
    try:
        return int(args.func(args) or 0)
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 1 some work failed, 2 bad input).

    Ctrl-C (130) and SIGTERM (143) remove any half-written output and publish nothing.

    Parameters
    ----------
    argv
        The arguments (default: ``sys.argv[1:]``).
    """
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list == ["--version"]:  # no parser, no library: quick and always available
        sys.stdout.write(f"oppmap {package_version()}\n")
        return 0
    parser = build_parser()
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exc:  # --help (0) or an argument error, already printed in one line (2)
        return int(exc.code or 0)
    warnings.formatwarning = _one_line_warning
    try:
        return _run(args)
    except OppmapError as exc:
        sys.stderr.write(f"error: {' '.join(str(exc).split())}\n")
        return 2
    except OSError as exc:  # a file that cannot be read or written: say which, no traceback
        sys.stderr.write(f"error: {exc}\n")
        return 2
    except _Terminated:
        sys.stderr.write("terminated (SIGTERM); nothing was published\n")
        return 143
    except KeyboardInterrupt:
        sys.stderr.write("interrupted; nothing was published\n")
        return 130
