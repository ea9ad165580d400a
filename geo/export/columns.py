"""Column types of exported tables: numbers as numbers, ranks, deciles and counts as integers.

A GIS client or a spreadsheet types a column from its values, so every writer of
:mod:`geo.export` (GeoJSON, CSV, the council pack) passes its table through
:func:`export_types` first:

* a column of numbers held as Python objects becomes a numeric column;
* a count, rank or decile column (by name: ``n_*``, ``*_count``, ``*_rank``, ``*_decile``,
  ``population*``, ``*_lsoas``, or listed in ``integer_columns``) whose values are all whole
  numbers becomes a nullable integer column (``Int64``), even when it arrived as float because of
  missing values or as text (``"129"``, ``"243428.0"``);
* everything else (scores, shares, labels, codes, flags) is left as it is. Text is never turned
  into numbers outside those columns, so codes such as ``"00123"`` keep their zeros.

Examples
--------
>>> import pandas as pd
>>> export_types(pd.DataFrame({"n_lsoas": ["129", "4"], "population": [243428.0, None]})).dtypes
n_lsoas       Int64
population    Int64
dtype: object
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

__all__ = ["export_types", "is_integer_column"]


#: Column names that hold counts, ranks or deciles.
INTEGER_NAME = re.compile(
    r"(^|[._])(n|count|rank|decile|population)([._]|$)|^n_|_count$|_rank$|_decile$|_lsoas$"
    r"|^population",
    re.IGNORECASE,
)


_INT64_MAX = 2**63 - 1


def is_integer_column(name: object) -> bool:
    """Whether a column name says it holds a count, a rank or a decile.

    Examples
    --------
    >>> [is_integer_column(c) for c in ("iod2025.imd_rank", "n_lsoas", "imd_score")]
    [True, True, False]
    """
    return bool(INTEGER_NAME.search(str(name)))


def _as_numbers(series: pd.Series, *, text: bool) -> pd.Series | None:
    """The column as numbers if every present value is one (or, with ``text``, numeric text).

    Python integers give ``Int64``, other numbers ``float64``; ``None`` when the column is not
    all numbers (or holds booleans, which stay flags).
    """
    present = series.dropna()
    if present.empty:
        return None
    if present.map(lambda v: isinstance(v, bool | np.bool_)).any():
        return None
    if present.map(lambda v: isinstance(v, int | np.integer)).all():
        return series.astype("Int64")  # whole numbers held as objects stay whole
    numbers = present.map(lambda v: isinstance(v, int | float | np.integer | np.floating)).all()
    if not numbers and not text:
        return None
    converted = pd.to_numeric(series, errors="coerce")
    if converted.notna().sum() != len(present):
        return None
    return converted.astype("float64")


def _as_integers(values: pd.Series) -> pd.Series | None:
    """The float column as Int64 if every present value is a whole number in the int64 range."""
    present = values.dropna().to_numpy(dtype="float64")
    if not np.all(np.isfinite(present)) or not np.all(present == np.round(present)):
        return None
    if present.size and np.abs(present).max() > _INT64_MAX:
        return None
    return values.astype("Int64")


def export_types(
    frame: pd.DataFrame, *, integer_columns: Iterable[str] = ()
) -> pd.DataFrame:
    """A copy of ``frame`` with the column types every export uses.

    Parameters
    ----------
    frame
        Any table (a GeoDataFrame keeps its geometry column untouched).
    integer_columns
        More columns that hold counts, ranks or deciles (for example indicator ids whose
        catalogue unit is a rank), besides those named so (:func:`is_integer_column`).

    Returns
    -------
    DataFrame
        Same index, columns and order; only dtypes change.
    """
    extra = {str(c) for c in integer_columns}
    geometry = getattr(frame, "_geometry_column_name", None)
    out = frame.copy()
    for col in out.columns:
        if col == geometry:
            continue
        series = out[col]
        integer = str(col) in extra or is_integer_column(col)
        if pd.api.types.is_bool_dtype(series.dtype) or isinstance(series.dtype, pd.CategoricalDtype):
            continue
        if not pd.api.types.is_numeric_dtype(series.dtype):
            numbers = _as_numbers(series, text=integer)
            if numbers is None:
                continue
            series = numbers
            out[col] = series
        if integer and pd.api.types.is_float_dtype(series.dtype):
            whole = _as_integers(series)
            if whole is not None:
                out[col] = whole
    return out
