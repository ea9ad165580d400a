"""Checking a user's uploaded table ("Your data, safely").

:func:`read_upload` turns the bytes of an uploaded CSV into a float table indexed by official area
codes, or raises one :class:`~geo._errors.InputError` that says what is wrong and how to fix it. It
never crashes on odd input, never drops rows or columns silently and never returns a partial table:
everything it changed or left out is listed in the report (:class:`UploadReport`) and in readable
messages. Every piece of user text that reaches a message or the report goes through
:func:`~geo.upload._input.safe_label` (control characters removed, formulas defused, HTML escaped).
:func:`upload_areas` joins a checked upload to its level's boundaries, for a map or a GeoJSON;
:func:`upload_known_codes` gives the store's codes of every level an upload can be at.

Levels: LSOA 2021 (England and Wales), LSOA 2011 (carried to 2021 before it is mapped or
analysed: :func:`geo.analysis.upload.upload_for_analysis`), Scottish data zones 2011, councils
(LAD and upper tier, 2024) and English regions. Columns that look like counts (a count's name
and whole numbers only) are listed in ``counts``: carrying LSOA 2011 values to 2021 sums and
apportions them instead of averaging them.

The stages live beside it: decoding and size limits in :mod:`geo.upload._input`, rows and numbers
in :mod:`geo.upload._csv`, the code column and the level in :mod:`geo.upload._codes`. A user's own
polygons are read by :mod:`geo.upload.geojson`.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo._errors import InputError, UnmatchedCodesWarning, format_codes
from geo.upload._codes import (
    _ONS_CODE,
    LEVEL_LABELS,
    _check_known,
    _detect_level,
    _find_code_column,
    _normalise_codes,
)
from geo.upload._csv import (
    _DELIMITERS,
    SUPPRESSED_MARKERS,
    _clean_header,
    _parse_column,
    _refuse_other_text,
    _split_table,
)
from geo.upload._input import _decode, _q, _read_input, safe_label

__all__ = ['SUPPRESSED_MARKERS', 'UPLOAD_LEVELS', 'ColumnReport', 'UploadReport', 'UploadResult',
           'read_upload', 'upload_areas', 'upload_known_codes']


_INVISIBLE = re.compile("[\u200b-\u200f\u2060\ufeff]")  # zero-width characters

#: A count's name; an age band (``age_0_4``, ``Aged 16 to 17``, ``age 65+``) counts people.
_COUNT_NAME = re.compile(
    r"(count|number|total|population|pupils|people|persons|residents|households|cohort|claimants|"
    r"children|births|deaths|cases|^n_|_n$|^n$|^no\.?\s|(?:^|[\s_])aged?[\s_]*\d)",
    re.IGNORECASE)

_NOT_COUNT_NAME = re.compile(r"(change|diff|rate|percent|pct|share|score|ratio|%|(?<![a-z])per"
                             r"(?![a-z])|mean|average|avg|median|rank|index|decile|quintile)",
                             re.IGNORECASE)

#: Levels an upload can be at, finest first, with where the store keeps their codes.
UPLOAD_LEVELS = ("lsoa21", "lsoa11", "dz11", "lad24", "utla24")

@dataclass(frozen=True)
class ColumnReport:
    """What happened to one column of an upload (all text already passed through :func:`safe_label`)."""

    label: str
    position: int
    kept: bool
    reason: str = ""
    numeric: int = 0
    non_numeric: int = 0
    non_numeric_examples: list[str] = field(default_factory=list)
    suppressed: dict[str, int] = field(default_factory=dict)
    thousands_separators: int = 0
    percent_signs: int = 0
    decimal_commas: int = 0
    negative: int = 0

@dataclass(frozen=True)
class UploadReport:
    """The match report of an upload; every string in it is safe to show (see :func:`safe_label`)."""

    filename: str | None
    encoding: str
    delimiter: str
    rows_read: int
    rows_matched: int
    level_counts: dict[str, int]
    unknown_codes: list[str]
    other_vintage: dict[str, str]
    duplicates: list[str]
    rows_without_code: list[int]
    normalised_codes: int
    columns: list[ColumnReport]
    dropped_columns: dict[str, str]

@dataclass(frozen=True)
class UploadResult:
    """A checked upload: ``table`` (float, indexed by ``<level>_code``), the level, the (raw) name
    of the code column, the report, readable ``messages`` and display ``labels`` per table column.

    ``counts`` names the table's columns that look like counts (named like one, whole numbers
    only, no % signs); ``carry`` is None, or, for an LSOA 2011 upload carried to LSOA 2021
    (:func:`geo.analysis.upload.upload_for_analysis`), the report of how each area and column
    was carried.
    """

    table: pd.DataFrame
    level: str
    code_column: str
    report: UploadReport
    messages: list[str]
    labels: dict[str, str]
    counts: tuple[str, ...] = ()
    carry: Any = None

def _read_columns(frame: pd.DataFrame, names: list[str], *, code_column: str, delimiter: str,
                  lines: np.ndarray, problems: list[str]):
    """Parse every column but the code column; appends any refusal to ``problems``."""
    columns: list[ColumnReport] = []
    dropped: dict[str, str] = {}
    kept: dict[str, pd.Series] = {}
    for pos, name in enumerate(names):
        if name == code_column:
            continue
        values = frame[name]
        numbers, info = _parse_column(values, delimiter=delimiter)
        present = int((~info["marker"]).sum())
        n_num, n_bad = int(numbers.notna().sum()), int(info["bad"].sum())
        reason = ""
        if present == 0:
            reason = f"no values (all {len(values)} cells empty or suppressed)"
        elif (n_num * 2 < present
              and _normalise_codes(values).str.match(_ONS_CODE.pattern).mean() >= 0.5):
            reason = "area codes, not measures"
        elif n_num == 0:
            reason = f"text, not numbers (e.g. {', '.join(info['examples'][:2])})"
        elif n_num * 2 < present:
            reason = (f"mostly text: {n_bad} of {present} values are not numbers "
                      f"(e.g. {', '.join(info['examples'][:3])})")
        negative = int((numbers < 0).sum())
        columns.append(ColumnReport(
            label=safe_label(name), position=pos, kept=not reason, reason=reason, numeric=n_num,
            non_numeric=n_bad, non_numeric_examples=info["examples"], suppressed=info["suppressed"],
            thousands_separators=info["thousands"], percent_signs=info["pct"],
            decimal_commas=info["decimal"], negative=negative))
        if reason:
            dropped[safe_label(name)] = reason
            continue
        if info["ambiguous"]:
            problems.append(
                f"Column {_q(name)} has numbers like {_q(info['ambiguous'])} in a "
                f"{_DELIMITERS[delimiter]}-separated file: the comma could be a thousands "
                "separator or a decimal comma. Remove thousands separators, or write decimals "
                "with a dot, and upload again.")
        infinite = np.isinf(numbers.to_numpy())
        if infinite.any():
            problems.append(f"Column {_q(name)} has infinite values (lines "
                            f"{format_codes(lines[infinite], limit=5)}), often a division by zero. "
                            "Replace them with a number or leave the cells empty.")
        kept[name] = numbers
    if not kept:
        why = "; ".join(f"{k}: {v}" for k, v in dropped.items()) or "it is the only column"
        problems.append(f"No column holds numbers besides the code column {_q(code_column)} "
                        f"({why}). Add at least one numeric column, one value per area.")
    return kept, columns, dropped

def _reserved_names(kept: dict[str, pd.Series], known: Mapping[str, pd.Index]) -> list[str]:
    """A refusal for each numeric column named like a field the map or GeoJSON output adds."""
    uses = {"name": "the area's name", "geometry": "the area's shape", "code": "the area code"}
    uses |= {f"{level}_code": "the area code" for level in known}
    return [f"Column {_q(name)} has a name the output uses for {uses[name]}: rename the column "
            f"(e.g. {_q(name + '_value')}) and upload again." for name in kept if name in uses]


def _column_messages(columns: list[ColumnReport], names: list[str]) -> list[str]:
    """One line per change made to a column (all text already safe)."""
    messages: list[str] = []
    for col in columns:
        if not col.kept:
            messages.append(f"Column '{col.label}' was left out: {col.reason}.")
            continue
        if col.thousands_separators:
            messages.append(f"Column '{col.label}': {col.thousands_separators} numbers had "
                            "thousands separators (1,234 read as 1234).")
        if col.decimal_commas:
            messages.append(f"Column '{col.label}': {col.decimal_commas} numbers had decimal commas "
                            "(12,5 read as 12.5).")
        if col.percent_signs:
            messages.append(f"Column '{col.label}': {col.percent_signs} values had % signs; they are "
                            "kept as percentages (12.5% read as 12.5).")
        if col.suppressed:
            shown = ", ".join(f"{k} x{v}" for k, v in col.suppressed.items())
            messages.append(f"Column '{col.label}': {sum(col.suppressed.values())} empty or "
                            f"suppressed cells ({shown}) are missing values.")
        if col.non_numeric:
            messages.append(f"Column '{col.label}': {col.non_numeric} values are not numbers "
                            f"(e.g. {', '.join(col.non_numeric_examples)}); they are missing values.")
        name = names[col.position]
        if col.negative and _COUNT_NAME.search(name) and not _NOT_COUNT_NAME.search(name):
            messages.append(f"Warning: column '{col.label}' looks like a count but has "
                            f"{col.negative} negative values; check them.")
    return messages

def _count_columns(kept: dict[str, pd.Series], columns: list[ColumnReport],
                   names: list[str]) -> tuple[str, ...]:
    """Columns that look like counts: a count's name, whole numbers only, no % signs."""
    with_pct = {names[c.position] for c in columns if c.percent_signs}
    out = []
    for name, numbers in kept.items():
        present = numbers.dropna().to_numpy()
        if (name not in with_pct and _COUNT_NAME.search(name) and not _NOT_COUNT_NAME.search(name)
                and len(present) and bool((present == np.round(present)).all())):
            out.append(name)
    return tuple(out)


def _read_table(data: bytes | str | Path, *, max_bytes: int, max_rows: int,
                filename: str | None) -> dict:
    """The upload as text split into a frame of strings, with what was changed on the way."""
    raw, filename = _read_input(data, max_bytes=max_bytes, filename=filename)
    text, encoding, messages = _decode(raw, "a CSV table")
    _refuse_other_text(text)
    text, invisible = _INVISIBLE.subn("", text)  # zero-width characters, often pasted with codes
    if invisible:
        messages.append(f"{invisible} invisible zero-width characters were removed.")
    header, rows, delimiter = _split_table(text, max_rows=max_rows)
    names, notes = _clean_header(header)
    if not rows:
        raise InputError("The file has a header but no data rows. Add one line per area below the "
                         "header.")
    return {"filename": filename, "encoding": encoding, "messages": messages + notes,
            "names": names, "delimiter": delimiter, "lines": np.array([line for line, _ in rows]),
            "frame": pd.DataFrame([r for _, r in rows], columns=names, dtype="str")}


def _duplicates(codes: pd.Series, is_code: np.ndarray, lines: np.ndarray) -> list[str]:
    """The refusal for codes that appear on more than one row (empty when none do)."""
    dup = codes[is_code & codes.duplicated(keep=False).to_numpy()]
    if not len(dup):
        return []
    shown = [f"{c} (lines {', '.join(map(str, lines[(codes == c).to_numpy()][:4]))})"
             for c in dup.unique()[:5]]
    return [f"{dup.nunique()} area codes appear more than once: {'; '.join(shown)}. "
            "Keep one row per area (sum counts or average rates first) and upload again."]


def _codes_of(raw_codes: pd.Series) -> tuple[pd.Series, pd.Series, np.ndarray, int]:
    """The code column as written, tidied (object dtype), which rows hold a code, how many tidied."""
    codes = _normalise_codes(raw_codes)
    normalised = int(((codes != raw_codes) & codes.str.match(_ONS_CODE.pattern)).sum())
    is_code = codes.str.match(_ONS_CODE.pattern).to_numpy(dtype=bool)
    # object dtype: isin against many codes is slow on Arrow-backed strings
    return raw_codes, codes.astype(object), is_code, normalised


def _match_messages(t: dict, *, code_column: str, raw_codes: pd.Series, is_code: np.ndarray,
                    matched: np.ndarray, level: str, unknown: list[str],
                    vintage_msgs: list[str], normalised: int) -> list[str]:
    """The report's lines on rows and codes (first line: what was read)."""
    messages = list(t["messages"])
    filename, names, lines = t["filename"], t["names"], t["lines"]
    messages.insert(0, f"Read {len(lines):,} rows and {len(names)} columns"
                    f"{' from ' + _q(filename) if filename else ''} ({t['encoding']}, "
                    f"{_DELIMITERS[t['delimiter']]}-separated).")
    messages.append(f"Area codes in column {_q(code_column)}: {int(matched.sum()):,} rows match "
                    f"{LEVEL_LABELS.get(level, level)} codes ({level}).")
    if normalised:
        messages.append(f"{normalised} codes had spaces or lower-case letters; they were tidied "
                        "(e.g. ' e01000001' -> 'E01000001').")
    rows_without = lines[~is_code].tolist()
    if rows_without:
        examples = ", ".join(_q(v) for v in raw_codes[~is_code].unique()[:3])
        messages.append(f"{len(rows_without)} rows have no area code ({examples}; lines "
                        f"{format_codes(rows_without, limit=5)}) and were left out.")
    if unknown:
        messages.append(f"{len(unknown)} codes are not {level} codes and were left out: "
                        f"{format_codes(unknown, limit=5)}.")
        messages += vintage_msgs
        warnings.warn(f"{len(unknown)} uploaded codes did not match {level}: "
                      f"{format_codes(unknown, limit=5)}", UnmatchedCodesWarning, stacklevel=3)
    return messages


def read_upload(data: bytes | str | Path, *, known_codes: Mapping[str, pd.Index],
                vintages: pd.DataFrame | None = None, max_bytes: int = 20_000_000,
                max_rows: int = 200_000, min_match: float = 0.5,
                filename: str | None = None) -> UploadResult:
    """Check a user's CSV of measures per area and return a float table indexed by area code.

    Parameters
    ----------
    data
        The file's bytes (``st.file_uploader(...).getvalue()``), its text as ``str``, a
        :class:`pathlib.Path`, or a binary file object.
    known_codes
        Level name (``"lsoa21"``, ``"lsoa11"``, ``"dz11"``, ``"lad24"``...) to its valid codes
        (:func:`upload_known_codes`). The level matching most codes wins; a tie goes to the
        finest, or to LSOA 2011 when the code column's name says 2011 (``LSOA11CD``).
    vintages
        Codes of other vintages (:func:`load_vintage_codes`), to explain unmatched codes.
    max_bytes, max_rows, min_match
        Size limits (a larger file is refused with them); smallest share of the codes that must
        match the level.
    filename
        Name shown in messages (default: the path's or file object's name).

    Returns
    -------
    UploadResult
        ``table`` holds the numeric columns as float, indexed by ``<level>_code`` in file order,
        with only the rows whose code matched; all else is in ``report`` and ``messages``.
        Suppressed markers (:data:`SUPPRESSED_MARKERS`) and non-numeric cells become NaN (counted);
        ``1,234`` and ``12.5%`` are read as 1234 and 12.5.

    Raises
    ------
    InputError
        For anything that cannot be read safely: empty, binary, Excel or GeoJSON files, size
        limits, ragged rows, duplicate names or codes, no code column, no numeric column, a mix of
        levels (data zones and LSOAs, LSOA 2011 and 2021 codes, small areas and councils), too
        few matching codes, infinite values.

    Examples
    --------
    >>> codes = {"lad24": pd.Index(["E06000001", "E06000002"])}
    >>> res = read_upload(b"code,value\\nE06000001,1\\nE06000002,2.5\\n", known_codes=codes)
    >>> res.level, res.table.index.name, res.table["value"].tolist()
    ('lad24', 'lad24_code', [1.0, 2.5])
    """
    known = _check_known(known_codes)
    if not 0 < min_match <= 1:
        raise InputError(f"`min_match` must be in (0, 1]; got {min_match!r}")
    t = _read_table(data, max_bytes=max_bytes, max_rows=max_rows, filename=filename)
    frame, names, lines = t["frame"], t["names"], t["lines"]
    code_column = _find_code_column(frame, known)
    raw_codes, codes, is_code, normalised = _codes_of(frame[code_column])
    problems = _duplicates(codes, is_code, lines)
    unique = pd.Index(codes[is_code].unique(), dtype=object)
    level, counts, unknown, other_vintage, vintage_msgs = _detect_level(
        unique, known, vintages=vintages, code_column=code_column, min_match=min_match,
        problems=problems)
    matched = codes.isin(known[level]).to_numpy() & is_code
    kept, columns, dropped = _read_columns(frame, names, code_column=code_column,
                                           delimiter=t["delimiter"], lines=lines, problems=problems)
    if problems := problems + _reserved_names(kept, known):
        raise InputError(" ".join(problems))
    table = pd.DataFrame(kept).loc[matched].set_axis(
        pd.Index(codes[matched], dtype="str", name=f"{level}_code"))
    report = UploadReport(
        filename=safe_label(t["filename"]) if t["filename"] else None, encoding=t["encoding"],
        delimiter=_DELIMITERS[t["delimiter"]], rows_read=len(lines), rows_matched=int(matched.sum()),
        level_counts=counts, unknown_codes=unknown, other_vintage=other_vintage, duplicates=[],
        rows_without_code=lines[~is_code].tolist(), normalised_codes=normalised, columns=columns,
        dropped_columns=dropped)
    messages = _match_messages(t, code_column=code_column, raw_codes=raw_codes, is_code=is_code,
                               matched=matched, level=level, unknown=unknown,
                               vintage_msgs=vintage_msgs, normalised=normalised)
    messages += _column_messages(columns, names)
    if matched.sum() == 1:
        messages.append("Only one area matched: maps, ranks and comparisons need several areas.")
    return UploadResult(table=table, level=level, code_column=code_column, report=report,
                        messages=messages, labels={n: safe_label(n) for n in table.columns},
                        counts=_count_columns(kept, columns, names))


def upload_areas(result: UploadResult, areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The matched areas of a checked upload: name and geometry of each, with its values.

    Parameters
    ----------
    result
        What :func:`read_upload` returned.
    areas
        The boundaries of ``result.level`` (``boundaries.load(result.level)``), indexed by code.

    Returns
    -------
    GeoDataFrame
        One row per matched area, indexed like ``result.table`` (``<level>_code``), in the order
        of ``areas``.

    Raises
    ------
    InputError
        If ``areas`` is not of the upload's level (its index does not hold the matched codes).
    """
    missing = result.table.index.difference(areas.index)
    if len(missing):
        msg = (f"`areas` lacks {len(missing)} codes of the {result.level} upload "
               f"({format_codes(missing, limit=5)}); pass boundaries.load({result.level!r})")
        raise InputError(msg)
    keep = [c for c in ("name", areas.geometry.name) if c in areas.columns]
    joined = areas[keep].join(result.table, how="inner", validate="one_to_one")
    joined.index.name = result.table.index.name
    return joined


def upload_known_codes(levels: tuple[str, ...] = UPLOAD_LEVELS) -> dict[str, pd.Index]:
    """The store's codes of each level an upload can be at, for :func:`read_upload`.

    LSOA 2021, data zones and councils come from the store's boundaries; LSOA 2011 codes from
    the store's ONS LSOA 2011 -> 2021 lookup (England and Wales, 34,753 codes).

    Parameters
    ----------
    levels
        Which of :data:`UPLOAD_LEVELS` (default all).

    Raises
    ------
    InputError
        For a level that is not in :data:`UPLOAD_LEVELS`.
    StoreError
        If the store is missing or lacks a level.
    """
    import boundaries
    from geo.data.indicators import load_lookup

    bad = [lvl for lvl in levels if lvl not in UPLOAD_LEVELS]
    if bad:
        raise InputError(f"`levels` must be among {list(UPLOAD_LEVELS)}; got {bad}")
    out = {}
    for level in levels:
        if level == "lsoa11":
            out[level] = pd.Index(load_lookup("lsoa11_lsoa21")["lsoa11_code"].unique(),
                                  name="lsoa11_code")
        else:
            out[level] = boundaries.load(level).index
    return out
