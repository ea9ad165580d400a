"""The ``python -m geo`` command line.

Commands: ``data build``, ``data fetch``, ``assets``, ``catalogue``, ``report``, and the commands
that analysis modules register (``summaries``, ``hotspots``, ``clusters``, ``export``,
``raster``, ``zonal``, ``map-upload``). Every command exits with status 2 and a one-paragraph
message on bad input (an :class:`~geo._errors.OppmapError`), never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import warnings
from collections.abc import Sequence

from geo._errors import OppmapError

__all__ = ['main', 'build_parser']


#: Modules that add commands with a ``register_cli(subparsers)`` function.
CLI_MODULES = ("geo.cli.summaries", "geo.cli.hotspots", "geo.cli.export", "geo.cli.upload")


def _cmd_build(args: argparse.Namespace) -> int:
    from geo.data.build import build_store

    build_store(source=args.source, force=args.force, hotspots=not args.no_hotspots)
    return 0


def _cmd_fetch(args: argparse.Namespace) -> int:
    from geo.data.fetch import fetch_datasets, format_fetch_report

    report = fetch_datasets(args.to, ids=args.only or None, base_url=args.base_url)
    print(format_fetch_report(report))
    return 0


def _cmd_assets(args: argparse.Namespace) -> int:
    from geo.maps.assets import install_assets

    install_assets(**({"dest": args.dest} if args.dest else {}))
    return 0


def _cmd_catalogue(args: argparse.Namespace) -> int:
    from geo.data.indicators import catalogue

    cat = catalogue()
    if args.out:
        cat.to_csv(args.out)
    else:
        for ident, row in cat.iterrows():
            print(f"{ident:55s} {row['level']:7s} {row['life_stage']:11s} {row['label']}")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from boundaries import store_dir
    from geo.data.build import format_report

    report = json.loads((store_dir() / "report.json").read_text())
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command registered."""
    parser = argparse.ArgumentParser(
        prog="python -m geo",
        description="oppmap: where opportunity is missing, and why (analysis and data commands)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    data = sub.add_parser("data", help="fetch official data, build the store")
    dsub = data.add_subparsers(dest="data_command", required=True, metavar="SUBCOMMAND")
    b = dsub.add_parser("build", help="build the analysis store from the data mirror")
    b.add_argument("--source", help="mirror directory (default: $OPPMAP_DATA, else download)")
    b.add_argument("--force", action="store_true", help="rebuild even when nothing changed")
    b.add_argument("--no-hotspots", action="store_true",
                   help="skip the national hotspot precomputation (faster, for development)")
    b.set_defaults(func=_cmd_build)
    try:
        from geo.cli.fetch import register_fetch_cli
    except ImportError:  # pragma: no cover - fetch module is part of the package
        f = dsub.add_parser("fetch", help="download the official files into a mirror directory")
        f.add_argument("--to", required=True)
        f.add_argument("--only", nargs="*")
        f.add_argument("--base-url")
        f.set_defaults(func=_cmd_fetch)
    else:
        register_fetch_cli(dsub)

    a = sub.add_parser("assets", help="install the map's JavaScript/CSS (Leaflet) for offline use")
    a.add_argument("--dest", help="folder (default static/vendor)")
    a.set_defaults(func=_cmd_assets)

    c = sub.add_parser("catalogue", help="list every indicator with its metadata")
    c.add_argument("--out", help="write the catalogue as CSV")
    c.set_defaults(func=_cmd_catalogue)

    r = sub.add_parser("report", help="print the build report of the current store")
    r.add_argument("--json", action="store_true")
    r.set_defaults(func=_cmd_report)

    for name in CLI_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register_cli(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 2 bad input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    # Warnings (unmatched codes, repaired geometries) are for people: one line each, no source.
    warnings.formatwarning = lambda message, category, *a, **k: (
        f"warning: {message} [{category.__name__}]\n")
    try:
        return int(args.func(args) or 0)
    except OppmapError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; nothing was published", file=sys.stderr)
        return 130
