"""Classes and palettes of choropleth maps: which class each area falls in, and its colour.

- :func:`classify` puts each area in a class (0 = lowest values) with a mapclassify scheme
  (:data:`SCHEMES`), validating the values and reporting missing ones;
- :func:`palette` gives one colour-blind-safe sequential colour per class (:data:`PALETTES`),
  oriented so that the darkest colour always means *worse*, whatever the indicator's polarity;
- :func:`colours_for` turns classes into colours, grey (:data:`NO_DATA_COLOUR`) where missing.

The words that go with a map (legend labels, formatted values, the map as a table and its
one-sentence summary) are in :mod:`geo.maps.text`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import mapclassify
import numpy as np
import pandas as pd

from geo._errors import InputError, format_codes

__all__ = ['SCHEMES', 'PALETTES', 'POLARITIES', 'NO_DATA_COLOUR', 'NOT_COVERED_COLOUR',
           'NOT_COVERED', 'MAX_CATEGORIES', 'MissingValuesWarning',
           'normalise_key', 'classify', 'palette', 'colours_for']


#: Colour of areas with no value (a neutral grey, distinct from every palette's lightest colour).
NO_DATA_COLOUR = "#bdbdbd"
#: Colour of areas the indicator does not cover at all (another nation's index): a paler grey.
NOT_COVERED_COLOUR = "#e6e6e6"
#: The legend's words for those areas.
NOT_COVERED = "not covered by this index"


#: The two polarities of the catalogue: which end of an indicator is the disadvantaged one.
POLARITIES = ("higher_worse", "higher_better")


class MissingValuesWarning(UserWarning):
    """Some areas have no value; they stay unclassified (NaN) and are drawn as "no data"."""


#: Classification schemes by normalised name: (builder taking (y, k) -> upper bounds, fixed k or None).
SCHEMES: dict[str, tuple[Callable[[np.ndarray, int], np.ndarray], int | None]] = {
    "quantiles": (lambda y, k: mapclassify.Quantiles(y, k=k).bins, None),
    "deciles": (lambda y, _k: mapclassify.Quantiles(y, k=10).bins, 10),
    "fisher_jenks": (lambda y, k: mapclassify.FisherJenks(y, k=k).bins, None),
    "equal_interval": (lambda y, k: mapclassify.EqualInterval(y, k=k).bins, None),
    # one class per distinct value (deciles, quintiles, counts of domains): at most 12
    "categories": (lambda y, _k: np.unique(y), None),
}
#: Most distinct values the ``categories`` scheme gives a class each.
MAX_CATEGORIES = 12


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


def _check_classify(values: Any, norm: str, k: int | None) -> int:
    """The number of classes to form; every problem with ``values`` and ``k`` in one error."""
    fixed_k = SCHEMES[norm][1]
    problems = []
    if fixed_k is not None and k is not None and k != fixed_k:
        problems.append(
            f"`k` is {k} but scheme {norm!r} always has {fixed_k} classes; leave `k` unset"
        )
    k = fixed_k or (5 if k is None else k)
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 2 <= k <= 12:
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
    return int(k)


def _present_values(values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """The finite values to classify and the mask of missing ones (warned about, not refused)."""
    y = values.astype("float64")
    infinite = y.notna() & ~np.isfinite(y.to_numpy(dtype="float64", na_value=np.nan))
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
            stacklevel=3,
        )
    return y[~missing].to_numpy(), missing


def _upper_bounds(present: np.ndarray, norm: str, k: int) -> np.ndarray:
    """Inclusive upper bound of each class (fewer than ``k`` when values are too few)."""
    n_unique = np.unique(present).size
    if norm == "categories":
        if n_unique > MAX_CATEGORIES:
            msg = (f"scheme 'categories' gives each distinct value a class, at most "
                   f"{MAX_CATEGORIES}; `values` has {n_unique}. Choose 'quantiles' instead.")
            raise InputError(msg)
        return np.unique(present).astype("float64")
    if n_unique == 1:
        bins = np.array([present[0]])
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            bins = np.unique(np.asarray(SCHEMES[norm][0](present, min(k, n_unique)),
                                        dtype="float64"))
    if bins.size < k:
        warnings.warn(
            f"`values` has {n_unique} distinct values, so scheme {norm!r} formed "
            f"{bins.size} classes instead of {k}.",
            UserWarning,
            stacklevel=3,
        )
    bins[-1] = max(bins[-1], present.max())
    return bins


def classify(values: pd.Series, *, scheme: str = "quantiles", k: int | None = None,
             reference: pd.Series | None = None) -> pd.Series:
    """Put each area into a class with a mapclassify scheme.

    Parameters
    ----------
    values
        Numeric values indexed by area code (unique index).
    scheme
        ``"quantiles"``, ``"deciles"`` (quantiles with 10 classes), ``"fisher_jenks"``,
        ``"equal_interval"`` or ``"categories"`` (one class per distinct value, at most 12: a
        decile, a count of domains); case, spaces and hyphens do not matter.
    k
        Number of classes; default 5 (10 for ``"deciles"``, which accepts no other k; the
        number of distinct values for ``"categories"``).
    reference
        Values that set the classes, when they are not ``values`` themselves: e.g. every
        neighbourhood of the nation, so that maps of several councils share one scheme
        (missing values are left out). ``values`` beyond its range go to the end classes.

    Returns
    -------
    pandas.Series
        Class index (``Int64``; 0 holds the lowest values), indexed exactly like ``values``.
        Missing values stay missing (``<NA>``). ``result.attrs`` holds ``bins`` (inclusive upper
        bound of each class, a list of floats), ``lower`` (the minimum value), ``scheme``, ``k``
        (the number of classes actually formed), ``n_missing`` and ``n_reference`` (how many
        values set the classes: ``reference``'s, else ``values``').

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
    k = _check_classify(values, norm, k)
    present, missing = _present_values(values)
    basis = present
    if reference is not None:
        _check_classify(reference, norm, k)
        basis = _present_values(reference.dropna())[0]
    bins = _upper_bounds(basis, norm, k)
    bins[-1] = max(bins[-1], present.max())
    out = pd.Series(pd.NA, index=values.index, dtype="Int64", name=values.name)
    out[~missing.to_numpy()] = np.minimum(np.searchsorted(bins, present, side="left"),
                                          bins.size - 1)
    out.attrs = {
        "bins": [float(b) for b in bins],
        "lower": float(min(basis.min(), present.min())),
        "scheme": norm,
        "k": int(bins.size),
        "n_missing": int(missing.sum()),
        "n_reference": int(basis.size),
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
