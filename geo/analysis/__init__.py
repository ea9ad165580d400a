"""Analyses that read the store and call geo.stats: what a command and a page share.

``hotspots``: a hotspot run of one catalogue indicator (:func:`hotspot_table`); ``clusters``:
named clusters of hot spots, the store's or a fresh run (:func:`named_clusters`).
"""

from geo.analysis.clusters import (
    DEFAULT_CLUSTER_INDICATOR,
    cluster_geometries,
    cluster_table,
    named_clusters,
    stored_clusters,
)
from geo.analysis.hotspots import HOTSPOT_COLUMNS, hotspot_table, indicator_values, with_geometry

__all__ = [
    "DEFAULT_CLUSTER_INDICATOR",
    "HOTSPOT_COLUMNS",
    "cluster_geometries",
    "cluster_table",
    "hotspot_table",
    "indicator_values",
    "named_clusters",
    "stored_clusters",
    "with_geometry",
]
