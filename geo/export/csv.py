"""Exports that GIS clients and spreadsheets can trust.

* :func:`to_geojson` / :func:`write_geojson`: RFC 7946 GeoJSON (lon/lat, no ``crs`` member,
  counter-clockwise exteriors, 6 decimals, valid polygons), byte-identical for the same inputs,
  with the sources, vintages, licence and method recorded in a top-level ``"oppmap"`` member.
* :func:`to_csv_safe`: CSV whose text cells cannot run as spreadsheet formulas.
* :func:`council_pack`: a deterministic zip for one council (GeoJSON, CSV, map, README).
* :func:`safe_filename` / :func:`resolve_inside`: names from user input never leave the folder.
* :func:`rfc7946_problems`: a validator the tests (and the browser tests) use.

Every file is written atomically: a temporary file in the same folder, then :func:`os.replace`,
so a failure never leaves half a file behind (:mod:`geo.export.atomic`). The file-name guards and the
validator are defined in :mod:`geo.export._rfc7946`, the metadata checks in :mod:`geo.export.metadata`;
all are importable from here.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo._errors import InputError

# Re-exported: the atomic writers, metadata checks, file-name guards and the RFC 7946 validator
# live in private modules but stay importable from here (geo.cli.export uses _write_bytes_atomic).
from geo.export.atomic import _atomic_target as _atomic_target
from geo.export.atomic import _write_bytes_atomic
from geo.export.geojson import attribution_text
from geo.export.metadata import _json_ready as _json_ready

__all__ = ['to_csv_safe']


#: First characters that make a spreadsheet treat a text cell as a formula (OWASP CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


# ----------------------------------------------------------------------------- CSV
def _escape_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


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
    if isinstance(out.index, pd.MultiIndex):
        out.index = pd.MultiIndex.from_tuples(
            [tuple(_escape_cell(v) for v in t) for t in out.index],
            names=[_escape_cell(str(n)) if n is not None else None for n in out.index.names],
        )
    else:
        out.index = pd.Index(
            [_escape_cell(v) for v in out.index], name=out.index.name, dtype=object
        )
        if out.index.name is not None:
            out.index.name = _escape_cell(str(out.index.name))
    return out


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
    included: only strings are escaped. The index (the area code) is the first column; a
    GeoDataFrame's geometry column is dropped. No comment lines are added, so the file stays
    machine-readable; attribution goes in a README beside it (see :func:`attribution_text`).
    Lines end in CRLF (RFC 4180), so fields holding line breaks are quoted.

    Parameters
    ----------
    df
        Table to write, normally indexed by area code.
    path_or_buffer
        File path (written atomically), an open text buffer, or ``None`` to return the text.
    metadata
        Optional export metadata. When given and ``path_or_buffer`` is a path, a plain-text
        ``<name>.README.txt`` with :func:`attribution_text` is written beside the CSV.

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
    ",n,x\\r\\n0,'=1+1,-2\\r\\n"
    """
    if not isinstance(df, pd.DataFrame):
        msg = f"`df` must be a DataFrame; got {type(df).__name__}"
        raise InputError(msg)
    readme = attribution_text(metadata) if metadata is not None else None
    table = df
    if isinstance(df, gpd.GeoDataFrame):
        table = pd.DataFrame(df.drop(columns=df.geometry.name))
    # CRLF line ends (RFC 4180): a field holding a bare CR or LF is then always quoted.
    text = _escape_frame(table).to_csv(lineterminator="\r\n")
    if path_or_buffer is None:
        return text
    if isinstance(path_or_buffer, str | os.PathLike):
        path = Path(path_or_buffer)
        if readme is not None:
            _write_bytes_atomic(path.with_name(path.name + ".README.txt"), readme.encode("utf-8"))
        _write_bytes_atomic(path, text.encode("utf-8"))
        return None
    path_or_buffer.write(text)
    return None
