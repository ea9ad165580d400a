"""Spatial weights graphs: contiguity with islands joined, k-nearest neighbours, council subgraphs.

Every graph here is a :class:`libpysal.graph.Graph` whose ids are the area codes of the input
(in the input's row order), with binary weights (transformation ``"B"``). Contiguity comes from
``Graph.build_fuzzy_contiguity`` (polygons that intersect are neighbours), which on the 33,755
English LSOAs is several times faster than queen contiguity and gives the same links on these
coverage-clean boundaries.

Islands are the honest problem of contiguity in Britain: the Isles of Scilly, the Isle of Wight,
Anglesey, Orkney, Shetland, Na h-Eileanan Siar, Hayling Island at LSOA level, and Northern
Ireland's councils (a component of their own on the UK LAD layer) have no contiguity path to the
mainland. A local statistic on an area with no neighbours tests nothing, and a small disconnected
component is compared with itself only. :func:`build_contiguity` flags every area outside the
largest connected component and joins each such component to its nearest areas outside it.

Graphs are values here: the build writes them to the store and ``boundaries.load_graph`` reads
them back (through the same id-order guard as :func:`ensure_canonical`); nothing in this module
touches a file.
"""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from libpysal.graph import Graph
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from geo._errors import DuplicateCodeError, InputError, format_codes

__all__ = ["build_contiguity", "ensure_canonical", "graph_matrix", "knn_graph", "subgraph_with_ring"]


def _check_frame(gdf, *, argument: str = "gdf") -> gpd.GeoSeries:
    """Validate a GeoDataFrame/GeoSeries for graph building and return its geometry column."""
    if isinstance(gdf, gpd.GeoDataFrame):
        geoms = gdf.geometry
    elif isinstance(gdf, gpd.GeoSeries):
        geoms = gdf
    else:
        msg = (
            f"`{argument}` must be a GeoDataFrame or GeoSeries indexed by area code; "
            f"got {type(gdf).__name__}. Read boundaries with boundaries.load(level)."
        )
        raise InputError(msg)
    problems = []
    if geoms.crs is None:
        problems.append(
            "it has no CRS; set it (e.g. gdf.set_crs(27700)) before building weights"
        )
    elif not geoms.crs.is_projected:
        problems.append(
            f"its CRS {geoms.crs.to_string()} is geographic (degrees), but distances and "
            "nearest neighbours need metres; reproject with gdf.to_crs(27700)"
        )
    if len(geoms) == 0:
        problems.append("it has no rows")
    dup = geoms.index[geoms.index.duplicated()].unique()
    if len(dup):
        msg = (
            f"`{argument}` index must hold unique area codes; {len(dup)} codes are repeated: "
            f"{format_codes(dup)}. Drop or dissolve the duplicates first."
        )
        raise DuplicateCodeError(msg)
    bad = geoms.index[geoms.isna() | geoms.is_empty]
    if len(bad):
        problems.append(
            f"{len(bad)} rows have a missing or empty geometry ({format_codes(bad)}); "
            "drop them or repair the boundaries"
        )
    if problems:
        msg = f"`{argument}` cannot be used to build a weights graph: " + "; ".join(problems) + "."
        raise InputError(msg)
    return geoms


def _check_graph(graph, *, argument: str = "graph") -> Graph:
    if not isinstance(graph, Graph):
        msg = (
            f"`{argument}` must be a libpysal.graph.Graph (from build_contiguity, knn_graph or "
            f"boundaries.load_graph); got {type(graph).__name__}."
        )
        raise InputError(msg)
    return graph


def graph_matrix(graph: Graph) -> sparse.csr_array:
    """Return the graph's binary adjacency as a CSR matrix ordered like ``graph.unique_ids``.

    Self-loops (libpysal encodes an isolate as a self-loop of weight 0) are dropped; any other
    nonzero weight becomes 1. ``graph.sparse`` (cached by libpysal) is read, never modified.

    Parameters
    ----------
    graph
        A libpysal Graph.

    Returns
    -------
    scipy.sparse.csr_array
        ``n x n`` matrix of 0/1 floats, row ``i`` is ``graph.unique_ids[i]``.

    Examples
    --------
    >>> g = Graph.from_arrays(["a", "b"], ["b", "a"], [1.0, 1.0])
    >>> graph_matrix(g).toarray().tolist()
    [[0.0, 1.0], [1.0, 0.0]]
    """
    _check_graph(graph)
    ids = graph.unique_ids
    adj = graph._adjacency  # read only (Graph.adjacency would copy it)
    index = adj.index
    # map level codes to positions in unique_ids: correct even when the MultiIndex levels are
    # not in unique_ids order (a graph read back from Parquet), unlike Graph.sparse
    rows = ids.get_indexer(index.levels[0])[index.codes[0]]
    cols = ids.get_indexer(index.levels[1])[index.codes[1]]
    keep = (adj.to_numpy() != 0) & (rows != cols)
    n = len(ids)
    mat = sparse.csr_array((np.ones(int(keep.sum())), (rows[keep], cols[keep])), shape=(n, n))
    mat.sum_duplicates()
    mat.data[:] = 1.0
    return mat


def ensure_canonical(graph: Graph) -> Graph:
    """Return ``graph`` itself, or a rebuilt copy whose ``Graph.sparse`` follows ``unique_ids``.

    libpysal trap: ``read_parquet`` (and so ``Graph.to_parquet`` round trips) restores the
    adjacency with MultiIndex levels in lexicographic order while ``unique_ids`` keeps the
    saved order; ``Graph.sparse`` then orders rows lexicographically and every positional
    consumer (esda) silently pairs values with the wrong areas unless the ids happen to be
    sorted. Rebuilding through the ``Graph`` constructor re-sorts the levels.

    Parameters
    ----------
    graph
        Any libpysal Graph.

    Returns
    -------
    libpysal.graph.Graph
        A graph whose sparse matrix rows and columns follow ``graph.unique_ids``.

    Examples
    --------
    >>> g = Graph.from_arrays(["b", "a"], ["a", "b"], [1.0, 1.0])
    >>> ensure_canonical(g) is g
    True
    """
    _check_graph(graph)
    index = graph._adjacency.index
    ids = graph.unique_ids
    if index.levels[0].equals(ids) and index.levels[1].equals(ids):
        return graph
    return Graph(graph.adjacency, transformation=graph.transformation)


def _graph_from_pairs(ids: pd.Index, heads: np.ndarray, tails: np.ndarray) -> Graph:
    """Binary Graph on ``ids`` (in that order) from positional edge arrays; isolates self-loop 0."""
    n = len(ids)
    keep = heads != tails
    key = np.unique(heads[keep].astype(np.int64) * n + tails[keep].astype(np.int64))
    h, t = key // n, key % n
    weights = np.ones(len(h))
    lonely = np.setdiff1d(np.arange(n), h)
    if len(lonely):
        h = np.concatenate([h, lonely])
        t = np.concatenate([t, lonely])
        weights = np.concatenate([weights, np.zeros(len(lonely))])
        order = np.lexsort((t, h))
        h, t, weights = h[order], t[order], weights[order]
    ids = pd.Index(ids)
    return Graph.from_arrays(ids[h], ids[t], weights, transformation="B")


def _nearest_outside_pairs(
    geoms: np.ndarray,
    tree: shapely.STRtree,
    labels: np.ndarray,
    component: int,
    *,
    n_links: int,
    max_stretch: float,
    extent: float,
) -> list[tuple[int, int, float]]:
    """The shortest member-to-outside pairs of one component (positions and distance)."""
    members = np.flatnonzero(labels == component)
    member_geoms = geoms[members]
    n_outside = int((labels != component).sum())
    wanted = min(n_links, n_outside)
    radius = 1000.0
    while True:
        left, right = tree.query(member_geoms, predicate="dwithin", distance=radius)
        outside = labels[right] != component
        a, b = members[left[outside]], right[outside]
        if len(a) >= wanted or radius > 4 * extent:
            break
        radius *= 4
    dist = shapely.distance(geoms[a], geoms[b])
    order = np.lexsort((b, a, dist))[:wanted]
    a, b, dist = a[order], b[order], dist[order]
    limit = max(dist[0] * max_stretch, dist[0] + 1.0)
    keep = (dist <= limit) | (np.arange(len(dist)) == 0)
    return list(zip(a[keep].tolist(), b[keep].tolist(), dist[keep].tolist(), strict=True))


def _touching_pairs(geoms: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray]:
    """Positional (head, tail) pairs of polygons that intersect (fuzzy contiguity), no self-loops."""
    adj = Graph.build_fuzzy_contiguity(geoms.reset_index(drop=True)).adjacency
    heads = np.asarray(adj.index.get_level_values(0), dtype=np.int64)
    tails = np.asarray(adj.index.get_level_values(1), dtype=np.int64)
    real = (adj.to_numpy() != 0) & (heads != tails)
    return heads[real], tails[real]


def _components(heads: np.ndarray, tails: np.ndarray, n: int) -> np.ndarray:
    """Connected-component label of each of ``n`` nodes linked by the pairs."""
    mat = sparse.csr_array((np.ones(len(heads)), (heads, tails)), shape=(n, n))
    return connected_components(mat, directed=False)[1]


def _join_components(geoms: gpd.GeoSeries, heads: np.ndarray, tails: np.ndarray,
                     labels: np.ndarray, *, n_links: int, max_stretch: float
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Add symmetric links from every component but the largest to its nearest outside areas,
    round after round, until one component remains."""
    geom_array = np.asarray(geoms.array, dtype=object)
    tree = shapely.STRtree(geom_array)
    xmin, ymin, xmax, ymax = geoms.total_bounds
    extent = float(np.hypot(xmax - xmin, ymax - ymin)) or 1.0
    while labels.max() > 0:
        main = int(np.argmax(np.bincount(labels)))
        added_h, added_t = [], []
        for comp in range(labels.max() + 1):
            if comp == main:
                continue
            pairs = _nearest_outside_pairs(geom_array, tree, labels, comp, n_links=n_links,
                                           max_stretch=max_stretch, extent=extent)
            for a, b, _ in pairs:
                added_h += [a, b]
                added_t += [b, a]
        heads = np.concatenate([heads, np.asarray(added_h, dtype=np.int64)])
        tails = np.concatenate([tails, np.asarray(added_t, dtype=np.int64)])
        labels = _components(heads, tails, len(geom_array))
    return heads, tails


def build_contiguity(
    gdf: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    connect_islands: bool = True,
    n_links: int = 3,
    max_stretch: float = 2.0,
) -> tuple[Graph, pd.Index]:
    """Build a binary fuzzy-contiguity graph and join islands to their nearest neighbours.

    Two areas are neighbours when their polygons intersect (``Graph.build_fuzzy_contiguity``).
    *Islands* are all areas outside the largest connected component of that graph: isolates
    (the Isles of Scilly LSOA) and small disconnected components alike (the Isle of Wight's 89
    LSOAs, Hayling Island, Northern Ireland's 11 councils on the UK layer).

    Joining rule (``connect_islands=True``): each component other than the largest one is
    linked to the areas outside it that are nearest by polygon distance (in the CRS units,
    metres for EPSG:27700). Every member proposes its nearest outside areas; of all
    member-to-outside pairs the ``n_links`` shortest are kept, except pairs longer than
    ``max_stretch`` times the component's shortest pair (the shortest is always kept), so a
    remote island is not tied to far-away places only to reach the count. Links are symmetric
    and binary. The rule is applied again until one component remains (Shetland may first join
    Orkney, which joins the mainland). Ties are broken by row order, so the result is
    deterministic.

    Parameters
    ----------
    gdf
        Polygons indexed by unique area code, in a projected CRS (EPSG:27700 for Britain).
    connect_islands
        Join islands as described above. With ``False`` isolates stay isolates (encoded by
        libpysal as a self-loop of weight 0) and components stay apart.
    n_links
        Upper bound on the number of links added per disconnected component.
    max_stretch
        Links longer than this multiple of the component's shortest link are not added.

    Returns
    -------
    graph : libpysal.graph.Graph
        Binary (``transformation="B"``), symmetric, ids in the order of ``gdf.index``; with
        ``connect_islands=True`` it is connected and has no isolates.
    islands : pandas.Index
        Codes of the areas outside the largest contiguity component, in ``gdf`` order, named
        like ``gdf.index``.

    Raises
    ------
    InputError
        ``gdf`` is not a GeoDataFrame/GeoSeries, has no CRS or a geographic CRS, or has
        missing geometries; ``n_links`` < 1.
    DuplicateCodeError
        The index repeats a code.

    Examples
    --------
    >>> import shapely
    >>> squares = gpd.GeoSeries(
    ...     [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1), shapely.box(5, 0, 6, 1)],
    ...     index=pd.Index(["a", "b", "c"], name="code"), crs=27700)
    >>> graph, islands = build_contiguity(squares)
    >>> list(islands), sorted(graph.neighbors["c"])
    (['c'], ['a', 'b'])
    >>> sorted(build_contiguity(squares, n_links=1)[0].neighbors["c"])
    ['b']
    """
    geoms = _check_frame(gdf)
    if not isinstance(n_links, int | np.integer) or n_links < 1:
        msg = f"`n_links` must be a positive integer; got {n_links!r}."
        raise InputError(msg)
    if not max_stretch >= 1:
        msg = f"`max_stretch` must be a number >= 1; got {max_stretch!r}."
        raise InputError(msg)
    ids = geoms.index
    heads, tails = _touching_pairs(geoms)
    labels = _components(heads, tails, len(ids))
    islands = ids[labels != np.argmax(np.bincount(labels))]
    if connect_islands and len(islands):
        heads, tails = _join_components(geoms, heads, tails, labels, n_links=int(n_links),
                                        max_stretch=float(max_stretch))
    return _graph_from_pairs(ids, heads, tails), pd.Index(islands, name=ids.name)


def knn_graph(gdf: gpd.GeoDataFrame | gpd.GeoSeries, *, k: int = 8) -> Graph:
    """Build a binary k-nearest-neighbour graph from polygon centroids (for robustness checks).

    The graph is not symmetric (``a`` may be among ``b``'s ``k`` nearest without the
    reverse); every area has exactly ``k`` neighbours, so there are no islands. Centroids that
    coincide are all joined to each other (libpysal's ``coplanar="clique"``).

    Parameters
    ----------
    gdf
        Polygons (or points) indexed by unique area code, in a projected CRS.
    k
        Number of neighbours, 1 <= k < number of areas.

    Returns
    -------
    libpysal.graph.Graph
        Binary graph, ids in the order of ``gdf.index``.

    Raises
    ------
    InputError
        Bad frame or CRS (see :func:`build_contiguity`), or ``k`` out of range.
    DuplicateCodeError
        The index repeats a code.

    Examples
    --------
    >>> pts = gpd.GeoSeries.from_xy([0, 1, 3], [0, 0, 0], index=["a", "b", "c"], crs=27700)
    >>> sorted(knn_graph(pts, k=1).neighbors["c"])
    ['b']
    """
    geoms = _check_frame(gdf)
    n = len(geoms)
    if not isinstance(k, int | np.integer) or not 1 <= k < n:
        msg = f"`k` must be an integer from 1 to {n - 1} (the number of areas minus one); got {k!r}."
        raise InputError(msg)
    centroids = geoms.centroid
    graph = Graph.build_knn(centroids, k=int(k), coplanar="clique")
    adj = graph.adjacency
    pos = geoms.index.get_indexer
    heads = pos(adj.index.get_level_values(0))
    tails = pos(adj.index.get_level_values(1))
    keep = adj.to_numpy() != 0
    return _graph_from_pairs(geoms.index, heads[keep], tails[keep])


def subgraph_with_ring(
    graph: Graph, focus_codes: Iterable, *, rings: int = 1
) -> tuple[Graph, pd.Series]:
    """Cut a graph down to a focus area plus ``rings`` steps of neighbours around it.

    A council's hotspots computed on its own LSOAs only would treat its border LSOAs as if
    they had fewer neighbours. The ring keeps every focus area's full neighbourhood (with
    ``rings=1``, the neighbours of focus areas; ``rings=2`` adds their neighbours, ...);
    report results for the focus areas only (the returned mask).

    Parameters
    ----------
    graph
        The full graph (e.g. ``boundaries.load_graph("lsoa21_en")``).
    focus_codes
        Codes of the focus area, all of them ids of ``graph``.
    rings
        Number of neighbour steps added around the focus, >= 0.

    Returns
    -------
    subgraph : libpysal.graph.Graph
        Nodes of the focus and its rings, in the order of ``graph.unique_ids``.
    focus : pandas.Series
        Boolean, indexed like ``subgraph.unique_ids``: True for focus areas.

    Raises
    ------
    InputError
        Unknown codes, an empty focus, or ``rings`` < 0.

    Examples
    --------
    >>> g = Graph.from_arrays(list("abbcc"), list("bacbd"), [1.0] * 5)
    >>> sub, focus = subgraph_with_ring(g, ["a"], rings=1)
    >>> list(sub.unique_ids), focus.tolist()
    (['a', 'b'], [True, False])
    """
    _check_graph(graph)
    if not isinstance(rings, int | np.integer) or rings < 0:
        msg = f"`rings` must be a non-negative integer; got {rings!r}."
        raise InputError(msg)
    raw = [focus_codes] if isinstance(focus_codes, str) else list(focus_codes)
    codes = pd.Index(pd.unique(pd.Index(raw)))
    if len(codes) == 0:
        msg = "`focus_codes` is empty; pass the codes of the areas to analyse."
        raise InputError(msg)
    ids = graph.unique_ids
    pos = ids.get_indexer(codes)
    if (pos < 0).any():
        unknown = codes[pos < 0]
        msg = (
            f"`focus_codes` has {len(unknown)} codes that are not in the graph: "
            f"{format_codes(unknown)}. Use codes of the graph's level (e.g. lsoa21 codes for "
            "the lsoa21_en graph)."
        )
        raise InputError(msg)
    mat = graph_matrix(graph)
    inside = np.zeros(len(ids), dtype=bool)
    inside[pos] = True
    focus_mask = inside.copy()
    for _ in range(int(rings)):
        reached = (mat @ inside.astype(float)) > 0
        if not (reached & ~inside).any():
            break
        inside |= reached
    keep = ids[inside]
    sub = graph.subgraph(keep)
    focus = pd.Series(focus_mask[inside], index=keep, name="focus")
    return sub, focus

