"""What a council's statistical neighbours are chosen on, in each nation, and said in words.

A council is compared with the councils most like it (:func:`geo.stats.neighbours`). The
variables must exist for every council of the pool and mean the same there, so the pool and
the variables depend on the council's nation (:func:`neighbour_basis`):

- England: England's councils of the same tier, on the IMD 2025 average score, log10 density,
  log10 residents and the shares aged 65+ and 0-15 (the store's ``summary_lad24`` /
  ``summary_utla24``, :data:`geo.stats.neighbours.DEFAULT_NEIGHBOUR_VARIABLES`);
- Wales: Wales's 22 councils, on the WIMD 2019 average score and the same density, size and age
  mix from Census 2021 (:func:`council_basics`);
- Scotland: Scotland's 32 councils, on the SIMD 2020 average rank and, for size and density, the
  number of data zones and data zones per km² (each data zone holds 500 to 1,000 residents;
  the mirror has no Scottish population or age mix);
- Northern Ireland: every council of the UK, on the composite UK IMD score, the one measure
  all 361 councils share (Northern Ireland's 11 councils are too few to choose 10 from, and
  NIMDM 2017 has no council scores).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from geo._errors import InputError, UnmatchedCodesWarning
from geo.data.nations import index_of_nation, index_spec
from geo.data.sources import NATIONS
from geo.stats.neighbours import DEFAULT_NEIGHBOUR_VARIABLES, statistical_neighbours

__all__ = ["BASICS_TABLE", "NATION_VARIABLES", "COMPOSITE", "NEIGHBOUR_LABELS",
           "council_basics", "load_council_basics", "neighbour_basis", "council_neighbours",
           "neighbour_reasons"]

#: Readable names of the statistical-neighbour variables.
NEIGHBOUR_LABELS = {
    "imd_average_score": "IMD score", "income_average_score": "income score",
    "employment_average_score": "employment score", "education_average_score": "education score",
    "health_average_score": "health score", "population_density": "people per km²",
    "share_age_65_plus": "share aged 65+", "share_age_0_15": "share aged 0-15",
    "log10_population_density": "people per km² (log)", "log10_population": "residents (log)",
    "wimd_average_score": "WIMD 2019 score", "simd_average_rank": "SIMD 2020 average rank",
    "log10_data_zones_per_km2": "data zones per km² (log)",
    "log10_data_zones": "data zones (log)", "uk_imd_score": "composite UK IMD score",
}

#: The name under which :func:`council_basics` travels among the store's tables.
BASICS_TABLE = "council_basics"
#: Variables of each nation's own pool (columns of its summaries and of the basics).
NATION_VARIABLES = {
    "W": ("wimd_average_score", "log10_population_density", "log10_population",
          "share_age_65_plus", "share_age_0_15"),
    "S": ("simd_average_rank", "log10_data_zones_per_km2", "log10_data_zones"),
}
#: The composite UK IMD's council table and score: the pool of every council of the UK.
COMPOSITE = ("ukimd_la", "uk_imd_score")


def council_basics(small_areas: pd.DataFrame, population: pd.DataFrame,
                   area_km2: pd.Series) -> pd.DataFrame:
    """Size, density and age mix of councils from their small areas (pure).

    Parameters
    ----------
    small_areas
        Every small area (LSOAs and data zones) by code with ``lad24_code``.
    population
        Census 2021 by small-area code: ``population_total``, ``age_0_15``, ``age_65_plus``
        (England and Wales; areas without it count only as data zones).
    area_km2
        Each council's land area in km² by ``lad24_code``.

    Returns
    -------
    pandas.DataFrame
        By ``lad24_code``: ``population_2021``, ``log10_population``,
        ``log10_population_density``, ``share_age_0_15``, ``share_age_65_plus`` (councils with
        Census 2021 populations), ``n_data_zones``, ``log10_data_zones`` and
        ``log10_data_zones_per_km2`` (councils made of data zones).
    """
    parent = small_areas["lad24_code"]
    counted = population[["population_total", "age_0_15", "age_65_plus"]].join(parent,
                                                                               how="inner")
    people = counted.groupby("lad24_code").sum()
    zones = parent[small_areas.index.str.startswith("S")].value_counts()
    out = pd.DataFrame(index=pd.Index(sorted(area_km2.index), name="lad24_code"))
    total = people["population_total"].reindex(out.index)
    out["population_2021"] = total
    out["log10_population"] = np.log10(total)
    out["log10_population_density"] = np.log10(total / area_km2.reindex(out.index))
    out["share_age_0_15"] = people["age_0_15"].reindex(out.index) / total
    out["share_age_65_plus"] = people["age_65_plus"].reindex(out.index) / total
    out["n_data_zones"] = zones.reindex(out.index)
    out["log10_data_zones"] = np.log10(out["n_data_zones"])
    out["log10_data_zones_per_km2"] = np.log10(out["n_data_zones"] / area_km2.reindex(out.index))
    return out


def load_council_basics() -> pd.DataFrame:
    """:func:`council_basics` of the store (LSOAs, data zones, Census 2021, LAD 2024 areas)."""
    import boundaries
    from geo.data.indicators import load_indicators

    small = pd.concat([boundaries.load(level)[["lad24_code"]] for level in ("lsoa21", "dz11")])
    lad = boundaries.load("lad24")
    return council_basics(small, load_indicators("population"), lad.geometry.area / 1e6)


def _words(variables: tuple[str, ...], labels: Mapping[str, str]) -> str:
    names = [labels.get(v, v) for v in variables]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def neighbour_basis(code: str, *, tables: Mapping[str, pd.DataFrame], councils: pd.DataFrame,
                    labels: Mapping[str, str]) -> dict[str, Any]:
    """The pool and variables of a council's statistical neighbours, and why, in words.

    Parameters
    ----------
    code
        A council of ``councils``.
    tables
        Store tables by name: ``summary_lad24`` / ``summary_utla24`` (England), each nation's
        council summaries (``summary_wimd2019_lad24``, ...), :data:`BASICS_TABLE`
        (:func:`load_council_basics`) and the composite UK IMD (``ukimd_la``).
    councils
        :func:`geo.councils.councils_table` (``name``, ``level``, ``country``).
    labels
        Readable names of the variables.

    Returns
    -------
    dict
        ``frame`` (the pool: ``name`` and the variables, by council code), ``variables``,
        ``pool`` ("England's lower-tier councils", "Wales's councils", "every council of the
        UK"), ``own`` (True when the pool is the council's own nation on its own index) and
        ``words`` (one sentence: who is compared, on what, and why).

    Raises
    ------
    InputError
        An unknown council, or tables without what the basis needs.
    """
    if code not in councils.index:
        msg = f"`code` {code!r} is not a council of the table ({len(councils)} councils)."
        raise InputError(msg)
    letter = (str(councils.at[code, "country"]) if "country" in councils.columns
              else str(code)[:1])
    level = str(councils.at[code, "level"])
    nation = NATIONS.get(letter, letter)
    variables: tuple[str, ...]
    if letter == "E":
        variables, frame = tuple(DEFAULT_NEIGHBOUR_VARIABLES), tables.get(f"summary_{level}")
        pool, why = f"England's councils ({level.replace('24', ' 2024').upper()})", (
            "each variable standardised across them")
    elif letter in NATION_VARIABLES:
        variables = NATION_VARIABLES[letter]
        summary = tables.get(index_spec(index_of_nation(letter))["summaries"]["lad24"])
        basics = tables.get(BASICS_TABLE)
        frame = (None if summary is None or basics is None else
                 summary.join(basics.drop(columns=basics.columns.intersection(summary.columns))))
        pool = f"{nation}'s councils"
        why = (f"{nation}'s own index ranks only {nation}'s areas, so the pool is {nation}; "
               + ("each data zone holds 500 to 1,000 residents, so data zones stand for size and "
                  "density: the mirror has no Scottish population or age mix"
                  if letter == "S" else "Census 2021 for density, size and age mix"))
    else:
        table, column = COMPOSITE
        variables = (column,)
        frame = tables.get(table)
        pool = "every council of the UK"
        why = (f"the composite UK IMD (mySociety) is the one measure all councils share; "
               f"{nation}'s own index has council figures only")
    if frame is None or any(v not in frame.columns for v in variables):
        msg = f"`tables` lack what the neighbours of {code} need ({list(variables)})."
        raise InputError(msg)
    frame = frame[[*variables]].join(councils["name"], how="left")
    words = (f"The councils most like {councils.at[code, 'name']} among {pool}, on "
             f"{_words(tuple(variables), labels)} (standardised; Euclidean distance): {why}.")
    return {"frame": frame, "variables": tuple(variables), "pool": pool,
            "own": letter != "N", "words": words}


def council_neighbours(summary: pd.DataFrame, code: str, *, k: int = 10,
                       variables: Sequence[str] = DEFAULT_NEIGHBOUR_VARIABLES) -> pd.DataFrame:
    """The ``k`` statistical neighbours of ``code`` among the councils of ``summary``.

    :func:`geo.stats.neighbours.statistical_neighbours` on the store's ``summary_lad24`` (or
    ``summary_utla24``) table, leaving out councils without every variable (said in an
    :class:`~geo._errors.UnmatchedCodesWarning` from that function, silenced here); fewer
    than ``k`` when fewer other councils have every variable.

    Returns
    -------
    pandas.DataFrame
        As :func:`geo.stats.neighbours.statistical_neighbours`, plus ``name`` when ``summary`` has it.
    """
    frame = summary[[v for v in variables if v in summary.columns]
                    + (["name"] if "name" in summary.columns else [])]
    complete = int(frame[[v for v in variables if v in frame.columns]].notna().all(axis=1).sum())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnmatchedCodesWarning)
        out = statistical_neighbours(frame, code, variables=variables,
                                     k=max(1, min(k, complete - 1)), missing="drop")
    if "name" in summary.columns:
        out.insert(0, "name", summary["name"].reindex(out.index))
    return out


def neighbour_reasons(summary: pd.DataFrame, code: str, *, k: int = 10,
                      variables: Sequence[str] = DEFAULT_NEIGHBOUR_VARIABLES) -> pd.DataFrame:
    """Statistical neighbours and why: each variable's share of the distance.

    Returns
    -------
    pandas.DataFrame
        Indexed by neighbour code (nearest first): ``name``, ``rank``, ``distance``,
        ``differs_most_on`` (the two variables with the largest shares, e.g.
        ``"people per km² 61%, share aged 65+ 20%"``), and one column per variable label with
        its share of the squared distance in percent.
    """
    nb = council_neighbours(summary, code, k=k, variables=variables)
    contrib = nb[[f"contrib_{v}" for v in variables]] * 100
    contrib.columns = [f"{NEIGHBOUR_LABELS.get(v, v)} (% of distance)" for v in variables]

    def top(row: pd.Series) -> str:
        best = row.dropna().sort_values(ascending=False).iloc[:2]
        best = best[best > 0]
        return ", ".join(f"{k.split(' (')[0]} {v:.0f}%" for k, v in best.items())

    out = nb[["name", "rank", "distance"]] if "name" in nb else nb[["rank", "distance"]]
    out = out.assign(differs_most_on=contrib.apply(top, axis=1))
    return out.join(contrib)
