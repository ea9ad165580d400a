"""Pure statistics: functions of frames, series and graphs that never read the store or a file.

Summaries, compounded and persistent disadvantage, weights, the permutation engine, Gi*, local
Moran, FDR, clusters, statistical neighbours and interval comparisons.
"""

from geo.stats.best_fit import assign_best_fit, summarise_best_fit
from geo.stats.carry import LOOKUP_RULES, carry_iod2019_to_lsoa21
from geo.stats.clusters import hotspot_clusters
from geo.stats.compound import (
    COMPOUND_DOMAINS,
    area_shares,
    count_deprived_domains,
    persistent_disadvantage,
)
from geo.stats.fdr import fdr_bh
from geo.stats.gi_star import gi_star_analytic, local_gi_star
from geo.stats.intervals import (
    POLARITIES,
    VERDICTS,
    compare_area,
    compare_to,
    percent_interval,
    wilson_interval,
)
from geo.stats.local import LOCAL_METHODS, warm_up
from geo.stats.moran import local_moran
from geo.stats.national import national_hotspots
from geo.stats.neighbours import DEFAULT_NEIGHBOUR_VARIABLES, statistical_neighbours
from geo.stats.robust import robustness
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
    'assign_best_fit',
    'summarise_best_fit',
    'LOOKUP_RULES',
    'carry_iod2019_to_lsoa21',
    'hotspot_clusters',
    'COMPOUND_DOMAINS',
    'count_deprived_domains',
    'persistent_disadvantage',
    'area_shares',
    'fdr_bh',
    'local_gi_star',
    'gi_star_analytic',
    'POLARITIES',
    'VERDICTS',
    'compare_area',
    'compare_to',
    'percent_interval',
    'wilson_interval',
    'local_moran',
    'national_hotspots',
    'DEFAULT_NEIGHBOUR_VARIABLES',
    'statistical_neighbours',
    'LOCAL_METHODS',
    'warm_up',
    'robustness',
    'IOD_DOMAINS',
    'MEASURES',
    'N_RANKED',
    'DOMAIN_POPULATION',
    'DEFAULT_POPULATION_COLUMN',
    'select_population_weights',
    'summarise_areas',
    'extent_weights',
    'build_contiguity',
    'knn_graph',
    'subgraph_with_ring',
    'graph_matrix',
    'ensure_canonical',
]
