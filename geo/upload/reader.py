"""Checking a user's uploaded table or polygons ("Your data, safely").

:func:`read_upload` turns the bytes of an uploaded CSV into a float table indexed by official area
codes, or raises one :class:`~geo._errors.InputError` that says what is wrong and how to fix it. It
never crashes on odd input, never drops rows or columns silently and never returns a partial table:
everything it changed or left out is listed in the report. :func:`read_geojson_upload` does the same
for a user's own polygons. Every piece of user text that reaches a message or the report goes through
:func:`safe_label` (control characters removed, formulas defused, HTML escaped).

:func:`read_geojson_upload` and :func:`load_vintage_codes` are defined in
:mod:`geo.upload.geojson`, :func:`safe_label` in :mod:`geo.upload._input`; all are importable here.
"""

from __future__ import annotations

import csv
import io
import json
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import numpy as np
import pandas as pd

from geo._errors import InputError, UnmatchedCodesWarning, format_codes
from geo.upload._input import _CONTROL, _decode, _q, _read_input, safe_label

# The polygon reader and the vintage lookup live in geo.upload.geojson, the input checks and
# safe_label in geo.upload._input; their names stay importable from here.

__all__ = ['SUPPRESSED_MARKERS', 'ColumnReport', 'UploadReport', 'UploadResult', 'read_upload']


#: Cell values read as "no value" (case-insensitive), counted per column and set to NaN. Official
#: statistics use ``z`` (not applicable), ``c``/``[c]`` (confidential), ``x`` (not available), ``:``,
#: ``..``, ``-`` and ``*``.
SUPPRESSED_MARKERS = frozenset(
    {"", "z", "c", "x", ":", "..", "-", "*", "[c]", "[x]", "[z]", "[u]", "[low]", "n/a", "na",
     "nan", "null", "none", "#n/a", "\u2013", "\u2014"}
)


#: Levels from finest to coarsest: a tie between levels goes to the first.
LEVEL_ORDER = ("lsoa21", "lad24", "utla24", "region")


LEVEL_LABELS = {
    "lsoa21": "LSOA 2021", "lad24": "May 2024 council (LAD)",
    "utla24": "2024 upper-tier council", "region": "English region",
}


#: ONS code prefixes (the entity part of a GSS code), to explain codes that match no level.
CODE_PREFIXES = {
    "E00": "output area", "E01": "LSOA", "E02": "MSOA", "E05": "ward", "E06": "unitary authority",
    "E07": "district", "E08": "metropolitan district", "E09": "London borough", "E10": "county",
    "E11": "metropolitan county", "E12": "region", "E47": "combined authority", "E92": "country",
    "W01": "LSOA", "W02": "MSOA", "W05": "ward", "W06": "council", "W92": "country",
    "S01": "data zone", "S02": "intermediate zone", "S12": "council", "S92": "country",
    "N09": "council", "N92": "country", "K02": "UK", "K03": "Great Britain", "K04": "England and Wales",
}


ONS_LOOKUPS_URL = "https://geoportal.statistics.gov.uk (search 'lookup')"


_ONS_CODE = re.compile(r"^[EWSNK]\d{8}$")


_NUMERIC_CODE = re.compile(r"^\d{1,9}(\.0)?$")


_INVISIBLE = re.compile("[\u200b-\u200f\u2060\ufeff]")  # zero-width characters


_THOUSANDS = r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$"


_DECIMAL_COMMA = r"^[+-]?\d*,\d+$"


_COUNT_NAME = re.compile(
    r"(count|number|total|population|pupils|people|persons|residents|households|cohort|claimants|"
    r"children|births|deaths|cases|^n_|_n$|^n$|^no\.?\s)", re.IGNORECASE)


_NOT_COUNT_NAME = re.compile(r"(change|diff|rate|percent|pct|share|score|ratio|%)", re.IGNORECASE)


_DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


_MAX_COLUMNS = 1_000


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
    of the code column, the report, readable ``messages`` and display ``labels`` per table column."""

    table: pd.DataFrame
    level: str
    code_column: str
    report: UploadReport
    messages: list[str]
    labels: dict[str, str]


def _refuse_other_text(text: str) -> None:
    start = text.lstrip()[:200].lower()
    if start.startswith(("{", "[")):
        try:
            obj = json.loads(text)
        except ValueError:
            obj = None
        if isinstance(obj, dict) and obj.get("type") in ("FeatureCollection", "Feature"):
            raise InputError("This is a GeoJSON file of areas, not a table. Upload it as your own "
                             "areas (polygons), or save its attribute table as CSV with an area-code "
                             "column.")
        raise InputError("This is JSON, not a CSV table. Save the data as CSV with an area-code "
                         "column and one column per measure.")
    if start.startswith(("<!doctype html", "<html", "<?xml")):
        raise InputError("This is a web page or XML file, not a CSV table. Download the data itself "
                         "as CSV.")


def _records(text: str, delimiter: str):
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    last = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            line = reader.line_num
            raise InputError(f"Line {line} cannot be read as CSV ({err}). Check that line for a "
                             "stray double quote (\") or an overlong value, then save the file "
                             "again as CSV.") from None
        start, last = last + 1, reader.line_num
        if record and any(cell.strip() for cell in record):
            yield start, record


def _consistent(text: str, delimiter: str) -> bool:
    try:
        sample = list(islice(_records(text, delimiter), 200))
    except InputError:
        return False
    if not sample or len(sample[0][1]) < 2:
        return False
    width = len(sample[0][1])
    return all(len(r) == width or (len(r) > width and not "".join(r[width:]).strip())
               for _, r in sample[1:])


def _split_table(text: str, *, max_rows: int) -> tuple[list[str], list[tuple[int, list[str]]], str]:
    if not text.strip():
        raise InputError("The file is empty. Upload a CSV with a header line (for example "
                         "'code,value') and one line per area.")
    good = [d for d in _DELIMITERS if _consistent(text, d)]
    if len(good) > 1:
        names = " and ".join(_DELIMITERS[d] for d in good)
        raise InputError(f"Cannot tell how the columns are separated: {names} both split every line "
                         "evenly. Save the file as a plain comma-separated CSV.")
    if good:
        delimiter = good[0]
    else:  # one column, or ragged rows: report against the separator giving the widest header
        widths = {d: len(next(_records(text, d), (0, []))[1]) for d in _DELIMITERS}
        delimiter = max(widths, key=widths.get)
    rows: list[tuple[int, list[str]]] = []
    header: list[str] | None = None
    ragged: list[str] = []
    for line, record in _records(text, delimiter):
        if header is None:
            header = record
            if len(header) > _MAX_COLUMNS:
                raise InputError(f"The header has {len(header):,} columns; the limit is "
                                 f"{_MAX_COLUMNS:,}. Keep the area code and the measures you need.")
            continue
        if len(record) > len(header) and not "".join(record[len(header):]).strip():
            record = record[: len(header)]
        if len(record) != len(header):
            ragged.append(f"line {line} has {len(record)}")
            continue
        rows.append((line, record))
        if len(rows) > max_rows:
            raise InputError(f"The file has more than {max_rows:,} data rows; the limit is "
                             f"{max_rows:,} (England has 33,755 LSOAs). Upload one row per area.")
    if ragged:
        raise InputError(
            f"Rows have different numbers of fields: the header has {len(header)} but "
            f"{format_codes(ragged, limit=5)}. A value probably contains a "
            f"{_DELIMITERS[delimiter]} without quotes: put it in double quotes, or save the file "
            "again from a spreadsheet as CSV.")
    return header, rows, delimiter


def _clean_header(header: list[str]) -> tuple[list[str], list[str]]:
    names, notes = [], []
    for i, raw in enumerate(header):
        name = " ".join(_CONTROL.sub(" ", raw).split())
        if not name:
            name = f"column_{i + 1}"
            notes.append(f"Column {i + 1} has no name; it is called {name!r}.")
        names.append(name)
    seen: dict[str, int] = {}
    for name in names:
        seen[name.casefold()] = seen.get(name.casefold(), 0) + 1
    dups = [n for n in dict.fromkeys(names) if seen[n.casefold()] > 1]
    if dups:
        raise InputError(f"The header repeats column names: {', '.join(_q(d) for d in dups)}. "
                         "Give every column a different name and upload again.")
    looks_like_data = [n for n in names if _ONS_CODE.match(n.strip().upper())]
    numbers = pd.to_numeric(pd.Series(names, dtype="str"), errors="coerce").notna().sum()
    if looks_like_data or numbers * 2 > len(names):
        example = looks_like_data[0] if looks_like_data else names[0]
        raise InputError(f"The first line looks like data ({_q(example)}), not column names. Add a "
                         "header line such as 'code,value' at the top of the file.")
    return names, notes


def _normalise_codes(values: pd.Series) -> pd.Series:
    return values.str.strip().str.upper()


def _find_code_column(frame: pd.DataFrame, known: Mapping[str, pd.Index]) -> str:
    all_known = pd.Index([]).append(list(known.values()))
    best, best_key = None, None
    for pos, name in enumerate(frame.columns):
        codes = _normalise_codes(frame[name])
        present = codes[codes != ""]
        if present.empty:
            continue
        pattern = present.str.match(_ONS_CODE.pattern).astype(bool)
        if pattern.sum() == 0 or pattern.mean() < 0.5:
            continue
        # object dtype: isin against many codes is slow on Arrow-backed strings
        key = (present.astype(object).isin(all_known).sum(), pattern.mean(), -pos)
        if best_key is None or key > best_key:
            best, best_key = name, key
    if best is not None:
        return best
    for name in frame.columns:
        present = frame[name].str.strip()
        present = present[present != ""]
        if len(present) and present.str.match(_NUMERIC_CODE.pattern).mean() >= 0.5:
            hint = re.search(r"code|cd|id|la|lsoa|lad|area|ons|gss", name, re.IGNORECASE)
            if hint:
                raise InputError(
                    f"Column {_q(name)} holds numbers such as {_q(present.iloc[0])}, not ONS area "
                    "codes such as E01000001 (LSOA) or E06000001 (council). Old DfE local-authority "
                    "numbers are not supported: add the 9-character ONS code (for example from the "
                    "ONS names and codes lists) and upload again.")
    shown = "; ".join(f"{_q(c)} (e.g. {_q(frame[c].iloc[0])})" for c in frame.columns[:8])
    raise InputError(
        "No column holds ONS area codes such as E01000001 (LSOA 2021), E06000001 or E07000008 "
        f"(council). Columns found: {shown}. Add a column with the official 9-character codes.")


def _parse_column(values: pd.Series, *, delimiter: str):
    text = values.str.strip()
    lower = text.str.lower()
    marker = lower.isin(SUPPRESSED_MARKERS)
    pct = text.str.endswith("%") & ~marker
    text = text.where(~pct, text.str[:-1].str.strip())
    thousands = text.str.match(_THOUSANDS)
    decimal = pd.Series(False, index=text.index)
    ambiguous = ""
    if delimiter != ",":
        candidates = text.str.match(_DECIMAL_COMMA) & ~thousands
        has_dot = text.str.contains(".", regex=False).any()
        if thousands.any() and not candidates.any() and not has_dot:
            ambiguous = text[thousands].iloc[0]  # '1,234': one thousand or one point two?
        if candidates.any() and not has_dot:
            decimal = text.str.match(_DECIMAL_COMMA) | thousands
            thousands = pd.Series(False, index=text.index)
            text = text.where(~decimal, text.str.replace(",", ".", regex=False))
    text = text.where(~thousands, text.str.replace(",", "", regex=False))
    numbers = pd.to_numeric(text.where(~marker), errors="coerce").astype("float64")
    bad = ~marker & numbers.isna()
    suppressed = lower[marker].value_counts()
    return numbers, {
        "marker": marker, "bad": bad, "pct": int(pct.sum()), "thousands": int(thousands.sum()),
        "decimal": int(decimal.sum()), "ambiguous": ambiguous,
        "suppressed": {("(empty)" if k == "" else k): int(v) for k, v in suppressed.items()},
        "examples": [safe_label(v, max_length=30) for v in values[bad].unique()[:5]],
    }


def _check_known(known_codes) -> dict[str, pd.Index]:
    if not isinstance(known_codes, Mapping) or not known_codes:
        raise InputError("`known_codes` must map level names ('lsoa21', 'lad24', 'utla24') to the "
                         f"valid codes of each level; got {type(known_codes).__name__}")
    return {str(k): pd.Index(v).astype(str).astype(object) for k, v in known_codes.items()}


def _level_order(level: str) -> int:
    return LEVEL_ORDER.index(level) if level in LEVEL_ORDER else len(LEVEL_ORDER)


def _describe_unknown(codes: list[str],
                      vintages: pd.DataFrame | None) -> tuple[dict[str, str], list[str]]:
    """Explain codes of another vintage; returns code -> description and summary messages."""
    found: dict[str, str] = {}
    kinds: list[str] = []
    if vintages is not None and len(vintages):
        index = set(vintages.index)
        for code in codes:
            if code in index:
                name, vintage, current = vintages.loc[code, ["name", "vintage", "current"]]
                now = f"; current code {current}" if isinstance(current, str) and current else ""
                found[code] = f"{safe_label(name)}: {safe_label(vintage)}{now}"
                kinds.append(safe_label(vintage))
    else:
        for code in codes:
            if code[:3] in ("E01", "W01"):
                found[code] = "not a 2021 LSOA code: possibly an LSOA 2011 code"
                kinds.append("possibly LSOA 2011")
    if not found:
        return found, []
    summary = ", ".join(f"{n} {kind}" for kind, n in pd.Series(kinds).value_counts().items())
    examples = "; ".join(f"{c} ({d})" for c, d in islice(found.items(), 3))
    return found, [f"{len(found)} codes are from another boundary vintage ({summary}), e.g. "
                   f"{examples}. Convert them with the ONS lookups ({ONS_LOOKUPS_URL}: 'LSOA (2011) "
                   "to LSOA (2021)', 'LAD to LAD') and upload again."]


def _detect_level(unique: pd.Index, known: dict[str, pd.Index], *, vintages, code_column: str,
                  min_match: float, problems: list[str]):
    """The level matching most codes (ties: the finest); appends any refusal to ``problems``."""
    counts = {lvl: int(unique.isin(k).sum()) for lvl, k in known.items()}
    level = min(known, key=lambda lvl: (-counts[lvl], _level_order(lvl), lvl))
    in_any = unique.isin(pd.Index([]).append(list(known.values())))
    unknown = list(unique[~in_any])
    other_vintage, vintage_msgs = _describe_unknown(unknown, vintages)
    rest = unique[~unique.isin(known[level])]
    extra: dict[str, int] = {}
    for lvl in sorted(known, key=lambda lv: (_level_order(lv), lv)):  # each code to its finest level
        if lvl != level:
            extra[lvl] = int(rest.isin(known[lvl]).sum())
            rest = rest[~rest.isin(known[lvl])]
    if counts[level] == 0:
        why = " ".join(vintage_msgs) or f"Examples: {format_codes(unknown, limit=5)}."
        problems.append(f"None of the {len(unique)} area codes in column {_q(code_column)} is a "
                        f"known code of {', '.join(known)}. {why}")
    elif any(extra.values()):
        mix = ", ".join(f"{lvl}: {n}" for lvl, n in [(level, counts[level]), *extra.items()] if n)
        problems.append(f"The codes mix geography levels ({mix} codes). Upload one level per "
                        "file (for example only LSOA codes, or only council codes).")
    elif counts[level] < min_match * len(unique):
        problems.append(f"Only {counts[level]} of {len(unique)} area codes are {level} codes "
                        f"({LEVEL_LABELS.get(level, level)}); at least {min_match:.0%} must match. "
                        f"Unmatched: {format_codes(unknown, limit=5)}. {' '.join(vintage_msgs)}")
    return level, counts, unknown, other_vintage, vintage_msgs


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
    return kept, columns, dropped


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
        Level name (``"lsoa21"``, ``"lad24"``, ``"utla24"``...) to the valid codes of that level.
        The level is the one matching most codes; a tie goes to the finest level.
    vintages
        Codes of other vintages (see :func:`load_vintage_codes`) used to explain unmatched codes.
        Without it, unknown LSOA-like codes are only flagged as possibly LSOA 2011.
    max_bytes, max_rows
        Size limits; a larger file is refused with the limits in the message.
    min_match
        Smallest share of the area codes that must match the level.
    filename
        Name shown in messages (taken from a path or file object when not given).

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
        levels, too few matching codes, infinite values.

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
    raw, filename = _read_input(data, max_bytes=max_bytes, filename=filename)
    text, encoding, messages = _decode(raw, "a CSV table")
    _refuse_other_text(text)
    text, invisible = _INVISIBLE.subn("", text)  # zero-width characters, often pasted with codes
    if invisible:
        messages.append(f"{invisible} invisible zero-width characters were removed.")
    header, rows, delimiter = _split_table(text, max_rows=max_rows)
    names, notes = _clean_header(header)
    messages += notes
    if not rows:
        raise InputError("The file has a header but no data rows. Add one line per area below the "
                         "header.")
    lines = np.array([line for line, _ in rows])
    frame = pd.DataFrame([r for _, r in rows], columns=names, dtype="str")
    code_column = _find_code_column(frame, known)
    raw_codes = frame[code_column]
    codes = _normalise_codes(raw_codes)
    normalised = int(((codes != raw_codes) & codes.str.match(_ONS_CODE.pattern)).sum())
    is_code = codes.str.match(_ONS_CODE.pattern).to_numpy(dtype=bool)
    codes = codes.astype(object)  # isin against many codes is slow on Arrow-backed strings
    problems: list[str] = []

    dup = codes[is_code & codes.duplicated(keep=False).to_numpy()]
    if len(dup):
        shown = [f"{c} (lines {', '.join(map(str, lines[(codes == c).to_numpy()][:4]))})"
                 for c in dup.unique()[:5]]
        problems.append(f"{dup.nunique()} area codes appear more than once: {'; '.join(shown)}. "
                        "Keep one row per area (sum counts or average rates first) and upload again.")

    unique = pd.Index(codes[is_code].unique(), dtype=object)
    level, counts, unknown, other_vintage, vintage_msgs = _detect_level(
        unique, known, vintages=vintages, code_column=code_column, min_match=min_match,
        problems=problems)
    matched = codes.isin(known[level]).to_numpy() & is_code
    kept, columns, dropped = _read_columns(frame, names, code_column=code_column,
                                           delimiter=delimiter, lines=lines, problems=problems)
    if not kept:
        why = "; ".join(f"{k}: {v}" for k, v in dropped.items()) or "it is the only column"
        problems.append(f"No column holds numbers besides the code column {_q(code_column)} "
                        f"({why}). Add at least one numeric column, one value per area.")
    if problems:
        raise InputError(" ".join(problems))

    rows_without = lines[~is_code].tolist()
    table = pd.DataFrame(kept).loc[matched].set_axis(
        pd.Index(codes[matched], dtype="str", name=f"{level}_code"))
    report = UploadReport(
        filename=safe_label(filename) if filename else None, encoding=encoding,
        delimiter=_DELIMITERS[delimiter], rows_read=len(rows), rows_matched=int(matched.sum()),
        level_counts=counts, unknown_codes=unknown, other_vintage=other_vintage, duplicates=[],
        rows_without_code=rows_without, normalised_codes=normalised, columns=columns,
        dropped_columns=dropped)
    messages.insert(0, f"Read {len(rows):,} rows and {len(names)} columns"
                    f"{' from ' + _q(filename) if filename else ''} ({encoding}, "
                    f"{_DELIMITERS[delimiter]}-separated).")
    messages.append(f"Area codes in column {_q(code_column)}: {int(matched.sum()):,} rows match "
                    f"{LEVEL_LABELS.get(level, level)} codes ({level}).")
    if normalised:
        messages.append(f"{normalised} codes had spaces or lower-case letters; they were tidied "
                        "(e.g. ' e01000001' -> 'E01000001').")
    if rows_without:
        examples = ", ".join(_q(v) for v in raw_codes[~is_code].unique()[:3])
        messages.append(f"{len(rows_without)} rows have no area code ({examples}; lines "
                        f"{format_codes(rows_without, limit=5)}) and were left out.")
    if unknown:
        messages.append(f"{len(unknown)} codes are not {level} codes and were left out: "
                        f"{format_codes(unknown, limit=5)}.")
        messages += vintage_msgs
        warnings.warn(f"{len(unknown)} uploaded codes did not match {level}: "
                      f"{format_codes(unknown, limit=5)}", UnmatchedCodesWarning, stacklevel=2)
    messages += _column_messages(columns, names)
    if matched.sum() == 1:
        messages.append("Only one area matched: maps, ranks and comparisons need several areas.")
    labels = {name: safe_label(name) for name in table.columns}
    return UploadResult(table=table, level=level, code_column=code_column, report=report,
                        messages=messages, labels=labels)
