"""Named clusters of an LSOA indicator's significant areas: the store's national ones, or new ones.

The store keeps the national clusters of compounded disadvantage (worse clusters of Gi* of the
number of IoD domains in England's worst decile, built with the manifest's ``hotspot_params``).
:func:`named_clusters` reads them when the question is that one; otherwise it takes the national
run of the indicator asked for (:func:`geo.analysis.hotspots.national_run`: the store's when its
parameters match) and joins its significant areas over real contiguity, the links that join
islands left out. ``within`` keeps the national clusters that reach one place.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd

import boundaries
from geo._errors import InputError
from geo.analysis.areas import area_lsoas
from geo.analysis.hotspots import national_run, stored_params
from geo.data.indicators import load_indicators
from geo.stats.clusters import cluster_members, clusters_reaching, hotspot_clusters
from geo.stats.islands import drop_links, island_links

__all__ = ["DEFAULT_CLUSTER_INDICATOR", "cluster_geometries", "cluster_table", "lsoa_info",
           "named_clusters", "stored_clusters", "touching_graph"]

#: The headline: hotspots of compounded disadvantage (domains in England's worst decile).
DEFAULT_CLUSTER_INDICATOR = "compound.n_domains_worst_decile"

#: IoD 2025 domains whose worst-decile flags describe a cluster.
CLUSTER_DOMAINS = ("income", "employment", "education", "health", "crime", "housing",
                   "environment")

#: Confidence (and outcome) of the stored clusters.
STORED_CONFIDENCE, STORED_OUTCOME = 95, "worse cluster"


def stored_clusters(*, within: str | None = None) -> pd.DataFrame:
    """The national clusters of compounded disadvantage kept in the store.

    With ``within`` (a council, region or combined authority code), those that reach it.
    """
    clusters = load_indicators("clusters")
    if within:
        clusters = clusters_reaching(clusters, area_lsoas(within)[0])
    return clusters


def lsoa_info(codes: pd.Index) -> pd.DataFrame:
    """What a cluster says about its LSOAs: population, ward, council, compounded disadvantage,
    the domains in the worst decile and their number."""
    lsoa = boundaries.load("lsoa21")
    pop = load_indicators("population")
    compound = load_indicators("compound")
    info = pd.DataFrame({"population_total": pop["population_total"].reindex(codes),
                         "ward24_name": lsoa["ward24_name"].reindex(codes),
                         "lad24_name": lsoa["lad24_name"].reindex(codes),
                         "compounded": compound["compounded"].reindex(codes)
                         .astype("boolean").fillna(False).astype(bool),
                         "n_domains_worst_decile": compound["n_domains_worst_decile"]
                         .reindex(codes)})
    iod = load_indicators("iod2025")
    for domain in CLUSTER_DOMAINS:
        if f"{domain}_decile" in iod.columns:
            info[domain] = (iod[f"{domain}_decile"].reindex(codes) == 1).astype(bool)
    return info


def touching_graph(graph: Any) -> tuple[Any, pd.DataFrame]:
    """``graph`` without the links that join islands (real contiguity), and those links."""
    lsoa = boundaries.load("lsoa21")
    ids = graph.unique_ids
    islands = lsoa.index[lsoa["island"].fillna(False).astype(bool).to_numpy()]
    links = island_links(graph, lsoa.loc[ids], candidates=islands.intersection(ids))
    return drop_links(graph, links), links


def cluster_table(
    indicator: str = DEFAULT_CLUSTER_INDICATOR,
    *,
    within: str | None = None,
    outcome: str = STORED_OUTCOME,
    permutations: int | None = None,
    seed: int | None = None,
    confidence: int = STORED_CONFIDENCE,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Named clusters of an LSOA indicator's national run (see
    :func:`geo.stats.clusters.hotspot_clusters`), and the run's info.

    Members are areas of ``outcome`` at ``confidence`` or more after the national FDR; with
    ``within``, the clusters that reach that place.
    """
    # judged at alpha 0.10 so that every level is labelled; members are chosen by confidence
    result, context = national_run(indicator, method="gi_star", permutations=permutations,
                                   seed=seed, alpha=0.1)
    if context["meta"]["level"] != "lsoa21":
        msg = (f"`clusters` needs an LSOA indicator; {indicator!r} is at level "
               f"{context['meta']['level']!r}.")
        raise InputError(msg)
    graph, links = touching_graph(context["graph"])
    clusters = hotspot_clusters(result, graph, lsoa_info=lsoa_info(result.index),
                                outcome=outcome, confidence=confidence)
    if within:
        clusters = clusters_reaching(clusters, area_lsoas(within)[0])
    attrs = result.attrs
    info = {"indicator": context["meta"]["id"], "dataset": context["meta"].get("dataset"),
            "level": "lsoa21", "graph": context["graph_name"], "within": within,
            "source": context["source"], "outcome": outcome, "confidence": confidence,
            "island_links_ignored": len(links) // 2,
            **{k: attrs.get(k) for k in ("method", "polarity", "weights", "permutations",
                                         "seed", "correction", "p_value", "global")},
            "notes": context["notes"]}
    return clusters, info


def named_clusters(
    indicator: str = DEFAULT_CLUSTER_INDICATOR,
    *,
    within: str | None = None,
    outcome: str = STORED_OUTCOME,
    permutations: int | None = None,
    seed: int | None = None,
    confidence: int = STORED_CONFIDENCE,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The clusters asked for: the store's when they answer the question, else made now.

    The store's clusters answer for the default indicator, outcome and confidence with the
    store's permutations and seed (None means the store's).
    """
    params = stored_params()
    same = (indicator == DEFAULT_CLUSTER_INDICATOR and outcome == STORED_OUTCOME
            and confidence == STORED_CONFIDENCE and bool(params)
            and permutations in (None, params.get("permutations"))
            and seed in (None, params.get("seed")))
    if not same:
        return cluster_table(indicator, within=within, outcome=outcome,
                             permutations=permutations, seed=seed, confidence=confidence)
    clusters = stored_clusters(within=within)
    info = {"indicator": DEFAULT_CLUSTER_INDICATOR, "dataset": "compound", "level": "lsoa21",
            "within": within, "source": "the store's national clusters (read, not recomputed)",
            "outcome": outcome, "confidence": confidence, "method": "gi_star",
            **{k: v for k, v in clusters.attrs.items() if k not in ("outcome", "confidence")},
            **params, "notes": []}
    return clusters, info


def cluster_geometries(clusters: pd.DataFrame) -> gpd.GeoDataFrame:
    """The clusters with the dissolved outline of their member LSOAs (EPSG:27700)."""
    lsoa = boundaries.load("lsoa21")[["geometry"]]
    owner = cluster_members(clusters)
    shapes = lsoa.loc[owner.index].assign(cluster_id=owner.to_numpy())
    merged = shapes.dissolve(by="cluster_id")[["geometry"]]
    return gpd.GeoDataFrame(clusters.join(merged), geometry="geometry", crs=lsoa.crs)
