"""Geography for oppmap: the ground floor (the store's location, boundaries, lookups, graphs,
atomic file writes).

``boundaries`` never imports ``geo``.
"""

from boundaries._atomic import atomic_path, write_bytes_atomic, write_text_atomic
from boundaries._errors import OppmapError, StoreError
from boundaries._store import STORE_FORMAT, cache_dir, read_manifest, store_dir
from boundaries.geography import (
    BNG,
    DISPLAY_TOLERANCES,
    GRAPHS,
    LEVELS,
    WGS84,
    clear_cache,
    country_of,
    display_copy,
    index_name,
    levels,
    load,
    load_graph,
    read_boundaries,
    read_topojson_layer,
    repair_geometries,
)

__all__ = [
    "BNG",
    "WGS84",
    "LEVELS",
    "GRAPHS",
    "DISPLAY_TOLERANCES",
    "STORE_FORMAT",
    "OppmapError",
    "StoreError",
    "cache_dir",
    "store_dir",
    "read_manifest",
    "levels",
    "index_name",
    "country_of",
    "load",
    "load_graph",
    "clear_cache",
    "read_boundaries",
    "read_topojson_layer",
    "repair_geometries",
    "display_copy",
    "atomic_path",
    "write_bytes_atomic",
    "write_text_atomic",
]
