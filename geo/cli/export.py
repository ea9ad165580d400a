"""``python -m geo export | raster | zonal``: files for GIS clients and spreadsheets.

* ``export --council E08000003 --out manchester.geojson`` (or ``.csv``, or ``.zip`` for the
  council pack): the council's LSOAs with every LSOA indicator of the store and the national
  hotspot labels.
* ``export --level lad24 --out councils.geojson``: every area of a level with the indicators
  stored at that level.
* ``raster --indicator iod2025.imd_score --resolution 100 --out imd.tif``: an indicator as a
  GeoTIFF in EPSG:27700; ``--indicator hotspot:gi_star_imd_score`` writes hotspot labels as categories.
* ``zonal --raster imd.tif --level lad24 --stat mean --out lad_imd.csv``: coverage-weighted
  zonal statistics of any raster over a level's areas.

Data comes from the store (``boundaries.load``, ``geo.indicators``, ``geo.data.sources``). Every
file is written atomically, so a failure (exit status 2 with a message, through ``geo.cli.parser``)
leaves no output file behind.
"""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo._errors import InputError, OppmapError, UnmatchedCodesWarning, format_codes

__all__ = ['register_cli', 'export_metadata', 'council_table', 'level_table']


#: Output formats of ``export`` by file suffix.
EXPORT_FORMATS = {".geojson": "geojson", ".json": "geojson", ".csv": "csv", ".zip": "zip"}


#: Prefix of ``raster --indicator`` that selects hotspot labels instead of an indicator.
HOTSPOT_PREFIX = "hotspot:"


HOTSPOT_TABLE = "hotspots_lsoa21"


# ----------------------------------------------------------------------------- metadata
def _boundary_sources(level: str) -> list[str]:
    from geo.data.sources import registry

    base = level.removesuffix("_detailed")
    return [
        ident
        for ident, entry in registry().items()
        if entry.get("kind") == "boundary" and entry.get("level") == base
    ]


def export_metadata(
    dataset_ids: list[str], *, level: str, method: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Provenance for an export: sources, vintages, licences, attribution, method and seed.

    Parameters
    ----------
    dataset_ids
        Registry ids of the indicator datasets used (boundaries of ``level`` are added).
    level
        The geography level exported.
    method
        Method parameters to record (``seed`` is also copied to the top level).

    Returns
    -------
    dict
        JSON-serialisable, no timestamps (so the same store gives the same bytes).
    """
    from geo.data.sources import attribution_lines, registry, registry_meta

    reg = registry()
    # Derived tables (summary_*, compound, hotspots, clusters) stand for the sources they
    # were computed from, as listed in [[derived]] of the registry.
    derived = {d["id"]: d.get("sources", []) for d in registry_meta().get("derived", [])}
    derived.setdefault("hotspots_lsoa21", ["iod2025", "iod2019", "lsoa21_bsc", "population"])
    derived.setdefault("clusters", ["iod2025", "lsoa21_bsc", "lookup_lsoa21_ward24_lad24",
                                    "population"])
    expanded: list[str] = []
    for ident in [*_boundary_sources(level), *dataset_ids]:
        expanded.extend(derived.get(ident, [ident]))
    ids = [i for i in dict.fromkeys(expanded) if i in reg]
    if level == "region" and "ons_topojson" not in ids:
        ids.insert(0, "ons_topojson")
    if not ids:  # never export without attribution: every level rests on ONS boundaries
        ids = ["lad24_uk_buc"]
    licences = registry_meta().get("licences", {})
    sources = []
    for ident in ids:
        entry = reg[ident]
        licence = entry.get("licence")
        sources.append(
            {
                "id": ident,
                "title": entry.get("title"),
                "publisher": entry.get("publisher"),
                "vintage": entry.get("vintage"),
                "licence": licence,
                "licence_url": licences.get(licence),
                "url": entry.get("landing") or entry.get("url"),
            }
        )
    meta: dict[str, Any] = {
        "title": "oppmap export",
        "generator": "oppmap (python -m geo)",
        "level": level,
        "sources": sources,
        "licence": ", ".join(sorted({s["licence"] for s in sources if s["licence"]})),
        "attribution": attribution_lines(ids),
    }
    if method:
        meta["method"] = method
        if "seed" in method:
            meta["seed"] = method["seed"]
    return meta


def _hotspot_method() -> dict[str, Any]:
    import boundaries

    try:
        manifest = boundaries.read_manifest(boundaries.store_dir())
    except OppmapError:
        return {}
    params = manifest.get("hotspot_params") or {}
    return (
        {"hotspots": ("local Getis-Ord Gi* (binary contiguity weights including self) and local "
                      "Moran's I (row-standardised), conditional permutations, two-sided p, "
                      "Benjamini-Hochberg FDR"), **params} if params else {}
    )


# ----------------------------------------------------------------------------- tables
def _join(geography: gpd.GeoDataFrame, table: pd.DataFrame, *, what: str) -> gpd.GeoDataFrame:
    """Left-join indicator columns onto the areas, reporting codes that have no area."""
    table = table.copy()
    table.index.name = geography.index.name
    unmatched = table.index.difference(geography.index)
    if len(unmatched):
        warnings.warn(
            f"{len(unmatched)} codes of {what} are not areas of this level and were left out: "
            f"{format_codes(unmatched)}",
            UnmatchedCodesWarning,
            stacklevel=3,
        )
    clash = [c for c in table.columns if c in geography.columns]
    if clash:
        table = table.drop(columns=clash)
    return geography.join(table, how="left", validate="one_to_one")


def _indicators_at(level: str) -> tuple[pd.DataFrame, list[str]]:
    """Every catalogued indicator stored at ``level`` (columns named by indicator id)."""
    from geo.data.indicators import catalogue, load_indicators

    cat = catalogue()
    rows = cat[cat["level"] == level]
    frames, datasets = [], []
    for ds, part in rows.groupby("dataset", sort=False):
        try:
            frames.append(load_indicators(list(part.index)))
        except OppmapError as exc:
            warnings.warn(f"indicators of {ds!r} left out: {exc}", UserWarning, stacklevel=3)
            continue
        datasets.append(str(ds))
    table = pd.concat(frames, axis=1) if frames else pd.DataFrame()
    return table, datasets


def _hotspot_labels() -> pd.DataFrame:
    """Compounded/persistent flags and hotspot labels per LSOA (``hotspot_<method>_<indicator>``).

    A store built without hotspots has none: that raises a StoreError naming the fix rather
    than exporting without them.
    """
    from geo.data.indicators import load_lsoa_flags

    return load_lsoa_flags()


def council_table(council_code: str) -> tuple[gpd.GeoDataFrame, str, dict[str, Any]]:
    """A council's LSOAs with every LSOA indicator and hotspot label, its name and metadata.

    Raises
    ------
    InputError
        If ``council_code`` is not a LAD 2024 code with LSOAs in the store.
    """
    import boundaries

    code = str(council_code).strip().upper()
    lsoa = boundaries.load("lsoa21")
    if "lad24_code" not in lsoa.columns:
        msg = "the stored lsoa21 boundaries have no lad24_code column: rebuild the store"
        raise InputError(msg)
    areas = lsoa[lsoa["lad24_code"] == code]
    if areas.empty:
        known = sorted(lsoa["lad24_code"].dropna().unique())
        msg = (
            f"`--council` {council_code!r} is not a LAD 2024 code of England or Wales with "
            f"LSOAs (e.g. E08000003 for Manchester); {len(known)} codes are known, such as "
            f"{format_codes(known, limit=5)}"
        )
        raise InputError(msg)
    name = str(areas["lad24_name"].iloc[0]) if "lad24_name" in areas.columns else code
    indicators, datasets = _indicators_at("lsoa21")
    table = _join(areas, indicators.reindex(areas.index), what="LSOA indicators")
    labels = _hotspot_labels()
    method = {}
    if not labels.empty:
        table = _join(table, labels.reindex(areas.index), what="hotspot labels")
        method = _hotspot_method()
        datasets.append(HOTSPOT_TABLE)
    meta = export_metadata(datasets, level="lsoa21", method=method)
    meta["council"] = {"code": code, "name": name}
    return table, name, meta


def level_table(level: str) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """Every area of ``level`` with the indicators stored at that level, and metadata."""
    import boundaries

    areas = boundaries.load(level)
    indicators, datasets = _indicators_at(level.removesuffix("_detailed"))
    if not indicators.empty:
        areas = _join(areas, indicators, what=f"{level} indicators")
    method: dict[str, Any] = {}
    if level == "lsoa21":
        labels = _hotspot_labels()
        if not labels.empty:
            areas = _join(areas, labels, what="hotspot labels")
            method = _hotspot_method()
            datasets.append(HOTSPOT_TABLE)
    return areas, export_metadata(datasets, level=level, method=method)


# ----------------------------------------------------------------------------- commands
def _out_path(value: str, suffixes: tuple[str, ...], option: str = "--out") -> Path:
    path = Path(value)
    if path.suffix.lower() not in suffixes:
        msg = f"`{option}` {value!r} must end in one of {list(suffixes)}"
        raise InputError(msg)
    if not path.parent.expanduser().is_dir():
        msg = (
            f"`{option}` {value!r}: the folder {str(path.parent)!r} does not exist; create it first"
        )
        raise InputError(msg)
    return path.expanduser()


def _cmd_export(args: argparse.Namespace) -> int:
    from geo.export.csv import to_csv_safe
    from geo.export.geojson import write_geojson

    out = _out_path(args.out, tuple(EXPORT_FORMATS))
    kind = EXPORT_FORMATS[out.suffix.lower()]
    if kind == "zip":
        if not args.council:
            msg = "`--out` *.zip (a council pack) needs `--council CODE`, not `--level`"
            raise InputError(msg)
        from geo.council import council_pack
        from geo.export.atomic import _write_bytes_atomic

        # the one council pack: the same bytes as the app's download
        _write_bytes_atomic(out, council_pack(str(args.council).strip().upper()))
        return 0
    if args.council:
        table, _name, meta = council_table(args.council)
    else:
        table, meta = level_table(args.level)
    if kind == "geojson":
        write_geojson(table, out, metadata=meta)
    else:
        to_csv_safe(table, out, metadata=meta)
    return 0


def _indicator_frame(indicator: str) -> tuple[gpd.GeoDataFrame, str, dict[str, Any]]:
    """Areas with one column to rasterise (an indicator, or hotspot labels) and metadata."""
    import boundaries
    from geo.data.indicators import indicator_meta, load_indicators

    if indicator.startswith(HOTSPOT_PREFIX):
        which = indicator[len(HOTSPOT_PREFIX) :]
        labels = _hotspot_labels()
        column = f"hotspot_{which}"
        if column not in labels.columns:
            valid = [HOTSPOT_PREFIX + c.removeprefix("hotspot_") for c in labels.columns
                     if c.startswith("hotspot_")]
            msg = (
                f"`--indicator` {indicator!r}: no hotspot labels for {which!r} in the store; "
                f"valid: {valid or 'none (build the store with hotspots)'}"
            )
            raise InputError(msg)
        areas = boundaries.load("lsoa21")
        areas = areas[areas.index.isin(labels.index)]
        table = _join(areas[["geometry"]], labels[[column]], what="hotspot labels")
        meta = export_metadata([HOTSPOT_TABLE, "iod2025"], level="lsoa21", method=_hotspot_method())
        meta.update(indicator=f"hot and cold spots of {which}", units="category")
        return table, column, meta
    info = indicator_meta(indicator)
    level = info["level"]
    values = load_indicators([info["id"]])
    areas = boundaries.load(level)
    areas = areas[areas.index.isin(values.index)]
    table = _join(areas[["geometry"]], values, what=info["id"])
    meta = export_metadata([info["dataset"]], level=level)
    meta.update(indicator=f"{info['label']} ({info['id']})", units=info.get("unit") or "")
    return table, info["id"], meta


def _cmd_raster(args: argparse.Namespace) -> int:
    from geo.export.geotiff import write_geotiff

    out = _out_path(args.out, (".tif", ".tiff"))
    table, column, meta = _indicator_frame(args.indicator.strip())
    meta["method"] = {
        **meta.get("method", {}),
        "resolution_m": args.resolution,
        "cell_rule": "value of the area containing the cell centre",
    }
    write_geotiff(table, column, out, resolution=args.resolution, metadata=meta)
    return 0


def _raster_metadata(path: Path) -> dict[str, Any]:
    import rasterio

    try:
        with rasterio.open(path) as src:
            tags = src.tags()
    except (OSError, rasterio.errors.RasterioError) as exc:
        msg = f"`--raster` {str(path)!r} cannot be read as a raster: {exc}"
        raise InputError(msg) from exc
    try:
        meta = json.loads(tags.get("OPPMAP_METADATA", "{}"))
    except json.JSONDecodeError:
        meta = {}
    return meta if isinstance(meta, dict) else {}


def _cmd_zonal(args: argparse.Namespace) -> int:
    import boundaries
    from geo.export.csv import to_csv_safe
    from geo.export.zonal import zonal_stats

    raster = Path(args.raster).expanduser()
    if not raster.is_file():
        msg = f"`--raster` {args.raster!r} does not exist"
        raise InputError(msg)
    out = _out_path(args.out, (".csv",))
    raster_meta = _raster_metadata(raster)
    zones = boundaries.load(args.level)
    import rasterio

    with rasterio.open(raster) as src:
        if src.count > 1:
            msg = (f"`--raster` {raster.name!r} has {src.count} bands; zonal statistics use one. "
                   "Save the band you want as its own GeoTIFF (e.g. gdal_translate -b 1).")
            raise InputError(msg)
    values = zonal_stats(raster, zones, stat=args.stat)
    if values.notna().sum() == 0:
        msg = (f"`--raster` {raster.name!r} gives no value for any {args.level} area: it does not "
               "overlap Great Britain, or all its cells are nodata. Check its extent and CRS.")
        raise InputError(msg)
    table = (
        pd.DataFrame({"name": zones["name"]})
        if "name" in zones.columns
        else pd.DataFrame(index=zones.index)
    )
    table[f"{args.stat}"] = values
    meta = export_metadata([], level=args.level)
    raster_lines = raster_meta.get("attribution") or []
    if isinstance(raster_lines, str):
        raster_lines = [raster_lines]
    lines = list(dict.fromkeys([*raster_lines, *meta["attribution"]]))
    meta["attribution"] = lines
    meta["sources"] = [*(raster_meta.get("sources") or []), *meta["sources"]]
    meta["method"] = {
        "zonal_statistic": args.stat,
        "weighting": "each cell weighted by the fraction of it inside the area (exactextract)",
        "raster": raster.name,
        "raster_indicator": raster_meta.get("indicator"),
    }
    to_csv_safe(table, out, metadata=meta)
    return 0


def _wrap(func):  # noqa: ANN001, ANN202 - argparse callback
    """Turn file-system and raster errors into :class:`InputError` (exit status 2)."""

    def run(args: argparse.Namespace) -> int:
        import rasterio

        try:
            return func(args)
        except OppmapError:
            raise
        except (OSError, rasterio.errors.RasterioError) as exc:
            msg = f"{args.command}: {exc}"
            raise InputError(msg) from exc

    return run


def register_cli(subparsers: argparse._SubParsersAction) -> None:
    """Add ``export``, ``raster`` and ``zonal`` to ``python -m geo``."""
    from boundaries import LEVELS

    e = subparsers.add_parser(
        "export",
        help="GeoJSON / CSV / council pack of areas with their indicators",
        description="Write a council's LSOAs (--council) or a whole level (--level) with "
        "indicators: .geojson (RFC 7946), .csv (formula-safe) or .zip (council pack).",
    )
    which = e.add_mutually_exclusive_group(required=True)
    which.add_argument("--council", metavar="LAD24CODE", help="a LAD 2024 code, e.g. E08000003")
    which.add_argument("--level", choices=sorted(LEVELS), help="every area of a level")
    e.add_argument("--out", required=True, help="output .geojson, .csv or .zip (council pack)")
    e.set_defaults(func=_wrap(_cmd_export))

    r = subparsers.add_parser(
        "raster",
        help="an indicator (or hotspot labels) as a GeoTIFF in EPSG:27700",
        description="Rasterise an indicator id from `python -m geo catalogue`, or "
        "'hotspot:<method>_<indicator>' (e.g. hotspot:gi_star_n_domains_worst_decile) for national hotspot labels, to a tiled, compressed GeoTIFF.",
    )
    r.add_argument("--indicator", required=True, help="e.g. iod2025.imd_score or hotspot:gi_star_imd_score")
    r.add_argument("--resolution", type=float, default=100.0, help="cell size in metres")
    r.add_argument("--out", required=True, help="output .tif")
    r.set_defaults(func=_wrap(_cmd_raster))

    z = subparsers.add_parser(
        "zonal",
        help="coverage-weighted zonal statistics of a raster over areas, to CSV",
        description="Mean or sum of a raster over each area of a level, each cell weighted by "
        "the fraction of it inside the area.",
    )
    z.add_argument("--raster", required=True, help="input raster (any CRS; it must have one)")
    z.add_argument("--level", required=True, choices=sorted(LEVELS))
    z.add_argument("--stat", default="mean", choices=["mean", "sum", "count", "min", "max"])
    z.add_argument("--out", required=True, help="output .csv")
    z.set_defaults(func=_wrap(_cmd_zonal))
