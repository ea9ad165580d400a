"""Shared fixtures: one synthetic lattice with islands, the real data mirror and the built store.

Unit tests of geography and statistics use :func:`lattice` (squares with an island and a small
detached component); tests marked ``real`` use the mirror named by ``$OPPMAP_DATA`` (default
``../shared/data`` beside the repository) and the store built from it.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

REPO = Path(__file__).resolve().parents[1]


def _mirror_dir() -> Path:
    env = os.environ.get("OPPMAP_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def mirror() -> Path:
    """The local mirror of the official datasets (skips when it is absent)."""
    path = _mirror_dir()
    if not (path / "README.md").exists():
        pytest.skip(f"no data mirror at {path}; set OPPMAP_DATA to run real-data tests")
    return path


@pytest.fixture(scope="session")
def store(mirror: Path) -> Path:
    """The store built from the real mirror (built here if `make test` did not build it)."""
    os.environ.setdefault("OPPMAP_DATA", str(mirror))
    import boundaries
    from geo.data.build import build_store

    build_store(source=mirror, progress=None)
    return boundaries.store_dir()


def _lattice(side: int = 8, *, islands: bool = True) -> gpd.GeoDataFrame:
    """``side`` x ``side`` squares of 100 m (``r<row>c<col>``) and, with ``islands``, land apart.

    Row 0 is at the bottom (y 0-100 m), column 0 on the left. The extra areas, in this order:

    * ``I1`` = box(100 side + 200, 0, 100 side + 250, 50): a lone island 200 m east of
      ``r0c<side-1>``, sqrt(200^2 + 50^2) = 206.2 m from ``r1c<side-1>`` and 250 m from
      ``r2c<side-1>``;
    * ``P1`` = box(20, 100 side + 300, 80, 100 side + 400) and ``P2`` = box(80, 100 side + 350,
      180, 100 side + 450): a two-square component (P2 touches P1) 300 m north of
      ``r<side-1>c0``; P1 is sqrt(20^2 + 300^2) = 300.7 m from ``r<side-1>c1`` and
      sqrt(120^2 + 300^2) = 323.1 m from ``r<side-1>c2``; P2 is at least 350 m from the grid.
    """
    codes, geoms = [], []
    for r in range(side):
        for c in range(side):
            codes.append(f"r{r}c{c}")
            geoms.append(shapely.box(c * 100, r * 100, (c + 1) * 100, (r + 1) * 100))
    if islands:
        top, right = side * 100, side * 100
        codes += ["I1", "P1", "P2"]
        geoms += [shapely.box(right + 200, 0, right + 250, 50),
                  shapely.box(20, top + 300, 80, top + 400),
                  shapely.box(80, top + 350, 180, top + 450)]
    return gpd.GeoDataFrame({"name": codes}, geometry=geoms,
                            index=pd.Index(codes, name="lsoa21_code"), crs=27700)


@pytest.fixture(scope="session")
def lattice():
    """The shared synthetic lattice: call it as ``lattice(side, islands=True)`` (see _lattice)."""
    return _lattice
