"""Analyses that read the store and call geo.stats: what a command and a page share.

``upload``: the analysis of a user's uploaded indicator (:func:`analyse_upload`): hotspots,
named clusters, summaries by council and ward, the link to deprivation, council ranks.
"""

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
]
