"""The LSOAs of a place named by its code: a council (LAD or UTLA), a region or a combined authority.

``--within CODE`` accepts any of them; :func:`area_lsoas` finds which kind of code it is from the
LSOA boundaries' parent columns and returns the LSOAs inside, with the place's name.
"""

from __future__ import annotations

import difflib

import pandas as pd

import boundaries
from geo._errors import InputError

__all__ = ["AREA_COLUMNS", "area_lsoas"]

#: Parent columns of the LSOA boundaries, and what each code is.
AREA_COLUMNS = {"lad24_code": "council (LAD 2024)", "utla24_code": "upper-tier council 2024",
                "region_code": "region", "cauth_code": "combined authority"}


def _names() -> pd.Series:
    """Code -> name of every council, upper-tier council, region and combined authority."""
    parts = [boundaries.load(level)["name"] for level in ("lad24", "utla24", "region")]
    lad = boundaries.load("lad24")
    if {"cauth_code", "cauth_name"} <= set(lad.columns):
        parts.append(lad.dropna(subset=["cauth_code"]).drop_duplicates("cauth_code")
                     .set_index("cauth_code")["cauth_name"])
    names = pd.concat(parts)
    return names[~names.index.duplicated()]


def area_lsoas(code: str) -> tuple[pd.Index, str, str]:
    """The LSOAs of the place ``code``, what kind of place it is and its name.

    Raises
    ------
    InputError
        ``code`` is not a council, region or combined authority with LSOAs; the message suggests
        the closest codes and names.

    Examples
    --------
    >>> lsoas, kind, name = area_lsoas("E08000032")  # doctest: +SKIP
    >>> kind, name  # doctest: +SKIP
    ('council (LAD 2024)', 'Bradford')
    """
    key = str(code).strip().upper()
    lsoa = boundaries.load("lsoa21")
    names = _names()
    for column, kind in AREA_COLUMNS.items():
        if column in lsoa.columns:
            members = lsoa.index[(lsoa[column] == key).to_numpy()]
            if len(members):
                return members, kind, str(names.get(key, key))
    by_name = names[names.astype(str).str.casefold() == str(code).strip().casefold()]
    close = [f"{c} ({names[c]})" for c in by_name.index[:3]]
    close += [f"{c} ({names[c]})" for c in difflib.get_close_matches(key, list(names.index), n=3)]
    lower = {str(n).casefold(): c for c, n in names.items()}
    close += [f"{lower[n]} ({names[lower[n]]})" for n in difflib.get_close_matches(
        str(code).strip().casefold(), list(lower), n=3)]
    hint = f"; did you mean {', '.join(dict.fromkeys(close))}?" if close else ""
    msg = (f"`--within` {code!r} is not the code of a council (LAD or UTLA 2024), region or "
           f"combined authority with LSOAs{hint}")
    raise InputError(msg)
