"""CSV that spreadsheets can open safely: no cell runs as a formula, numbers stay numbers.

:func:`to_csv_safe` writes a table (indexed by area code) as UTF-8 CSV with LF line endings.
Text cells, column names and index labels that a spreadsheet would run as a formula get a
leading apostrophe (OWASP CSV injection); column types come from
:func:`geo.export.columns.export_types` (counts, ranks and deciles as integers); written to a
path, the file is atomic and the attribution README of :mod:`geo.export.metadata` goes beside it.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import pandas as pd

from geo._errors import InputError
from geo.export.atomic import export_path
from geo.export.columns import export_types
from geo.export.metadata import readme_text

__all__ = ['to_csv_safe']


#: First characters that make a spreadsheet treat a text cell as a formula (OWASP CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


# ----------------------------------------------------------------------------- CSV
def _escape_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _escape_index(index: pd.Index) -> pd.Index:
    if isinstance(index, pd.MultiIndex):
        return pd.MultiIndex.from_tuples(
            [tuple(_escape_cell(v) for v in t) for t in index],
            names=[_escape_cell(str(n)) if n is not None else None for n in index.names],
        )
    name = _escape_cell(str(index.name)) if index.name is not None else None
    return pd.Index([_escape_cell(v) for v in index], name=name, dtype=object)


def _escape_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Copy of ``df`` with formula-like text cells, column names and index labels escaped."""
    out = df.copy()
    for col in out.columns:
        series = out[col]
        if isinstance(series.dtype, pd.CategoricalDtype):
            series = series.astype(object)
        if pd.api.types.is_object_dtype(series.dtype) or pd.api.types.is_string_dtype(series.dtype):
            out[col] = series.map(_escape_cell).astype(object)
    out.columns = [_escape_cell(str(c)) for c in out.columns]
    out.index = _escape_index(out.index)
    return out


def _lf_records(text: str) -> str:
    """CSV written with CRLF record ends, turned to LF ends; line breaks inside quoted cells stay.

    Python's CSV writer quotes a cell holding CR or LF only when that character is part of the
    line terminator, so the table is written with CRLF (every such cell quoted) and the record
    ends, which are the CRLFs outside quotes, become LF. Outside quotes means an even number of
    ``"`` before (a quoted cell's own quotes are doubled, so they come in pairs).
    """
    parts = text.split('"')
    parts[::2] = [part.replace("\r\n", "\n") for part in parts[::2]]
    return '"'.join(parts)


def to_csv_safe(
    df: pd.DataFrame,
    path_or_buffer: str | os.PathLike | io.TextIOBase | None,
    *,
    metadata: Mapping | None = None,
) -> str | None:
    """Write a table as CSV that spreadsheets will not execute.

    Text cells (and column names and index labels) starting with ``=``, ``+``, ``-``, ``@``, a
    tab or a carriage return get a leading single quote, so Excel, LibreOffice and Google Sheets
    show them as text instead of running them as formulas. Numbers stay numbers, negative ones
    included: only strings are escaped; counts, ranks and deciles are written as integers. The
    index (the area code) is the first column; a GeoDataFrame's geometry column is dropped. No
    comment lines are added, so the file stays machine-readable; attribution goes in a README
    beside it. Records end in LF; a cell holding a line break is quoted.

    Parameters
    ----------
    df
        Table to write, normally indexed by area code.
    path_or_buffer
        File path (written atomically), an open text buffer, or ``None`` to return the text.
    metadata
        Export metadata. When given and ``path_or_buffer`` is a path, ``<name>.README.txt``
        (:func:`geo.export.metadata.readme_text`) is written beside the CSV.

    Returns
    -------
    str or None
        The CSV text when ``path_or_buffer`` is ``None``.

    Raises
    ------
    InputError
        If ``df`` is not a DataFrame or ``metadata`` lacks attribution.

    Examples
    --------
    >>> to_csv_safe(pd.DataFrame({"n": ["=1+1"], "x": [-2]}), None)
    ",n,x\\n0,'=1+1,-2\\n"
    """
    if not isinstance(df, pd.DataFrame):
        msg = f"`df` must be a DataFrame; got {type(df).__name__}"
        raise InputError(msg)
    if metadata is not None:
        readme_text(metadata, name="table.csv")  # refuse bad metadata before writing anything
    table = df
    if isinstance(df, gpd.GeoDataFrame):
        table = pd.DataFrame(df.drop(columns=df.geometry.name))
    text = _lf_records(_escape_frame(export_types(table)).to_csv(lineterminator="\r\n"))
    if path_or_buffer is None:
        return text
    if isinstance(path_or_buffer, str | os.PathLike):
        with export_path(path_or_buffer, metadata=metadata or {}, readme=metadata is not None) as tmp:
            tmp.write_bytes(text.encode("utf-8"))
        return None
    path_or_buffer.write(text)
    return None
