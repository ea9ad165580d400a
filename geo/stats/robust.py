"""Robustness of local results to the choice of weights: the same run on k-nearest neighbours.

Contiguity decides who is a neighbour; a spot that disappears when neighbours are the k nearest
areas instead depends on that choice. :func:`robustness` re-runs the method recorded in a
result's attributes, with the same polarity, permutations, seed, alpha and correction, on another
graph and says, area by area, whether a significant outcome (``worse cluster``, ...) stays the
same.
"""

from __future__ import annotations

import warnings

import pandas as pd
from libpysal.graph import Graph

from geo._errors import InputError
from geo.stats._validate import _check_values
from geo.stats.local import LOCAL_METHODS
from geo.stats.outcome import NOT_SIGNIFICANT, NOT_TESTED
from geo.stats.permutation import PermutationFloorWarning

__all__ = ["robustness"]


def robustness(
    values: pd.Series,
    result: pd.DataFrame,
    *,
    knn_graph: Graph,
    permutations: int | None = None,
    seed: int | None = None,
) -> pd.Series:
    """Does each significant area of ``result`` keep its outcome under another graph?

    Re-runs the method of ``result.attrs`` with the same polarity, alpha and correction on
    ``knn_graph`` (e.g. ``geo.stats.weights.knn_graph(gdf, k=8)``), over the same family of
    reported areas, and compares outcomes: a worse cluster is robust when it is a worse cluster
    again, at any reported level.

    Parameters
    ----------
    values
        The values ``result`` was computed from (all areas of the graph).
    result
        Output of a method of :data:`geo.stats.local.LOCAL_METHODS`, attrs intact.
    knn_graph
        Alternative graph over the same codes as ``values``.
    permutations, seed
        Default to those recorded in ``result.attrs``.

    Returns
    -------
    pandas.Series
        Nullable boolean named ``robust``, indexed like ``result``: True/False for significant
        areas, ``<NA>`` for the others.

    Raises
    ------
    InputError
        ``result`` lacks its attrs or ``outcome`` column, or the graph does not match.

    Examples
    --------
    >>> robust = robustness(values, res, knn_graph=knn)  # doctest: +SKIP
    """
    if not isinstance(result, pd.DataFrame) or "outcome" not in result.columns or (
        result.attrs.get("method") not in LOCAL_METHODS
    ):
        msg = (
            "`result` must be the DataFrame returned by local_gi_star or local_moran (with its "
            "'outcome' column and attrs); recompute it, or restore attrs after copying."
        )
        raise InputError(msg)
    attrs = result.attrs
    values = _check_values(values)
    with warnings.catch_warnings():  # the run itself has said so already
        warnings.simplefilter("ignore", PermutationFloorWarning)
        other = LOCAL_METHODS[attrs["method"]].run(
            values,
            knn_graph,
            polarity=attrs["polarity"],
            permutations=attrs["permutations"] if permutations is None else permutations,
            seed=attrs["seed"] if seed is None else seed,
            alpha=attrs["alpha"],
            fdr=attrs["correction"] == "fdr_bh",
            nan="drop" if attrs.get("dropped") else "raise",
            focus=result.index if len(result.index) < len(values.index) else None,
        )
    before = result["outcome"]
    spots = ~before.isin([NOT_SIGNIFICANT, NOT_TESTED]).to_numpy()
    robust = pd.Series(pd.NA, index=result.index, dtype="boolean", name="robust")
    robust[spots] = (other["outcome"].reindex(result.index)[spots] == before[spots]).to_numpy()
    return robust
