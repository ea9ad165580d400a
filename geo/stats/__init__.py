"""Pure statistics: functions of frames, series and graphs that never read the store or a file.

One statistic per module, as esda does: IoD-style ``summaries`` (and ``best_fit`` for a user's
polygons), ``compound`` and ``carry`` (compounded and persistent disadvantage), ``weights``
(contiguity with islands joined, k-nearest neighbours), ``permutation`` (conditional
randomisation), ``gi_star`` and ``moran`` (local statistics, registered in ``local``), ``fdr``,
``outcome`` (labels, outcomes and bins of every method), ``robust``, ``reference`` (a run judged
again for one place), ``global_stats`` (global Moran's I and General G), ``national`` (many runs
in one table), ``runs`` (run ids, wide tables), ``islands`` (links that join islands),
``clusters``, ``neighbours`` and ``intervals`` (comparing places).
"""

from typing import TYPE_CHECKING

from geo._lazy import lazy_exports

if TYPE_CHECKING:  # re-exports, imported on first use (geo._lazy)
    from geo.stats._validate import POLARITIES
    from geo.stats.best_fit import assign_best_fit, summarise_best_fit
    from geo.stats.carry import APPROXIMATE_RULES, LOOKUP_RULES, carry_iod2019_to_lsoa21
    from geo.stats.clusters import (
        CLUSTER_COLUMNS,
        cluster_members,
        clusters_reaching,
        hotspot_clusters,
    )
    from geo.stats.compound import (
        COMPOUND_DOMAINS,
        area_shares,
        count_deprived_domains,
        persistent_disadvantage,
    )
    from geo.stats.fdr import fdr_bh
    from geo.stats.gi_star import gi_star_analytic, local_gi_star
    from geo.stats.global_stats import global_autocorrelation
    from geo.stats.intervals import (
        VERDICTS,
        compare_area,
        compare_to,
        percent_interval,
        wilson_interval,
    )
    from geo.stats.islands import drop_links, island_links
    from geo.stats.local import LOCAL_METHODS, LocalMethod, local_method
    from geo.stats.moran import MORAN_QUADRANTS, local_moran
    from geo.stats.national import national_hotspots
    from geo.stats.neighbours import DEFAULT_NEIGHBOUR_VARIABLES, statistical_neighbours
    from geo.stats.outcome import OUTCOMES
    from geo.stats.permutation import PermutationFloorWarning, fdr_floor, neighbour_sum_counts
    from geo.stats.reference import rejudge
    from geo.stats.robust import robustness
    from geo.stats.runs import (
        hotspot_column,
        hotspot_run_id,
        hotspots_wide,
        parse_hotspot_run_id,
        select_run,
    )
    from geo.stats.summaries import (
        DEFAULT_POPULATION_COLUMN,
        DOMAIN_POPULATION,
        IOD_DOMAINS,
        MEASURES,
        N_RANKED,
        extent_weights,
        select_population_weights,
        summarise_areas,
    )
    from geo.stats.weights import (
        build_contiguity,
        ensure_canonical,
        graph_matrix,
        knn_graph,
        subgraph_with_ring,
    )

__all__ = [
    "APPROXIMATE_RULES",
    "CLUSTER_COLUMNS",
    "COMPOUND_DOMAINS",
    "DEFAULT_NEIGHBOUR_VARIABLES",
    "DEFAULT_POPULATION_COLUMN",
    "DOMAIN_POPULATION",
    "IOD_DOMAINS",
    "LOCAL_METHODS",
    "LOOKUP_RULES",
    "MEASURES",
    "MORAN_QUADRANTS",
    "N_RANKED",
    "OUTCOMES",
    "POLARITIES",
    "VERDICTS",
    "LocalMethod",
    "PermutationFloorWarning",
    "area_shares",
    "assign_best_fit",
    "build_contiguity",
    "carry_iod2019_to_lsoa21",
    "cluster_members",
    "clusters_reaching",
    "compare_area",
    "compare_to",
    "count_deprived_domains",
    "drop_links",
    "ensure_canonical",
    "extent_weights",
    "fdr_bh",
    "fdr_floor",
    "gi_star_analytic",
    "global_autocorrelation",
    "graph_matrix",
    "hotspot_clusters",
    "hotspot_column",
    "hotspot_run_id",
    "hotspots_wide",
    "island_links",
    "knn_graph",
    "local_gi_star",
    "local_method",
    "local_moran",
    "national_hotspots",
    "neighbour_sum_counts",
    "parse_hotspot_run_id",
    "percent_interval",
    "persistent_disadvantage",
    "rejudge",
    "robustness",
    "select_population_weights",
    "select_run",
    "statistical_neighbours",
    "subgraph_with_ring",
    "summarise_areas",
    "summarise_best_fit",
    "wilson_interval",
]

__getattr__, __dir__ = lazy_exports(__name__, __file__)
