"""The catalogue of indicators and loading them from the store.

:func:`catalogue` lists every indicator of the registry (source and derived) with its label,
unit, polarity, life stage, principle, level, vintage and the nations it covers;
:func:`load_indicators` reads stored tables or single indicators by id, :func:`load_lookup` the
stored lookups, and :func:`load_lsoa_flags` joins the per-LSOA flags and hotspot labels that
exports carry.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import pandas as pd

from boundaries import store_dir
from boundaries._store import BUILD_HINT
from geo._errors import (
    OppmapError,
    StoreError,
)
from geo.data.sources import registry, registry_meta
from geo.stats.runs import hotspots_wide

__all__ = ['catalogue', 'load_indicators', 'load_lookup', 'indicator_meta']


def _row(ident: str, column: str, meta: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    return {**base, "id": f"{ident}.{column}", "column": column, "label": meta["label"],
            "unit": meta["unit"], "polarity": meta["polarity"], "life_stage": meta["life_stage"],
            "principle": meta["principle"], "interval": meta.get("interval"),
            "description": meta.get("description", base.get("description", ""))}


def _dataset_rows() -> list[dict[str, Any]]:
    rows = []
    for ident, entry in registry().items():
        if entry["kind"] != "indicators":
            continue
        base = {"dataset": ident, "level": entry.get("store_level", entry["level"]),
                "vintage": entry["vintage"], "source_id": ident,
                "nations": ";".join(entry["nations"])}
        rows += [_row(ident, col, meta, base) for col, meta in entry.get("indicators", {}).items()
                 if meta.get("catalogue", True) is not False]
    return rows


def _derived_rows(entry: dict[str, Any], meta: dict[str, Any]) -> list[dict[str, Any]]:
    """A derived table's indicators; a summary table's expand measures over its domains."""
    base = {"dataset": entry["id"], "level": entry["level"], "vintage": entry["vintage"],
            "source_id": ";".join(entry["sources"]), "description": entry["title"],
            "nations": ";".join(entry["nations"])}
    rows = []
    singles = entry.get("indicators", {})
    if entry["id"].startswith("summary_"):
        domains = (meta["index_domains"][entry["domains"]] if "domains" in entry
                   else meta.get("iod_domains", {}))
        words = {"areas": entry.get("areas", "neighbourhoods"),
                 "area_unit": entry.get("area_unit", "LSOAs"),
                 "nation": entry.get("nation_name", "England")}
        measures = meta.get("derived_measures", {})
        for dom, dmeta in domains.items():
            for measure in entry.get("measures", list(measures)):
                over = entry.get("measure_overrides", {}).get(measure, {})
                m = {**measures[measure], **over}
                note = f" ({over['note']})" if "note" in over else ""
                rows.append(_row(entry["id"], f"{dom}_{measure}", {
                    **dmeta, "label": m["label"].format(domain=dmeta["label"], **words) + note,
                    "unit": m["unit"].format(**words), "polarity": m["polarity"]}, base))
        singles = entry.get("indicators", meta.get("derived_indicators", {}))
    rows += [_row(entry["id"], col, m, base) for col, m in singles.items()
             if m.get("catalogue", True) is not False]
    return rows


@lru_cache(maxsize=1)
def _catalogue() -> pd.DataFrame:
    meta = registry_meta()
    rows = _dataset_rows()
    for entry in meta.get("derived", []):
        rows += _derived_rows(entry, meta)
    columns = ["id", "dataset", "column", "label", "unit", "polarity", "life_stage", "principle",
               "level", "vintage", "nations", "source_id", "interval", "description"]
    return pd.DataFrame(rows)[columns].set_index("id")


def derived_meta(column: str) -> dict[str, Any]:
    """Metadata of a derived single-column indicator (e.g. ``population_density``)."""
    meta = registry_meta()
    return dict(meta.get("derived_indicators", {}).get(column, {}))


def catalogue() -> pd.DataFrame:
    """Every indicator with its metadata, from the registry.

    Returns
    -------
    DataFrame
        Indexed by indicator id (``"<dataset>.<column>"``), with columns ``dataset``,
        ``column``, ``label``, ``unit``, ``polarity``, ``life_stage``, ``principle``, ``level``,
        ``vintage``, ``nations`` (the nations it covers, letters joined by ``;``: ``"E;W"`` for
        Census 2021, ``"S"`` for SIMD), ``source_id``, ``interval``, ``description``.

    Examples
    --------
    >>> catalogue().loc["iod2025.imd_score", "polarity"]
    'higher_worse'
    >>> catalogue().loc["census21_deprivation.households_deprived_2plus_pct", "nations"]
    'E;W'
    """
    return _catalogue().copy()


def indicator_meta(indicator_id: str) -> dict[str, Any]:
    """Metadata of one indicator; an unknown id lists close matches and how to list them all."""
    cat = _catalogue()
    key = str(indicator_id).strip()
    if key not in cat.index:
        import difflib

        close = difflib.get_close_matches(key, list(cat.index), n=5, cutoff=0.5)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        msg = (f"indicator {indicator_id!r} is not in the catalogue.{hint} "
               f"Valid ids: {', '.join(cat.index)}")
        raise OppmapError(msg)
    return {"id": key, **cat.loc[key].to_dict()}


@lru_cache(maxsize=64)
def _read_table(path: str, _mtime: float) -> pd.DataFrame:
    return pd.read_parquet(path)


def load_indicators(what: str | Iterable[str]) -> pd.DataFrame:
    """Load indicator tables from the store.

    Parameters
    ----------
    what
        A stored table name (``"iod2025"``, ``"population"``, ``"neet2025"``, derived tables such
        as ``"compound"``), one indicator id (``"iod2025.imd_score"``) or a list of indicator ids
        of the same level.

    Returns
    -------
    DataFrame
        Indexed by the level's code. For indicator ids, columns are the ids.

    Raises
    ------
    StoreError
        If the store is missing or lacks the table.
    OppmapError
        For unknown ids (with the valid names) or ids of different levels.
    """
    store = store_dir()
    if isinstance(what, str) and "." not in what:
        path = store / "indicators" / f"{what}.parquet"
        if not path.exists():
            available = sorted(p.stem for p in (store / "indicators").glob("*.parquet"))
            msg = f"the store has no table {what!r}; available: {available}. {BUILD_HINT}"
            raise StoreError(msg) if what in registry() else OppmapError(msg)
        return _read_table(str(path), path.stat().st_mtime).copy()
    ids = [what] if isinstance(what, str) else list(what)
    metas = [indicator_meta(i) for i in ids]
    lvls = {m["level"] for m in metas}
    if len(lvls) > 1:
        msg = f"indicators {ids} are of different levels {sorted(lvls)}; load each level separately"
        raise OppmapError(msg)
    frames = []
    for meta in metas:
        table = load_indicators(meta["dataset"])
        if meta["column"] not in table.columns:
            msg = f"the stored table {meta['dataset']!r} lacks column {meta['column']!r}: {BUILD_HINT}"
            raise StoreError(msg)
        frames.append(table[meta["column"]].rename(meta["id"]))
    return pd.concat(frames, axis=1)


def load_lookup(name: str) -> pd.DataFrame:
    """A lookup kept in the store (``lookups/<name>.parquet``), as the build wrote it.

    Parameters
    ----------
    name
        ``"lsoa11_lsoa21"`` (the ONS LSOA 2011 -> 2021 lookup: ``lsoa11_code``,
        ``change_code`` U/S/M/X, ``lsoa21_code``), ``"lsoa11_lad21"`` or ``"mysociety_la"``
        (mySociety's register of councils: ``gss_code``, ``name``, ``alt_names``).

    Raises
    ------
    StoreError
        If the store is missing or lacks the lookup (the message lists those it has).
    """
    store = store_dir()
    path = store / "lookups" / f"{name}.parquet"
    if not path.exists():
        available = sorted(p.stem for p in (store / "lookups").glob("*.parquet"))
        msg = f"the store has no lookup {name!r}; available: {available}. {BUILD_HINT}"
        raise StoreError(msg)
    return _read_table(str(path), path.stat().st_mtime).copy()


#: Columns of the stored ``compound`` table that exports carry as flags.
COMPOUND_FLAGS = ("n_domains_worst_decile", "domains_worst_decile", "compounded", "persistent",
                  "status", "lookup_rule", "approximate_2019")

#: Fields of every stored hotspot run that the per-LSOA flags carry (one column per run each).
HOTSPOT_FIELDS = ("label", "outcome", "bin", "robust")


def load_lsoa_flags() -> pd.DataFrame:
    """Per English LSOA: compounded/persistent flags and every national hotspot run.

    Returns
    -------
    DataFrame
        Indexed by ``lsoa21_code``: the :data:`COMPOUND_FLAGS` columns, then per stored run
        (:func:`geo.stats.runs.hotspots_wide`) its label ``hotspot_<method>_<indicator>``, its
        ``outcome_...``, ``bin_...`` and, where the run has one, ``robust_...``.

    Raises
    ------
    StoreError
        If the store lacks the compound or hotspot tables (a build without hotspots).
    """
    compound = load_indicators("compound")[list(COMPOUND_FLAGS)]
    long = load_indicators("hotspots_lsoa21")
    need = {"method", "indicator", *HOTSPOT_FIELDS}
    if not need <= set(long.columns):
        msg = f"the stored hotspots table lacks columns {sorted(need - set(long.columns))}: {BUILD_HINT}"
        raise StoreError(msg)
    wide = hotspots_wide(long, fields=HOTSPOT_FIELDS)
    wide = wide.loc[:, wide.notna().any()]  # local Moran has no robustness check
    out = compound.join(wide, how="left")
    out.index.name = "lsoa21_code"
    return out
