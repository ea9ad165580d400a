"""Derived tables computed once at build time and kept in the store.

- ``compound`` (English LSOA21): domains in the worst decile / quintile, compounded flags,
  persistence between IoD 2019 and IoD 2025, and the lookup rule used for 2019.
- ``summary_<level>`` for ``lad24``, ``utla24``, ``region``: the five IoD 2025 measures per
  domain with ranks, plus shares of LSOAs and population with compounded and persistent
  disadvantage.
- ``hotspots_lsoa21``: national Gi* (binary weights including self) and local Moran's I on
  the stored England contiguity graph, with permutation inference and Benjamini-Hochberg FDR,
  for the count of domains in the worst decile (the headline) and the IMD score.
- ``clusters``: contiguous clusters of significant hot spots of compounded disadvantage,
  named after their main wards and council.

Derived indicators are described in ``[[derived]]`` entries of ``data/sources.toml`` so that
the catalogue lists them like any source indicator.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import pandas as pd

from geo.stats.compound import area_shares, count_deprived_domains, persistent_disadvantage
from geo.stats.summaries import N_RANKED, summarise_areas

__all__ = ['build_derived_tables', 'SUMMARY_LEVELS']


def _context(pop: pd.DataFrame, parent: pd.Series, areas: gpd.GeoDataFrame) -> pd.DataFrame:
    """Population, density and age shares per area (Census 2021), for statistical neighbours."""
    sums = pop[["population_total", "age_0_15", "age_65_plus"]].groupby(parent).sum()
    out = pd.DataFrame(index=sums.index)
    out["population_2021"] = sums["population_total"]
    km2 = areas.geometry.area.reindex(sums.index) / 1e6
    out["population_density"] = sums["population_total"] / km2
    out["share_age_0_15"] = sums["age_0_15"] / sums["population_total"]
    out["share_age_65_plus"] = sums["age_65_plus"] / sums["population_total"]
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
    out: dict[str, pd.DataFrame] = {}
    iod = tables["iod2025"]
    eng = geo_levels["lsoa21"].loc[iod.index]
    pop = tables["population"].loc[iod.index]
    compound = _compound_england(iod, tables["iod2019"], report)
    out["compound"] = compound
    flags = compound[["compounded", "compounded_quintile", "persistent"]]
    for level in SUMMARY_LEVELS:
        t = time.perf_counter()
        parent = eng[f"{level}_code"].rename(f"{level}_code")
        out[f"summary_{level}"] = _summary_table(iod, flags, parent, pop, geo_levels[level])
        report[f"summary_{level}"] = {"areas": int(len(out[f"summary_{level}"])),
                                      "seconds": round(time.perf_counter() - t, 2)}
    out["summary_england"] = _england_row(iod, flags, pop, eng)
    if hotspots:
        out.update(_national_hotspot_tables(compound, iod, eng, pop, graphs, report=report,
                                            progress=progress, hotspot_params=hotspot_params))
    return out


def _compound_england(iod: pd.DataFrame, iod2019: pd.DataFrame, report: dict[str, Any]
                      ) -> pd.DataFrame:
    """Compounded (IoD 2025) and persistent (2019 and 2025) disadvantage per English LSOA."""
    comp = count_deprived_domains(iod)
    pers = persistent_disadvantage(iod, iod2019)
    compound = comp.join(pers[["imd_decile_2019", "persistent", "status", "lookup_rule"]],
                         validate="one_to_one")
    # An LSOA without a 2019 value cannot be called persistent; it is counted, not hidden.
    unknown = compound.index[compound["persistent"].isna().to_numpy()]
    compound["persistent"] = compound["persistent"].fillna(False).astype(bool)
    compound.index.name = "lsoa21_code"
    report["compound"] = {
        "lsoas": int(len(compound)),
        "compounded": int(compound["compounded"].sum()),
        "compounded_quintile": int(compound["compounded_quintile"].sum()),
        "persistent": int(compound["persistent"].sum()),
        "persistence_unknown_no_2019_value": [str(c) for c in unknown],
    }
    return compound


def _summary_table(iod: pd.DataFrame, flags: pd.DataFrame, parent: pd.Series,
                   pop: pd.DataFrame, areas: gpd.GeoDataFrame) -> pd.DataFrame:
    """IoD 2025 measures, flag shares and context (for statistical neighbours) of one level."""
    summary = summarise_areas(iod, parent=parent, population=pop, n_ranked=N_RANKED["iod2025"])
    shares = area_shares(flags, parent=parent, population=pop["population_total"])
    table = summary.join(shares, validate="one_to_one")
    table = table.join(_context(pop, parent, areas), validate="one_to_one")
    table.insert(0, "name", areas["name"].reindex(table.index))
    table.index.name = parent.name
    return table


def _england_row(iod: pd.DataFrame, flags: pd.DataFrame, pop: pd.DataFrame,
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
    england.insert(0, "name", "England")
    england.index.name = "country_code"
    return england[[c for c in england.columns if not c.endswith("_rank")
                     or c.endswith("average_rank")]]


def _national_hotspot_tables(compound: pd.DataFrame, iod: pd.DataFrame, eng: gpd.GeoDataFrame,
                             pop: pd.DataFrame, graphs: dict[str, Any], *,
                             report: dict[str, Any], progress: Callable[[str], None],
                             hotspot_params: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """National hotspots and named clusters of England (the build's hotspot stage)."""
    out: dict[str, pd.DataFrame] = {}
    from geo.stats import hotspot_clusters, national_hotspots
    from geo.stats.local import warm_up

    t = time.perf_counter()
    progress("compiling esda's permutation kernels once (numba) ...")
    warm_up()
    report["numba_warm_up_seconds"] = round(time.perf_counter() - t, 1)
    graph = graphs["lsoa21_en"]
    frame = pd.DataFrame({
        "n_domains_worst_decile": compound["n_domains_worst_decile"].astype(float),
        "imd_score": iod["imd_score"],
    })
    t = time.perf_counter()
    progress(f"national hotspots: Gi* and local Moran, {hotspot_params['permutations']} "
             f"permutations, seed {hotspot_params['seed']} ...")
    from geo.stats.weights import knn_graph

    knn = knn_graph(eng, k=8)
    parts = []
    for method in ("gi_star", "local_moran"):
        part = national_hotspots(frame, graph, columns=list(frame.columns), method=method,
                                 permutations=hotspot_params["permutations"],
                                 seed=hotspot_params["seed"], alpha=hotspot_params["alpha"],
                                 knn=knn if method == "gi_star" else None)
        part = part.reset_index()
        part.insert(0, "method", method)
        parts.append(part)
    hs_long = pd.concat(parts, ignore_index=True)
    # Stored with plain columns (method, indicator, lsoa21_code): Parquet keeps it simple.
    out["hotspots_lsoa21"] = hs_long.set_index("lsoa21_code")
    hs = parts[0].set_index(["indicator", "lsoa21_code"])
    report["hotspots"] = {"rows": int(len(hs_long)), "seconds": round(time.perf_counter() - t, 1),
                          **hotspot_params}
    info = pd.DataFrame({
        "population_total": pop["population_total"],
        "ward24_name": eng["ward24_name"],
        "lad24_name": eng["lad24_name"],
        "lad24_code": eng["lad24_code"],
        "domains_worst_decile": compound["domains_worst_decile"],
    })
    clusters = hotspot_clusters(hs, graph, lsoa_info=info)
    out["clusters"] = clusters
    report["clusters"] = {"clusters": int(len(clusters))}
    return out
