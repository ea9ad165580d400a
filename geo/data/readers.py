"""Readers of the mirror's tables: one per source layout, all to canonical wide tables.

At build time each registry dataset of kind indicators, population or lookup is read by the
reader its ``loader`` names (:data:`LOADERS`: ``wide``, ``census_ts011``, ``ks2_long``,
``smc_composite``, ``mysociety_la``) into a table indexed by area code, with a report of what was
seen: rows read, suppressed markers per column, repeated codes, successor councils. A stray
footnote or a renamed column raises; nothing is silently blanked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
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

__all__ = ['SUPPRESSED_MARKERS', 'LOADERS', 'read_source_table', 'read_csv_strict', 'to_numeric_report',
           'apply_successors']


#: Markers that publishers use for suppressed, not applicable or not available values.
SUPPRESSED_MARKERS = ("z", "c", "x", ":", "..", "u", "low", "NA", "n/a", "[c]", "[x]", "[z]", "-")


def read_csv_strict(path: Path, *, columns: Mapping[str, str], source: str,
                    row_filter: Mapping[str, str | list[str]] | None = None) -> pd.DataFrame:
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
    if row_filter:  # a value, or a list of values any of which is kept
        for col, val in row_filter.items():
            raw = raw[raw[col].isin(val if isinstance(val, list) else [val])]
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

    A successor that already has its own row keeps it. A carried row is one published figure
    for several councils, so it is marked as the SMC's shared figures are: ``area_name`` holds
    the abolished council's name on every carried row (empty elsewhere), and
    :func:`geo.profile.council_profile` shows it as shared and unranked. Returns the new frame
    and a list of ``{from, name, to}`` records for the build report.
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
            row["area_name"] = str(info["name"])
            rows.append(row)
        notes.append({"from": old, "name": info["name"], "to": list(info["successors"]),
                      "carried_to": targets})
    if not notes:
        return frame, notes
    old_codes = [n["from"] for n in notes]
    out = pd.concat([frame.drop(index=old_codes), *rows]).sort_index()
    return out, notes


#: Columns of ``wide`` tables kept as text (codes and names), never converted to numbers.
TEXT_COLUMNS = frozenset({
    "name", "region_code", "change_code", "lsoa11_code", "lsoa21_code", "ward24_code",
    "ward24_name", "lad24_code", "lad24_name", "utla24_code", "utla24_name", "region_name",
    "cauth_code", "cauth_name", "area_name", "lad21_code", "lad21_name", "lad_or_county_code",
    "nation", "mysociety_code",
})

_Lookups = Mapping[str, pd.DataFrame] | None


def _numeric(raw: pd.DataFrame, columns: list[str], *, entry: dict[str, Any], source: str,
             report: dict[str, Any]) -> pd.DataFrame:
    table, counts = to_numeric_report(raw, columns=columns, source=source,
                                      suppressed=entry.get("suppressed", SUPPRESSED_MARKERS))
    report["suppressed"] = {c: v for c, v in counts.items() if v}
    return table


def _read_wide(path: Path, entry: dict[str, Any], *, source: str, report: dict[str, Any],
               lookups: _Lookups) -> pd.DataFrame:
    """One row per area, one column per indicator."""
    del lookups  # a wide table needs none
    raw = read_csv_strict(path, columns=entry.get("columns", {}), source=source,
                          row_filter=entry.get("row_filter"))
    report["rows_read"] = int(len(raw))
    table = _set_code_index(raw, code_column=entry["code_column"], source=source)
    numeric = [c for c in table.columns if c not in TEXT_COLUMNS]
    if entry["kind"] in ("indicators", "population") and numeric:
        table = _numeric(table, numeric, entry=entry, source=source, report=report)
    return table


def _read_census_ts011(path: Path, entry: dict[str, Any], *, source: str,
                       report: dict[str, Any], lookups: _Lookups) -> pd.DataFrame:
    """Census 2021 TS011 (long: households by number of dimensions) to shares per LSOA."""
    del lookups
    raw = read_csv_strict(path, columns=entry["columns"], source=source)
    report["rows_read"] = int(len(raw))
    raw = _numeric(raw, ["dimensions", "count", "percent"], entry={}, source=source, report=report)
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
    for k in (1, 2, 3):
        table[f"households_deprived_{k}plus_pct"] = 100 * wide[[float(d) for d in range(k, 5)]].sum(axis=1) / total
    table["households_deprived_4_pct"] = 100 * wide[4.0] / total
    table.index.name = "lsoa21_code"
    return table.sort_index()


def _read_ks2_long(path: Path, entry: dict[str, Any], *, source: str, report: dict[str, Any],
                   lookups: _Lookups) -> pd.DataFrame:
    """KS2 attainment by disadvantage (long: one row per council and group) to wide, with the gap."""
    del lookups
    code_col = entry["code_column"]
    raw = read_csv_strict(path, columns=entry["columns"], source=source)
    report["rows_read"] = int(len(raw))
    groups = entry["groups"]
    _check_long(raw, key=code_col, category="group", allowed=groups, source=source)
    raw["group"] = raw["group"].map(groups)
    raw = _numeric(raw, ["value"], entry=entry, source=source, report=report)
    names = raw.drop_duplicates(code_col).set_index(code_col)["name"]
    table = raw.pivot(index=code_col, columns="group", values="value")
    table.columns.name = None
    table.insert(0, "name", names.reindex(table.index))
    table["ks2_gap_ppt"] = table["ks2_other_pct"] - table["ks2_disadvantaged_pct"]
    table.index.name = code_col
    return table.sort_index()


def _need_lookups(lookups: _Lookups, names: tuple[str, ...], source: str) -> Mapping[str, pd.DataFrame]:
    if lookups is None or any(n not in lookups for n in names):
        msg = f"{source}: needs the lookups {list(names)}"
        raise OppmapError(msg)
    return lookups


def _read_smc_composite(path: Path, entry: dict[str, Any], *, source: str,
                        report: dict[str, Any], lookups: _Lookups) -> pd.DataFrame:
    """SMC composites (long: area name and period) to councils; county areas reach their districts."""
    lookups = _need_lookups(lookups, ("lookup_smc205_lad", "lad_to_utla"), source)
    raw = read_csv_strict(path, columns=entry["columns"], source=source)
    report["rows_read"] = int(len(raw))
    periods = entry["periods"]
    raw["key"] = raw["area_name"].str.strip().str.lower()
    _check_long(raw, key="key", category="time_period", allowed=periods, source=source)
    raw = _numeric(raw, ["value"], entry=entry, source=source, report=report)
    wide = raw.pivot(index="key", columns="time_period", values="value").rename(columns=periods)
    wide.columns.name = None
    lk = lookups["lookup_smc205_lad"].copy()
    lk["key"] = lk["area_name"].str.strip().str.lower()
    names = raw.drop_duplicates("key").set_index("key")["area_name"]
    report["unmatched_areas"] = [str(names[k]) for k in sorted(set(wide.index) - set(lk["key"]))]
    # County codes (E10) stand for all their districts: expand through LAD -> UTLA.
    lad_to_utla = lookups["lad_to_utla"]
    rows = []
    for code, key in zip(lk["lad_or_county_code"], lk["key"], strict=True):
        lads = list(lad_to_utla.index[lad_to_utla == code]) if code.startswith("E10") else [code]
        rows += [(lad, key) for lad in lads]
    mapping = pd.DataFrame(rows, columns=["lad24_code", "key"]).drop_duplicates("lad24_code")
    table = mapping.join(wide, on="key", how="inner")
    table.insert(1, "area_name", table["key"].map(names))
    return table.drop(columns=["key"]).set_index("lad24_code").sort_index()


def _read_mysociety_la(path: Path, entry: dict[str, Any], *, source: str,
                       report: dict[str, Any], lookups: _Lookups) -> pd.DataFrame:
    """mySociety council table (3-4 letter codes) to GSS council codes through its register."""
    lookups = _need_lookups(lookups, ("lookup_mysociety_la",), source)
    table = _read_wide(path, entry, source=source, report=report, lookups=None)
    register = lookups["lookup_mysociety_la"]["gss_code"]
    unknown = sorted(set(table.index) - set(register.index))
    if unknown:
        msg = f"{source}: council codes {format_codes(unknown)} are not in the mySociety register"
        raise SchemaError(msg)
    gss = register.reindex(table.index)
    keep = gss.str.match(entry["code_pattern"]).to_numpy()  # e.g. councils, not counties
    report["not_councils"] = sorted(table.index[~keep])
    out = table[keep].copy()
    out.insert(0, "mysociety_code", out.index.to_numpy())
    out["gss_code"] = gss[keep].to_numpy()
    return _set_code_index(out.reset_index(drop=True), code_column="gss_code", source=source
                           ).rename_axis(f"{entry['level']}_code")


Loader = Callable[..., pd.DataFrame]

#: Readers by the registry's ``loader`` key (``wide`` when absent).
LOADERS: dict[str, Loader] = {
    "wide": _read_wide,
    "census_ts011": _read_census_ts011,
    "ks2_long": _read_ks2_long,
    "smc_composite": _read_smc_composite,
    "mysociety_la": _read_mysociety_la,
}


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
        Tables some readers need (``lookup_smc205_lad``: area name -> code,
        ``lad_to_utla``: LAD24 -> UTLA24 codes, ``lookup_mysociety_la``: mySociety code ->
        GSS code).

    Returns
    -------
    (DataFrame, dict)
        The table indexed by ``code_column`` and a report: rows read, suppressed counts,
        successor notes.

    Raises
    ------
    SchemaError
        Missing columns, stray text in a numeric column, an unknown ``loader``.
    DuplicateCodeError
        Repeated codes.
    """
    entry = dataset(dataset_id)
    source = f"dataset {entry['id']!r}"
    loader = entry.get("loader", "wide")
    if loader not in LOADERS:
        msg = f"{source}: unknown loader {loader!r} in the registry; known: {sorted(LOADERS)}"
        raise SchemaError(msg)
    report: dict[str, Any] = {"file": entry["file"]}
    table = LOADERS[loader](path, entry, source=source, report=report, lookups=lookups)
    if entry.get("apply_successors"):
        table, notes = apply_successors(table, successors=registry_meta().get("successors", {}))
        report["successors"] = notes
    report["rows"] = int(len(table))
    return table, report
