"""Derived tables computed once at build time and kept in the store.

- ``compound`` (English LSOA21): domains in the worst decile / quintile, compounded flags,
  persistence between IoD 2019 and IoD 2025, and the lookup rule used for 2019.
- ``summary_<level>`` for ``lad24``, ``utla24``, ``region``: the five IoD 2025 measures per
  domain with ranks, plus shares of LSOAs and population with compounded and persistent
  disadvantage.
- ``hotspots_lsoa21``: national Gi* (binary weights including self) and local Moran's I on
  the stored England contiguity graph, with permutation inference and Benjamini-Hochberg FDR,
  outcomes and bins by polarity, robustness to 8 nearest neighbours and global Moran's I and
  General G in its attrs, for the count of domains in the worst decile (the headline) and the
  IMD score (one long table, :func:`geo.stats.national.national_hotspots`).
- ``clusters``: worse clusters of compounded disadvantage joined over real contiguity (the links
  that join islands left out, listed in the build report), named after their main wards.

Derived indicators are described in ``[[derived]]`` entries of ``data/sources.toml`` so that
the catalogue lists them like any source indicator.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.data.indicators import indicator_meta
from geo.data.nations import hotspot_inputs, national_indices
from geo.stats.clusters import hotspot_clusters
from geo.stats.compound import area_shares, count_deprived_domains, persistent_disadvantage
from geo.stats.islands import drop_links, island_links
from geo.stats.national import national_hotspots
from geo.stats.runs import hotspot_run_id, select_run
from geo.stats.summaries import N_RANKED, summarise_areas
from geo.stats.weights import knn_graph

__all__ = ['build_derived_tables', 'SUMMARY_LEVELS']


def _context(pop: pd.DataFrame, parent: pd.Series, areas: gpd.GeoDataFrame) -> pd.DataFrame:
    """Population, density (and their log10) and age shares per area (Census 2021), for
    statistical neighbours."""
    sums = pop[["population_total", "age_0_15", "age_65_plus"]].groupby(parent).sum()
    out = pd.DataFrame(index=sums.index)
    out["population_2021"] = sums["population_total"]
    km2 = areas.geometry.area.reindex(sums.index) / 1e6
    out["population_density"] = sums["population_total"] / km2
    out["share_age_0_15"] = sums["age_0_15"] / sums["population_total"]
    out["share_age_65_plus"] = sums["age_65_plus"] / sums["population_total"]
    # statistical neighbours compare size and density on a log scale (geo.stats.neighbours)
    out["log10_population_density"] = np.log10(out["population_density"])
    out["log10_population"] = np.log10(out["population_2021"])
    return out


#: Parent geographies with precomputed IoD-style summaries.
SUMMARY_LEVELS = ("lad24", "utla24", "region")


def build_derived_tables(tables: dict[str, pd.DataFrame], geo_levels: dict[str, gpd.GeoDataFrame],
                         graphs: dict[str, Any], *, report: dict[str, Any],
                         progress: Callable[[str], None], hotspots: bool,
                         hotspot_params: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """Compute every derived table from the freshly read source tables.

    Parameters
    ----------
    tables
        Source tables by dataset id (``iod2025``, ``iod2019``, ``population``, ...).
    geo_levels
        Boundaries by level, with parent codes.
    graphs
        Contiguity graphs by name (``lsoa21_en`` is used for hotspots).
    report
        Dict to fill with what was computed (rows, parameters, timings).
    progress
        Called with a line per step.
    hotspots
        Whether to compute national hotspots (permutation inference).
    hotspot_params
        ``permutations``, ``seed``, ``alpha``.

    Returns
    -------
    dict
        Table name -> DataFrame indexed by code.
    """
    iod = tables["iod2025"]
    eng = geo_levels["lsoa21"].loc[iod.index]
    pop = tables["population"].loc[iod.index]
    compound = _compound(iod, tables["iod2019"], report)
    out = {"compound": compound}
    flags = compound[["compounded", "compounded_quintile", "persistent"]]
    for level in SUMMARY_LEVELS:
        t = time.perf_counter()
        parent = eng[f"{level}_code"].rename(f"{level}_code")
        summary = summarise_areas(iod, parent=parent, population=pop,
                                  n_ranked=N_RANKED["iod2025"])
        shares = area_shares(flags, parent=parent, population=pop["population_total"])
        table = summary.join(shares, validate="one_to_one")
        table = table.join(_context(pop, parent, geo_levels[level]), validate="one_to_one")
        table.insert(0, "name", geo_levels[level]["name"].reindex(table.index))
        table.index.name = f"{level}_code"
        out[f"summary_{level}"] = table
        report[f"summary_{level}"] = {"areas": int(len(table)),
                                      "seconds": round(time.perf_counter() - t, 2)}
    out["summary_england"] = _england(iod, pop, flags, eng)
    if hotspots:
        out.update(_hotspot_tables(iod, compound, eng, pop, graphs["lsoa21_en"], report=report,
                                   progress=progress, params=hotspot_params))
        out.update(_nation_hotspot_tables(tables, geo_levels, graphs, report=report,
                                          progress=progress, params=hotspot_params))
    return out


def _compound(iod: pd.DataFrame, iod2019: pd.DataFrame, report: dict[str, Any]) -> pd.DataFrame:
    """Compounded and persistent disadvantage per English LSOA (and its report entry)."""
    comp = count_deprived_domains(iod)
    pers = persistent_disadvantage(iod, iod2019)
    compound = comp.join(pers[["imd_decile_2019", "persistent", "status", "lookup_rule",
                               "approximate_2019"]], validate="one_to_one")
    # An LSOA without a 2019 value cannot be called persistent; it is counted, not hidden.
    unknown = compound.index[compound["persistent"].isna().to_numpy()]
    compound["persistent"] = compound["persistent"].fillna(False).astype(bool)
    compound.index.name = "lsoa21_code"
    report["compound"] = {
        "lsoas": int(len(compound)),
        "compounded": int(compound["compounded"].sum()),
        "compounded_quintile": int(compound["compounded_quintile"].sum()),
        "persistent": int(compound["persistent"].sum()),
        "persistent_approximate": int((compound["persistent"]
                                       & compound["approximate_2019"]).sum()),
        "persistence_unknown_no_2019_value": [str(c) for c in unknown],
    }
    return compound


def _england(iod: pd.DataFrame, pop: pd.DataFrame, flags: pd.DataFrame,
             eng: gpd.GeoDataFrame) -> pd.DataFrame:
    """England as one area: the comparator for every council (not a mean of councils)."""
    parent = pd.Series("E92000001", index=eng.index, name="country_code")
    england = summarise_areas(iod, parent=parent, population=pop, n_ranked=N_RANKED["iod2025"])
    england = england.join(area_shares(flags, parent=parent, population=pop["population_total"]))
    pop_sum = pop[["population_total", "age_0_15", "age_65_plus"]].sum()
    england["population_2021"] = pop_sum["population_total"]
    england["share_age_0_15"] = pop_sum["age_0_15"] / pop_sum["population_total"]
    england["share_age_65_plus"] = pop_sum["age_65_plus"] / pop_sum["population_total"]
    england["population_density"] = pop_sum["population_total"] / (eng.geometry.area.sum() / 1e6)
    england["log10_population_density"] = np.log10(england["population_density"])
    england["log10_population"] = np.log10(england["population_2021"])
    england.insert(0, "name", "England")
    england.index.name = "country_code"
    return england[[c for c in england.columns
                    if not c.endswith("_rank") or c.endswith("average_rank")]]


#: The national runs kept in the store: stored indicator name -> catalogue id.
NATIONAL_RUNS = {"n_domains_worst_decile": "compound.n_domains_worst_decile",
                 "imd_score": "iod2025.imd_score"}

#: Local methods of the national runs.
NATIONAL_METHODS = ("gi_star", "local_moran")


def _hotspot_tables(iod: pd.DataFrame, compound: pd.DataFrame, eng: gpd.GeoDataFrame,
                    pop: pd.DataFrame, graph: Any, *, report: dict[str, Any],
                    progress: Callable[[str], None], params: dict[str, Any]
                    ) -> dict[str, pd.DataFrame]:
    """National hotspots of :data:`NATIONAL_RUNS` (``hotspots_lsoa21``) and named clusters."""
    frame = pd.DataFrame({"n_domains_worst_decile": compound["n_domains_worst_decile"].astype(float),
                          "imd_score": iod["imd_score"]})
    polarity = {col: indicator_meta(ident)["polarity"] for col, ident in NATIONAL_RUNS.items()}
    t = time.perf_counter()
    progress(f"national hotspots: Gi* and local Moran, {params['permutations']} "
             f"permutations, seed {params['seed']} ...")
    long = national_hotspots(frame, graph, polarity=polarity, methods=NATIONAL_METHODS,
                             permutations=params["permutations"], seed=params["seed"],
                             alpha=params["alpha"], knn=knn_graph(eng, k=8))
    long.attrs["indicator_ids"] = dict(NATIONAL_RUNS)
    report["hotspots"] = {"rows": int(len(long)), "seconds": round(time.perf_counter() - t, 1),
                          **params}
    info = pd.DataFrame({
        "population_total": pop["population_total"],
        "ward24_name": eng["ward24_name"],
        "lad24_name": eng["lad24_name"],
        "compounded": compound["compounded"],
        "n_domains_worst_decile": compound["n_domains_worst_decile"],
        "domains_worst_decile": compound["domains_worst_decile"],
    })
    # clusters form over real contiguity: the links that join islands are for inference only
    islands = eng.index[eng["island"].fillna(False).astype(bool).to_numpy()]
    links = island_links(graph, eng, candidates=islands)
    run = select_run(long, hotspot_run_id("gi_star", "n_domains_worst_decile"))
    clusters = hotspot_clusters(run, drop_links(graph, links), lsoa_info=info)
    report["clusters"] = {"clusters": int(len(clusters)),
                          "island_links_ignored": sorted({tuple(sorted(p)) for p in
                                                          links.itertuples(index=False)}),
                          "seconds": round(time.perf_counter() - t, 1)}
    return {"hotspots_lsoa21": long, "clusters": clusters}


def _nation_hotspot_tables(tables: dict[str, pd.DataFrame],
                           geo_levels: dict[str, gpd.GeoDataFrame], graphs: dict[str, Any], *,
                           report: dict[str, Any], progress: Callable[[str], None],
                           params: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """National hotspots and named clusters of every other index with small areas.

    Each nation on its own index, its own small areas and its own graph (Wales: LSOA 2021
    carried from WIMD 2019's LSOA 2011, graph ``lsoa21_wa``; Scotland: SIMD 2020 data zones,
    graph ``dz11``), with the same methods, permutations, seed and correction as England's;
    stored as the index's ``hotspot_table`` and ``cluster_table`` (registry).
    """
    out: dict[str, pd.DataFrame] = {}
    for ident, spec in national_indices().items():
        if spec["nation"] == "E" or "graph" not in spec:
            continue
        t = time.perf_counter()
        progress(f"national hotspots of {spec['title']} on its {spec['small_areas']} ...")
        inp = hotspot_inputs({**tables, **out}, geo_levels, ident)
        graph = graphs[inp["graph"]].subgraph(inp["values"].index)
        areas = geo_levels[inp["level"]].loc[inp["values"].index]
        long = national_hotspots(inp["values"], graph, polarity=inp["polarity"],
                                 methods=NATIONAL_METHODS, permutations=params["permutations"],
                                 seed=params["seed"], alpha=params["alpha"],
                                 knn=knn_graph(areas, k=8))
        compound = tables[spec["compound"]]
        long.attrs["indicator_ids"] = {
            c: f"{spec['compound'] if c in compound.columns else spec['dataset']}.{c}"
            for c in inp["values"].columns}
        compound = compound.reindex(inp["values"].index)
        info = inp["info"].assign(compounded=compound["compounded"].fillna(False).astype(bool),
                                  n_domains_worst_decile=compound["n_domains_worst_decile"])
        islands = areas.index[areas["island"].fillna(False).astype(bool).to_numpy()]
        links = island_links(graph, areas, candidates=islands)
        run = select_run(long, hotspot_run_id("gi_star", "n_domains_worst_decile"))
        clusters = hotspot_clusters(run, drop_links(graph, links), lsoa_info=info)
        clusters.attrs["population_known"] = bool(inp["population_known"])
        out[spec["hotspot_table"]] = long
        out[spec["cluster_table"]] = clusters
        report[f"hotspots_{ident}"] = {
            "areas": int(len(inp["values"])), "rows": int(len(long)),
            "clusters": int(len(clusters)), "population_known": bool(inp["population_known"]),
            "island_links_ignored": sorted({tuple(sorted(p)) for p in
                                            links.itertuples(index=False)}),
            "seconds": round(time.perf_counter() - t, 1), **params}
    return out
