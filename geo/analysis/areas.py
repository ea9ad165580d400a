"""The small areas of a place named by its code: a council (LAD or UTLA), a region or a combined
authority, in any nation with small areas.

``--within CODE`` accepts any of them; :func:`place_name` checks the code (suggesting the closest
codes and names when it is not one), :func:`area_members` finds which kind of code it is from the
parent columns of a small-area level (LSOAs 2021 of England and Wales, data zones 2011 of
Scotland, whose councils are assigned by best fit) and returns the areas inside, with the place's
name; :func:`area_lsoas` is the same for LSOAs.
"""

from __future__ import annotations

import difflib

import pandas as pd

import boundaries
from geo._errors import InputError

__all__ = ["AREA_COLUMNS", "area_lsoas", "area_members", "place_name"]

#: Parent columns of the small-area boundaries, and what each code is.
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


def place_name(code: str) -> tuple[str, str]:
    """The place's code as stored (upper case) and its name.

    Raises
    ------
    InputError
        ``code`` is not a council (LAD or UTLA 2024), region or combined authority of the UK;
        the message suggests the closest codes and names.
    """
    key = str(code).strip().upper()
    names = _names()
    if key in names.index:
        return key, str(names[key])
    by_name = names[names.astype(str).str.casefold() == str(code).strip().casefold()]
    close = [f"{c} ({names[c]})" for c in by_name.index[:3]]
    close += [f"{c} ({names[c]})" for c in difflib.get_close_matches(key, list(names.index), n=3)]
    lower = {str(n).casefold(): c for c, n in names.items()}
    close += [f"{lower[n]} ({names[lower[n]]})" for n in difflib.get_close_matches(
        str(code).strip().casefold(), list(lower), n=3)]
    hint = f"; did you mean {', '.join(dict.fromkeys(close))}?" if close else ""
    msg = (f"`--within` {code!r} is not the code of a council (LAD or UTLA 2024), region or "
           f"combined authority{hint}")
    raise InputError(msg)


def area_members(code: str, *, level: str = "lsoa21") -> tuple[pd.Index, str, str]:
    """The small areas of ``level`` in the place ``code``, what kind of place it is and its name.

    Parameters
    ----------
    code
        A council (LAD or UTLA 2024), region or combined authority code.
    level
        ``"lsoa21"`` (England and Wales) or ``"dz11"`` (Scotland).

    Raises
    ------
    InputError
        ``code`` is not a place (with the closest codes and names), or has no area of ``level``.

    Examples
    --------
    >>> codes, kind, name = area_members("S12000049", level="dz11")  # doctest: +SKIP
    >>> kind, name  # doctest: +SKIP
    ('council (LAD 2024)', 'Glasgow City')
    """
    key, name = place_name(code)
    areas = boundaries.load(level)
    for column, kind in AREA_COLUMNS.items():
        if column in areas.columns:
            members = areas.index[(areas[column] == key).to_numpy()]
            if len(members):
                return members, kind, name
    label = boundaries.LEVELS.get(level, {}).get("label", level)
    msg = f"`--within` {code!r} ({name}) has no area among the {label}."
    raise InputError(msg)


def area_lsoas(code: str) -> tuple[pd.Index, str, str]:
    """The LSOAs 2021 of the place ``code``, what kind of place it is and its name.

    Examples
    --------
    >>> lsoas, kind, name = area_lsoas("E08000032")  # doctest: +SKIP
    >>> kind, name  # doctest: +SKIP
    ('council (LAD 2024)', 'Bradford')
    """
    return area_members(code, level="lsoa21")
