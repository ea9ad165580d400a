"""Grids for rasters, from the ground floor (:mod:`boundaries.grids`), under their old names.

Shared by the display rasters of :mod:`geo.maps.raster` and :mod:`geo.maps._position` and by
the GeoTIFF and zonal exports of :mod:`geo.export`; the store build uses the same functions to
precompute the national image and the click lookup (:mod:`boundaries.display`).
"""

from __future__ import annotations

from boundaries.grids import MAX_CELLS, WEB_MERCATOR
from boundaries.grids import check_projected as _check_projected
from boundaries.grids import check_resolution as _check_resolution
from boundaries.grids import mercator_grid as _mercator_grid
from boundaries.grids import snapped_grid as _grid

__all__ = ["MAX_CELLS", "WEB_MERCATOR", "_check_projected", "_check_resolution", "_grid",
           "_mercator_grid"]
