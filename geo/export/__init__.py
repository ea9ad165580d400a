"""File output: GeoJSON, CSV, GeoTIFF, zonal statistics, the council pack, atomic writes and metadata.
"""

from geo.export.csv import to_csv_safe
from geo.export.geojson import attribution_text, to_geojson, write_geojson
from geo.export.geotiff import category_codes, rasterize_indicator, write_geotiff
from geo.export.pack import council_pack
from geo.export.zonal import zonal_stats

__all__ = [
    'to_csv_safe',
    'to_geojson',
    'write_geojson',
    'attribution_text',
    'rasterize_indicator',
    'category_codes',
    'write_geotiff',
    'council_pack',
    'zonal_stats',
]
