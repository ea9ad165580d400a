"""``python -m geo hotspots`` and ``python -m geo clusters``: local statistics from the store.

``hotspots`` computes Gi* (or local Moran's I) for one catalogue indicator on the stored
contiguity graph of its level (``lsoa21_en`` for England-only LSOA data, ``lsoa21``, ``lad24``;
other levels get a graph built on the fly), optionally within one council (its LSOAs plus one
ring of neighbours, results reported for the council only), with FDR-corrected labels and a
robustness check against k-nearest-neighbour weights (k=8). Output: CSV, Parquet or GeoJSON
with columns ``code, value, statistic, p, q, label, robust``.

``clusters`` joins touching significant hot spots of an LSOA indicator into named clusters.

Data come only through the store API: ``geo.catalogue()``, ``geo.load_indicators(id)``,
``boundaries.load(level)``, ``boundaries.load_graph(name)``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from geo._errors import InputError, format_codes

__all__ = ['register_cli', 'hotspot_table', 'cluster_table']


#: Stored graph per level (``lsoa21`` switches to ``lsoa21_en`` for England-only data).
LEVEL_GRAPHS = {"lsoa21": "lsoa21", "lad24": "lad24"}


#: IoD 2025 domains whose worst-decile flags describe a cluster.
CLUSTER_DOMAINS = ("income", "employment", "education", "health", "crime", "housing",
                   "environment")


OUT_SUFFIXES = {"hotspots": (".csv", ".parquet", ".geojson"), "clusters": (".csv", ".geojson")}


# ----------------------------------------------------------------------------- data access
def _indicator(indicator: str) -> tuple[pd.Series, dict[str, Any]]:
    import geo

    cat = geo.catalogue()
    key = str(indicator).strip()
    if key not in cat.index:
        lowered = {str(i).lower(): i for i in cat.index}
        key = lowered.get(key.lower(), key)
    if key not in cat.index:
        msg = (
            f"`--indicator` {indicator!r} is not in the catalogue; valid names: "
            f"{', '.join(map(str, cat.index))}. List them with `python -m geo catalogue`."
        )
        raise InputError(msg)
    meta = cat.loc[key].to_dict() | {"id": key}
    table = geo.load_indicators(key)
    values = table[key] if isinstance(table, pd.DataFrame) else table
    values = pd.to_numeric(values, errors="coerce").astype(float)
    values.name = key
    return values, meta


def _graph_for(level: str, values: pd.Series):  # noqa: ANN202 - libpysal Graph
    import boundaries
    from geo.stats.weights import build_contiguity

    if level in LEVEL_GRAPHS:
        name = LEVEL_GRAPHS[level]
        if level == "lsoa21" and values.dropna().index.str.startswith("E").all():
            name = "lsoa21_en"
        return boundaries.load_graph(name), name
    graph, _ = build_contiguity(boundaries.load(level))
    return graph, f"{level} (built now)"


def _restrict(values: pd.Series, graph) -> tuple[pd.Series, Any, list[str]]:  # noqa: ANN001
    """Align values and graph: codes without a graph node raise; graph nodes without values go."""
    ids = graph.unique_ids
    unknown = values.index[ids.get_indexer(values.index) < 0]
    if len(unknown):
        msg = (
            f"{len(unknown)} codes of the indicator are not in the graph of its level: "
            f"{format_codes(unknown)}; rebuild the store (`python -m geo data build`)."
        )
        raise InputError(msg)
    notes = []
    if len(values) < len(ids):
        graph = graph.subgraph(ids[values.index.get_indexer(ids) >= 0])
        notes.append(f"graph cut to the {len(values)} areas with this indicator")
    return values.reindex(graph.unique_ids), graph, notes


def hotspot_table(
    indicator: str,
    *,
    level: str | None = None,
    within: str | None = None,
    method: str = "gi_star",
    permutations: int = 999,
    seed: int = 42,
    alpha: float = 0.05,
    fdr: bool = True,
    robust: bool = True,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Compute the hotspots table of one catalogue indicator from the store.

    Parameters
    ----------
    indicator
        Catalogue id such as ``"iod2025.imd_score"``.
    level
        Expected level (checked against the catalogue); default the indicator's own.
    within
        A LAD 2024 code: analyse that council's LSOAs with one ring of neighbours.
    method, permutations, seed, alpha, fdr
        As in :func:`geo.stats.gi_star.local_gi_star` / :func:`geo.stats.moran.local_moran`.
    robust
        Add the ``robust`` column (k=8 nearest-neighbour weights).

    Returns
    -------
    table : pandas.DataFrame
        Columns ``code, value, statistic, p, q, label, robust`` (one row per area).
    info : dict
        Level, graph name, method parameters and notes for the message and metadata.

    Raises
    ------
    InputError
        Unknown indicator, level mismatch, ``within`` on a non-LSOA level or unknown council.
    """
    import boundaries
    from geo.stats._results import METHODS
    from geo.stats.gi_star import local_gi_star
    from geo.stats.moran import local_moran
    from geo.stats.robust import robustness
    from geo.stats.weights import knn_graph, subgraph_with_ring

    if method not in METHODS:
        msg = f"`--method` must be one of {list(METHODS)}; got {method!r}."
        raise InputError(msg)
    values, meta = _indicator(indicator)
    ind_level = str(meta["level"])
    if level is not None and level != ind_level:
        msg = (
            f"`--level` {level!r} does not match indicator {meta['id']!r}, which is published "
            f"at level {ind_level!r}; drop --level or choose an indicator of that level."
        )
        raise InputError(msg)
    dropped = values.index[values.isna().to_numpy()]
    values = values.dropna()
    graph, graph_name = _graph_for(ind_level, values)
    values, graph, notes = _restrict(values, graph)
    if len(dropped):
        notes.append(f"{len(dropped)} areas without a value left out ({format_codes(dropped)})")
    focus = None
    if within:
        if ind_level != "lsoa21":
            msg = (
                f"`--within` needs an LSOA indicator (level lsoa21); {meta['id']!r} is at "
                f"level {ind_level!r}."
            )
            raise InputError(msg)
        code = str(within).strip().upper()
        lsoa = boundaries.load("lsoa21")
        members = lsoa.index[(lsoa["lad24_code"] == code).to_numpy()]
        members = members[graph.unique_ids.get_indexer(members) >= 0]
        if len(members) == 0:
            known = sorted(lsoa["lad24_code"].dropna().unique())
            msg = (
                f"`--within` {within!r} is not a LAD 2024 code with LSOAs for this indicator; "
                f"examples of valid codes: {format_codes(known, limit=5)}."
            )
            raise InputError(msg)
        graph, mask = subgraph_with_ring(graph, members, rings=1)
        values = values.reindex(graph.unique_ids)
        focus = mask
        notes.append(f"{len(members)} LSOAs of {code} with {int((~mask).sum())} ring neighbours")
    # Polarity: for indicators where a higher value is better (ranks, attainment), the
    # statistics run on the negated values so that a "hot spot" always means "worse".
    negate = meta.get("polarity") == "higher_better"
    if negate:
        notes.append(f"{meta['id']} is higher-is-better: hot spots are clusters of LOW values "
                     "(tested on the negated values)")
    run = local_gi_star if method == "gi_star" else local_moran
    res = run(-values if negate else values, graph, permutations=permutations, seed=seed,
              alpha=alpha, fdr=fdr, focus=focus)
    table = res.copy()
    if negate:
        table["value"] = -table["value"]
    if robust:
        gdf = boundaries.load(ind_level).loc[values.index]
        table["robust"] = robustness(values, res, knn_graph=knn_graph(gdf, k=8))
    else:
        table["robust"] = pd.Series(pd.NA, index=table.index, dtype="boolean")
    index_name = table.index.name or f"{ind_level}_code"
    table.index.name = index_name
    table = table.reset_index().rename(columns={index_name: "code"})
    table = table[["code", "value", "statistic", "p", "q", "label", "robust"]]
    info = {
        "indicator": meta["id"], "dataset": meta.get("dataset"), "level": ind_level,
        "graph": graph_name, "within": within, "notes": notes,
        **{k: res.attrs[k] for k in ("method", "weights", "permutations", "seed", "alpha",
                                     "correction", "p_value", "counts")},
        "robustness": "k=8 nearest neighbours" if robust else "not computed",
        "orientation": "negated (higher is better)" if negate else "as published (higher is worse)",
    }
    # How it was computed travels with the table (Parquet metadata, CSV README, GeoJSON member).
    table.attrs = {k: info[k] for k in ("indicator", "method", "weights", "permutations", "seed",
                                        "alpha", "correction", "p_value", "orientation")}
    return table, info


#: The headline: hotspots of compounded disadvantage (domains in England's worst decile).
DEFAULT_CLUSTER_INDICATOR = "compound.n_domains_worst_decile"


def stored_clusters(*, within: str | None = None) -> pd.DataFrame:
    """The national clusters of compounded disadvantage precomputed in the store.

    With ``within``, the clusters that reach that council (LAD 2024 code).
    """
    import boundaries
    import geo

    clusters = geo.load_indicators("clusters")
    if within:
        code = str(within).strip().upper()
        lsoa = boundaries.load("lsoa21")
        members = set(lsoa.index[(lsoa["lad24_code"] == code).to_numpy()])
        if not members:
            msg = f"`--within` {within!r} is not a LAD 2024 code with LSOAs (e.g. E08000032)"
            raise InputError(msg)
        keep = clusters["lsoa_codes"].str.split(";").map(lambda c: bool(members & set(c)))
        clusters = clusters[keep.to_numpy()]
    return clusters


def cluster_table(
    indicator: str = DEFAULT_CLUSTER_INDICATOR,
    *,
    within: str | None = None,
    permutations: int = 999,
    seed: int = 42,
    alpha: float = 0.05,
    confidence: int = 95,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Named clusters of touching Gi* hot spots of an LSOA indicator (see hotspot_clusters)."""
    import boundaries
    import geo
    from geo.stats.clusters import hotspot_clusters

    table, info = hotspot_table(indicator, within=within, method="gi_star",
                                permutations=permutations, seed=seed, alpha=alpha, robust=False)
    if info["level"] != "lsoa21":
        msg = f"`clusters` needs an LSOA indicator; {indicator!r} is at level {info['level']!r}."
        raise InputError(msg)
    result = table.set_index("code")
    result.index.name = "lsoa21_code"
    lsoa = boundaries.load("lsoa21")
    pop = geo.load_indicators("population")
    lsoa_info = pd.DataFrame(
        {
            "population_total": pop["population_total"].reindex(result.index),
            "ward24_name": lsoa["ward24_name"].reindex(result.index),
            "lad24_name": lsoa["lad24_name"].reindex(result.index),
        }
    )
    try:
        iod = geo.load_indicators("iod2025")
    except Exception:  # noqa: BLE001 - domains are a description; clusters stand without them
        iod = None
    if iod is not None:
        for domain in CLUSTER_DOMAINS:
            col = f"{domain}_decile"
            if col in iod.columns:
                lsoa_info[domain] = (iod[col].reindex(result.index) == 1).astype(bool)
    graph, _ = _graph_for("lsoa21", result["value"].dropna())
    graph = graph.subgraph(result.index) if graph.n != len(result) else graph
    clusters = hotspot_clusters(result, graph, lsoa_info=lsoa_info, confidence=confidence)
    return clusters, info


# ----------------------------------------------------------------------------- writing
def _metadata(info: dict[str, Any], *, datasets: list[str]) -> dict[str, Any]:
    method = {k: info.get(k) for k in ("method", "weights", "permutations", "seed", "alpha",
                                       "correction", "p_value", "robustness", "graph", "within",
                                       "indicator")}
    try:
        from geo.export.metadata import export_metadata

        return export_metadata(datasets, level=info["level"], method=method)
    except ImportError:
        import geo

        return {"title": "oppmap hotspots", "level": info["level"], "method": method,
                "seed": info.get("seed"), "attribution": geo.attribution_lines(datasets)}


def _atomic(path: Path, write) -> None:  # noqa: ANN001
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _check_out(out: str, command: str) -> Path:
    path = Path(out)
    suffix = path.suffix.lower()
    if suffix not in OUT_SUFFIXES[command]:
        msg = f"`--out` must end with one of {OUT_SUFFIXES[command]}; got {out!r}."
        raise InputError(msg)
    if not path.parent.is_dir():
        msg = f"`--out` folder {str(path.parent)!r} does not exist; create it first."
        raise InputError(msg)
    return path


def _write_geojson(gdf, path: Path, meta: dict[str, Any]) -> None:  # noqa: ANN001
    try:
        from geo.export.geojson import write_geojson
    except ImportError:
        _atomic(path, lambda tmp: gdf.to_crs(4326).to_file(tmp, driver="GeoJSON",
                                                           engine="pyogrio", RFC7946="YES"))
    else:
        write_geojson(gdf, path, metadata=meta)


def _cmd_hotspots(args: argparse.Namespace) -> int:
    import boundaries

    path = _check_out(args.out, "hotspots")
    table, info = hotspot_table(
        args.indicator, level=args.level, within=args.within, method=args.method,
        permutations=args.permutations, seed=args.seed, alpha=args.alpha, fdr=not args.no_fdr,
        robust=not args.no_robust,
    )
    suffix = path.suffix.lower()
    if suffix == ".csv":
        from geo.export.csv import to_csv_safe

        # Columns as documented; method, permutations and seed go in <file>.README.txt beside it.
        to_csv_safe(table.set_index("code"), path,
                    metadata=_metadata(info, datasets=[str(info["dataset"])]))
    elif suffix == ".parquet":
        _atomic(path, lambda tmp: table.to_parquet(tmp, index=False))
    else:
        shapes = boundaries.load(info["level"])[["geometry"]]
        gdf = shapes.join(table.set_index("code"), how="inner")
        gdf["robust"] = gdf["robust"].astype(object).where(gdf["robust"].notna(), None)
        _write_geojson(gdf, path, _metadata(info, datasets=[str(info["dataset"])]))
    counts = ", ".join(f"{k}: {v}" for k, v in info["counts"].items())
    sys.stderr.write(
        f"{info['method']} on {info['indicator']} ({info['level']}, graph {info['graph']}), "
        f"{info['permutations']} permutations, seed {info['seed']}, alpha {info['alpha']}, "
        f"correction {info['correction']}; {counts}"
        + "".join(f"; {n}" for n in info["notes"]) + f"\nwrote {path}\n"
    )
    return 0


def _cmd_clusters(args: argparse.Namespace) -> int:
    import boundaries

    path = _check_out(args.out, "clusters")
    default_run = (args.indicator == DEFAULT_CLUSTER_INDICATOR and args.permutations is None
                   and args.seed == 42 and args.alpha == 0.05 and args.confidence == 95)
    if default_run:
        # The national result precomputed at build time (no numba compile, no permutations
        # on the request path); a council gets the national clusters that reach it.
        manifest = boundaries.read_manifest(boundaries.store_dir())
        params = manifest.get("hotspot_params", {})
        clusters = stored_clusters(within=args.within)
        info = {"indicator": DEFAULT_CLUSTER_INDICATOR, "dataset": "compound", "level": "lsoa21",
                "method": "gi_star", "correction": "fdr_bh", **params,
                "notes": ["national Gi* precomputed in the store"]}
    else:
        clusters, info = cluster_table(
            args.indicator, within=args.within, permutations=args.permutations or 999,
            seed=args.seed, alpha=args.alpha, confidence=args.confidence,
        )
    if path.suffix.lower() == ".csv":
        from geo.export.csv import to_csv_safe

        to_csv_safe(clusters, path, metadata=_metadata(info, datasets=[str(info["dataset"]),
                                                                         "population"]))
    else:
        import geopandas as gpd

        lsoa = boundaries.load("lsoa21")[["geometry"]]
        member = clusters["lsoa_codes"].str.split(";").explode()
        shapes = lsoa.loc[member.to_numpy()].assign(cluster_id=member.index.to_numpy())
        merged = shapes.dissolve(by="cluster_id")[["geometry"]]
        gdf = gpd.GeoDataFrame(clusters.join(merged), geometry="geometry", crs=lsoa.crs)
        _write_geojson(gdf, path, _metadata(info, datasets=[str(info["dataset"]), "population"]))
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
    h.add_argument("--method", choices=["gi_star", "local_moran"], default="gi_star")
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
