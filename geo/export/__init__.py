"""File output: GeoJSON, CSV, GeoTIFF, zonal statistics, the council pack, metadata and atomic writes.

Every writer here writes atomically (:mod:`geo.export.atomic`), puts the attribution README of
:mod:`geo.export.metadata` beside its file, and types columns the same way
(:mod:`geo.export.columns`: counts, ranks and deciles as integers).
"""

from typing import TYPE_CHECKING

from geo._lazy import lazy_exports

if TYPE_CHECKING:  # re-exports, imported on first use (geo._lazy)
    from geo.export.columns import export_types
    from geo.export.csv import to_csv_safe
    from geo.export.geojson import to_geojson, write_geojson
    from geo.export.geotiff import category_codes, rasterize_indicator, write_geotiff
    from geo.export.metadata import attribution_text, export_metadata, map_attribution, write_readme
    from geo.export.pack import council_pack
    from geo.export.zonal import zonal_stats

__all__ = [
    'to_csv_safe',
    'to_geojson',
    'write_geojson',
    'attribution_text',
    'export_metadata',
    'map_attribution',
    'write_readme',
    'export_types',
    'rasterize_indicator',
    'category_codes',
    'write_geotiff',
    'council_pack',
    'zonal_stats',
]

__getattr__, __dir__ = lazy_exports(__name__, __file__)
