"""IoD-style summaries for a user's own polygons, each LSOA assigned by best fit.

A user's areas (wards of a plan, a regeneration zone, a catchment) rarely follow LSOA boundaries.
*Best fit* assigns each LSOA wholly to the polygon that contains its centroid
(:func:`assign_best_fit`), as the ONS best-fit lookups do; :func:`summarise_best_fit` then
summarises the LSOAs of each polygon with :func:`geo.stats.summaries.summarise_areas` and reports
the LSOAs that fall in no polygon and the polygons that receive none.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd

from geo._errors import (
    InputError,
    UnmatchedCodesWarning,
    format_codes,
)
from geo.stats._frames import _check_frame, _check_unique
from geo.stats.summaries import summarise_areas

__all__ = ['assign_best_fit', 'summarise_best_fit']


def _check_projected(crs, name: str) -> None:
    if crs is None:
        msg = (
            f"`{name}` has no CRS; expected a projected CRS such as EPSG:27700. Set it with "
            f"`.set_crs(...)` if you know it, then `.to_crs(27700)`"
        )
        raise InputError(msg)
    if not crs.is_projected:
        msg = (
            f"`{name}` is in {crs.to_string()}, a geographic CRS; expected a projected one such "
            f"as EPSG:27700. Fix: `{name}.to_crs(27700)`"
        )
        raise InputError(msg)


def assign_best_fit(lsoa_points: gpd.GeoSeries, polygons: gpd.GeoDataFrame) -> pd.Series:
    """Assign each LSOA to the polygon that contains its centroid.

    Parameters
    ----------
    lsoa_points
        LSOA centroids (points) indexed by LSOA code, in a projected CRS (EPSG:27700).
    polygons
        The user's areas, indexed by a unique id, in the same CRS. They must not overlap.

    Returns
    -------
    pandas.Series
        Indexed like ``lsoa_points``: the id of the containing polygon, NaN where the centroid
        falls in no polygon. Its name is ``<polygons.index.name>`` (``"polygon_id"`` if unnamed).
        A centroid lying exactly on an edge shared by two polygons goes to the first of them in
        ``polygons`` order.

    Raises
    ------
    InputError
        If a CRS is missing, geographic or differs between the inputs, if ``lsoa_points`` holds
        non-point geometries, or if polygons overlap at some centroid.
    DuplicateCodeError
        If either index repeats a code.
    """
    if not isinstance(lsoa_points, gpd.GeoSeries):
        if isinstance(lsoa_points, gpd.GeoDataFrame):
            lsoa_points = lsoa_points.geometry
        else:
            msg = f"`lsoa_points` must be a GeoSeries of LSOA centroids; got {type(lsoa_points).__name__}"
            raise InputError(msg)
    if not isinstance(polygons, gpd.GeoDataFrame):
        if isinstance(polygons, gpd.GeoSeries):
            polygons = polygons.to_frame("geometry")
        else:
            msg = f"`polygons` must be a GeoDataFrame of areas; got {type(polygons).__name__}"
            raise InputError(msg)
    _check_unique(lsoa_points.index, "lsoa_points")
    _check_unique(polygons.index, "polygons")
    _check_projected(lsoa_points.crs, "lsoa_points")
    _check_projected(polygons.crs, "polygons")
    if lsoa_points.crs != polygons.crs:
        msg = (
            f"`polygons` is in {polygons.crs.to_string()} but `lsoa_points` in "
            f"{lsoa_points.crs.to_string()}; expected the same CRS. Fix: "
            f"`polygons.to_crs({lsoa_points.crs.to_string()!r})`"
        )
        raise InputError(msg)
    not_points = lsoa_points.index[~lsoa_points.geom_type.isin(["Point"]).to_numpy()]
    if len(not_points):
        msg = (
            f"`lsoa_points` must hold points; {len(not_points)} are not: {format_codes(not_points)}. "
            "Fix: pass `lsoa.geometry.representative_point()` or `.centroid`"
        )
        raise InputError(msg)

    name = polygons.index.name or "polygon_id"
    pairs = _containing_pairs(lsoa_points, polygons)
    assigned = pd.Series(np.nan, index=lsoa_points.index, dtype=object, name=name)
    assigned.iloc[pairs["pt"].to_numpy()] = polygons.index[pairs["poly"].to_numpy()].to_numpy()
    return assigned


def _containing_pairs(lsoa_points: gpd.GeoSeries, polygons: gpd.GeoDataFrame) -> pd.DataFrame:
    """Positions (``pt``, ``poly``) of each point and the one polygon it is assigned to.

    A point inside two polygons raises; a point on a shared edge goes to the first polygon.
    """
    poly_geoms = polygons.geometry.reset_index(drop=True)
    pt_idx, poly_idx = poly_geoms.sindex.query(lsoa_points.reset_index(drop=True), predicate="intersects")
    pairs = pd.DataFrame({"pt": pt_idx, "poly": poly_idx})
    multi = pairs["pt"].duplicated(keep=False)
    if multi.any():
        sub = pairs[multi]
        pts = lsoa_points.iloc[sub["pt"].to_numpy()].reset_index(drop=True)
        within = pts.within(poly_geoms.iloc[sub["poly"].to_numpy()].reset_index(drop=True))
        sub = sub.assign(interior=within.to_numpy())
        n_interior = sub.groupby("pt")["interior"].sum()
        overlapping = n_interior.index[n_interior > 1]
        if len(overlapping):
            bad_pts = lsoa_points.index[overlapping]
            bad_polys = polygons.index[sub.loc[sub["pt"].isin(overlapping), "poly"].unique()]
            msg = (
                f"`polygons` overlap: {len(bad_pts)} LSOA centroid(s) lie inside more than one "
                f"polygon ({format_codes(bad_pts)}; polygons {format_codes(bad_polys)}). Best fit "
                "needs non-overlapping polygons: dissolve or clip the overlaps first"
            )
            raise InputError(msg)
        keep_interior = sub[sub["interior"]]
        on_edge = sub[~sub["pt"].isin(keep_interior["pt"])].sort_values(["pt", "poly"])
        on_edge = on_edge.drop_duplicates("pt", keep="first")
        pairs = pd.concat([pairs[~multi], keep_interior[["pt", "poly"]], on_edge[["pt", "poly"]]])
    return pairs


def summarise_best_fit(
    table: pd.DataFrame,
    *,
    lsoa_points: gpd.GeoSeries,
    polygons: gpd.GeoDataFrame,
    population: pd.Series | pd.DataFrame,
    domains: Iterable[str] | str | None = None,
    n_ranked: int | None = None,
) -> pd.DataFrame:
    """Summarise LSOAs for a user's own polygons, assigning each LSOA by its centroid.

    Parameters
    ----------
    table, population, domains, n_ranked
        As in :func:`summarise_areas`.
    lsoa_points
        LSOA centroids indexed by LSOA code, EPSG:27700 (or another projected CRS shared with
        ``polygons``).
    polygons
        The user's areas, indexed by a unique id.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``polygons`` (every polygon, NaN measures where no LSOA centroid falls inside),
        with the columns of :func:`summarise_areas`. ``result.attrs["unassigned_lsoas"]`` lists the
        LSOAs of ``table`` whose centroid falls in no polygon.

    Raises
    ------
    InputError
        On a missing, geographic or mismatched CRS, or overlapping polygons (see
        :func:`assign_best_fit`), and as :func:`summarise_areas`.

    Warns
    -----
    UnmatchedCodesWarning
        LSOAs of ``table`` whose centroid falls in no polygon, polygons that receive no LSOA,
        and LSOAs of ``table`` without a centroid.
    """
    _check_frame(table, "table")
    _check_unique(table.index, "table")
    assigned = assign_best_fit(lsoa_points, polygons)
    name = assigned.name
    in_table = assigned[assigned.index.isin(table.index)]
    no_centroid = table.index.difference(assigned.index)
    if len(no_centroid):
        msg = (
            f"{len(no_centroid)} LSOA(s) of `table` have no point in `lsoa_points` and are left "
            f"out: {format_codes(no_centroid)}"
        )
        warnings.warn(msg, UnmatchedCodesWarning, stacklevel=2)
    unassigned = in_table.index[in_table.isna().to_numpy()]
    if len(unassigned):
        msg = (
            f"{len(unassigned)} LSOA centroid(s) fall in no polygon and are left out: "
            f"{format_codes(unassigned)}"
        )
        warnings.warn(msg, UnmatchedCodesWarning, stacklevel=2)
    empty = polygons.index.difference(pd.Index(in_table.dropna().unique()))
    if len(empty):
        msg = f"{len(empty)} polygon(s) contain no LSOA centroid: {format_codes(empty)}"
        warnings.warn(msg, UnmatchedCodesWarning, stacklevel=2)
    # the whole table goes in, so that an inferred n_ranked sees every rank; LSOAs with no
    # polygon have a NaN parent and are left out without a second warning
    result = summarise_areas(
        table,
        parent=assigned.reindex(table.index),
        population=population,
        domains=domains,
        n_ranked=n_ranked,
        parent_level=str(name),
    )
    attrs = dict(result.attrs)
    result = result.reindex(polygons.index)
    result.index.name = polygons.index.name
    result.attrs = attrs
    result.attrs["unassigned_lsoas"] = list(unassigned)
    return result
