"""Named clusters of hot spots of an LSOA indicator: the store's national ones, or a fresh run.

The store keeps the national clusters of compounded disadvantage (Gi* of the number of IoD
domains in England's worst decile, built with the parameters in the manifest's
``hotspot_params``). :func:`named_clusters` reads them when the question is that one, and
otherwise runs :func:`geo.analysis.hotspots.hotspot_table` and
:func:`geo.stats.clusters.hotspot_clusters` on the indicator asked for.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd

import boundaries
from geo._errors import InputError, StoreError
from geo.analysis.hotspots import _graph_for, hotspot_table
from geo.data.indicators import load_indicators
from geo.stats.clusters import cluster_members, clusters_reaching, hotspot_clusters

__all__ = ["DEFAULT_CLUSTER_INDICATOR", "cluster_geometries", "cluster_table", "named_clusters",
           "stored_clusters"]

#: The headline: hotspots of compounded disadvantage (domains in England's worst decile).
DEFAULT_CLUSTER_INDICATOR = "compound.n_domains_worst_decile"

#: IoD 2025 domains whose worst-decile flags describe a cluster.
CLUSTER_DOMAINS = ("income", "employment", "education", "health", "crime", "housing",
                   "environment")


def _council_lsoas(code: str) -> pd.Index:
    key = str(code).strip().upper()
    lsoa = boundaries.load("lsoa21")
    members = lsoa.index[(lsoa["lad24_code"] == key).to_numpy()]
    if len(members) == 0:
        msg = f"`--within` {code!r} is not a LAD 2024 code with LSOAs (e.g. E08000032)"
        raise InputError(msg)
    return members


def stored_clusters(*, within: str | None = None) -> pd.DataFrame:
    """The national clusters of compounded disadvantage precomputed in the store.

    With ``within`` (a LAD 2024 code), the national clusters that reach that council.
    """
    clusters = load_indicators("clusters")
    if within:
        clusters = clusters_reaching(clusters, _council_lsoas(within))
    return clusters


def _lsoa_info(codes: pd.Index) -> pd.DataFrame:
    """Population, ward, council and worst-decile domain flags of the LSOAs."""
    lsoa = boundaries.load("lsoa21")
    pop = load_indicators("population")
    info = pd.DataFrame({"population_total": pop["population_total"].reindex(codes),
                         "ward24_name": lsoa["ward24_name"].reindex(codes),
                         "lad24_name": lsoa["lad24_name"].reindex(codes)})
    iod = load_indicators("iod2025")
    for domain in CLUSTER_DOMAINS:
        if f"{domain}_decile" in iod.columns:
            info[domain] = (iod[f"{domain}_decile"].reindex(codes) == 1).astype(bool)
    return info


def cluster_table(
    indicator: str = DEFAULT_CLUSTER_INDICATOR,
    *,
    within: str | None = None,
    permutations: int = 999,
    seed: int = 42,
    alpha: float = 0.05,
    confidence: int = 95,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Named clusters of touching Gi* hot spots of an LSOA indicator, computed now.

    Returns the clusters (see :func:`geo.stats.clusters.hotspot_clusters`) and the run's info
    (see :func:`geo.analysis.hotspots.hotspot_table`).
    """
    table, info = hotspot_table(indicator, within=within, method="gi_star",
                                permutations=permutations, seed=seed, alpha=alpha, robust=False)
    if info["level"] != "lsoa21":
        msg = f"`clusters` needs an LSOA indicator; {indicator!r} is at level {info['level']!r}."
        raise InputError(msg)
    result = table.set_index("code").rename_axis("lsoa21_code")
    result.attrs = table.attrs
    graph, _ = _graph_for("lsoa21", result["value"].dropna())
    graph = graph.subgraph(result.index) if graph.n != len(result) else graph
    clusters = hotspot_clusters(result, graph, lsoa_info=_lsoa_info(result.index),
                                confidence=confidence)
    return clusters, info


def named_clusters(
    indicator: str = DEFAULT_CLUSTER_INDICATOR,
    *,
    within: str | None = None,
    permutations: int | None = None,
    seed: int = 42,
    alpha: float = 0.05,
    confidence: int = 95,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The clusters asked for: the store's when they answer the question, else a fresh run.

    The store's clusters answer when ``indicator`` is the default, ``permutations`` is None
    (the stored run's) and seed, alpha and confidence are the stored ones.
    """
    try:
        params = boundaries.read_manifest(boundaries.store_dir()).get("hotspot_params", {})
    except StoreError:
        params = {}
    stored = (indicator == DEFAULT_CLUSTER_INDICATOR and permutations is None and params
              and seed == params.get("seed") and alpha == params.get("alpha")
              and confidence == 95)
    if stored:
        info = {"indicator": DEFAULT_CLUSTER_INDICATOR, "dataset": "compound", "level": "lsoa21",
                "method": "gi_star", **params,
                "notes": ["national Gi* precomputed in the store"]}
        return stored_clusters(within=within), info
    return cluster_table(indicator, within=within, permutations=permutations or 999, seed=seed,
                         alpha=alpha, confidence=confidence)


def cluster_geometries(clusters: pd.DataFrame) -> gpd.GeoDataFrame:
    """The clusters with the dissolved outline of their member LSOAs (EPSG:27700)."""
    lsoa = boundaries.load("lsoa21")[["geometry"]]
    owner = cluster_members(clusters)
    shapes = lsoa.loc[owner.index].assign(cluster_id=owner.to_numpy())
    merged = shapes.dissolve(by="cluster_id")[["geometry"]]
    return gpd.GeoDataFrame(clusters.join(merged), geometry="geometry", crs=lsoa.crs)
