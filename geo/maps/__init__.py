"""Presentation: classes and palettes, the words of a map, choropleths, hotspot layers, the
national LSOA image, display rasters, offline assets and charts.

Imports only :mod:`boundaries` and :mod:`geo.stats` of the project; no Streamlit.
"""

from typing import TYPE_CHECKING

from geo._lazy import lazy_exports

if TYPE_CHECKING:  # re-exports, imported on first use (geo._lazy)
    from geo.maps.assets import (
        ASSETS,
        STATIC_URL,
        VENDOR_DIR,
        asset_versions,
        inline_assets,
        install_assets,
        local_asset_urls,
        missing_assets,
    )
    from geo.maps.charts import VERDICT_COLOURS, spine_chart
    from geo.maps.choropleth import (
        add_legend,
        base_map,
        choropleth_map,
        to_standalone_html,
    )
    from geo.maps.classes import (
        NO_DATA_COLOUR,
        PALETTES,
        POLARITIES,
        SCHEMES,
        MissingValuesWarning,
        classify,
        colours_for,
        normalise_key,
        palette,
    )
    from geo.maps.hotspots import (
        CLUSTER_COLOUR,
        add_hotspot_legend,
        cluster_layer,
        cluster_members,
        cluster_outlines,
        hotspot_layer,
    )
    from geo.maps.national import (
        LsoaGrid,
        LsoaImage,
        lsoa_grid,
        lsoa_overview_map,
        national_lsoa_overlay,
        paint_lsoa_grid,
        render_lsoa_image,
    )
    from geo.maps.raster import LookupIndex, lsoa_at, make_lookup_index, rasterize_for_display
    from geo.maps.text import describe_values, format_value, legend_labels, map_table

__all__ = [
    'ASSETS',
    'VENDOR_DIR',
    'STATIC_URL',
    'install_assets',
    'missing_assets',
    'local_asset_urls',
    'inline_assets',
    'asset_versions',
    'base_map',
    'choropleth_map',
    'add_legend',
    'to_standalone_html',
    'SCHEMES',
    'PALETTES',
    'POLARITIES',
    'NO_DATA_COLOUR',
    'MissingValuesWarning',
    'normalise_key',
    'classify',
    'palette',
    'colours_for',
    'legend_labels',
    'format_value',
    'map_table',
    'describe_values',
    'hotspot_layer',
    'add_hotspot_legend',
    'CLUSTER_COLOUR',
    'cluster_members',
    'cluster_outlines',
    'cluster_layer',
    'LsoaImage',
    'LsoaGrid',
    'lsoa_grid',
    'paint_lsoa_grid',
    'render_lsoa_image',
    'national_lsoa_overlay',
    'lsoa_overview_map',
    'rasterize_for_display',
    'make_lookup_index',
    'lsoa_at',
    'LookupIndex',
    'VERDICT_COLOURS',
    'spine_chart',
]

__getattr__, __dir__ = lazy_exports(__name__, __file__)
