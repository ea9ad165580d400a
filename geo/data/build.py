"""Building the store: ``python -m geo data build``.

The build reads every registry dataset from the mirror (``--source`` or ``$OPPMAP_DATA``),
validates and joins it to its geography, computes the derived tables (graphs, compounded and
persistent disadvantage, IoD-style summaries, national hotspots) and writes all of it into a
temporary folder. Only a complete build is published (see :mod:`boundaries._store`); a failed
build leaves the current store untouched.

A build is skipped when the fingerprint (code, registry and source checksums) equals the
current store's, unless ``force=True``. The fingerprint hashes whole packages
(:data:`BUILD_CODE`), so a module added anywhere in them triggers a rebuild.

Stages, each a module of its own: geography (:mod:`geo.data._levels`: lookups, boundaries,
parents, graphs), indicator tables (:mod:`geo.data._tables`), derived tables
(:mod:`geo.data.derived`); the printed summary is :func:`geo.data._report.format_report`.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boundaries
from boundaries._store import (
    STORE_FORMAT,
    build_lock,
    cache_dir,
    discard_build,
    list_files,
    new_build_dir,
    publish_build,
    read_manifest,
    write_json,
)
from boundaries.display import write_display_extras
from geo._errors import OppmapError, StoreError
from geo.data._context import BuildContext, write_frame
from geo.data._levels import build_graphs, read_levels, read_lookups, write_levels
from geo.data._report import format_report
from geo.data._tables import build_indicator_tables
from geo.data.derived import build_derived_tables
from geo.data.nations import build_nation_tables
from geo.data.sources import REGISTRY_PATH, file_sha256, mirror_dir, registry, source_path
from geo.stats.clusters import cluster_members

__all__ = ['build_store', 'store_fingerprint', 'format_report', 'code_fingerprint']


REPO = Path(__file__).resolve().parents[2]


#: Parameters of the precomputed national hotspots, recorded in the manifest.
HOTSPOT_PARAMS = {"permutations": 9999, "seed": 42, "alpha": 0.05, "correction": "fdr_bh"}


#: Code that shapes what the store holds: whole packages (so a module added to one of them
#: changes the fingerprint without a list to keep), the shared errors, and the registry.
BUILD_CODE = ("boundaries", "geo/data", "geo/stats", "geo/_errors.py")


def code_fingerprint() -> str:
    """SHA-256 over the code that shapes the store (:data:`BUILD_CODE` and the registry).

    Every ``.py`` file under the packages counts, by its path relative to the repository, so
    moving, adding or editing a module triggers a rebuild.
    """
    h = hashlib.sha256()
    files: list[Path] = []
    for part in BUILD_CODE:
        path = REPO / part
        files.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    for f in [*files, REGISTRY_PATH]:
        h.update(f.relative_to(REPO).as_posix().encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def store_fingerprint(source: Path) -> tuple[str, dict[str, str]]:
    """Fingerprint of a build: the code fingerprint and every source file's SHA-256.

    Raises
    ------
    SourceMissingError
        For the first registry file missing from the mirror.
    """
    sums = {ident: file_sha256(source_path(ident, source=source)) for ident in registry()}
    h = hashlib.sha256(f"format={STORE_FORMAT};code={code_fingerprint()}".encode())
    for ident in sorted(sums):
        h.update(f"{ident}={sums[ident]}".encode())
    return h.hexdigest()[:16], sums


def build_store(*, source: Path | str | None = None, force: bool = False,
                progress: Callable[[str], None] | None = print,
                hotspots: bool = True) -> dict[str, Any]:
    """Build the store from the mirror, atomically.

    Parameters
    ----------
    source
        Mirror directory; default ``$OPPMAP_DATA``. Without either, the official files are
        fetched into ``$OPPMAP_CACHE/mirror`` first.
    force
        Rebuild even when sources and code are unchanged.
    progress
        Called with one line per step (default ``print``); ``None`` for silence.
    hotspots
        Precompute national hotspots (permutation inference; the slowest step).

    Returns
    -------
    dict
        The build report (also saved as ``report.json`` in the store). ``report["skipped"]`` is
        true when the store was already up to date.

    Raises
    ------
    SourceMissingError, SchemaError, DuplicateCodeError, VintageError
        On bad input; nothing is written to the store.
    """
    root = mirror_dir(source)
    if root is None:
        from geo.data.fetch import fetch_datasets

        root = cache_dir() / "mirror"
        if progress is not None:
            progress(f"OPPMAP_DATA is not set: fetching the official files into {root}")
        fetch_datasets(root)
    if not root.is_dir():
        msg = f"the data source {root} is not a directory; set OPPMAP_DATA to the mirror folder"
        raise OppmapError(msg)
    with build_lock():
        return _build_locked(root, force=force, progress=progress, hotspots=hotspots)


def _build_locked(root: Path, *, force: bool, progress: Callable[[str], None] | None,
                  hotspots: bool) -> dict[str, Any]:
    fingerprint, sums = store_fingerprint(root)
    current = cache_dir() / "current"
    if not force and current.exists():
        try:
            manifest = read_manifest(current)
        except StoreError:
            manifest = {}
        if manifest.get("fingerprint") == fingerprint and manifest.get("hotspots", False) >= hotspots:
            if progress is not None:
                progress(f"store is up to date ({current.resolve().name}); use --force to rebuild")
            return {"skipped": True, "fingerprint": fingerprint, "store": str(current.resolve())}

    tmp = new_build_dir()
    t0 = time.perf_counter()
    try:
        ctx = BuildContext(root=root, sums=sums, progress=progress)
        report = _build_into(tmp, ctx, hotspots=hotspots)
        report["fingerprint"] = fingerprint
        report["seconds"] = round(time.perf_counter() - t0, 1)
        write_json(report, tmp / "report.json")
        manifest = {
            "store_format": STORE_FORMAT,
            "fingerprint": fingerprint,
            "code": code_fingerprint(),
            "source_dir": str(root),
            "sources": sums,
            "hotspots": hotspots,
            "hotspot_params": HOTSPOT_PARAMS,
            "files": list_files(tmp),
        }
        write_json(manifest, tmp / "manifest.json")  # written last: marks a complete build
        final = publish_build(tmp, fingerprint)
    except BaseException:
        discard_build(tmp)
        raise
    boundaries.clear_cache()
    report["store"] = str(final)
    report["skipped"] = False
    if progress is not None:
        progress(format_report(report))
    return report


def _council_people(tables: dict[str, Any], levels: dict[str, Any]) -> Any:
    """Residents of each LAD 2024 council (mySociety's people per km² times its area), the
    weight of its name on national maps; None without those tables."""
    uk, lad = tables.get("ukimd_la"), levels.get("lad24")
    if uk is None or lad is None or "people_per_km2" not in uk.columns:
        return None
    return (uk["people_per_km2"] * lad.geometry.area.reindex(uk.index) / 1e6).dropna()


def _build_into(tmp: Path, ctx: BuildContext, *, hotspots: bool) -> dict[str, Any]:
    """Run every stage of the build into ``tmp``; return the report."""
    lk = read_lookups(ctx)
    geo_levels = read_levels(ctx, lk)
    ctx.log("building contiguity graphs (islands joined to nearest neighbours) ...")
    graphs = build_graphs(geo_levels, ctx.report)
    ctx.log("writing boundaries and simplified display copies ...")
    expected = write_levels(tmp, geo_levels, graphs, ctx.report)
    tables = build_indicator_tables(ctx, geo_levels, lk)
    tables.update(build_nation_tables(ctx, tables, geo_levels, lk))
    ctx.log("computing compounded and persistent disadvantage, summaries ...")
    derived = build_derived_tables(tables, geo_levels, graphs, report=ctx.report["derived"],
                                   progress=ctx.log, hotspots=hotspots,
                                   hotspot_params=HOTSPOT_PARAMS)
    for name, table in {**tables, **derived}.items():
        write_frame(table, tmp / "indicators" / f"{name}.parquet")
        expected.append(f"indicators/{name}.parquet")
    for name in ("lookup_lsoa11_lad21", "lookup_lsoa11_lsoa21", "lookup_mysociety_la"):
        write_frame(lk[name], tmp / "lookups" / f"{name.removeprefix('lookup_')}.parquet")
    # what the app's first national map needs, precomputed: image grid, click lookup, places
    groups = {"clusters": cluster_members(derived["clusters"])} if "clusters" in derived else {}
    expected += write_display_extras(tmp, geo_levels, groups=groups,
                                     people=_council_people(tables, geo_levels))
    missing = [f for f in expected if not (tmp / f).is_file()]
    if missing:  # e.g. the temporary folder was removed by another process mid-build
        msg = f"the build folder {tmp} lost files while building: {missing[:5]}; build again"
        raise StoreError(msg)
    return ctx.report
