"""What an export holds: areas joined with their stored indicators, and the metadata to go with them.

The ``python -m geo export`` and ``raster`` commands write these tables; they do no joining of
their own.

* :func:`join_columns`: indicator columns joined onto areas, unmatched codes reported (pure).
* A council's own table is its pack's (:func:`geo.council.council_export`), not built here.
* :func:`level_table`: every area of a level with the indicators stored at that level that
  cover its nations.
* :func:`indicator_table`: the areas and the one column to rasterise (an indicator id, or
  ``hotspot:<method>_<indicator>`` for national hotspot labels).
* :func:`council_names`, :func:`hotspot_ids`: the valid values, for the command line's checks.

Data come through the store's public readers (``boundaries.load``, :mod:`geo.data.indicators`).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

import geopandas as gpd
import pandas as pd

from geo._errors import InputError, OppmapError, UnmatchedCodesWarning, format_codes
from geo.export.columns import export_types
from geo.export.metadata import export_metadata, hotspot_method

__all__ = [
    "join_columns",
    "level_table",
    "carry_notes",
    "shared_notes",
    "indicator_table",
    "council_names",
    "hotspot_ids",
    "HOTSPOT_PREFIX",
]


#: Prefix of an indicator that selects national hotspot labels (``hotspot:gi_star_imd_score``).
HOTSPOT_PREFIX = "hotspot:"


#: The stored table of national hotspot runs (its sources are in the metadata).
HOTSPOT_TABLE = "hotspots_lsoa21"


#: The level of the stored national hotspot labels (:func:`geo.data.indicators.load_lsoa_flags`).
HOTSPOT_LEVEL = "lsoa21"


#: Catalogue units of indicators that hold whole numbers (counts, ranks, deciles).
INTEGER_UNITS = ("decile", "domains", "children", "people")


#: Columns of a table carried from LSOA 2011 to LSOA 2021 that say how, exported beside it.
CARRY_COLUMNS = ("lookup_rule", "n_parents_2011")


def join_columns(areas: gpd.GeoDataFrame, table: pd.DataFrame, *, what: str) -> gpd.GeoDataFrame:
    """Left-join ``table``'s columns onto ``areas`` by code, warning about codes with no area.

    Parameters
    ----------
    areas
        Areas indexed by code.
    table
        Columns indexed by the same codes; columns that ``areas`` already has are left out.
    what
        What the table is, for the warning.

    Returns
    -------
    GeoDataFrame
        Indexed exactly like ``areas``.

    Warns
    -----
    UnmatchedCodesWarning
        When codes of ``table`` are not areas (the count and the first few).
    """
    table = table.copy()
    table.index.name = areas.index.name
    unmatched = table.index.difference(areas.index)
    if len(unmatched):
        warnings.warn(
            f"{len(unmatched)} codes of {what} are not areas of this level and were left out: "
            f"{format_codes(unmatched)}",
            UnmatchedCodesWarning,
            stacklevel=2,
        )
    table = table.drop(columns=[c for c in table.columns if c in areas.columns])
    return areas.join(table, how="left", validate="one_to_one")


def _integer_ids(catalogue: pd.DataFrame) -> list[str]:
    unit = catalogue["unit"].fillna("").astype(str).str.lower()
    whole = unit.isin(INTEGER_UNITS) | unit.str.startswith("rank of")
    return [str(i) for i in catalogue.index[whole]]


def _covering(rows: pd.DataFrame, nations: Iterable[str] | None) -> pd.DataFrame:
    """The catalogue rows whose ``nations`` include any of ``nations`` (all rows for ``None``)."""
    if nations is None:
        return rows
    wanted = set(nations)
    covers = rows["nations"].fillna("").astype(str).str.split(";")
    return rows[covers.apply(lambda n: bool(wanted & set(n)))]


def _carried(dataset: str, level: str) -> pd.DataFrame:
    """How a table carried to ``level`` got its values (``<dataset>.lookup_rule``, ...), if it was."""
    from geo.data.indicators import load_indicators
    from geo.data.sources import registry

    entry = registry().get(dataset, {})
    if entry.get("store_level") != level or entry.get("level") == level:
        return pd.DataFrame()
    table = load_indicators(dataset)
    return table[[c for c in CARRY_COLUMNS if c in table.columns]].add_prefix(f"{dataset}.")


def _indicators_at(level: str, *, nations: Iterable[str] | None = None,
                   datasets: Iterable[str] | None = None
                   ) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Catalogued indicators stored at ``level``: the table, its datasets, integer columns.

    Only datasets that cover one of ``nations`` (the catalogue's ``nations``), and only
    ``datasets`` when given. A table carried from LSOA 2011 brings its lookup rule.
    """
    from geo.data.indicators import catalogue, load_indicators

    cat = catalogue()
    rows = _covering(cat[cat["level"] == level], nations)
    if datasets is not None:
        rows = rows[rows["dataset"].isin(list(datasets))]
    frames, used = [], []
    for ds, part in rows.groupby("dataset", sort=False):
        try:
            frames += [load_indicators(list(part.index)), _carried(str(ds), level)]
        except OppmapError as exc:
            warnings.warn(f"indicators of {ds!r} left out: {exc}", UserWarning, stacklevel=3)
            continue
        used.append(str(ds))
    table = pd.concat([f for f in frames if not f.empty], axis=1) if frames else pd.DataFrame()
    integers = _integer_ids(rows) + [c for c in table.columns if c.endswith(".n_parents_2011")]
    return table, used, integers


def _lsoa_flags() -> pd.DataFrame:
    """Compounded/persistent flags and hotspot labels per LSOA (a StoreError names the fix)."""
    from geo.data.indicators import load_lsoa_flags

    return load_lsoa_flags()


def _hotspot_labels(codes: pd.Index) -> pd.DataFrame:
    """National hotspot labels of these LSOAs (columns with no value for them left out)."""
    try:
        flags = _lsoa_flags()
    except OppmapError:  # a store built with --no-hotspots: the README says there are none
        return pd.DataFrame(index=codes)
    runs = [c for c in flags.columns  # the label, outcome, bin and robustness of each run
            if str(c).startswith(("hotspot_", "outcome_", "bin_", "robust_"))]
    labels = flags[runs].reindex(codes)
    return labels.loc[:, labels.notna().any()]


def _flags(spec: dict[str, Any], areas: gpd.GeoDataFrame) -> tuple[pd.DataFrame, bool]:
    """Per small area: the nation's compounded-disadvantage flags and any hotspot labels."""
    from geo.data.indicators import COMPOUND_FLAGS, load_indicators

    compound = load_indicators(spec["compound"])
    flags = compound[[c for c in COMPOUND_FLAGS if c in compound.columns]].reindex(areas.index)
    # named as the pack names them (<table>.<column>), once: the catalogued ones are there
    flags = flags.add_prefix(f"{spec['compound']}.")
    flags = flags[[c for c in flags.columns if c not in areas.columns]]
    on_level = spec.get("map_level") == HOTSPOT_LEVEL
    labels = _hotspot_labels(areas.index) if on_level else pd.DataFrame()
    if labels.empty or not len(labels.columns):
        return flags, False
    return flags.join(labels, validate="one_to_one"), True


def council_names() -> dict[str, str]:
    """LAD 2024 code -> name of every council of the UK in the store (361)."""
    import boundaries

    lad = boundaries.load("lad24")
    names = lad["name"] if "name" in lad.columns else pd.Series(lad.index, index=lad.index)
    return {str(k): str(v) for k, v in names.sort_index().items()}


def _index_note(spec: dict[str, Any]) -> str:
    """One sentence on a nation's own index: title, id, vintage and small areas."""
    from geo.data.sources import NATIONS, dataset

    vintage = dataset(spec["dataset"])["vintage"]
    return (f"{NATIONS[spec['nation']]}'s own index: {spec['title']} ({spec['id']}, {vintage}); "
            f"small areas: {spec['small_areas']}.")


def _index_notes(datasets: Iterable[str]) -> list[str]:
    """:func:`_index_note` of each national index whose tables are among ``datasets``."""
    from geo.data.nations import index_spec, national_indices

    used = set(datasets)
    notes = []
    for ident in national_indices():
        spec = index_spec(ident)
        tables = {spec["dataset"], spec.get("native_table"), spec.get("compound"),
                  *spec.get("summaries", {}).values()}
        if used & tables:
            notes.append(_index_note(spec))
    return notes


def carry_notes(table: pd.DataFrame) -> list[str]:
    """For each table carried from LSOA 2011: how, by the rules its ``lookup_rule`` holds."""
    from geo.stats.carry import LOOKUP_RULES

    notes = []
    for column in (str(c) for c in table.columns if str(c).endswith(".lookup_rule")):
        rules = sorted(table[column].dropna().astype(str).unique())
        notes.append(f"{column.removesuffix('.lookup_rule')} was published on LSOA 2011 and "
                     f"carried to LSOA 2021 through the ONS lookup; `{column}` says how: "
                     + "; ".join(f"{r} = {LOOKUP_RULES.get(r, r)}" for r in rules) + ".")
    return notes



def shared_notes(datasets: Iterable[str], codes: pd.Index) -> list[str]:
    """For each table holding one published figure for several of ``codes`` (its
    ``area_name`` shared: the SMC's Northern Ireland, abolished Cumbria's DfE figures carried to
    its two successors): which areas share which figure, as the profiles mark them."""
    from geo.data.indicators import load_indicators

    notes = []
    for ident in datasets:
        try:
            names = load_indicators(ident)
        except OppmapError:
            continue
        if "area_name" not in names.columns:
            continue
        names = names["area_name"].reindex(codes).dropna().astype(str)
        shared = [(n, list(g.index)) for n, g in names.groupby(names, sort=True) if len(g) > 1]
        if shared:
            notes.append(f"{ident}: one published figure for several areas, repeated on each "
                         "(not a figure of each area; not ranked in profiles): "
                         + "; ".join(f"{n} for {', '.join(c)}" for n, c in shared) + ".")
    return notes


def _drop_empty(table: gpd.GeoDataFrame, *, where: str) -> tuple[gpd.GeoDataFrame, list[str]]:
    """``table`` without the columns that have no value at all, and a note naming them."""
    empty = [str(c) for c in table.columns if c != table.geometry.name and table[c].isna().all()]
    note = [f"Left out, with no value for any area of {where}: {', '.join(empty)}."] if empty else []
    return table.drop(columns=empty), note



def level_table(level: str) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """Every area of ``level`` with the indicators stored at that level, and the metadata.

    Only datasets that cover a nation of the level's areas (its ``country`` column) are
    joined. For ``lsoa21`` England's flags and national hotspot labels are joined too.
    """
    import boundaries
    from geo.data.nations import comparability_note, index_of_nation, index_spec

    areas = boundaries.load(level)
    present = set(areas["country"].dropna().astype(str)) if "country" in areas.columns else None
    indicators, datasets, integers = _indicators_at(level.removesuffix("_detailed"),
                                                    nations=present)
    if not indicators.empty:
        if present is not None:  # rows of the other nations' areas (e.g. lad24 tables' S and N)
            indicators = indicators[indicators.index.str[:1].isin(present)]
        areas = join_columns(areas, indicators, what=f"{level} indicators")
    hotspots = False
    if level == HOTSPOT_LEVEL:  # England's flags and the national hotspot labels
        england = index_spec(index_of_nation("E"))
        flags, hotspots = _flags(england, areas)
        areas = join_columns(areas, flags, what="flags and hotspot labels")
        datasets += [england["compound"], *([HOTSPOT_TABLE] if hotspots else [])]
    areas, left_out = _drop_empty(areas, where="this level")
    meta = export_metadata(datasets, level=level, method=hotspot_method() if hotspots else None)
    notes = [*_index_notes(datasets), *carry_notes(areas), *shared_notes(datasets, areas.index)]
    if notes or (present is not None and len(present) > 1):
        notes.append(comparability_note())
    if notes or left_out:
        meta["notes"] = notes + left_out
    return export_types(areas, integer_columns=integers), meta


def hotspot_ids() -> list[str]:
    """Every ``hotspot:<method>_<indicator>`` that :func:`indicator_table` accepts."""
    labels = _lsoa_flags()
    return [HOTSPOT_PREFIX + str(c).removeprefix("hotspot_") for c in labels.columns
            if str(c).startswith("hotspot_")]


def _hotspot_frame(indicator: str) -> tuple[gpd.GeoDataFrame, str, dict[str, Any]]:
    import boundaries

    which = indicator.removeprefix(HOTSPOT_PREFIX)
    labels = _lsoa_flags()
    column = f"hotspot_{which}"
    if column not in labels.columns:
        valid = [HOTSPOT_PREFIX + c.removeprefix("hotspot_") for c in labels.columns
                 if c.startswith("hotspot_")]
        msg = (f"`indicator` {indicator!r}: no hotspot labels for {which!r} in the store; "
               f"valid: {valid or 'none (build the store with hotspots)'}")
        raise InputError(msg)
    areas = boundaries.load("lsoa21")
    areas = areas[areas.index.isin(labels.index)]
    table = join_columns(areas[["geometry"]], labels[[column]], what="hotspot labels")
    meta = export_metadata([HOTSPOT_TABLE, "iod2025"], level="lsoa21", method=hotspot_method())
    meta.update(indicator=f"hot and cold spots of {which}", units="category")
    return table, column, meta


def indicator_table(indicator: str) -> tuple[gpd.GeoDataFrame, str, dict[str, Any]]:
    """The areas of an indicator's level with its one column, and the metadata (for a raster).

    Parameters
    ----------
    indicator
        A catalogue id (``iod2025.imd_score``) or ``hotspot:<method>_<indicator>``.

    Returns
    -------
    (GeoDataFrame, str, dict)
        Areas with values (geometry and the column), the column's name, and metadata with
        ``indicator`` (its label) and ``units``.

    Raises
    ------
    OppmapError
        An unknown indicator or hotspot run.
    """
    import boundaries
    from geo.data.indicators import indicator_meta, load_indicators
    from geo.data.nations import comparability_note, comparable_datasets

    if indicator.startswith(HOTSPOT_PREFIX):
        return _hotspot_frame(indicator)
    info = indicator_meta(indicator)
    level = info["level"]
    values = load_indicators([info["id"]])
    areas = boundaries.load(level)
    areas = areas[areas.index.isin(values.index)]
    table = join_columns(areas[["geometry"]], values, what=info["id"])
    meta = export_metadata([info["dataset"]], level=level)
    meta.update(indicator=f"{info['label']} ({info['id']})", units=info.get("unit") or "")
    notes = _index_notes([info["dataset"]])
    if notes or info["dataset"] in comparable_datasets():
        meta["notes"] = [*notes, comparability_note()]
    return table, info["id"], meta
