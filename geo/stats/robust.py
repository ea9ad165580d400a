"""Hot-spot clusters, robustness to the choice of weights, and national hot-spot tables.

Built on :mod:`geo.hotspots` (Gi* and local Moran with FDR control):

* :func:`hotspot_clusters`: touching significant hot (or cold) spots joined into named clusters,
  with population, councils, wards and the deprivation domains most often in the worst decile.
* :func:`robustness`: does each spot survive a change of weights to k-nearest neighbours?
* :func:`national_hotspots`: hot spots for several indicators in one tidy table (for the store).

All three are also importable from :mod:`geo.hotspots`.
"""

from __future__ import annotations

import pandas as pd
from libpysal.graph import Graph

from geo._errors import InputError
from geo.stats._results import METHODS
from geo.stats._validate import _check_values
from geo.stats.gi_star import local_gi_star
from geo.stats.moran import MORAN_QUADRANTS, local_moran

__all__ = ['robustness']


def _direction(labels: pd.Series, method: str) -> pd.Series:
    """Comparable significant category: 'hot'/'cold' for Gi*, the quadrant for local Moran."""
    labels = labels.astype(str)
    if method == "gi_star":
        out = pd.Series(pd.NA, index=labels.index, dtype=object)
        out[labels.str.startswith("hot spot")] = "hot"
        out[labels.str.startswith("cold spot")] = "cold"
        return out
    return labels.where(labels.isin(list(MORAN_QUADRANTS.values())), other=pd.NA)


def robustness(
    values: pd.Series,
    result: pd.DataFrame,
    *,
    knn_graph: Graph,
    permutations: int | None = None,
    seed: int | None = None,
) -> pd.Series:
    """Does each hot/cold spot (or LISA cluster) survive a change of weights to k-nearest?

    Re-runs the method recorded in ``result.attrs`` (same alpha and correction) with the
    k-nearest-neighbour graph (``geo.stats.weights.knn_graph(gdf, k=8)``) and compares: a Gi*
    spot is robust when it is a spot of the same kind (hot or cold, at any reported level);
    a LISA area when it has the same quadrant label.

    Parameters
    ----------
    values
        The values ``result`` was computed from.
    result
        Output of :func:`local_gi_star` or :func:`local_moran`.
    knn_graph
        Alternative graph over the same codes as ``values``.
    permutations, seed
        Default to those recorded in ``result.attrs``.

    Returns
    -------
    pandas.Series
        Nullable boolean named ``robust``, indexed like ``result``: True/False for spots,
        ``<NA>`` for areas that were not spots in ``result``.

    Raises
    ------
    InputError
        ``result`` lacks the attrs or the ``label`` column, or the graph does not match.

    Examples
    --------
    >>> robust = robustness(values, res, knn_graph=knn)  # doctest: +SKIP
    """
    if not isinstance(result, pd.DataFrame) or "label" not in result.columns or (
        result.attrs.get("method") not in METHODS
    ):
        msg = (
            "`result` must be the DataFrame returned by local_gi_star or local_moran (with its "
            "'label' column and attrs); recompute it, or restore attrs after copying."
        )
        raise InputError(msg)
    attrs = result.attrs
    method = attrs["method"]
    run = local_gi_star if method == "gi_star" else local_moran
    values = _check_values(values)
    focus = result.index if len(result.index) < len(values.index) else None
    other = run(
        values,
        knn_graph,
        permutations=attrs["permutations"] if permutations is None else permutations,
        seed=attrs["seed"] if seed is None else seed,
        alpha=attrs["alpha"],
        fdr=attrs["correction"] == "fdr_bh",
        nan="drop" if attrs.get("dropped") else "raise",
        focus=focus,
    )
    before = _direction(result["label"], method)
    after = _direction(other["label"].reindex(result.index), method)
    robust = pd.Series(pd.NA, index=result.index, dtype="boolean", name="robust")
    spots = before.notna()
    robust[spots] = (after[spots] == before[spots]).fillna(False).astype(bool)
    return robust
