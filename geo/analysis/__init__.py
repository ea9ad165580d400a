"""Analyses that read the store and call geo.stats: what a command and a page share.

``hotspots``: a hotspot run of one catalogue indicator, the store's national run or one computed
now, nationally or within one place (:func:`hotspot_table`, :func:`national_run`); ``clusters``:
named clusters, the store's or new ones (:func:`named_clusters`); ``areas``: the LSOAs of a
council, region or combined authority (:func:`area_lsoas`); ``upload``: the analysis of a user's
uploaded indicator (:func:`analyse_upload`): hotspots, named clusters, summaries by council and
ward, the link to deprivation, council ranks.
"""

from typing import TYPE_CHECKING

from geo._lazy import lazy_exports

if TYPE_CHECKING:  # re-exports, imported on first use (geo._lazy)
    from geo.analysis.areas import area_lsoas
    from geo.analysis.clusters import (
        DEFAULT_CLUSTER_INDICATOR,
        cluster_geometries,
        cluster_table,
        lsoa_info,
        named_clusters,
        stored_clusters,
        touching_graph,
    )
    from geo.analysis.hotspots import (
        HOTSPOT_COLUMNS,
        REFERENCES,
        hotspot_table,
        indicator_values,
        national_run,
        stored_params,
        with_geometry,
    )
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
    "DEFAULT_CLUSTER_INDICATOR",
    "HOTSPOT_COLUMNS",
    "MIN_AREAS",
    "POLARITIES",
    "REFERENCES",
    "SMALL_AREA_LEVELS",
    "UploadAnalysis",
    "analyse_upload",
    "area_lsoas",
    "cluster_geometries",
    "cluster_table",
    "hotspot_table",
    "indicator_values",
    "lsoa_info",
    "named_clusters",
    "national_run",
    "stored_clusters",
    "stored_params",
    "touching_graph",
    "with_geometry",
]

__getattr__, __dir__ = lazy_exports(__name__, __file__)
