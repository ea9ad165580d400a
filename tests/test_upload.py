"""Tests of geo.upload.reader: a user's CSV or GeoJSON is read safely or refused with a clear message."""

from __future__ import annotations

import dataclasses
import io
import json
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from pyproj import Transformer

from geo._errors import InputError, RepairedGeometryWarning, UnmatchedCodesWarning
from geo.upload._input import safe_label
from geo.upload.geojson import load_vintage_codes, read_geojson_upload
from geo.upload.reader import SUPPRESSED_MARKERS, read_upload

BAD = Path(__file__).parent / "data" / "bad_inputs"
LSOA = [f"E010000{i:02d}" for i in range(1, 21)] + ["W01000001"]
LAD = ["E06000001", "E06000002", "E07000008", "E08000016", "E09000001", "W06000001"]
UTLA = ["E06000001", "E06000002", "E08000016", "E09000001", "E10000003", "W06000001"]
KNOWN = {"lsoa21": pd.Index(LSOA), "lad24": pd.Index(LAD), "utla24": pd.Index(UTLA)}


def read(text: str | bytes, **kw):
    data = text.encode("utf-8") if isinstance(text, str) else text
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnmatchedCodesWarning)
        return read_upload(data, known_codes=KNOWN, **kw)


def csv_of(rows, header="code,value") -> str:
    return header + "\n" + "\n".join(",".join(map(str, r)) for r in rows) + "\n"


def all_strings(obj):
    """Every string inside a report (dataclasses, dicts, lists), keys included."""
    if isinstance(obj, str):
        yield obj
    elif dataclasses.is_dataclass(obj):
        for f in dataclasses.fields(obj):
            yield from all_strings(getattr(obj, f.name))
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from all_strings(k)
            yield from all_strings(v)
    elif isinstance(obj, list | tuple):
        for v in obj:
            yield from all_strings(v)


# --- a good file ------------------------------------------------------------------------------

def test_good_file_gives_float_table_indexed_by_code_in_file_order():
    res = read(csv_of([("E01000003", 3), ("E01000001", "1.5"), ("E01000002", -2)]))
    assert res.level == "lsoa21" and res.code_column == "code"
    assert res.table.index.name == "lsoa21_code"
    assert res.table.index.tolist() == ["E01000003", "E01000001", "E01000002"]
    assert res.table.dtypes.tolist() == [np.dtype("float64")]
    assert_allclose(res.table["value"], [3.0, 1.5, -2.0], rtol=0)
    assert res.report.rows_read == 3 and res.report.rows_matched == 3
    assert res.report.encoding == "UTF-8" and res.report.delimiter == "comma"
    assert "3 rows match LSOA 2021 codes (lsoa21)" in " ".join(res.messages)


def test_path_and_file_object_inputs(tmp_path):
    p = tmp_path / "mine.csv"
    p.write_text(csv_of([("E06000001", 1), ("E06000002", 2)]))
    by_path = read_upload(p, known_codes=KNOWN)
    by_file = read_upload(io.BytesIO(p.read_bytes()), known_codes=KNOWN)
    assert by_path.report.filename == "mine.csv"
    pd.testing.assert_frame_equal(by_path.table, by_file.table)
    with pytest.raises(InputError, match="is not a file"):
        read_upload(tmp_path / "missing.csv", known_codes=KNOWN)
    with pytest.raises(InputError, match="`data` must be bytes"):
        read_upload(12, known_codes=KNOWN)
    with pytest.raises(InputError, match="`known_codes` must map level names"):
        read_upload(b"code,value\n", known_codes={})


@settings(max_examples=25, deadline=None)
@given(st.permutations(range(8)), st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=8,
                                           max_size=8))
def test_shuffling_rows_does_not_change_the_table(order, values):
    rows = [(LSOA[i], repr(v), f"{v * 2!r}") for i, v in enumerate(values)]
    header = "code,a,b"
    base = read(csv_of(rows, header)).table.sort_index()
    shuffled = read(csv_of([rows[i] for i in order], header)).table.sort_index()
    pd.testing.assert_frame_equal(base, shuffled)
    assert_allclose(base["a"].to_numpy(), np.array(values)[np.argsort([LSOA[i] for i in range(8)])])


# --- level detection --------------------------------------------------------------------------

def test_tie_between_levels_goes_to_the_finest_and_counties_mean_utla():
    unitary = read(csv_of([("E06000001", 1), ("E06000002", 2), ("E09000001", 3)]))
    assert unitary.level == "lad24" and unitary.table.index.name == "lad24_code"
    upper = read(csv_of([("E06000001", 1), ("E10000003", 2), ("E08000016", 3)]))
    assert upper.level == "utla24" and upper.report.level_counts == {
        "lsoa21": 0, "lad24": 2, "utla24": 3}


def test_mix_of_levels_is_refused_with_counts_per_level():
    with pytest.raises(InputError, match=r"mix geography levels \(lsoa21: 2, lad24: 1 codes\)"
                                         r".*one level per file"):
        read(csv_of([("E01000001", 1), ("E01000002", 2), ("E07000008", 3)]))


def test_code_column_is_found_among_others_and_other_code_columns_are_dropped():
    res = read(csv_of([("Hartlepool", "E12000001", "E06000001", 5), ("Middlesbrough", "E12000001",
                                                                       "E06000002", 6)],
                      header="name,region,lad_code,value"))
    assert res.code_column == "lad_code" and res.table.columns.tolist() == ["value"]
    assert res.report.dropped_columns == {"name": "text, not numbers (e.g. Hartlepool, "
                                                  "Middlesbrough)",
                                          "region": "area codes, not measures"}


# --- empty, header, structure -----------------------------------------------------------------

@pytest.mark.parametrize("data", [b"", b"\n\n  \r\n", "   "])
def test_empty_file(data):
    with pytest.raises(InputError, match="The file is empty.*header line"):
        read(data)


def test_header_only():
    with pytest.raises(InputError, match="header but no data rows"):
        read("code,value\n")


def test_header_missing_first_line_is_data():
    with pytest.raises(InputError, match="first line looks like data.*Add a header line"):
        read("E01000001,1\nE01000002,2\n")


def test_one_row_is_accepted_with_a_warning_message():
    res = read(csv_of([("E01000001", 7)]))
    assert_allclose(res.table["value"], [7.0], rtol=0)
    assert "Only one area matched" in res.messages[-1]


@pytest.mark.parametrize(("text", "name"), [
    ("code;value\nE01000001;1,5\nE01000002;2,25\n", "semicolon"),
    ("code\tvalue\nE01000001\t1.5\nE01000002\t2.25\n", "tab"),
])
def test_semicolon_and_tab_files_are_read(text, name):
    res = read(text)
    assert res.report.delimiter == name
    assert_allclose(res.table["value"], [1.5, 2.25], rtol=0)
    if name == "semicolon":
        assert res.report.columns[0].decimal_commas == 2
        assert any("decimal commas" in m for m in res.messages)


def test_comma_in_numbers_of_a_semicolon_file_is_read_only_when_unambiguous():
    with pytest.raises(InputError, match="numbers like '1,234' in a semicolon-separated file.*"
                                         "thousands separator or a decimal comma"):
        read("code;value\nE01000001;1,234\nE01000002;2,345\n")
    assert_allclose(read("code;value\nE01000001;1,234\nE01000002;2,5\n").table["value"],
                    [1.234, 2.5], rtol=0)
    assert_allclose(read("code;value\nE01000001;1,234.5\nE01000002;2\n").table["value"],
                    [1234.5, 2.0], rtol=0)


def test_ambiguous_delimiter_is_refused():
    with pytest.raises(InputError, match="comma and semicolon both split every line.*comma-sep"):
        read("code,a;b\nE01000001,1;2\nE01000002,3;4\n")


def test_ragged_rows_are_refused_with_line_numbers():
    with pytest.raises(InputError, match=r"header has 2 but line 3 has 3, line 5 has 3.*double "
                                         r"quotes"):
        read("code,value\nE01000001,1\nE01000002,1,5\nE01000003,2\nE01000004,3,5\n")


def test_trailing_empty_fields_from_excel_are_tolerated():
    res = read("code,value,,\nE01000001,1,,\nE01000002,2,,\n")
    assert res.table.columns.tolist() == ["value"]
    assert set(res.report.dropped_columns) == {"column_3", "column_4"}


def test_quoted_newlines_are_kept_inside_the_value():
    res = read('code,"note",value\nE01000001,"two\nlines",1\nE01000002,"x",2\n')
    assert_allclose(res.table["value"], [1.0, 2.0], rtol=0)
    assert res.report.rows_read == 2


def test_duplicate_column_names_are_refused():
    with pytest.raises(InputError, match="repeats column names: 'value'.*different name"):
        read("code,value,Value\nE01000001,1,2\n")


def test_stray_quote_is_refused_with_its_line():
    with pytest.raises(InputError, match=r"Line 3 cannot be read as CSV.*stray double quote"):
        read('code,value\nE01000001,1\nE01000002,"2"x\n')


def test_very_long_line_and_too_many_columns():
    with pytest.raises(InputError, match="cannot be read as CSV.*overlong value"):
        read("code,value\nE01000001," + "9" * 200_000 + "\n")
    with pytest.raises(InputError, match="1,001 columns; the limit is 1,000"):
        read(",".join(["code"] + [f"v{i}" for i in range(1000)]) + "\nE01000001" + ",1" * 1000)


# --- encodings and binary ---------------------------------------------------------------------

def test_utf8_bom_is_accepted_and_reported():
    res = read(b"\xef\xbb\xbfcode,value\nE01000001,1\n")
    assert res.code_column == "code" and res.report.encoding == "UTF-8 with BOM"


def test_windows_1252_is_read_and_said():
    res = read("code,spend \u00a3,name\nE01000001,5,Ysbyty\n".encode("cp1252"))
    assert res.report.encoding == "Windows-1252"
    assert res.table.columns.tolist() == ["spend \u00a3"]
    assert any("not UTF-8 (byte 11 is 0xa3)" in m and "CSV UTF-8" in m for m in res.messages)


def test_utf16_from_excel_unicode_text_is_read():
    res = read("code\tvalue\nE01000001\t4\n".encode("utf-16"))
    assert res.report.encoding == "UTF-16" and res.report.delimiter == "tab"
    assert_allclose(res.table["value"], [4.0], rtol=0)


@pytest.mark.parametrize(("data", "what"), [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a PNG image"),
    (b"%PDF-1.7\n", "a PDF document"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", r"an old Excel \(.xls\)"),
    (bytes(range(256)) * 4, "NUL bytes"),
    (b"code,value\nE01000001,1\x00\n", r"NUL bytes \(first at byte 22\)"),
    (bytes([1, 2, 3, 4, 5, 6, 7, 8, 14, 15, 16, 17, 18, 19, 20]) * 20, "binary data"),
])
def test_binary_garbage_is_refused(data, what):
    with pytest.raises(InputError, match=what):
        read(data)


def test_nul_in_text_is_refused():
    with pytest.raises(InputError, match="NUL characters"):
        read_upload("code,value\nE01000001,\x001\n", known_codes=KNOWN)


def _zip(names: list[str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n in names:
            z.writestr(n, "x")
    return buf.getvalue()


@pytest.mark.parametrize(("names", "what"), [
    (["[Content_Types].xml", "xl/workbook.xml", "xl/worksheets/sheet1.xml"],
     r"Excel workbook \(.xlsx\).*Save As > 'CSV UTF-8'"),
    (["mimetype", "content.xml"], r"OpenDocument spreadsheet"),
    (["areas.shp", "areas.dbf"], "zipped shapefile"),
    (["data.csv"], "zip archive, not a CSV table. Unzip it"),
])
def test_excel_and_zip_files_say_save_as_csv(names, what):
    with pytest.raises(InputError, match=what):
        read(_zip(names))


def test_geojson_json_and_html_uploaded_as_csv():
    fc = {"type": "FeatureCollection", "features": []}
    with pytest.raises(InputError, match="GeoJSON file of areas, not a table.*own areas"):
        read(json.dumps(fc))
    with pytest.raises(InputError, match="This is JSON, not a CSV"):
        read('[{"code": "E01000001"}]')
    with pytest.raises(InputError, match="web page"):
        read("<!DOCTYPE html><html><body>Sign in</body></html>")


def test_deeply_nested_json_is_refused_without_recursion_error():
    with pytest.raises(InputError, match="looks like JSON nested too deeply.*Save the data as CSV"):
        read("[" * 100_000 + "]" * 100_000)
    with pytest.raises(InputError, match="looks like JSON nested too deeply"):
        read('{"a":' * 100_000 + "1" + "}" * 100_000)


@pytest.mark.parametrize("header", ["[code],value", "{code},value", "[code],[value]"])
def test_csv_header_starting_with_a_bracket_is_read_as_csv(header):
    res = read(csv_of([("E01000001", 1), ("E01000002", 2.5)], header=header))
    assert res.table.iloc[:, 0].tolist() == [1.0, 2.5]
    assert res.code_column == header.split(",")[0]


def test_size_and_row_limits_are_stated():
    text = csv_of([(LSOA[i % 20], i) for i in range(40)])
    with pytest.raises(InputError, match=r"larger than 100 bytes; the limit is 100 bytes"):
        read(text, max_bytes=100)
    with pytest.raises(InputError, match=r"more than 10 data rows; the limit is 10"):
        read(text, max_rows=10)


def test_size_limit_checked_before_reading_a_path(tmp_path):
    p = tmp_path / "big.csv"
    p.write_bytes(b"code,value\n" + b"E01000001,1\n" * 100)
    with pytest.raises(InputError, match=r"The file is 1,211 bytes; the limit is 1,000 bytes"):
        read_upload(p, known_codes=KNOWN, max_bytes=1000)


# --- codes ------------------------------------------------------------------------------------

def test_duplicate_codes_are_refused_with_lines_and_fix():
    with pytest.raises(InputError, match=r"2 area codes appear more than once: E01000001 \(lines "
                                         r"2, 4\); E01000002 \(lines 3, 5\).*one row per area"):
        read(csv_of([("E01000001", 1), ("E01000002", 2), ("e01000001", 3), ("E01000002", 4)]))


def test_whitespace_and_lowercase_codes_are_normalised_and_reported():
    res = read(csv_of([(" e01000001 ", 1), ("E01000002\u200b", 2), ("\u00a0E01000003", 3)]))
    assert res.table.index.tolist() == ["E01000001", "E01000002", "E01000003"]
    assert res.report.normalised_codes == 2
    assert any("2 codes had spaces or lower-case letters" in m for m in res.messages)
    assert "1 invisible zero-width characters were removed." in res.messages


def test_unknown_codes_warn_and_are_reported_when_enough_match():
    text = csv_of([("E01000001", 1), ("E01000002", 2), ("E01099999", 3)])
    with pytest.warns(UnmatchedCodesWarning, match="1 uploaded codes did not match lsoa21"):
        res = read_upload(text.encode(), known_codes=KNOWN)
    assert res.report.unknown_codes == ["E01099999"] and len(res.table) == 2
    assert res.report.other_vintage == {"E01099999": "not a 2021 LSOA code: possibly an LSOA "
                                                     "2011 code"}


def test_no_matching_codes_or_too_few_are_refused():
    with pytest.raises(InputError, match="None of the 2 area codes in column 'code' is a known code"):
        read(csv_of([("E02000001", 1), ("E02000002", 2)]))
    with pytest.raises(InputError, match=r"Only 1 of 3 area codes are lsoa21 codes.*at least 50%"):
        read(csv_of([("E01000001", 1), ("E01099998", 2), ("E01099999", 3)]))


def test_codes_of_another_vintage_are_named_with_the_current_code():
    vintages = pd.DataFrame(
        {"name": ["Aylesbury Vale", "Barnsley"],
         "vintage": ["council code used until 2019", "council code introduced in 2025"],
         "current": ["E06000060", "E08000016"]},
        index=pd.Index(["E07000004", "E08000038"], name="code"))
    rows = [("E06000001", 1), ("E06000002", 2), ("E09000001", 3), ("E07000004", 4),
            ("E08000038", 5)]
    res = read(csv_of(rows), vintages=vintages)
    assert res.report.other_vintage == {
        "E07000004": "Aylesbury Vale: council code used until 2019; current code E06000060",
        "E08000038": "Barnsley: council code introduced in 2025; current code E08000016"}
    msg = " ".join(res.messages)
    assert ("2 codes are from another boundary vintage (1 council code used until 2019, 1 council "
            "code introduced in 2025)") in msg and "ONS lookups" in msg
    with pytest.raises(InputError, match="None of the 2 area codes.*another boundary vintage.*"
                                         "Aylesbury Vale"):
        read(csv_of(rows[3:]), vintages=vintages)


def test_rows_without_a_code_are_left_out_and_listed():
    res = read(csv_of([("", 9), ("E01000001", 1), ("Total", 10), ("E01000002", 2)]))
    assert res.report.rows_without_code == [2, 4] and len(res.table) == 2
    assert res.report.normalised_codes == 0
    assert any("2 rows have no area code ('(blank)', 'Total'; lines 2, 4)" in m
               for m in res.messages)


def test_no_code_column():
    with pytest.raises(InputError, match=r"No column holds ONS area codes.*'name' \(e.g. 'Leeds'\)"):
        read(csv_of([("Leeds", 1), ("York", 2)], header="name,value"))


def test_numeric_looking_codes_are_refused():
    with pytest.raises(InputError, match="'la_code' holds numbers such as '941'.*9-character ONS"):
        read(csv_of([(941, 1), (805, 2)], header="la_code,value"))


# --- values -----------------------------------------------------------------------------------

def test_thousands_separators_and_percent_signs_are_parsed_and_reported():
    res = read('code,pupils,rate\nE01000001,"1,234",12.5%\nE01000002,"12,345,678.5", 3 %\n')
    assert_allclose(res.table["pupils"], [1234.0, 12345678.5], rtol=0)
    assert_allclose(res.table["rate"], [12.5, 3.0], rtol=0)
    pupils, rate = res.report.columns
    assert pupils.thousands_separators == 2 and rate.percent_signs == 2
    assert any("(1,234 read as 1234)" in m for m in res.messages)
    assert any("kept as percentages (12.5% read as 12.5)" in m for m in res.messages)


def test_suppressed_markers_are_counted_and_become_nan():
    markers = ["z", "c", "x", ":", "..", "-", "*", "[c]", "[x]", "[z]", "n/a", "", "C", "N/A"]
    rows = [(LSOA[i], m) for i, m in enumerate(markers)] + [(LSOA[19], 5)]
    res = read(csv_of(rows))
    assert {m.lower() for m in markers} <= SUPPRESSED_MARKERS
    assert res.table["value"].isna().sum() == len(markers)
    col = res.report.columns[0]
    assert sum(col.suppressed.values()) == len(markers)
    assert col.suppressed["c"] == 2 and col.suppressed["n/a"] == 2 and col.suppressed["(empty)"] == 1


def test_non_numeric_values_are_reported_with_examples():
    rows = [(LSOA[i], i) for i in range(8)] + [(LSOA[8], "#DIV/0!"), (LSOA[9], "approx 5")]
    res = read(csv_of(rows))
    col = res.report.columns[0]
    assert col.non_numeric == 2 and col.non_numeric_examples == ["#DIV/0!", "approx 5"]
    assert res.table["value"].isna().sum() == 2
    assert any("2 values are not numbers (e.g. #DIV/0!, approx 5)" in m for m in res.messages)


def test_mostly_text_and_all_empty_columns_are_dropped_and_reported():
    rows = [(LSOA[i], "yes" if i else 1, "") for i in range(4)]
    res = read(csv_of(rows, header="code,flag,empty") .replace("\n", ",2\n").replace(
        "code,flag,empty,2", "code,flag,empty,value"))
    assert res.table.columns.tolist() == ["value"]
    assert res.report.dropped_columns == {
        "flag": "mostly text: 3 of 4 values are not numbers (e.g. yes)",
        "empty": "no values (all 4 cells empty or suppressed)"}


def test_infinities_are_refused():
    with pytest.raises(InputError, match=r"'value' has infinite values \(lines 2, 3, 4\).*division"
                                         r" by zero"):
        read(csv_of([("E01000001", "inf"), ("E01000002", "-Infinity"), ("E01000003", "1e999"),
                     ("E01000004", 1)]))


def test_negative_counts_give_a_warning_message():
    res = read(csv_of([("E01000001", -3, -1.5), ("E01000002", 4, 2)], header="code,pupils,change"))
    warnings_ = [m for m in res.messages if m.startswith("Warning")]
    assert warnings_ == ["Warning: column 'pupils' looks like a count but has 1 negative values; "
                         "check them."]
    assert_allclose(res.table["pupils"], [-3.0, 4.0], rtol=0)


def test_no_numeric_column():
    with pytest.raises(InputError, match=r"No column holds numbers besides the code column 'code' "
                                         r"\(name: text"):
        read(csv_of([("E01000001", "Leeds"), ("E01000002", "York")], header="code,name"))
    with pytest.raises(InputError, match="it is the only column"):
        read("code\nE01000001\nE01000002\n")


@pytest.mark.parametrize(("column", "use"), [
    ("name", "the area's name"), ("geometry", "the area's shape"), ("lsoa21_code", "the area code"),
    ("code", "the area code")])
def test_numeric_column_named_like_an_output_field_is_refused(column, use):
    # a numeric `name` or `geometry` crashed the map's join; `lsoa21_code` blamed a `gdf` argument
    header = f"LSOA21CD,{column},value"
    with pytest.raises(InputError, match=rf"Column '{column}' has a name the output uses for "
                                         rf"{use}: rename the column \(e.g. '{column}_value'\)"):
        read(csv_of([("E01000001", 1, 2), ("E01000002", 3, 4)], header=header))


def test_text_name_column_is_still_dropped_not_refused():
    res = read(csv_of([("E01000001", "Leeds", 2), ("E01000002", "York", 4)],
                      header="code,name,value"))
    assert list(res.table.columns) == ["value"]


# --- safety -----------------------------------------------------------------------------------

def test_safe_label():
    assert safe_label("<img src=x onerror=alert(1)>") == "&lt;img src=x onerror=alert(1)&gt;"
    assert safe_label('=HYPERLINK("http://x","y")') == "&#x27;=HYPERLINK(&quot;http://x&quot;,&quot;y&quot;)"
    assert safe_label("@SUM(A1)") == "&#x27;@SUM(A1)"
    assert safe_label("a\u202eb\x1b[31m\n c") == "a b [31m c"
    assert safe_label("x" * 100) == "x" * 79 + "\u2026"
    assert safe_label(None) == safe_label("  ") == "(blank)"


def test_html_and_formula_column_names_are_kept_but_nothing_in_the_report_is_raw_html():
    text = ('code,<img src=x onerror=alert(1)>,"=HYPERLINK(""http://evil"",""x"")",name\n'
            'E01000001,1,2,<script>alert(1)</script>\nE01000002,3,4,<b>x</b>\n')
    res = read(text)
    assert res.table.columns.tolist() == ["<img src=x onerror=alert(1)>",
                                          '=HYPERLINK("http://evil","x")']
    assert res.labels == {"<img src=x onerror=alert(1)>": "&lt;img src=x onerror=alert(1)&gt;",
                          '=HYPERLINK("http://evil","x")':
                          "&#x27;=HYPERLINK(&quot;http://evil&quot;,&quot;x&quot;)"}
    texts = list(all_strings(res.report)) + res.messages + list(res.labels.values())
    assert not [t for t in texts if "<" in t or ">" in t or '"' in t]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in res.report.dropped_columns["name"]


def test_fixture_files_in_bad_inputs_are_each_refused_or_read():
    outcomes = {}
    for path in sorted(BAD.iterdir()):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UnmatchedCodesWarning)
                outcomes[path.name] = read_upload(path, known_codes=KNOWN).level
        except InputError as err:
            outcomes[path.name] = str(err)[:25]
    assert outcomes == {
        "bom_semicolon_excel.csv": "lsoa21",
        "cp1252_pounds.csv": "lsoa21",
        "image.png": "This file is a PNG image,",
        "no_header.csv": "The first line looks like",
    }


# --- small areas of every nation and vintage ---------------------------------------------------

DZ = [f"S0100{i:04d}" for i in range(6506, 6546)]
RETIRED_2011 = ["E01033468", "E01033469"]  # LSOA 2011 codes that 2021 split or merged
NEW_2021 = ["E01035189", "E01035190"]
NATIONS = {"lsoa21": pd.Index(LSOA + NEW_2021), "lsoa11": pd.Index(LSOA + RETIRED_2011),
           "dz11": pd.Index(DZ), "lad24": pd.Index(LAD), "utla24": pd.Index(UTLA)}


def read_nations(text: str, **kw):
    return read_upload(text.encode(), known_codes=NATIONS, **kw)


def test_data_zone_codes_are_scottish_data_zones():
    res = read_nations(csv_of([(c, i) for i, c in enumerate(DZ[:5])]))
    assert res.level == "dz11" and res.table.index.name == "dz11_code"
    assert res.report.level_counts["dz11"] == 5
    assert any("Scottish data zone 2011 codes (dz11)" in m for m in res.messages)


def test_lsoa_2011_by_its_retired_codes_or_by_its_code_column_name():
    shared = [("E01000001", 1), ("E01000002", 2)]
    old = read_nations(csv_of([*shared, (RETIRED_2011[0], 3)]))
    assert old.level == "lsoa11" and old.table.index.name == "lsoa11_code"
    assert old.table.index.tolist() == ["E01000001", "E01000002", RETIRED_2011[0]]
    # codes valid in both vintages: 2021 unless the file says 2011
    assert read_nations(csv_of(shared)).level == "lsoa21"
    for header in ("LSOA11CD,value", "lsoa11_code,value", "LSOA code (2011),value"):
        assert read_nations(csv_of(shared, header=header)).level == "lsoa11", header
    for header in ("LSOA21CD,value", "code,value"):
        assert read_nations(csv_of(shared, header=header)).level == "lsoa21", header
    assert read_nations(csv_of([*shared, (NEW_2021[0], 3)])).level == "lsoa21"


def test_data_zones_with_lsoas_are_refused_with_the_split_to_make():
    rows = [(c, 1) for c in DZ[:3]] + [("E01000001", 2), ("E01000002", 3)]
    with pytest.raises(InputError, match=r"mix geography levels \(dz11: 3, lsoa21: 2 codes\)"
                                         r".*one level per file.*Scottish data zones.*two files"):
        read_nations(csv_of(rows))


def test_lsoa_2011_and_2021_codes_in_one_file_are_refused():
    rows = [("E01000001", 1), ("E01000002", 2), (RETIRED_2011[0], 3), (NEW_2021[0], 4),
            (NEW_2021[1], 5)]
    with pytest.raises(InputError, match=r"mix geography levels \(lsoa21: 4, lsoa11: 1 codes\)"
                                         r".*one vintage per file.*ONS lookup"):
        read_nations(csv_of(rows))


def test_lsoas_with_councils_keep_the_old_refusal():
    with pytest.raises(InputError, match=r"mix geography levels \(lsoa21: 2, lad24: 1 codes\)"
                                         r".*one level per file \(for example only LSOA codes, "
                                         r"or only council codes\)\.$"):
        read_nations(csv_of([("E01000001", 1), ("E01000002", 2), ("E07000008", 3)]))


def test_columns_that_look_like_counts_are_named():
    header = ("code,pupils,rate,number of visits,pupils_pct,people,total_spend,persons,"
              "visits per 1000")
    rows = [("E01000001", 3, 1.5, 10, 4, "5%", "1.5", 7, 12),
            ("E01000002", 4, 2.0, 12, 6, "6%", "2", 8, 15)]
    res = read(csv_of(rows, header=header))
    # whole numbers and a count's name; not a rate, a percentage or an amount with decimals
    assert res.counts == ("pupils", "number of visits", "persons")


def test_age_bands_of_a_population_file_are_counts():
    """ONS age bands (``age_0_4``, ``Aged 16 to 17``) are people counted, not rates."""
    header = "code,population_total,age_0_4,Aged 16 to 17,age 65+,age_pct_65,mean_age"
    rows = [("E01000001", 1954.0, 117.0, 57, 305, 15.6, 41),
            ("E01000002", 1257.0, 51.0, 26, 179, 14.2, 43)]
    res = read(csv_of(rows, header=header))
    assert res.counts == ("population_total", "age_0_4", "Aged 16 to 17", "age 65+")


# --- real data --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def real_codes(mirror):
    lsoa = pd.read_csv(mirror / "lookups/ons_geo_scripts_names_lsoa21.csv", usecols=["areacd"])
    lad = pd.read_csv(mirror / "lookups/lookup_ltla_ltla.csv", usecols=["ltla24_code"])
    return {"lsoa21": pd.Index(lsoa["areacd"]), "lad24": pd.Index(lad["ltla24_code"].unique())}


@pytest.mark.real
def test_real_vintage_codes(mirror):
    v = load_vintage_codes(mirror)
    assert v.loc["E07000004"].tolist() == ["Aylesbury Vale", "council code used until 2019",
                                           "E06000060"]
    assert v.loc["E10000002"].tolist() == ["Buckinghamshire",
                                           "upper-tier council code used until 2019", "E06000060"]
    assert v.loc["E08000038"].tolist() == ["Barnsley", "council code introduced in 2025",
                                           "E08000016"]
    assert "E08000016" not in v.index and "E06000060" not in v.index
    # LSOA 2011 codes that are not LSOA 2021 codes: 1,106 (every split, merged or complex change
    # in the ONS lookup gives new codes); Middlesbrough 001G split into 001H and 001I
    lsoa11 = v[v["vintage"] == "LSOA 2011 code"]
    assert len(lsoa11) == 1_106
    assert lsoa11.loc["E01033468", "current"] == "E01035189, E01035190"


@pytest.mark.real
def test_real_iod2019_lsoa11_upload_reports_lsoa2011_codes(mirror, real_codes):
    iod = pd.read_csv(mirror / "deprivation/imd2019_england_lsoa11.csv", nrows=2000)
    buf = iod.iloc[:, :4].to_csv(index=False).encode()
    with pytest.warns(UnmatchedCodesWarning):
        res = read_upload(buf, known_codes=real_codes, vintages=load_vintage_codes(mirror))
    assert res.level == "lsoa21"
    unknown = set(res.report.unknown_codes)
    assert unknown and unknown == set(res.report.other_vintage)
    assert all("LSOA 2011 code" in d for d in res.report.other_vintage.values())
    assert res.report.rows_matched + len(unknown) == 2000


@pytest.mark.real
def test_store_codes_of_every_upload_level(store, mirror):
    from geo.upload.reader import UPLOAD_LEVELS, upload_known_codes

    known = upload_known_codes()
    assert tuple(known) == UPLOAD_LEVELS
    lookup = pd.read_csv(mirror / "lookups/lookup_lsoa11_lsoa21_ltla22.csv", dtype=str)
    assert set(known["lsoa11"]) == set(lookup["lsoa11_code"])
    assert set(known["lsoa21"]) == set(lookup["lsoa21_code"])
    scotland = pd.read_csv(mirror / "deprivation/imd2020_scotland_dz11.csv", dtype=str)
    assert set(known["dz11"]) == set(scotland["dz11_code"])
    with pytest.raises(InputError, match="`levels` must be among"):
        upload_known_codes(("lsoa01",))


@pytest.mark.real
def test_cli_maps_a_data_zone_upload(tmp_path, capsys, mirror, store):
    scotland = pd.read_csv(mirror / "deprivation/imd2020_scotland_dz11.csv",
                           index_col="dz11_code")
    glasgow = pd.read_parquet(store / "boundaries" / "dz11.parquet", columns=["lad24_code"])
    codes = glasgow.index[(glasgow["lad24_code"] == "S12000049").to_numpy()]
    src = tmp_path / "dz.csv"
    pd.DataFrame({"DataZone": codes, "income_rank": scotland.loc[codes, "Income_rank"].to_numpy()}
                 ).to_csv(src, index=False)
    out = tmp_path / "dz.geojson"
    assert _run_cli(["map-upload", str(src), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert f"{len(codes):,} rows match Scottish data zone 2011 codes (dz11)" in text
    features = json.loads(out.read_text())["features"]
    got = {f["properties"]["code"]: f["properties"]["income_rank"] for f in features}
    assert got == scotland.loc[codes, "Income_rank"].to_dict()
    assert "Scottish Government" in (tmp_path / "dz.geojson.README.txt").read_text()


@pytest.mark.real
def test_cli_maps_an_lsoa2011_upload_on_lsoa2021_with_the_carry_report(tmp_path, capsys, mirror,
                                                                       store):
    lookup = pd.read_csv(mirror / "lookups/lookup_lsoa11_lsoa21_ltla22.csv", dtype=str)
    merged = lookup[lookup["change_code"] == "M"]
    parents = merged[merged["lsoa21_code"] == merged["lsoa21_code"].iloc[0]]
    split = lookup[lookup["change_code"] == "S"].head(2)  # one 2011 LSOA and its children
    codes = [*parents["lsoa11_code"], split["lsoa11_code"].iloc[0], "E01000001"]
    src = tmp_path / "old.csv"
    src.write_text("lsoa11cd,pupils\n" + "".join(f"{c},{10 * (i + 1)}\n"
                                                 for i, c in enumerate(codes)))
    out = tmp_path / "old.geojson"
    assert _run_cli(["map-upload", str(src), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "match LSOA 2011 codes (lsoa11)" in text and "never averaged" in text
    got = {f["properties"]["code"]: f["properties"]["pupils"]
           for f in json.loads(out.read_text())["features"]}
    n_parents = len(parents)
    assert got[parents["lsoa21_code"].iloc[0]] == sum(10 * (i + 1) for i in range(n_parents))
    children = lookup.loc[lookup["lsoa11_code"] == codes[n_parents], "lsoa21_code"]
    assert sum(got[c] for c in children) == pytest.approx(10 * (n_parents + 1))
    assert got["E01000001"] == 10 * (n_parents + 2)
    assert "lookup" in (tmp_path / "old.geojson.README.txt").read_text().lower()
    assert _run_cli(["map-upload", str(src), "--out", str(out), "--force", "--carry",
                     "mean"]) == 0
    assert "rule mean as asked" in capsys.readouterr().out


# --- GeoJSON ----------------------------------------------------------------------------------

TO_LONLAT = Transformer.from_crs(27700, 4326, always_xy=True)


def square(x0=530_000.0, y0=180_000.0, side=1000.0, crs="lonlat"):
    ring = [(x0, y0), (x0 + side, y0), (x0 + side, y0 + side), (x0, y0 + side), (x0, y0)]
    if crs == "lonlat":
        # densify so the reprojected square keeps its area to 1e-6
        poly = shapely.segmentize(shapely.Polygon(ring), 10)
        ring = [TO_LONLAT.transform(x, y) for x, y in poly.exterior.coords]
    return {"type": "Polygon", "coordinates": [[list(p) for p in ring]]}


def fc(*geoms, crs=None, **props):
    obj = {"type": "FeatureCollection",
           "features": [{"type": "Feature", "geometry": g, "properties": {"n": i, **props}}
                        for i, g in enumerate(geoms)]}
    if crs:
        obj["crs"] = {"type": "name", "properties": {"name": crs}}
    return json.dumps(obj).encode()


def test_geojson_lonlat_square_comes_back_as_a_square_kilometre_in_bng():
    gdf = read_geojson_upload(fc(square(), square(400_000, 300_000)))
    assert gdf.crs.to_epsg() == 27700 and gdf.index.name == "feature"
    assert_allclose(gdf.area, [1e6, 1e6], rtol=1e-4)
    assert_allclose(gdf.total_bounds[:2], [400_000, 180_000], atol=0.5)
    assert gdf["n"].tolist() == [0, 1] and gdf.attrs["report"]["repaired"] == 0


def test_geojson_in_bng_without_crs_member_is_refused_with_the_fix():
    with pytest.raises(InputError, match="look like British National Grid metres.*Reproject to "
                                         "WGS 84"):
        read_geojson_upload(fc(square(crs="bng")))


def test_geojson_declaring_27700_is_read_as_bng_but_not_if_coordinates_are_lonlat():
    gdf = read_geojson_upload(fc(square(crs="bng"), crs="urn:ogc:def:crs:EPSG::27700"))
    assert_allclose(gdf.area, [1e6], rtol=1e-12)
    assert "27700" in gdf.attrs["report"]["crs_source"]
    with pytest.raises(InputError, match="declares .*27700.* look like longitude/latitude"):
        read_geojson_upload(fc(square(), crs="EPSG:27700"))


def test_geojson_swapped_and_out_of_range_and_outside_britain():
    sq = square()
    swapped = {"type": "Polygon", "coordinates": [[[y, x] for x, y in sq["coordinates"][0]]]}
    with pytest.raises(InputError, match="latitude/longitude in the wrong order"):
        read_geojson_upload(fc(swapped))
    far = square(5e6, 5e6, crs="bng")
    with pytest.raises(InputError, match="are not longitude/latitude"):
        read_geojson_upload(fc(far))
    nyc = {"type": "Polygon", "coordinates": [[[-74, 40.7], [-73.9, 40.7], [-73.9, 40.8],
                                               [-74, 40.7]]]}
    with pytest.raises(InputError, match="outside Great Britain"):
        read_geojson_upload(fc(nyc))


def test_geojson_empty_nonpolygon_and_missing_geometries():
    with pytest.raises(InputError, match="no features"):
        read_geojson_upload(fc())
    point = {"type": "Point", "coordinates": [-0.1, 51.5]}
    line = {"type": "LineString", "coordinates": [[-0.1, 51.5], [-0.2, 51.6]]}
    with pytest.raises(InputError, match="Only Polygon and MultiPolygon.*2 'Point', 1 'LineString'"):
        read_geojson_upload(fc(square(), point, point, line))
    with pytest.raises(InputError, match=r"1 features have no geometry \(features 1\)"):
        read_geojson_upload(fc(square(), None))
    # an empty Polygon used to be blamed on coordinates that are not longitude/latitude
    empty = {"type": "Polygon", "coordinates": []}
    with pytest.raises(InputError, match=r"2 features have an empty geometry, a polygon without "
                                         r"coordinates \(features 1, 2, counting from 0\)"):
        read_geojson_upload(fc(square(), empty, {"type": "MultiPolygon", "coordinates": []}))


def test_geojson_bad_json_not_geojson_malformed_and_binary():
    with pytest.raises(InputError, match="not valid JSON"):
        read_geojson_upload(b'{"type": "FeatureCollection", ')
    with pytest.raises(InputError, match="Expected a GeoJSON FeatureCollection; got 'list'"):
        read_geojson_upload(b"[1, 2]")
    bad = {"type": "Polygon", "coordinates": [[[-0.1, 51.5], [-0.2, 51.6]]]}
    with pytest.raises(InputError, match="Feature 0 has a malformed Polygon"):
        read_geojson_upload(fc(bad))
    with pytest.raises(InputError, match="zipped shapefile"):
        read_geojson_upload(_zip(["a.shp", "a.dbf"]))
    with pytest.raises(InputError, match="The file is empty"):
        read_geojson_upload(b"  ")


def test_geojson_invalid_polygon_is_repaired_and_counted_or_refused():
    # a bow tie in BNG metres: two triangles of 500 x 500 / 2 each = 250,000 m2 in all
    bowtie = {"type": "Polygon", "coordinates": [[[530000, 180000], [531000, 181000],
                                                  [531000, 180000], [530000, 181000],
                                                  [530000, 180000]]]}
    with pytest.warns(RepairedGeometryWarning, match="1 invalid polygons were repaired"):
        gdf = read_geojson_upload(fc(bowtie, square(crs="bng"), crs="EPSG:27700"))
    assert gdf.attrs["report"]["repaired"] == 1 and gdf.is_valid.all()
    assert_allclose(gdf.area, [500_000.0, 1e6], rtol=1e-12)
    flat = {"type": "Polygon", "coordinates": [[[530000, 180000], [531000, 180000],
                                                [532000, 180000], [530000, 180000]]]}
    with pytest.raises(InputError, match="1 polygons are empty or have no area even after repair"):
        read_geojson_upload(fc(flat, crs="EPSG:27700"))


def test_geojson_html_properties_survive_as_data_and_size_limit():
    gdf = read_geojson_upload(fc(square(), label="<img src=x onerror=alert(1)>"))
    assert gdf["label"].iloc[0] == "<img src=x onerror=alert(1)>"
    with pytest.raises(InputError, match="the limit is 100 bytes"):
        read_geojson_upload(fc(square()), max_bytes=100)
    with pytest.raises(InputError, match="2 features; the limit is 1"):
        read_geojson_upload(fc(square(), square()), max_features=1)


# --- command line -----------------------------------------------------------------------------

def _run_cli(argv):
    from geo.cli.parser import main

    return main(argv)


def test_cli_invalid_input_exits_2_and_writes_nothing(tmp_path, monkeypatch, capsys):
    import geo.cli.upload as cli

    monkeypatch.setattr(cli, "_known_codes", lambda: KNOWN)
    monkeypatch.setattr(cli, "_vintages", lambda: None)
    bad = tmp_path / "dups.csv"
    bad.write_text(csv_of([("E01000001", 1), ("E01000001", 2)]))
    out = tmp_path / "out.geojson"
    assert _run_cli(["map-upload", str(bad), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "error: 1 area codes appear more than once: E01000001 (lines 2, 3)" in err
    assert list(tmp_path.iterdir()) == [bad]
    assert _run_cli(["map-upload", str(bad), "--out", str(tmp_path / "out.csv")]) == 2
    assert _run_cli(["map-upload", str(tmp_path / "none.csv"), "--out", str(out)]) == 2
    assert list(tmp_path.iterdir()) == [bad]


@pytest.mark.real
def test_cli_writes_geojson_of_matched_areas(tmp_path, capsys, mirror, store):
    out = tmp_path / "neet.geojson"
    src = mirror / "opportunity/dfe_neet_participation_16_17_la_2025.csv"
    assert _run_cli(["map-upload", str(src), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "151 rows match 2024 upper-tier council codes (utla24)" in text
    assert "10 rows have no area code" in text
    gj = json.loads(out.read_text())
    assert len(gj["features"]) == 151 and "crs" not in gj
    hartlepool = next(f for f in gj["features"] if f["properties"]["name"] == "Hartlepool")
    assert hartlepool["properties"]["NEET_percent"] == 4.7
    lon, lat = hartlepool["geometry"]["coordinates"][0][0][0]
    assert -1.4 < lon < -1.1 and 54.6 < lat < 54.8


@pytest.mark.parametrize("text", [
    '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, '
    '"geometry": {"type": "Polygon", "coordinates": [[[NaN, 51], [0, 51.1], [0.1, 51], [NaN, 51]]]}}]}',
    "[" * 100_000,
])
def test_geojson_that_breaks_parsers_is_an_input_error_not_a_crash(text):
    from geo.upload.geojson import read_geojson_upload

    with pytest.raises(InputError):
        read_geojson_upload(text.encode())


def test_title_lines_above_the_header_are_named_not_blamed_on_quotes():
    text = "Table 1: Claimants by LSOA, 2024\nSource: DWP\n\n" + csv_of(
        [("E01000001", 1), ("E01000002", 2)])
    with pytest.raises(InputError, match=r"title lines above the header: remove lines 1 to 3 so "
                                         r"that the header \(line 4, code,value"):
        read(text)


def test_notes_below_the_data_are_named_not_blamed_on_quotes():
    text = csv_of([("E01000001", 1), ("E01000002", 2)]) + "\nNotes: rounded to 5\nSource: DWP\n"
    with pytest.raises(InputError, match=r"notes below the data: remove lines 5 to 6 and upload"):
        read(text)
    with pytest.raises(InputError, match=r"line 3 has 3\. A value probably contains a comma"):
        read("code,value\nE01000001,1\nE01000002,2,3\nE01000003,4\n")
