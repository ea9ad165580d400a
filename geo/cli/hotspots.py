"""``python -m geo hotspots`` and ``python -m geo clusters``: argparse and printing only.

The analysis is :mod:`geo.analysis` (:func:`~geo.analysis.hotspots.hotspot_table`,
:func:`~geo.analysis.clusters.named_clusters`); the files are written by :mod:`geo.export`.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from geo.analysis.clusters import (
    DEFAULT_INDEX,
    cluster_geometries,
    cluster_indicator,
    named_clusters,
)
from geo.analysis.hotspots import REFERENCES, hotspot_table, stored_params, with_geometry
from geo.cli._common import (
    add_force,
    add_out_argument,
    check_output,
    choice,
    did_you_mean,
    place,
    report_written,
)
from geo.data.indicators import catalogue
from geo.data.nations import national_indices
from geo.export.atomic import export_path
from geo.export.csv import to_csv_safe
from geo.export.geojson import write_geojson
from geo.export.metadata import export_metadata
from geo.stats.local import LOCAL_METHODS

__all__ = ["register_cli"]

OUT_SUFFIXES = {"hotspots": (".csv", ".parquet", ".geojson"), "clusters": (".csv", ".geojson")}

#: Keys of the run info that go into the metadata (and README) of every file.
METHOD_KEYS = ("indicator", "method", "polarity", "weights", "permutations", "seed", "alpha",
               "correction", "p_value", "reference", "within", "source", "graph", "robustness",
               "outcome", "confidence", "island_links_ignored", "z_against_tail",
               "permutation_floor", "global", "index", "vintage", "small_areas", "nations",
               "comparability", "population_known", "population", "members")


def _metadata(info: dict[str, Any], *, datasets: list[str]) -> dict[str, Any]:
    method = {k: info[k] for k in METHOD_KEYS if info.get(k) is not None}
    return export_metadata(datasets, level=info["level"], method=method)


def _indicator(value: str) -> str:
    """The catalogue id the user meant ("did you mean" with the closest few otherwise)."""
    return did_you_mean(str(value).strip(), [str(i) for i in catalogue().index],
                        option="--indicator", what="in the catalogue",
                        hint="List them with `python -m geo catalogue`.")


def _global_line(info: dict[str, Any]) -> str:
    g = info.get("global") or {}
    if not g:
        return ""
    return (f"global Moran's I {g['moran_i']:.3f} (p {g['moran_p']:.3g}), General G "
            f"{g['general_g']:.3g} (p {g['general_g_p']:.3g}), {g['permutations']} permutations\n")


def _index_line(info: dict[str, Any]) -> str:
    """The index, its vintage and small areas, and that indices do not compare across nations."""
    return (f"index {info['index']} (vintage {info['vintage']}), {info['small_areas']}; "
            f"{info['nations']}: national indices are not comparable across nations\n")


def _cmd_hotspots(args: argparse.Namespace) -> int:
    path = check_output(args.out, force=args.force, suffixes=OUT_SUFFIXES["hotspots"])
    table, info = hotspot_table(
        _indicator(args.indicator), level=args.level, within=args.within, reference=args.reference,
        method=args.method, permutations=args.permutations, seed=args.seed, alpha=args.alpha,
        fdr=not args.no_fdr, robust=not args.no_robust,
    )
    meta = _metadata(info, datasets=[str(info["dataset"])])
    suffix = path.suffix.lower()
    if suffix == ".csv":
        to_csv_safe(table.set_index("code"), path, metadata=meta)
    elif suffix == ".parquet":
        with export_path(path, metadata=meta) as tmp:
            table.to_parquet(tmp, index=False)
    else:
        write_geojson(with_geometry(table, info["level"]), path, metadata=meta)
    outcomes = ", ".join(f"{k}: {v}" for k, v in (info["outcomes"] or {}).items())
    sys.stderr.write(
        f"{info['method']} on {info['indicator']} ({info['level']}, graph {info['graph']}, "
        f"{info['polarity']}), {info['permutations']} permutations, seed {info['seed']}, "
        f"alpha {info['alpha']}, correction {info['correction']}; {info['source']}\n"
        + (f"within {info['within']}: {info['reference']}\n" if info["within"] else "")
        + f"{outcomes}" + "".join(f"; {n}" for n in info["notes"]) + "\n"
        + _global_line(info) + _index_line(info)
    )
    report_written(path)
    return 0


def _cmd_clusters(args: argparse.Namespace) -> int:
    path = check_output(args.out, force=args.force, suffixes=OUT_SUFFIXES["clusters"])
    clusters, info = named_clusters(
        _indicator(args.indicator) if args.indicator else None, index=args.index,
        within=args.within, outcome=f"{args.outcome} cluster", permutations=args.permutations,
        seed=args.seed, confidence=args.confidence,
    )
    datasets = [str(info["dataset"]), *(["population"] if info["population_known"] else [])]
    meta = _metadata(info, datasets=datasets)
    if path.suffix.lower() == ".csv":
        to_csv_safe(clusters, path, metadata=meta)
    else:
        write_geojson(cluster_geometries(clusters, level=info["level"]), path, metadata=meta)
    sys.stderr.write(
        f"{len(clusters)} {args.outcome} clusters ({args.confidence}% or more after "
        f"{info.get('correction', 'fdr_bh')}) of {info['indicator']}"
        + (f" reaching {info['within']}" if info["within"] else "") + f"; {info['source']}\n"
        f"population: {info['population']}\n" + _index_line(info)
    )
    report_written(path)
    return 0


def _stored(key: str) -> str:
    """The store's value of a hotspot parameter, for help texts."""
    value = stored_params().get(key)
    return f"the store's national run ({value})" if value is not None else (
        "the store's national run (its manifest's hotspot_params)")


def register_cli(subparsers: argparse._SubParsersAction) -> None:
    """Add ``hotspots`` and ``clusters`` to ``python -m geo``."""
    _register_hotspots(subparsers)
    _register_clusters(subparsers)


def _register_hotspots(subparsers: argparse._SubParsersAction) -> None:
    h = subparsers.add_parser(
        "hotspots",
        help="Gi* / local Moran hot spots of one indicator, FDR-corrected, with outcomes",
        description="Local statistics of one catalogue indicator on the contiguity graph of "
        "the nation its values cover (England's LSOAs, Wales's LSOAs, Scotland's data zones; "
        "England and Wales together for an indicator of both; islands joined to their nearest "
        "neighbours), never mixing nations otherwise: national indices are not comparable "
        "across nations. Northern Ireland has no small areas in the mirror (NIMDM 2017 is "
        "held at council level), so it has no hot spots. Two-sided conditional-permutation "
        "p-values, Benjamini-Hochberg FDR and a k=8 nearest-neighbour robustness check. The "
        "store's national run is read when the indicator, method, permutations and seed match "
        "it. Output columns: code, value, statistic, p, q, label (the method's words about "
        "values), outcome (worse/better cluster or outlier, not significant, not tested), bin "
        "(-3..3, + worse), robust, and z_against_tail (Gi*) or quadrant (local Moran). Global "
        "Moran's I and General G go in the README beside the file.",
    )
    h.add_argument("--indicator", required=True,
                   help="catalogue id, e.g. iod2025.imd_score, wimd2019.wimd_score, "
                   "simd2020.simd_rank (required; list them with python -m geo catalogue)")
    h.add_argument("--level", help="expected level, checked against the catalogue "
                   "(default: the indicator's own)")
    h.add_argument("--within", metavar="CODE", type=place,
                   help="report one place's small areas: a council "
                   "(LAD or UTLA 2024, e.g. E08000032, W06000015, S12000049), region or "
                   "combined authority of a nation the indicator covers (default: every area)")
    h.add_argument("--reference", choices=list(REFERENCES), default="national",
                   help="with --within: 'national' keeps the z and p of the national run of the "
                   "place's nation and judges the place's areas as one FDR family; 'local' "
                   "analyses the place and one ring of neighbours on their own (default: "
                   "national)")
    h.add_argument("--method", choices=list(LOCAL_METHODS), default="gi_star",
                   help="local statistic (default: gi_star)")
    h.add_argument("--permutations", type=int, default=None,
                   help=f"conditional permutations; 0 for the normal approximation (default: "
                   f"{_stored('permutations')})")
    h.add_argument("--seed", type=int, default=None,
                   help=f"seed of the permutations (default: {_stored('seed')})")
    h.add_argument("--alpha", type=float, default=0.05, choices=[0.01, 0.05, 0.1],
                   help="significance level of q (or p with --no-fdr); labels state 99, 95 or "
                   "90%% confidence up to 1 - alpha (default: 0.05)")
    h.add_argument("--no-fdr", action="store_true",
                   help="judge by raw p instead of Benjamini-Hochberg q (default: FDR)")
    h.add_argument("--no-robust", action="store_true",
                   help="skip the k=8 nearest-neighbour robustness check (default: run it)")
    add_out_argument(h, suffixes=OUT_SUFFIXES["hotspots"], help="the run's table")
    add_force(h)
    h.set_defaults(func=_cmd_hotspots)


def _register_clusters(subparsers: argparse._SubParsersAction) -> None:
    indices = national_indices()
    c = subparsers.add_parser(
        "clusters",
        help="named clusters of touching significant areas (small-area indicators)",
        description="Gi* worse (or better) clusters of a small-area indicator's national run, "
        "on its own nation's graph, joined over real contiguity (the links that join islands "
        "left out), named after their main wards (data zones: their names) and councils, with "
        "population (Scotland: a count of data zones, the mirror having no data-zone "
        "population), members in compounded disadvantage and the domains that drive them. The "
        "store's clusters of each index are read for the default question. National indices "
        "are not comparable across nations.",
    )
    c.add_argument("--index", type=choice(indices, what="a national index"),
                   choices=list(indices), default=None,
                   help="national index whose clusters to give: "
                   + "; ".join(f"{k} ({v['title']})" for k, v in indices.items()) + " (default: "
                   f"the --indicator's own index, else that of the --within place's nation, else "
                   f"{DEFAULT_INDEX}; Northern Ireland has no "
                   "small areas, so nimdm2017 is refused)")
    c.add_argument("--indicator", default=None,
                   help=f"small-area indicator (default: the index's compounded disadvantage, "
                   f"the number of its domains in the nation's own worst decile, e.g. "
                   f"{cluster_indicator(DEFAULT_INDEX)})")
    c.add_argument("--within", metavar="CODE", type=place,
                   help="keep the national clusters that reach "
                   "one council, region or combined authority (e.g. W06000015) of the index's "
                   "nation (default: the whole nation)")
    c.add_argument("--outcome", choices=["worse", "better"], default="worse",
                   help="cluster worse or better areas, by the indicator's polarity "
                   "(default: worse)")
    c.add_argument("--permutations", type=int, default=None,
                   help=f"permutations of the national run (default: {_stored('permutations')})")
    c.add_argument("--seed", type=int, default=None,
                   help=f"seed of the permutations (default: {_stored('seed')})")
    c.add_argument("--confidence", type=int, default=95, choices=[90, 95, 99],
                   help="members are significant at this confidence after the national "
                   "Benjamini-Hochberg correction, i.e. q <= 1 - confidence/100 (default: 95)")
    add_out_argument(c, suffixes=OUT_SUFFIXES["clusters"], help="the clusters")
    add_force(c)
    c.set_defaults(func=_cmd_clusters)
