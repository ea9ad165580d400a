"""``python -m geo hotspots`` and ``python -m geo clusters``: argparse and printing only.

The analysis is :mod:`geo.analysis` (:func:`~geo.analysis.hotspots.hotspot_table`,
:func:`~geo.analysis.clusters.named_clusters`); the files are written by :mod:`geo.export`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from geo._errors import InputError
from geo.analysis.clusters import (
    DEFAULT_CLUSTER_INDICATOR,
    cluster_geometries,
    named_clusters,
)
from geo.analysis.hotspots import hotspot_table, with_geometry
from geo.cli.export import export_metadata
from geo.export.atomic import _atomic_target
from geo.export.csv import to_csv_safe
from geo.export.geojson import write_geojson
from geo.stats.local import LOCAL_METHODS

__all__ = ["register_cli"]

OUT_SUFFIXES = {"hotspots": (".csv", ".parquet", ".geojson"), "clusters": (".csv", ".geojson")}

#: Keys of the run info that go into the metadata of every file.
METHOD_KEYS = ("method", "polarity", "weights", "permutations", "seed", "alpha", "correction",
               "p_value", "robustness", "graph", "within", "indicator")


def _metadata(info: dict[str, Any], *, datasets: list[str]) -> dict[str, Any]:
    method = {k: info.get(k) for k in METHOD_KEYS}
    return export_metadata(datasets, level=info["level"], method=method)


def _check_out(out: str, command: str) -> Path:
    path = Path(out)
    if path.suffix.lower() not in OUT_SUFFIXES[command]:
        msg = f"`--out` must end with one of {OUT_SUFFIXES[command]}; got {out!r}."
        raise InputError(msg)
    if not path.parent.is_dir():
        msg = f"`--out` folder {str(path.parent)!r} does not exist; create it first."
        raise InputError(msg)
    return path


def _cmd_hotspots(args: argparse.Namespace) -> int:
    path = _check_out(args.out, "hotspots")
    table, info = hotspot_table(
        args.indicator, level=args.level, within=args.within, method=args.method,
        permutations=args.permutations, seed=args.seed, alpha=args.alpha, fdr=not args.no_fdr,
        robust=not args.no_robust,
    )
    meta = _metadata(info, datasets=[str(info["dataset"])])
    suffix = path.suffix.lower()
    if suffix == ".csv":
        to_csv_safe(table.set_index("code"), path, metadata=meta)
    elif suffix == ".parquet":
        with _atomic_target(path) as tmp:
            table.to_parquet(tmp, index=False)
    else:
        write_geojson(with_geometry(table, info["level"]), path, metadata=meta)
    counts = ", ".join(f"{k}: {v}" for k, v in info["counts"].items())
    sys.stderr.write(
        f"{info['method']} on {info['indicator']} ({info['level']}, graph {info['graph']}), "
        f"{info['permutations']} permutations, seed {info['seed']}, alpha {info['alpha']}, "
        f"correction {info['correction']}; {counts}"
        + "".join(f"; {n}" for n in info["notes"]) + f"\nwrote {path}\n"
    )
    return 0


def _cmd_clusters(args: argparse.Namespace) -> int:
    path = _check_out(args.out, "clusters")
    clusters, info = named_clusters(
        args.indicator, within=args.within, permutations=args.permutations, seed=args.seed,
        alpha=args.alpha, confidence=args.confidence,
    )
    meta = _metadata(info, datasets=[str(info["dataset"]), "population"])
    if path.suffix.lower() == ".csv":
        to_csv_safe(clusters, path, metadata=meta)
    else:
        write_geojson(cluster_geometries(clusters), path, metadata=meta)
    sys.stderr.write(
        f"{len(clusters)} clusters of hot spots ({args.confidence}% or more, "
        f"{info['correction']}) of {info['indicator']}\nwrote {path}\n"
    )
    return 0


def register_cli(subparsers: argparse._SubParsersAction) -> None:
    """Add ``hotspots`` and ``clusters`` to ``python -m geo``."""
    h = subparsers.add_parser(
        "hotspots",
        help="Gi* / local Moran hot spots of one indicator, FDR-corrected",
        description="Local statistics of one catalogue indicator on its level's contiguity "
        "graph (islands joined to nearest neighbours), with Benjamini-Hochberg FDR and a "
        "k-nearest-neighbour robustness check. Output columns: code, value, statistic, p, q, "
        "label, robust.",
    )
    h.add_argument("--indicator", required=True, help="catalogue id, e.g. iod2025.imd_score")
    h.add_argument("--level", help="expected level (lsoa21, lad24, utla24...)")
    h.add_argument("--within", metavar="LAD24CODE", help="one council's LSOAs (plus a ring)")
    h.add_argument("--method", choices=list(LOCAL_METHODS), default="gi_star")
    h.add_argument("--permutations", type=int, default=999)
    h.add_argument("--seed", type=int, default=42)
    h.add_argument("--alpha", type=float, default=0.05, choices=[0.01, 0.05, 0.1])
    h.add_argument("--no-fdr", action="store_true", help="judge by raw p instead of FDR q")
    h.add_argument("--no-robust", action="store_true", help="skip the k=8 robustness check")
    h.add_argument("--out", required=True, help="PATH.csv, PATH.parquet or PATH.geojson")
    h.set_defaults(func=_cmd_hotspots)

    c = subparsers.add_parser(
        "clusters",
        help="named clusters of touching hot spots (LSOA indicators)",
        description="Gi* hot spots of an LSOA indicator joined into contiguous clusters, named "
        "after their main wards and council, with the IoD domains that drive them.",
    )
    c.add_argument("--indicator", default=DEFAULT_CLUSTER_INDICATOR,
                   help="LSOA indicator (default: the count of IoD domains in the worst decile, "
                   "i.e. hotspots of compounded disadvantage, read from the store)")
    c.add_argument("--within", metavar="LAD24CODE")
    c.add_argument("--permutations", type=int, default=None,
                   help="recompute with this many permutations (default: the stored run)")
    c.add_argument("--seed", type=int, default=42)
    c.add_argument("--alpha", type=float, default=0.05, choices=[0.01, 0.05, 0.1])
    c.add_argument("--confidence", type=int, default=95, choices=[90, 95, 99])
    c.add_argument("--out", required=True, help="PATH.csv or PATH.geojson")
    c.set_defaults(func=_cmd_clusters)
