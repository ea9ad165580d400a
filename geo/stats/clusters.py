"""Named clusters of touching significant spots, and cluster membership read back.

:func:`hotspot_clusters` joins significant areas of one kind that touch into clusters and
describes each: its size, population, councils and wards (by population), a name from its main
wards and the deprivation domains most often in the worst decile among its members. The member
codes travel as one ``";"``-joined ``lsoa_codes`` column; :func:`cluster_members` is the one
reader of that column (it refuses an area in two clusters) and :func:`clusters_reaching` picks
the clusters that reach a set of areas.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from libpysal.graph import Graph
from scipy.sparse.csgraph import connected_components

from geo._errors import InputError, SchemaError, format_codes
from geo.stats._validate import _check_graph
from geo.stats.weights import graph_matrix

__all__ = ["MEMBER_SEPARATOR", "cluster_members", "clusters_reaching", "hotspot_clusters"]

#: Separator of the member codes in the ``lsoa_codes`` column.
MEMBER_SEPARATOR = ";"

#: Columns of ``lsoa_info`` that every cluster needs.
INFO_COLUMNS = ("population_total", "ward24_name", "lad24_name")


def hotspot_clusters(
    result: pd.DataFrame,
    graph: Graph,
    *,
    lsoa_info: pd.DataFrame,
    confidence: int = 95,
    kind: str = "hot",
    domains: str | Sequence[str] | None = None,
    max_wards: int = 3,
) -> pd.DataFrame:
    """Join touching significant spots into named clusters.

    Areas labelled ``"hot spot NN%"`` with ``NN >= confidence`` (``"cold spot"`` with
    ``kind="cold"``) are linked when they are neighbours in ``graph``; each connected group is a
    cluster, named after the wards that together hold at least half of its people (at most
    ``max_wards``, joined as ``"A, B & C"``) and their councils, e.g.
    ``"Manningham & Toller, Bradford"``.

    Parameters
    ----------
    result
        One run of a local statistic (e.g. :func:`geo.stats.gi_star.local_gi_star`, or
        :func:`geo.stats.runs.select_run` of the stored table), indexed by ``lsoa21_code``.
    graph
        The graph whose links make areas touch.
    lsoa_info
        Indexed by ``lsoa21_code``: ``population_total``, ``ward24_name``, ``lad24_name`` and
        optionally domain flags (see ``domains``) and ``n_domains_worst_decile``.
    confidence, kind
        Lowest confidence level included (90, 95 or 99) and ``"hot"`` or ``"cold"``.
    domains
        Boolean flag columns of ``lsoa_info`` (True = worst decile), or the name of one column of
        ``";"``-joined domain names (``domains_worst_decile``). Default: every boolean column,
        else ``domains_worst_decile`` when present.
    max_wards
        Most ward names in a cluster's name.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``cluster_id`` (1, 2, ... by population descending, then first code):
        ``name``, ``n_lsoas``, ``population``, ``councils``, ``wards``, ``domains`` (e.g.
        ``"income 100%; employment 83%"``: share of members in the worst decile, top three),
        ``mean_value``, ``max_statistic``, ``mean_n_domains`` (when available) and
        ``lsoa_codes`` (``";"``-joined, sorted). Empty (same columns) when there is none.

    Raises
    ------
    InputError
        Bad ``confidence``/``kind``, a result without labels, codes missing from the graph or
        ``lsoa_info``, missing population.
    SchemaError
        Required ``lsoa_info`` columns are absent.
    """
    codes = _spots(result, confidence=confidence, kind=kind)
    graph = _check_graph(graph)
    flags = _domain_flags(lsoa_info, domains)
    columns = ["name", "n_lsoas", "population", "councils", "wards", "domains", "mean_value",
               "max_statistic", "mean_n_domains", "lsoa_codes"]
    if "n_domains_worst_decile" not in lsoa_info.columns:
        columns.remove("mean_n_domains")
    if len(codes) == 0:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="cluster_id", dtype=int))
    info = _member_info(codes, graph, lsoa_info)
    pos = graph.unique_ids.get_indexer(codes)
    _, comp = connected_components(graph_matrix(graph)[pos][:, pos], directed=False)
    rows = [_describe(codes[comp == c].sort_values(), info, flags, result, max_wards=max_wards)
            for c in np.unique(comp)]
    out = pd.DataFrame(rows).sort_values(["population", "lsoa_codes"], ascending=[False, True])
    out.index = pd.RangeIndex(1, len(out) + 1, name="cluster_id")
    out.attrs = {"kind": kind, "confidence": confidence, **{
        k: v for k, v in result.attrs.items()
        if k in ("method", "permutations", "seed", "alpha", "correction", "indicator")}}
    return out[columns]


def _spots(result: pd.DataFrame, *, confidence: int, kind: str) -> pd.Index:
    """Codes of the spots of ``kind`` at ``confidence`` or more."""
    if confidence not in (90, 95, 99):
        msg = f"`confidence` must be 90, 95 or 99; got {confidence!r}."
        raise InputError(msg)
    if kind not in ("hot", "cold"):
        msg = f"`kind` must be 'hot' or 'cold'; got {kind!r}."
        raise InputError(msg)
    if not isinstance(result, pd.DataFrame) or "label" not in result.columns:
        msg = "`result` must be one run of a local statistic (with a 'label' column)."
        raise InputError(msg)
    labels = result["label"].astype(str)
    level = pd.to_numeric(labels.str.extract(r"(\d+)%$")[0], errors="coerce").fillna(0)
    chosen = labels.str.startswith(f"{kind} spot") & (level >= confidence)
    return result.index[chosen.to_numpy()]


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
              *, max_wards: int) -> dict:
    """One row of the clusters table."""
    part = info.loc[members]
    name, wards = _cluster_name(part, max_wards)
    councils = (part.groupby(part["lad24_name"].fillna("?"))["population_total"].sum()
                .reset_index().sort_values(["population_total", "lad24_name"],
                                           ascending=[False, True]))
    row = {
        "name": name,
        "n_lsoas": len(members),
        "population": float(part["population_total"].sum()),
        "councils": "; ".join(councils["lad24_name"]),
        "wards": "; ".join(wards["_w"]),
        "domains": _domain_shares(flags, members),
        "mean_value": float(result.loc[members, "value"].mean()) if "value" in result else np.nan,
        "max_statistic": (float(result.loc[members, "statistic"].max())
                          if "statistic" in result else np.nan),
        "lsoa_codes": MEMBER_SEPARATOR.join(members),
    }
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
