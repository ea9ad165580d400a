"""Shared fixtures: the real data mirror and the built store.

Unit tests build their own tiny synthetic data; tests marked ``real`` use the mirror named by
``$OPPMAP_DATA`` (default ``../shared/data`` beside the repository) and the store built from it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
