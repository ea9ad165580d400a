"""Best fit of small areas to the councils that contain them, by shared area.

Scottish data zones (2011) come with no lookup to the 2024 councils in the mirror. They nest in
the 2011 council areas, so each is given to the council that holds the largest part of its area;
the share of its area in that council says how clean the fit is, and a zone with a sizeable part
in a second council *straddles* the boundary (generalised outlines, or a boundary moved since
2011). Shares are of the part of the zone inside any council, so a coastline drawn more coarsely
in one file than in the other does not count as straddling.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from boundaries._errors import OppmapError, format_codes

__all__ = ["STRADDLE_SHARE", "best_fit"]

#: A small area straddles when at least this share of its area lies in a second parent.
STRADDLE_SHARE = 0.10


def best_fit(children: gpd.GeoDataFrame, parents: gpd.GeoDataFrame, *,
             straddle: float = STRADDLE_SHARE) -> pd.DataFrame:
    """Give each child area the parent that holds the largest share of its area.

    Parameters
    ----------
    children, parents
        Polygons indexed by unique codes (named, e.g. ``dz11_code`` and ``lad24_code``), in the
        same projected CRS.
    straddle
        Share of a child's area in its second parent from which it is said to straddle.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``children``: ``<parent index name>`` (the best fit), ``share`` (of the
        child's area inside any parent), ``second_code``, ``second_share`` (``None``/0 when the
        child lies in one parent) and ``straddles`` (bool).

    Raises
    ------
    OppmapError
        If the CRS differ or are not projected, or a child overlaps no parent at all.

    Examples
    --------
    >>> import shapely
    >>> kids = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 10, 10), shapely.box(8, 0, 12, 10)],
    ...                         index=pd.Index(["a", "b"], name="dz11_code"), crs=27700)
    >>> pars = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 9, 10), shapely.box(9, 0, 20, 10)],
    ...                         index=pd.Index(["P", "Q"], name="lad24_code"), crs=27700)
    >>> best_fit(kids, pars)[["lad24_code", "straddles"]].values.tolist()
    [['P', True], ['Q', True]]
    """
    if children.crs is None or not children.crs.is_projected or children.crs != parents.crs:
        msg = (f"`children` and `parents` must share one projected CRS (EPSG:27700); got "
               f"{children.crs} and {parents.crs}")
        raise OppmapError(msg)
    child, parent = children.index.name or "child", parents.index.name or "parent"
    parts = gpd.overlay(
        gpd.GeoDataFrame({child: children.index.to_numpy()}, geometry=children.geometry.values,
                         crs=children.crs),
        gpd.GeoDataFrame({parent: parents.index.to_numpy()}, geometry=parents.geometry.values,
                         crs=parents.crs),
        how="intersection", keep_geom_type=True)
    parts = pd.DataFrame({"child": parts[child], "parent": parts[parent], "area": parts.area})
    parts = parts.groupby(["child", "parent"], as_index=False)["area"].sum()
    parts["share"] = parts["area"] / parts.groupby("child")["area"].transform("sum")
    parts = parts.sort_values(["child", "share", "parent"], ascending=[True, False, True])
    first = parts.drop_duplicates("child").set_index("child")
    second = parts[parts.duplicated("child")].drop_duplicates("child").set_index("child")
    lost = children.index.difference(first.index)
    if len(lost):
        msg = f"{len(lost)} areas overlap no parent at all: {format_codes(lost)}"
        raise OppmapError(msg)
    out = pd.DataFrame(index=children.index)
    out[parent] = first["parent"].reindex(out.index)
    out["share"] = first["share"].reindex(out.index)
    out["second_code"] = second["parent"].reindex(out.index)
    out["second_share"] = second["share"].reindex(out.index).fillna(0.0)
    out["straddles"] = out["second_share"] >= straddle
    return out
