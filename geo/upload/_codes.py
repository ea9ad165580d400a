"""Area codes in a user's table: which column holds them and which level they are of.

* :func:`_find_code_column`: the column of ONS codes (the one matching most known codes), or a
  refusal naming what the columns hold (old DfE numbers, no codes at all).
* :func:`_detect_level`: the level that most codes belong to (ties: the finest, or the vintage
  the code column's name declares), refusing a mix of levels or too few matches, with codes of
  other vintages explained (:func:`_describe_unknown`).
* :func:`_declared_level`: the level a code column's name declares (``LSOA11CD``: LSOA 2011).

Small areas of three kinds can be uploaded: LSOA 2021 (England and Wales), LSOA 2011 (their
2011 vintage, carried to 2021 before analysis) and Scottish data zones 2011. Most LSOA codes are
codes of both vintages (33,647 were unchanged in 2021), so a file whose codes are all valid in
both is LSOA 2021 unless its code column says 2011; a file with 2011 codes that 2021 retired is
LSOA 2011. A file mixing data zones with LSOAs, or retired 2011 codes with new 2021 codes, is
refused with the counts and the fix.

Used by :func:`geo.upload.reader.read_upload`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from itertools import islice

import pandas as pd

from geo._errors import InputError, format_codes
from geo.upload._input import _q, safe_label

#: Levels from finest to coarsest: a tie between levels goes to the first.
LEVEL_ORDER = ("lsoa21", "lsoa11", "dz11", "lad24", "utla24", "region")

LEVEL_LABELS = {
    "lsoa21": "LSOA 2021", "lsoa11": "LSOA 2011", "dz11": "Scottish data zone 2011",
    "lad24": "May 2024 council (LAD)", "utla24": "2024 upper-tier council",
    "region": "English region",
}

#: Small-area levels: a mix of two of them gets a sentence on why each file holds one.
_SMALL_AREAS = ("lsoa21", "lsoa11", "dz11")

#: A code column named for LSOA 2011 (``LSOA11CD``, ``lsoa11_code``, ``LSOA code (2011)``).
_DECLARES_2011 = re.compile(r"lsoa(?:20)?11|lsoa.*2011|2011.*lsoa")

ONS_LOOKUPS_URL = "https://geoportal.statistics.gov.uk (search 'lookup')"

_ONS_CODE = re.compile(r"^[EWSNK]\d{8}$")

_NUMERIC_CODE = re.compile(r"^\d{1,9}(\.0)?$")

def _normalise_codes(values: pd.Series) -> pd.Series:
    return values.str.strip().str.upper()

def _find_code_column(frame: pd.DataFrame, known: Mapping[str, pd.Index]) -> str:
    all_known = pd.Index([]).append(list(known.values()))
    best, best_key = None, None
    for pos, name in enumerate(frame.columns):
        codes = _normalise_codes(frame[name])
        present = codes[codes != ""]
        if present.empty:
            continue
        pattern = present.str.match(_ONS_CODE.pattern).astype(bool)
        if pattern.sum() == 0 or pattern.mean() < 0.5:
            continue
        # object dtype: isin against many codes is slow on Arrow-backed strings
        key = (present.astype(object).isin(all_known).sum(), pattern.mean(), -pos)
        if best_key is None or key > best_key:
            best, best_key = name, key
    if best is not None:
        return best
    for name in frame.columns:
        present = frame[name].str.strip()
        present = present[present != ""]
        if len(present) and present.str.match(_NUMERIC_CODE.pattern).mean() >= 0.5:
            hint = re.search(r"code|cd|id|la|lsoa|lad|area|ons|gss", name, re.IGNORECASE)
            if hint:
                raise InputError(
                    f"Column {_q(name)} holds numbers such as {_q(present.iloc[0])}, not ONS area "
                    "codes such as E01000001 (LSOA) or E06000001 (council). Old DfE local-authority "
                    "numbers are not supported: add the 9-character ONS code (for example from the "
                    "ONS names and codes lists) and upload again.")
    shown = "; ".join(f"{_q(c)} (e.g. {_q(frame[c].iloc[0])})" for c in frame.columns[:8])
    raise InputError(
        "No column holds ONS area codes such as E01000001 (LSOA 2021), E06000001 or E07000008 "
        f"(council). Columns found: {shown}. Add a column with the official 9-character codes.")

def _check_known(known_codes) -> dict[str, pd.Index]:
    if not isinstance(known_codes, Mapping) or not known_codes:
        raise InputError("`known_codes` must map level names ('lsoa21', 'lad24', 'utla24') to the "
                         f"valid codes of each level; got {type(known_codes).__name__}")
    return {str(k): pd.Index(v).astype(str).astype(object) for k, v in known_codes.items()}

def _level_order(level: str, declared: str | None = None) -> int:
    if level == declared:
        return -1
    return LEVEL_ORDER.index(level) if level in LEVEL_ORDER else len(LEVEL_ORDER)

def _declared_level(code_column: str) -> str | None:
    """The level the code column's name declares: ``"lsoa11"`` for LSOA 2011 names, else None."""
    plain = re.sub(r"[^a-z0-9]", "", code_column.lower())
    return "lsoa11" if _DECLARES_2011.search(plain) else None

def _describe_unknown(codes: list[str], vintages: pd.DataFrame | None, *,
                      lsoa11_known: bool = False) -> tuple[dict[str, str], list[str]]:
    """Explain codes of another vintage; returns code -> description and summary messages."""
    found: dict[str, str] = {}
    kinds: list[str] = []
    if vintages is not None and len(vintages):
        index = set(vintages.index)
        for code in codes:
            if code in index:
                name, vintage, current = vintages.loc[code, ["name", "vintage", "current"]]
                now = f"; current code {current}" if isinstance(current, str) and current else ""
                found[code] = f"{safe_label(name)}: {safe_label(vintage)}{now}"
                kinds.append(safe_label(vintage))
    else:
        for code in codes:
            if code[:3] in ("E01", "W01") and not lsoa11_known:
                found[code] = "not a 2021 LSOA code: possibly an LSOA 2011 code"
                kinds.append("possibly LSOA 2011")
    if not found:
        return found, []
    summary = ", ".join(f"{n} {kind}" for kind, n in pd.Series(kinds).value_counts().items())
    examples = "; ".join(f"{c} ({d})" for c, d in islice(found.items(), 3))
    return found, [f"{len(found)} codes are from another boundary vintage ({summary}), e.g. "
                   f"{examples}. Convert them with the ONS lookups ({ONS_LOOKUPS_URL}: 'LSOA (2011) "
                   "to LSOA (2021)', 'LAD to LAD') and upload again."]

def _mix_hint(level: str, extra: dict[str, int]) -> str:
    """Why a mix of small-area levels cannot be one upload, and how to split it."""
    present = {level, *(lvl for lvl, n in extra.items() if n)}
    if "dz11" in present and present & {"lsoa21", "lsoa11"}:
        return (" Scottish data zones (S01...) and LSOAs of England and Wales (E01/W01...) are "
                "ranked by different national indices and analysed on different maps: upload "
                "them as two files, one of data zones and one of LSOAs.")
    if {"lsoa21", "lsoa11"} <= present:
        return (" The file mixes LSOA 2021 codes with LSOA 2011 codes that changed in 2021: "
                "keep one vintage per file, either all 2011 codes (oppmap carries them to 2021 "
                "through the ONS lookup) or all 2021 codes.")
    return ""

def _detect_level(unique: pd.Index, known: dict[str, pd.Index], *, vintages, code_column: str,
                  min_match: float, problems: list[str]):
    """The level matching most codes (ties: the declared one, else the finest); appends any
    refusal to ``problems``."""
    declared = _declared_level(code_column) if "lsoa11" in known else None
    counts = {lvl: int(unique.isin(k).sum()) for lvl, k in known.items()}
    level = min(known, key=lambda lvl: (-counts[lvl], _level_order(lvl, declared), lvl))
    in_any = unique.isin(pd.Index([]).append(list(known.values())))
    unknown = list(unique[~in_any])
    other_vintage, vintage_msgs = _describe_unknown(unknown, vintages,
                                                    lsoa11_known="lsoa11" in known)
    rest = unique[~unique.isin(known[level])]
    extra: dict[str, int] = {}
    for lvl in sorted(known, key=lambda lv: (_level_order(lv), lv)):  # each code to its finest level
        if lvl != level:
            extra[lvl] = int(rest.isin(known[lvl]).sum())
            rest = rest[~rest.isin(known[lvl])]
    if counts[level] == 0:
        why = " ".join(vintage_msgs) or f"Examples: {format_codes(unknown, limit=5)}."
        problems.append(f"None of the {len(unique)} area codes in column {_q(code_column)} is a "
                        f"known code of {', '.join(known)}. {why}")
    elif any(extra.values()):
        mix = ", ".join(f"{lvl}: {n}" for lvl, n in [(level, counts[level]), *extra.items()] if n)
        problems.append(f"The codes mix geography levels ({mix} codes). Upload one level per "
                        "file (for example only LSOA codes, or only council codes)."
                        + _mix_hint(level, extra))
    elif counts[level] < min_match * len(unique):
        problems.append(f"Only {counts[level]} of {len(unique)} area codes are {level} codes "
                        f"({LEVEL_LABELS.get(level, level)}); at least {min_match:.0%} must match. "
                        f"Unmatched: {format_codes(unknown, limit=5)}. {' '.join(vintage_msgs)}")
    return level, counts, unknown, other_vintage, vintage_msgs
