"""The calls the analysis of an upload makes to the statistics, in one place.

The upload analysis uses the same statistics as the stored national runs (the permutation
engine, polarity in the statistics, ``outcome`` and ``bin`` columns, named clusters over real
contiguity, the store's hotspot parameters read by :func:`geo.analysis.hotspots.stored_params`);
every call it makes to them is here, so the rest of the upload analysis (summaries,
correlations, council ranks) stays free of statistical detail.

* :func:`stored_params`: the store's ``hotspot_params`` (permutations, seed, alpha, correction).
* :func:`gi_star_run`: Gi* of the user's values on the subgraph of their areas, by their polarity.
* :func:`worse_clusters`: named clusters of the worse clusters, over real contiguity, with outlines,
  at any small-area level (LSOAs of England and Wales, Scottish data zones): the links that join
  islands (Orkney, Shetland, the Western Isles, the Isle of Wight...) serve the test, not the
  membership. :func:`geo.analysis.clusters.lsoa_info` says what a cluster tells about its
  areas, each on its own nation's index (:func:`geo.data.nations.hotspot_inputs`); data zones have no population in
  the mirror, so their clusters' size is in data zones and ``population`` is left empty.
* :func:`bivariate_moran`: the bivariate local Moran of the user's values (oriented: worse is
  high) against deprivation around each area, as esda's ``Moran_Local_BV``, on the engine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo._errors import InputError

__all__ = ["CLUSTER_CONFIDENCE", "bivariate_moran", "bivariate_words",
           "cluster_membership", "gi_star_run", "stored_params", "worse_clusters"]

#: Lowest confidence of the areas joined into named clusters (the stored clusters' rule).
CLUSTER_CONFIDENCE = 95

#: How the bivariate p-value is computed (said in the README).
BV_P_VALUE = ("two-sided, conditional permutation: each area keeps its own value and the "
              "deprivation scores around it are drawn without replacement from the other areas")


def stored_params() -> dict[str, Any]:
    """The store's hotspot parameters: ``permutations``, ``seed``, ``alpha``, ``correction``."""
    from geo.analysis.hotspots import stored_params as read

    return read()


def gi_star_run(values: pd.Series, graph: Any, *, polarity: str, permutations: int, seed: int,
                alpha: float, fdr: bool) -> pd.DataFrame:
    """Gi* of ``values`` on ``graph`` (the same codes); areas without neighbours not tested.

    Areas without a value (NaN) are dropped from the values and the graph and come back as
    not tested. Returns the frame of :func:`geo.stats.gi_star.local_gi_star` (``value``,
    ``statistic``, ``p``, ``q``, ``label``, ``outcome``, ``bin``...) with its ``attrs``.
    """
    from geo.stats.gi_star import local_gi_star

    return local_gi_star(values, graph, polarity=polarity, permutations=permutations, seed=seed,
                         alpha=alpha, fdr=fdr, nan="drop")


def worse_clusters(result: pd.DataFrame, graph: Any, *, level: str = "lsoa21") -> gpd.GeoDataFrame:
    """Named clusters of the areas of ``result`` whose outcome is ``"worse cluster"``.

    Touching means real contiguity: the links of ``graph`` that join islands are dropped first.
    Clusters come with the dissolved outline of their members (EPSG:27700) and the attrs of the
    run; ``attrs["island_links_ignored"]`` counts the island links left out and
    ``attrs["population_known"]`` is False for data zones, whose clusters are sized in data
    zones (``n_lsoas``) with ``population`` empty.
    """
    from geo.analysis.clusters import cluster_geometries, lsoa_info, touching_graph
    from geo.stats.clusters import hotspot_clusters

    touching, links = touching_graph(graph, level=level)
    info = lsoa_info(result.index, level=level)
    clusters = hotspot_clusters(result, touching, lsoa_info=info, outcome="worse cluster",
                                confidence=CLUSTER_CONFIDENCE)
    known = bool(info.attrs["population_known"])
    if not known and "population" in clusters.columns:
        clusters["population"] = pd.array([pd.NA] * len(clusters), dtype="Int64")
    attrs = dict(clusters.attrs) | {"outcome": "worse cluster", "confidence": CLUSTER_CONFIDENCE,
                                    "island_links_ignored": len(links) // 2,
                                    "population_known": known}
    if len(clusters):
        shapes = cluster_geometries(clusters, level=level)
    else:
        shapes = gpd.GeoDataFrame(clusters, geometry=gpd.GeoSeries(crs=27700))
    shapes.attrs = attrs
    return shapes


def cluster_membership(clusters: pd.DataFrame) -> pd.Series:
    """Area code -> cluster id (:func:`geo.stats.clusters.cluster_members`, the one reader)."""
    from geo.stats.clusters import cluster_members

    return cluster_members(clusters)


def bivariate_words(sign: int) -> Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]:
    """Labels of significant areas about *values*: the user's value, then deprivation around it.

    The engine judges on oriented values (``high`` = worse, ``cluster`` = worse where deprivation
    around is high, or better where it is low); the label turns that back into esda's words on
    the user's own scale: ``"High-High"`` is a high value with high deprivation around it.
    """
    def words(high: np.ndarray, cluster: np.ndarray, confidence: np.ndarray) -> np.ndarray:  # noqa: ARG001 - quadrant only
        own_high = high if sign > 0 else ~high
        deprived = cluster == high
        return np.char.add(np.where(own_high, "High-", "Low-"),
                           np.where(deprived, "High", "Low")).astype(object)

    return words


def _standardised(values: np.ndarray, name: str) -> np.ndarray:
    spread = values.std()
    if not np.isfinite(spread) or spread == 0:
        msg = f"`{name}` is constant over the areas; the bivariate local Moran needs variation."
        raise InputError(msg)
    return (values - values.mean()) / spread


def bivariate_moran(x: pd.Series, y: pd.Series, graph: Any, *, polarity: str, permutations: int,
                    seed: int, alpha: float, fdr: bool) -> pd.DataFrame:
    """Bivariate local Moran: the user's value at each area against deprivation around it.

    ``statistic`` is esda's ``Moran_Local_BV(x, y, w, transformation="r").Is``:
    ``(n - 1) z_x,i lag(z_y)_i / sum z_x^2``. Given the area's own value it is monotone in the
    sum of the deprivation scores of its neighbours, so the permutation engine that serves Gi*
    and local Moran gives its two-sided p. ``outcome``: ``"worse cluster"`` where the user's value
    is worse and deprivation around is high, ``"worse outlier"`` worse where it is low,
    ``"better cluster"`` better where it is low, ``"better outlier"`` better where it is high.

    Parameters
    ----------
    x, y
        The user's values and the deprivation score (higher = more deprived), indexed by the
        codes of ``graph``, no NaN.
    graph
        Contiguity graph of the areas (areas without neighbours are not tested).
    polarity, permutations, seed, alpha, fdr
        As for :func:`geo.stats.gi_star.local_gi_star`.
    """
    from geo.stats.moran import moran_statistic
    from geo.stats.outcome import finish
    from geo.stats.permutation import neighbour_sum_counts, two_sided_p
    from geo.stats.weights import graph_matrix

    sign = 1 if polarity == "higher_worse" else -1
    ids = graph.unique_ids
    xv = x.reindex(ids).to_numpy(dtype=float)
    yv = y.reindex(ids).to_numpy(dtype=float)
    if not (np.isfinite(xv).all() and np.isfinite(yv).all()):
        msg = "`x` and `y` must have a finite value for every area of `graph`."
        raise InputError(msg)
    adjacency = graph_matrix(graph)
    _, _, lag = moran_statistic(yv, adjacency)
    zx = _standardised(xv, "x")
    statistic = (len(xv) - 1) * zx * lag / (zx @ zx)
    ge, le = neighbour_sum_counts(yv, adjacency, permutations=int(permutations), seed=int(seed))
    p = np.where(zx == 0, 1.0, two_sided_p(ge, le, int(permutations)))
    worse = sign * zx > 0
    islands = np.asarray(adjacency.sum(axis=1)).ravel() == 0
    attrs = {"method": "local_moran_bv", "polarity": polarity,
             "weights": "row-standardised contiguity (esda transformation='r')",
             "permutations": int(permutations), "seed": int(seed), "alpha": float(alpha),
             "p_value": BV_P_VALUE}
    out = finish(x.reindex(ids), ids, xv, statistic, p, worse, worse == (lag > 0),
                 islands=islands, dropped=pd.Index([], dtype=object), focus=None,
                 words=bivariate_words(sign), alpha=alpha, fdr=fdr, sign=1, attrs=attrs)
    out["deprivation_lag"] = np.where(islands, np.nan, lag)
    return out
