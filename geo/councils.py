"""The councils of the UK: both tiers in one table, finding one by code or name, its LSOAs.

Councils are lower-tier districts and unitary authorities (``lad24``: all 361 of the UK) and
upper-tier councils (``utla24``); a unitary authority, in both tiers under one code, appears
once, as lower tier. :func:`councils_table` is pure (tests pass small frames);
:func:`load_councils` reads the store's boundaries. The view of one council is
:mod:`geo.council_view`, its pack :func:`geo.council.council_pack`.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable

import geopandas as gpd
import pandas as pd

import boundaries
from geo._council_names import EXTRA_NAMES
from geo._errors import InputError, OppmapError

__all__ = ["TIERS", "COUNCIL_LEVELS", "councils_table", "load_councils", "council_level",
           "search_councils", "pick_council", "normalise_name", "register_names",
           "unknown_councils", "council_lsoas", "load_council_lsoas"]

#: The council levels and what each is called.
TIERS = {"lad24": "lower tier / unitary", "utla24": "upper tier / county"}
COUNCIL_LEVELS = tuple(TIERS)
#: Words left out of a council's short name ("County Durham" -> "durham").
_FILLER = frozenset({"city", "of", "county", "council", "borough", "district", "the"})
#: Short names that would name the wrong place ("City of London" is not London).
_NOT_SHORT = frozenset({"london"})


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
    """:func:`councils_table` of the store's boundaries, with ``other_names`` (tuples, from
    :func:`register_names`; empty when the store lacks the register, said in the log)."""
    from geo.data.indicators import load_lookup

    councils = councils_table(boundaries.load("lad24", display="national"),
                              boundaries.load("utla24", display="national"))
    try:
        names = register_names(load_lookup("mysociety_la"), councils.index)
    except OppmapError as exc:
        logging.getLogger(__name__).warning("council search without other names: %s", exc)
        names = {}
    return councils.assign(other_names=[names.get(c, ()) for c in councils.index])


def register_names(register: pd.DataFrame, codes: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Other names of the councils ``codes`` from mySociety's register (``alt_names``).

    The register lists a council's names comma-separated, and a name may hold a comma itself
    ("Kingston upon Hull, City of"): each piece is a name unless it is shorter than four
    letters, holds a broken character, or names more than one of the councils (the piece
    "City of"); the council's own name is left out.

    Parameters
    ----------
    register
        ``gss_code``, ``name`` and ``alt_names`` (the store's lookup ``mysociety_la``).
    codes
        The councils (names of other areas, such as abolished councils, are ignored).

    Examples
    --------
    >>> r = pd.DataFrame({"gss_code": ["W06000015", "S12000036", "E06000010"],
    ...                   "name": ["Cardiff Council", "City of Edinburgh Council", "Hull"],
    ...                   "alt_names": ["Cardiff,Caerdydd", "edinburgh, city of",
    ...                                 "Kingston upon Hull, City of,hull city"]})
    >>> register_names(r, ["W06000015", "S12000036", "E06000010"])["S12000036"]
    ('edinburgh',)
    """
    need = [c for c in ("gss_code", "alt_names") if c not in register.columns]
    if need:
        msg = f"`register` lacks columns {need}; pass geo.load_lookup('mysociety_la')."
        raise InputError(msg)
    wanted = set(map(str, codes))
    pieces: dict[str, set[str]] = {}
    spelt: dict[tuple[str, str], str] = {}
    for code, alt in zip(register["gss_code"].astype(str), register["alt_names"], strict=True):
        if code not in wanted or not isinstance(alt, str):
            continue
        for piece in alt.split(","):
            key = normalise_name(piece)
            broken = "\ufffd" in piece or "\u00ef\u00bf\u00bd" in piece  # "Mï¿½n"
            if broken or len(key.replace(" ", "")) < 4:
                continue
            pieces.setdefault(key, set()).add(code)
            spelt.setdefault((code, key), piece.strip())
    out: dict[str, list[str]] = {}
    for key, owners in pieces.items():
        if len(owners) == 1:
            (code,) = owners
            out.setdefault(code, []).append(spelt[(code, key)])
    return {code: tuple(names) for code, names in out.items()}


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


def normalise_name(text: str) -> str:
    """A council name as compared: accents, case, punctuation and spacing ignored.

    Examples
    --------
    >>> normalise_name("  Ynys Môn ")
    'ynys mon'
    >>> normalise_name("Na h-Eileanan Siar")
    'na h eileanan siar'
    """
    plain = unicodedata.normalize("NFKD", str(text))
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).casefold()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", plain).split())


def _short_name(name: str) -> str:
    """A normalised name without words like 'City of', 'County', 'Council' ('' if unchanged)."""
    words = [w for w in name.split() if w not in _FILLER]
    short = " ".join(words)
    return short if short != name and short not in _NOT_SHORT else ""


def _council_keys(councils: pd.DataFrame) -> dict[str, list[str]]:
    """For each council code, its normalised name, short name and other names (the table's
    ``other_names``, and :data:`geo._council_names.EXTRA_NAMES`)."""
    keys: dict[str, list[str]] = {}
    other = councils["other_names"] if "other_names" in councils.columns else None
    for code, name in councils["name"].items():
        norm = normalise_name(name)
        listed = other.get(code) if other is not None else ()
        listed = tuple(listed) if isinstance(listed, (tuple, list)) else ()
        names = [norm, _short_name(norm),
                 *(normalise_name(a) for a in (*listed, *EXTRA_NAMES.get(str(code), ())))]
        keys[str(code)] = list(dict.fromkeys(n for n in names if n))
    return keys


def _scored(councils: pd.DataFrame, text: str) -> list[tuple[str, float, bool]]:
    """``(code, score, exact)`` of every council, best first: exact (name or other name) first."""
    from rapidfuzz import fuzz

    query = normalise_name(text)
    if not query:
        return []
    scored = []
    for code, names in _council_keys(councils).items():
        exact = query in names
        # QRatio for typos of the whole name; token_set_ratio for a word of it ("Durham")
        score = max(max(fuzz.QRatio(query, n), fuzz.token_set_ratio(query, n)) for n in names)
        scored.append((code, 100.0 if exact else float(score), exact))
    return sorted(scored, key=lambda t: (not t[2], -t[1]))


def search_councils(councils: pd.DataFrame, text: str, *, limit: int = 6,
                    cutoff: float = 70) -> list[str]:
    """The codes of the councils whose names best match ``text`` (typos allowed), best first.

    Other names count as names (the table's ``other_names``, from mySociety's register: Welsh
    names, "Western Isles", "Anglesey"...; and :data:`geo._council_names.EXTRA_NAMES`:
    "Londonderry"...); accents and case are ignored. A council
    whose name or other name is ``text`` comes first, and then only the councils it names.

    Examples
    --------
    >>> t = pd.DataFrame({"name": ["Manchester", "Trafford"]}, index=["E08000003", "E08000009"])
    >>> search_councils(t, "Manchestr")
    ['E08000003']
    """
    scored = _scored(councils, text)
    exact = [code for code, _, is_exact in scored if is_exact]
    if exact:
        return exact[:limit]
    return [code for code, score, _ in scored if score >= cutoff][:limit]


def pick_council(councils: pd.DataFrame, text: str, *, strong: float = 90,
                 margin: float = 10) -> str | None:
    """The council ``text`` names without doubt, or None (then offer :func:`search_councils`).

    A council is picked when ``text`` is its name or one of its other names (accents and case
    ignored), or when it is the only strong match: scored at least ``strong`` (of 100) and
    ``margin`` above the next council. "Manchestr" picks Manchester; "Newcastle" picks
    nothing (two councils); "Western Isles" picks Na h-Eileanan Siar.

    Examples
    --------
    >>> t = pd.DataFrame({"name": ["Manchester", "Trafford"]}, index=["E08000003", "E08000009"])
    >>> pick_council(t, "Manchestr"), pick_council(t, "Chester")
    ('E08000003', None)
    """
    if normalise_name(text) in _NOT_SHORT:
        return None
    scored = _scored(councils, text)
    exact = [code for code, _, is_exact in scored if is_exact]
    if exact:
        return exact[0] if len(exact) == 1 else None
    if not scored or scored[0][1] < strong:
        return None
    second = scored[1][1] if len(scored) > 1 else 0.0
    return scored[0][0] if scored[0][1] - second >= margin else None


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
