"""Indicator tables: reading registry sources into canonical tables, the catalogue, loading.

Reading (at build time) turns a mirror file into a canonical wide table indexed by area code,
and reports what it saw: rows read, suppressed markers per column, codes that are repeated or
of another vintage. Loading (at run time) reads the store's Parquet tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from geo._errors import (
    DuplicateCodeError,
    OppmapError,
    SchemaError,
    format_codes,
)
from geo.data.sources import dataset, registry_meta

__all__ = ['SUPPRESSED_MARKERS', 'read_source_table', 'read_csv_strict', 'to_numeric_report', 'apply_successors']


#: Markers that publishers use for suppressed, not applicable or not available values.
SUPPRESSED_MARKERS = ("z", "c", "x", ":", "..", "u", "low", "NA", "n/a", "[c]", "[x]", "[z]", "-")


def read_csv_strict(path: Path, *, columns: Mapping[str, str], source: str,
                    row_filter: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Read a CSV as text, check the expected columns, filter rows, rename to canonical names.

    Raises
    ------
    SchemaError
        Listing the expected columns against those found.
    """
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        msg = f"{source}: {Path(path).name} is not a readable UTF-8 CSV ({exc})"
        raise SchemaError(msg) from exc
    found = list(raw.columns)
    need = list(columns) + [k for k in (row_filter or {}) if k not in columns]
    missing = [c for c in need if c not in found]
    if missing:
        msg = (
            f"{source}: {Path(path).name} lacks columns {missing}; expected {need}, found {found}. "
            "Was the file renamed or re-exported with other headers?"
        )
        raise SchemaError(msg)
    if row_filter:
        for col, val in row_filter.items():
            raw = raw[raw[col] == val]
    return raw[list(columns)].rename(columns=dict(columns))


def to_numeric_report(frame: pd.DataFrame, *, columns: Iterable[str], source: str,
                      suppressed: Iterable[str] = SUPPRESSED_MARKERS
                      ) -> tuple[pd.DataFrame, dict[str, dict[str, int]]]:
    """Convert text columns to numbers, counting suppressed markers and empty cells.

    Anything that is neither a number, a known suppressed marker nor empty raises, so a stray
    footnote or a shifted column is never silently turned into NaN.

    Returns
    -------
    (DataFrame, dict)
        The converted frame and ``{column: {marker: count}}`` for markers and ``""`` (empty).
    """
    out = frame.copy()
    markers = {m.strip().lower() for m in suppressed}
    report: dict[str, dict[str, int]] = {}
    for col in columns:
        text = out[col].astype(str).str.strip()
        num = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce")
        bad = num.isna()
        counts: dict[str, int] = {}
        if bad.any():
            lowered = text[bad].str.lower()
            known = lowered.isin(markers) | (lowered == "")
            if (~known).any():
                examples = sorted(set(text[bad][~known]))[:5]
                codes = format_codes(out.index[bad][~known], limit=5)
                msg = (
                    f"{source}: column {col!r} has values that are neither numbers nor known "
                    f"suppression markers {sorted(markers)}: {examples} (rows {codes})"
                )
                raise SchemaError(msg)
            for marker, n in lowered.value_counts().items():
                counts[marker] = int(n)
        report[col] = counts
        out[col] = num.astype(float)
    return out, report


def _set_code_index(frame: pd.DataFrame, *, code_column: str, source: str) -> pd.DataFrame:
    codes = frame[code_column].astype(str).str.strip()
    dup = codes[codes.duplicated(keep=False)]
    if len(dup):
        msg = f"{source}: codes in {code_column!r} are repeated: {format_codes(sorted(set(dup)))}"
        raise DuplicateCodeError(msg)
    out = frame.drop(columns=[code_column])
    out.index = pd.Index(codes.to_numpy(), name=code_column)
    return out.sort_index()


def _check_long(raw: pd.DataFrame, *, key: str, category: str, allowed: Iterable[str] | None,
                source: str) -> None:
    """Refuse unknown categories and repeated (key, category) rows of a long-form table."""
    if allowed is not None:
        unknown = sorted(set(raw[category]) - set(allowed))
        if unknown:
            msg = f"{source}: unexpected {category} values {unknown}; expected {sorted(allowed)}"
            raise SchemaError(msg)
    dup = raw.duplicated([key, category], keep=False)
    if dup.any():
        msg = (f"{source}: repeated ({key}, {category}) rows: "
               f"{format_codes(raw.loc[dup, key].unique())}")
        raise DuplicateCodeError(msg)


def apply_successors(frame: pd.DataFrame, *, successors: Mapping[str, Mapping[str, Any]]
                     ) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Carry rows of abolished upper-tier councils to their successor unitary authorities.

    A successor that already has its own row keeps it. Returns the new frame and a list of
    ``{from, name, to}`` records for the build report.
    """
    notes: list[dict[str, Any]] = []
    rows = []
    for old, info in successors.items():
        if old not in frame.index:
            continue
        targets = [s for s in info["successors"] if s not in frame.index]
        for new in targets:
            row = frame.loc[[old]].copy()
            row.index = pd.Index([new], name=frame.index.name)
            rows.append(row)
        notes.append({"from": old, "name": info["name"], "to": list(info["successors"]),
                      "carried_to": targets})
    if not notes:
        return frame, notes
    old_codes = [n["from"] for n in notes]
    out = pd.concat([frame.drop(index=old_codes), *rows]).sort_index()
    return out, notes


def read_source_table(dataset_id: str, path: Path, *,
                      lookups: Mapping[str, pd.DataFrame] | None = None
                      ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read one registry dataset of kind indicators / population / lookup into a canonical table.

    Parameters
    ----------
    dataset_id
        Registry id.
    path
        The file (from :func:`geo.data.sources.source_path`).
    lookups
        Tables some loaders need (``lookup_smc205_lad``: area name -> code,
        ``lad_to_utla``: LAD24 -> UTLA24 codes).

    Returns
    -------
    (DataFrame, dict)
        The table indexed by ``code_column`` and a report: rows read, suppressed counts,
        successor notes.
    """
    entry = dataset(dataset_id)
    source = f"dataset {entry['id']!r}"
    loader = entry.get("loader", "wide")
    columns = entry.get("columns", {})
    code_col = entry["code_column"]
    report: dict[str, Any] = {"file": entry["file"]}
    suppressed = entry.get("suppressed", SUPPRESSED_MARKERS)

    if loader == "wide":
        raw = read_csv_strict(path, columns=columns, source=source,
                              row_filter=entry.get("row_filter"))
        report["rows_read"] = int(len(raw))
        table = _set_code_index(raw, code_column=code_col, source=source)
        text_cols = {"name", "region_code", "change_code", "lsoa11_code", "lsoa21_code",
                     "ward24_code", "ward24_name", "lad24_code", "lad24_name", "utla24_code",
                     "utla24_name", "region_name", "cauth_code", "cauth_name", "area_name",
                     "lad21_code", "lad21_name", "lad_or_county_code"}
        numeric = [c for c in table.columns if c not in text_cols]
        if entry["kind"] in ("indicators", "population") and numeric:
            table, counts = to_numeric_report(table, columns=numeric, source=source,
                                              suppressed=suppressed)
            report["suppressed"] = {c: v for c, v in counts.items() if v}
    elif loader == "census_ts011":
        raw = read_csv_strict(path, columns=columns, source=source)
        report["rows_read"] = int(len(raw))
        raw, counts = to_numeric_report(raw, columns=["dimensions", "count", "percent"],
                                        source=source)
        report["suppressed"] = {c: v for c, v in counts.items() if v}
        _check_long(raw, key="lsoa21_code", category="dimensions", allowed=None, source=source)
        wide = raw.pivot(index="lsoa21_code", columns="dimensions", values="count")
        bad_dims = sorted(set(wide.columns) - {0.0, 1.0, 2.0, 3.0, 4.0})
        if bad_dims:
            msg = f"{source}: unexpected numbers of dimensions {bad_dims}; expected 0-4"
            raise SchemaError(msg)
        wide = wide.reindex(columns=[0.0, 1.0, 2.0, 3.0, 4.0])
        total = wide.sum(axis=1, min_count=5)
        table = pd.DataFrame(index=wide.index)
        table["households"] = total
        table["households_deprived_0_pct"] = 100 * wide[0.0] / total
        table["households_deprived_1plus_pct"] = 100 * wide[[1.0, 2.0, 3.0, 4.0]].sum(axis=1) / total
        table["households_deprived_2plus_pct"] = 100 * wide[[2.0, 3.0, 4.0]].sum(axis=1) / total
        table["households_deprived_3plus_pct"] = 100 * wide[[3.0, 4.0]].sum(axis=1) / total
        table["households_deprived_4_pct"] = 100 * wide[4.0] / total
        table.index.name = "lsoa21_code"
        table = table.sort_index()
    elif loader == "ks2_long":
        raw = read_csv_strict(path, columns=columns, source=source)
        report["rows_read"] = int(len(raw))
        groups = entry["groups"]
        _check_long(raw, key=code_col, category="group", allowed=groups, source=source)
        raw["group"] = raw["group"].map(groups)
        raw, counts = to_numeric_report(raw, columns=["value"], source=source,
                                        suppressed=suppressed)
        report["suppressed"] = {c: v for c, v in counts.items() if v}
        names = raw.drop_duplicates(code_col).set_index(code_col)["name"]
        table = raw.pivot(index=code_col, columns="group", values="value")
        table.columns.name = None
        table.insert(0, "name", names.reindex(table.index))
        table["ks2_gap_ppt"] = table["ks2_other_pct"] - table["ks2_disadvantaged_pct"]
        table.index.name = code_col
        table = table.sort_index()
    elif loader == "smc_composite":
        raw = read_csv_strict(path, columns=columns, source=source)
        report["rows_read"] = int(len(raw))
        periods = entry["periods"]
        raw["key"] = raw["area_name"].str.strip().str.lower()
        _check_long(raw, key="key", category="time_period", allowed=periods, source=source)
        raw, counts = to_numeric_report(raw, columns=["value"], source=source,
                                        suppressed=suppressed)
        report["suppressed"] = {c: v for c, v in counts.items() if v}
        wide = raw.pivot(index="key", columns="time_period", values="value").rename(columns=periods)
        wide.columns.name = None
        if lookups is None or "lookup_smc205_lad" not in lookups or "lad_to_utla" not in lookups:
            msg = f"{source}: needs the lookups 'lookup_smc205_lad' and 'lad_to_utla'"
            raise OppmapError(msg)
        lk = lookups["lookup_smc205_lad"].copy()
        lk["key"] = lk["area_name"].str.strip().str.lower()
        names = raw.drop_duplicates("key").set_index("key")["area_name"]
        unmatched = sorted(set(wide.index) - set(lk["key"]))
        report["unmatched_areas"] = [str(names[k]) for k in unmatched]
        # County codes (E10) stand for all their districts: expand through LAD -> UTLA.
        lad_to_utla = lookups["lad_to_utla"]
        rows = []
        for _, r in lk.iterrows():
            code = r["lad_or_county_code"]
            lads = list(lad_to_utla.index[lad_to_utla == code]) if code.startswith("E10") else [code]
            for lad in lads:
                rows.append((lad, r["key"]))
        mapping = pd.DataFrame(rows, columns=["lad24_code", "key"]).drop_duplicates("lad24_code")
        table = mapping.join(wide, on="key", how="inner")
        table.insert(1, "area_name", table["key"].map(names))
        table = table.drop(columns=["key"]).set_index("lad24_code").sort_index()
    else:
        msg = f"{source}: unknown loader {loader!r} in the registry"
        raise SchemaError(msg)

    if entry.get("apply_successors"):
        table, notes = apply_successors(table, successors=registry_meta().get("successors", {}))
        report["successors"] = notes
    report["rows"] = int(len(table))
    return table, report
