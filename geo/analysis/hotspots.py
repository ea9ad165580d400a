"""A hotspot run of one catalogue indicator: the store's national run, or one computed now.

:func:`hotspot_table` answers "where are the significant clusters of this indicator?" with one
local method of :data:`geo.stats.local.LOCAL_METHODS`, the indicator's polarity from the
catalogue, and the stored contiguity graph of the nation its values cover
(:func:`geo.analysis.coverage.graph_for`): ``lsoa21_en`` for England's LSOAs, ``lsoa21_wa`` for
Wales's, ``dz11`` for Scotland's data zones, ``lsoa21`` for an indicator of England and Wales
together; nations are never mixed otherwise. Northern Ireland has no small areas in the mirror:
its indicators are refused with the reason. When the indicator, method, permutations and seed
match a national run kept in the store (each national index's ``hotspot_table``:
``hotspots_lsoa21``, ``hotspots_wimd2019``, ``hotspots_simd2020``), that run is read, not
recomputed, so the command line, the app and the exports give one answer; otherwise the run is
computed now (well under a second for England's LSOAs).

``within`` narrows the answer to one place (a council, region or combined authority of a nation
the indicator covers) in one of two ways (:data:`REFERENCES`): on the *national* reference, the
place's areas keep its nation's national run's z and p and are judged as their own
multiple-testing family; on the *local* reference, the place's areas and one ring of neighbours
are analysed on their own (their mean, spread and permutation pool, not the nation's).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd

import boundaries
from geo._errors import InputError, OppmapError, format_codes
from geo.analysis.areas import area_members, place_name
from geo.analysis.coverage import (
    check_place,
    coverage_info,
    graph_for,
    index_of_indicator,
    nation_words,
    nations_of,
    no_small_areas,
    stored_indicators,
)
from geo.data.indicators import catalogue, load_indicators
from geo.data.nations import index_spec
from geo.stats.global_stats import global_autocorrelation
from geo.stats.local import local_method
from geo.stats.reference import rejudge
from geo.stats.robust import robustness
from geo.stats.runs import hotspot_run_id, run_ids, select_run
from geo.stats.weights import build_contiguity, knn_graph, subgraph_with_ring

__all__ = ["AREA_WORDS", "HOTSPOT_COLUMNS", "REFERENCES", "check_within", "hotspot_table",
           "indicator_values", "national_run", "run_inputs", "stored_params", "stored_run",
           "with_geometry"]

#: Small-area levels a place can be narrowed to (the map levels of the national indices), and
#: what their areas are called.
AREA_WORDS = {"lsoa21": "LSOAs", "dz11": "data zones"}

#: Columns of a hotspot table, in order (then the method's own: ``z_against_tail`` for Gi*,
#: ``quadrant`` for local Moran).
HOTSPOT_COLUMNS = ("code", "value", "statistic", "p", "q", "label", "outcome", "bin", "robust")

#: What ``within`` compares a place with.
REFERENCES = {
    "national": "national reference: z and p of the national run (same graph, same values, "
                "the nation's mean, spread and permutation pool); the place's areas form the "
                "multiple-testing family",
    "local": "local reference: the place's areas and one ring of neighbours analysed on their "
             "own (their mean, spread, permutation pool and standardisation, not the nation's); "
             "results for the place's areas",
}

#: Neighbours of the robustness check.
KNN = 8


def stored_params() -> dict[str, Any]:
    """The store's hotspot parameters (``permutations``, ``seed``, ``alpha``, ``correction``);
    ``{}`` for a store that records none (built without hotspots)."""
    try:
        return dict(boundaries.read_manifest(boundaries.store_dir()).get("hotspot_params") or {})
    except OppmapError:
        return {}


def indicator_values(indicator: str) -> tuple[pd.Series, dict[str, Any]]:
    """The values of a catalogue indicator (numeric, NaN kept) and its catalogue entry.

    Raises
    ------
    InputError
        The id is not in the catalogue (the message lists the valid ids).
    """
    cat = catalogue()
    key = str(indicator).strip()
    if key not in cat.index:
        key = {str(i).lower(): i for i in cat.index}.get(key.lower(), key)
    if key not in cat.index:
        msg = (
            f"`--indicator` {indicator!r} is not in the catalogue; valid names: "
            f"{', '.join(map(str, cat.index))}. List them with `python -m geo catalogue`."
        )
        raise InputError(msg)
    meta = cat.loc[key].to_dict() | {"id": key}
    table = load_indicators(key)
    values = table[key] if isinstance(table, pd.DataFrame) else table
    values = pd.to_numeric(values, errors="coerce").astype(float)
    values.name = key
    return values, meta


def run_inputs(indicator: str) -> tuple[pd.Series, dict[str, Any], list[str]]:
    """The indicator's values (NaN kept), catalogue entry and the nations its values cover.

    Raises
    ------
    InputError
        Unknown indicator; an indicator of nations without small areas (Northern Ireland's
        NIMDM 2017 is held at council level only), with the reason.
    """
    values, meta = indicator_values(indicator)
    letters = nations_of(values.dropna().index)
    reasons = [no_small_areas(letter) for letter in letters]
    if letters and all(reasons):
        msg = (f"`--indicator` {meta['id']!r} covers {nation_words(letters)} only, and "
               f"{'; '.join(str(r) for r in reasons)}.")
        raise InputError(msg)
    return values, meta, letters


def _graph_for(level: str, letters: list[str]) -> tuple[Any, str]:
    """The stored graph of the values' nation (or nations) at the level, or one built now."""
    name = graph_for(level, letters)
    if name is not None:
        return boundaries.load_graph(name), name
    graph, _ = build_contiguity(boundaries.load(level))
    return graph, f"{level} (built now)"


def _restrict(values: pd.Series, graph: Any) -> tuple[pd.Series, Any, list[str]]:
    """Align values and graph: codes without a graph node raise; graph nodes without values go."""
    ids = graph.unique_ids
    unknown = values.index[ids.get_indexer(values.index) < 0]
    if len(unknown):
        msg = (
            f"{len(unknown)} codes of the indicator are not in the graph of its level: "
            f"{format_codes(unknown)}; rebuild the store (`python -m geo data build`)."
        )
        raise InputError(msg)
    notes = []
    if len(values) < len(ids):
        graph = graph.subgraph(ids[values.index.get_indexer(ids) >= 0])
        notes.append(f"graph cut to the {len(values)} areas with this indicator")
    return values.reindex(graph.unique_ids), graph, notes


def stored_run(indicator: str, *, method: str = "gi_star", permutations: int | None = None,
               seed: int | None = None) -> pd.DataFrame | None:
    """The store's national run of a catalogue indicator and method, if it keeps one made with
    these permutations and seed (None: the store's), else None.

    Each national index keeps its runs in its own table (the registry's ``hotspot_table``);
    the run is indexed by area code with the run's attrs (polarity, global statistics, ...).
    """
    ident = index_of_indicator(indicator)
    if ident is None or indicator not in stored_indicators(ident):
        return None
    try:
        long = load_indicators(index_spec(ident)["hotspot_table"])
    except (OppmapError, KeyError):
        return None
    params = stored_params()
    wanted = (params.get("permutations") if permutations is None else permutations,
              params.get("seed") if seed is None else seed)
    if (long.attrs.get("permutations"), long.attrs.get("seed")) != wanted:
        return None
    names = {v: k for k, v in long.attrs.get("indicator_ids", {}).items()}
    if indicator not in names or hotspot_run_id(method, names[indicator]) not in run_ids(long):
        return None
    run = select_run(long, hotspot_run_id(method, names[indicator]))
    run.attrs["table"] = index_spec(ident)["hotspot_table"]
    return run


def national_run(indicator: str, *, method: str = "gi_star", permutations: int | None = None,
                 seed: int | None = None, alpha: float = 0.05, fdr: bool = True
                 ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The national run of one indicator: the store's when its parameters match, else computed.

    ``permutations`` and ``seed`` default to the store's (:func:`stored_params`). Returns the
    result (indexed by code, attrs of the run, ``robust`` only when read from the store) and a
    context dict: ``values``, ``graph``, ``graph_name``, ``meta``, ``notes``, ``source``.
    """
    return _national(run_inputs(indicator), method=method, permutations=permutations, seed=seed,
                     alpha=alpha, fdr=fdr)


def _national(inputs: tuple[pd.Series, dict[str, Any], list[str]], *, method: str,
              permutations: int | None, seed: int | None, alpha: float, fdr: bool
              ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """:func:`national_run` of prepared inputs (:func:`run_inputs`)."""
    from geo.data.build import HOTSPOT_PARAMS

    params = {**HOTSPOT_PARAMS, **stored_params()}  # a store without runs: a build's own
    permutations = int(params["permutations"] if permutations is None else permutations)
    seed = int(params["seed"] if seed is None else seed)
    run = local_method(method, argument="--method")
    values, meta, letters = inputs
    dropped = values.index[values.isna().to_numpy()]
    graph, graph_name = _graph_for(str(meta["level"]), letters)
    values, graph, notes = _restrict(values.dropna(), graph)
    if len(dropped):
        notes.append(f"{len(dropped)} areas without a value left out ({format_codes(dropped)})")
    stored = stored_run(meta["id"], method=method, permutations=permutations, seed=seed)
    context = {"values": values, "graph": graph, "graph_name": graph_name, "meta": meta,
               "notes": notes, "nations": letters, "coverage": coverage_info(meta, letters)}
    if stored is not None:
        same = stored.attrs["alpha"] == alpha and (stored.attrs["correction"] == "fdr_bh") == fdr
        result = stored if same else rejudge(stored, alpha=alpha, fdr=fdr)
        return result, context | {"source": f"the store's national run (read, not "
                                            f"recomputed, from {stored.attrs['table']})"}
    result = run.run(values, graph, polarity=str(meta["polarity"]), permutations=permutations,
                     seed=seed, alpha=alpha, fdr=fdr)
    result.attrs["global"] = global_autocorrelation(values, graph, permutations=permutations,
                                                    seed=seed)
    return result, context | {"source": "computed now"}


def _local_run(context: dict[str, Any], members: pd.Index, *, method: str,
               permutations: int, seed: int, alpha: float, fdr: bool) -> pd.DataFrame:
    """The place's areas and one ring of neighbours analysed on their own."""
    sub, focus = subgraph_with_ring(context["graph"], members, rings=1)
    values = context["values"].reindex(sub.unique_ids)
    result = local_method(method).run(values, sub, polarity=str(context["meta"]["polarity"]),
                                      permutations=permutations, seed=seed, alpha=alpha, fdr=fdr,
                                      focus=focus)
    result.attrs["global"] = global_autocorrelation(values, sub, permutations=permutations,
                                                    seed=seed)
    words = AREA_WORDS.get(str(context["meta"]["level"]), "areas")
    context["notes"].append(f"{int((~focus).sum())} ring neighbours analysed with the "
                            f"{int(focus.sum())} {words}")
    return result


def _robust(result: pd.DataFrame, context: dict[str, Any], *, local_members: pd.Index | None
            ) -> pd.Series:
    """The robustness column: the stored one when it still applies, else computed now."""
    if "robust" in result.columns:
        return result["robust"]
    values, level = context["values"], str(context["meta"]["level"])
    if local_members is not None:
        sub, _ = subgraph_with_ring(context["graph"], local_members, rings=1)
        values = values.reindex(sub.unique_ids)
    knn = knn_graph(boundaries.load(level).loc[values.index], k=KNN)
    return robustness(values, result, knn_graph=knn)


def hotspot_table(
    indicator: str,
    *,
    level: str | None = None,
    within: str | None = None,
    reference: str = "national",
    method: str = "gi_star",
    permutations: int | None = None,
    seed: int | None = None,
    alpha: float = 0.05,
    fdr: bool = True,
    robust: bool = True,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The hotspot table of one catalogue indicator, nationally or within one place.

    Parameters
    ----------
    indicator
        Catalogue id such as ``"iod2025.imd_score"``, ``"wimd2019.wimd_score"``,
        ``"simd2020.simd_rank"``.
    level
        Expected level (checked against the catalogue); default the indicator's own.
    within
        A council (LAD or UTLA 2024), region or combined authority code of a nation the
        indicator covers (small-area indicators: LSOAs 2021 or data zones 2011).
    reference
        ``"national"`` or ``"local"`` (see :data:`REFERENCES`); used with ``within``.
    method, permutations, seed, alpha, fdr
        As in :func:`geo.stats.gi_star.local_gi_star`; permutations and seed default to the
        store's.
    robust
        Add the ``robust`` column (k=8 nearest-neighbour weights).

    Returns
    -------
    table : pandas.DataFrame
        :data:`HOTSPOT_COLUMNS` and the method's own columns, one row per area.
    info : dict
        How it was computed: level, graph, reference, source, the run's parameters, counts,
        outcomes, the global statistics, notes, and the index, vintage, small areas, nations
        and comparability (:func:`geo.analysis.coverage.coverage_info`).

    Raises
    ------
    InputError
        Unknown indicator, method, place or reference; level mismatch; an indicator of
        Northern Ireland only (no small areas); ``within`` on a level without small areas or
        in a nation the indicator does not cover (naming the index that does).
    """
    if reference not in REFERENCES:
        msg = f"`--reference` must be one of {list(REFERENCES)}; got {reference!r}."
        raise InputError(msg)
    inputs = run_inputs(indicator)
    meta = inputs[1]
    if level is not None and level != meta["level"]:
        msg = (f"`--level` {level!r} does not match indicator {meta['id']!r}, which is published "
               f"at level {meta['level']!r}; drop --level or choose an indicator of that level.")
        raise InputError(msg)
    place = check_within(within, meta, inputs[2])
    result, context = _national(inputs, method=method, permutations=permutations, seed=seed,
                                alpha=alpha, fdr=fdr)
    where, members = _members(place, meta, result.index) if place else (None, None)
    if members is not None and reference == "local":
        attrs = result.attrs
        result = _local_run(context, members, method=method, permutations=attrs["permutations"],
                            seed=attrs["seed"], alpha=alpha, fdr=fdr)
        context["source"] = "computed now (local reference)"
    elif members is not None:
        result = rejudge(result, codes=members)
    table = result.copy()
    table["robust"] = (_robust(result, context, local_members=members if reference == "local"
                               else None) if robust
                       else pd.Series(pd.NA, index=table.index, dtype="boolean"))
    extra = [c for c in ("z_against_tail", "quadrant") if c in table.columns]
    table = table.rename_axis("code").reset_index()[[*HOTSPOT_COLUMNS, *extra]]
    info = _info(result, context, place=where, reference=reference if within else None,
                 robust=robust)
    table.attrs = {k: info[k] for k in TABLE_ATTRS}
    return table, info


#: Keys of the info kept in a hotspot table's attrs.
TABLE_ATTRS = ("indicator", "method", "polarity", "weights", "permutations", "seed", "alpha",
               "correction", "p_value", "reference", "global", "index", "vintage",
               "small_areas", "nations", "comparability")


def check_within(within: str | None, meta: dict[str, Any], letters: list[str]
                  ) -> tuple[str, str] | None:
    """The place's code and name, once it is known to be answerable (None without ``within``).

    Parameters
    ----------
    within
        A council, region or combined authority code, or None.
    meta, letters
        The indicator's catalogue entry and nations (:func:`run_inputs`).

    Raises
    ------
    InputError
        An unknown place (with the closest codes and names), a place in a nation the indicator
        does not cover (naming the index that does), an indicator without small areas.
    """
    if not within:
        return None
    key, name = place_name(within)
    check_place(key, name, letters=letters, meta=meta)
    if meta["level"] not in AREA_WORDS:
        msg = (f"`--within` needs a small-area indicator (level {' or '.join(AREA_WORDS)}); "
               f"{meta['id']!r} is at level {meta['level']!r}.")
        raise InputError(msg)
    return key, name


def _members(place: tuple[str, str], meta: dict[str, Any], codes: pd.Index
             ) -> tuple[str, pd.Index]:
    """The place's description and its areas among ``codes``."""
    key, name = place
    areas, kind, _ = area_members(key, level=str(meta["level"]))
    members = areas[codes.get_indexer(areas) >= 0]
    if len(members) == 0:
        msg = f"`--within` {key!r} ({name}) has no area with a value of {meta['id']!r}."
        raise InputError(msg)
    words = AREA_WORDS[str(meta["level"])]
    return f"{name} ({kind} {key}, {len(members)} {words})", members


def _info(result: pd.DataFrame, context: dict[str, Any], *, place: str | None,
          reference: str | None, robust: bool) -> dict[str, Any]:
    """How a hotspot table was made, for the message and the metadata of its files."""
    attrs, meta = result.attrs, context["meta"]
    nations = nation_words(context["nations"])
    words = {None: f"national (every area of {nations})",
             "national": f"{REFERENCES['national']}; the national run of {nations} on graph "
                         f"{context['graph_name']}",
             "local": REFERENCES["local"]}
    return {
        "indicator": meta["id"], "dataset": meta.get("dataset"), "level": str(meta["level"]),
        "graph": context["graph_name"], "within": place, "source": context["source"],
        "reference": words[reference],
        "notes": context["notes"],
        **{k: attrs.get(k) for k in ("method", "polarity", "weights", "permutations", "seed",
                                     "alpha", "correction", "p_value", "counts", "outcomes",
                                     "z_against_tail", "permutation_floor", "global")},
        "robustness": f"k={KNN} nearest neighbours" if robust else "not computed",
        **context["coverage"],
    }


def with_geometry(table: pd.DataFrame, level: str) -> gpd.GeoDataFrame:
    """The table's areas as polygons of ``level`` (EPSG:27700), indexed by code."""
    shapes = boundaries.load(level)[["geometry"]]
    gdf = shapes.join(table.set_index("code"), how="inner")
    for col in ("robust", "z_against_tail"):
        if col in gdf.columns:
            gdf[col] = gdf[col].astype(object).where(gdf[col].notna(), None)
    return gdf
