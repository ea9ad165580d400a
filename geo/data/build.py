"""Building the store: ``python -m geo data build``.

The build reads every registry dataset from the mirror (``--source`` or ``$OPPMAP_DATA``),
validates and joins it to its geography, computes the derived tables (graphs, compounded and
persistent disadvantage, IoD-style summaries, national hotspots) and writes all of it into a
temporary folder. Only a complete build is published (see :mod:`boundaries._store`); a failed
build leaves the current store untouched.

A build is skipped when the fingerprint (code, registry and source checksums) equals the
current store's, unless ``force=True``.
"""

from __future__ import annotations

import hashlib
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

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
from geo._errors import OppmapError, StoreError, VintageError, format_codes
from geo.data.readers import read_source_table
from geo.data.sources import REGISTRY_PATH, dataset, file_sha256, mirror_dir, registry, source_path

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


def _log(progress: Callable[[str], None] | None, text: str) -> None:
    if progress is not None:
        progress(text)


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
        _log(progress, f"OPPMAP_DATA is not set: fetching the official files into {root}")
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
            _log(progress, f"store is up to date ({current.resolve().name}); use --force to rebuild")
            return {"skipped": True, "fingerprint": fingerprint, "store": str(current.resolve())}

    tmp = new_build_dir()
    t0 = time.perf_counter()
    try:
        report = _build_into(tmp, root=root, sums=sums, progress=progress, hotspots=hotspots)
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
    _log(progress, format_report(report))
    return report


def _write_gdf(gdf: gpd.GeoDataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    gdf.to_parquet(path, index=True, compression="zstd", write_covering_bbox=False)


def _write_df(df: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_parquet(path, index=True, compression="zstd")


def _join_report(codes: pd.Index, geography: pd.Index, *, scope: pd.Index | None = None
                 ) -> dict[str, Any]:
    unmatched = sorted(set(codes) - set(geography))
    scope = geography if scope is None else scope
    absent = sorted(set(scope) - set(codes))
    return {
        "rows_joined": int(len(set(codes) & set(geography))),
        "unmatched_codes": unmatched,
        "absent_codes": absent,
    }


def _build_into(tmp: Path, *, root: Path, sums: dict[str, str],
                progress: Callable[[str], None] | None, hotspots: bool) -> dict[str, Any]:
    report: dict[str, Any] = {"datasets": {}, "levels": {}, "graphs": {}, "derived": {}}
    ds = report["datasets"]

    def src(ident: str) -> Path:
        return source_path(ident, source=root)

    def note(ident: str, info: dict[str, Any]) -> None:
        info.setdefault("file", dataset(ident)["file"])
        info["sha256"] = sums.get(ident)
        ds[ident] = info

    # ------------------------------------------------------------- lookups
    _log(progress, "reading lookups ...")
    lk: dict[str, pd.DataFrame] = {}
    for ident in ("lookup_lsoa21_ward24_lad24", "lookup_lad23_utla23", "lookup_lad24_region24",
                  "lookup_lad23_cauth23", "lookup_smc205_lad"):
        table, info = read_source_table(ident, src(ident))
        lk[ident] = table
        note(ident, info)
    lsoa11_lookup, info = _read_lsoa_lookup(src("lookup_lsoa11_lsoa21"))
    note("lookup_lsoa11_lsoa21", info)
    lad11, info = read_source_table("lookup_lsoa11_lad21", src("lookup_lsoa11_lad21"))
    note("lookup_lsoa11_lad21", info)

    # ------------------------------------------------------------- boundaries
    _log(progress, "reading boundaries (repairing invalid geometries) ...")
    geo_levels: dict[str, gpd.GeoDataFrame] = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for level, ident in (("lad24", "lad24_uk_buc"), ("lad24_detailed", "lad24_ew_detailed"),
                             ("lsoa21", "lsoa21_bsc"), ("dz11", "dz11_scotland")):
            entry = dataset(ident)
            gdf, info = boundaries.read_boundaries(
                src(ident), columns=entry["columns"], code_column=entry["code_column"],
                expected_rows=entry.get("expected_rows"))
            geo_levels[level] = gdf
            note(ident, info)
        topo = dataset("ons_topojson")
        utla, info_u = boundaries.read_topojson_layer(
            src("ons_topojson"), layer="utla", year=topo["year"], code_column="utla24_code")
        region, info_r = boundaries.read_topojson_layer(
            src("ons_topojson"), layer="rgn", year=topo["year"], code_column="region_code",
            prefixes=("E12",))
        note("ons_topojson", {"utla": info_u, "rgn": info_r})
    report["warnings"] = [str(w.message) for w in caught]

    # parents
    lad = geo_levels["lad24"]
    l2u = lk["lookup_lad23_utla23"]["utla24_code"]
    l2r = lk["lookup_lad24_region24"]
    l2c = lk["lookup_lad23_cauth23"]
    for gdf in (lad, geo_levels["lad24_detailed"]):
        codes = gdf.index
        # Scottish and Northern Irish councils are single-tier: their own upper tier.
        gdf["utla24_code"] = pd.Series(codes, index=codes).map(l2u).fillna(
            pd.Series(codes, index=codes).where(~codes.str.startswith(("E", "W"))))
        gdf["region_code"] = pd.Series(codes, index=codes).map(l2r["region_code"])
        gdf["region_name"] = pd.Series(codes, index=codes).map(l2r["region_name"])
        gdf["cauth_code"] = pd.Series(codes, index=codes).map(l2c["cauth_code"])
        gdf["cauth_name"] = pd.Series(codes, index=codes).map(l2c["cauth_name"])
    eng_lads = lad.index[lad.index.str.startswith("E")]
    missing_region = sorted(set(eng_lads) - set(l2r.index))
    if missing_region:
        msg = f"English councils without a region in the LAD24->region lookup: {format_codes(missing_region)}"
        raise VintageError(msg)
    missing_utla = sorted(set(lad.index[lad.index.str.startswith(("E", "W"))]) - set(l2u.index))
    if missing_utla:
        msg = f"councils without an upper tier in the LAD->UTLA lookup: {format_codes(missing_utla)}"
        raise VintageError(msg)
    report["levels"]["lad24_parents"] = {
        "lookup_unmatched": sorted(set(l2u.index) - set(lad.index)),
        "region_lookup_unmatched": sorted(set(l2r.index) - set(lad.index)),
    }

    lsoa = geo_levels["lsoa21"]
    w = lk["lookup_lsoa21_ward24_lad24"]
    jr = _join_report(w.index, lsoa.index)
    if jr["unmatched_codes"] or jr["absent_codes"]:
        msg = (f"LSOA21 -> ward -> LAD24 lookup does not match the LSOA21 boundaries: "
               f"{len(jr['unmatched_codes'])} lookup codes without a boundary "
               f"({format_codes(jr['unmatched_codes'])}), {len(jr['absent_codes'])} boundaries "
               f"without a lookup row ({format_codes(jr['absent_codes'])})")
        raise VintageError(msg)
    lsoa = lsoa.join(w[["lad24_code", "lad24_name", "ward24_code", "ward24_name"]], validate="one_to_one")
    bad_lad = sorted(set(lsoa["lad24_code"]) - set(lad.index))
    if bad_lad:
        msg = f"LSOA lookup names councils that are not LAD 2024 codes: {format_codes(bad_lad)}"
        raise VintageError(msg)
    for col in ("utla24_code", "region_code", "cauth_code"):
        lsoa[col] = lsoa["lad24_code"].map(lad[col])
    geo_levels["lsoa21"] = lsoa

    # Upper tier: England and Wales from the TopoJSON 2024 layer; Scotland and Northern Ireland
    # have single-tier councils, taken from LAD24 (the TopoJSON keeps Glasgow and North
    # Lanarkshire under their pre-2019 codes S12000046/S12000044 with no end year).
    single = lad.index[~lad.index.str.startswith(("E", "W"))]
    stale = sorted(c for c in utla.index if not c.startswith(("E", "W")))
    utla = pd.concat([utla.drop(index=stale),
                      lad.loc[single, ["country", "name", "geometry"]]]).sort_index()
    utla.index.name = "utla24_code"
    report["levels"]["utla24_sources"] = {
        "topojson_england_wales": int((~utla.index.isin(single)).sum()),
        "lad24_single_tier": int(len(single)),
        "topojson_codes_replaced": stale,
    }
    utla_expected = set(l2u) | set(single)
    jr = _join_report(utla.index, pd.Index(sorted(utla_expected)))
    if jr["absent_codes"]:
        msg = f"upper-tier councils in the lookup missing from the 2024 TopoJSON: {format_codes(jr['absent_codes'])}"
        raise VintageError(msg)
    extra = jr["unmatched_codes"]
    if extra:
        utla = utla.drop(index=extra)
    report["levels"]["utla24"] = {"dropped_not_in_2024_lookup": extra}
    utla["region_code"] = lad.groupby("utla24_code")["region_code"].first().reindex(utla.index)
    geo_levels["utla24"] = utla
    geo_levels["region"] = region
    for level, gdf in geo_levels.items():
        gdf.index.name = boundaries.index_name(level)
        gdf.geometry.name  # noqa: B018
        if "island" not in gdf.columns:
            gdf["island"] = False

    # ------------------------------------------------------------- graphs
    _log(progress, "building contiguity graphs (islands joined to nearest neighbours) ...")
    graphs = _build_graphs(geo_levels, report)
    # ------------------------------------------------------------- write boundaries and display
    _log(progress, "writing boundaries and simplified display copies ...")
    for level, gdf in geo_levels.items():
        _write_gdf(gdf, tmp / "boundaries" / f"{level}.parquet")
        report["levels"].setdefault(level, {})["rows"] = int(len(gdf))
        report["levels"][level]["by_country"] = {
            k: int(v) for k, v in gdf["country"].value_counts().sort_index().items()}
        report["levels"][level]["islands"] = [str(c) for c in gdf.index[gdf["island"]]]
    for (level, view), tol in boundaries.DISPLAY_TOLERANCES.items():
        gdf = geo_levels[level]
        keep = [c for c in ("name", "country", "lad24_code", "lad24_name", "ward24_name",
                            "utla24_code", "region_code") if c in gdf.columns]
        _write_gdf(boundaries.display_copy(gdf, tolerance=tol, columns=keep),
                   tmp / "display" / f"{level}_{view}.parquet")
    for name, graph in graphs.items():
        path = tmp / "graphs" / f"{name}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        graph.to_parquet(path)

    # ------------------------------------------------------------- indicator tables
    _log(progress, "reading indicator tables ...")
    tables = _build_indicator_tables(root, geo_levels, lk, lsoa11_lookup, report, src, note)
    for name, table in tables.items():
        _write_df(table, tmp / "indicators" / f"{name}.parquet")

    # ------------------------------------------------------------- derived tables
    _log(progress, "computing compounded and persistent disadvantage, summaries ...")
    derived = _build_derived(tables, geo_levels, graphs, report, progress, hotspots)
    for name, table in derived.items():
        _write_df(table, tmp / "indicators" / f"{name}.parquet")
    members = {n: t["lsoa_codes"].str.split(";").explode() for n, t in derived.items() if n == "clusters"}
    extras = write_display_extras(tmp, geo_levels, groups={n: pd.Series(m.index, index=m.to_numpy()) for n, m in members.items()})
    _write_df(lad11, tmp / "lookups" / "lsoa11_lad21.parquet")
    _write_df(lsoa11_lookup, tmp / "lookups" / "lsoa11_lsoa21.parquet")
    expected = [f"boundaries/{lv}.parquet" for lv in geo_levels]
    expected += [f"display/{lv}_{v}.parquet" for lv, v in boundaries.DISPLAY_TOLERANCES]
    expected += [f"graphs/{g}.parquet" for g in graphs] + extras
    expected += [f"indicators/{t}.parquet" for t in [*tables, *derived]]
    missing = [f for f in expected if not (tmp / f).is_file()]
    if missing:  # e.g. the temporary folder was removed by another process mid-build
        msg = f"the build folder {tmp} lost files while building: {missing[:5]}; build again"
        raise StoreError(msg)
    return report


def _read_lsoa_lookup(path: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    from geo.data.readers import read_csv_strict

    entry = dataset("lookup_lsoa11_lsoa21")
    raw = read_csv_strict(path, columns=entry["columns"], source="dataset 'lookup_lsoa11_lsoa21'")
    dup = raw.duplicated(["lsoa11_code", "lsoa21_code"], keep=False)
    if dup.any():
        msg = f"LSOA11->LSOA21 lookup repeats pairs: {format_codes(raw.loc[dup, 'lsoa21_code'].unique())}"
        raise OppmapError(msg)
    counts = raw.drop_duplicates("lsoa21_code")["change_code"].value_counts().to_dict()
    info = {"rows_read": int(len(raw)), "change_codes_lsoa21": {k: int(v) for k, v in counts.items()},
            "change_codes_rows": {k: int(v) for k, v in raw["change_code"].value_counts().items()}}
    return raw.reset_index(drop=True), info


def _build_graphs(geo_levels: dict[str, gpd.GeoDataFrame], report: dict[str, Any]) -> dict[str, Any]:
    from geo.stats.weights import build_contiguity

    graphs = {}
    lsoa = geo_levels["lsoa21"]
    specs = {
        "lad24": geo_levels["lad24"],
        "lsoa21": lsoa,
        "lsoa21_en": lsoa[lsoa["country"] == "E"],
    }
    for name, gdf in specs.items():
        t = time.perf_counter()
        graph, islands = build_contiguity(gdf)
        graphs[name] = graph
        level = "lad24" if name == "lad24" else "lsoa21"
        if name != "lsoa21":  # England-only islands (Scilly, Wight) + UK ones for councils
            geo_levels[level].loc[list(islands), "island"] = True
        report["graphs"][name] = {
            "nodes": int(graph.n),
            "links": int(len(graph.adjacency)),
            "islands_joined": [str(c) for c in islands],
            "seconds": round(time.perf_counter() - t, 2),
        }
    return graphs


def _check_codes(name: str, table: pd.DataFrame, valid: pd.Index, *, scope: pd.Index,
                 entry: dict[str, Any], info: dict[str, Any]) -> None:
    jr = _join_report(table.index, valid, scope=scope)
    if jr["unmatched_codes"]:
        msg = (
            f"dataset {name!r}: {len(jr['unmatched_codes'])} codes are not {entry.get('store_level', entry['level'])} "
            f"codes (another vintage or level?): {format_codes(jr['unmatched_codes'])}. "
            "Map them through an ONS lookup, or declare successors in data/sources.toml"
        )
        raise VintageError(msg)
    info.update(jr)
    declared = set(entry.get("not_published", []))
    info["absent_reason"] = {
        c: (entry.get("not_published_reason") if c in declared else "not in the source file")
        for c in jr["absent_codes"]
    }


def _build_indicator_tables(root: Path, geo_levels: dict[str, gpd.GeoDataFrame],
                            lk: dict[str, pd.DataFrame], lsoa11_lookup: pd.DataFrame,
                            report: dict[str, Any], src: Callable[[str], Path],
                            note: Callable[[str, dict[str, Any]], None]) -> dict[str, pd.DataFrame]:
    lsoa = geo_levels["lsoa21"]
    eng_lsoa = lsoa.index[lsoa["country"] == "E"]
    utla = geo_levels["utla24"]
    eng_utla = utla.index[utla.index.str.startswith("E")]
    lad = geo_levels["lad24"]
    lsoa11_codes = pd.Index(lsoa11_lookup["lsoa11_code"].unique())
    lookups = {"lookup_smc205_lad": lk["lookup_smc205_lad"].reset_index(),
               "lad_to_utla": lad["utla24_code"]}
    tables: dict[str, pd.DataFrame] = {}
    reg = registry()
    for ident, entry in reg.items():
        if entry["kind"] not in ("indicators", "population"):
            continue
        if ident == "population_mid2019_lsoa11":
            table, info = read_source_table(ident, src(ident))
            _check_codes(ident, table, lsoa11_codes, scope=lsoa11_codes, entry=entry, info=info)
            tables[ident] = table
            note(ident, info)
            continue
        table, info = read_source_table(ident, src(ident), lookups=lookups)
        level = entry.get("store_level", entry["level"])
        if ident == "iod2019":
            _check_codes(ident, table, lsoa11_codes[lsoa11_codes.str.startswith("E")],
                         scope=lsoa11_codes[lsoa11_codes.str.startswith("E")], entry=entry, info=info)
            table, carry = _carry_iod2019(table, lsoa11_lookup, tables, eng_lsoa, entry)
            info["carried_to_lsoa21"] = carry
        if level == "lsoa21":
            scope = eng_lsoa if ident.startswith("iod") else lsoa.index
            _check_codes(ident, table, lsoa.index, scope=scope, entry=entry, info=info)
        elif level == "utla24":
            _check_codes(ident, table, utla.index, scope=eng_utla, entry=entry, info=info)
            if "name" in table.columns:
                table["name"] = utla["name"].reindex(table.index).fillna(table["name"])
        elif level == "lad24":
            _check_codes(ident, table, lad.index, scope=lad.index, entry=entry, info=info)
        elif level == "lsoa11":
            _check_codes(ident, table, lsoa11_codes, scope=lsoa11_codes[lsoa11_codes.str.startswith("W")]
                         if ident.startswith("wimd") else lsoa11_codes, entry=entry, info=info)
        elif level == "dz11":
            dz = geo_levels["dz11"].index
            _check_codes(ident, table, dz, scope=dz, entry=entry, info=info)
        expected = entry.get("expected_rows")
        if expected is not None and info.get("rows") != expected:
            msg = f"dataset {ident!r}: expected {expected} rows, found {info.get('rows')}"
            raise OppmapError(msg)
        if level == "utla24" and "region_filter" in entry:
            tables[f"{ident}_england"], tables[f"{ident}_regions"] = _neet_reference(ident, entry, src)
        tables[ident] = table
        note(ident, info)
    return tables


def _neet_reference(ident: str, entry: dict[str, Any], src: Callable[[str], Path]
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """England and regional rows of a DfE table (comparators for councils)."""
    from geo.data.readers import read_csv_strict, to_numeric_report

    cols = {k: v for k, v in entry["columns"].items() if v not in ("utla24_code", "name")}
    out = []
    for flt, code in ((entry["national_filter"], None), (entry["region_filter"], "region_code")):
        raw = read_csv_strict(src(ident), columns={**cols}, source=f"dataset {ident!r}", row_filter=flt)
        raw.index = pd.Index(raw["region_code"] if code else ["E92000001"] * len(raw),
                             name="region_code" if code else "country_code")
        raw = raw.drop(columns=["region_code"])
        num, _ = to_numeric_report(raw, columns=list(raw.columns), source=f"dataset {ident!r}",
                                   suppressed=entry.get("suppressed", ()))
        out.append(num)
    return out[0], out[1]


def _carry_iod2019(table: pd.DataFrame, lookup: pd.DataFrame, tables: dict[str, pd.DataFrame],
                   eng_lsoa: pd.Index, entry: dict[str, Any]) -> tuple[pd.DataFrame, dict[str, Any]]:
    from geo.stats.carry import carry_iod2019_to_lsoa21

    pop11 = tables.get("population_mid2019_lsoa11")
    if pop11 is None:
        msg = "population_mid2019_lsoa11 must be read before iod2019 (registry order)"
        raise OppmapError(msg)
    carried = carry_iod2019_to_lsoa21(table, lookup, pop11["population_total"],
                                      n_ranked=entry.get("n_ranked"))
    carried = carried[carried.index.isin(eng_lsoa)]
    info = {
        "lsoa21_rows": int(len(carried)),
        "by_rule": {str(k): int(v) for k, v in carried["lookup_rule"].value_counts().items()},
        "lsoa21_without_value": sorted(set(eng_lsoa) - set(carried.index)),
    }
    return carried, info


def _build_derived(tables: dict[str, pd.DataFrame], geo_levels: dict[str, gpd.GeoDataFrame],
                   graphs: dict[str, Any], report: dict[str, Any],
                   progress: Callable[[str], None] | None, hotspots: bool) -> dict[str, pd.DataFrame]:
    from geo.data.derived import build_derived_tables

    return build_derived_tables(tables, geo_levels, graphs, report=report["derived"],
                                progress=lambda s: _log(progress, s), hotspots=hotspots,
                                hotspot_params=HOTSPOT_PARAMS)


def format_report(report: dict[str, Any]) -> str:
    """A readable summary of a build report, one line per dataset."""
    if report.get("skipped"):
        return f"store is up to date: {report.get('store')}"
    lines = [f"store built in {report.get('seconds', '?')} s: {report.get('store', '')}"]
    lines.append("levels:")
    for level, info in report.get("levels", {}).items():
        if "rows" in info:
            countries = ", ".join(f"{k} {v}" for k, v in info.get("by_country", {}).items())
            isl = info.get("islands", [])
            lines.append(f"  {level:15s} {info['rows']:>6} ({countries})"
                         + (f"; islands joined: {len(isl)}" if isl else ""))
    lines.append("datasets: rows read -> joined; unmatched; absent; suppressed")
    for ident, info in report.get("datasets", {}).items():
        if "rows_joined" not in info:
            continue
        sup = sum(sum(v.values()) for v in info.get("suppressed", {}).values())
        absent = info.get("absent_codes", [])
        absent_txt = f"{len(absent)} absent" + (f" ({format_codes(absent, limit=3)})" if absent else "")
        lines.append(
            f"  {ident:28s} {info.get('rows_read', '?'):>6} -> {info['rows_joined']:>6}; "
            f"{len(info.get('unmatched_codes', []))} unmatched; {absent_txt}; {sup} suppressed"
        )
        for s in info.get("successors", []):
            lines.append(f"      {s['from']} {s['name']} carried to {', '.join(s['to'])}")
    for name, info in report.get("graphs", {}).items():
        lines.append(f"graph {name}: {info['nodes']} nodes, {info['links']} links, "
                     f"islands joined: {format_codes(info['islands_joined'], limit=6) or 'none'}")
    for name, info in report.get("derived", {}).items():
        lines.append(f"derived {name}: {info}")
    return "\n".join(lines)
