"""What the analysis of an upload reads from the store, level by level and nation by nation.

The registries say, for each level an upload can be at, what its analysis uses: the stored
contiguity graph, the parent geographies summarised and the population weighting the
summaries. The deprivation measures come from each nation's own index (the registry's
``[national_indices]``, :func:`geo.data.nations.index_spec`): England's LSOAs are linked to the
IoD 2025, Wales's to WIMD 2019 (carried to LSOA 2021), Scotland's data zones to SIMD 2020, never
one nation's index to another nation's areas. An upload of one nation is tested on that nation's
graph (``lsoa21_en``, ``lsoa21_wa``, ``dz11``); one of England and Wales together on ``lsoa21``,
where the composite UK IMD (mySociety, comparable across nations) is the measure of the scatter
and the bivariate map. Every measure is oriented so that higher = more deprived: a score as it
is, a rank (1 = most deprived, SIMD has no scores) as ``N + 1 - rank``.

* :func:`level_graph`, :func:`parent_geographies`, :func:`population_weights`: the graph, the
  parents summarised and their weights.
* :func:`deprivation_measures` and :func:`link_to_deprivation`: each area's own index, and the
  correlations with it; :func:`link_notes` says which index each nation got and what was left
  out; :func:`analysis_sources` lists the registry datasets behind an analysis.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd

import boundaries
from geo._errors import InputError, format_codes
from geo.analysis._upload_tables import deprivation_correlations
from geo.data.indicators import catalogue, load_indicators
from geo.data.nations import (
    comparability_note,
    comparable_datasets,
    index_of_nation,
    national_indices,
)
from geo.stats.summaries import IOD_DOMAINS

__all__ = ["COUNCIL_LEVELS", "SMALL_AREA_LEVELS", "analysis_sources", "deprivation_measures",
           "level_graph", "link_notes", "link_to_deprivation", "nation_indices", "nations_of",
           "parent_geographies", "population_weights"]

#: Small-area levels whose uploads get hotspots, summaries and the link to deprivation: the
#: stored graph of the whole level (each nation alone uses its own index's graph), the nations
#: it covers, the parent geographies summarised (their code column on the level's boundaries,
#: and the name column there, else the parent level's own boundaries), the population table
#: weighting the summaries (None: every area weighs the same) and, when a usual parent is
#: missing, the sentence that says so.
SMALL_AREA_LEVELS: dict[str, dict[str, Any]] = {
    "lsoa21": {
        "graph": "lsoa21", "nations": ("E", "W"),
        "parents": {"lad24": "lad24_code", "utla24": "utla24_code", "ward24": "ward24_code"},
        "population": ("population", "population_total"),
        "unit": "LSOAs",
    },
    "dz11": {
        "graph": "dz11", "nations": ("S",),
        "parents": {"lad24": "lad24_code"},
        "population": None,
        "unit": "data zones",
        "weights": "none: every data zone weighs the same (the mirror has no data-zone "
                   "population)",
        "parents_note": "Data zones are summarised by council only (each data zone in the "
                        "council it fits best): the store has no intermediate zones or wards "
                        "for Scotland (the mirror has no codes or lookup for them).",
    },
}

#: Council levels: the store's summary table (statistical neighbours, deprivation averages).
COUNCIL_LEVELS: dict[str, dict[str, Any]] = {
    "lad24": {"summary": "summary_lad24", "deprivation": ("summary_lad24",
                                                          "{domain}_average_score")},
    "utla24": {"summary": "summary_utla24", "deprivation": ("summary_utla24",
                                                            "{domain}_average_score")},
}

#: Nations in words (area codes start with their letter).
NATION_WORDS = {"E": "English", "W": "Welsh", "S": "Scottish", "N": "Northern Irish"}

#: Columns of the table that describes each deprivation measure (indexed by ``measure``).
ABOUT_COLUMNS = ("index", "nations", "label", "orientation")


def nations_of(codes: pd.Index) -> tuple[str, ...]:
    """The nations (E, W, S, N) of some area codes, sorted."""
    return tuple(sorted({str(c)[:1] for c in codes}))


def nation_indices(level: str, codes: pd.Index) -> dict[str, dict[str, Any]]:
    """Each nation of ``codes`` whose own index is mapped at ``level``: letter -> index spec."""
    out = {}
    indices = national_indices()
    for nation in nations_of(codes):
        try:
            ident = index_of_nation(nation)
        except InputError:
            continue
        spec = indices[ident]
        if spec.get("map_level") == level and "graph" in spec:
            out[nation] = {"id": ident, **spec}
    return out


def level_graph(level: str, codes: pd.Index, graph: Any | None) -> tuple[Any, str]:
    """The graph of the upload's nation (of the whole level for several), cut to ``codes``."""
    if graph is None:
        name = SMALL_AREA_LEVELS[level]["graph"]
        indices = nation_indices(level, codes)
        if len(indices) == 1 and len(nations_of(codes)) == 1:
            name = next(iter(indices.values()))["graph"]
        graph = boundaries.load_graph(name)
    else:
        name = "given"
    unknown = codes[graph.unique_ids.get_indexer(codes) < 0]
    if len(unknown):
        msg = (f"{len(unknown)} uploaded codes are not in the {name} graph ({format_codes(unknown)});"
               " rebuild the store (`python -m geo data build`)")
        raise InputError(msg)
    return graph.subgraph(codes), name


def _labels(ids: list[str]) -> dict[str, str]:
    cat = catalogue()
    return {i: str(cat.at[i, "label"]) if i in cat.index else i for i in ids}


def _index_measures(spec: dict[str, Any], codes: pd.Index) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One nation's index and domains over ``codes`` (higher = more deprived), and their about."""
    table = load_indicators(spec["dataset"])
    rows = table.index.intersection(codes)
    frame, about = {}, []
    labels = _labels([f"{spec['dataset']}.{d}_{k}" for d in [spec["overall"], *spec["domains"]]
                      for k in ("score", "rank")])
    for domain in [spec["overall"], *spec["domains"]]:
        score, rank = f"{domain}_score", f"{domain}_rank"
        if score in table.columns:
            ident, values = f"{spec['dataset']}.{score}", table.loc[rows, score]
            way = "score: higher = more deprived"
        elif rank in table.columns:
            n = int(spec["n_ranked"])
            ident, values = f"{spec['dataset']}.{rank}", n + 1 - table.loc[rows, rank]
            way = f"rank reversed ({n + 1:,} - rank, rank 1 = most deprived): higher = more deprived"
            labels[ident] = f"{labels.get(ident, ident)}, reversed: higher = more deprived"
        else:
            continue
        frame[ident] = pd.to_numeric(values, errors="coerce").astype(float)
        about.append({"measure": ident, "index": spec["id"], "nations": spec["nation"],
                      "label": labels.get(ident, ident), "orientation": way})
    return pd.DataFrame(frame, index=rows), pd.DataFrame(about).set_index("measure")


def _comparable_measure(level: str, codes: pd.Index) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The composite UK IMD score at ``level`` (comparable across nations), if the store has it."""
    cat = catalogue()
    found = cat[cat["dataset"].isin(comparable_datasets()) & (cat["level"] == level)
                & (cat["column"] == "uk_imd_score")]
    if found.empty:
        return pd.DataFrame(index=codes[:0]), pd.DataFrame(columns=list(ABOUT_COLUMNS))
    ident = str(found.index[0])
    table = load_indicators(str(found.at[ident, "dataset"]))
    rows = table.index.intersection(codes)
    frame = pd.DataFrame({ident: table.loc[rows, "uk_imd_score"].astype(float)}, index=rows)
    about = pd.DataFrame([{"measure": ident, "index": str(found.at[ident, "dataset"]),
                           "nations": str(found.at[ident, "nations"]),
                           "label": str(found.at[ident, "label"]),
                           "orientation": "score: higher = more deprived (comparable across "
                                          "nations)"}]).set_index("measure")
    return frame, about


def _council_measures(level: str, codes: pd.Index) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A council level's IoD 2025 average scores (English councils) as deprivation measures."""
    dataset, pattern = COUNCIL_LEVELS[level]["deprivation"]
    table = load_indicators(dataset)
    columns = [c for c in (pattern.format(domain=d) for d in IOD_DOMAINS) if c in table.columns]
    ids = [f"{dataset}.{c}" for c in columns]
    frame = table[columns].apply(pd.to_numeric, errors="coerce").astype(float).set_axis(ids, axis=1)
    labels = _labels(ids)
    about = pd.DataFrame([{"measure": i, "index": "iod2025", "nations": "E", "label": labels[i],
                           "orientation": "population-weighted average score: higher = more "
                                          "deprived"} for i in ids]).set_index("measure")
    return frame.reindex(codes.intersection(frame.index)), about


def deprivation_measures(level: str, codes: pd.Index) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Deprivation measures for ``codes``, each from the index of the area's own nation.

    Returns
    -------
    frame : pandas.DataFrame
        Indexed by the codes that have a measure, one column per measure (its catalogue id,
        e.g. ``iod2025.imd_score``, ``simd2020.simd_rank``), higher = more deprived, NaN for the
        areas of other nations. The first column is the one the scatter and the bivariate map
        use: the nation's overall index, or, for an upload of several nations, the composite
        UK IMD.
    about : pandas.DataFrame
        Indexed by ``measure`` like ``frame``'s columns: :data:`ABOUT_COLUMNS` (``index``,
        ``nations``, ``label``, ``orientation``).
    """
    if level in COUNCIL_LEVELS:
        return _council_measures(level, codes)
    parts = [_index_measures(spec, codes) for spec in nation_indices(level, codes).values()]
    if len(nations_of(codes)) > 1:
        parts.insert(0, _comparable_measure(level, codes))
    parts = [(f, a) for f, a in parts if len(a)]
    if not parts:
        return pd.DataFrame(index=codes[:0]), pd.DataFrame(columns=list(ABOUT_COLUMNS))
    frame = pd.concat([f for f, _ in parts], axis=1)
    frame.index.name = codes.name
    return frame, pd.concat([a for _, a in parts])


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


def population_weights(level: str, codes: pd.Index) -> tuple[pd.Series, str]:
    """The weight of each small area of ``codes`` in the summaries, and what it is.

    The level's population table (Census 2021 residents for LSOAs), or, where the mirror has
    none (data zones), 1 for every area.
    """
    plan = SMALL_AREA_LEVELS[level]
    if plan["population"] is None:
        return pd.Series(1.0, index=codes), plan["weights"]
    dataset, column = plan["population"]
    return load_indicators(dataset)[column], f"{dataset}.{column}"


def link_to_deprivation(present: pd.Series, *, level: str, polarity: str, alpha: float
          ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """The deprivation measures of each area's own nation, the correlations and their method."""
    deprivation, about = deprivation_measures(level, present.index)
    correlations = deprivation_correlations(
        present, deprivation, labels=about["label"].to_dict(), polarity=polarity, alpha=alpha,
        about=about[["index", "nations", "orientation"]])
    indices = list(dict.fromkeys(about["index"]))
    method = {**correlations.attrs, "indices": indices,
              "per_nation": "each area against its own nation's index; ranks reversed so that "
                            "higher = more deprived",
              "scatter_and_bivariate": str(deprivation.columns[0]) if len(about) else None,
              "areas_linked": int(deprivation.notna().any(axis=1).sum())}
    return deprivation, about, correlations, method


def link_notes(values: pd.Series, level: str, link: dict[str, Any]) -> list[str]:
    """Which index each nation is linked to, and the areas the link leaves out."""
    notes = []
    indices = nation_indices(level, values.dropna().index) if level in SMALL_AREA_LEVELS else {}
    if len(indices) > 1:
        words = "; ".join(f"{NATION_WORDS.get(n, n)} areas with the {spec['title']}"
                          for n, spec in indices.items())
        notes.append(f"Each nation is linked to its own index ({words}). {comparability_note()} "
                     f"The scatter and the bivariate map use {link['scatter_and_bivariate']}.")
    n_values, n_linked = int(values.notna().sum()), int(link.get("areas_linked", 0))
    if n_linked < n_values:
        unit = SMALL_AREA_LEVELS[level]["unit"] if level in SMALL_AREA_LEVELS else "councils"
        covered = ", ".join(link["indices"]) or "none"
        notes.append(f"The link to deprivation uses the {n_linked:,} of {n_values:,} {unit} "
                     f"with a value that have a deprivation score of their nation (indices: "
                     f"{covered}).")
    return notes


def analysis_sources(level: str, codes: pd.Index, indices: list[str]) -> list[str]:
    """Registry datasets behind a small-area analysis: indices, populations, lookups."""
    plan = SMALL_AREA_LEVELS[level]
    population = [plan["population"][0]] if plan["population"] else []
    lookups = ["lookup_lsoa21_ward24_lad24"] if level == "lsoa21" else []
    compounds = [spec["compound"] for spec in nation_indices(level, codes).values()]
    return list(dict.fromkeys([*indices, *compounds, *population, *lookups]))
