"""Analyses that read the store and call geo.stats: what a command and a page share.

``hotspots``: a hotspot run of one catalogue indicator on its own nation's graph, the store's
national run or one computed now, nationally or within one place (:func:`hotspot_table`,
:func:`national_run`, :func:`stored_run`); ``clusters``: named clusters of each national index,
the store's or new ones (:func:`named_clusters`); ``coverage``: which nations an indicator
covers, which graph and index serve it, and the sentences that refuse what is not covered
(:func:`check_place`, :func:`no_small_areas`, :func:`coverage_info`); ``areas``: the small areas
of a council, region or combined authority (:func:`area_members`, :func:`area_lsoas`);
``places``: a place's hotspots and clusters in any nation of the UK, or why there are none
(:func:`place_hotspots`); ``upload``: the analysis of a user's uploaded indicator
(:func:`analyse_upload`): hotspots, named clusters, summaries by council and ward, the link to
deprivation, council ranks.
"""

from typing import TYPE_CHECKING

from geo._lazy import lazy_exports

if TYPE_CHECKING:  # re-exports, imported on first use (geo._lazy)
    from geo.analysis.areas import area_lsoas, area_members, place_name
    from geo.analysis.clusters import (
        DEFAULT_CLUSTER_INDICATOR,
        DEFAULT_INDEX,
        cluster_geometries,
        cluster_indicator,
        cluster_table,
        lsoa_info,
        named_clusters,
        stored_clusters,
        touching_graph,
    )
    from geo.analysis.coverage import (
        check_place,
        comparability_note,
        coverage_info,
        graph_for,
        index_of_indicator,
        nation_words,
        nations_of,
        no_small_areas,
        place_nation,
        stored_indicators,
    )
    from geo.analysis.hotspots import (
        HOTSPOT_COLUMNS,
        REFERENCES,
        hotspot_table,
        indicator_values,
        national_run,
        stored_params,
        stored_run,
        with_geometry,
    )
    from geo.analysis.places import place_coverage, place_hotspots
    from geo.analysis.upload import (
        COUNCIL_LEVELS,
        MIN_AREAS,
        POLARITIES,
        SMALL_AREA_LEVELS,
        UploadAnalysis,
        analyse_upload,
    )

__all__ = [
    "COUNCIL_LEVELS",
    "MIN_AREAS",
    "POLARITIES",
    "SMALL_AREA_LEVELS",
    "UploadAnalysis",
    "analyse_upload",
    "DEFAULT_CLUSTER_INDICATOR",
    "DEFAULT_INDEX",
    "HOTSPOT_COLUMNS",
    "REFERENCES",
    "area_lsoas",
    "area_members",
    "check_place",
    "cluster_geometries",
    "cluster_indicator",
    "cluster_table",
    "comparability_note",
    "coverage_info",
    "graph_for",
    "hotspot_table",
    "index_of_indicator",
    "indicator_values",
    "lsoa_info",
    "named_clusters",
    "nation_words",
    "nations_of",
    "national_run",
    "no_small_areas",
    "place_coverage",
    "place_hotspots",
    "place_name",
    "place_nation",
    "stored_clusters",
    "stored_indicators",
    "stored_params",
    "stored_run",
    "touching_graph",
    "with_geometry",
]

__getattr__, __dir__ = lazy_exports(__name__, __file__)
