"""A place's hotspots and clusters in any nation of the UK, or the plain reason there are none.

The one call for "hot spots in my council" whatever the nation: :func:`place_hotspots` takes the
place's own nation's index (England IoD 2025 on LSOAs 2021, Wales WIMD 2019 carried to LSOAs
2021, Scotland SIMD 2020 on data zones 2011), reads the store's national run of its headline
(compounded disadvantage) or of the indicator asked for, narrows it to the place on the national
reference (:func:`geo.analysis.hotspots.hotspot_table`), and adds the named clusters that reach
it. A place whose nation has no small areas (Northern Ireland) or that the indicator does not
cover comes back with ``covered`` False and a sentence saying why, never as "0 hot spots".
:func:`place_coverage` says what a place can have without computing anything.
"""

from __future__ import annotations

from typing import Any

from geo._errors import InputError
from geo.analysis.areas import place_name
from geo.analysis.clusters import cluster_indicator, named_clusters
from geo.analysis.coverage import (
    check_place,
    comparability_note,
    no_small_areas,
    place_nation,
    stored_indicators,
)
from geo.analysis.hotspots import AREA_WORDS, hotspot_table, run_inputs
from geo.data.nations import index_of_nation, index_spec
from geo.data.sources import NATIONS

__all__ = ["place_coverage", "place_hotspots"]


def place_coverage(code: str) -> dict[str, Any]:
    """What hotspot analysis a place can have: its nation, its index, the stored runs, or why not.

    Parameters
    ----------
    code
        A council (LAD or UTLA 2024), region or combined authority code of the UK.

    Returns
    -------
    dict
        ``code``, ``name``, ``nation`` (in words), ``index`` (its nation's own, e.g.
        ``"wimd2019"``), ``title``, ``covered`` (True when the nation has small areas to test),
        ``reason`` (None, or why not: Northern Ireland), ``level`` (``lsoa21``, ``dz11`` or
        None), ``area_words`` ("LSOAs", "data zones"), ``indicators`` (catalogue ids of the
        stored national runs), ``default_indicator`` (compounded disadvantage, whose clusters
        the store keeps) and ``comparability`` (national indices do not compare across nations).

    Raises
    ------
    InputError
        ``code`` is not a place (with the closest codes and names).

    Examples
    --------
    >>> place_coverage("N09000003")["reason"]  # doctest: +SKIP
    "Northern Ireland has no small areas to test for hot spots (...)"
    """
    key, name = place_name(code)
    letter = place_nation(key)
    spec = index_spec(index_of_nation(letter))
    reason = no_small_areas(letter)
    level = spec.get("map_level") if reason is None else None
    return {"code": key, "name": name, "nation": NATIONS[letter], "index": spec["id"],
            "title": spec["title"], "covered": reason is None,
            "reason": f"{name}: {reason}." if reason else None, "level": level,
            "area_words": AREA_WORDS.get(str(level)),
            "indicators": stored_indicators(spec["id"]) if reason is None else [],
            "default_indicator": cluster_indicator(spec["id"]) if reason is None else None,
            "comparability": comparability_note()}


def place_hotspots(code: str, *, indicator: str | None = None, method: str = "gi_star",
                   alpha: float = 0.05, robust: bool = True, clusters: bool = True
                   ) -> dict[str, Any]:
    """A place's hotspots on its own nation's national run, and the named clusters reaching it.

    Parameters
    ----------
    code
        A council (LAD or UTLA 2024), region or combined authority code of the UK.
    indicator
        A small-area catalogue id covering the place's nation; default the nation's compounded
        disadvantage (``compound.n_domains_worst_decile``,
        ``compound_wimd2019.n_domains_worst_decile``, ``compound_simd2020...``).
    method, alpha, robust
        As in :func:`geo.analysis.hotspots.hotspot_table` (permutations and seed: the store's,
        so the stored national run is read).
    clusters
        Add the named clusters of the indicator's national run that reach the place.

    Returns
    -------
    dict
        :func:`place_coverage`, plus ``indicator``, ``table`` (the place's areas with z, p, q,
        outcome, bin, robust: :func:`~geo.analysis.hotspots.hotspot_table` on the national
        reference), ``info`` (how it was made, with ``outcomes`` counted in the place),
        ``clusters`` and ``clusters_info`` (``population_known`` False for Scotland, where a
        cluster's population is a count of data zones). When ``covered`` is False, ``reason``
        says why and the others are None.

    Raises
    ------
    InputError
        Unknown place, indicator or method.

    Examples
    --------
    >>> view = place_hotspots("W06000015")  # doctest: +SKIP
    >>> view["index"], view["info"]["graph"]  # doctest: +SKIP
    ('wimd2019', 'lsoa21_wa')
    """
    out = place_coverage(code) | {"indicator": indicator, "table": None, "info": None,
                                  "clusters": None, "clusters_info": None}
    if not out["covered"]:
        return out
    out["indicator"] = indicator = indicator or out["default_indicator"]
    _, meta, letters = run_inputs(indicator)
    try:
        check_place(out["code"], out["name"], letters=letters, meta=meta)
    except InputError as exc:
        return out | {"covered": False, "reason": str(exc)}
    out["table"], out["info"] = hotspot_table(indicator, within=out["code"], method=method,
                                              alpha=alpha, robust=robust)
    if clusters:
        out["clusters"], out["clusters_info"] = named_clusters(indicator, within=out["code"])
    return out
