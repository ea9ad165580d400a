"""The data layer: everything that reads the mirror or the store.

Modules: :mod:`~geo.data.sources` (the registry ``data/sources.toml``), :mod:`~geo.data.fetch`
(official downloads), :mod:`~geo.data.readers` (one reader per source layout),
:mod:`~geo.data.indicators` (the catalogue and loading), :mod:`~geo.data.build` (the store build,
which calls :mod:`geo.stats`) and :mod:`~geo.data.derived` (tables computed at build time).
"""

from typing import TYPE_CHECKING

from geo._lazy import lazy_exports

if TYPE_CHECKING:  # re-exports, imported on first use (geo._lazy)
    from geo.data.build import build_store, code_fingerprint, format_report, store_fingerprint
    from geo.data.derived import SUMMARY_LEVELS, build_derived_tables
    from geo.data.fetch import (
        ARCGIS_MAX_PAGE,
        FetchRecord,
        FetchReport,
        fetch_dataset,
        fetch_datasets,
        format_fetch_report,
    )
    from geo.data.indicators import catalogue, indicator_meta, load_indicators
    from geo.data.nations import (
        hotspot_inputs,
        index_of_nation,
        index_summaries,
        nation_coverage,
        national_indices,
    )
    from geo.data.readers import (
        SUPPRESSED_MARKERS,
        apply_successors,
        read_csv_strict,
        read_source_table,
        to_numeric_report,
    )
    from geo.data.sources import (
        KINDS,
        LIFE_STAGES,
        NATIONS,
        POLARITIES,
        PRINCIPLES,
        REGISTRY_PATH,
        attribution,
        attribution_lines,
        dataset,
        file_sha256,
        mirror_dir,
        registry,
        registry_meta,
        source_path,
    )

__all__ = [
    'build_store',
    'store_fingerprint',
    'format_report',
    'code_fingerprint',
    'catalogue',
    'load_indicators',
    'indicator_meta',
    'national_indices',
    'index_of_nation',
    'index_summaries',
    'nation_coverage',
    'hotspot_inputs',
    'build_derived_tables',
    'SUMMARY_LEVELS',
    'ARCGIS_MAX_PAGE',
    'FetchRecord',
    'FetchReport',
    'fetch_dataset',
    'fetch_datasets',
    'format_fetch_report',
    'SUPPRESSED_MARKERS',
    'read_source_table',
    'read_csv_strict',
    'to_numeric_report',
    'apply_successors',
    'REGISTRY_PATH',
    'KINDS',
    'LIFE_STAGES',
    'PRINCIPLES',
    'POLARITIES',
    'NATIONS',
    'registry',
    'registry_meta',
    'dataset',
    'mirror_dir',
    'source_path',
    'attribution',
    'attribution_lines',
    'file_sha256',
]

__getattr__, __dir__ = lazy_exports(__name__, __file__)
