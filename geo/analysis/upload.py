"""The analysis of a user's uploaded indicator: hotspots, clusters, summaries, the link to deprivation.

:func:`analyse_upload` takes one checked column of an upload (``read_upload(...).table[column]``,
indexed by ``<level>_code``) and the user's answer to "which end is worse", and returns an
:class:`UploadAnalysis` holding everything the Your data page and ``python -m geo analyse`` show:

* **hotspots** (small-area uploads with at least :data:`MIN_AREAS` areas with a value and some
  variation): Gi* on the subgraph of the areas with a value of the stored contiguity graph of
  the upload's nation (``lsoa21_en``, ``lsoa21_wa``, ``dz11``; ``lsoa21`` for England and Wales
  together: the graphs the national runs use, islands joined to their nearest areas), with the
  seed, alpha and correction of the store's national runs (its manifest's ``hotspot_params``)
  and, unless asked otherwise, its number of permutations; areas left without a neighbour are
  not tested. Otherwise ``hotspot_reason`` says in one sentence why nothing was tested, and the
  map still has every value.
* **clusters**: named clusters of the worse clusters, over real contiguity (island links left
  out); data-zone clusters are sized in data zones (the mirror has no data-zone population).
* **summaries** by council (LAD and UTLA) and ward (data zones: by council only): weighted
  average (Census 2021 population; data zones equally), share in the upload's worst decile,
  IoD-style extent and local concentration on the upload's own ranks.
* **the link to deprivation**, each area on its own nation's index (IoD 2025, WIMD 2019, SIMD
  2020; ranks reversed so that higher = more deprived): Spearman correlations with the index and
  each domain, per nation; the scatter data and a bivariate local Moran of where the value is
  worse and deprivation around it is high, against the nation's index, or the composite UK IMD
  when England and Wales are uploaded together.
* **council uploads**: ranks and each council against its statistical neighbours.

An LSOA 2011 upload is carried to LSOA 2021 first (:func:`upload_for_analysis`, with a report).
There is no default polarity: the caller asks the user. The calls into the statistics are in
:mod:`geo.analysis._upload_stats`, the tables in :mod:`geo.analysis._upload_tables`, what is
read from the store in :mod:`geo.analysis._upload_store`, the carrying in
:mod:`geo.analysis._upload_carry`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

import boundaries
from geo._errors import InputError, format_codes
from geo.analysis import _upload_stats as engine
from geo.analysis._upload_carry import CARRY_RULES, CarryReport, upload_for_analysis
from geo.analysis._upload_store import (
    COUNCIL_LEVELS,
    SMALL_AREA_LEVELS,
    analysis_sources,
    level_graph,
    link_notes,
    link_to_deprivation,
    nations_of,
    parent_geographies,
    population_weights,
)
from geo.analysis._upload_tables import (
    POLARITY_SIGN,
    areas_table,
    council_comparison,
    scatter_table,
    upload_summaries,
)
from geo.data.indicators import load_indicators
from geo.stats.permutation import MAX_LOCAL_PERMUTATIONS

__all__ = ["CARRY_RULES", "COUNCIL_LEVELS", "MIN_AREAS", "POLARITIES", "SMALL_AREA_LEVELS",
           "CarryReport", "UploadAnalysis", "analyse_upload", "hotspot_reason",
           "upload_for_analysis"]

#: Which end of the user's indicator is worse (asked, never assumed).
POLARITIES = tuple(POLARITY_SIGN)

#: Fewest areas with a value (and with a neighbour among them) for hotspots to be tested.
MIN_AREAS = 30

#: Parent geographies in words (progress messages).
PARENT_WORDS = {"lad24": "council", "utla24": "upper-tier council", "ward24": "ward"}

#: ``progress(fraction_done, message)``.
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class UploadAnalysis:
    """Everything the analysis of one uploaded column found (see :func:`analyse_upload`).

    Tables are indexed by area code. ``areas`` holds every matched area (``name``, ``value``,
    ``rank``, ``decile``, the hotspot columns ``statistic``, ``p``, ``q``, ``label``,
    ``outcome``, ``bin``, ``cluster_id`` and the bivariate ``bv_*`` columns where computed,
    geometry in EPSG:27700). ``hotspots`` is None and ``hotspot_reason`` a sentence when no
    hotspots were tested; the same for ``bivariate``. ``method`` holds the parameters of every
    step, read from the results' own attributes; ``notes`` sentences for the page;
    ``seconds`` the time the analysis took.
    """

    level: str
    label: str
    polarity: str
    areas: gpd.GeoDataFrame
    hotspots: pd.DataFrame | None
    hotspot_reason: str
    clusters: gpd.GeoDataFrame
    summaries: dict[str, pd.DataFrame]
    correlations: pd.DataFrame
    scatter: pd.DataFrame
    bivariate: pd.DataFrame | None
    bivariate_reason: str
    councils: pd.DataFrame | None
    method: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


# ----------------------------------------------------------------------------- checks
def _check_arguments(values: Any, level: Any, polarity: Any) -> pd.Series:
    """The values as a float Series, or one InputError naming every problem."""
    problems = []
    known = [*SMALL_AREA_LEVELS, *COUNCIL_LEVELS]
    if level == "lsoa11":
        problems.append("`level` 'lsoa11': carry the upload to LSOA 2021 first "
                        "(upload_for_analysis(result)) and analyse its lsoa21 table")
    elif level not in known:
        problems.append(f"`level` must be one of {known}; got {level!r}")
    if polarity not in POLARITIES:
        problems.append(f"`polarity` must be one of {list(POLARITIES)} (ask the user which end "
                        f"of their indicator is worse; there is no default); got {polarity!r}")
    if not isinstance(values, pd.Series):
        problems.append("`values` must be a pandas Series indexed by area code (one column of "
                        f"read_upload(...).table); got {type(values).__name__}")
    elif not pd.api.types.is_numeric_dtype(values.dtype):
        problems.append(f"`values` must be numeric; got dtype {values.dtype}")
    elif values.index.has_duplicates:
        dup = values.index[values.index.duplicated()].unique()
        problems.append(f"`values` repeats codes: {format_codes(dup)}")
    if problems:
        raise InputError("; ".join(problems))
    out = values.astype(float)
    if np.isinf(out.to_numpy()).any():
        bad = out.index[np.isinf(out.to_numpy())]
        msg = f"`values` has infinite values ({format_codes(bad)}); replace them with NaN"
        raise InputError(msg)
    return out


def _run_params(params: Mapping[str, Any] | None, permutations: int | None) -> dict[str, Any]:
    """Permutations, seed, alpha and correction: the store's national runs', or ``params``."""
    stored = dict(engine.stored_params() if params is None else params)
    missing = [k for k in ("permutations", "seed", "alpha", "correction") if k not in stored]
    if missing:
        msg = (f"the store's hotspot parameters lack {missing} (found {stored}); rebuild the store "
               "with national hotspots (`python -m geo data build`)")
        raise InputError(msg)
    if permutations is not None:
        if isinstance(permutations, bool) or not isinstance(permutations, int | np.integer) \
                or permutations < 1:
            msg = f"`permutations` must be a positive integer such as 999; got {permutations!r}"
            raise InputError(msg)
        if permutations > MAX_LOCAL_PERMUTATIONS:
            msg = (f"`permutations` must be at most {MAX_LOCAL_PERMUTATIONS:,} (e.g. 9999); "
                   f"got {permutations:,}")
            raise InputError(msg)
        if int(permutations) != int(stored["permutations"]):
            stored["national_permutations"] = int(stored["permutations"])
        stored["permutations"] = int(permutations)
    return stored


def hotspot_reason(values: pd.Series, level: str) -> str:
    """Why an upload gets no hotspots (empty when it can be tested).

    Examples
    --------
    >>> hotspot_reason(pd.Series([1.0, 1.0]), "lsoa21")
    'Only 2 areas have a value; hotspots need at least 30.'
    """
    if level not in SMALL_AREA_LEVELS:
        small = " and ".join(str(v["unit"]) for v in SMALL_AREA_LEVELS.values())
        kind = {"lad24": "councils (May 2024 codes)",
                "utla24": "upper-tier councils (May 2024 codes)"}.get(level, f"{level} areas")
        return (f"Hotspots are tested for small areas ({small}); this upload is of {kind}, so "
                "it is ranked and compared with statistical neighbours instead.")
    present = values.dropna()
    if len(present) == 0:
        return "No area has a value, so there is nothing to test."
    if len(present) < MIN_AREAS:
        return f"Only {len(present)} areas have a value; hotspots need at least {MIN_AREAS}."
    if present.nunique() < 2:
        return (f"All {len(present)} areas have the same value ({present.iloc[0]:g}), so there "
                "is no pattern to test.")
    return ""


# ----------------------------------------------------------------------------- steps
_RUN_KEYS = ("method", "polarity", "weights", "permutations", "seed", "alpha", "correction",
             "p_value", "n_tested", "outcomes", "permutation_floor")


def _run_method(result: pd.DataFrame, **extra: Any) -> dict[str, Any]:
    """The parameters of a run, from its own attributes."""
    attrs = result.attrs
    out = {k: attrs[k] for k in _RUN_KEYS if k in attrs}
    out["not_tested"] = len(attrs.get("islands", [])) + len(attrs.get("dropped", []))
    return out | extra


def _hotspots(values: pd.Series, *, level: str, polarity: str, run: dict[str, Any],
              graph: Any | None, step: Progress) -> dict[str, Any]:
    """Gi* and named clusters of the areas with a value (or why not).

    The test runs on the level's graph cut to the matched areas; areas without a value are
    dropped from it by the statistic (``nan="drop"``: label ``"no data (not tested)"``), and
    areas left without a neighbour are not tested.
    """
    present = values.dropna()
    sub, graph_name = level_graph(level, values.index, graph)
    connected = sub.subgraph(present.index) if len(present) < len(values) else sub
    isolated = pd.Index(connected.isolates)
    tested = len(present) - len(isolated)
    if tested < MIN_AREAS:
        return {"reason": f"Only {tested} of the {len(present)} areas with a value touch another "
                          f"of them; hotspots need at least {MIN_AREAS} areas with neighbours.",
                "graph": connected}
    step(0.15, f"Gi* hotspots of {len(present):,} areas, {run['permutations']:,} permutations")
    result = engine.gi_star_run(values, sub, polarity=polarity,
                                permutations=int(run["permutations"]), seed=int(run["seed"]),
                                alpha=float(run["alpha"]), fdr=run["correction"] == "fdr_bh")
    step(0.35, "named clusters of the worse clusters")
    clusters = engine.worse_clusters(result, connected, level=level)
    method = _run_method(result, graph=graph_name, areas_without_neighbours=len(isolated),
                         **{k: run[k] for k in ("national_permutations",) if k in run})
    return {"reason": "", "result": result, "clusters": clusters, "graph": connected,
            "method": method}


def _bivariate(present: pd.Series, deprivation: pd.DataFrame, *, graph: Any, polarity: str,
               run: dict[str, Any], step: Progress) -> tuple[pd.DataFrame | None, str, dict]:
    """The bivariate local Moran against the first deprivation measure (the IMD), or why not."""
    if deprivation.empty:
        return None, "There is no deprivation index for these areas.", {}
    measure = deprivation.columns[0]
    y = deprivation[measure].dropna()
    codes = present.index.intersection(y.index)
    sub = graph.subgraph(codes) if len(codes) < graph.n else graph
    tested = len(codes) - len(sub.isolates)
    if tested < MIN_AREAS:
        return None, (f"Only {tested} areas have both a value and a deprivation score with a "
                      f"neighbour among them; the bivariate map needs at least {MIN_AREAS}."), {}
    if present.reindex(codes).nunique() < 2:
        return None, "The values do not vary over the areas with a deprivation score.", {}
    step(0.6, f"bivariate local Moran against {measure}")
    result = engine.bivariate_moran(present.reindex(codes), y.reindex(codes), sub,
                                    polarity=polarity, permutations=int(run["permutations"]),
                                    seed=int(run["seed"]), alpha=float(run["alpha"]),
                                    fdr=run["correction"] == "fdr_bh")
    return result, "", _run_method(result, deprivation=measure)


def _summaries(values: pd.Series, *, level: str, polarity: str, shapes: gpd.GeoDataFrame,
               step: Progress) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Summaries by each parent geography of the level (councils and wards)."""
    parents = [PARENT_WORDS.get(p, p) for p in SMALL_AREA_LEVELS[level]["parents"]]
    step(0.45, f"summaries by {' and '.join(parents)}")
    population, weights = population_weights(level, shapes.index)
    out = {}
    for parent, (codes, names, extra) in parent_geographies(level, shapes).items():
        out[parent] = upload_summaries(values, polarity=polarity, parent=codes,
                                       population=population, names=names, extra=extra)
    method = {"measures": "IoD-style: population-weighted average, share of areas in the "
                          "upload's worst decile, extent and local concentration on the upload's "
                          "own ranks (1 = worst), ties sharing their average rank",
              "n_ranked": int(values.notna().sum()), "weights": weights}
    return out, method


def _empty_clusters(crs: Any) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": pd.Series(dtype=object)}, geometry=gpd.GeoSeries(crs=crs),
                            index=pd.Index([], name="cluster_id", dtype="int64"))


def _analyse_small(values: pd.Series, *, level: str, polarity: str, label: str,
                   run: dict[str, Any], shapes: gpd.GeoDataFrame, graph: Any | None,
                   step: Progress) -> dict[str, Any]:
    """Hotspots, clusters, summaries and the link to deprivation of a small-area upload."""
    present = values.dropna()
    reason = hotspot_reason(values, level)
    found: dict[str, Any] = {"reason": reason}
    if not reason:
        found = _hotspots(values, level=level, polarity=polarity, run=run, graph=graph, step=step)
    summaries, summary_method = _summaries(values, level=level, polarity=polarity, shapes=shapes,
                                           step=step)
    step(0.55, "correlations with deprivation")
    deprivation, about, correlations, link = link_to_deprivation(present, level=level, polarity=polarity,
                                                   alpha=float(run["alpha"]))
    bivariate, bv_reason = None, found["reason"]
    bv_method: dict[str, Any] = {}
    if not found["reason"]:
        bivariate, bv_reason, bv_method = _bivariate(present, deprivation, graph=found["graph"],
                                                     polarity=polarity, run=run, step=step)
    result = found.get("result")
    clusters = found.get("clusters")
    if clusters is None:
        clusters = _empty_clusters(shapes.crs)
    names = shapes["name"] if "name" in shapes.columns else pd.Series(dtype=object)
    outcome = result["outcome"] if result is not None else None
    return {
        "hotspots": result, "hotspot_reason": found["reason"], "clusters": clusters,
        "summaries": summaries, "correlations": correlations,
        "scatter": scatter_table(present, deprivation, about["label"].to_dict(), names=names,
                                 label=label, outcome=outcome),
        "bivariate": bivariate, "bivariate_reason": bv_reason, "councils": None,
        "method": {"hotspots": found.get("method", {}), "clusters": _cluster_method(clusters),
                   "summaries": summary_method, "bivariate": bv_method, "correlations": link,
                   "nations": list(nations_of(values.index)),
                   "sources": analysis_sources(level, values.index, link["indices"])},
    }


def _cluster_method(clusters: gpd.GeoDataFrame) -> dict[str, Any]:
    attrs = clusters.attrs
    out = {k: attrs[k] for k in ("outcome", "confidence", "island_links_ignored",
                                 "population_known") if k in attrs}
    return out | {"clusters": len(clusters)} if out else {}


def _analyse_councils(values: pd.Series, *, level: str, polarity: str, label: str,
                      run: dict[str, Any], shapes: gpd.GeoDataFrame,
                      step: Progress) -> dict[str, Any]:
    """Ranks, statistical neighbours and the link to deprivation of a council upload."""
    present = values.dropna()
    step(0.3, "ranks and statistical neighbours")
    councils = council_comparison(values, polarity=polarity,
                                  summary=load_indicators(COUNCIL_LEVELS[level]["summary"]))
    step(0.7, "correlations with deprivation")
    deprivation, about, correlations, link = link_to_deprivation(present, level=level, polarity=polarity,
                                                   alpha=float(run["alpha"]))
    names = shapes["name"] if "name" in shapes.columns else pd.Series(dtype=object)
    return {
        "hotspots": None, "hotspot_reason": hotspot_reason(values, level),
        "clusters": _empty_clusters(shapes.crs), "summaries": {}, "correlations": correlations,
        "scatter": scatter_table(present, deprivation, about["label"].to_dict(), names=names,
                                 label=label, outcome=None),
        "bivariate": None, "bivariate_reason": hotspot_reason(values, level),
        "councils": councils,
        "method": {"councils": {k: v for k, v in councils.attrs.items()}, "correlations": link,
                   "nations": list(nations_of(values.index)),
                   "sources": [COUNCIL_LEVELS[level]["summary"]]},
    }


def _notes(values: pd.Series, found: dict[str, Any], level: str) -> list[str]:
    """Sentences for the page: what was left out and why something was not computed."""
    notes = []
    missing = int(values.isna().sum())
    if missing:
        notes.append(f"{missing} matched areas have no value; they are on the map without colour "
                     "and left out of every statistic.")
    if found["hotspot_reason"]:
        notes.append(found["hotspot_reason"])
    floor = found["method"].get("hotspots", {}).get("permutation_floor")
    if floor:
        notes.append(f"With {found['method']['hotspots']['permutations']:,} permutations no area "
                     f"could pass the false-discovery-rate correction; at least "
                     f"{floor['permutations_needed']:,} are needed.")
    bv = found["bivariate_reason"]
    if bv and bv != found["hotspot_reason"]:
        notes.append(bv)
    plan = SMALL_AREA_LEVELS.get(level, {})
    notes += [plan[k] for k in ("parents_note",) if k in plan]
    if plan and plan["population"] is None:
        notes.append(f"Summaries weigh every {plan['unit'][:-1]} the same and clusters are sized "
                     f"in {plan['unit']}: the mirror has no population for {plan['unit']}.")
    return notes + link_notes(values, level, found["method"].get("correlations", {}))


def analyse_upload(
    values: pd.Series,
    *,
    level: str,
    polarity: str,
    label: str | None = None,
    permutations: int | None = None,
    params: Mapping[str, Any] | None = None,
    shapes: gpd.GeoDataFrame | None = None,
    graph: Any | None = None,
    progress: Progress | None = None,
    carry: CarryReport | None = None,
) -> UploadAnalysis:
    """Analyse one uploaded indicator: everything the Your data page and ``analyse`` show.

    Parameters
    ----------
    values
        One numeric column of a checked upload (``read_upload(...).table[column]``), indexed
        by ``<level>_code``; NaN is "no value" (mapped, left out of every statistic).
    level
        The upload's level (``read_upload(...).level``): a key of :data:`SMALL_AREA_LEVELS`
        (hotspots, clusters, summaries, bivariate map) or :data:`COUNCIL_LEVELS` (ranks and
        statistical neighbours).
    polarity
        ``"higher_worse"`` or ``"higher_better"``: the user's answer; required, no default.
    label
        The column's name as shown (``read_upload(...).labels[column]``, already safe).
    permutations
        Permutations of the tests; default the store's national runs' (``hotspot_params``).
    params
        ``permutations``, ``seed``, ``alpha`` and ``correction`` instead of the store's.
    shapes, graph
        The level's boundaries and contiguity graph (default: read from the store).
    progress
        Called as ``progress(fraction_done, message)`` before each long step.
    carry
        An LSOA 2011 upload's ``upload_for_analysis(...).carry``: kept in ``method["carry"]``.

    Returns
    -------
    UploadAnalysis

    Raises
    ------
    InputError
        Bad arguments (every problem in one message), codes not of ``level``.

    Examples
    --------
    >>> res = analyse_upload(upload.table["rate"], level=upload.level,
    ...                      polarity="higher_worse")  # doctest: +SKIP
    >>> res.hotspot_reason or res.method["hotspots"]["permutations"]  # doctest: +SKIP
    """
    values = _check_arguments(values, level, polarity)
    run = _run_params(params, permutations)
    step = progress or (lambda _fraction, _message: None)
    started = time.perf_counter()
    step(0.0, f"reading the {level} boundaries")
    shapes = boundaries.load(level) if shapes is None else shapes
    if len(unknown := values.index.difference(shapes.index)):
        msg = (f"{len(unknown)} codes of `values` are not {level} codes ({format_codes(unknown)}); "
               "pass the column of an upload of that level")
        raise InputError(msg)
    label = label or str(values.name or "value")
    common = {"level": level, "polarity": polarity, "label": label, "run": run, "shapes": shapes,
              "step": step}
    found = (_analyse_small(values, graph=graph, **common) if level in SMALL_AREA_LEVELS
             else _analyse_councils(values, **common))
    areas = areas_table(values, shapes, polarity=polarity, hotspots=found["hotspots"],
                        clusters=found["clusters"], bivariate=found["bivariate"])
    method = {"level": level, "polarity": polarity, "indicator": label, "areas": len(values),
              "areas_with_value": int(values.notna().sum()), **found.pop("method")}
    if carry is not None:  # carried from LSOA 2011: the lookup and populations are sources too
        method |= {"carry": carry.method(), "sources": [*method["sources"], *carry.sources]}
    step(1.0, "done")
    return UploadAnalysis(level=level, label=label, polarity=polarity, areas=areas,
                          method=method, notes=_notes(values, found | {"method": method}, level),
                          seconds={"total": round(time.perf_counter() - started, 3)},
                          **found)
