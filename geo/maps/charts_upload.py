"""The scatter of an uploaded indicator against deprivation (Altair / Vega-Lite).

:func:`upload_scatter` draws the tidy frame of :attr:`geo.analysis.upload.UploadAnalysis.scatter`
(``name``, ``value``, ``deprivation``, ``outcome``; axis titles in its ``attrs``): one point per
area, coloured by its hotspot outcome, and the median of the user's value in twenty bins of the
deprivation score, so that the trend reads at a glance on 33,755 points. The data travel inline
(``alt.Data(values=...)``), so a national upload needs no change to Altair's row limit.

Text in the chart (the area names in the tooltip, the axis titles) is data, never markup: Vega
renders it as text. The user's column name arrives already made safe by the upload reader.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from geo._errors import InputError

__all__ = ["OUTCOME_COLOURS", "upload_scatter"]

#: Colour of each hotspot outcome (ColorBrewer RdBu; greys for nothing found or not tested).
OUTCOME_COLOURS = {
    "worse cluster": "#b2182b",
    "worse outlier": "#f4a582",
    "better outlier": "#92c5de",
    "better cluster": "#2166ac",
    "not significant": "#bdbdbd",
    "not tested": "#e0e0e0",
}

#: Bins of the deprivation score for the median line.
MEDIAN_BINS = 20


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready rows (numbers as floats, text as str, missing values as None)."""
    out = frame.reset_index()
    rows = []
    for row in out.itertuples(index=False):
        rows.append({column: (None if pd.isna(v) else float(v) if isinstance(v, int | float |
                                                                              np.number)
                              else str(v)) for column, v in zip(out.columns, row, strict=True)})
    return rows


def upload_scatter(frame: pd.DataFrame, *, width: int = 520, height: int = 360) -> Any:
    """A Vega-Lite scatter of the user's value (y) against the deprivation score (x).

    Parameters
    ----------
    frame
        :attr:`UploadAnalysis.scatter`: indexed by area code, with ``name``, ``value``,
        ``deprivation`` and ``outcome`` columns; ``attrs`` ``x_label`` and ``y_label``.
    width, height
        Size in pixels.

    Returns
    -------
    altair.LayerChart
        Points coloured by outcome (grey when there are no hotspots) and the binned median line;
        ``st.altair_chart(chart)`` shows it, ``chart.to_dict()`` gives the Vega-Lite spec.

    Raises
    ------
    InputError
        A frame without those columns, or with no area to plot.
    """
    import altair as alt

    missing = [c for c in ("name", "value", "deprivation", "outcome") if c not in frame.columns]
    if missing:
        msg = (f"`frame` lacks columns {missing}; pass UploadAnalysis.scatter (columns name, "
               "value, deprivation, outcome)")
        raise InputError(msg)
    if frame.dropna(subset=["value", "deprivation"]).empty:
        raise InputError("`frame` has no area with both a value and a deprivation score to plot")
    code = str(frame.index.name or "code")
    data = frame.copy()
    data["outcome"] = data["outcome"].fillna("not tested")
    x_title = str(frame.attrs.get("x_label", "deprivation score"))
    y_title = str(frame.attrs.get("y_label", "your value"))
    base = alt.Chart(alt.Data(values=_records(data)))
    domain = [k for k in OUTCOME_COLOURS if k in set(data["outcome"])]
    points = base.mark_circle(size=12, opacity=0.5).encode(
        x=alt.X("deprivation:Q", title=x_title),
        y=alt.Y("value:Q", title=y_title),
        color=alt.Color("outcome:N", title="hotspot outcome",
                        scale=alt.Scale(domain=domain,
                                        range=[OUTCOME_COLOURS[k] for k in domain])),
        tooltip=[alt.Tooltip(f"{code}:N", title="code"), alt.Tooltip("name:N", title="area"),
                 alt.Tooltip("value:Q", title=y_title),
                 alt.Tooltip("deprivation:Q", title=x_title), alt.Tooltip("outcome:N")],
    )
    median = base.mark_line(color="#252525", strokeWidth=2).encode(
        x=alt.X("deprivation:Q", bin=alt.Bin(maxbins=MEDIAN_BINS)),
        y=alt.Y("median(value):Q"),
    )
    return alt.layer(points, median).properties(width=width, height=height)
