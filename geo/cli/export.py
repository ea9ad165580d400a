"""``python -m geo export | raster | zonal``: files for GIS clients and spreadsheets.

* ``export --council E08000003 --out manchester.geojson`` (or ``.csv``, or ``.zip`` for the
  council pack), for any of the UK's 361 councils by code or name: its small areas with the
  indicators of the datasets that cover its nation, its own index's flags and the hotspot
  labels the store holds: LSOAs with IoD 2025 in England, LSOAs with WIMD 2019 (carried from
  LSOA 2011, with the lookup rule) in Wales, data zones with SIMD 2020 in Scotland; a Northern
  Irish council is one feature with its council figures (NIMDM 2017, composite UK IMD), since
  the store has no small areas for Northern Ireland (:func:`geo.council.council_export`, the pack's table).
* ``export --level dz11 --out zones.geojson``: every area of a level with the indicators
  stored at that level that cover its nations (:func:`geo.export.tables.level_table`).
* ``raster --indicator iod2025.imd_score --resolution 100 --out imd.tif``: an indicator as a
  GeoTIFF in EPSG:27700; ``--indicator hotspot:gi_star_imd_score`` writes hotspot labels as
  categories (:func:`geo.export.tables.indicator_table`).
* ``zonal --raster imd.tif --level lad24 --stat mean --out lad_imd.csv``: coverage-weighted
  zonal statistics of any raster over a level's areas (:func:`geo.export.zonal.zonal_table`).

Argument parsing, checks and printing only, following :mod:`geo.cli._common`: names are checked
with "did you mean", ``--out`` before any work (``--force`` to replace), and every file is written
atomically with its README, so a refusal (exit status 2, one line) leaves nothing behind.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from geo._errors import InputError
from geo.cli._common import (
    add_force,
    add_out_argument,
    check_output,
    choice,
    did_you_mean,
    place,
    report_written,
)

__all__ = ['register_cli']


#: Output formats of ``export`` by file suffix.
EXPORT_FORMATS = {".geojson": "geojson", ".json": "geojson", ".csv": "csv", ".zip": "zip"}


def _council(value: str) -> str:
    """The LAD 2024 code of any of the UK's councils, given its code or its exact name."""
    from geo.export.tables import council_names

    names = council_names()
    by_name = {name.casefold(): code for code, name in names.items()}
    text = str(value).strip()
    if text.casefold() in by_name:
        return by_name[text.casefold()]
    return did_you_mean(value, names, option="--council",
                        what="a LAD 2024 code or name of a UK council",
                        hint="e.g. E08000003 (Manchester), W06000015 (Cardiff), S12000049 "
                             "(Glasgow City), N09000003 (Belfast).")


def _cmd_export(args: argparse.Namespace) -> int:
    from geo.export.atomic import write_export
    from geo.export.csv import to_csv_safe
    from geo.export.geojson import write_geojson
    from geo.export.tables import level_table

    out = check_output(args.out, force=args.force, suffixes=tuple(EXPORT_FORMATS))
    kind = EXPORT_FORMATS[out.suffix.lower()]
    if kind == "zip" and not args.council:
        msg = "`--out` *.zip (a council pack) needs `--council CODE`, not `--level`"
        raise InputError(msg)
    if kind == "zip":
        from geo.council import council_pack

        # the one council pack: the same bytes as the app's download (its README is inside)
        write_export(out, council_pack(_council(args.council)), metadata={}, readme=False)
    else:
        if args.council:
            from geo.council import council_export

            # the pack's own table (the same columns as the zip's CSV and GeoJSON)
            table, meta = council_export(_council(args.council))
        else:
            table, meta = level_table(args.level)
        if kind == "geojson":
            write_geojson(table, out, metadata=meta)
        else:
            to_csv_safe(table, out, metadata=meta)
    report_written(out)
    return 0


def _indicator(value: str) -> str:
    from geo.data.indicators import catalogue
    from geo.export.tables import HOTSPOT_PREFIX, hotspot_ids

    text = value.strip()
    if text.startswith(HOTSPOT_PREFIX):
        return did_you_mean(text, hotspot_ids(), option="--indicator",
                            what="a hotspot run in the store")
    return did_you_mean(text, [str(i) for i in catalogue().index], option="--indicator",
                        what="in the catalogue",
                        hint="List them with `python -m geo catalogue`.")


def _cmd_raster(args: argparse.Namespace) -> int:
    from geo.export.geotiff import write_geotiff
    from geo.export.tables import indicator_table

    out = check_output(args.out, force=args.force, suffixes=(".tif", ".tiff"))
    table, column, meta = indicator_table(_indicator(args.indicator))
    meta["method"] = {
        **meta.get("method", {}),
        "resolution_m": args.resolution,
        "cell_rule": "value of the area containing the cell centre",
    }
    write_geotiff(table, column, out, resolution=args.resolution, metadata=meta)
    report_written(out)
    return 0


def _cmd_zonal(args: argparse.Namespace) -> int:
    import boundaries
    from geo.export.csv import to_csv_safe
    from geo.export.zonal import zonal_table

    out = check_output(args.out, force=args.force, suffixes=(".csv",))
    raster = Path(args.raster).expanduser()
    if not raster.is_file():
        msg = f"`--raster` {args.raster!r} does not exist; check the path"
        raise InputError(msg)
    table, meta = zonal_table(raster, boundaries.load(args.level), stat=args.stat, level=args.level)
    to_csv_safe(table, out, metadata=meta)
    report_written(out)
    return 0


def register_cli(subparsers: argparse._SubParsersAction) -> None:
    """Add ``export``, ``raster`` and ``zonal`` to ``python -m geo``."""
    from boundaries import LEVELS
    from geo.export.zonal import ZONAL_STATS

    levels = sorted(LEVELS)
    level = choice(levels, what="a level")
    e = subparsers.add_parser(
        "export",
        help="GeoJSON / CSV / council pack of areas with their indicators",
        description="Write a council's small areas (--council: LSOAs in England and Wales, data "
        "zones in Scotland, the council itself in Northern Ireland) or a whole level (--level) "
        "with the indicators that cover its nation: .geojson (RFC 7946), .csv (formula-safe) or "
        ".zip (council pack).",
    )
    which = e.add_mutually_exclusive_group(required=True)
    which.add_argument("--council", metavar="CODE", type=place,
                       help="a UK council by LAD 2024 code or name, e.g. E08000003, W06000015, "
                            "S12000049, N09000003 or 'Cardiff' (one of --council or --level is "
                            "required)")
    which.add_argument("--level", type=level, choices=levels,
                       help="every area of a level (one of --council or --level is required)")
    add_out_argument(e, suffixes=tuple(EXPORT_FORMATS), help="the areas (.zip: council pack)")
    add_force(e)
    e.set_defaults(func=_cmd_export)

    r = subparsers.add_parser(
        "raster",
        help="an indicator (or hotspot labels) as a GeoTIFF in EPSG:27700",
        description="Rasterise an indicator id from `python -m geo catalogue`, or "
        "'hotspot:<method>_<indicator>' (e.g. hotspot:gi_star_n_domains_worst_decile) for "
        "national hotspot labels, to a tiled, compressed GeoTIFF.",
    )
    r.add_argument("--indicator", required=True,
                   help="e.g. iod2025.imd_score or hotspot:gi_star_imd_score")
    r.add_argument("--resolution", type=float, default=100.0, help="cell size in metres")
    add_out_argument(r, suffixes=(".tif", ".tiff"), help="the GeoTIFF")
    add_force(r)
    r.set_defaults(func=_cmd_raster)

    z = subparsers.add_parser(
        "zonal",
        help="coverage-weighted zonal statistics of a raster over areas, to CSV",
        description="Mean or sum of a raster over each area of a level, each cell weighted by "
        "the fraction of it inside the area.",
    )
    z.add_argument("--raster", required=True, help="input raster (any CRS; it must have one)")
    z.add_argument("--level", required=True, type=level, choices=levels, help="the areas")
    z.add_argument("--stat", default="mean", type=choice(ZONAL_STATS, what="a statistic"),
                   choices=list(ZONAL_STATS), help="the statistic")
    add_out_argument(z, suffixes=(".csv",), help="the table")
    add_force(z)
    z.set_defaults(func=_cmd_zonal)
