"""The geography stage of the store build: lookups, boundaries, parent codes, graphs.

Reads the lookups and boundary files of the registry, gives every council and LSOA its parents
(upper tier, region, combined authority, ward), assembles the upper-tier layer, builds the
contiguity graphs (islands joined to their nearest neighbours) and writes boundaries, display
copies and graphs into the build folder. Every vintage mismatch raises
:class:`~geo._errors.VintageError` naming the codes.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

import boundaries
from geo._errors import OppmapError, VintageError, format_codes
from geo.data._context import BuildContext, write_frame
from geo.data.readers import read_csv_strict
from geo.data.sources import dataset
from geo.stats.weights import build_contiguity

__all__ = ["read_lookups", "read_levels", "build_graphs", "write_levels", "join_report"]

#: Lookups read as tables indexed by their code column.
LOOKUPS = ("lookup_lsoa21_ward24_lad24", "lookup_lad23_utla23", "lookup_lad24_region24",
           "lookup_lad23_cauth23", "lookup_smc205_lad", "lookup_lsoa11_lad21",
           "lookup_mysociety_la")

#: Boundary levels read from GeoPackages: level -> registry id.
BOUNDARY_FILES = {"lad24": "lad24_uk_buc", "lad24_detailed": "lad24_ew_detailed",
                  "lsoa21": "lsoa21_bsc", "dz11": "dz11_scotland"}


def join_report(codes: pd.Index, geography: pd.Index, *, scope: pd.Index | None = None
                ) -> dict[str, Any]:
    """Codes joined, codes without a boundary (``unmatched``) and boundaries without a code."""
    unmatched = sorted(set(codes) - set(geography))
    scope = geography if scope is None else scope
    return {
        "rows_joined": int(len(set(codes) & set(geography))),
        "unmatched_codes": unmatched,
        "absent_codes": sorted(set(scope) - set(codes)),
    }


def read_lookups(ctx: BuildContext) -> dict[str, pd.DataFrame]:
    """Every lookup table by registry id, plus the LSOA 2011 -> 2021 lookup (not indexed)."""
    ctx.log("reading lookups ...")
    lk: dict[str, pd.DataFrame] = {}
    for ident in LOOKUPS:
        lk[ident], info = ctx.read(ident)
        ctx.note(ident, info)
    lk["lookup_lsoa11_lsoa21"], info = _read_lsoa_lookup(ctx.src("lookup_lsoa11_lsoa21"))
    ctx.note("lookup_lsoa11_lsoa21", info)
    return lk


def _read_lsoa_lookup(path: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The ONS LSOA 2011 -> 2021 lookup as rows (a 2011 code may reach several 2021 codes)."""
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


def read_levels(ctx: BuildContext, lk: dict[str, pd.DataFrame]) -> dict[str, gpd.GeoDataFrame]:
    """Read every boundary level, give it its parents, and check the vintages agree.

    Returns
    -------
    dict
        Level name -> boundaries in EPSG:27700 indexed by code, each with ``country`` and
        ``island`` (``False`` until :func:`build_graphs` flags them).
    """
    ctx.log("reading boundaries (repairing invalid geometries) ...")
    geo_levels: dict[str, gpd.GeoDataFrame] = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for level, ident in BOUNDARY_FILES.items():
            entry = dataset(ident)
            geo_levels[level], info = boundaries.read_boundaries(
                ctx.src(ident), columns=entry["columns"], code_column=entry["code_column"],
                expected_rows=entry.get("expected_rows"))
            ctx.note(ident, info)
        year = dataset("ons_topojson")["year"]
        utla, info_u = boundaries.read_topojson_layer(
            ctx.src("ons_topojson"), layer="utla", year=year, code_column="utla24_code")
        region, info_r = boundaries.read_topojson_layer(
            ctx.src("ons_topojson"), layer="rgn", year=year, code_column="region_code",
            prefixes=("E12",))
        councils_s, info_l = boundaries.read_topojson_layer(
            ctx.src("ons_topojson"), layer="ltla", year=year, code_column="lad24_code",
            prefixes=("S",))
        ctx.note("ons_topojson", {"utla": info_u, "rgn": info_r, "ltla_scotland": info_l})
    ctx.report["warnings"] = [str(w.message) for w in caught]
    lad = geo_levels["lad24"]
    for gdf in (lad, geo_levels["lad24_detailed"]):
        _attach_council_parents(gdf, lk)
    _check_council_parents(lad, lk, ctx.report)
    geo_levels["lsoa21"] = _join_lsoa_parents(geo_levels["lsoa21"], lad,
                                              lk["lookup_lsoa21_ward24_lad24"])
    geo_levels["utla24"] = _upper_tier(utla, lad, lk["lookup_lad23_utla23"], ctx.report)
    geo_levels["dz11"] = _fit_data_zones(geo_levels["dz11"], councils_s, lad, ctx.report)
    geo_levels["region"] = region
    for level, gdf in geo_levels.items():
        gdf.index.name = boundaries.index_name(level)
        gdf["island"] = False
    return geo_levels


def _attach_council_parents(gdf: gpd.GeoDataFrame, lk: dict[str, pd.DataFrame]) -> None:
    """Upper tier, region and combined authority of each council (in place)."""
    codes = pd.Series(gdf.index, index=gdf.index)
    l2r = lk["lookup_lad24_region24"]
    l2c = lk["lookup_lad23_cauth23"]
    # Scottish and Northern Irish councils are single-tier: their own upper tier.
    gdf["utla24_code"] = codes.map(lk["lookup_lad23_utla23"]["utla24_code"]).fillna(
        codes.where(~gdf.index.str.startswith(("E", "W"))))
    gdf["region_code"] = codes.map(l2r["region_code"])
    gdf["region_name"] = codes.map(l2r["region_name"])
    gdf["cauth_code"] = codes.map(l2c["cauth_code"])
    gdf["cauth_name"] = codes.map(l2c["cauth_name"])


def _check_council_parents(lad: gpd.GeoDataFrame, lk: dict[str, pd.DataFrame],
                           report: dict[str, Any]) -> None:
    l2u, l2r = lk["lookup_lad23_utla23"], lk["lookup_lad24_region24"]
    missing_region = sorted(set(lad.index[lad.index.str.startswith("E")]) - set(l2r.index))
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


def _join_lsoa_parents(lsoa: gpd.GeoDataFrame, lad: gpd.GeoDataFrame,
                       lookup: pd.DataFrame) -> gpd.GeoDataFrame:
    """Ward and council of every LSOA 2021, then the council's parents."""
    jr = join_report(lookup.index, lsoa.index)
    if jr["unmatched_codes"] or jr["absent_codes"]:
        msg = (f"LSOA21 -> ward -> LAD24 lookup does not match the LSOA21 boundaries: "
               f"{len(jr['unmatched_codes'])} lookup codes without a boundary "
               f"({format_codes(jr['unmatched_codes'])}), {len(jr['absent_codes'])} boundaries "
               f"without a lookup row ({format_codes(jr['absent_codes'])})")
        raise VintageError(msg)
    lsoa = lsoa.join(lookup[["lad24_code", "lad24_name", "ward24_code", "ward24_name"]],
                     validate="one_to_one")
    bad_lad = sorted(set(lsoa["lad24_code"]) - set(lad.index))
    if bad_lad:
        msg = f"LSOA lookup names councils that are not LAD 2024 codes: {format_codes(bad_lad)}"
        raise VintageError(msg)
    for col in ("utla24_code", "region_code", "cauth_code"):
        lsoa[col] = lsoa["lad24_code"].map(lad[col])
    return lsoa


def _upper_tier(utla: gpd.GeoDataFrame, lad: gpd.GeoDataFrame, l2u: pd.DataFrame,
                report: dict[str, Any]) -> gpd.GeoDataFrame:
    """Upper-tier councils: England and Wales from the TopoJSON, single-tier ones from LAD24.

    The TopoJSON keeps Glasgow and North Lanarkshire under their pre-2019 codes
    S12000046/S12000044 with no end year, so Scotland and Northern Ireland come from LAD24.
    """
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
    jr = join_report(utla.index, pd.Index(sorted(set(l2u["utla24_code"]) | set(single))))
    if jr["absent_codes"]:
        msg = f"upper-tier councils in the lookup missing from the 2024 TopoJSON: {format_codes(jr['absent_codes'])}"
        raise VintageError(msg)
    extra = jr["unmatched_codes"]
    utla = utla.drop(index=extra)
    report["levels"]["utla24"] = {"dropped_not_in_2024_lookup": extra}
    utla["region_code"] = lad.groupby("utla24_code")["region_code"].first().reindex(utla.index)
    return utla


def _fit_data_zones(dz: gpd.GeoDataFrame, councils: gpd.GeoDataFrame, lad: gpd.GeoDataFrame,
                    report: dict[str, Any]) -> gpd.GeoDataFrame:
    """Give each Scottish data zone the council holding most of its area (best fit), reported.

    The fit uses the TopoJSON council outlines (finer than LAD24 BUC); its pre-2019 codes of
    Glasgow City and North Lanarkshire are recoded by the registry's ``stale_codes``.
    """
    stale = dataset("ons_topojson").get("stale_codes", {})
    councils = councils.rename(index=stale)
    councils.index.name = "lad24_code"
    scottish = lad.index[lad["country"] == "S"]
    if set(councils.index) != set(scottish):
        msg = (f"Scottish councils of the TopoJSON ({format_codes(sorted(councils.index))}) are "
               f"not the LAD 2024 ones ({format_codes(sorted(scottish))}); update `stale_codes` "
               "of ons_topojson in data/sources.toml")
        raise VintageError(msg)
    fit = boundaries.best_fit(dz, councils)
    dz = dz.join(fit[["lad24_code"]].assign(council_share=fit["share"]), validate="one_to_one")
    dz["lad24_name"] = dz["lad24_code"].map(lad["name"])
    for col in ("utla24_code", "region_code", "cauth_code"):
        dz[col] = dz["lad24_code"].map(lad[col])
    straddling = fit[fit["straddles"]].sort_values("share")
    report["levels"]["dz11_councils"] = {
        "method": ("best fit by area on the ONS TopoJSON council outlines (2024; recoded "
                   + ", ".join(f"{a} -> {b}" for a, b in sorted(stale.items())) + ")"),
        "councils": int(dz["lad24_code"].nunique()),
        "straddle_share": boundaries.STRADDLE_SHARE,
        "straddling": [{"dz11_code": str(c), "name": str(dz.loc[c, "name"]),
                        "lad24_code": str(r["lad24_code"]), "share": round(float(r["share"]), 3),
                        "second_code": str(r["second_code"]),
                        "second_share": round(float(r["second_share"]), 3)}
                       for c, r in straddling.iterrows()],
    }
    return dz


def build_graphs(geo_levels: dict[str, gpd.GeoDataFrame], report: dict[str, Any]
                 ) -> dict[str, Any]:
    """Contiguity graphs (islands joined) by name, as listed in :data:`boundaries.GRAPHS`.

    Nodes joined to their nearest neighbours are flagged in their level's ``island`` column;
    the England-and-Wales ``lsoa21`` graph flags none (its islands are flagged by the national
    graphs, so an island is one of its own nation's).
    """
    graphs = {}
    for name, (level, country) in boundaries.GRAPH_LEVELS.items():
        gdf = geo_levels[level]
        if country is not None:
            gdf = gdf[gdf["country"] == country]
        t = time.perf_counter()
        graph, islands = build_contiguity(gdf)
        graphs[name] = graph
        if name != "lsoa21":
            geo_levels[level].loc[list(islands), "island"] = True
        report["graphs"][name] = {
            "nodes": int(graph.n),
            "links": int(len(graph.adjacency)),
            "islands_joined": [str(c) for c in islands],
            "seconds": round(time.perf_counter() - t, 2),
        }
    return graphs


#: Columns kept in the display copies, when the level has them.
DISPLAY_COLUMNS = ("name", "country", "lad24_code", "lad24_name", "ward24_name", "utla24_code",
                   "region_code")


def write_levels(tmp: Path, geo_levels: dict[str, gpd.GeoDataFrame], graphs: dict[str, Any],
                 report: dict[str, Any]) -> list[str]:
    """Write boundaries, display copies and graphs; return the files written (relative)."""
    files = []
    for level, gdf in geo_levels.items():
        write_frame(gdf, tmp / "boundaries" / f"{level}.parquet")
        files.append(f"boundaries/{level}.parquet")
        info = report["levels"].setdefault(level, {})
        info["rows"] = int(len(gdf))
        info["by_country"] = {k: int(v) for k, v in gdf["country"].value_counts().sort_index().items()}
        info["islands"] = [str(c) for c in gdf.index[gdf["island"]]]
    for (level, view), tol in boundaries.DISPLAY_TOLERANCES.items():
        gdf = geo_levels[level]
        keep = [c for c in DISPLAY_COLUMNS if c in gdf.columns]
        write_frame(boundaries.display_copy(gdf, tolerance=tol, columns=keep),
                    tmp / "display" / f"{level}_{view}.parquet")
        files.append(f"display/{level}_{view}.parquet")
    for name, graph in graphs.items():
        path = tmp / "graphs" / f"{name}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        graph.to_parquet(path)
        files.append(f"graphs/{name}.parquet")
    return files
