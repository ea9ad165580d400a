"""Reading and checking a user's files: a CSV of values per area, or their own polygons (GeoJSON).
"""

from typing import TYPE_CHECKING

from geo._lazy import lazy_exports

if TYPE_CHECKING:  # re-exports, imported on first use (geo._lazy)
    from geo.upload.geojson import load_vintage_codes, read_geojson_upload
    from geo.upload.reader import (
        SUPPRESSED_MARKERS,
        UPLOAD_LEVELS,
        ColumnReport,
        UploadReport,
        UploadResult,
        read_upload,
        upload_areas,
        upload_known_codes,
    )

__all__ = [
    'load_vintage_codes',
    'read_geojson_upload',
    'SUPPRESSED_MARKERS',
    'UPLOAD_LEVELS',
    'ColumnReport',
    'UploadReport',
    'UploadResult',
    'read_upload',
    'upload_areas',
    'upload_known_codes',
]

__getattr__, __dir__ = lazy_exports(__name__, __file__)
