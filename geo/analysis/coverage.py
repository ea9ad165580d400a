"""Which nations an indicator covers, which graph and national index serve it, and why not.

Each nation has its own index of deprivation on its own small areas (the registry's
``[national_indices]``, read through :mod:`geo.data.nations`): England the IoD 2025 on LSOAs
2021, Wales WIMD 2019 carried to LSOAs 2021, Scotland SIMD 2020 on data zones 2011, Northern
Ireland NIMDM 2017 at council level only. Their ranks are not comparable across nations, so a
hotspot run never mixes nations unless the indicator itself covers several (Census 2021 TS011,
the composite UK IMD of England and Wales): :func:`graph_for` takes the nation's own stored graph
(``lsoa21_en``, ``lsoa21_wa``, ``dz11``) when the values cover one nation, else the level's joint
graph (``lsoa21`` for England and Wales together).

:func:`check_place` refuses, in one sentence that names the nation and the index that does
cover it, a place outside the indicator's nations; :func:`no_small_areas` says why a nation
without small-area boundaries (Northern Ireland) has no hot spots. :func:`coverage_info` is what
every output says about its index, vintage, small areas and comparability.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import boundaries
from geo._errors import InputError
from geo.data.indicators import catalogue
from geo.data.nations import index_of_nation, index_spec, national_indices
from geo.data.sources import NATIONS, dataset

__all__ = ["check_place", "comparability_note", "coverage_info", "graph_for", "index_of_indicator",
           "nation_words", "nations_of", "no_small_areas", "place_nation", "stored_indicators"]


def nations_of(codes: Iterable[str]) -> list[str]:
    """The nation letters (E, W, S, N) of some GSS codes, in the order England, Wales, ...

    Examples
    --------
    >>> nations_of(["W01000001", "E01000001"])
    ['E', 'W']
    """
    import pandas as pd

    found = set(boundaries.country_of(pd.Index(list(codes), dtype=object)))
    return [letter for letter in NATIONS if letter in found]


def nation_words(letters: Iterable[str]) -> str:
    """Nations in words, e.g. ``"England and Wales"``.

    Examples
    --------
    >>> nation_words(["E", "W", "S"])
    'England, Wales and Scotland'
    """
    names = [NATIONS[letter] for letter in NATIONS if letter in set(letters)]
    if len(names) <= 1:
        return names[0] if names else "no nation"
    return f"{', '.join(names[:-1])} and {names[-1]}"


def place_nation(code: str) -> str:
    """The nation letter of a place's GSS code (``"W"`` for ``"W06000015"``)."""
    return str(boundaries.country_of([str(code).strip().upper()]).iloc[0])


def index_of_indicator(indicator: str | dict[str, Any]) -> str | None:
    """The national index an indicator belongs to (its dataset, compounded disadvantage or
    summaries), or None (Census 2021, the composite UK IMD, ...).

    Examples
    --------
    >>> index_of_indicator("compound_wimd2019.n_domains_worst_decile")  # doctest: +SKIP
    'wimd2019'
    """
    if isinstance(indicator, dict):
        table = str(indicator.get("dataset") or str(indicator.get("id", "")).split(".")[0])
    else:
        table = str(indicator).split(".")[0]
    for ident, spec in national_indices().items():
        tables = {spec.get("dataset"), spec.get("compound"), *spec.get("summaries", {}).values()}
        if table in tables:
            return ident
    return None


def stored_indicators(index: str) -> list[str]:
    """Catalogue ids of the national runs the store keeps for an index (its hotspot columns).

    Examples
    --------
    >>> stored_indicators("simd2020")  # doctest: +SKIP
    ['compound_simd2020.n_domains_worst_decile', 'simd2020.simd_rank']
    """
    spec = index_spec(index)
    ids = set(catalogue().index)
    out = []
    for col in spec.get("hotspot_columns", []):
        ident = f"{spec['compound']}.{col}"
        out.append(ident if ident in ids else f"{spec['dataset']}.{col}")
    return out


def graph_for(level: str, letters: Iterable[str]) -> str | None:
    """The stored graph for values of ``level`` covering the nations ``letters``.

    The nation's own graph when the values cover one nation and it has one (``lsoa21_en``,
    ``lsoa21_wa``), else the level's graph (``lsoa21`` for England and Wales together, ``dz11``,
    ``lad24``), None when the store keeps no graph of the level.

    Examples
    --------
    >>> graph_for("lsoa21", ["W"]), graph_for("lsoa21", ["E", "W"]), graph_for("utla24", ["E"])
    ('lsoa21_wa', 'lsoa21', None)
    """
    letters = tuple(letters)
    whole = None
    for name, (graph_level, country) in boundaries.GRAPH_LEVELS.items():
        if graph_level != level:
            continue
        if country is not None and (country,) == letters:
            return name
        if country is None:
            whole = name
    return whole


def _title(meta: dict[str, Any]) -> str:
    """What the indicator is, for a sentence: its index's title, else its dataset's."""
    ident = index_of_indicator(meta)
    if ident:
        return str(index_spec(ident)["title"])
    try:
        return str(dataset(str(meta.get("dataset"))).get("title", meta.get("dataset")))
    except InputError:
        return str(meta.get("dataset") or meta.get("id"))


def no_small_areas(letter: str) -> str | None:
    """Why a nation has no hot spots (its index has no small areas here), or None.

    Examples
    --------
    >>> no_small_areas("N")  # doctest: +SKIP
    "Northern Ireland has no small areas to test for hot spots (none in the mirror: ...)"
    """
    spec = index_spec(index_of_nation(letter))
    if "graph" in spec:
        return None
    return (f"{NATIONS[letter]} has no small areas to test for hot spots ({spec['small_areas']}); "
            f"its council-level figures are {spec['id']}.* ({spec['title']})")


def check_place(code: str, name: str, *, letters: Iterable[str], meta: dict[str, Any]) -> None:
    """Refuse a place outside the nations an indicator covers, naming the index that covers it.

    Raises
    ------
    InputError
        E.g. "Cardiff (W06000015) is in Wales; iod2025.imd_score (English Indices of
        Deprivation 2025) covers England only; for Wales use wimd2019.* (...), e.g.
        --indicator compound_wimd2019.n_domains_worst_decile."
    """
    letters = list(letters)
    letter = place_nation(code)
    if letter in letters:
        return
    where = f"{name} ({str(code).strip().upper()}) is in {NATIONS.get(letter, 'no nation')}"
    covers = f"{meta['id']} ({_title(meta)}) covers {nation_words(letters)} only"
    if letter not in NATIONS:
        raise InputError(f"{where}; {covers}.")
    reason = no_small_areas(letter)
    if reason:
        raise InputError(f"{where}; {covers}, and {reason}.")
    own = index_spec(index_of_nation(letter))
    example = stored_indicators(own["id"])
    raise InputError(f"{where}; {covers}; for {NATIONS[letter]} use {own['id']}.* "
                     f"({own['title']})" + (f", e.g. --indicator {example[0]}." if example else "."))


def comparability_note() -> str:
    """The sentence every output carries: national indices are not comparable across nations."""
    indices = national_indices()
    titles = ", ".join(f"{spec['title']} ({NATIONS[spec['nation']]})" for spec in indices.values())
    across = sorted(i for i in catalogue()["dataset"].unique() if str(i).startswith("ukimd"))
    return (f"National indices rank areas within their own nation only and are not comparable "
            f"across nations: {titles}. Compare nations with the composite UK IMD of mySociety "
            f"({', '.join(across)}).")


def coverage_info(meta: dict[str, Any], letters: Iterable[str]) -> dict[str, Any]:
    """What an output says about the index behind it: ``index``, ``vintage``, ``small_areas``,
    ``nations`` and ``comparability``."""
    letters = list(letters)
    ident = index_of_indicator(meta)
    spec = index_spec(ident) if ident else None
    level = str(meta.get("level"))
    label = boundaries.LEVELS.get(level, {}).get("label", level)
    small = spec["small_areas"] if spec is not None and spec.get("map_level") == level else label
    return {
        "index": f"{ident}: {spec['title']}" if spec else f"none ({_title(meta)} is not a "
                                                           "national index of deprivation)",
        "vintage": str(meta.get("vintage", "")),
        "small_areas": small,
        "nations": nation_words(letters),
        "comparability": comparability_note(),
    }
