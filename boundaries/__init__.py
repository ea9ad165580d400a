"""The ground floor of oppmap: where the store is, the geography in it, and atomic file writes.

Public names: the levels and graphs (:data:`LEVELS`, :data:`GRAPHS`), :func:`load` and
:func:`load_graph` for reading them from the store, the readers and display copies the build
uses, and the store's location and manifest. ``boundaries`` never imports ``geo``.
"""

from boundaries._atomic import atomic_path, write_bytes_atomic, write_text_atomic
from boundaries._errors import OppmapError, StoreError
from boundaries._store import STORE_FORMAT, cache_dir, read_manifest, store_dir
from boundaries.fit import STRADDLE_SHARE, best_fit
from boundaries.geography import (
    BNG,
    DISPLAY_TOLERANCES,
    GRAPH_LEVELS,
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
    "GRAPH_LEVELS",
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
    "best_fit",
    "STRADDLE_SHARE",
]
