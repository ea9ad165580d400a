"""The councils of the UK: both tiers in one table, finding one by code or name, its LSOAs.

Councils are lower-tier districts and unitary authorities (``lad24``: all 361 of the UK) and
upper-tier councils (``utla24``); a unitary authority, in both tiers under one code, appears
once, as lower tier. :func:`councils_table` is pure (tests pass small frames);
:func:`load_councils` reads the store's boundaries. The view of one council is
:mod:`geo.council_view`, its pack :func:`geo.council.council_pack`.
"""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import pandas as pd

import boundaries
from geo._errors import InputError

__all__ = ["TIERS", "COUNCIL_LEVELS", "councils_table", "load_councils", "council_level",
           "search_councils", "unknown_councils", "council_lsoas", "load_council_lsoas"]

#: The council levels and what each is called.
TIERS = {"lad24": "lower tier / unitary", "utla24": "upper tier / county"}
COUNCIL_LEVELS = tuple(TIERS)


def councils_table(lad: pd.DataFrame, utla: pd.DataFrame) -> pd.DataFrame:
    """Every council of both tiers, a unitary authority once (as lower tier).

    Parameters
    ----------
    lad, utla
        The ``lad24`` and ``utla24`` boundaries (any copy) indexed by code, with ``name``,
        ``country`` and ``region_code``; ``lad`` also with ``utla24_code``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``code``: ``name``, ``tier``, ``level``, ``country``, ``region_code`` and
        ``utla24_code`` (the council's own code for upper-tier councils).
    """
    need = {"lad": (lad, ["name", "country", "region_code", "utla24_code"]),
            "utla": (utla, ["name", "country", "region_code"])}
    absent = {arg: [c for c in cols if c not in frame.columns]
              for arg, (frame, cols) in need.items()}
    if any(absent.values()):
        msg = (f"councils_table() needs the boundaries' columns; missing: "
               f"{ {k: v for k, v in absent.items() if v} }. Pass boundaries.load('lad24') and "
               "boundaries.load('utla24').")
        raise InputError(msg)
    frames = [
        pd.DataFrame({"name": g["name"], "tier": TIERS[level], "level": level,
                      "country": g["country"], "region_code": g["region_code"],
                      "utla24_code": upper}, index=g.index)
        for level, g, upper in (("lad24", lad, lad["utla24_code"]),
                                ("utla24", utla, utla.index.to_series()))
    ]
    both = pd.concat(frames)
    both = both[~both.index.duplicated(keep="first")]
    both.index.name = "code"
    return both


def load_councils() -> pd.DataFrame:
    """:func:`councils_table` of the store's boundaries."""
    return councils_table(boundaries.load("lad24", display="national"),
                          boundaries.load("utla24", display="national"))


def council_level(councils: pd.DataFrame, code: str) -> str:
    """The level (``"lad24"`` / ``"utla24"``) of a council of ``councils``.

    Raises
    ------
    InputError
        An unknown code, with the closest council codes and names.
    """
    if code in councils.index:
        return str(councils.at[code, "level"])
    from rapidfuzz import process

    by_code = [c for c, _, _ in process.extract(str(code), list(councils.index), limit=3)]
    by_name = [k for _, _, k in process.extract(str(code), councils["name"].to_dict(), limit=2)]
    close = [f"{c} ({councils.at[c, 'name']})" for c in dict.fromkeys(by_code + by_name)]
    msg = (f"`code` {code!r} is not a council of {'/'.join(COUNCIL_LEVELS)} "
           f"({len(councils)} councils); did you mean {', '.join(close)}?")
    raise InputError(msg)


def search_councils(councils: pd.DataFrame, text: str, *, limit: int = 6,
                    cutoff: float = 60) -> list[str]:
    """The codes of the councils whose names best match ``text`` (typos allowed), best first.

    Examples
    --------
    >>> t = pd.DataFrame({"name": ["Manchester", "Trafford"]}, index=["E08000003", "E08000009"])
    >>> search_councils(t, "Manchestr")
    ['E08000003']
    """
    from rapidfuzz import fuzz, process, utils

    hits = process.extract(text, councils["name"].to_dict(), scorer=fuzz.WRatio,
                           processor=utils.default_process, limit=limit, score_cutoff=cutoff)
    return [key for _name, _score, key in hits]


def unknown_councils(councils: pd.DataFrame, codes: Iterable[str]) -> list[str]:
    """The codes that are not councils of ``councils`` (empty strings ignored)."""
    return [c for c in codes if c and c not in councils.index]


def council_lsoas(lsoas: pd.DataFrame, councils: pd.DataFrame, code: str) -> pd.DataFrame:
    """The LSOAs of a council of either tier (by the ``<level>_code`` column of ``lsoas``).

    Empty when the store has no LSOAs in the council's nation.
    """
    level = council_level(councils, code)
    column = f"{level}_code"
    if column not in lsoas.columns:
        msg = f"`lsoas` has no {column!r} column; pass boundaries.load('lsoa21')."
        raise InputError(msg)
    return lsoas[lsoas[column] == code]


def load_council_lsoas(code: str, *, councils: pd.DataFrame | None = None,
                       display: str | None = "council") -> gpd.GeoDataFrame:
    """:func:`council_lsoas` of the stored LSOAs (``display=None`` for the analysis copy)."""
    return council_lsoas(boundaries.load("lsoa21", display=display),
                         load_councils() if councils is None else councils, code)
