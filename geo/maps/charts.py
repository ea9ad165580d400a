"""Charts of council profiles (Altair): the spine chart, worse always on the left.

A spine chart sets one or more councils against the spread of all councils, indicator by
indicator, on the common scale of :func:`geo.profile_tables.spine_data` (the councils' nation at
0, England or another, the council furthest from it at -1 or 1, worse negative): grey bars for
the spread, a black tick for the nation (named on the axis) and a dot per council. One panel per life stage, in the order of the data.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

import pandas as pd

from geo._errors import InputError
from geo.maps.text import format_value

__all__ = ["VERDICT_COLOURS", "spine_chart", "bar_chart"]

#: Verdict colours (ColorBrewer RdYlBu ends and a neutral): worse red, better blue.
VERDICT_COLOURS = {"worse": "#d7301f", "similar": "#fdd49e", "better": "#2b8cbe",
                   "not tested": "#ffffff"}

_TOOLTIP = (("area:N", "Area"), ("label:N", "Indicator"), ("value_text:N", "Value"),
            ("england_text:N", "{b}"), ("verdict:N", "vs {b}"),
            ("rank:Q", "Rank (1 = worst)"), ("n_ranked:Q", "of"))


def _tooltip(benchmark: str) -> list[Any]:
    import altair as alt

    return [alt.Tooltip(f, title=t.format(b=benchmark)) for f, t in _TOOLTIP]
_NEEDED = ("indicator", "label", "stage", "area", "verdict", "x", "x_worst", "x_q25", "x_q75",
           "x_best", "order")


def spine_chart(data: pd.DataFrame, *, colour_by: str = "verdict", width: int = 420,
                description: str | None = None, benchmark: str = "England") -> Any:
    """An Altair spine chart of :func:`geo.profile_tables.spine_data`.

    Grey bars show the spread of all councils (light: worst to best; dark: middle half), the
    black tick is England, and a dot marks each area, coloured by its verdict against England
    (``colour_by="verdict"``) or by area (``"area"``, for comparing places). One panel per
    life stage, stages and indicators in the data's ``order``.

    ``description`` is the chart's accessible name (screen readers read it instead of "Vega
    visualization"); by default it names the areas and the number of indicators, and says
    where worse is. ``benchmark`` names the tick (the councils' nation, :func:`benchmark_of`,
    or words such as "each council's nation" when the areas are of several nations).

    Returns
    -------
    altair.FacetChart

    Raises
    ------
    InputError
        Empty data, data without the columns of ``spine_data``, or an unknown ``colour_by``.

    Examples
    --------
    >>> chart = spine_chart(spine_data({"Blackpool": prof}, tables))  # doctest: +SKIP
    """
    import altair as alt

    if colour_by not in ("verdict", "area"):
        msg = f"`colour_by` must be 'verdict' or 'area'; got {colour_by!r}."
        raise InputError(msg)
    absent = [c for c in _NEEDED if c not in getattr(data, "columns", [])]
    if absent:
        msg = f"`data` lacks columns {absent}; pass the frame of geo.profile_tables.spine_data()."
        raise InputError(msg)
    if data.empty:
        msg = "`data` is empty: no indicator has a value and an England figure to compare."
        raise InputError(msg)
    ordered = data.sort_values("order", kind="mergesort")
    labels = list(dict.fromkeys(ordered["label"]))
    stages = list(dict.fromkeys(ordered["stage"]))
    # a long name ("Northern Ireland", "each council's nation") on lines of 12 characters
    centre = textwrap.wrap(benchmark, 12) or ["benchmark"]
    x_axis = alt.Axis(values=[-1, 0, 1], labelExpr=(
        "datum.value < 0 ? '◀ worse' : datum.value > 0 ? 'better ▶' : "
        + json.dumps(centre[0] if len(centre) == 1 else centre)))
    base = alt.Chart().encode(y=alt.Y("label:N", sort=labels, title=None,
                                      axis=alt.Axis(labelLimit=330)))
    spread = base.mark_bar(color="#e0e0e0", size=12).encode(
        x=alt.X("x_worst:Q", scale=alt.Scale(domain=[-1.05, 1.05]), axis=x_axis, title=None),
        x2="x_best:Q")
    middle = base.mark_bar(color="#9e9e9e", size=12).encode(x="x_q25:Q", x2="x_q75:Q")
    england = base.mark_tick(color="#000000", thickness=2, size=18).encode(x=alt.datum(0))
    if colour_by == "verdict":
        colour = alt.Color("verdict:N", title=f"vs {benchmark}", scale=alt.Scale(
            domain=list(VERDICT_COLOURS), range=list(VERDICT_COLOURS.values())))
        shape: Any = alt.value("circle")
    else:
        colour = alt.Color("area:N", title="Area", scale=alt.Scale(scheme="dark2"))
        shape = alt.Shape("area:N", title="Area")
    dots = base.mark_point(filled=True, size=90, stroke="#000000", strokeWidth=0.8,
                           opacity=1).encode(x="x:Q", color=colour, shape=shape,
                                             tooltip=_tooltip(benchmark))
    areas = list(dict.fromkeys(ordered["area"]))
    description = description or (
        f"Spine chart of {', '.join(map(str, areas))} on {len(labels)} indicators against the "
        f"spread of all councils and {benchmark}; worse is on the left. The same values are in the "
        "table below the chart.")
    return (
        alt.layer(spread, middle, england, dots, data=data.copy())
        .properties(width=width)
        .facet(row=alt.Row("stage:N", sort=stages, title=None,
                           header=alt.Header(labelAngle=0, labelAlign="left",
                                             labelFontWeight="bold")))
        .resolve_scale(y="independent")
        .properties(description=description)
    )


def bar_chart(values: pd.Series, *, label: str, unit: str = "",
              description: str | None = None) -> Any:
    """Horizontal bars of one value per area (``values`` indexed by the areas' names).

    ``description`` is the chart's accessible name; by default it lists every value.

    Raises
    ------
    InputError
        ``values`` not a Series, or empty.

    Examples
    --------
    >>> chart = bar_chart(pd.Series([30.1, 12.0], index=["Blackpool", "Hart"]), label="IMD")
    """
    import altair as alt

    if not isinstance(values, pd.Series) or values.empty:
        msg = "`values` must be a non-empty Series of numbers indexed by area name."
        raise InputError(msg)
    frame = pd.DataFrame({"area": values.index.astype(str), "value": values.to_numpy()})
    frame["text"] = [format_value(v, unit) for v in frame["value"]]
    description = description or (
        f"Bar chart of {label}: " + "; ".join(f"{a} {t}" for a, t in zip(
            frame["area"], frame["text"], strict=True)) + ".")
    base = alt.Chart(frame).encode(y=alt.Y("area:N", title=None, sort=None))
    bars = base.mark_bar(color="#6a51a3").encode(
        x=alt.X("value:Q", title=f"{label}" + (f" ({unit})" if unit and unit not in label else "")),
        tooltip=[alt.Tooltip("area:N", title="Area"), alt.Tooltip("text:N", title=label)])
    return (bars + base.mark_text(align="left", dx=4).encode(x="value:Q", text="text:N")
            ).properties(height=alt.Step(36), description=description)
