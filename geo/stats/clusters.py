"""Named clusters of touching significant areas, and cluster membership read back.

:func:`hotspot_clusters` joins the areas of one significant outcome (``"worse cluster"`` by
default) that touch into clusters and describes each: its size, population, how many members are
themselves in compounded disadvantage, councils and wards (by population), a name from its main
wards, the deprivation domains most often in the worst decile among its members and its most
extreme z. Touching means real contiguity: give the graph without the links that join islands
(:func:`geo.stats.islands.drop_links`), which are for inference, not membership.

The member codes travel as one ``";"``-joined ``lsoa_codes`` column; :func:`cluster_members` is
the one reader of that column (it refuses an area in two clusters) and :func:`clusters_reaching`
picks the clusters that reach a set of areas.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from libpysal.graph import Graph
from scipy.sparse.csgraph import connected_components

from geo._errors import InputError, SchemaError, format_codes
from geo.stats._validate import _check_graph, _polarity_sign
from geo.stats.outcome import LEVELS
from geo.stats.weights import graph_matrix

__all__ = ["CLUSTER_COLUMNS", "MEMBER_SEPARATOR", "cluster_members", "clusters_reaching",
           "hotspot_clusters"]

#: Separator of the member codes in the ``lsoa_codes`` column.
MEMBER_SEPARATOR = ";"

#: Columns of ``lsoa_info`` that every cluster needs.
INFO_COLUMNS = ("population_total", "ward24_name", "lad24_name")

#: Columns of a clusters table, in order (``n_compounded``, ``share_compounded`` and
#: ``mean_n_domains`` only when ``lsoa_info`` has what they need).
CLUSTER_COLUMNS = ("name", "n_lsoas", "population", "n_compounded", "share_compounded",
                   "councils", "wards", "domains", "mean_value", "peak_statistic",
                   "mean_n_domains", "lsoa_codes")

#: Outcomes that form clusters.
CLUSTER_OUTCOMES = ("worse cluster", "better cluster")


def hotspot_clusters(
    result: pd.DataFrame,
    graph: Graph,
    *,
    lsoa_info: pd.DataFrame,
    outcome: str = "worse cluster",
    confidence: int = 95,
    domains: str | Sequence[str] | None = None,
    max_wards: int = 3,
) -> pd.DataFrame:
    """Join touching areas of one significant outcome into named clusters.

    Areas whose ``outcome`` is ``outcome`` at ``confidence`` or more (their ``bin``) are linked
    when they are neighbours in ``graph``; each connected group is a cluster. Its name lists its
    wards by population until they hold half of its people (at most ``max_wards``), adds
    ``"and N more wards"`` when the named ones hold less, and their councils:
    ``"Manningham & Toller, Bradford"``, ``"A, B, C and 4 more wards, Leeds"``.

    Parameters
    ----------
    result
        One run of a local statistic with its attrs (:func:`geo.stats.gi_star.local_gi_star`,
        or :func:`geo.stats.runs.select_run` of the stored table), indexed by ``lsoa21_code``.
    graph
        Real contiguity: the links that make areas touch (no island links).
    lsoa_info
        Indexed by ``lsoa21_code``: ``population_total``, ``ward24_name``, ``lad24_name``;
        optionally ``compounded`` (bool), domain flags (see ``domains``) and
        ``n_domains_worst_decile``.
    outcome, confidence
        ``"worse cluster"`` or ``"better cluster"``; the lowest confidence included (90, 95, 99).
    domains
        Boolean flag columns of ``lsoa_info`` (True = worst decile), or the name of one column of
        ``";"``-joined domain names (``domains_worst_decile``). Default: every boolean column
        but ``compounded``, else ``domains_worst_decile`` when present.
    max_wards
        Most ward names in a cluster's name.

    Returns
    -------
    pandas.DataFrame
        Indexed by integer ``cluster_id`` (1, 2, ... by population descending): the columns of
        :data:`CLUSTER_COLUMNS` it can fill (counts as integers), ``peak_statistic`` being the
        most extreme z in the cluster's direction (the minimum for clusters of low values).
        Empty (same columns) when there is none.

    Raises
    ------
    InputError
        Bad ``outcome``/``confidence``, a result without outcomes, codes missing from the graph
        or ``lsoa_info``, missing population.
    SchemaError
        Required ``lsoa_info`` columns are absent.
    """
    codes = _members_of(result, outcome=outcome, confidence=confidence)
    graph = _check_graph(graph)
    flags = _domain_flags(lsoa_info.drop(columns=["compounded"], errors="ignore"), domains)
    columns = [c for c in CLUSTER_COLUMNS
               if (c not in ("n_compounded", "share_compounded") or "compounded" in lsoa_info)
               and (c != "mean_n_domains" or "n_domains_worst_decile" in lsoa_info)]
    if len(codes) == 0:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="cluster_id", dtype=int))
    info = _member_info(codes, graph, lsoa_info)
    pos = graph.unique_ids.get_indexer(codes)
    _, comp = connected_components(graph_matrix(graph)[pos][:, pos], directed=False)
    high = (outcome == "worse cluster") == (_polarity_sign(result.attrs.get("polarity",
                                                                           "higher_worse")) > 0)
    rows = [_describe(codes[comp == c].sort_values(), info, flags, result, high=high,
                      max_wards=max_wards) for c in np.unique(comp)]
    out = pd.DataFrame(rows).sort_values(["population", "lsoa_codes"], ascending=[False, True])
    out.index = pd.RangeIndex(1, len(out) + 1, name="cluster_id")
    out.attrs = {"outcome": outcome, "confidence": confidence, **{
        k: v for k, v in result.attrs.items()
        if k in ("method", "polarity", "permutations", "seed", "alpha", "correction",
                 "indicator")}}
    return out[columns]


def _members_of(result: pd.DataFrame, *, outcome: str, confidence: int) -> pd.Index:
    """Codes whose outcome is ``outcome`` at ``confidence`` or more."""
    bins = {conf: b for _, conf, b in LEVELS}
    if confidence not in bins:
        msg = f"`confidence` must be 90, 95 or 99; got {confidence!r}."
        raise InputError(msg)
    if outcome not in CLUSTER_OUTCOMES:
        msg = f"`outcome` must be one of {list(CLUSTER_OUTCOMES)}; got {outcome!r}."
        raise InputError(msg)
    if not isinstance(result, pd.DataFrame) or not {"outcome", "bin"} <= set(result.columns):
        msg = ("`result` must be one run of a local statistic (with 'outcome' and 'bin' "
               "columns); recompute it with local_gi_star or select_run.")
        raise InputError(msg)
    strength = result["bin"].abs().fillna(0).to_numpy()
    chosen = (result["outcome"] == outcome).to_numpy() & (strength >= bins[confidence])
    return result.index[chosen]


def _member_info(codes: pd.Index, graph: Graph, lsoa_info: pd.DataFrame) -> pd.DataFrame:
    """``lsoa_info`` of the spots, with every code in the graph and a population for each."""
    if not isinstance(lsoa_info, pd.DataFrame):
        msg = f"`lsoa_info` must be a DataFrame indexed by lsoa21_code; got {type(lsoa_info).__name__}."
        raise InputError(msg)
    absent = [c for c in INFO_COLUMNS if c not in lsoa_info.columns]
    if absent:
        msg = (f"`lsoa_info` lacks columns {absent}; it needs {list(INFO_COLUMNS)} (from "
               "boundaries.load('lsoa21') and geo.load_indicators('population')).")
        raise SchemaError(msg)
    pos = graph.unique_ids.get_indexer(codes)
    if (pos < 0).any():
        msg = f"`graph` lacks {int((pos < 0).sum())} spot codes: {format_codes(codes[pos < 0])}."
        raise InputError(msg)
    missing = codes.difference(lsoa_info.index)
    if len(missing):
        msg = (f"`lsoa_info` lacks {len(missing)} spot codes: {format_codes(missing)}; pass the "
               "information for every area of the result.")
        raise InputError(msg)
    info = lsoa_info.loc[codes]
    no_pop = info.index[info["population_total"].isna().to_numpy()]
    if len(no_pop):
        msg = f"`lsoa_info` has no population_total for {format_codes(no_pop)}; fill it first."
        raise InputError(msg)
    return info


def _is_flag(column: pd.Series) -> bool:
    """Boolean column, or object column of True/False with missing values."""
    if pd.api.types.is_bool_dtype(column):
        return True
    if column.dtype == object:
        present = column.dropna()
        return len(present) > 0 and present.map(lambda v: isinstance(v, bool | np.bool_)).all()
    return False


def _domain_flags(lsoa_info: pd.DataFrame, domains: str | Sequence[str] | None) -> pd.DataFrame:
    """One boolean column per domain (True: the area is in its worst decile)."""
    if domains is None:
        cols = [c for c in lsoa_info.columns if _is_flag(lsoa_info[c])]
        if not cols and "domains_worst_decile" in lsoa_info.columns:
            domains = "domains_worst_decile"
        else:
            domains = cols
    if isinstance(domains, str):
        if domains not in lsoa_info.columns:
            msg = (f"`domains` column {domains!r} is not in `lsoa_info`; available: "
                   f"{list(lsoa_info.columns)}.")
            raise SchemaError(msg)
        flags = lsoa_info[domains].fillna("").astype(str).str.get_dummies(sep=";").astype(bool)
        flags.columns = [c.strip() for c in flags.columns]
        return flags.loc[:, [c for c in flags.columns if c]]
    absent = [c for c in domains if c not in lsoa_info.columns]
    if absent:
        msg = (f"`domains` columns {absent} are not in `lsoa_info`; available: "
               f"{list(lsoa_info.columns)}.")
        raise SchemaError(msg)
    return lsoa_info[list(domains)].fillna(False).astype(bool)


def _cluster_name(part: pd.DataFrame, max_wards: int) -> tuple[str, pd.DataFrame]:
    """The name (main wards and their councils) and the wards by population."""
    pop = float(part["population_total"].sum())
    wards = (
        part.assign(_w=part["ward24_name"].fillna("?"), _l=part["lad24_name"].fillna("?"))
        .groupby(["_w", "_l"], sort=False)["population_total"].sum()
        .reset_index()
        .sort_values(["population_total", "_w", "_l"], ascending=[False, True, True])
    )
    cumulative = np.asarray(wards["population_total"].cumsum(), dtype=float)
    share = cumulative / pop if pop > 0 else np.arange(1, len(wards) + 1) / len(wards)
    n_name = int(min(max_wards, int(np.searchsorted(share, 0.5 - 1e-12) + 1)))
    top = wards.iloc[:n_name]
    names = list(top["_w"])
    rest = len(wards) - n_name
    if share[n_name - 1] < 0.5 - 1e-12 and rest:
        ward_part = f"{', '.join(names)} and {rest} more ward{'s' if rest > 1 else ''}"
    else:
        ward_part = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " & " + names[-1]
    return f"{ward_part}, {' / '.join(pd.unique(top['_l']))}", wards


def _domain_shares(flags: pd.DataFrame, members: pd.Index) -> str:
    """The three domains most often in the worst decile among the members, with shares."""
    fl = flags.reindex(members).fillna(False).astype(bool)
    shares = fl.mean() if fl.shape[1] else pd.Series(dtype=float)
    shares = shares[shares > 0]
    shares = shares.iloc[np.lexsort((shares.index.to_numpy(dtype=str), -shares.to_numpy()))]
    return "; ".join(f"{k} {round(100 * v):d}%" for k, v in shares.iloc[:3].items())


def _describe(members: pd.Index, info: pd.DataFrame, flags: pd.DataFrame, result: pd.DataFrame,
              *, high: bool, max_wards: int) -> dict:
    """One row of the clusters table."""
    part = info.loc[members]
    name, wards = _cluster_name(part, max_wards)
    councils = (part.groupby(part["lad24_name"].fillna("?"))["population_total"].sum()
                .reset_index().sort_values(["population_total", "lad24_name"],
                                           ascending=[False, True]))
    z = result.loc[members, "statistic"] if "statistic" in result else pd.Series(np.nan)
    row = {
        "name": name,
        "n_lsoas": len(members),
        "population": int(round(float(part["population_total"].sum()))),
        "councils": "; ".join(councils["lad24_name"]),
        "wards": "; ".join(wards["_w"]),
        "domains": _domain_shares(flags, members),
        "mean_value": float(result.loc[members, "value"].mean()) if "value" in result else np.nan,
        "peak_statistic": float(z.max() if high else z.min()),
        "lsoa_codes": MEMBER_SEPARATOR.join(members),
    }
    if "compounded" in part.columns:
        n_compounded = int(part["compounded"].fillna(False).astype(bool).sum())
        row["n_compounded"] = n_compounded
        row["share_compounded"] = n_compounded / len(members)
    if "n_domains_worst_decile" in part.columns:
        row["mean_n_domains"] = float(part["n_domains_worst_decile"].mean())
    return row


def cluster_members(clusters: pd.DataFrame) -> pd.Series:
    """Area code -> cluster id, read from the ``";"``-joined ``lsoa_codes`` of a clusters table.

    The one reader of ``lsoa_codes``: the app, the exports and the command line all use it.

    Returns
    -------
    pandas.Series
        Named ``cluster_id`` (the clusters' index values), indexed by member code
        (``lsoa21_code``), in table order.

    Raises
    ------
    SchemaError
        No ``lsoa_codes`` column.
    InputError
        A cluster without members, or an area in two clusters (an overlap means the table was
        not made by :func:`hotspot_clusters`).

    Examples
    --------
    >>> t = pd.DataFrame({"lsoa_codes": ["a;b", "c"]}, index=pd.Index([1, 2], name="cluster_id"))
    >>> cluster_members(t).to_dict()
    {'a': 1, 'b': 1, 'c': 2}
    """
    if not isinstance(clusters, pd.DataFrame) or "lsoa_codes" not in clusters.columns:
        msg = ("`clusters` must be a clusters table with an 'lsoa_codes' column "
               "(geo.load_indicators('clusters') or hotspot_clusters()).")
        raise SchemaError(msg)
    text = clusters["lsoa_codes"].fillna("").astype(str)
    members = text.str.split(MEMBER_SEPARATOR).explode().str.strip()
    empty = members.index[(members == "").to_numpy()].unique()
    if len(empty):
        msg = f"`clusters` has clusters without member codes: {format_codes(empty)}."
        raise InputError(msg)
    twice = members[members.duplicated(keep=False)]
    if len(twice):
        msg = (f"`clusters` puts {twice.nunique()} areas in more than one cluster "
               f"({format_codes(twice.unique())}); clusters must not overlap.")
        raise InputError(msg)
    return pd.Series(members.index, index=pd.Index(members.to_numpy(), name="lsoa21_code"),
                     name="cluster_id")


def clusters_reaching(clusters: pd.DataFrame, codes: Iterable[str]) -> pd.DataFrame:
    """The rows of ``clusters`` with at least one member among ``codes``.

    Examples
    --------
    >>> t = pd.DataFrame({"lsoa_codes": ["a;b", "c"]}, index=pd.Index([1, 2], name="cluster_id"))
    >>> list(clusters_reaching(t, ["b"]).index)
    [1]
    """
    owner = cluster_members(clusters)
    wanted = pd.Index(list(codes)).unique()
    hit = owner[wanted.get_indexer(owner.index) >= 0].unique()
    return clusters.loc[clusters.index.isin(hit)]
