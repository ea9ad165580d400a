"""What an export holds: areas joined with their stored indicators, and the metadata to go with them.

The ``python -m geo export`` and ``raster`` commands write these tables; they do no joining of
their own.

* :func:`join_columns`: indicator columns joined onto areas, unmatched codes reported (pure).
* :func:`council_table`: a council's LSOAs with every LSOA indicator and hotspot label.
* :func:`level_table`: every area of a level with the indicators stored at that level.
* :func:`indicator_table`: the areas and the one column to rasterise (an indicator id, or
  ``hotspot:<method>_<indicator>`` for national hotspot labels).
* :func:`council_names`, :func:`hotspot_ids`: the valid values, for the command line's checks.

Data come through the store's public readers (``boundaries.load``, :mod:`geo.data.indicators`).
"""

from __future__ import annotations

import warnings
from typing import Any

import geopandas as gpd
import pandas as pd

from geo._errors import InputError, OppmapError, UnmatchedCodesWarning, format_codes
from geo.export.columns import export_types
from geo.export.metadata import export_metadata, hotspot_method

__all__ = [
    "join_columns",
    "council_table",
    "level_table",
    "indicator_table",
    "council_names",
    "hotspot_ids",
    "HOTSPOT_PREFIX",
]


#: Prefix of an indicator that selects national hotspot labels (``hotspot:gi_star_imd_score``).
HOTSPOT_PREFIX = "hotspot:"


#: The stored table of national hotspot runs (its sources are in the metadata).
HOTSPOT_TABLE = "hotspots_lsoa21"


#: Catalogue units of indicators that hold whole numbers (counts, ranks, deciles).
INTEGER_UNITS = ("decile", "domains", "children", "people")


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


def _indicators_at(level: str) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Every catalogued indicator stored at ``level``: the table, its datasets, integer ids."""
    from geo.data.indicators import catalogue, load_indicators

    cat = catalogue()
    rows = cat[cat["level"] == level]
    frames, datasets = [], []
    for ds, part in rows.groupby("dataset", sort=False):
        try:
            frames.append(load_indicators(list(part.index)))
        except OppmapError as exc:
            warnings.warn(f"indicators of {ds!r} left out: {exc}", UserWarning, stacklevel=3)
            continue
        datasets.append(str(ds))
    table = pd.concat(frames, axis=1) if frames else pd.DataFrame()
    return table, datasets, _integer_ids(rows)


def _lsoa_flags() -> pd.DataFrame:
    """Compounded/persistent flags and hotspot labels per LSOA (a StoreError names the fix)."""
    from geo.data.indicators import load_lsoa_flags

    return load_lsoa_flags()


def council_names() -> dict[str, str]:
    """LAD 2024 code -> name of every council with LSOAs in the store."""
    import boundaries

    lsoa = boundaries.load("lsoa21")
    if "lad24_code" not in lsoa.columns:
        msg = "the stored lsoa21 boundaries have no lad24_code column: rebuild the store"
        raise InputError(msg)
    names = lsoa["lad24_name"] if "lad24_name" in lsoa.columns else lsoa["lad24_code"]
    pairs = pd.Series(names.to_numpy(), index=lsoa["lad24_code"].to_numpy()).dropna()
    pairs = pairs[~pairs.index.duplicated()]
    return {str(k): str(v) for k, v in pairs.sort_index().items()}


def council_table(council_code: str) -> tuple[gpd.GeoDataFrame, str, dict[str, Any]]:
    """A council's LSOAs with every LSOA indicator and hotspot label, its name and metadata.

    Parameters
    ----------
    council_code
        A LAD 2024 code with LSOAs in the store (England and Wales), any case.

    Returns
    -------
    (GeoDataFrame, str, dict)
        The LSOAs indexed by ``lsoa21_code`` (indicator columns named by catalogue id, then the
        flags and ``hotspot_<method>_<indicator>`` labels), the council's name, and the export
        metadata (with ``council``: code and name, and the stored hotspot parameters).

    Raises
    ------
    InputError
        If ``council_code`` is not a LAD 2024 code with LSOAs in the store.
    """
    import boundaries

    code = str(council_code).strip().upper()
    lsoa = boundaries.load("lsoa21")
    if "lad24_code" not in lsoa.columns:
        msg = "the stored lsoa21 boundaries have no lad24_code column: rebuild the store"
        raise InputError(msg)
    areas = lsoa[lsoa["lad24_code"] == code]
    if areas.empty:
        known = sorted(lsoa["lad24_code"].dropna().unique())
        msg = (f"`council_code` {council_code!r} is not a LAD 2024 code of England or Wales with "
               f"LSOAs (e.g. E08000003 for Manchester); {len(known)} codes are known, such as "
               f"{format_codes(known, limit=5)}")
        raise InputError(msg)
    name = str(areas["lad24_name"].iloc[0]) if "lad24_name" in areas.columns else code
    indicators, datasets, integers = _indicators_at("lsoa21")
    table = join_columns(areas, indicators.reindex(areas.index), what="LSOA indicators")
    labels = _lsoa_flags()
    method: dict[str, Any] = {}
    if not labels.empty:
        table = join_columns(table, labels.reindex(areas.index), what="hotspot labels")
        method = hotspot_method()
        datasets.append(HOTSPOT_TABLE)
    meta = export_metadata(datasets, level="lsoa21", method=method)
    meta["council"] = {"code": code, "name": name}
    return export_types(table, integer_columns=integers), name, meta


def level_table(level: str) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """Every area of ``level`` with the indicators stored at that level, and the metadata.

    For ``lsoa21`` the flags and national hotspot labels are joined too.
    """
    import boundaries

    areas = boundaries.load(level)
    indicators, datasets, integers = _indicators_at(level.removesuffix("_detailed"))
    if not indicators.empty:
        areas = join_columns(areas, indicators, what=f"{level} indicators")
    method: dict[str, Any] = {}
    if level == "lsoa21":
        labels = _lsoa_flags()
        if not labels.empty:
            areas = join_columns(areas, labels, what="hotspot labels")
            method = hotspot_method()
            datasets.append(HOTSPOT_TABLE)
    meta = export_metadata(datasets, level=level, method=method)
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
    return table, info["id"], meta
