"""The words of a map: legend labels, formatted values, the map as a table, one sentence.

Every map of the app has text alternatives built here from the same classes as its colours
(:func:`geo.maps.classes.classify`):

- :func:`legend_labels`: a legend's range labels with the indicator's unit;
- :func:`format_value`: one value for a tooltip or table ("6.4% of cohort", "no data");
- :func:`map_table`: the map as a table (name, value, class, range, rank);
- :func:`describe_values`: a one-sentence summary naming the worst and best areas.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from geo._errors import InputError
from geo.maps.classes import classify, normalise_key

__all__ = ['legend_labels', 'class_labels', 'format_value', 'map_table', 'describe_values']

#: Units that are positions, written before the number: "decile 3", "rank 168 of 1,909".
_ORDINAL = re.compile(r"^(?P<word>decile|quintile|rank)(?P<rest>( of [\d,]+)?)$")


def _decimals(edges: Sequence[float]) -> int:
    span = max(edges) - min(edges) if len(edges) > 1 else abs(edges[0])
    if span >= 100:
        d = 0
    elif span >= 10:
        d = 1
    elif span >= 1:
        d = 2
    else:
        d = 2 + max(0, -math.floor(math.log10(span))) if span > 0 else 2
    while d < 6 and len({f"{e:.{d}f}" for e in edges}) < len(set(edges)):
        d += 1
    return d


def legend_labels(
    bins: Sequence[float],
    unit: str = "",
    *,
    lower: float | None = None,
    decimals: int | None = None,
) -> list[str]:
    """Range labels for a legend, one per class, with the unit.

    Parameters
    ----------
    bins
        Inclusive upper bound of each class, increasing (``classify(...).attrs["bins"]``).
    unit
        The indicator's unit: ``"%"`` is appended to every number (``"% of cohort"`` gives
        ``"5.0% to 6.0% of cohort"``), ``"£"`` prefixed, any other text (``"score"``,
        ``"rank"``) follows the range once. Empty for none.
    lower
        Smallest value of the first class (``classify(...).attrs["lower"]``); without it the
        first label reads "up to ...".
    decimals
        Decimal places; by default the fewest that tell every bound apart (at most 6).

    Returns
    -------
    list of str
        ``len(bins)`` labels such as ``"10.5% to 20.3%"``.

    Raises
    ------
    InputError
        Empty or decreasing ``bins``.

    Examples
    --------
    >>> legend_labels([10, 20], "%", lower=0)
    ['0.0% to 10.0%', '10.0% to 20.0%']
    >>> legend_labels([2.5, 7.5], "score")
    ['up to 2.50 score', '2.50 to 7.50 score']
    """
    b = [float(x) for x in bins]
    if not b or any(np.diff(b) < 0) or not all(np.isfinite(b)):
        msg = f"`bins` must be a non-empty increasing list of finite numbers; got {list(bins)!r}."
        raise InputError(msg)
    edges = ([float(lower)] if lower is not None else []) + b
    d = _decimals(edges) if decimals is None else int(decimals)
    unit = (unit or "").strip()
    pct = unit in ("%", "percent", "per cent") or unit.startswith("% ")
    money = unit in ("£", "GBP")
    rest = unit[1:].strip() if unit.startswith("% ") else ""

    def num(x: float) -> str:
        s = f"{x:,.{d}f}"
        if pct:
            return s + "%"
        if money:
            return ("-£" + s[1:]) if s.startswith("-") else "£" + s
        return s

    suffix = f" {rest}" if rest else "" if (pct or money or not unit) else f" {unit}"
    labels = []
    for i, hi in enumerate(b):
        lo = lower if i == 0 else b[i - 1]
        if lo is None:
            text = f"up to {num(hi)}"
        elif i == 0 and lo == hi:
            text = num(hi)
        else:
            text = f"{num(lo)} to {num(hi)}"
        labels.append(text + suffix)
    return labels


def format_value(value: Any, unit: str = "", *, decimals: int | None = None) -> str:
    """Format one value for a tooltip or table: thousands separators, unit, "no data".

    Parameters
    ----------
    value
        A number (or anything else, shown as text); NaN/None read "no data".
    unit
        ``"%"`` is appended (``"% of cohort"`` too: ``"6.4% of cohort"``), ``"£"`` prefixed,
        a position comes first (``"decile"``, ``"quintile"``, ``"rank of 1,909"``: ``"decile
        3"``, ``"rank 168 of 1,909"``, no decimals for whole numbers), other units follow after
        a space.
    decimals
        Decimal places; default 0 for integers and values of 1,000 or more, else 1 or 2.

    Returns
    -------
    str
        Plain text (not escaped).

    Examples
    --------
    >>> format_value(12.345, "%")
    '12.3%'
    >>> format_value(float("nan"))
    'no data'
    >>> format_value(3.0, "decile"), format_value(168.0, "rank of 1,909")
    ('decile 3', 'rank 168 of 1,909')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "no data"
    ordinal = _ORDINAL.match((unit or "").strip())
    if ordinal and isinstance(value, int | float | np.integer | np.floating) and not isinstance(
            value, bool):
        # a decile, quintile or rank is a position: "decile 3", "rank 168 of 1,909"
        v = float(value)
        places = decimals if decimals is not None else 0 if v.is_integer() else 1
        return f"{ordinal['word']} {v:,.{places}f}{ordinal['rest']}"
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        v = float(value)
        if decimals is None:
            integral = v == int(v) and abs(v) < 1e15 and isinstance(value, int | np.integer)
            if integral or abs(v) >= 1000:
                decimals = 0
            elif abs(v) >= 10:
                decimals = 1
            else:
                decimals = 2
        s = f"{v:,.{decimals}f}"
    else:
        return str(value)
    unit = (unit or "").strip()
    if unit in ("%", "percent", "per cent"):
        return s + "%"
    if unit.startswith("% "):
        return s + unit
    if unit in ("£", "GBP"):
        return ("-£" + s[1:]) if s.startswith("-") else "£" + s
    return f"{s} {unit}" if unit else s


def class_labels(classes: pd.Series, unit: str = "") -> list[str]:
    """The legend's words for each class: ranges with units (:func:`geo.maps.text.legend_labels`),
    or for the ``categories`` scheme the value itself ("decile 1", "3 domains").

    Examples
    --------
    >>> class_labels(classify(pd.Series([1.0, 2.0, 2.0]), scheme="categories"), "decile")
    ['decile 1', 'decile 2']
    """
    bins = classes.attrs["bins"]
    if classes.attrs.get("scheme") != "categories":
        return legend_labels(bins, unit, lower=classes.attrs.get("lower"))
    words = [format_value(int(b) if float(b).is_integer() else b) for b in bins]
    if unit in ("decile", "quintile", "rank"):
        return [f"{unit} {w}" for w in words]
    return [f"{w} {unit}".strip() for w in words]


def map_table(
    gdf: pd.DataFrame,
    column: str,
    *,
    scheme: str = "quantiles",
    k: int | None = None,
    unit: str = "",
    name_column: str | None = "name",
    reference: pd.Series | None = None,
) -> pd.DataFrame:
    """The map as a table (the accessible alternative): name, value, class range, rank.

    Parameters
    ----------
    gdf
        A (Geo)DataFrame indexed by area code with ``column``.
    column, scheme, k, unit, name_column, reference
        As in :func:`choropleth_map` (the same classes as the map).

    Returns
    -------
    pandas.DataFrame
        Indexed exactly like ``gdf``, columns ``name`` (if available), ``value``, ``class``
        (1 = lowest values), ``range`` (legend label) and ``rank`` (1 = highest value).

    Examples
    --------
    >>> t = map_table(pd.DataFrame({"v": [1.0, 3.0]}, index=["a", "b"]), "v", k=2)
    >>> t["rank"].tolist()
    [2, 1]
    """
    if not isinstance(gdf, pd.DataFrame):
        msg = f"`gdf` must be a DataFrame indexed by area code; got {type(gdf).__name__}."
        raise InputError(msg)
    if column not in gdf.columns:
        msg = f"`column` {column!r} is not in `gdf`; available: {list(gdf.columns)}."
        raise InputError(msg)
    classes = classify(gdf[column], scheme=scheme, k=k, reference=reference)
    labels = class_labels(classes, unit)
    out = pd.DataFrame(index=gdf.index)
    if name_column is not None and name_column in gdf.columns:
        out["name"] = gdf[name_column]
    out["value"] = gdf[column].astype("float64")
    out["class"] = (classes + 1).astype("Int64")
    out["range"] = [labels[int(c)] if pd.notna(c) else "no data" for c in classes]
    out["rank"] = out["value"].rank(ascending=False, method="min").astype("Int64")
    return out


def describe_values(
    values: pd.Series,
    *,
    label: str,
    unit: str = "",
    polarity: str = "higher_worse",
    names: pd.Series | None = None,
    area_word: str = "areas",
) -> str:
    """A one-sentence summary of a map for screen readers and the caption.

    Parameters
    ----------
    values
        The mapped values indexed by code.
    label, unit, polarity
        The indicator's label, unit and polarity.
    names
        Area names indexed by code (codes are used when missing).
    area_word
        Plural noun for the areas ("councils", "LSOAs").

    Returns
    -------
    str
        E.g. "IMD score across 296 councils: worst Blackpool (45.0), best Hart (5.2),
        median 20.1; 0 without data."

    Examples
    --------
    >>> s = pd.Series([1.0, 5.0, 3.0], index=["a", "b", "c"])
    >>> describe_values(s, label="Score")
    'Score across 3 areas: worst b (5.00), best a (1.00), median 3.00.'
    """
    pol = normalise_key(polarity)
    if pol not in ("higher_worse", "higher_better"):
        msg = f"`polarity` {polarity!r} is not known; expected 'higher_worse' or 'higher_better'."
        raise InputError(msg)
    v = pd.to_numeric(values, errors="coerce").dropna()
    if v.empty:
        return f"{label}: no data to describe."
    worst_code = v.idxmax() if pol == "higher_worse" else v.idxmin()
    best_code = v.idxmin() if pol == "higher_worse" else v.idxmax()

    def nm(code: Any) -> str:
        if names is not None and code in names.index and pd.notna(names.loc[code]):
            return str(names.loc[code])
        return str(code)

    top = float(v.abs().max())
    whole = any(w in str(unit).lower() for w in ("decile", "quintile", "rank")) and bool(
        (v == v.round()).all())  # deciles, quintiles and ranks: no decimals
    decimals = 0 if top >= 1000 or whole else 1 if top >= 10 else 2

    def fmt(x: float) -> str:
        return format_value(float(x), unit, decimals=decimals)

    def tied(code: Any) -> str:  # a tie is said, not settled by the order of the codes
        n = int((v == v.loc[code]).sum()) - 1
        return f"{nm(code)}" + (f" and {n:,} more" if n else "") + f" ({fmt(v.loc[code])})"

    n_missing = int(len(values) - len(v))
    tail = f"; {n_missing} without data" if n_missing else ""
    if len(v) == 1:
        return (f"{label}: {nm(worst_code)} ({fmt(v.loc[worst_code])}), the only one of the "
                f"{area_word} with a value{tail}.")
    return (
        f"{label} across {len(v):,} {area_word}: worst {tied(worst_code)}, "
        f"best {tied(best_code)}, median {fmt(v.median())}"
        f"{tail}."
    )
