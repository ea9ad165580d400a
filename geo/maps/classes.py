"""Classes, colour palettes and legend labels for choropleth maps.

Three small functions, used together by :mod:`geo.maps`:

- :func:`classify` puts each area in a class (0 = lowest values) with a mapclassify scheme;
- :func:`palette` gives one colour-blind-safe sequential colour per class, oriented so that the
  darkest colour always means *worse*, whatever the indicator's polarity;
- :func:`legend_labels` writes the legend's range labels with the indicator's unit;
- :func:`format_value`, :func:`map_table` and :func:`describe_values` give every map its text
  alternatives: formatted values, the map as a table, and a one-sentence summary (all three are
  re-exported by :mod:`geo.maps`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import mapclassify
import numpy as np
import pandas as pd

from geo._errors import InputError, format_codes

__all__ = ['SCHEMES', 'PALETTES', 'POLARITIES', 'NO_DATA_COLOUR', 'MissingValuesWarning', 'normalise_key', 'classify', 'palette', 'colours_for', 'legend_labels', 'format_value', 'map_table', 'describe_values']


#: Colour of areas with no value (a neutral grey, distinct from every palette's lightest colour).
NO_DATA_COLOUR = "#bdbdbd"


#: The two polarities of the catalogue: which end of an indicator is the disadvantaged one.
POLARITIES = ("higher_worse", "higher_better")


class MissingValuesWarning(UserWarning):
    """Some areas have no value; they stay unclassified (NaN) and are drawn as "no data"."""


#: Classification schemes by normalised name: (builder taking (y, k) -> upper bounds, fixed k or None).
SCHEMES: dict[str, tuple[Callable[[np.ndarray, int], np.ndarray], int | None]] = {
    "quantiles": (lambda y, k: mapclassify.Quantiles(y, k=k).bins, None),
    "deciles": (lambda y, k: mapclassify.Quantiles(y, k=10).bins, 10),
    "fisher_jenks": (lambda y, k: mapclassify.FisherJenks(y, k=k).bins, None),
    "equal_interval": (lambda y, k: mapclassify.EqualInterval(y, k=k).bins, None),
}


# Anchor colours of each sequential palette, lightest first (all colour-blind safe).
PALETTES: dict[str, tuple[str, ...]] = {
    # ColorBrewer YlOrRd (9 classes)
    "ylorrd": (
        "#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c",
        "#fc4e2a", "#e31a1c", "#bd0026", "#800026",
    ),
    # ColorBrewer PuBu (9 classes)
    "pubu": (
        "#fff7fb", "#ece7f2", "#d0d1e6", "#a6bddb", "#74a9cf",
        "#3690c0", "#0570b0", "#045a8d", "#023858",
    ),
    # viridis (11 samples), reversed so that yellow is light and purple dark
    "viridis": (
        "#fde725", "#bddf26", "#7ad151", "#44bf70", "#22a884", "#21918c",
        "#2a788e", "#355f8d", "#414487", "#482475", "#440154",
    ),
}


def normalise_key(key: str) -> str:
    """Normalise an option name: lower case, spaces and hyphens to underscores.

    Examples
    --------
    >>> normalise_key("Fisher-Jenks")
    'fisher_jenks'
    """
    return str(key).strip().lower().replace("-", "_").replace(" ", "_")


def _lookup(registry: dict, key: str, argument: str) -> str:
    norm = normalise_key(key)
    if norm not in registry:
        msg = (
            f"`{argument}` {key!r} is not known; valid values are {sorted(registry)}. "
            "Pass one of these (case, spaces and hyphens do not matter)."
        )
        raise InputError(msg)
    return norm


def _check_polarity(polarity: str) -> str:
    norm = normalise_key(polarity)
    if norm not in POLARITIES:
        msg = (
            f"`polarity` {polarity!r} is not known; expected one of {list(POLARITIES)} "
            "(the catalogue's `polarity` column says which applies to an indicator)."
        )
        raise InputError(msg)
    return norm


def classify(
    values: pd.Series,
    *,
    scheme: str = "quantiles",
    k: int | None = None,
) -> pd.Series:
    """Put each area into a class with a mapclassify scheme.

    Parameters
    ----------
    values
        Numeric values indexed by area code (unique index).
    scheme
        ``"quantiles"``, ``"deciles"`` (quantiles with 10 classes), ``"fisher_jenks"`` or
        ``"equal_interval"``; case, spaces and hyphens do not matter.
    k
        Number of classes; default 5 (10 for ``"deciles"``, which accepts no other k).

    Returns
    -------
    pandas.Series
        Class index (``Int64``; 0 holds the lowest values), indexed exactly like ``values``.
        Missing values stay missing (``<NA>``). ``result.attrs`` holds ``bins`` (inclusive upper
        bound of each class, a list of floats), ``lower`` (the minimum value), ``scheme``, ``k``
        (the number of classes actually formed) and ``n_missing``.

    Raises
    ------
    InputError
        Unknown scheme, k out of range, a non-numeric or infinite value, a duplicated index,
        or no value at all.

    Warns
    -----
    MissingValuesWarning
        When some values are missing: gives their count and first codes.
    UserWarning
        When there are fewer distinct values than classes, so fewer classes are formed.

    Examples
    --------
    >>> s = pd.Series([1.0, 2.0, 3.0, 4.0], index=pd.Index(list("abcd"), name="code"))
    >>> classify(s, scheme="equal_interval", k=2).tolist()
    [0, 0, 1, 1]
    """
    norm = _lookup(SCHEMES, scheme, "scheme")
    builder, fixed_k = SCHEMES[norm]
    problems = []
    if fixed_k is not None:
        if k is not None and k != fixed_k:
            problems.append(
                f"`k` is {k} but scheme {norm!r} always has {fixed_k} classes; leave `k` unset"
            )
        k = fixed_k
    elif k is None:
        k = 5
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 2 <= k <= 12:
        problems.append(f"`k` must be an integer from 2 to 12; got {k!r}")
    if not isinstance(values, pd.Series):
        problems.append(
            f"`values` must be a pandas Series indexed by area code; got {type(values).__name__}"
        )
    else:
        if not values.index.is_unique:
            dup = values.index[values.index.duplicated()].unique()
            problems.append(
                f"`values` has {len(dup)} duplicated index codes ({format_codes(dup)}); "
                "aggregate or drop them first"
            )
        if not (pd.api.types.is_numeric_dtype(values) or values.isna().all()):
            problems.append(
                f"`values` must be numeric; got dtype {values.dtype}. Convert with "
                "pd.to_numeric(values, errors='coerce') after checking the non-numbers"
            )
    if problems:
        raise InputError("; ".join(problems) + ".")

    y = values.astype("float64")
    finite = np.isfinite(y.to_numpy(dtype="float64", na_value=np.nan))
    infinite = y.notna() & ~finite
    if infinite.any():
        msg = (
            f"`values` has {int(infinite.sum())} infinite values "
            f"({format_codes(values.index[infinite])}); replace them with NaN or a finite number."
        )
        raise InputError(msg)
    missing = y.isna()
    if missing.all():
        msg = f"`values` has no value to classify (all {len(y)} are missing); nothing to map."
        raise InputError(msg)
    if missing.any():
        warnings.warn(
            f"{int(missing.sum())} of {len(y)} areas have no value and stay unclassified "
            f"(drawn as 'no data'): {format_codes(values.index[missing])}.",
            MissingValuesWarning,
            stacklevel=2,
        )

    present = y[~missing].to_numpy()
    n_unique = np.unique(present).size
    if n_unique == 1:
        bins = np.array([present[0]])
    else:
        k_try = min(k, n_unique)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            bins = np.unique(np.asarray(builder(present, k_try), dtype="float64"))
    if bins.size < k:
        warnings.warn(
            f"`values` has {n_unique} distinct values, so scheme {norm!r} formed "
            f"{bins.size} classes instead of {k}.",
            UserWarning,
            stacklevel=2,
        )
    bins[-1] = max(bins[-1], present.max())
    cls = np.searchsorted(bins, present, side="left")
    out = pd.Series(pd.NA, index=values.index, dtype="Int64", name=values.name)
    out[~missing.to_numpy()] = cls
    out.attrs = {
        "bins": [float(b) for b in bins],
        "lower": float(present.min()),
        "scheme": norm,
        "k": int(bins.size),
        "n_missing": int(missing.sum()),
    }
    return out


def _hex_to_rgb(colour: str) -> np.ndarray:
    c = colour.lstrip("#")
    return np.array([int(c[i : i + 2], 16) for i in (0, 2, 4)], dtype=float)


def _interpolate(anchors: Sequence[str], k: int) -> list[str]:
    rgb = np.array([_hex_to_rgb(a) for a in anchors])
    pos = np.linspace(0, 1, len(anchors))
    at = np.linspace(0, 1, k) if k > 1 else np.array([1.0])
    out = []
    for t in at:
        channels = [np.interp(t, pos, rgb[:, j]) for j in range(3)]
        out.append("#" + "".join(f"{round(v):02x}" for v in channels))
    return out


def palette(k: int, *, polarity: str, name: str = "ylorrd") -> list[str]:
    """One colour per class, darkest for the disadvantaged end.

    Parameters
    ----------
    k
        Number of classes (1 to 12).
    polarity
        ``"higher_worse"`` (class k-1, the highest values, is darkest) or ``"higher_better"``
        (class 0, the lowest values, is darkest).
    name
        Sequential colour-blind-safe palette: ``"ylorrd"`` (ColorBrewer YlOrRd), ``"pubu"``
        (ColorBrewer PuBu) or ``"viridis"``.

    Returns
    -------
    list of str
        ``k`` hex colours, item ``i`` for class ``i``.

    Raises
    ------
    InputError
        Unknown polarity or palette name, or k out of range.

    Examples
    --------
    >>> palette(2, polarity="higher_worse")
    ['#ffffcc', '#800026']
    >>> palette(2, polarity="higher_better")
    ['#800026', '#ffffcc']
    """
    pol = _check_polarity(polarity)
    key = _lookup(PALETTES, name, "name")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= 12:
        msg = f"`k` must be an integer from 1 to 12; got {k!r}."
        raise InputError(msg)
    colours = _interpolate(PALETTES[key], int(k))
    return colours if pol == "higher_worse" else colours[::-1]


def colours_for(
    classes: pd.Series, *, polarity: str, name: str = "ylorrd", k: int | None = None
) -> pd.Series:
    """Map class indices (from :func:`classify`) to hex colours; missing classes get grey.

    Parameters
    ----------
    classes
        Output of :func:`classify`.
    polarity, name
        As in :func:`palette`.
    k
        Number of classes; default ``classes.attrs["k"]``.

    Returns
    -------
    pandas.Series
        Hex colours (str), indexed like ``classes``; :data:`NO_DATA_COLOUR` where missing.

    Examples
    --------
    >>> c = classify(pd.Series([1.0, 2.0, 3.0]), scheme="equal_interval", k=2)
    >>> colours_for(c, polarity="higher_worse").tolist()
    ['#ffffcc', '#ffffcc', '#800026']
    """
    if k is None:
        k = classes.attrs.get("k")
    if k is None:
        valid = classes.dropna()
        k = int(valid.max()) + 1 if len(valid) else 1
    colours = np.array(palette(int(k), polarity=polarity, name=name), dtype=object)
    arr = classes.to_numpy(dtype="float64", na_value=np.nan)
    out = np.full(len(arr), NO_DATA_COLOUR, dtype=object)
    ok = ~np.isnan(arr)
    if ok.any() and (arr[ok].max() >= k or arr[ok].min() < 0):
        msg = f"`classes` holds class indices outside 0..{k - 1}; pass the `k` used to classify."
        raise InputError(msg)
    out[ok] = colours[arr[ok].astype(int)]
    return pd.Series(out, index=classes.index, name=classes.name, dtype=object)


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
        other units follow after a space.
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
    """
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "no data"
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        v = float(value)
        if decimals is None:
            if v == int(v) and abs(v) < 1e15 and isinstance(value, (int, np.integer)):
                decimals = 0
            elif abs(v) >= 1000:
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


def map_table(
    gdf: pd.DataFrame,
    column: str,
    *,
    scheme: str = "quantiles",
    k: int | None = None,
    unit: str = "",
    name_column: str | None = "name",
) -> pd.DataFrame:
    """The map as a table (the accessible alternative): name, value, class range, rank.

    Parameters
    ----------
    gdf
        A (Geo)DataFrame indexed by area code with ``column``.
    column, scheme, k, unit, name_column
        As in :func:`choropleth_map`.

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
    classes = classify(gdf[column], scheme=scheme, k=k)
    labels = legend_labels(classes.attrs["bins"], unit, lower=classes.attrs["lower"])
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
    decimals = 0 if top >= 1000 else 1 if top >= 10 else 2

    def fmt(x: float) -> str:
        return format_value(float(x), unit, decimals=decimals)

    n_missing = int(len(values) - len(v))
    tail = f"; {n_missing} without data" if n_missing else ""
    return (
        f"{label} across {len(v):,} {area_word}: worst {nm(worst_code)} "
        f"({fmt(v.loc[worst_code])}), best {nm(best_code)} "
        f"({fmt(v.loc[best_code])}), median {fmt(v.median())}"
        f"{tail}."
    )
