"""The state one store build carries from stage to stage.

A build reads the mirror, fills a report and writes a temporary folder. :class:`BuildContext`
holds those four things (mirror, source checksums, report, progress callback) so that each stage
of :mod:`geo.data.build` (levels, indicator tables, derived tables) is a function of the context
and the frames it needs, and records what it read in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo.data.readers import read_source_table
from geo.data.sources import dataset, source_path

__all__ = ["BuildContext", "write_frame"]


@dataclass
class BuildContext:
    """Mirror, checksums, report and progress of one build.

    Attributes
    ----------
    root
        The mirror directory.
    sums
        SHA-256 of every registry file, by dataset id.
    report
        The build report being filled (``datasets``, ``levels``, ``graphs``, ``derived``, ...).
    progress
        Called with one line per step; ``None`` for silence.
    """

    root: Path
    sums: dict[str, str]
    report: dict[str, Any] = field(default_factory=lambda: {
        "datasets": {}, "levels": {}, "graphs": {}, "derived": {}})
    progress: Callable[[str], None] | None = None

    def src(self, ident: str) -> Path:
        """The mirror file of a registry dataset."""
        return source_path(ident, source=self.root)

    def note(self, ident: str, info: dict[str, Any]) -> None:
        """Record what was read of a dataset (file, checksum, rows, ...) in the report."""
        info.setdefault("file", dataset(ident)["file"])
        info["sha256"] = self.sums.get(ident)
        self.report["datasets"][ident] = info

    def log(self, text: str) -> None:
        """One progress line."""
        if self.progress is not None:
            self.progress(text)

    def read(self, ident: str, *, lookups: Mapping[str, Any] | None = None
             ) -> tuple[pd.DataFrame, dict[str, Any]]:
        """Read a registry table (:func:`geo.data.readers.read_source_table`) from the mirror."""
        return read_source_table(ident, self.src(ident), lookups=lookups)


def write_frame(frame: pd.DataFrame | gpd.GeoDataFrame, path: Path) -> None:
    """Write a table (or boundaries) of the store as zstd-compressed Parquet, index kept."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(frame, gpd.GeoDataFrame):
        frame.to_parquet(path, index=True, compression="zstd", write_covering_bbox=False)
    else:
        frame.to_parquet(path, index=True, compression="zstd")
