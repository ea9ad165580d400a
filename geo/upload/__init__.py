"""Reading and checking a user's files: a CSV of values per area, or their own polygons (GeoJSON).
"""

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
