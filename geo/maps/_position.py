"""The grid behind the national LSOA image (private; public face in :mod:`geo.maps.national`).

Burning 33,755 polygons takes seconds, colouring pixels a fraction of one: so every area is
burnt once into a Web Mercator grid whose cells hold its row position (:func:`_position_grid`),
and each indicator or class scheme is then painted by a colour lookup (:func:`_paint_grid`) into
a paletted PNG.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pandas as pd

from boundaries.grids import PositionGrid, is_position_grid, position_grid
from geo._errors import InputError, format_codes

#: Every area burnt into a Web Mercator grid: cell = row position + 1 (0 = no area).
_PositionGrid = PositionGrid
_position_grid = position_grid


def _paint_grid(grid: _PositionGrid, colours: pd.Series) -> bytes:
    """A paletted PNG of ``grid`` with each area in its colour (hex, indexed by code).

    Areas missing from ``colours`` (or with a missing colour) are transparent.
    """
    from PIL import Image

    per_area = colours.reindex(grid.codes)
    palette = sorted({str(c).lower() for c in per_area.dropna()})
    if len(palette) > 255:
        msg = f"`colours` has {len(palette)} distinct colours; a paletted image holds 255."
        raise InputError(msg)
    slot = {c: i + 1 for i, c in enumerate(palette)}
    lut = np.zeros(len(grid.codes) + 1, dtype="uint8")
    lut[1:] = [0 if pd.isna(c) else slot[str(c).lower()] for c in per_area]
    painted = np.ascontiguousarray(lut[grid.grid])
    image = Image.frombytes("P", (painted.shape[1], painted.shape[0]), painted.tobytes())
    rgb = [int(c[i : i + 2], 16) for c in palette for i in (1, 3, 5)]
    image.putpalette([0, 0, 0, *rgb])
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", transparency=bytes([0] + [255] * len(palette)),
               optimize=False, compress_level=6)
    return buffer.getvalue()


def _check_paint(grid: Any, values: Any) -> None:
    """Refuse a grid not made by lsoa_grid() and values that are not a Series of its codes."""
    if not is_position_grid(grid):
        msg = f"`grid` must be the LsoaGrid of lsoa_grid(); got {type(grid).__name__}."
        raise InputError(msg)
    if not isinstance(values, pd.Series) or not values.index.is_unique:
        msg = "`values` must be a Series indexed by unique area codes."
        raise InputError(msg)
    strangers = values.index.difference(grid.codes)
    if len(strangers):
        msg = (f"`values` has {len(strangers)} codes that are not in `grid` "
               f"({format_codes(strangers)}); build the grid from the same areas.")
        raise InputError(msg)
