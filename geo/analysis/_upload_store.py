"""What the analysis of an upload reads from the store, level by level.

The registries say, for each level an upload can be at, what its analysis uses: the stored
contiguity graph, the parent geographies summarised, the population weighting the summaries and
the deprivation measures (higher = more deprived). A new level (Scottish data zones, LSOA 2011)
is one entry here once the store holds its graph, lookups and deprivation index.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd

import boundaries
from geo._errors import InputError, format_codes
from geo.data.indicators import catalogue, load_indicators
from geo.stats.summaries import IOD_DOMAINS

__all__ = ["COUNCIL_LEVELS", "SMALL_AREA_LEVELS", "deprivation_measures", "level_graph",
           "parent_geographies", "population_weights"]

#: Small-area levels whose uploads get hotspots, summaries and the link to deprivation: the
#: stored contiguity graph (and England's, for uploads of English areas only), the parent
#: geographies summarised (their code column on the level's boundaries, and the name column
#: there, else the parent level's own boundaries), the population table weighting the
#: summaries and the deprivation table (``<domain>_score``, higher = more deprived).
SMALL_AREA_LEVELS: dict[str, dict[str, Any]] = {
    "lsoa21": {
        "graph": "lsoa21", "graph_england": "lsoa21_en",
        "parents": {"lad24": "lad24_code", "utla24": "utla24_code", "ward24": "ward24_code"},
        "population": ("population", "population_total"),
        "deprivation": ("iod2025", "{domain}_score"),
    },
}

#: Council levels: the store's summary table (statistical neighbours, deprivation averages).
COUNCIL_LEVELS: dict[str, dict[str, Any]] = {
    "lad24": {"summary": "summary_lad24", "deprivation": ("summary_lad24",
                                                          "{domain}_average_score")},
    "utla24": {"summary": "summary_utla24", "deprivation": ("summary_utla24",
                                                            "{domain}_average_score")},
}


def level_graph(level: str, codes: pd.Index, graph: Any | None) -> tuple[Any, str]:
    """The level's stored graph (England's for English areas only), cut to ``codes``."""
    plan = SMALL_AREA_LEVELS[level]
    if graph is None:
        english = bool(len(codes)) and bool(pd.Index(codes).str.startswith("E").all())
        name = plan["graph_england"] if english and plan.get("graph_england") else plan["graph"]
        graph = boundaries.load_graph(name)
    else:
        name = "given"
    unknown = codes[graph.unique_ids.get_indexer(codes) < 0]
    if len(unknown):
        msg = (f"{len(unknown)} uploaded codes are not in the {name} graph ({format_codes(unknown)});"
               " rebuild the store (`python -m geo data build`)")
        raise InputError(msg)
    return graph.subgraph(codes), name


def deprivation_measures(level: str, codes: pd.Index) -> tuple[pd.DataFrame, dict[str, str], str]:
    """Deprivation measures of the level (higher = more deprived) for ``codes``, labels, dataset."""
    plan = SMALL_AREA_LEVELS.get(level) or COUNCIL_LEVELS[level]
    dataset, pattern = plan["deprivation"]
    table = load_indicators(dataset)
    columns = [pattern.format(domain=d) for d in IOD_DOMAINS]
    columns = [c for c in columns if c in table.columns]
    cat = catalogue()
    labels = {c: str(cat.at[f"{dataset}.{c}", "label"]) if f"{dataset}.{c}" in cat.index else c
              for c in columns}
    frame = table[columns].apply(pd.to_numeric, errors="coerce").astype(float)
    return frame.reindex(codes.intersection(frame.index)), labels, dataset


def parent_geographies(level: str, shapes: gpd.GeoDataFrame) -> dict[str, tuple[pd.Series, pd.Series,
                                                                       pd.DataFrame | None]]:
    """For each summarised parent: area -> parent code, parent names, and extra columns."""
    out = {}
    for parent, column in SMALL_AREA_LEVELS[level]["parents"].items():
        if column not in shapes.columns:
            continue
        codes = shapes[column].rename(f"{parent}_code")
        name_col = f"{parent}_name"
        if name_col in shapes.columns:
            names = shapes.dropna(subset=[column]).drop_duplicates(column).set_index(column)[name_col]
        else:
            names = boundaries.load(parent)["name"]
        extra = None
        if parent.startswith("ward") and "lad24_code" in shapes.columns:
            first = shapes.dropna(subset=[column]).drop_duplicates(column).set_index(column)
            extra = first[[c for c in ("lad24_code", "lad24_name") if c in first.columns]]
        out[parent] = (codes, names, extra)
    return out



def population_weights(level: str) -> tuple[pd.Series, str]:
    """The population of each small area of ``level`` (summary weights), and where it is from."""
    dataset, column = SMALL_AREA_LEVELS[level]["population"]
    return load_indicators(dataset)[column], f"{dataset}.{column}"
