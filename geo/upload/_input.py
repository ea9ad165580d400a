"""Reading an upload safely: size limits, binary refusal, decoding, and labels safe to show.

The first stage of every upload, shared by :mod:`geo.upload.reader` (CSV tables) and
:mod:`geo.upload.geojson` (polygons): :func:`_read_input` takes bytes, text, a path or a file
object within a size limit; :func:`_decode` refuses binary files (images, spreadsheets, archives,
NUL bytes) with the way to export the data instead, and decodes UTF-8, UTF-16 or Windows-1252
saying which; :func:`safe_label` makes any user text safe to show in a page, a message or a
spreadsheet.
"""

from __future__ import annotations

import html
import io
import os
import re
import zipfile
from pathlib import Path

from geo._errors import InputError

__all__ = ['safe_label']


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


_MAGIC = [
    (b"\x89PNG\r\n\x1a\n", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"), (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) or Office file"),
    (b"\x1f\x8b", "a gzip archive"), (b"PAR1", "a Parquet file"),
    (b"SQLite format 3\x00", "an SQLite database or GeoPackage"), (b"\x00\x00\x27\x0a", "a shapefile"),
]


def safe_label(name: object, *, max_length: int = 80) -> str:
    """Make a column name or cell value safe to show in a page, a tooltip or a spreadsheet.

    Removes control, zero-width and bidirectional characters, collapses whitespace, shortens to
    ``max_length``, puts an apostrophe before a leading ``=``, ``+``, ``-`` or ``@`` (so a
    spreadsheet does not run it as a formula) and escapes HTML.

    Parameters
    ----------
    name
        Any value; ``None`` and blanks become ``"(blank)"``.
    max_length
        Longest label kept, in characters, before escaping.

    Returns
    -------
    str
        HTML-escaped text.

    Examples
    --------
    >>> safe_label("<img src=x onerror=alert(1)>")
    '&lt;img src=x onerror=alert(1)&gt;'
    >>> safe_label('=HYPERLINK("http://x")')
    '&#x27;=HYPERLINK(&quot;http://x&quot;)'
    """
    text = " ".join(_CONTROL.sub(" ", "" if name is None else str(name)).split())
    if not text:
        return "(blank)"
    if len(text) > max_length:
        text = text[: max_length - 1] + "\u2026"
    if text[0] in "=+-@":
        text = "'" + text
    return html.escape(text, quote=True)


def _q(text: object) -> str:
    return f"'{safe_label(text)}'"


def _read_input(data, *, max_bytes: int, filename: str | None) -> tuple[bytes | str, str | None]:
    if not isinstance(max_bytes, int) or max_bytes <= 0:
        raise InputError(f"`max_bytes` must be a positive integer; got {max_bytes!r}")
    limit = f"the limit is {max_bytes:,} bytes ({max_bytes / 1e6:g} MB)"
    if isinstance(data, bytes | bytearray | memoryview):
        raw: bytes | str = bytes(data)
    elif isinstance(data, str):
        raw = data
    elif isinstance(data, os.PathLike):
        path = Path(data)
        if not path.is_file():
            raise InputError(f"`data` {path} is not a file; check the path")
        size = path.stat().st_size
        if size > max_bytes:
            raise InputError(f"The file is {size:,} bytes; {limit}. Upload only the columns and "
                             "rows you need, or split the file.")
        raw, filename = path.read_bytes(), filename or path.name
    elif hasattr(data, "read"):
        raw, filename = data.read(max_bytes + 1), filename or getattr(data, "name", None)
    else:
        raise InputError(f"`data` must be bytes, the text of a CSV (str) or a pathlib.Path; got "
                         f"{type(data).__name__}")
    if len(raw) > max_bytes:
        raise InputError(f"The file is larger than {max_bytes:,} bytes; {limit}. Upload only the "
                         "columns and rows you need, or split the file.")
    return raw, filename


def _refuse_binary(raw: bytes, want: str) -> None:
    for magic, what in _MAGIC:
        if raw.startswith(magic):
            raise InputError(f"This file is {what}, not {want}. Export the data as {want} and "
                             "upload that.")
    if raw.startswith(b"PK\x03\x04"):
        try:
            names = zipfile.ZipFile(io.BytesIO(raw)).namelist()
        except zipfile.BadZipFile:
            names = []
        if any(n.startswith("xl/") for n in names):
            what, fix = "an Excel workbook (.xlsx)", "In Excel use File > Save As > 'CSV UTF-8'"
        elif "content.xml" in names:
            what, fix = "an OpenDocument spreadsheet (.ods)", "Save it as CSV (UTF-8)"
        elif any(n.lower().endswith(".shp") for n in names):
            what, fix = "a zipped shapefile", f"Export it as {want}"
        else:
            what, fix = "a zip archive", "Unzip it"
        raise InputError(f"This file is {what}, not {want}. {fix}, then upload the result.")
    head = raw[:65536]
    if b"\x00" in head or b"\x00" in raw:
        at = raw.index(b"\x00")
        raise InputError(f"The file contains NUL bytes (first at byte {at:,}), so it is binary data, "
                         f"not {want}. Export the data as {want} (UTF-8) and upload that.")
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    if controls > max(2, len(head) // 100):
        raise InputError(f"The file looks like binary data ({controls} control bytes in the first "
                         f"{len(head):,}), not {want}. Export the data as {want} and upload that.")


def _decode(raw: bytes | str, want: str) -> tuple[str, str, list[str]]:
    if isinstance(raw, str):
        if "\x00" in raw:
            raise InputError(f"The text contains NUL characters, so it is not {want}; export the "
                             f"data as {want} (UTF-8).")
        return raw.removeprefix("\ufeff"), "text", []
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError as err:
            raise InputError(f"The file starts like UTF-16 text but cannot be read as it ({err}); "
                             "save it as 'CSV UTF-8'.") from None
        return text.removeprefix("\ufeff"), "UTF-16", [
            "The file is UTF-16 text (Excel's 'Unicode text'); it was read, but 'CSV UTF-8' is "
            "the safer format."]
    _refuse_binary(raw, want)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        for encoding, label in (("cp1252", "Windows-1252"), ("latin-1", "Latin-1")):
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError:
                continue
            return text, label, [
                f"The file is not UTF-8 (byte {err.start:,} is {raw[err.start]:#04x}); it was read "
                f"as {label}. Check characters such as \u00a3 and accents, or save it as "
                "'CSV UTF-8'."]
        raise InputError("The file is not UTF-8 text; save it as 'CSV UTF-8'.") from None
    if text.startswith("\ufeff"):
        return text[1:], "UTF-8 with BOM", ["The file starts with a UTF-8 byte-order mark (Excel's "
                                            "'CSV UTF-8'); it was removed."]
    return text, "UTF-8", []
