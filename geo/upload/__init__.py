"""Reading and checking a user's files (CSV, GeoJSON).
"""

from geo.upload.geojson import load_vintage_codes, read_geojson_upload
from geo.upload.reader import (
    SUPPRESSED_MARKERS,
    ColumnReport,
    UploadReport,
    UploadResult,
    read_upload,
)

__all__ = [
    'load_vintage_codes',
    'read_geojson_upload',
    'SUPPRESSED_MARKERS',
    'ColumnReport',
    'UploadReport',
    'UploadResult',
    'read_upload',
]
