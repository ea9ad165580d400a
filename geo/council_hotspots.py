"""A council's hotspots and clusters in words: each nation's stored runs and named clusters.

- the hotspot runs the app offers (:func:`run_choices`): one per stored run of the reference
  index (England's), named by what they find in every nation ("Compounded disadvantage ...:
  worse and better clusters (Gi* ...)"), and :func:`nation_indicator` for the run of the same
  role on another nation's own index (Wales's WIMD 2019 score for England's IMD 2025 score);
  run ids, their columns and the long-to-wide table are :mod:`geo.stats.runs`';
- :func:`hotspot_runs`: the runs of one stored long table with their names and how many areas
  each tested, and :func:`run_results`: one run's rows;
- named clusters: each nation's stored clusters (:func:`load_clusters`), all of them on one map
  (:func:`national_cluster_outlines`), which cluster each area is in (:func:`cluster_names`),
  those reaching a council (:func:`council_clusters`) and its neighbourhoods in them; membership
  is read by the one reader, :func:`geo.stats.clusters.cluster_members`;
- sentences in outcome words: :func:`outcome_counts`, :func:`cluster_words`,
  :func:`cluster_sentence`, :func:`national_cluster_sentence`, :func:`clusters_summary`.

Pure functions of tables, plus thin loaders of the store. The council itself (its tier, areas,
map and pack) is :mod:`geo.council`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo._errors import InputError
from geo.data.indicators import catalogue, load_indicators
from geo.data.nations import index_spec, national_indices
from geo.data.sources import NATIONS, nations_in_words
from geo.methodology import METHODS, correction_words, counted
from geo.stats.clusters import cluster_members, clusters_reaching
from geo.stats.outcome import NOT_TESTED, OUTCOMES
from geo.stats.runs import hotspot_run_id, parse_hotspot_run_id, run_ids, select_run

__all__ = [
    "NATIONS", "REFERENCE_INDEX", "CLUSTER_COLUMN", "CLUSTER_RUN", "hotspot_runs",
    "run_choices", "run_results", "nation_indicator", "load_hotspots", "load_runs",
    "load_clusters", "national_cluster_outlines", "cluster_names", "council_clusters",
    "cluster_neighbourhoods", "cluster_words", "cluster_sentence", "national_cluster_sentence",
    "clusters_summary", "outcome_counts",
]

#: The index whose stored runs name the app's choices (each nation has runs of the same roles).
REFERENCE_INDEX = "iod2025"
#: The column of every nation's clusters' run: domains in the nation's own worst decile.
CLUSTER_COLUMN = "n_domains_worst_decile"
#: The run whose touching worse clusters form each nation's named clusters.
CLUSTER_RUN = hotspot_run_id("gi_star", CLUSTER_COLUMN)
#: What a run of each role finds, in every nation (by position in ``hotspot_columns``).
ROLES = ("Compounded disadvantage (domains in the nation's own worst 10%)",
         "Each nation's own index")


# ----------------------------------------------------------------------------- runs


def _indicator_id(indicator: str, lsoa: pd.DataFrame) -> str:
    """The catalogue id of a stored run's indicator (a column name or an id), or ""."""
    by_column = lsoa.index[lsoa["column"] == indicator]
    return indicator if indicator in lsoa.index else by_column[0] if len(by_column) == 1 else ""


def hotspot_runs(hotspots: pd.DataFrame, catalogue: pd.DataFrame) -> pd.DataFrame:
    """The runs of a stored long hotspot table, with their names.

    Parameters
    ----------
    hotspots
        One row per (run, area): ``method``, ``indicator``, ``p`` (a store's hotspot table),
        indexed by area code.
    catalogue
        ``geo.catalogue()``: names a run by its indicator's label.

    Returns
    -------
    pandas.DataFrame
        Indexed by run id (:func:`geo.stats.runs.hotspot_run_id`): ``method``, ``indicator``,
        ``dataset`` and ``label`` of the indicator in the catalogue ("" and the indicator when
        it is not there), ``name`` (label and outcomes, e.g. "..., worse and better clusters
        (Gi* hot and cold spots)"), ``short`` (for legends), ``statistic`` (its tooltip name),
        ``n_tested`` (areas with a p-value) and ``where`` (their nations).
    """
    small = catalogue[catalogue["level"].isin(["lsoa21", "dz11"])]
    rows = {}
    for run in sorted(run_ids(hotspots)):
        method, indicator = parse_hotspot_run_id(run)
        part = hotspots[(hotspots["method"] == method) & (hotspots["indicator"] == indicator)]
        words = METHODS.get(method, {})
        ident = _indicator_id(indicator, small)
        label = str(small.at[ident, "label"]) if ident else indicator
        tested = part.index[part["p"].notna().to_numpy()]
        rows[run] = {"method": method, "indicator": indicator,
                     "dataset": str(small.at[ident, "dataset"]) if ident else "", "label": label,
                     "name": f"{label}, {words.get('outcomes', method)}",
                     "short": f"{label} ({words.get('tag', method)})",
                     "statistic": words.get("statistic", "statistic"), "n_tested": len(tested),
                     "where": nations_in_words(tested)}
    out = pd.DataFrame.from_dict(rows, orient="index", columns=[
        "method", "indicator", "dataset", "label", "name", "short", "statistic", "n_tested",
        "where"])
    out.index.name = "run"
    return out


def _short_name(ident: str) -> str:
    """``"wimd2019.wimd_score"`` -> ``"WIMD 2019 score"`` (an index's indicator, briefly)."""
    dataset, _, column = ident.partition(".")
    found = re.match(r"([a-z_]*?)(\d*)$", dataset.removeprefix("compound_"))
    letters, year = found.groups() if found else (dataset, "")
    name = {"iod": "IoD"}.get(letters, letters.upper())
    return f"{name} {year} {column.rsplit('_', 1)[-1]}".replace("  ", " ")


def run_choices(runs: pd.DataFrame) -> dict[str, str]:
    """The hotspot runs the app offers, by run id, named for every nation.

    ``runs`` are the reference index's (:func:`load_runs`); each nation keeps runs of the same
    roles (the registry's ``hotspot_columns``), so a choice shows each council on its own index.

    Examples
    --------
    >>> runs = pd.DataFrame({"method": ["gi_star"], "indicator": ["n_domains_worst_decile"],
    ...                      "name": ["x"]}, index=["gi_star:n_domains_worst_decile"])
    >>> run_choices(runs)["gi_star:n_domains_worst_decile"][:24]
    'Compounded disadvantage '
    """
    columns = index_spec(REFERENCE_INDEX).get("hotspot_columns", [])
    out = {}
    for run, row in runs.iterrows():
        if row["indicator"] not in columns:
            out[str(run)] = str(row["name"])
            continue
        position = columns.index(row["indicator"])
        role = ROLES[min(position, len(ROLES) - 1)]
        if position > 0:
            role += " (" + ", ".join(
                _short_name(nation_indicator(str(run), spec["nation"]))
                for spec in national_indices().values() if "hotspot_table" in spec) + ")"
        out[str(run)] = f"{role}: {METHODS.get(str(row['method']), {}).get('outcomes', '')}"
    return out


def nation_indicator(run: str, nation: str) -> str:
    """The catalogue id of the indicator of ``run``'s role on ``nation``'s own index.

    A run of the reference index (``"gi_star:imd_score"``) has a counterpart in each nation
    with small areas, at the same position of the registry's ``hotspot_columns``
    (``"wimd2019.wimd_score"`` in Wales, ``"simd2020.simd_rank"`` in Scotland).

    Raises
    ------
    InputError
        A nation without stored runs (Northern Ireland), or a run of no known role.

    Examples
    --------
    >>> nation_indicator("gi_star:imd_score", "W")  # doctest: +SKIP
    'wimd2019.wimd_score'
    """
    from geo.analysis.coverage import stored_indicators

    _, column = parse_hotspot_run_id(run)
    spec = next((s for s in map(index_spec, national_indices()) if s["nation"] == nation[:1]),
                None)
    if spec is None or "hotspot_table" not in spec:
        msg = f"`nation` {nation!r} has no stored hotspot runs (no small areas)."
        raise InputError(msg)
    own = spec["hotspot_columns"]
    reference = index_spec(REFERENCE_INDEX)["hotspot_columns"]
    position = own.index(column) if column in own else (
        reference.index(column) if column in reference else None)
    if position is None or position >= len(own):
        msg = f"`run` {run!r} has no counterpart on {spec['title']}; stored: {own}."
        raise InputError(msg)
    return stored_indicators(spec["id"])[position]


def run_results(hotspots: pd.DataFrame, run: str) -> pd.DataFrame:
    """One run's rows of a long hotspot table, indexed by area code
    (:func:`geo.stats.runs.select_run`)."""
    return select_run(hotspots, run)


def load_hotspots(index: str = REFERENCE_INDEX) -> pd.DataFrame:
    """The store's long table of an index's national hotspot runs (``hotspots_lsoa21``, ...)."""
    return load_indicators(index_spec(index)["hotspot_table"])


def load_runs() -> pd.DataFrame:
    """:func:`hotspot_runs` of the reference index in the store."""
    return hotspot_runs(load_hotspots(), catalogue())


# ----------------------------------------------------------------------------- clusters


def load_clusters(index: str = REFERENCE_INDEX) -> pd.DataFrame:
    """The store's named clusters of compounded disadvantage of an index (``clusters``,
    ``clusters_wimd2019``, ...); ``attrs["population_known"]`` False where ``population``
    counts data zones."""
    table = load_indicators(index_spec(index)["cluster_table"])
    table.attrs.setdefault("population_known", True)
    return table


def _outlines(clusters: pd.DataFrame, level: str) -> gpd.GeoDataFrame:
    """Dissolved, simplified outlines of a nation's clusters in EPSG:4326, with a label point."""
    from geo.analysis.clusters import cluster_geometries

    shapes = cluster_geometries(clusters, level=level)[["geometry"]]
    shapes["geometry"] = shapes.simplify(50.0)
    points = shapes.representative_point().to_crs(4326)
    out = shapes.to_crs(4326)
    return out.assign(lat=points.y.to_numpy(), lon=points.x.to_numpy())


def national_cluster_outlines() -> gpd.GeoDataFrame:
    """Every nation's named clusters on one map: outlines (EPSG:4326), label points and info.

    England's outlines are the store's (``display/groups_clusters``); Wales's and Scotland's,
    a few dozen, are dissolved here. Indexed by ``"<nation letter><cluster id>"`` (``"W3"``):
    ``name``, ``n_lsoas``, ``population`` (NaN where not known: data zones), ``domains``,
    ``nation``, ``lat``, ``lon``, geometry.
    """
    import boundaries.display as stored

    parts = []
    for ident, spec in national_indices().items():
        if "cluster_table" not in spec:
            continue
        clusters = load_clusters(ident)
        shapes = (stored.load_group_outlines("clusters") if ident == REFERENCE_INDEX
                  else _outlines(clusters, spec["map_level"]))
        info = clusters.drop(columns="lsoa_codes")
        if not clusters.attrs["population_known"]:
            info = info.assign(population=np.nan)
        part = shapes[["lat", "lon", "geometry"]].join(info, how="inner")
        part.index = [f"{spec['nation']}{i}" for i in part.index]
        parts.append(part.assign(nation=NATIONS[spec["nation"]]))
    out = gpd.GeoDataFrame(pd.concat(parts), geometry="geometry", crs=4326)
    out.index.name = "cluster"
    columns = [c for c in ("name", "n_lsoas", "population", "domains") if c in out.columns]
    return out[[*columns, "nation", "lat", "lon", "geometry"]]


def cluster_names(clusters: pd.DataFrame) -> pd.Series:
    """Area code -> the name of the named cluster it belongs to (members only)."""
    members = cluster_members(clusters)
    return pd.Series(clusters["name"].reindex(members.to_numpy()).to_numpy(),
                     index=members.index, name="cluster")


def council_clusters(clusters: pd.DataFrame, codes: Iterable[str]) -> pd.DataFrame:
    """The named clusters with at least one area among ``codes``.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``clusters`` (most people first): ``name``, ``n_here`` (its areas among
        ``codes``), then ``n_lsoas``, ``population`` (left out where it is not known: data
        zones), ``councils``, ``domains`` where ``clusters`` has them.
    """
    codes = list(codes)
    owner = cluster_members(clusters)
    n_here = owner[owner.index.isin(codes)].value_counts()
    keep = clusters_reaching(clusters, codes).copy()
    keep.insert(1, "n_here", n_here.reindex(keep.index))
    known = clusters.attrs.get("population_known", True)
    cols = ["name", "n_here"] + [c for c in ("n_lsoas", "population", "councils", "domains")
                                 if c in keep.columns and (c != "population" or known)]
    return keep.sort_values("population" if "population" in keep else "n_here",
                            ascending=False, kind="mergesort")[cols]


def cluster_neighbourhoods(clusters: pd.DataFrame, areas: pd.DataFrame,
                           compound: pd.DataFrame) -> pd.DataFrame:
    """The areas of ``areas`` that belong to a named cluster, and why.

    ``clusters`` and ``compound`` are the nation's stored tables; ``areas`` the council's small
    areas by code with ``name`` and ``ward`` (or ``ward24_name``).

    Returns
    -------
    pandas.DataFrame
        Indexed by area code (by cluster id, then code): ``cluster`` (its name),
        ``cluster_id``, ``name``, ``ward``, ``n_domains_worst_decile``,
        ``domains_worst_decile``.
    """
    owner = cluster_members(clusters)
    owner = owner[owner.index.isin(areas.index)]
    out = pd.DataFrame({"cluster": clusters["name"].reindex(owner.to_numpy()).to_numpy(),
                        "cluster_id": owner.to_numpy()}, index=owner.index)
    out["name"] = areas["name"].reindex(out.index)
    ward = "ward" if "ward" in areas.columns else "ward24_name"
    out["ward"] = areas[ward].reindex(out.index) if ward in areas.columns else ""
    for col in ("n_domains_worst_decile", "domains_worst_decile"):
        out[col] = compound[col].reindex(out.index)
    out.index.name = areas.index.name or "code"
    order = np.lexsort((out.index.to_numpy(dtype=str), out["cluster_id"].to_numpy()))
    return out.iloc[order]


def cluster_words(clusters: pd.DataFrame, *, params: Mapping[str, Any]) -> str:
    """What named clusters are, from how they were made: e.g. "compounded disadvantage
    (touching worse clusters: Gi* hot spots at 95%+ after FDR)", the method and confidence
    from the clusters' attrs, the correction from ``params``."""
    attrs = clusters.attrs
    tag = METHODS.get(str(attrs.get("method", "gi_star")), {}).get("tag", "Gi*")
    confidence = attrs.get("confidence", 95)
    short = correction_words(params)[1].split(" ")[0]
    return (f"compounded disadvantage (touching worse clusters: {tag} hot spots at "
            f"{confidence}%+ after {short})")


def cluster_sentence(outlines: pd.DataFrame, *, place: str, words: str,
                     area_words: str = "LSOAs") -> str:
    """One sentence on the named clusters outlined in ``place`` (``words`` from
    :func:`cluster_words`)."""
    if outlines.empty:
        return f"No named cluster of {words.split(' (')[0]} touches {place}."
    n = len(outlines)
    known = outlines["population"].notna() if "population" in outlines else None
    top = (outlines.sort_values("population", ascending=False).iloc[0] if known is not None
           and known.all() else outlines.sort_values("n_lsoas", ascending=False).iloc[0])
    size = counted(top["n_lsoas"], area_words) + (
        f" and {int(top['population']):,} people" if known is not None and known.all() else "")
    return (f"Purple outlines: {n} named cluster{'s' if n > 1 else ''} of {words} in {place}; "
            f"the largest, {top['name']}, has {size} (hover an outline for its name).")


def national_cluster_sentence(outlines: pd.DataFrame, *, words: str) -> str:
    """One sentence on every nation's named clusters (:func:`national_cluster_outlines`)."""
    if outlines.empty:
        return f"No named cluster of {words.split(' (')[0]}."
    by_nation = outlines["nation"].value_counts().reindex(list(NATIONS.values())).dropna()
    each = ", ".join(f"{nation} {int(n)}" for nation, n in by_nation.items())
    top = outlines.sort_values("population", ascending=False).iloc[0]
    return (f"Purple outlines: {len(outlines)} named clusters of {words}, each nation on its "
            f"own index ({each}); the largest, {top['name']}, has {int(top['n_lsoas']):,} "
            f"neighbourhoods and {int(top['population']):,} people (hover an outline for its "
            "name).")


def clusters_summary(here: pd.DataFrame, *, n_areas: int, place: str, words: str,
                     area_words: str = "LSOAs") -> str:
    """One sentence on the named clusters reaching a place (:func:`council_clusters`) and how
    many of its ``n_areas`` small areas they hold (``words`` from :func:`cluster_words`)."""
    if here.empty:
        return f"No named cluster of {words.split(' (')[0]} touches {place}."
    n = len(here)
    return (f"{n} named cluster{'s' if n > 1 else ''} of {words}, each of touching "
            f"neighbourhoods, {'have' if n > 1 else 'has'} neighbourhoods in {place}: "
            f"{int(here['n_here'].sum())} of its {n_areas} {area_words}.")


# ----------------------------------------------------------------------------- outcomes


def _stems(labels: pd.Series) -> str:
    """The method's own words for a group of areas, e.g. "hot spot" or "High-High"."""
    stems = labels.dropna().astype(str).str.replace(r"\s*\d+%$", "", regex=True).unique()
    return " / ".join(sorted(stems))


def outcome_counts(table: pd.DataFrame, *, place: str, area_words: str = "LSOAs") -> str:
    """How many of a place's areas have each outcome, in one sentence, worse first.

    ``table`` has ``outcome`` (and ``label``, the method's own words, kept in brackets) per
    area. Worse and better clusters are always counted; outliers, areas not significant and
    areas not tested when there are any: an area not tested is never "0 hot spots".

    Examples
    --------
    >>> t = pd.DataFrame({"outcome": ["worse cluster", "not significant", "not tested"],
    ...                   "label": ["hot spot 99%", "not significant", None]})
    >>> outcome_counts(t, place="Town")
    'In Town: 1 LSOAs in worse clusters (hot spot), 0 in better clusters, 1 not significant, 1 not tested.'
    """
    outcome = table["outcome"].astype(object).where(table["outcome"].notna(), NOT_TESTED)
    unknown = sorted(set(outcome) - set(OUTCOMES))
    if unknown:
        msg = f"`table` has values that are not outcomes: {unknown}; valid: {list(OUTCOMES)}."
        raise InputError(msg)
    labels = table["label"] if "label" in table else pd.Series(None, index=table.index)
    phrases = {"worse cluster": f"{area_words} in worse clusters", "better cluster":
               "in better clusters", "worse outlier": "worse outliers",
               "better outlier": "better outliers"}
    parts = []
    for word in OUTCOMES:
        hit = (outcome == word).to_numpy()
        n = int(hit.sum())
        if n == 0 and word not in ("worse cluster", "better cluster"):
            continue
        detail = _stems(labels[hit]) if n and word in phrases else ""
        parts.append(f"{n} {phrases.get(word, word)}" + (f" ({detail})" if detail else ""))
    return f"In {place}: " + ", ".join(parts) + "."
