"""Atomic file writes: a temporary file in the target's folder, then :func:`os.replace`.

A failed or interrupted write never leaves half a file behind. Used by :mod:`geo.export`,
:mod:`geo.raster` and :mod:`geo.fetch`.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geo._errors import InputError


@contextlib.contextmanager
def _atomic_target(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it onto ``path`` only if the block succeeds.

    The temporary file lives in the same folder (so :func:`os.replace` is atomic) and keeps the
    suffix of ``path`` (so drivers that look at the extension pick the right format).
    """
    target = Path(path)
    folder = target.parent
    if not folder.is_dir():
        msg = (
            f"`path` {str(target)!r}: the folder {str(folder)!r} does not exist; "
            "create it first or choose another output path"
        )
        raise InputError(msg)
    if target.is_dir():
        msg = f"`path` {str(target)!r} is a folder; give a file name inside it"
        raise InputError(msg)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=f".tmp{target.suffix}", dir=folder
    )
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        # mkstemp creates the file readable by its owner only; give it the usual permissions
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _umask() -> int:
    """The process umask, read without changing it (``os.umask`` is racy across threads)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def _write_bytes_atomic(path: str | os.PathLike, data: bytes) -> Path:
    with _atomic_target(path) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    return Path(path)


def _temp_sibling(target: Path, suffix: str) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    return target.parent / f".{target.stem}.{uuid.uuid4().hex[:10]}.tmp{suffix}"


def _write_csv(table: pd.DataFrame, target: Path) -> int:
    tmp = _temp_sibling(target, ".csv")
    try:
        table.to_csv(tmp, index=False)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return len(table)


def _write_gpkg(gdf: gpd.GeoDataFrame, target: Path) -> int:
    tmp = _temp_sibling(target, ".gpkg")
    try:
        pyogrio.write_dataframe(gdf, tmp, driver="GPKG", layer=target.stem)
        os.replace(tmp, target)
    finally:
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm"), Path(f"{tmp}-journal")):
            leftover.unlink(missing_ok=True)
    return len(gdf)
