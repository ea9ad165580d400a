"""Statistical neighbours: the areas most alike on a few standardised, non-overlapping variables.

A council is compared with England, its region and its *statistical neighbours*: the councils
most like it on what shapes outcomes but is not itself the outcome. :func:`statistical_neighbours`
standardises each variable (z-scores across all areas, so units do not matter), takes the
Euclidean distance and says, for each neighbour, how much each variable adds to the distance and
which three variables make it alike.

The defaults (:data:`DEFAULT_NEIGHBOUR_VARIABLES`) count each thing once: deprivation by the IMD
score alone (its domains are parts of it; using both would count deprivation twice), settlement
type by the *logarithm* of density (density spans three orders of magnitude between the City of
London and rural districts, and on a raw scale a few cities would dominate every distance), size
by the logarithm of population, and age structure by the shares aged 65+ and 0-15.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from geo._errors import InputError, UnmatchedCodesWarning, format_codes

__all__ = ["ALIKE_COUNT", "DEFAULT_NEIGHBOUR_VARIABLES", "statistical_neighbours"]


#: Default variables for council statistical neighbours (columns of the store's
#: ``summary_lad24`` / ``summary_utla24``): the IoD 2025 IMD average score, log10 of people per
#: km² and of residents (Census 2021), and the shares of residents aged 65+ and 0-15.
DEFAULT_NEIGHBOUR_VARIABLES = (
    "imd_average_score",
    "log10_population_density",
    "log10_population",
    "share_age_65_plus",
    "share_age_0_15",
)

#: How many variables ``alike`` names for each neighbour.
ALIKE_COUNT = 3


def _unknown_code(code: str, index: pd.Index, names: pd.Series | None, what: str) -> InputError:
    pool = [str(c) for c in index]
    close = difflib.get_close_matches(str(code), pool, n=5, cutoff=0.5)
    if names is not None:
        by_name = names[names.astype(str).str.casefold() == str(code).casefold()]
        close = [str(c) for c in by_name.index] + close
    hint = f"; did you mean {', '.join(close[:5])}?" if close else f"; e.g. {format_codes(pool, limit=3)}"
    return InputError(f"`code` {code!r} is not in {what} ({len(pool)} areas){hint}")


def statistical_neighbours(frame: pd.DataFrame, code: str, *,
                           variables: Sequence[str] = DEFAULT_NEIGHBOUR_VARIABLES, k: int = 10,
                           weights: Mapping[str, float] | None = None,
                           missing: str = "raise") -> pd.DataFrame:
    """The ``k`` areas most like ``code`` on ``variables`` (standardised Euclidean distance).

    Each variable is z-scored across all areas of ``frame`` (mean 0, population standard deviation
    1), so a variable counts by how unusual a difference is, not by its unit. The squared distance
    is ``sum_v w_v * (z_v(area) - z_v(code))**2``.

    Parameters
    ----------
    frame
        One row per area, indexed by area code; numeric columns. A ``name`` column, if present,
        lets an area name be suggested when ``code`` is unknown.
    code
        The area to find neighbours for.
    variables
        Columns to compare on (default :data:`DEFAULT_NEIGHBOUR_VARIABLES`).
    k
        How many neighbours.
    weights
        Optional weight per variable (default 1); non-negative.
    missing
        ``"raise"``: refuse NaN in ``variables`` and list the areas; ``"drop"``: leave those areas
        out (with an :class:`~geo._errors.UnmatchedCodesWarning` listing them). ``code`` itself must
        have every value.

    Returns
    -------
    DataFrame
        Indexed by neighbour code (same index name as ``frame``), nearest first: ``rank``,
        ``distance``, ``alike`` (the three variables that differ least, ``";"``-joined, most
        alike first) and ``contrib_<variable>``, the share of the squared distance due to each
        variable (shares sum to 1; NaN for an identical area, distance 0).

    Raises
    ------
    InputError
        Unknown ``code`` (close matches suggested), missing or non-numeric variables, NaN values,
        a constant variable, bad ``k`` or ``weights``.

    Examples
    --------
    >>> f = pd.DataFrame({"x": [0, 1, 0, 3], "y": [0, 0, 2, 2]}, index=list("ABCD"))
    >>> statistical_neighbours(f, "A", variables=["x", "y"], k=2)["distance"].round(4).tolist()
    [0.8165, 2.0]
    """
    data, w = _neighbour_data(frame, code, variables=variables, weights=weights, missing=missing)
    if not isinstance(k, int | np.integer) or not 1 <= k <= len(data) - 1:
        raise InputError(f"`k` must be an integer from 1 to {len(data) - 1} (the other areas); "
                         f"got {k!r}")
    z = (data - data.mean()) / data.std(ddof=0)
    parts = (z - z.loc[code]) ** 2 * w
    parts = parts.drop(index=code)
    squared = parts.sum(axis=1)
    order = squared.sort_values(kind="mergesort").index[:k]
    out = pd.DataFrame({"rank": np.arange(1, k + 1), "distance": np.sqrt(squared[order])},
                       index=order)
    out["alike"] = [";".join(row.sort_values(kind="mergesort").index[:ALIKE_COUNT])
                    for _, row in parts.loc[order].iterrows()]
    shares = parts.loc[order].div(squared[order].where(squared[order] > 0), axis=0)
    out[[f"contrib_{v}" for v in data.columns]] = shares.to_numpy()
    out.index.name = frame.index.name
    return out


def _neighbour_data(frame: pd.DataFrame, code: str, *, variables: Sequence[str],
                    weights: Mapping[str, float] | None, missing: str
                    ) -> tuple[pd.DataFrame, pd.Series]:
    """The variables of the usable areas (as floats) and the weight of each variable."""
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"`frame` must be a DataFrame indexed by area code; got {type(frame).__name__}")
    if not frame.index.is_unique:
        dups = frame.index[frame.index.duplicated()].unique()
        raise InputError(f"`frame` index must be unique area codes; repeated: {format_codes(dups)}")
    variables = [variables] if isinstance(variables, str) else list(variables)
    absent = [v for v in variables if v not in frame.columns]
    if absent or not variables:
        raise InputError(f"`variables` {absent or variables} not in `frame`; available: "
                         f"{list(frame.columns)}")
    not_numeric = [v for v in variables if not pd.api.types.is_numeric_dtype(frame[v])]
    if not_numeric:
        raise InputError(f"`variables` {not_numeric} are not numeric; convert them first")
    if code not in frame.index:
        raise _unknown_code(code, frame.index, frame.get("name"), "`frame`")
    if missing not in ("raise", "drop"):
        raise InputError(f"`missing` must be 'raise' or 'drop'; got {missing!r}")
    data = _complete_rows(frame[variables].astype(float), code, missing)
    sd = data.std(ddof=0)
    constant = list(sd.index[sd == 0])
    if constant:
        raise InputError(f"`variables` {constant} are constant across areas and cannot separate "
                         "them; remove them")
    return data, _variable_weights(variables, weights)


def _complete_rows(data: pd.DataFrame, code: str, missing: str) -> pd.DataFrame:
    """Rows with every variable; ``code`` must be one; the others raise or go (with a warning)."""
    nan_rows = data.index[data.isna().any(axis=1)]
    if code in nan_rows:
        gaps = [v for v in data.columns if pd.isna(data.at[code, v])]
        raise InputError(f"`code` {code!r} has no value for {gaps}; choose other `variables`")
    if len(nan_rows) and missing == "raise":
        raise InputError(f"{len(nan_rows)} areas have NaN in `variables`: "
                         f"{format_codes(nan_rows)}. Fill them, drop them, or pass "
                         "missing='drop'.")
    if len(nan_rows):
        warnings.warn(f"{len(nan_rows)} areas with NaN in `variables` were left out: "
                      f"{format_codes(nan_rows)}", UnmatchedCodesWarning, stacklevel=4)
    return data.drop(index=nan_rows)


def _variable_weights(variables: list[str], weights: Mapping[str, float] | None) -> pd.Series:
    """Weight of each variable (1 unless given); finite, non-negative, not all 0."""
    w = pd.Series(1.0, index=variables)
    if weights is None:
        return w
    extra = set(weights) - set(variables)
    if extra:
        raise InputError(f"`weights` names {sorted(extra)} which are not in `variables`")
    w.update(pd.Series(weights, dtype=float))
    if (w < 0).any() or not np.isfinite(w).all() or w.sum() == 0:
        raise InputError(f"`weights` must be finite, non-negative and not all 0; got {dict(w)}")
    return w
