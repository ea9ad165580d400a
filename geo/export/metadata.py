"""Export metadata: validation and JSON-ready conversion (shared by :mod:`geo.export` and
:mod:`geo.raster`).
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from geo._errors import InputError


def _check_metadata(metadata: Any, *, required: bool = True) -> dict:
    """Validate the metadata mapping and return a JSON-ready copy with sorted keys."""
    if metadata is None and not required:
        return {}
    if not isinstance(metadata, Mapping):
        msg = (
            f"`metadata` must be a mapping (sources, vintages, licence, attribution, method, "
            f"seed); got {type(metadata).__name__}. Build it with geo.attribution() or pass a dict"
        )
        raise InputError(msg)
    attribution = metadata.get("attribution")
    lines = [attribution] if isinstance(attribution, str) else attribution
    if (
        not lines
        or not isinstance(lines, list | tuple)
        or not all(isinstance(s, str) and s.strip() for s in lines)
    ):
        msg = (
            "`metadata` must carry 'attribution': a non-empty string or list of strings (the "
            "licence statements every export has to show); got "
            f"{attribution!r}. Add e.g. metadata['attribution'] = ['Source: Office for National "
            "Statistics licensed under the Open Government Licence v.3.0. ...']"
        )
        raise InputError(msg)
    try:
        clean = _json_ready(metadata, where="metadata")
        json.dumps(clean, allow_nan=False)
    except (TypeError, ValueError) as exc:
        msg = f"`metadata` must be JSON-serialisable (str, numbers, lists, dicts); {exc}"
        raise InputError(msg) from exc
    return clean


def _json_ready(obj: Any, *, where: str) -> Any:
    """Recursively turn numpy/pandas scalars into JSON types; sort mapping keys."""
    if isinstance(obj, Mapping):
        return {str(k): _json_ready(obj[k], where=f"{where}[{k!r}]") for k in sorted(obj, key=str)}
    if isinstance(obj, list | tuple):
        return [_json_ready(v, where=where) for v in obj]
    value = _json_scalar(obj)
    if value is _UNSUPPORTED:
        msg = f"{where} holds a {type(obj).__name__} ({obj!r}), which JSON cannot represent"
        raise TypeError(msg)
    return value


_UNSUPPORTED = object()


def _json_scalar(value: Any) -> Any:
    """A JSON-compatible scalar for ``value``; ``None`` for missing; ``_UNSUPPORTED`` otherwise.

    Infinite floats raise :class:`ValueError` (JSON has no infinity).
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        v = float(value)
        if math.isnan(v):
            return None
        if math.isinf(v):
            msg = f"an infinite value ({v}) cannot be written to JSON"
            raise ValueError(msg)
        return v
    if isinstance(value, str):
        return value
    if isinstance(value, pd.Timestamp | _dt.datetime | _dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return _UNSUPPORTED
