"""The indicator stage of the store build: every source table read, checked and joined.

Each registry dataset of kind ``indicators`` or ``population`` is read
(:func:`geo.data.readers.read_source_table`), its codes are checked against the level it is
stored at (a code of another vintage raises :class:`~geo._errors.VintageError`; areas without a
row are listed with the reason), tables published on LSOA 2011 are carried to LSOA 2021 through
the ONS lookup, and DfE tables get their England and regional comparator rows.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd

from geo._errors import OppmapError, VintageError, format_codes
from geo.data._context import BuildContext
from geo.data._levels import join_report
from geo.data.readers import read_csv_strict, to_numeric_report
from geo.data.sources import registry
from geo.stats.carry import carry_lsoa11_to_lsoa21

__all__ = ["build_indicator_tables", "check_codes", "carry_table"]


def check_codes(name: str, table: pd.DataFrame, valid: pd.Index, *, scope: pd.Index,
                entry: dict[str, Any], info: dict[str, Any]) -> None:
    """Refuse codes that are not of the stored level; record absent codes and why.

    Raises
    ------
    VintageError
        Naming the codes that are not ``valid`` codes of the level.
    """
    jr = join_report(table.index, valid, scope=scope)
    if jr["unmatched_codes"]:
        msg = (
            f"dataset {name!r}: {len(jr['unmatched_codes'])} codes are not {entry.get('store_level', entry['level'])} "
            f"codes (another vintage or level?): {format_codes(jr['unmatched_codes'])}. "
            "Map them through an ONS lookup, or declare successors in data/sources.toml"
        )
        raise VintageError(msg)
    info.update(jr)
    declared = set(entry.get("not_published", []))
    info["absent_reason"] = {
        c: (entry.get("not_published_reason") if c in declared else "not in the source file")
        for c in jr["absent_codes"]
    }


def _scope(codes: pd.Index, entry: dict[str, Any]) -> pd.Index:
    """The codes a dataset should cover: those of its nations (all, when it names none)."""
    nations = tuple(entry.get("nations", ()))
    return codes[codes.str.startswith(nations)] if nations else codes


def _valid_codes(level: str, geo_levels: dict[str, gpd.GeoDataFrame],
                 lsoa11_codes: pd.Index) -> pd.Index:
    if level == "lsoa11":
        return lsoa11_codes
    if level not in geo_levels:
        msg = f"the registry stores a table at level {level!r}, which the build does not know"
        raise OppmapError(msg)
    return geo_levels[level].index


def build_indicator_tables(ctx: BuildContext, geo_levels: dict[str, gpd.GeoDataFrame],
                           lk: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Read, check and join every indicator and population table of the registry.

    Returns
    -------
    dict
        Store table name -> table indexed by the code of its stored level. Tables published
        on LSOA 2011 and stored on LSOA 2021 (``store_level``) also keep their native table as
        ``<id>_lsoa11``.
    """
    ctx.log("reading indicator tables ...")
    lsoa11_lookup = lk["lookup_lsoa11_lsoa21"]
    lsoa11_codes = pd.Index(lsoa11_lookup["lsoa11_code"].unique())
    lad = geo_levels["lad24"]
    lookups = {"lookup_smc205_lad": lk["lookup_smc205_lad"].reset_index(),
               "lad_to_utla": lad["utla24_code"],
               "lookup_mysociety_la": lk["lookup_mysociety_la"]}
    tables: dict[str, pd.DataFrame] = {}
    for ident, entry in registry().items():
        if entry["kind"] not in ("indicators", "population"):
            continue
        table, info = ctx.read(ident, lookups=lookups)
        expected = entry.get("expected_rows")
        if expected is not None and info.get("rows") != expected:
            msg = f"dataset {ident!r}: expected {expected} rows, found {info.get('rows')}"
            raise OppmapError(msg)
        native, level = entry["level"], entry.get("store_level", entry["level"])
        if "unmapped" in entry:  # a level with no boundaries in the mirror: kept as published
            info["not_joined"] = entry["unmapped"]
        else:
            valid = _valid_codes(native, geo_levels, lsoa11_codes)
            check_codes(ident, table, valid, scope=_scope(valid, entry), entry=entry, info=info)
        if level != native:  # published on LSOA 2011, kept on LSOA 2021 as well
            tables[f"{ident}_{native}"] = table
            table, carry = carry_table(table, lsoa11_lookup, tables, entry)
            valid = geo_levels[level].index
            check_codes(ident, table, valid, scope=_scope(valid, entry), entry=entry, info=info)
            info["carried_to_lsoa21"] = carry
        if level == "utla24":
            _utla_extras(ctx, ident, entry, table, geo_levels["utla24"], tables)
        tables[ident] = table
        ctx.note(ident, info)
    return tables


def _utla_extras(ctx: BuildContext, ident: str, entry: dict[str, Any], table: pd.DataFrame,
                 utla: gpd.GeoDataFrame, tables: dict[str, pd.DataFrame]) -> None:
    """Upper-tier tables take the 2024 names; DfE tables add their England and region rows."""
    if "name" in table.columns:
        table["name"] = utla["name"].reindex(table.index).fillna(table["name"])
    if "region_filter" in entry:
        tables[f"{ident}_england"], tables[f"{ident}_regions"] = _neet_reference(ctx, ident, entry)


def _neet_reference(ctx: BuildContext, ident: str, entry: dict[str, Any]
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """England and regional rows of a DfE table (comparators for councils)."""
    cols = {k: v for k, v in entry["columns"].items() if v not in ("utla24_code", "name")}
    out = []
    for flt, code in ((entry["national_filter"], None), (entry["region_filter"], "region_code")):
        raw = read_csv_strict(ctx.src(ident), columns={**cols}, source=f"dataset {ident!r}",
                              row_filter=flt)
        raw.index = pd.Index(raw["region_code"] if code else ["E92000001"] * len(raw),
                             name="region_code" if code else "country_code")
        raw = raw.drop(columns=["region_code"])
        num, _ = to_numeric_report(raw, columns=list(raw.columns), source=f"dataset {ident!r}",
                                   suppressed=entry.get("suppressed", ()))
        out.append(num)
    return out[0], out[1]


def carry_table(table: pd.DataFrame, lookup: pd.DataFrame, tables: dict[str, pd.DataFrame],
                entry: dict[str, Any]) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Carry an LSOA 2011 table to the LSOA 2021 of its nations, with a report of the rules.

    Population weights for merged and complex LSOAs are the ONS mid-2019 estimates, so that
    table must be read first (it is earlier in the registry).
    """
    pop11 = tables.get("population_mid2019_lsoa11")
    if pop11 is None:
        msg = f"population_mid2019_lsoa11 must be read before {entry['id']} (registry order)"
        raise OppmapError(msg)
    nations = tuple(entry.get("nations", ("E",)))
    carried = carry_lsoa11_to_lsoa21(table, lookup, pop11["population_total"], nations=nations,
                                     n_ranked=entry.get("n_ranked"))
    scope = pd.Index(sorted(c for c in lookup["lsoa21_code"].unique() if c.startswith(nations)))
    info = {
        "lsoa21_rows": int(len(carried)),
        "by_rule": {str(k): int(v) for k, v in carried["lookup_rule"].value_counts().items()},
        "lsoa21_without_value": sorted(set(scope) - set(carried.index[carried["lookup_rule"].notna()])),
    }
    return carried, info
