"""Hot-spot clusters, robustness to the choice of weights, and national hot-spot tables.

Built on :mod:`geo.hotspots` (Gi* and local Moran with FDR control):

* :func:`hotspot_clusters`: touching significant hot (or cold) spots joined into named clusters,
  with population, councils, wards and the deprivation domains most often in the worst decile.
* :func:`robustness`: does each spot survive a change of weights to k-nearest neighbours?
* :func:`national_hotspots`: hot spots for several indicators in one tidy table (for the store).

All three are also importable from :mod:`geo.hotspots`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from libpysal.graph import Graph
from scipy.sparse.csgraph import connected_components

from geo._errors import InputError, SchemaError, format_codes
from geo.stats._validate import _check_graph
from geo.stats.weights import graph_matrix

__all__ = ['hotspot_clusters']


def _is_flag(column: pd.Series) -> bool:
    """Boolean column, or object column of True/False with missing values."""
    if pd.api.types.is_bool_dtype(column):
        return True
    if column.dtype == object:
        present = column.dropna()
        return len(present) > 0 and present.map(lambda v: isinstance(v, bool | np.bool_)).all()
    return False


def _parse_level(label: str) -> int:
    try:
        return int(label.rsplit(" ", 1)[-1].rstrip("%"))
    except ValueError:
        return 0


def hotspot_clusters(
    result: pd.DataFrame,
    graph: Graph,
    *,
    lsoa_info: pd.DataFrame,
    confidence: int = 95,
    kind: str = "hot",
    domains: str | Sequence[str] | None = None,
    max_wards: int = 3,
    indicator: str | None = None,
) -> pd.DataFrame:
    """Join touching significant hot spots into named clusters.

    Areas labelled ``"hot spot NN%"`` with ``NN >= confidence`` (or ``"cold spot"`` with
    ``kind="cold"``) are linked when they are neighbours in ``graph``; each connected group is
    a cluster. Per cluster: its codes, size, population, councils and wards (ordered by
    population), a readable name from the wards that together hold at least half of its
    population (at most ``max_wards``, joined as ``"A, B & C"``) and their councils, e.g.
    ``"Manningham & Toller, Bradford"``, and the deprivation domains most often in the worst decile among its areas.

    Parameters
    ----------
    result
        Output of :func:`local_gi_star`, indexed by ``lsoa21_code``; or the long table of
        :func:`national_hotspots` (MultiIndex ``indicator``, code), of which ``indicator`` is
        used.
    graph
        The graph the result was computed on (or any graph over those codes).
    lsoa_info
        Indexed by ``lsoa21_code``, columns ``population_total``, ``ward24_name``,
        ``lad24_name`` and optionally domain flags (see ``domains``) and
        ``n_domains_worst_decile``.
    confidence
        Lowest confidence level included: 90, 95 or 99.
    kind
        ``"hot"`` or ``"cold"``.
    domains
        Domain information in ``lsoa_info``: a list of boolean flag columns (True = worst
        decile; missing counts as False), or the name of one text column of ``";"``-joined
        domain names per area (as ``geo.stats.compound.count_deprived_domains`` writes in
        ``domains_worst_decile``). By default: every boolean column of ``lsoa_info``, else its
        ``domains_worst_decile`` column if there is one.
    max_wards
        Most ward names used in a cluster's name.
    indicator
        With a :func:`national_hotspots` table: which indicator's spots to cluster (default
        the first indicator of the table).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``cluster_id`` (1, 2, ... by population descending, then first code), with
        columns ``name``, ``n_lsoas``, ``population``, ``councils``, ``wards``, ``domains``
        (like ``"income 100%; employment 83%"``: share of its areas in the worst decile, top
        three), ``mean_value``, ``max_statistic``, ``mean_n_domains`` (when available) and
        ``lsoa_codes`` (``";"``-joined, sorted). Empty (same columns) when there are none.

    Raises
    ------
    InputError
        Bad ``confidence``/``kind``, result without labels, codes missing from the graph or
        ``lsoa_info``, missing population.
    SchemaError
        Required ``lsoa_info`` columns are absent.

    Examples
    --------
    >>> clusters = hotspot_clusters(res, graph, lsoa_info=info)  # doctest: +SKIP
    """
    if confidence not in (90, 95, 99):
        msg = f"`confidence` must be 90, 95 or 99; got {confidence!r}."
        raise InputError(msg)
    if kind not in ("hot", "cold"):
        msg = f"`kind` must be 'hot' or 'cold'; got {kind!r}."
        raise InputError(msg)
    if not isinstance(result, pd.DataFrame) or "label" not in result.columns:
        msg = "`result` must be the DataFrame returned by local_gi_star (with a 'label' column)."
        raise InputError(msg)
    if isinstance(result.index, pd.MultiIndex) and "indicator" in result.index.names:
        available = list(pd.unique(result.index.get_level_values("indicator")))
        chosen_indicator = available[0] if indicator is None else indicator
        if chosen_indicator not in available:
            msg = f"`indicator` {indicator!r} is not in `result`; available: {available}."
            raise InputError(msg)
        attrs = dict(result.attrs)
        result = result.xs(chosen_indicator, level="indicator")
        result.attrs = attrs | {"indicator": chosen_indicator}
    graph = _check_graph(graph)
    if not isinstance(lsoa_info, pd.DataFrame):
        msg = f"`lsoa_info` must be a DataFrame indexed by lsoa21_code; got {type(lsoa_info).__name__}."
        raise InputError(msg)
    required = ["population_total", "ward24_name", "lad24_name"]
    absent = [c for c in required if c not in lsoa_info.columns]
    if absent:
        msg = (
            f"`lsoa_info` lacks columns {absent}; it needs {required} (from "
            "boundaries.load('lsoa21') and geo.load_indicators('population'))."
        )
        raise SchemaError(msg)
    if isinstance(domains, str):
        if domains not in lsoa_info.columns:
            msg = f"`domains` column {domains!r} is not in `lsoa_info`; available: {list(lsoa_info.columns)}."
            raise SchemaError(msg)
        flags = lsoa_info[domains].fillna("").astype(str).str.get_dummies(sep=";").astype(bool)
        flags.columns = [c.strip() for c in flags.columns]
        flags = flags.loc[:, [c for c in flags.columns if c]]
    else:
        cols = (
            [c for c in lsoa_info.columns if _is_flag(lsoa_info[c])]
            if domains is None else list(domains)
        )
        if domains is None and not cols and "domains_worst_decile" in lsoa_info.columns:
            return hotspot_clusters(
                result, graph, lsoa_info=lsoa_info, confidence=confidence, kind=kind,
                domains="domains_worst_decile", max_wards=max_wards,
            )
        absent = [c for c in cols if c not in lsoa_info.columns]
        if absent:
            msg = f"`domains` columns {absent} are not in `lsoa_info`; available: {list(lsoa_info.columns)}."
            raise SchemaError(msg)
        flags = lsoa_info[cols].fillna(False).astype(bool)

    labels = result["label"].astype(str)
    prefix = f"{kind} spot"
    chosen = labels.str.startswith(prefix) & (labels.map(_parse_level) >= confidence)
    codes = result.index[chosen.to_numpy()]
    columns = ["name", "n_lsoas", "population", "councils", "wards", "domains", "mean_value",
               "max_statistic", "mean_n_domains", "lsoa_codes"]
    if "n_domains_worst_decile" not in lsoa_info.columns:
        columns.remove("mean_n_domains")
    if len(codes) == 0:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="cluster_id", dtype=int))
    ids = graph.unique_ids
    pos = ids.get_indexer(codes)
    if (pos < 0).any():
        msg = f"`graph` lacks {int((pos < 0).sum())} spot codes: {format_codes(codes[pos < 0])}."
        raise InputError(msg)
    missing = codes.difference(lsoa_info.index)
    if len(missing):
        msg = (
            f"`lsoa_info` lacks {len(missing)} spot codes: {format_codes(missing)}; pass the "
            "information for every area of the result."
        )
        raise InputError(msg)
    info = lsoa_info.loc[codes]
    no_pop = info.index[info["population_total"].isna().to_numpy()]
    if len(no_pop):
        msg = f"`lsoa_info` has no population_total for {format_codes(no_pop)}; fill it first."
        raise InputError(msg)
    sub = graph_matrix(graph)[pos][:, pos]
    _, comp = connected_components(sub, directed=False)

    rows = []
    for c in np.unique(comp):
        members = codes[comp == c].sort_values()
        part = info.loc[members]
        pop = float(part["population_total"].sum())
        wards = (
            part.assign(_w=part["ward24_name"].fillna("?"), _l=part["lad24_name"].fillna("?"))
            .groupby(["_w", "_l"], sort=False)["population_total"].sum()
            .reset_index()
            .sort_values(["population_total", "_w", "_l"], ascending=[False, True, True])
        )
        councils = (
            part.groupby(part["lad24_name"].fillna("?"))["population_total"].sum()
            .reset_index().sort_values(["population_total", "lad24_name"], ascending=[False, True])
        )
        cumulative = np.asarray(wards["population_total"].cumsum(), dtype=float)
        share = cumulative / pop if pop > 0 else np.arange(1, len(wards) + 1) / len(wards)
        n_name = int(min(max_wards, int(np.searchsorted(share, 0.5 - 1e-12) + 1)))
        top = wards.iloc[:n_name]
        names = list(top["_w"])
        ward_part = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " & " + names[-1]
        council_part = " / ".join(pd.unique(top["_l"]))
        name = f"{ward_part}, {council_part}"
        fl = flags.reindex(members).fillna(False).astype(bool)
        shares = fl.mean() if fl.shape[1] else pd.Series(dtype=float)
        shares = shares[shares > 0]
        shares = shares.iloc[np.lexsort((shares.index.to_numpy(dtype=str), -shares.to_numpy()))]
        dom = "; ".join(f"{k} {round(100 * v):d}%" for k, v in shares.iloc[:3].items())
        row = {
            "name": name,
            "n_lsoas": len(members),
            "population": pop,
            "councils": "; ".join(councils["lad24_name"]),
            "wards": "; ".join(wards["_w"]),
            "domains": dom,
            "mean_value": float(result.loc[members, "value"].mean()) if "value" in result else np.nan,
            "max_statistic": float(result.loc[members, "statistic"].max()) if "statistic" in result else np.nan,
            "lsoa_codes": ";".join(members),
            "_first": members[0],
        }
        if "mean_n_domains" in columns:
            row["mean_n_domains"] = float(part["n_domains_worst_decile"].mean())
        rows.append(row)
    out = pd.DataFrame(rows).sort_values(["population", "_first"], ascending=[False, True])
    out.index = pd.RangeIndex(1, len(out) + 1, name="cluster_id")
    out.attrs = {"kind": kind, "confidence": confidence, **{
        k: v for k, v in result.attrs.items()
        if k in ("method", "permutations", "seed", "alpha", "correction", "indicator")
    }}
    return out[columns]
