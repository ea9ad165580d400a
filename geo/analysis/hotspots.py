"""A hotspot run of one catalogue indicator, read from the store and computed by geo.stats.

:func:`hotspot_table` loads the indicator (``geo.load_indicators``) and the stored contiguity
graph of its level (``lsoa21_en`` for England-only LSOA data, ``lsoa21``, ``lad24``; other levels
get a graph built on the fly), runs the local method of :data:`geo.stats.local.LOCAL_METHODS`
with the indicator's polarity, optionally within one council (its LSOAs plus one ring of
neighbours, reported for the council only), and checks each spot against k-nearest-neighbour
weights (k=8).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd

import boundaries
from geo._errors import InputError, format_codes
from geo.data.indicators import catalogue, load_indicators
from geo.stats.local import local_method
from geo.stats.robust import robustness
from geo.stats.weights import build_contiguity, knn_graph, subgraph_with_ring

__all__ = ["HOTSPOT_COLUMNS", "hotspot_table", "indicator_values", "with_geometry"]

#: Stored graph per level (``lsoa21`` switches to ``lsoa21_en`` for England-only data).
LEVEL_GRAPHS = {"lsoa21": "lsoa21", "lad24": "lad24"}

#: Columns of a hotspot table, in order.
HOTSPOT_COLUMNS = ("code", "value", "statistic", "p", "q", "label", "robust")

#: Neighbours of the robustness check.
KNN = 8


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


def _council_focus(code: str, graph: Any, level: str, indicator: str
                   ) -> tuple[Any, pd.Series, str]:
    """The council's LSOAs with one ring of neighbours: (subgraph, focus mask, note)."""
    if level != "lsoa21":
        msg = (f"`--within` needs an LSOA indicator (level lsoa21); {indicator!r} is at level "
               f"{level!r}.")
        raise InputError(msg)
    key = str(code).strip().upper()
    lsoa = boundaries.load("lsoa21")
    members = lsoa.index[(lsoa["lad24_code"] == key).to_numpy()]
    members = members[graph.unique_ids.get_indexer(members) >= 0]
    if len(members) == 0:
        known = sorted(lsoa["lad24_code"].dropna().unique())
        msg = (f"`--within` {code!r} is not a LAD 2024 code with LSOAs for this indicator; "
               f"examples of valid codes: {format_codes(known, limit=5)}.")
        raise InputError(msg)
    sub, mask = subgraph_with_ring(graph, members, rings=1)
    return sub, mask, f"{len(members)} LSOAs of {key} with {int((~mask).sum())} ring neighbours"


def hotspot_table(
    indicator: str,
    *,
    level: str | None = None,
    within: str | None = None,
    method: str = "gi_star",
    permutations: int = 999,
    seed: int = 42,
    alpha: float = 0.05,
    fdr: bool = True,
    robust: bool = True,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The hotspot table of one catalogue indicator, computed on the store's data.

    Parameters
    ----------
    indicator
        Catalogue id such as ``"iod2025.imd_score"``.
    level
        Expected level (checked against the catalogue); default the indicator's own.
    within
        A LAD 2024 code: analyse that council's LSOAs with one ring of neighbours.
    method, permutations, seed, alpha, fdr
        As in :func:`geo.stats.gi_star.local_gi_star` (``method``: a key of
        :data:`geo.stats.local.LOCAL_METHODS`).
    robust
        Add the ``robust`` column (k=8 nearest-neighbour weights).

    Returns
    -------
    table : pandas.DataFrame
        Columns :data:`HOTSPOT_COLUMNS`, one row per area; ``attrs`` says how it was computed.
    info : dict
        Level, graph name, method parameters, label counts and notes.

    Raises
    ------
    InputError
        Unknown indicator or method, level mismatch, ``within`` on a non-LSOA level or an
        unknown council.
    """
    run = local_method(method, argument="--method").run
    values, meta = indicator_values(indicator)
    ind_level = str(meta["level"])
    if level is not None and level != ind_level:
        msg = (f"`--level` {level!r} does not match indicator {meta['id']!r}, which is published "
               f"at level {ind_level!r}; drop --level or choose an indicator of that level.")
        raise InputError(msg)
    dropped = values.index[values.isna().to_numpy()]
    graph, graph_name = _graph_for(ind_level, values.dropna())
    values, graph, notes = _restrict(values.dropna(), graph)
    if len(dropped):
        notes.append(f"{len(dropped)} areas without a value left out ({format_codes(dropped)})")
    focus = None
    if within:
        graph, focus, note = _council_focus(within, graph, ind_level, meta["id"])
        values = values.reindex(graph.unique_ids)
        notes.append(note)
    res = run(values, graph, polarity=str(meta.get("polarity") or "higher_worse"),
              permutations=permutations, seed=seed, alpha=alpha, fdr=fdr, focus=focus)
    table = res.copy()
    if robust:
        knn = knn_graph(boundaries.load(ind_level).loc[values.index], k=KNN)
        table["robust"] = robustness(values, res, knn_graph=knn)
    else:
        table["robust"] = pd.Series(pd.NA, index=table.index, dtype="boolean")
    table = table.rename_axis("code").reset_index()[list(HOTSPOT_COLUMNS)]
    info = {
        "indicator": meta["id"], "dataset": meta.get("dataset"), "level": ind_level,
        "graph": graph_name, "within": within, "notes": notes,
        **{k: res.attrs[k] for k in ("method", "polarity", "weights", "permutations", "seed",
                                     "alpha", "correction", "p_value", "counts")},
        "robustness": f"k={KNN} nearest neighbours" if robust else "not computed",
    }
    table.attrs = {k: info[k] for k in ("indicator", "method", "polarity", "weights",
                                        "permutations", "seed", "alpha", "correction", "p_value")}
    return table, info


def with_geometry(table: pd.DataFrame, level: str) -> gpd.GeoDataFrame:
    """The table's areas as polygons of ``level`` (EPSG:27700), indexed by code."""
    shapes = boundaries.load(level)[["geometry"]]
    gdf = shapes.join(table.set_index("code"), how="inner")
    if "robust" in gdf.columns:
        gdf["robust"] = gdf["robust"].astype(object).where(gdf["robust"].notna(), None)
    return gdf
