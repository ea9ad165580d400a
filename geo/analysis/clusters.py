"""Named clusters of a small-area indicator's significant areas, in each nation: the store's or new.

The store keeps, for each national index with small areas (the registry's ``cluster_table``),
the national clusters of compounded disadvantage: worse clusters of Gi* of the number of the
index's domains in the nation's own worst decile, on the nation's own graph, built with the
manifest's ``hotspot_params`` (``clusters`` for England's IoD 2025, ``clusters_wimd2019``,
``clusters_simd2020``). :func:`named_clusters` reads them when the question is that one;
otherwise it takes the national run of the indicator asked for
(:func:`geo.analysis.hotspots.national_run`: the store's when its parameters match) and joins its
significant areas over real contiguity, the links that join islands left out. ``within`` keeps
the national clusters that reach one place of a nation the indicator covers.

Scotland's data zones have no population in the mirror: there a cluster's ``population`` is its
count of data zones, and the info says so (``population_known`` False).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd

import boundaries
from geo._errors import InputError
from geo.analysis.areas import area_members, place_name
from geo.analysis.coverage import (
    coverage_info,
    index_of_indicator,
    nation_words,
    no_small_areas,
    place_nation,
)
from geo.analysis.hotspots import check_within, national_run, run_inputs, stored_params
from geo.data.indicators import catalogue, indicator_meta, load_indicators
from geo.data.nations import hotspot_inputs, index_of_nation, index_spec, national_indices
from geo.stats.clusters import cluster_members, clusters_reaching, hotspot_clusters
from geo.stats.islands import drop_links, island_links

__all__ = ["CLUSTER_COLUMN", "DEFAULT_CLUSTER_INDICATOR", "DEFAULT_INDEX", "cluster_geometries",
           "cluster_indicator", "cluster_table", "lsoa_info", "named_clusters", "stored_clusters",
           "touching_graph"]

#: The index of the default question (England's headline).
DEFAULT_INDEX = "iod2025"

#: The column of the stored clusters' runs: domains in the nation's own worst decile.
CLUSTER_COLUMN = "n_domains_worst_decile"

#: Confidence (and outcome) of the stored clusters.
STORED_CONFIDENCE, STORED_OUTCOME = 95, "worse cluster"


def cluster_indicator(index: str = DEFAULT_INDEX) -> str:
    """The catalogue id of an index's compounded disadvantage, whose worse clusters the store
    keeps (``"compound_wimd2019.n_domains_worst_decile"`` for ``"wimd2019"``).

    Raises
    ------
    InputError
        Unknown index, or one without small areas (Northern Ireland), with the reason.
    """
    spec = index_spec(index)
    if "cluster_table" not in spec:
        reason = no_small_areas(spec["nation"]) or f"{spec['id']} has no stored clusters"
        msg = f"`--index` {spec['id']!r}: {reason}."
        raise InputError(msg)
    return f"{spec['compound']}.{CLUSTER_COLUMN}"


#: The headline: hotspots of compounded disadvantage (domains in England's worst decile).
DEFAULT_CLUSTER_INDICATOR = "compound.n_domains_worst_decile"


def _place_members(within: str, *, index: str) -> tuple[pd.Index, str]:
    """The small areas of a place in the index's nation (refused, with the reason, elsewhere),
    and the place in words."""
    spec = index_spec(index)
    place = check_within(within, indicator_meta(cluster_indicator(index)), [spec["nation"]])
    if place is None:
        return pd.Index([]), ""
    return area_members(place[0], level=spec["map_level"])[0], f"{place[1]} ({place[0]})"


def stored_clusters(*, within: str | None = None, index: str = DEFAULT_INDEX) -> pd.DataFrame:
    """The national clusters of compounded disadvantage of one index kept in the store.

    With ``within`` (a council, region or combined authority code of the index's nation), those
    that reach it. ``attrs`` say how they were made and ``population_known`` (False for
    Scotland, where ``population`` counts data zones).
    """
    spec = index_spec(index)
    cluster_indicator(index)  # refuses an index without small areas
    clusters = load_indicators(spec["cluster_table"])
    # England's table predates the flag: LSOAs have Census 2021 populations
    clusters.attrs.setdefault("population_known", True)
    if within:
        members, where = _place_members(within, index=index)
        clusters = clusters_reaching(clusters, members)
        clusters.attrs["within"] = where
    return clusters


def lsoa_info(codes: pd.Index, *, level: str = "lsoa21") -> pd.DataFrame:
    """What a cluster says about its small areas, each on its own nation's index.

    Indexed like ``codes``: ``population_total`` (Census 2021; 1 per data zone in Scotland),
    ``ward24_name`` (data zones: their name without the number), ``lad24_name``, ``lad24_code``,
    ``domains_worst_decile``, ``compounded`` and ``n_domains_worst_decile``, as the store build
    names its clusters (:func:`geo.data.nations.hotspot_inputs`); ``attrs["population_known"]``
    is False when any area's population is a count.
    """
    parts, known = [], True
    levels = {level: boundaries.load(level)}
    for ident, spec in national_indices().items():
        if spec.get("map_level") != level or "graph" not in spec:
            continue
        names = [spec["compound"], spec["dataset"], *(["population"] if level == "lsoa21" else [])]
        inp = hotspot_inputs({name: load_indicators(name) for name in names}, levels, ident)
        compound = load_indicators(spec["compound"]).reindex(inp["info"].index)
        parts.append(inp["info"].assign(
            compounded=compound["compounded"].astype("boolean").fillna(False).astype(bool),
            n_domains_worst_decile=compound["n_domains_worst_decile"]))
        known = known and bool(inp["population_known"])
    info = pd.concat(parts) if parts else pd.DataFrame(index=pd.Index([], dtype=object))
    out = info[~info.index.duplicated()].reindex(pd.Index(codes))
    out.attrs["population_known"] = known
    return out


def touching_graph(graph: Any, *, level: str = "lsoa21") -> tuple[Any, pd.DataFrame]:
    """``graph`` without the links that join islands (real contiguity), and those links."""
    areas = boundaries.load(level)
    ids = graph.unique_ids
    islands = areas.index[areas["island"].fillna(False).astype(bool).to_numpy()]
    links = island_links(graph, areas.loc[ids], candidates=islands.intersection(ids))
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
    """Named clusters of a small-area indicator's national run (see
    :func:`geo.stats.clusters.hotspot_clusters`), and the run's info.

    Members are areas of ``outcome`` at ``confidence`` or more after the national FDR, on the
    graph of the nation (or nations) the indicator covers; with ``within``, the clusters that
    reach that place (of a nation the indicator covers).
    """
    _, meta, letters = run_inputs(indicator)
    place = check_within(within, meta, letters)
    if str(meta["level"]) not in ("lsoa21", "dz11"):
        msg = (f"`clusters` needs a small-area indicator (LSOAs 2021 or data zones 2011); "
               f"{indicator!r} is at level {meta['level']!r}.")
        raise InputError(msg)
    # judged at alpha 0.10 so that every level is labelled; members are chosen by confidence
    result, context = national_run(indicator, method="gi_star", permutations=permutations,
                                   seed=seed, alpha=0.1)
    level = str(meta["level"])
    graph, links = touching_graph(context["graph"], level=level)
    info_table = lsoa_info(result.index, level=level)
    clusters = hotspot_clusters(result, graph, lsoa_info=info_table, outcome=outcome,
                                confidence=confidence)
    if place is not None:
        clusters = clusters_reaching(clusters, area_members(place[0], level=level)[0])
    known = bool(info_table.attrs["population_known"])
    attrs = result.attrs
    info = {"indicator": meta["id"], "dataset": meta.get("dataset"), "level": level,
            "graph": context["graph_name"], "within": place and f"{place[1]} ({place[0]})",
            "source": context["source"], "outcome": outcome, "confidence": confidence,
            "island_links_ignored": len(links) // 2, **_population(known, level),
            **{k: attrs.get(k) for k in ("method", "polarity", "weights", "permutations",
                                         "seed", "correction", "p_value", "global")},
            "notes": context["notes"], **context["coverage"]}
    clusters.attrs |= {"population_known": known}
    return clusters, info


def _population(known: bool, level: str) -> dict[str, Any]:
    """What a cluster's ``population`` and members are."""
    label = boundaries.LEVELS.get(level, {}).get("label", level)
    return {"population_known": known, "population": (
        "residents (Census 2021)" if known else "a count of data zones: the mirror has no "
        "data-zone population, so each data zone counts 1"),
        "members": f"{label} (counted by n_lsoas, listed in lsoa_codes)"}


def _resolve(indicator: str | None, index: str | None, within: str | None
             ) -> tuple[str, str | None]:
    """The indicator and index asked for: the index's compounded disadvantage by default, the
    indicator's own index when only it is given, else the index of the nation of ``within``,
    else :data:`DEFAULT_INDEX`; a mismatch is refused."""
    if index is None and indicator is None and within:
        key, name = place_name(within)
        reason = no_small_areas(place_nation(key))
        if reason:
            msg = f"{name} ({key}) is in {nation_words([place_nation(key)])}, and {reason}."
            raise InputError(msg)
        index = index_of_nation(place_nation(key))
    if index is None:
        indicator = indicator or cluster_indicator(DEFAULT_INDEX)
        return indicator, index_of_indicator(indicator)
    default = cluster_indicator(index)
    spec = index_spec(index)
    if indicator is None:
        return default, spec["id"]
    own = index_of_indicator(indicator)
    nations = str(catalogue().loc[indicator, "nations"]).split(";") if (
        indicator in catalogue().index) else []
    if own not in (None, spec["id"]) or (own is None and spec["nation"] not in nations):
        what = index_spec(own)["title"] if own else "an indicator"
        msg = (f"`--indicator` {indicator!r} ({what} of {nation_words(nations)}) does not go "
               f"with `--index` {spec['id']!r} ({spec['title']}, of "
               f"{nation_words([spec['nation']])}); drop one of them or choose an indicator of "
               f"{spec['id']}, e.g. {default}.")
        raise InputError(msg)
    return indicator, spec["id"]


def named_clusters(
    indicator: str | None = None,
    *,
    index: str | None = None,
    within: str | None = None,
    outcome: str = STORED_OUTCOME,
    permutations: int | None = None,
    seed: int | None = None,
    confidence: int = STORED_CONFIDENCE,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The clusters asked for: the store's when they answer the question, else made now.

    Parameters
    ----------
    indicator
        A small-area catalogue id; default the compounded disadvantage of ``index``
        (:func:`cluster_indicator`).
    index
        ``"iod2025"``, ``"wimd2019"`` or ``"simd2020"``; default the indicator's own, else
        (with neither) that of the nation of ``within``, else :data:`DEFAULT_INDEX`. Northern
        Ireland's ``"nimdm2017"`` is refused (no small areas).
    within, outcome, permutations, seed, confidence
        As in :func:`cluster_table`; None permutations and seed mean the store's.

    Returns
    -------
    clusters : pandas.DataFrame
        Indexed by ``cluster_id`` (see :func:`geo.stats.clusters.hotspot_clusters`).
    info : dict
        How they were made, ``population_known`` and what ``population`` is, and the index,
        vintage, small areas, nations and comparability.
    """
    indicator, ident = _resolve(indicator, index, within)
    params = stored_params()
    same = (ident is not None and indicator == cluster_indicator(ident)
            and outcome == STORED_OUTCOME and confidence == STORED_CONFIDENCE and bool(params)
            and permutations in (None, params.get("permutations"))
            and seed in (None, params.get("seed")))
    if not same or ident is None:
        return cluster_table(indicator, within=within, outcome=outcome,
                             permutations=permutations, seed=seed, confidence=confidence)
    spec = index_spec(ident)
    clusters = stored_clusters(within=within, index=ident)
    meta = indicator_meta(indicator)
    info = {"indicator": indicator, "dataset": meta.get("dataset"), "level": spec["map_level"],
            "graph": spec["graph"], "within": clusters.attrs.get("within"),
            "source": f"the store's national clusters (read, not recomputed, from "
                      f"{spec['cluster_table']})",
            "outcome": outcome, "confidence": confidence, "method": "gi_star",
            **{k: v for k, v in clusters.attrs.items()
               if k not in ("outcome", "confidence", "indicator", "population_known", "within")},
            **params, **_population(bool(clusters.attrs["population_known"]), spec["map_level"]), "notes": [],
            **coverage_info(meta, [spec["nation"]])}
    return clusters, info


def cluster_geometries(clusters: pd.DataFrame, *, level: str = "lsoa21") -> gpd.GeoDataFrame:
    """The clusters with the dissolved outline of their member areas (EPSG:27700)."""
    areas = boundaries.load(level)[["geometry"]]
    owner = cluster_members(clusters)
    shapes = areas.loc[owner.index].assign(cluster_id=owner.to_numpy())
    merged = shapes.dissolve(by="cluster_id")[["geometry"]]
    return gpd.GeoDataFrame(clusters.join(merged), geometry="geometry", crs=areas.crs)
