"""A hotspot run of one catalogue indicator: the store's national run, or one computed now.

:func:`hotspot_table` answers "where are the significant clusters of this indicator?" with one
local method of :data:`geo.stats.local.LOCAL_METHODS`, the indicator's polarity from the
catalogue, and the stored contiguity graph of its level (``lsoa21_en`` for England-only LSOA
data). When the indicator, method, permutations and seed match a national run kept in the store
(``hotspots_lsoa21``, made with the manifest's ``hotspot_params``), that run is read, not
recomputed, so the command line, the app and the exports give one answer; otherwise the run is
computed now (well under a second for England's LSOAs).

``within`` narrows the answer to one place (a council, region or combined authority) in one of
two ways (:data:`REFERENCES`): on the *national* reference, the place's LSOAs keep the national
run's z and p and are judged as their own multiple-testing family; on the *local* reference, the
place's LSOAs and one ring of neighbours are analysed on their own (their mean, spread and
permutation pool, not England's).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd

import boundaries
from geo._errors import InputError, OppmapError, format_codes
from geo.analysis.areas import area_lsoas
from geo.data.indicators import catalogue, load_indicators
from geo.stats.global_stats import global_autocorrelation
from geo.stats.local import local_method
from geo.stats.reference import rejudge
from geo.stats.robust import robustness
from geo.stats.runs import hotspot_run_id, select_run
from geo.stats.weights import build_contiguity, knn_graph, subgraph_with_ring

__all__ = ["HOTSPOT_COLUMNS", "REFERENCES", "hotspot_table", "indicator_values", "national_run",
           "stored_params", "with_geometry"]

#: Stored graph per level (``lsoa21`` switches to ``lsoa21_en`` for England-only data).
LEVEL_GRAPHS = {"lsoa21": "lsoa21", "lad24": "lad24"}

#: The store's table of national runs.
STORED_RUNS = "hotspots_lsoa21"

#: Columns of a hotspot table, in order (then the method's own: ``z_against_tail`` for Gi*,
#: ``quadrant`` for local Moran).
HOTSPOT_COLUMNS = ("code", "value", "statistic", "p", "q", "label", "outcome", "bin", "robust")

#: What ``within`` compares a place with.
REFERENCES = {
    "national": "national reference: z and p of the national run (same graph, same values, "
                "England's mean, spread and permutation pool); the place's LSOAs form the "
                "multiple-testing family",
    "local": "local reference: the place's LSOAs and one ring of neighbours analysed on their "
             "own (their mean, spread, permutation pool and standardisation, not England's); "
             "results for the place's LSOAs",
}

#: Neighbours of the robustness check.
KNN = 8


def stored_params() -> dict[str, Any]:
    """The store's hotspot parameters (``permutations``, ``seed``, ``alpha``, ``correction``)."""
    try:
        return dict(boundaries.read_manifest(boundaries.store_dir()).get("hotspot_params", {}))
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


def _graph_for(level: str, values: pd.Series) -> tuple[Any, str]:
    """The stored graph of the level (England's for English LSOA data), or one built now."""
    if level in LEVEL_GRAPHS:
        name = LEVEL_GRAPHS[level]
        if level == "lsoa21" and values.dropna().index.str.startswith("E").all():
            name = "lsoa21_en"
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


def _stored_run(indicator_id: str, method: str, permutations: int, seed: int) -> pd.DataFrame | None:
    """The store's national run of this indicator and method, if made with these parameters."""
    params = stored_params()
    if params.get("permutations") != permutations or params.get("seed") != seed:
        return None
    try:
        long = load_indicators(STORED_RUNS)
    except OppmapError:
        return None
    names = {v: k for k, v in long.attrs.get("indicator_ids", {}).items()}
    if indicator_id not in names:
        return None
    return select_run(long, hotspot_run_id(method, names[indicator_id]))


def national_run(indicator: str, *, method: str = "gi_star", permutations: int | None = None,
                 seed: int | None = None, alpha: float = 0.05, fdr: bool = True
                 ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The national run of one indicator: the store's when its parameters match, else computed.

    ``permutations`` and ``seed`` default to the store's (:func:`stored_params`). Returns the
    result (indexed by code, attrs of the run, ``robust`` only when read from the store) and a
    context dict: ``values``, ``graph``, ``graph_name``, ``meta``, ``notes``, ``source``.
    """
    params = stored_params()
    permutations = int(params.get("permutations", 999) if permutations is None else permutations)
    seed = int(params.get("seed", 42) if seed is None else seed)
    run = local_method(method, argument="--method")
    values, meta = indicator_values(indicator)
    dropped = values.index[values.isna().to_numpy()]
    graph, graph_name = _graph_for(str(meta["level"]), values.dropna())
    values, graph, notes = _restrict(values.dropna(), graph)
    if len(dropped):
        notes.append(f"{len(dropped)} areas without a value left out ({format_codes(dropped)})")
    stored = _stored_run(meta["id"], method, permutations, seed)
    context = {"values": values, "graph": graph, "graph_name": graph_name, "meta": meta,
               "notes": notes}
    if stored is not None:
        same = stored.attrs["alpha"] == alpha and (stored.attrs["correction"] == "fdr_bh") == fdr
        result = stored if same else rejudge(stored, alpha=alpha, fdr=fdr)
        return result, context | {"source": "the store's national run (read, not recomputed)"}
    result = run.run(values, graph, polarity=str(meta["polarity"]), permutations=permutations,
                     seed=seed, alpha=alpha, fdr=fdr)
    result.attrs["global"] = global_autocorrelation(values, graph, permutations=permutations,
                                                    seed=seed)
    return result, context | {"source": "computed now"}


def _local_run(context: dict[str, Any], members: pd.Index, *, method: str,
               permutations: int, seed: int, alpha: float, fdr: bool) -> pd.DataFrame:
    """The place's LSOAs and one ring of neighbours analysed on their own."""
    sub, focus = subgraph_with_ring(context["graph"], members, rings=1)
    values = context["values"].reindex(sub.unique_ids)
    result = local_method(method).run(values, sub, polarity=str(context["meta"]["polarity"]),
                                      permutations=permutations, seed=seed, alpha=alpha, fdr=fdr,
                                      focus=focus)
    result.attrs["global"] = global_autocorrelation(values, sub, permutations=permutations,
                                                    seed=seed)
    context["notes"].append(f"{int((~focus).sum())} ring neighbours analysed with the "
                            f"{int(focus.sum())} LSOAs")
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
        Catalogue id such as ``"iod2025.imd_score"``.
    level
        Expected level (checked against the catalogue); default the indicator's own.
    within
        A council (LAD or UTLA 2024), region or combined authority code (LSOA indicators).
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
        outcomes, the global statistics and notes.

    Raises
    ------
    InputError
        Unknown indicator, method, place or reference; level mismatch; ``within`` on a
        non-LSOA level.
    """
    if reference not in REFERENCES:
        msg = f"`--reference` must be one of {list(REFERENCES)}; got {reference!r}."
        raise InputError(msg)
    result, context = national_run(indicator, method=method, permutations=permutations,
                                   seed=seed, alpha=alpha, fdr=fdr)
    meta = context["meta"]
    if level is not None and level != meta["level"]:
        msg = (f"`--level` {level!r} does not match indicator {meta['id']!r}, which is published "
               f"at level {meta['level']!r}; drop --level or choose an indicator of that level.")
        raise InputError(msg)
    place, members = _place(within, meta, result.index)
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
    info = _info(result, context, place=place, reference=reference if within else None,
                 robust=robust)
    table.attrs = {k: info[k] for k in ("indicator", "method", "polarity", "weights",
                                        "permutations", "seed", "alpha", "correction", "p_value",
                                        "reference", "global")}
    return table, info


def _place(within: str | None, meta: dict[str, Any], codes: pd.Index
           ) -> tuple[str | None, pd.Index | None]:
    """The place's description and its LSOAs among ``codes`` (None, None without ``within``)."""
    if not within:
        return None, None
    if meta["level"] != "lsoa21":
        msg = (f"`--within` needs an LSOA indicator (level lsoa21); {meta['id']!r} is at level "
               f"{meta['level']!r}.")
        raise InputError(msg)
    lsoas, kind, name = area_lsoas(within)
    members = lsoas[codes.get_indexer(lsoas) >= 0]
    if len(members) == 0:
        msg = f"`--within` {within!r} ({name}) has no LSOA with a value of {meta['id']!r}."
        raise InputError(msg)
    return f"{name} ({kind} {str(within).strip().upper()}, {len(members)} LSOAs)", members


def _info(result: pd.DataFrame, context: dict[str, Any], *, place: str | None,
          reference: str | None, robust: bool) -> dict[str, Any]:
    """How a hotspot table was made, for the message and the metadata of its files."""
    attrs, meta = result.attrs, context["meta"]
    return {
        "indicator": meta["id"], "dataset": meta.get("dataset"), "level": str(meta["level"]),
        "graph": context["graph_name"], "within": place, "source": context["source"],
        "reference": REFERENCES[reference] if reference else "national (every area)",
        "notes": context["notes"],
        **{k: attrs.get(k) for k in ("method", "polarity", "weights", "permutations", "seed",
                                     "alpha", "correction", "p_value", "counts", "outcomes",
                                     "z_against_tail", "permutation_floor", "global")},
        "robustness": f"k={KNN} nearest neighbours" if robust else "not computed",
    }


def with_geometry(table: pd.DataFrame, level: str) -> gpd.GeoDataFrame:
    """The table's areas as polygons of ``level`` (EPSG:27700), indexed by code."""
    shapes = boundaries.load(level)[["geometry"]]
    gdf = shapes.join(table.set_index("code"), how="inner")
    for col in ("robust", "z_against_tail"):
        if col in gdf.columns:
            gdf[col] = gdf[col].astype(object).where(gdf[col].notna(), None)
    return gdf
