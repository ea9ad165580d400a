"""Council profiles made readable: tables by life stage, sentences, spine-chart data.

Functions of :func:`geo.profile.council_profile` frames: :func:`profile_table` (one council),
:func:`side_by_side` (several), :func:`describe_profile` (one sentence) and :func:`spine_data`,
the common scale of the spine chart (:func:`geo.maps.charts.spine_chart`) where England is 0
and *worse is always negative*, whatever the direction of the indicator.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from geo.maps.text import format_value
from geo.profile import LIFE_STAGES, PRINCIPLES

__all__ = ["benchmark_of", "menu_order", "profile_table", "describe_profile", "side_by_side",
           "spine_data", "UK_BENCHMARK"]

#: The place at 0 of a UK-wide measure's spine row: the mean of all the UK's councils.
UK_BENCHMARK = "UK, mean of councils"

#: A dataset's edition year at the end of its name (``neet2025``, ``ks2_2022``).
_EDITION = re.compile(r"^(?P<family>.*?)(?P<year>(?:19|20)\d\d)$")
#: A period at the end of a column's name (``conditions_of_childhood_2018_2024``).
_PERIOD = re.compile(r"^(?P<family>.*?)_(?:19|20)\d\d_(?P<year>(?:19|20)\d\d)$")


def menu_order(measures: pd.DataFrame) -> list[str]:
    """The measure ids in the order a menu lists them: each indicator's newest edition first.

    Editions of one dataset (``neet2022``, ``neet2023``, ``neet2025``) and periods of one
    column (``..._2000_2005`` to ``..._2018_2024``) are listed newest first, where the oldest
    of them stood; every other measure keeps its place.

    Parameters
    ----------
    measures
        :func:`geo.profile.council_measures` (needs ``dataset`` and ``column``).

    Examples
    --------
    >>> m = pd.DataFrame({"dataset": ["neet2022", "neet2022", "neet2025", "imd"],
    ...                   "column": ["a", "b", "a", "x"]}, index=["n22a", "n22b", "n25a", "i"])
    >>> menu_order(m)
    ['n25a', 'n22a', 'n22b', 'i']
    """
    keys = {}
    first: dict[str, int] = {}
    datasets, columns = measures["dataset"].astype(str), measures["column"].astype(str)
    for position, (ident, dataset, column) in enumerate(
            zip(measures.index, datasets, columns, strict=True)):
        edition, period = _EDITION.match(dataset), _PERIOD.match(column)
        if edition:
            family, year = f"{edition['family']}*", int(edition["year"])
        elif period:
            family, year = f"{dataset}.{period['family']}*", int(period["year"])
        else:
            family, year = f"{dataset}.{column}#{position}", 0
        keys[ident] = (first.setdefault(family, position), -year, position)
    return sorted(keys, key=keys.__getitem__)


def _is_council_row(code: Any) -> bool:
    return not str(code).startswith(("E92", "E12"))


def _is_uk_wide(values: pd.Series) -> bool:
    """Whether the councils of a measure are of more than one nation (the composite UK IMD)."""
    return len({str(c)[:1] for c in values.index if not _is_nation(c)}) > 1


def _is_nation(code: Any) -> bool:
    return str(code)[1:3] == "92"


def _with_interval(value: float, lower: float, upper: float, unit: str) -> str:
    text = format_value(value, unit)
    if pd.notna(lower) and pd.notna(upper):
        text += f" ({format_value(lower, '', decimals=1)} to {format_value(upper, '', decimals=1)})"
    return text


def benchmark_of(profile: pd.DataFrame) -> str:
    """The nation a profile is benchmarked on ("England", "Wales", ...)."""
    if "benchmark" in profile.columns and len(profile):
        return str(profile["benchmark"].iloc[0])
    return "England"


def _benchmark_text(r: pd.Series, nation: str) -> str:
    """The nation's figure as shown: with its interval, "(by construction)", or none."""
    if r["england_source"] == "none published" or pd.isna(r["england"]):
        return f"no {nation} figure published"
    text = _with_interval(r["england"], r["england_lower"], r["england_upper"], r["unit"])
    return text + (" (by construction)" if r["england_source"] == "by construction" else "")


def profile_table(profile: pd.DataFrame, *, names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """A readable version of :func:`council_profile`, grouped by life stage.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``profile``: ``Life stage``, ``Principle``, ``Indicator``, ``Value``
        (with its 95% interval where known), ``<nation>`` and ``vs <nation>`` (the council's
        nation: ``England``, ``Wales``, ...), ``Region``, ``vs region``, ``Neighbours``,
        ``vs neighbours``, ``Rank (1 = worst)``, ``Figure for``.
    """
    names = names or {}
    nation = benchmark_of(profile)
    rows = []
    for ident, r in profile.iterrows():
        rows.append({
            "indicator": ident,
            "Life stage": LIFE_STAGES.get(r["life_stage"], r["life_stage"]),
            "Principle": PRINCIPLES.get(r["principle"], r["principle"]),
            "Indicator": r["label"],
            "Value": _with_interval(r["value"], r["lower"], r["upper"], r["unit"]),
            nation: _benchmark_text(r, nation),
            f"vs {nation}": r["vs_england"],
            "Region": format_value(r["region"], r["unit"]),
            "vs region": r["vs_region"],
            "Neighbours": format_value(r["neighbours_mean"], r["unit"]),
            "vs neighbours": r["vs_neighbours"],
            "Rank (1 = worst)": (f"{int(r['rank'])} of {int(r['n_ranked'])}"
                                 if pd.notna(r["rank"]) else ""),
            "Figure for": names.get(r["area_code"], r["area_code"]) if pd.isna(
                r.get("shared_area")) else (f"{r['shared_area']} (one figure for "
                                            f"{int(r['n_sharing'])} councils; not ranked)"),
        })
    return _by_stage(rows)


def describe_profile(profile: pd.DataFrame, *, name: str) -> str:
    """One sentence: how many indicators are significantly worse / better than England.

    Verdicts come from intervals where they exist; all indicators count by rank.
    """
    if profile.empty:
        return f"No council indicators are available for {name}."
    verdicts = profile["vs_england"].value_counts()
    worst_fifth = profile[profile["rank"] <= profile["n_ranked"] * 0.2]
    tested = int(verdicts.drop("not tested", errors="ignore").sum())
    text = (f"{name}: {len(profile)} indicators; among the worst fifth of councils on "
            f"{len(worst_fifth)} (rank 1 = worst whatever the direction).")
    if tested:
        text += (f" Tested against {benchmark_of(profile)} with 95% intervals: "
                 f"{int(verdicts.get('worse', 0))} "
                 f"worse, {int(verdicts.get('similar', 0))} similar, "
                 f"{int(verdicts.get('better', 0))} better.")
    return text


def _by_stage(rows: list[dict]) -> pd.DataFrame:
    """Rows indexed by ``indicator``, in life-stage order (stable within a stage)."""
    if not rows:
        return pd.DataFrame(columns=["Life stage", "Principle", "Indicator"])
    out = pd.DataFrame(rows).set_index("indicator")
    stage = {v: i for i, v in enumerate(LIFE_STAGES.values())}
    return out.iloc[np.argsort([stage.get(s, 99) for s in out["Life stage"]], kind="stable")]


def _direction(value: float, reference: float, polarity: str) -> str:
    """Worse / better / same by value only (no significance), in brackets."""
    if pd.isna(value) or pd.isna(reference):
        return "n/a"
    diff = (value - reference) * (1 if polarity == "higher_worse" else -1)
    return "(worse)" if diff > 0 else "(better)" if diff < 0 else "(same)"


def side_by_side(profiles: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Several councils' profiles in one table, grouped by life stage.

    Each council gets two columns: its value with its rank (``"43.3 score · rank 1 of 296"``)
    and its comparison with its nation, its region and its statistical neighbours
    (``"worse · worse · similar"``): significance verdicts where an interval exists, otherwise
    the direction by value alone, in brackets (``"(worse)"``). Each nation of the councils has
    a benchmark column (``England``, ``Wales``, ...).

    ``profiles`` maps area names to :func:`council_profile` frames.

    Returns
    -------
    pandas.DataFrame
        Indexed by measure id (life stage order, then profile order): ``Life stage``,
        ``Principle``, ``Indicator``, one column per nation, then per area ``<area>`` and
        ``<area>: vs <nation> · region · neighbours``.
    """
    order: list[str] = []
    for prof in profiles.values():
        order += [i for i in prof.index if i not in order]
    nations = list(dict.fromkeys(benchmark_of(p) for p in profiles.values() if len(p)))
    rows = []
    for ident in order:
        first = next(p.loc[ident] for p in profiles.values() if ident in p.index)
        row = {"indicator": ident,
               "Life stage": LIFE_STAGES.get(first["life_stage"], first["life_stage"]),
               "Principle": PRINCIPLES.get(first["principle"], first["principle"]),
               "Indicator": first["label"]}
        for nation in nations:
            ref = next((p.loc[ident] for p in profiles.values()
                        if ident in p.index and benchmark_of(p) == nation), None)
            row[nation] = "" if ref is None else format_value(ref["england"], ref["unit"])
        for area, prof in profiles.items():
            row.update(_side_cells(area, prof, ident))
        rows.append(row)
    return _by_stage(rows)


def _side_cells(area: str, prof: pd.DataFrame, ident: str) -> dict[str, str]:
    """One council's two cells of :func:`side_by_side` for one measure."""
    verdicts = f"{area}: vs {benchmark_of(prof)} · region · neighbours"
    if ident not in prof.index:
        return {area: "no data", verdicts: ""}
    r = prof.loc[ident]
    rank = f" · rank {int(r['rank'])} of {int(r['n_ranked'])}" if pd.notna(r["rank"]) else ""
    words = [r[verdict] if r[verdict] != "not tested"
             else _direction(r["value"], r[ref], r["polarity"])
             for verdict, ref in (("vs_england", "england"), ("vs_region", "region"),
                                  ("vs_neighbours", "neighbours_mean"))]
    return {area: format_value(r["value"], r["unit"]) + rank, verdicts: " · ".join(words)}


def spine_data(profiles: Mapping[str, pd.DataFrame],
               tables_by_level: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Each indicator of one or more profiles against the spread of all councils.

    Values are put on a common scale where the council's nation (England, ...) is 0, *worse is
    negative* and the council furthest from it (either side) is at -1 or 1: ``x = s (v -
    nation) / max|s (v_i - nation)|`` with ``s = -1`` when higher is worse and ``+1`` when
    higher is better. A UK-wide measure (its councils are of more than one nation: the
    composite UK IMD) is centred instead on the UK, the mean of all its councils, for every
    profile: one scale and one spread, so the councils of different nations are in the order
    of their values.

    ``profiles`` maps area names to :func:`council_profile` frames; ``tables_by_level`` is
    ``{"lad24": comparison_table(..., level="lad24"), "utla24": ...}``, the spread of all
    councils of each level (rows of regions and England are left out).

    Returns
    -------
    pandas.DataFrame
        One row per (indicator, area): ``indicator``, ``label``, ``life_stage``, ``stage``,
        ``area``, ``value``, ``england``, ``unit``, ``verdict`` (vs England), ``rank``,
        ``n_ranked``, ``x`` (the area), ``x_worst``, ``x_q25`` (the worse quartile),
        ``x_median``, ``x_q75``, ``x_best``, ``n_councils``, ``value_text``,
        ``england_text``, ``benchmark`` (the place at 0: the nation or :data:`UK_BENCHMARK`),
        ``order``; ``england`` is the figure at 0.
    """
    rows: list[dict[str, Any]] = []
    stage_order = {k: i for i, k in enumerate(LIFE_STAGES)}
    for area, profile in profiles.items():
        for ident, r in profile.iterrows():
            table = tables_by_level.get(r["level"])
            if table is None or ident not in table.columns:
                continue
            all_values = table.loc[[_is_council_row(c) for c in table.index], ident].dropna()
            uk = _is_uk_wide(all_values)
            if not uk and pd.isna(r["england"]):  # no nation figure to put at 0
                continue
            # a UK-wide measure (the composite UK IMD): every council on one UK scale, whatever
            # its nation; otherwise the council against its own nation
            centre = float(all_values[[not _is_nation(c) for c in all_values.index]].mean()
                           if uk else r["england"])
            sign = -1.0 if r["polarity"] == "higher_worse" else 1.0
            oriented = sign * (all_values - centre)
            values = [p.at[ident, "value"] for p in profiles.values()
                      if ident in p.index] if uk else [r["value"]]
            scale = float(np.nanmax(np.abs(np.r_[oriented.to_numpy(),
                                                 sign * (np.asarray(values, float) - centre)])))
            scale = scale if scale > 0 else 1.0
            q = (oriented / scale).quantile([0, 0.25, 0.5, 0.75, 1]).to_numpy()
            rows.append({
                "indicator": ident, "label": r["label"], "life_stage": r["life_stage"],
                "stage": LIFE_STAGES.get(r["life_stage"], r["life_stage"]), "area": area,
                "value": r["value"], "england": centre, "unit": r["unit"],
                "verdict": r["vs_england"], "rank": r["rank"], "n_ranked": r["n_ranked"],
                "x": sign * (r["value"] - centre) / scale, "x_worst": q[0],
                "x_q25": q[1], "x_median": q[2], "x_q75": q[3], "x_best": q[4],
                "n_councils": len(all_values), "value_text": format_value(r["value"], r["unit"]),
                "england_text": format_value(centre, r["unit"])
                + (f" ({UK_BENCHMARK})" if uk else ""),
                "benchmark": UK_BENCHMARK if uk else str(r.get("benchmark", "")),
                "order": stage_order.get(r["life_stage"], 99) * 1000 + len(rows),
            })
    columns = ["indicator", "label", "life_stage", "stage", "area", "value", "england", "unit",
               "verdict", "rank", "n_ranked", "x", "x_worst", "x_q25", "x_median", "x_q75",
               "x_best", "n_councils", "value_text", "england_text", "benchmark", "order"]
    return pd.DataFrame(rows, columns=columns)
