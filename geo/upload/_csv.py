"""Reading a user's CSV into rows and numbers, for :func:`geo.upload.reader.read_upload`.

* :func:`_refuse_other_text`: JSON, GeoJSON or a web page where a table was expected.
* :func:`_split_table`: the text as a header and rows, with the separator worked out (comma,
  semicolon, tab or pipe) and ragged rows, over-long files and stray quotes refused.
* :func:`_clean_header`: column names without control characters, unique, and not data.
* :func:`_parse_column`: one column as numbers, counting what was read how (suppression markers,
  thousands separators, decimal commas, percentages) and keeping examples of what was not.
"""

from __future__ import annotations

import csv
import io
import json
from itertools import islice

import pandas as pd

from geo._errors import InputError, format_codes
from geo.upload._codes import _ONS_CODE
from geo.upload._input import _CONTROL, _q, safe_label

#: Cell values read as "no value" (case-insensitive), counted per column and set to NaN. Official
#: statistics use ``z`` (not applicable), ``c``/``[c]`` (confidential), ``x`` (not available), ``:``,
#: ``..``, ``-`` and ``*``.
SUPPRESSED_MARKERS = frozenset(
    {"", "z", "c", "x", ":", "..", "-", "*", "[c]", "[x]", "[z]", "[u]", "[low]", "n/a", "na",
     "nan", "null", "none", "#n/a", "\u2013", "\u2014"}
)

_THOUSANDS = r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$"

_DECIMAL_COMMA = r"^[+-]?\d*,\d+$"

_DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}

_MAX_COLUMNS = 1_000

def _refuse_other_text(text: str) -> None:
    start = text.lstrip()[:200].lower()
    if start.startswith(("{", "[")):
        try:
            obj = json.loads(text)
        except RecursionError:
            raise InputError("This looks like JSON nested too deeply to read, not a CSV table. Save "
                             "the data as CSV with an area-code column and one column per "
                             "measure.") from None
        except ValueError:
            return  # not JSON: a CSV whose header starts with a bracket, e.g. "[code],value"
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

def _pick_delimiter(text: str) -> str:
    """The separator that splits every line evenly (refusing a tie), else the widest header's."""
    good = [d for d in _DELIMITERS if _consistent(text, d)]
    if len(good) > 1:
        names = " and ".join(_DELIMITERS[d] for d in good)
        raise InputError(f"Cannot tell how the columns are separated: {names} both split every line "
                         "evenly. Save the file as a plain comma-separated CSV.")
    if good:
        return good[0]
    # one column, or ragged rows: report against the separator giving the widest header
    widths = {d: len(next(_records(text, d), (0, []))[1]) for d in _DELIMITERS}
    return max(widths, key=lambda d: widths[d])


def _refuse_titles_or_notes(first: int, ragged: list[tuple[int, int]],
                            rows: list[tuple[int, list[str]]]) -> None:
    """Refuse title lines above the header or notes below the data (the short lines at an end)."""
    lines = [line for line, _ in ragged]
    if rows and max(lines) < rows[0][0]:  # the real header is the first full-width line
        raise InputError(
            f"The file seems to have title lines above the header: remove lines {first} to "
            f"{rows[0][0] - 1} so that the header (line {rows[0][0]}, "
            f"{','.join(rows[0][1][:3])}...) is the first line, and upload again.")
    if rows and min(lines) > rows[-1][0] and all(n < len(rows[0][1]) for _, n in ragged):
        raise InputError(
            "The file seems to have notes below the data: remove "
            f"{f'lines {min(lines)} to {max(lines)}' if len(lines) > 1 else f'line {lines[0]}'} "
            "and upload again.")


def _split_table(text: str, *, max_rows: int) -> tuple[list[str], list[tuple[int, list[str]]], str]:
    if not text.strip():
        raise InputError("The file is empty. Upload a CSV with a header line (for example "
                         "'code,value') and one line per area.")
    delimiter = _pick_delimiter(text)
    records = _records(text, delimiter)
    first = next(records, None)
    if first is None:
        raise InputError("The file has no values, only separators. Upload a CSV with a header "
                         "line (for example 'code,value') and one line per area.")
    header = first[1]
    if len(header) > _MAX_COLUMNS:
        raise InputError(f"The header has {len(header):,} columns; the limit is "
                         f"{_MAX_COLUMNS:,}. Keep the area code and the measures you need.")
    rows: list[tuple[int, list[str]]] = []
    ragged: list[tuple[int, int]] = []
    for line, record in records:
        if len(record) > len(header) and not "".join(record[len(header):]).strip():
            record = record[: len(header)]
        if len(record) != len(header):
            ragged.append((line, len(record)))
            continue
        rows.append((line, record))
        if len(rows) > max_rows:
            raise InputError(f"The file has more than {max_rows:,} data rows; the limit is "
                             f"{max_rows:,} (England has 33,755 LSOAs). Upload one row per area.")
    if ragged:
        _refuse_titles_or_notes(first[0], ragged, rows)
        shown = [f"line {line} has {n}" for line, n in ragged]
        raise InputError(
            f"Rows have different numbers of fields: the header has {len(header)} but "
            f"{format_codes(shown, limit=5)}. A value probably contains a "
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
