"""A council's hotspots and clusters: the stored national runs and named clusters, in words.

- run ids (:func:`run_id`, :func:`split_run_id`; ``"<method>:<indicator>"``, the one form of
  the app's links, the pack's columns and the command line) and :data:`CLUSTER_RUN`, the run
  whose touching hot spots make the store's named clusters;
- :func:`hotspot_runs`: the stored runs with their names and how many areas each tested, and
  :func:`run_results` / :func:`run_columns`: one run's rows, or every run side by side;
- named clusters: which cluster each LSOA is in (:func:`cluster_names`), those reaching a
  council (:func:`council_clusters`, :func:`clusters_touching`) and its neighbourhoods in them;
- sentences: :func:`hotspot_counts`, :func:`cluster_words`, :func:`cluster_sentence`.

Pure functions of the store's tables (``hotspots_lsoa21``, ``clusters``), plus three thin
loaders. The council itself (its tier, LSOAs, map and pack) is :mod:`geo.council`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from geo._errors import InputError
from geo.data.indicators import catalogue, load_indicators
from geo.maps.hotspots import cluster_members
from geo.methodology import METHODS, correction_words

__all__ = [
    "NATIONS", "CLUSTER_RUN", "run_id", "split_run_id", "nations", "hotspot_runs",
    "run_results", "run_column", "run_columns", "load_hotspots", "load_runs", "load_clusters",
    "cluster_names", "council_clusters", "cluster_neighbourhoods", "clusters_touching",
    "cluster_words", "cluster_sentence", "clusters_summary", "hotspot_counts",
]

#: Nations by the first letter of their GSS codes.
NATIONS = {"E": "England", "W": "Wales", "S": "Scotland", "N": "Northern Ireland"}


def run_id(method: str, indicator: str) -> str:
    """The id of a hotspot run, ``"<method>:<indicator>"``: the one form in the app's links,
    the pack's columns and the command line.

    Examples
    --------
    >>> run_id("gi_star", "imd_score")
    'gi_star:imd_score'
    """
    return f"{method}:{indicator}"


def split_run_id(run: str) -> tuple[str, str]:
    """``(method, indicator)`` of a run id (InputError when it is not ``method:indicator``)."""
    method, sep, indicator = str(run).partition(":")
    if not (sep and method and indicator):
        msg = (f"`run` {run!r} is not a hotspot run id; expected '<method>:<indicator>', "
               f"e.g. {CLUSTER_RUN!r}.")
        raise InputError(msg)
    return method, indicator


#: The run whose touching hot spots form the store's named clusters (compounded disadvantage).
CLUSTER_RUN = run_id("gi_star", "n_domains_worst_decile")


def nations(codes: Iterable[str]) -> str:
    """The nations of some GSS codes in words, e.g. ``"England and Wales"``.

    Examples
    --------
    >>> nations(["W01000001", "E01000001", "E01000002"])
    'England and Wales'
    """
    letters = {str(c)[:1] for c in codes}
    names = [name for letter, name in NATIONS.items() if letter in letters]
    return " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 2 else names)


# ----------------------------------------------------------------------------- hotspot runs


def hotspot_runs(hotspots: pd.DataFrame, catalogue: pd.DataFrame) -> pd.DataFrame:
    """The runs of the store's long hotspot table, with their names.

    Parameters
    ----------
    hotspots
        One row per (run, area): ``method``, ``indicator``, ``p`` (the store's
        ``hotspots_lsoa21``), indexed by area code.
    catalogue
        ``geo.catalogue()``: names a run by its indicator's label (a catalogue id, or the
        column of one LSOA indicator).

    Returns
    -------
    pandas.DataFrame
        Indexed by run id: ``method``, ``indicator``, ``dataset`` and ``label`` of the
        indicator in the catalogue ("" and the indicator when it is not there), ``name``
        (label and results, e.g. "..., Gi* hot and cold spots"), ``short`` (for legends),
        ``statistic`` (its tooltip name), ``n_tested`` (areas with a p-value) and ``where``
        (their nations).
    """
    lsoa = catalogue[catalogue["level"] == "lsoa21"]
    rows = {}
    for (method, indicator), part in hotspots.groupby(["method", "indicator"], sort=True):
        words = METHODS.get(str(method), {"results": str(method), "short": str(method),
                                          "statistic": "statistic"})
        by_column = lsoa.index[lsoa["column"] == indicator]
        ident = (indicator if indicator in lsoa.index
                 else by_column[0] if len(by_column) == 1 else "")
        label = str(lsoa.at[ident, "label"]) if ident else str(indicator)
        tested = part.index[part["p"].notna().to_numpy()]
        rows[run_id(str(method), str(indicator))] = {
            "method": method, "indicator": indicator, "dataset": (
                str(lsoa.at[ident, "dataset"]) if ident else ""), "label": label,
            "name": f"{label}, {words['results']}", "short": f"{label} ({words['short']})",
            "statistic": words["statistic"], "n_tested": len(tested), "where": nations(tested)}
    out = pd.DataFrame.from_dict(rows, orient="index", columns=[
        "method", "indicator", "dataset", "label", "name", "short", "statistic", "n_tested",
        "where"])
    out.index.name = "run"
    return out


def run_results(hotspots: pd.DataFrame, run: str) -> pd.DataFrame:
    """One run's rows of the long hotspot table, indexed by area code (without the run's keys)."""
    method, indicator = split_run_id(run)
    part = hotspots[(hotspots["method"] == method) & (hotspots["indicator"] == indicator)]
    if part.empty:
        runs = sorted({run_id(m, i) for m, i in zip(hotspots["method"], hotspots["indicator"],
                                                    strict=True)})
        msg = f"`run` {run!r} is not a stored hotspot run; stored: {runs}."
        raise InputError(msg)
    return part.drop(columns=["method", "indicator"])


def run_column(run: str, field: str = "label") -> str:
    """The wide column of one field of a run: ``hotspot_<method>_<indicator>`` for its label,
    ``<field>_<method>_<indicator>`` for the others (``q``, ``robust``).

    Examples
    --------
    >>> run_column("gi_star:imd_score"), run_column("gi_star:imd_score", "q")
    ('hotspot_gi_star_imd_score', 'q_gi_star_imd_score')
    """
    method, indicator = split_run_id(run)
    return f"{'hotspot' if field == 'label' else field}_{method}_{indicator}"


def run_columns(hotspots: pd.DataFrame,
                fields: Iterable[str] = ("label", "q", "robust")) -> pd.DataFrame:
    """Every run of the long hotspot table side by side: one column per run and field
    (:func:`run_column`; a field without any value in a run is left out), by area code.

    Examples
    --------
    >>> long = pd.DataFrame({"method": ["gi_star"] * 2, "indicator": ["x"] * 2,
    ...                      "label": ["hot spot 95%", "not significant"], "q": [0.01, 0.6]},
    ...                     index=pd.Index(["E1", "E2"], name="lsoa21_code"))
    >>> list(run_columns(long).columns)
    ['hotspot_gi_star_x', 'q_gi_star_x']
    """
    columns = []
    for (method, indicator), part in hotspots.groupby(["method", "indicator"], sort=True):
        run = run_id(str(method), str(indicator))
        columns += [part[f].rename(run_column(run, f))
                    for f in fields if f in part.columns and part[f].notna().any()]
    if not columns:
        return pd.DataFrame(index=hotspots.index.unique())
    return pd.concat(columns, axis=1)


def load_hotspots() -> pd.DataFrame:
    """The store's long table of national hotspot runs (``hotspots_lsoa21``)."""
    return load_indicators("hotspots_lsoa21")


def load_runs() -> pd.DataFrame:
    """:func:`hotspot_runs` of the store."""
    return hotspot_runs(load_hotspots(), catalogue())


# ----------------------------------------------------------------------------- clusters


def load_clusters() -> pd.DataFrame:
    """The store's named clusters of compounded disadvantage (``clusters``)."""
    return load_indicators("clusters")


def cluster_names(clusters: pd.DataFrame) -> pd.Series:
    """LSOA code -> the name of the named cluster it belongs to (members only)."""
    members = cluster_members(clusters)
    return pd.Series(clusters["name"].reindex(members.to_numpy()).to_numpy(),
                     index=members.index, name="cluster")


def council_clusters(clusters: pd.DataFrame, lsoa_codes: Iterable[str]) -> pd.DataFrame:
    """The named clusters with at least one neighbourhood among ``lsoa_codes``.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``clusters`` (most people first): ``name``, ``n_here`` (its LSOAs among
        ``lsoa_codes``), then ``n_lsoas``, ``population``, ``councils``, ``domains`` where
        ``clusters`` has them.
    """
    owner = cluster_members(clusters)
    n_here = owner[owner.index.isin(list(lsoa_codes))].value_counts()
    keep = clusters.loc[clusters.index.isin(n_here.index)].copy()
    keep.insert(1, "n_here", n_here.reindex(keep.index))
    cols = ["name", "n_here"] + [c for c in ("n_lsoas", "population", "councils", "domains")
                                 if c in keep.columns]
    return keep.sort_values("population" if "population" in keep else "n_here",
                            ascending=False, kind="mergesort")[cols]


def cluster_neighbourhoods(clusters: pd.DataFrame, lsoas: pd.DataFrame,
                           compound: pd.DataFrame) -> pd.DataFrame:
    """The neighbourhoods of ``lsoas`` that belong to a named cluster, and why.

    ``clusters`` and ``compound`` are the store's tables; ``lsoas`` the council's LSOAs by
    ``lsoa21_code`` with ``name`` and ``ward24_name``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``lsoa21_code`` (by cluster id, then code): ``cluster`` (its name),
        ``cluster_id``, ``name``, ``ward``, ``n_domains_worst_decile``,
        ``domains_worst_decile``.
    """
    owner = cluster_members(clusters)
    owner = owner[owner.index.isin(lsoas.index)]
    out = pd.DataFrame({"cluster": clusters["name"].reindex(owner.to_numpy()).to_numpy(),
                        "cluster_id": owner.to_numpy()}, index=owner.index)
    out["name"] = lsoas["name"].reindex(out.index)
    out["ward"] = lsoas["ward24_name"].reindex(out.index)
    for col in ("n_domains_worst_decile", "domains_worst_decile"):
        out[col] = compound[col].reindex(out.index)
    out.index.name = "lsoa21_code"
    order = np.lexsort((out.index.to_numpy(dtype=str), out["cluster_id"].to_numpy()))
    return out.iloc[order]


def clusters_touching(clusters: pd.DataFrame, lsoa_codes: Iterable[str]) -> pd.DataFrame:
    """The whole named clusters (all their members) with a neighbourhood among ``lsoa_codes``."""
    owner = cluster_members(clusters)
    return clusters.loc[clusters.index.isin(owner[owner.index.isin(list(lsoa_codes))])]


def cluster_words(clusters: pd.DataFrame, results: pd.DataFrame, *, method: str,
                  params: Mapping[str, Any]) -> str:
    """What the named clusters are, from their run: e.g. "hot spots of compounded
    disadvantage (Gi*, 95%+ after FDR)", the confidence being the lowest among the members'
    labels in ``results`` (:func:`run_results` of :data:`CLUSTER_RUN`)."""
    members = cluster_members(clusters).index
    levels = results["label"].reindex(members).astype(str).str.extract(r"(\d+)%")[0]
    level = f", {int(pd.to_numeric(levels).min())}%+" if levels.notna().any() else ""
    tag = METHODS.get(method, {}).get("tag", method)
    short = correction_words(params)[1].split(" ")[0]
    return f"hot spots of compounded disadvantage ({tag}{level} after {short})"


def cluster_sentence(outlines: pd.DataFrame, *, place: str, words: str) -> str:
    """One sentence on the named clusters outlined in ``place`` (``words`` from
    :func:`cluster_words`)."""
    if outlines.empty:
        return f"No named cluster of {words.split(' (')[0]} touches {place}."
    top = outlines.sort_values("population", ascending=False).iloc[0]
    n = len(outlines)
    return (f"Purple outlines: {n} named cluster{'s' if n > 1 else ''} of {words} in {place}; "
            f"the largest, {top['name']}, has {int(top['n_lsoas']):,} neighbourhoods and "
            f"{int(top['population']):,} people (hover an outline for its name).")


def clusters_summary(here: pd.DataFrame, *, n_lsoas: int, place: str, words: str) -> str:
    """One sentence on the named clusters reaching a place (:func:`council_clusters`) and how
    many of its ``n_lsoas`` neighbourhoods they hold (``words`` from :func:`cluster_words`)."""
    if here.empty:
        return f"No named cluster of {words.split(' (')[0]} touches {place}."
    n = len(here)
    return (f"{n} named cluster{'s' if n > 1 else ''} of {words}, each of touching "
            f"neighbourhoods, {'have' if n > 1 else 'has'} neighbourhoods in {place}: "
            f"{int(here['n_here'].sum())} of its {n_lsoas} LSOAs.")


def hotspot_counts(labels: pd.Series, *, method: str, place: str) -> str:
    """How many of the place's LSOAs are in each kind of spot or quadrant, in one sentence."""
    if method == "gi_star":
        kind = labels.astype(str).str.extract(r"^(hot|cold) spot")[0].value_counts()
        return (f"In {place}: {int(kind.get('hot', 0))} LSOAs in hot spots, "
                f"{int(kind.get('cold', 0))} in cold spots.")
    counts = labels.astype(str).value_counts()
    n = {k: int(counts.get(k, 0)) for k in ("High-High", "Low-Low", "High-Low", "Low-High")}
    return (f"In {place}: {n['High-High']} High-High and {n['Low-Low']} Low-Low LSOAs, "
            f"{n['High-Low'] + n['Low-High']} outliers.")
