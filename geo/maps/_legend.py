"""Legends of every map in :mod:`geo.maps`: the control in a corner of the map and the rows of
a class legend (worse end on top, counts, no data and not covered never left out).

A legend is a ``<details>`` element whose summary is its title: open when the map is drawn,
folded to its title by :mod:`geo.maps.frame` on a map too small to show the areas beside it.
Every title, label and note goes through :func:`html.escape`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

from branca.element import MacroElement
from folium.template import Template

from geo.maps._safe import render_inert
from geo.maps.classes import NO_DATA_COLOUR, NOT_COVERED, NOT_COVERED_COLOUR, normalise_key

#: A legend's first row, its title (escaped text, perhaps a unit in a span): the summary that
#: stays when a legend is folded.
_LEGEND_HEAD = re.compile(r"^<div style='[^']*'>(.*?)</div>", re.S)


class _Legend(MacroElement):
    """A legend in a corner of the map: a ``<details>`` element whose summary is its title, open
    when the map is drawn (:mod:`geo.maps.frame` folds it when the map is too small to show the
    areas beside it; a click on the title opens it again)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var legend = L.control({position: {{ this.position|tojson }}});
            legend.onAdd = function() {
                var div = L.DomUtil.create("div", "oppmap-legend");
                div.innerHTML = {{ this.folding|tojson }};
                L.DomEvent.disableClickPropagation(div);
                return div;
            };
            legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, html_text: str, *, position: str = "bottomright"):
        super().__init__()
        self._name = "OppmapLegend"
        self.html = html_text
        self.position = position
        head = _LEGEND_HEAD.match(html_text)
        self.folding = (f"<details open><summary>{head.group(1)}</summary>"
                        f"{html_text[head.end():]}</details>" if head else html_text)

    def render(self, **kwargs: Any) -> str:
        return render_inert(self, **kwargs)



def _legend_html(
    *,
    title: str,
    unit: str,
    colours: Sequence[str],
    labels: Sequence[str],
    counts: Sequence[int] | None,
    polarity: str | None,
    n_missing: int,
    note: str | None = None,
    n_not_covered: int = 0,
) -> str:
    head = html.escape(title)
    if unit and unit not in title:
        head += f" <span style='font-weight:400'>({html.escape(unit)})</span>"
    rows = [f"<div style='font-weight:600;margin-bottom:3px'>{head}</div>"]
    # the worse end on top: the highest values when higher is worse, else the lowest
    better_high = polarity is not None and normalise_key(polarity) == "higher_better"
    order = range(len(colours)) if better_high else range(len(colours) - 1, -1, -1)
    for i in order:
        count = f" <span style='color:#666'>({counts[i]:,})</span>" if counts is not None else ""
        rows.append(f"<div><i style='background:{colours[i]}'></i>{html.escape(labels[i])}{count}</div>")
    if n_missing:
        rows.append(
            f"<div><i style='background:{NO_DATA_COLOUR}'></i>no data"
            f" <span style='color:#666'>({n_missing:,})</span></div>"
        )
    if n_not_covered:
        rows.append(
            f"<div><i style='background:{NOT_COVERED_COLOUR}'></i>{NOT_COVERED}"
            f" <span style='color:#666'>({n_not_covered:,})</span></div>"
        )
    if polarity is not None:
        worse = "higher" if normalise_key(polarity) == "higher_worse" else "lower"
        rows.append(
            f"<div style='margin-top:3px;color:#444'>Darker = worse ({worse} values), "
            "worst on top</div>"
        )
    if note:
        rows.append(f"<div style='margin-top:3px;color:#444'>{html.escape(note)}</div>")
    return "".join(rows)
