"""Islands in a contiguity graph: the links that join them, and the graph without those links.

:func:`geo.stats.weights.build_contiguity` joins every area outside the largest contiguity
component (the Isles of Scilly, the Isle of Wight, ...) to its nearest areas, so that every area
has neighbours to be tested against. Those links are for inference, not for membership: a
cluster must not cross the Solent. :func:`island_links` finds them again from the polygons (a
link is real contiguity when its polygons touch) and :func:`drop_links` removes them.
"""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from libpysal.graph import Graph

from geo._errors import InputError, format_codes
from geo.stats.weights import _check_frame, _check_graph, _graph_from_pairs

__all__ = ["drop_links", "island_links"]


def island_links(graph: Graph, gdf: gpd.GeoDataFrame | gpd.GeoSeries, *,
                 candidates: Iterable | None = None) -> pd.DataFrame:
    """The links of ``graph`` between polygons that do not touch: those that join islands.

    :func:`build_contiguity` joins islands to their nearest areas so that every area has
    neighbours for inference; those links cross water, and clusters must not. A link is real
    contiguity when its polygons intersect (the rule of the graph itself), so the links whose
    polygons do not are the added ones.

    Parameters
    ----------
    graph
        A graph over (some of) the codes of ``gdf``.
    gdf
        The polygons, indexed by code, in a projected CRS.
    candidates
        Only links with an end among these codes are checked (e.g. the areas flagged as
        islands, ``boundaries.load("lsoa21")["island"]``); default every link.

    Returns
    -------
    pandas.DataFrame
        Columns ``focal`` and ``neighbor``, one row per direction of each such link.

    Examples
    --------
    >>> from geo.stats.weights import build_contiguity
    >>> squares = gpd.GeoSeries([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1),
    ...                          shapely.box(5, 0, 6, 1)], index=["a", "b", "c"], crs=27700)
    >>> graph, _ = build_contiguity(squares)
    >>> sorted(island_links(graph, squares)["focal"])
    ['a', 'b', 'c', 'c']
    """
    _check_graph(graph)
    geoms = _check_frame(gdf)
    adj = graph.adjacency
    focal = adj.index.get_level_values(0)
    neighbor = adj.index.get_level_values(1)
    keep = (adj.to_numpy() != 0) & (focal != neighbor)
    if candidates is not None:
        pool = pd.Index(list(candidates))
        keep &= (pool.get_indexer(focal) >= 0) | (pool.get_indexer(neighbor) >= 0)
    focal, neighbor = focal[keep], neighbor[keep]
    missing = pd.Index(focal).union(pd.Index(neighbor)).difference(geoms.index)
    if len(missing):
        msg = f"`gdf` has no polygon for {len(missing)} graph codes: {format_codes(missing)}."
        raise InputError(msg)
    touch = shapely.intersects(geoms.reindex(focal).to_numpy(), geoms.reindex(neighbor).to_numpy())
    return pd.DataFrame({"focal": np.asarray(focal[~touch]), "neighbor": np.asarray(neighbor[~touch])})


def drop_links(graph: Graph, links: pd.DataFrame) -> Graph:
    """``graph`` without ``links`` (columns ``focal``, ``neighbor``, both directions dropped).

    Areas left without a neighbour become isolates (libpysal's self-loop of weight 0).

    Examples
    --------
    >>> g = Graph.from_arrays(["a", "b", "b", "c"], ["b", "a", "c", "b"], [1.0] * 4)
    >>> cut = drop_links(g, pd.DataFrame({"focal": ["c"], "neighbor": ["b"]}))
    >>> sorted(cut.isolates)
    ['c']
    """
    _check_graph(graph)
    if len(links) == 0:
        return graph
    ids = graph.unique_ids
    adj = graph.adjacency
    heads = ids.get_indexer(adj.index.get_level_values(0))
    tails = ids.get_indexer(adj.index.get_level_values(1))
    n = len(ids)
    a, b = ids.get_indexer(links["focal"]), ids.get_indexer(links["neighbor"])
    gone = np.concatenate([a * n + b, b * n + a])
    keep = (adj.to_numpy() != 0) & ~np.isin(heads.astype(np.int64) * n + tails, gone)
    return _graph_from_pairs(ids, heads[keep], tails[keep])
