"""Store: warm load of the national LSOA layer, and build time against reading the raw sources.

Targets (issue 2): warm load of the 35,672-polygon LSOA layer <= 0.5 s; a plain GeoParquet read
is the baseline (~0.25 s here), so the ratio should stay near 1. The build is compared with the
time it takes just to read every source file (the least any build must do).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

import boundaries
from bench._timing import best_of, report
from geo.data.sources import registry, source_path


def main() -> None:
    store = boundaries.store_dir()
    path = store / "boundaries" / "lsoa21.parquet"
    baseline = best_of(lambda: gpd.read_parquet(path))
    boundaries.clear_cache()
    t = time.perf_counter()
    boundaries.load("lsoa21")
    cold = time.perf_counter() - t
    warm = best_of(lambda: boundaries.load("lsoa21"))
    report("lsoa21 first load in a process", cold, baseline, target="<= 0.5 s")
    report("lsoa21 warm load (cached, copied)", warm, baseline, target="<= 0.5 s")
    gpkg = best_of(lambda: pyogrio.read_dataframe(source_path("lsoa21_bsc")), repeat=2)
    report("lsoa21 from the mirror's GeoPackage (for scale)", gpkg, baseline)

    def read_sources() -> None:
        for ident, entry in registry().items():
            p = source_path(ident)
            if entry["format"] == "csv":
                pd.read_csv(p, dtype=str)
            elif entry["format"] == "gpkg":
                pyogrio.read_dataframe(p)
            else:
                p.read_bytes()

    raw = best_of(read_sources, repeat=1)
    from geo.data.build import build_store

    with tempfile.TemporaryDirectory() as tmp:
        old = os.environ.get("OPPMAP_CACHE")
        os.environ["OPPMAP_CACHE"] = str(Path(tmp) / "cache")
        try:
            t = time.perf_counter()
            build_store(progress=None, hotspots=False, force=True)
            built = time.perf_counter() - t
        finally:
            if old is None:
                os.environ.pop("OPPMAP_CACHE", None)
            else:
                os.environ["OPPMAP_CACHE"] = old
            boundaries.clear_cache()
    report("store build without hotspots", built, raw, target="vs reading all sources")


if __name__ == "__main__":
    main()
