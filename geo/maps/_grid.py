"""Grids for rasters, from the ground floor (:mod:`boundaries.grids`), under their old names.

Shared by the display rasters of :mod:`geo.maps.raster` and :mod:`geo.maps._position` and by
the GeoTIFF and zonal exports of :mod:`geo.export`; the store build uses the same functions to
precompute the national image and the click lookup (:mod:`boundaries.display`).
"""

from __future__ import annotations

from typing import TypeGuard, TypeVar

from boundaries.grids import MAX_CELLS, WEB_MERCATOR
from boundaries.grids import check_projected as _check_projected
from boundaries.grids import check_resolution as _check_resolution
from boundaries.grids import mercator_grid as _mercator_grid
from boundaries.grids import snapped_grid as _grid

__all__ = ["MAX_CELLS", "WEB_MERCATOR", "_check_projected", "_check_resolution", "_grid",
           "_mercator_grid", "has_fields_of"]


_T = TypeVar("_T")


def has_fields_of(obj: object, cls: type[_T]) -> TypeGuard[_T]:
    """True when ``obj`` is a named tuple with every field of ``cls`` (a NamedTuple class),
    judged by its fields, not its class: Streamlit reloads a changed module while the server
    runs, and objects cached before (``st.cache_resource``) keep the class as it was first
    imported, a different class object with the same fields (as
    :func:`boundaries.grids.is_position_grid` judges display grids)."""
    fields = getattr(cls, "_fields", ())
    return bool(fields) and isinstance(obj, tuple) and all(hasattr(obj, f) for f in fields)
