"""Tables of an uploaded indicator: summaries by council and ward, the link to deprivation, ranks.

Pure functions of frames (the store is read by :mod:`geo.analysis.upload`):

* :func:`upload_ranks`: the upload's own ranks (1 = worst, by the user's polarity) and deciles.
* :func:`upload_summaries`: the IoD-style summaries of :func:`geo.stats.summaries.summarise_areas`
  on those ranks, for one parent geography, with coverage (how many of each parent's areas the
  upload has a value for).
* :func:`deprivation_correlations`: Spearman correlation with each deprivation measure.
* :func:`council_comparison`: a council upload's ranks and each council against its statistical
  neighbours (:func:`geo.stats.neighbours.statistical_neighbours`).
* :func:`scatter_table`: each area's value against the first deprivation measure.
* :func:`areas_table`: every matched area with its value, own rank, outcomes, cluster, polygon.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import stats

from geo._errors import InputError
from geo.stats.clusters import cluster_members
from geo.stats.neighbours import DEFAULT_NEIGHBOUR_VARIABLES, statistical_neighbours
from geo.stats.summaries import summarise_areas

__all__ = ["CORRELATION_COLUMNS", "SUMMARY_COLUMNS", "areas_table", "council_comparison",
           "deprivation_correlations", "scatter_table", "upload_ranks", "upload_summaries"]

#: Polarity of a user's indicator: which end is worse, and the sign that makes "worse" high.
POLARITY_SIGN = {"higher_worse": 1, "higher_better": -1}

#: The summary measures of :func:`summarise_areas` under the names of an upload's summary.
SUMMARY_NAMES = {
    "value_average_score": "average",
    "value_average_score_rank": "average_rank",
    "value_average_rank": "mean_rank",
    "value_average_rank_rank": "mean_rank_rank",
    "value_proportion_most_deprived_10": "share_worst_decile",
    "value_proportion_most_deprived_10_rank": "share_worst_decile_rank",
    "value_extent": "extent",
    "value_extent_rank": "extent_rank",
    "value_local_concentration": "local_concentration",
    "value_local_concentration_rank": "local_concentration_rank",
}

#: Columns of a summary table after the parent's name (and council, for wards).
SUMMARY_COLUMNS = ("n_areas", "n_areas_level", "coverage", *SUMMARY_NAMES.values())

#: Columns of the correlations table.
CORRELATION_COLUMNS = ("label", "n", "spearman_rho", "p", "direction")

#: Neighbours each council is compared with.
NEIGHBOURS_K = 10


def upload_ranks(values: pd.Series, *, polarity: str) -> pd.DataFrame:
    """The upload's own ranks: 1 = worst by ``polarity``, ties share their average rank.

    Returns
    -------
    pandas.DataFrame
        Indexed like the areas with a value: ``rank`` (float, ties averaged) and ``decile``
        (1 = the worst tenth, ``ceil(10 rank / N)``); ``attrs["n_ranked"]`` is ``N``.
    """
    present = values.dropna()
    oriented = POLARITY_SIGN[polarity] * present
    rank = oriented.rank(ascending=False, method="average")
    n = len(present)
    decile = np.ceil(10.0 * rank.to_numpy() / n).clip(1, 10) if n else np.array([])
    out = pd.DataFrame({"rank": rank, "decile": decile.astype("int64")}, index=present.index)
    out.attrs["n_ranked"] = n
    return out


def upload_summaries(values: pd.Series, *, polarity: str, parent: pd.Series,
                     population: pd.Series, names: pd.Series | None = None,
                     extra: pd.DataFrame | None = None) -> pd.DataFrame:
    """IoD-style summaries of an upload for one parent geography, on the upload's own ranks.

    :func:`geo.stats.summaries.summarise_areas` with the values (oriented so that a higher
    score is worse) as the score and :func:`upload_ranks` as the rank, ``N`` = the areas with a
    value: ``average`` is the population-weighted average in the user's units; every ``*_rank``
    column puts the worst parent first.

    Parameters
    ----------
    values
        The user's values by small-area code (NaN: no value).
    polarity
        ``"higher_worse"`` or ``"higher_better"``.
    parent
        Small-area code -> parent code for *every* area of the level (its ``name`` names the
        result's index, e.g. ``ward24_code``); used also to count each parent's areas.
    population
        Population of each small area (the weights).
    names, extra
        Parent code -> name, and further columns by parent code (e.g. a ward's council).

    Returns
    -------
    pandas.DataFrame
        Indexed by parent code: ``name``, then ``extra``'s columns, then :data:`SUMMARY_COLUMNS`.
    """
    ranks = upload_ranks(values, polarity=polarity)
    present = ranks.index[parent.reindex(ranks.index).notna().to_numpy()]
    sign = POLARITY_SIGN[polarity]
    table = pd.DataFrame({"value_score": sign * values.reindex(present),
                          "value_rank": ranks["rank"].reindex(present)}, index=present)
    if len(present) == 0:
        return pd.DataFrame(columns=["name", *SUMMARY_COLUMNS],
                            index=pd.Index([], name=parent.name))
    out = summarise_areas(table, parent=parent.reindex(present), population=population,
                          domains=["value"], n_ranked=int(ranks.attrs["n_ranked"]))
    out = out.rename(columns=SUMMARY_NAMES)
    out["average"] = sign * out["average"]
    counts = parent.reindex(present).value_counts()
    level_counts = parent.value_counts()
    out.insert(0, "n_areas", counts.reindex(out.index).fillna(0).astype("int64"))
    out.insert(1, "n_areas_level", level_counts.reindex(out.index).fillna(0).astype("int64"))
    out.insert(2, "coverage", out["n_areas"] / out["n_areas_level"])
    if extra is not None:
        for position, column in enumerate(extra.columns):
            out.insert(position, column, extra[column].reindex(out.index).to_numpy())
    out.insert(0, "name", (names.reindex(out.index).to_numpy() if names is not None
                           else pd.NA))
    out.attrs = {"n_ranked": int(ranks.attrs["n_ranked"]), "parent": str(parent.name),
                 "ties": "average rank"}
    return out


def _direction(rho: float, p: float, *, sign: int, alpha: float) -> str:
    """What a correlation says in words (deprivation measures: higher = more deprived)."""
    if not np.isfinite(p) or p > alpha:
        return "no clear link"
    worse = rho * sign > 0
    return ("worse where deprivation is higher" if worse
            else "better where deprivation is higher")


def deprivation_correlations(values: pd.Series, deprivation: pd.DataFrame, *,
                             labels: Mapping[str, str], polarity: str,
                             alpha: float, about: pd.DataFrame | None = None) -> pd.DataFrame:
    """Spearman correlation of the user's values with each deprivation measure.

    Each measure is correlated over the areas that have it: with measures of several nations'
    indices (NaN outside their nation), that is one correlation per nation and index.

    Parameters
    ----------
    values
        The user's values by area code.
    deprivation
        Deprivation measures by area code (higher = more deprived), one column each.
    labels
        Column -> readable label.
    polarity
        The user's polarity, for ``direction``.
    alpha
        Level at which ``direction`` says there is a link (``p <= alpha``).
    about
        Further columns per measure (indexed by measure: its index, nations, orientation),
        put first.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``measure`` (the column), columns ``about``'s, then
        :data:`CORRELATION_COLUMNS`: ``n`` areas with both values, ``spearman_rho`` and its
        two-sided ``p`` (scipy.stats.spearmanr), and ``direction`` in words. Measures with fewer
        than 3 pairs or no variation get NaN.
    """
    sign = POLARITY_SIGN[polarity]
    rows = []
    for column in deprivation.columns:
        pair = pd.concat([values.rename("x"), deprivation[column].rename("y")], axis=1,
                         join="inner").dropna()
        rho, p = np.nan, np.nan
        if len(pair) >= 3 and pair["x"].nunique() > 1 and pair["y"].nunique() > 1:
            res = stats.spearmanr(pair["x"], pair["y"])
            rho, p = float(res.statistic), float(res.pvalue)
        rows.append({"measure": column, "label": labels.get(column, column), "n": len(pair),
                     "spearman_rho": rho, "p": p,
                     "direction": _direction(rho, p, sign=sign, alpha=alpha)})
    out = pd.DataFrame(rows, columns=["measure", *CORRELATION_COLUMNS]).set_index("measure")
    if about is not None:
        out = about.reindex(out.index).join(out)
    out.attrs = {"method": "Spearman rank correlation over the areas with both values, "
                           "two-sided p (scipy.stats.spearmanr)", "alpha": float(alpha)}
    return out


def _neighbour_frame(summary: pd.DataFrame, variables: Sequence[str]) -> pd.DataFrame:
    """The councils of ``summary`` with every neighbour variable it has."""
    used = [v for v in variables if v in summary.columns]
    if len(used) < 2:
        msg = (f"the councils' summary table has too few of the neighbour variables "
               f"{list(variables)} (found {used}); rebuild the store (`python -m geo data build`).")
        raise InputError(msg)
    frame = summary[used].apply(pd.to_numeric, errors="coerce").astype(float)
    return frame.dropna()


def council_comparison(values: pd.Series, *, polarity: str, summary: pd.DataFrame,
                       k: int = NEIGHBOURS_K,
                       variables: Sequence[str] = DEFAULT_NEIGHBOUR_VARIABLES) -> pd.DataFrame:
    """A council upload ranked, and each council beside its ``k`` statistical neighbours.

    Parameters
    ----------
    values
        The user's value per council (NaN: no value).
    polarity
        Which end is worse.
    summary
        The store's summary table of the councils' level (``summary_lad24``/``summary_utla24``):
        the neighbour ``variables`` and ``name``.
    k, variables
        As :func:`geo.stats.neighbours.statistical_neighbours`.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``values``: ``name``, ``value``, ``rank`` (1 = worst of the councils with a
        value, ties share the lowest), ``neighbours`` (their codes, nearest first, ``";"``-joined),
        ``neighbours_with_value``, ``neighbours_mean``, ``difference`` (value minus that mean),
        ``worse_than`` and ``better_than`` (how many neighbours with a value it is worse or
        better than). Councils outside ``summary`` (e.g. outside England) get no neighbours.
    """
    sign = POLARITY_SIGN[polarity]
    present = values.dropna()
    out = pd.DataFrame({"name": summary["name"].reindex(values.index) if "name" in summary
                        else pd.NA, "value": values})
    out["rank"] = (sign * present).rank(ascending=False, method="min").astype("Int64")
    frame = _neighbour_frame(summary, variables)
    peers: dict[str, list[str]] = {}
    for code in present.index.intersection(frame.index):
        near = statistical_neighbours(frame, code, variables=list(frame.columns),
                                      k=min(k, len(frame) - 1))
        peers[code] = list(near.index)
    out["neighbours"] = pd.Series({c: ";".join(p) for c, p in peers.items()}, dtype=object)
    rows = {}
    for code, codes in peers.items():
        own, theirs = present[code], present.reindex(codes).dropna()
        rows[code] = {"neighbours_with_value": len(theirs),
                      "neighbours_mean": theirs.mean() if len(theirs) else np.nan,
                      "worse_than": int((sign * own > sign * theirs).sum()),
                      "better_than": int((sign * own < sign * theirs).sum())}
    table = pd.DataFrame.from_dict(rows, orient="index")
    for column in ("neighbours_with_value", "neighbours_mean", "worse_than", "better_than"):
        out[column] = table[column].reindex(out.index) if len(table) else np.nan
    out.insert(out.columns.get_loc("neighbours_mean") + 1, "difference",
               out["value"] - out["neighbours_mean"])
    out.attrs = {"n_ranked": len(present), "k": k, "variables": list(frame.columns),
                 "ties": "shared lowest rank"}
    return out


def scatter_table(values: pd.Series, deprivation: pd.DataFrame, labels: Mapping[str, str], *,
                  names: pd.Series, label: str, outcome: pd.Series | None) -> pd.DataFrame:
    """Tidy scatter data: each area's value against the first deprivation measure (the nation's
    own index, or the composite UK IMD for several nations), its name and hotspot outcome."""
    if deprivation.empty:
        return pd.DataFrame(columns=["name", "value", "deprivation", "outcome"])
    measure = deprivation.columns[0]
    frame = pd.DataFrame({"name": names.reindex(deprivation.index),
                          "value": values.reindex(deprivation.index),
                          "deprivation": deprivation[measure]}).dropna(subset=["value",
                                                                               "deprivation"])
    frame["outcome"] = (outcome.reindex(frame.index) if outcome is not None
                        else pd.Series(pd.NA, index=frame.index, dtype=object))
    frame.index.name = values.index.name
    frame.attrs = {"x": "deprivation", "x_label": labels.get(measure, measure), "measure": measure,
                   "y": "value", "y_label": label}
    return frame


def areas_table(values: pd.Series, shapes: gpd.GeoDataFrame, *, polarity: str,
                hotspots: pd.DataFrame | None, clusters: gpd.GeoDataFrame,
                bivariate: pd.DataFrame | None) -> gpd.GeoDataFrame:
    """Every matched area with its value, rank, outcomes and cluster, and its polygon."""
    keep = [c for c in ("name",) if c in shapes.columns]
    areas = shapes.loc[values.index, [*keep, shapes.geometry.name]].copy()
    areas.insert(len(keep), "value", values)
    ranks = upload_ranks(values, polarity=polarity)
    areas["rank"] = ranks["rank"].reindex(areas.index)
    areas["decile"] = ranks["decile"].reindex(areas.index).astype("Int64")
    columns = ("statistic", "p", "q", "label", "outcome", "bin")
    if hotspots is not None:
        for column in columns:
            areas[column] = hotspots[column].reindex(areas.index)
        areas["outcome"] = areas["outcome"].fillna("not tested")
    if len(clusters):
        areas["cluster_id"] = cluster_members(clusters).reindex(areas.index).astype(
            "Int64")
    if bivariate is not None:
        for column in columns:
            areas[f"bv_{column}"] = bivariate[column].reindex(areas.index)
        areas["bv_outcome"] = areas["bv_outcome"].fillna("not tested")
    areas.index.name = values.index.name
    return gpd.GeoDataFrame(areas, geometry=shapes.geometry.name, crs=shapes.crs)
