"""Charts, maps and words of an uploaded indicator's analysis (the Your data page).

They draw the parts of :class:`geo.analysis.upload.UploadAnalysis`, passed as frames and dicts:

* :func:`upload_scatter`: its ``scatter`` in Vega-Lite, each area coloured by its hotspot
  outcome, with the median of the user's value in twenty bins of the deprivation score (the
  data inline: a national upload needs no change to Altair's row limit);
* :func:`matched_map`: where the matched areas are, before the user says which end is worse
  (so no colour scale says "worse" before they do); :func:`upload_map`: the values, the
  hotspot test's outcomes tinted over them and the named clusters outlined
  (:func:`cluster_shapes`); :func:`bivariate_map`: the bivariate local Moran. Up to
  :data:`VECTOR_LIMIT` areas are drawn as shapes, more are painted into one image of the
  store's grid of the level, as the national map is;
* one sentence per result (:func:`hotspot_sentence`, :func:`cluster_sentence`,
  :func:`link_sentence`, :func:`bivariate_sentence`, :func:`summary_sentence`,
  :func:`council_sentence`), plain text from the analysis's numbers (the page escapes it).

Text is data, never markup: tooltips and legends are HTML-escaped, layer names are fixed words
(Leaflet's layer control writes them as HTML), Vega draws chart text as text. The upload reader
HTML-escapes the column name: pass it back as plain text and it is escaped once, here.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from boundaries.grids import is_position_grid
from geo._errors import InputError
from geo.maps._legend import _Legend
from geo.maps._position import _paint_grid, _PositionGrid
from geo.maps.choropleth import add_legend, base_map, choropleth_map
from geo.maps.classes import NO_DATA_COLOUR
from geo.maps.elements import _bounds_latlon, _features_json, _VectorLayer
from geo.maps.frame import place_labels
from geo.maps.hotspots import cluster_layer, hotspot_layer
from geo.maps.national import national_lsoa_overlay, paint_lsoa_grid
from geo.maps.text import format_value

__all__ = ["BIVARIATE_MEANINGS", "OUTCOME_COLOURS", "UNIT_WORDS", "VECTOR_LIMIT",
           "bivariate_map", "bivariate_sentence", "cluster_sentence", "cluster_shapes",
           "council_sentence", "hotspot_sentence", "link_sentence", "matched_map",
           "summary_sentence", "upload_map", "upload_scatter"]

#: Colour of each hotspot outcome (ColorBrewer RdBu; greys for nothing found or not tested).
OUTCOME_COLOURS = {"worse cluster": "#b2182b", "worse outlier": "#f4a582",
                   "better outlier": "#92c5de", "better cluster": "#2166ac",
                   "not significant": "#bdbdbd", "not tested": "#e0e0e0"}

#: Outcomes of the bivariate local Moran in words (the user's value, deprivation around it).
BIVARIATE_MEANINGS = {"worse cluster": "your value worse, deprivation around it high",
                      "worse outlier": "your value worse, deprivation around it low",
                      "better outlier": "your value better, deprivation around it high",
                      "better cluster": "your value better, deprivation around it low"}

#: The areas of each upload level, in words.
UNIT_WORDS = {"lsoa21": "LSOAs", "dz11": "data zones", "lad24": "councils",
              "utla24": "upper-tier councils"}

#: Most areas drawn as shapes; more are painted into an image of the level's grid.
VECTOR_LIMIT = 5_000

#: Bins of the deprivation score for the median line.
MEDIAN_BINS = 20

#: Colour of the matched areas before the user has said which end is worse (no scale).
MATCHED_COLOUR = "#807dba"

#: Outcomes that are not drawn over the values (nothing found, or not tested).
QUIET = ("not significant", "not tested")


# ----------------------------------------------------------------------------- scatter
def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready rows (numbers as floats, text as str, missing values as None)."""
    out = frame.reset_index().astype(object)
    return out.where(out.notna(), None).to_dict("records")


def upload_scatter(frame: pd.DataFrame, *, width: int = 520, height: int = 360,
                   inline: bool = True) -> Any:
    """A Vega-Lite scatter of the user's value (y) against the deprivation score (x).

    Parameters
    ----------
    frame
        :attr:`UploadAnalysis.scatter`: indexed by area code, with ``name``, ``value``,
        ``deprivation`` and ``outcome`` columns; ``attrs`` ``x_label`` and ``y_label``.
    width, height
        Size in pixels.
    inline
        Carry the data inline in the spec (``chart.to_dict()``); ``False`` keeps the frame,
        which ``st.altair_chart`` sends as Arrow (a second instead of seven for 33,755 areas).

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
    base = alt.Chart(alt.Data(values=_records(data)) if inline else data.reset_index())
    domain = [k for k in OUTCOME_COLOURS if k in set(data["outcome"])]
    points = base.mark_circle(size=12, opacity=0.5).encode(
        x=alt.X("deprivation:Q", title=x_title),
        y=alt.Y("value:Q", title=y_title, scale=alt.Scale(zero=False)),
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


# ----------------------------------------------------------------------------- map pieces
def _check_areas(areas: pd.DataFrame, columns: tuple[str, ...], *, shapes: Any,
                 grid: Any) -> None:
    """Refuse areas without the columns drawn, and a call without exactly one way to draw."""
    problems = [f"`areas` lacks columns {[c for c in columns if c not in areas.columns]}"
                ] if any(c not in areas.columns for c in columns) else []
    if shapes is not None and len(areas.index.difference(shapes.index)):
        problems.append("`shapes` lacks areas of `areas`: pass the display copy of the level")
    if (shapes is None) == (grid is None) or not (grid is None or is_position_grid(grid)):
        problems.append("pass either `shapes` (the level's display copy, EPSG:4326) or `grid` "
                        "(its stored position grid), not both or neither")
    if problems:
        raise InputError("; ".join(problems))


def _outcome_colours(outcomes: pd.Series, colours: Mapping[str, str], *,
                     quiet: tuple[str, ...] = QUIET) -> pd.Series:
    """Each area's colour (None for the outcomes not drawn), refusing unknown outcomes."""
    found = set(outcomes.dropna()) - set(colours)
    if found:
        msg = f"outcomes without a colour: {sorted(map(str, found))}; known: {list(colours)}"
        raise InputError(msg)
    drawn = {k: (None if k in quiet else v) for k, v in colours.items()}
    return outcomes.map(drawn)


def _legend(counts: pd.Series, colours: Mapping[str, str], *, title: str,
            meanings: Mapping[str, str] | None = None, note: str | None = None) -> _Legend:
    """A legend of categories in the order of ``colours``, each with its count (escaped)."""
    rows = [f"<div style='font-weight:600;margin-bottom:3px'>{html.escape(title)}</div>"]
    for key, colour in colours.items():
        if key not in counts.index:
            continue
        words = f"{key}: {meanings[key]}" if meanings and key in meanings else key
        swatch = f"<i style='background:{colour}'></i>" if colour else "<i></i>"
        rows.append(f"<div>{swatch}{html.escape(words)} "
                    f"<span style='color:#666'>({int(counts[key]):,})</span></div>")
    if note:
        rows.append(f"<div style='margin-top:3px;color:#444'>{html.escape(note)}</div>")
    return _Legend("".join(rows), position="topright")


def _image_layer(grid: _PositionGrid, colours: pd.Series, *, name: str,
                 opacity: float) -> folium.raster_layers.ImageOverlay:
    """Areas painted in their colours into one image of the grid (others transparent)."""
    url = "data:image/png;base64," + base64.b64encode(
        _paint_grid(grid, colours.dropna())).decode("ascii")
    bounds = [list(b) for b in grid.bounds]
    return folium.raster_layers.ImageOverlay(url, bounds, opacity=opacity, name=name,
                                             pixelated=False, interactive=False)


def _category_layer(shapes: gpd.GeoDataFrame, colours: pd.Series, *, name: str,
                    tips: Mapping[str, pd.Series], precision: int = 5) -> _VectorLayer:
    """Areas filled in their colours (one canvas layer), with escaped tooltips."""
    sel = shapes.loc[colours.index]
    names = sel["name"] if "name" in sel.columns else sel.index.to_series()
    props = pd.DataFrame({"code": sel.index.astype(str)}, index=sel.index)
    props["name"] = [html.escape(f"{n} ({c})") for n, c in zip(names, sel.index, strict=True)]
    fields, aliases = ["name"], ["Area"]
    for i, (alias, series) in enumerate(tips.items()):
        props[f"t{i}"] = [html.escape(format_value(v)) for v in series.reindex(sel.index)]
        fields.append(f"t{i}")
        aliases.append(html.escape(alias))
    props["_fill"] = colours.fillna(NO_DATA_COLOUR).to_numpy()
    return _VectorLayer(_features_json(sel, props, precision=precision), _bounds_latlon(sel),
                        name=name, base_style={"color": "#4d4d4d", "weight": 0.4,
                                               "opacity": 0.8, "fillOpacity": 0.85},
                        hover_style={"color": "#000000", "weight": 2.5, "opacity": 1},
                        tooltip_fields=fields, tooltip_aliases=aliases)


def _bounds(areas: pd.Index, shapes: gpd.GeoDataFrame | None,
            grid: _PositionGrid | None) -> list[list[float]]:
    if shapes is not None:
        return _bounds_latlon(shapes.loc[areas])
    return [list(b) for b in grid.bounds]  # type: ignore[union-attr]


def _finish(m: folium.Map, places: pd.DataFrame | None) -> folium.Map:
    """Place names (offline) and the layer control."""
    if places is not None and len(places):
        m.add_child(place_labels(places, name="Place names"))
    folium.LayerControl(collapsed=True).add_to(m)
    return m


def cluster_shapes(clusters: gpd.GeoDataFrame, *, simplify: float | None = None
                   ) -> gpd.GeoDataFrame:
    """``UploadAnalysis.clusters`` (EPSG:27700) for :func:`cluster_layer`: EPSG:4326 with
    ``lat`` / ``lon`` of a point inside each; ``simplify``: a tolerance in metres."""
    if not isinstance(clusters, gpd.GeoDataFrame) or "name" not in clusters.columns:
        raise InputError("`clusters` must be UploadAnalysis.clusters (with a `name` column)")
    out = clusters.drop(columns=["domains"], errors="ignore")  # the IoD's, not the upload's
    if len(out) and simplify:
        out["geometry"] = out.geometry.simplify(simplify, preserve_topology=True)
    out = out.to_crs(4326) if len(out) else out.set_crs(4326, allow_override=True)
    inside = out.geometry.representative_point()
    out["lat"], out["lon"] = inside.y.to_numpy(), inside.x.to_numpy()
    return out


# ----------------------------------------------------------------------------- maps
def matched_map(values: pd.Series, *, label: str, unit_word: str, attribution: str,
                shapes: gpd.GeoDataFrame | None = None, grid: _PositionGrid | None = None,
                places: pd.DataFrame | None = None) -> folium.Map:
    """Where the matched areas are, in one colour (grey where a value is missing): drawn
    before the user has said which end of their indicator is worse, so with no colour scale.

    ``values``: the chosen column of the upload; ``label`` its name (plain text);
    ``unit_word``: the areas in words ("LSOAs"); ``shapes``: the level's display copy
    (EPSG:4326, ``name``), or ``grid``: its stored position grid (more than
    :data:`VECTOR_LIMIT` areas); ``places``: label points (``boundaries.display.load_places``);
    ``attribution``: the control's text (:func:`geo.export.metadata.map_attribution`).
    """
    _check_areas(values.to_frame("value"), ("value",), shapes=shapes, grid=grid)
    kind = pd.Series(np.where(values.notna(), "with a value", "no value"), index=values.index)
    colours = kind.map({"with a value": MATCHED_COLOUR, "no value": NO_DATA_COLOUR})
    m = base_map(bounds=_bounds(values.index, shapes, grid), attribution=attribution,
                 title=f"Map: {label}, the {unit_word} matched")
    if grid is not None:
        m.add_child(_image_layer(grid, colours, name="Your areas", opacity=0.85))
    else:
        m.add_child(_category_layer(shapes, colours, name="Your areas",
                                    tips={label: values}))
    m.add_child(_legend(kind.value_counts(), {"with a value": MATCHED_COLOUR,
                                              "no value": NO_DATA_COLOUR},
                        title=f"{label}: the {unit_word} matched",
                        note="Say which end is worse to colour them by value and test "
                             "for hotspots."))
    return _finish(m, places)


def _values_layer(areas: pd.DataFrame, *, label: str, polarity: str, scheme: str,
                  shapes: gpd.GeoDataFrame | None, grid: _PositionGrid | None,
                  title: str, attribution: str) -> folium.Map:
    """The values as a choropleth (shapes) or a painted image (grid), with their legend."""
    if grid is not None:
        image = paint_lsoa_grid(grid, areas["value"], scheme=scheme, polarity=polarity)
        m = base_map(bounds=image.bounds, title=title, attribution=attribution)
        m.add_child(national_lsoa_overlay(image, name="Your values"))
        add_legend(m, image.classes, polarity=polarity, label=label,
                   note=f"{image.classes.attrs['scheme'].replace('_', ' ')} of "
                        f"{int(image.classes.notna().sum()):,} areas")
        return m
    frame = shapes.loc[areas.index, ["name", "geometry"]].join(  # type: ignore[union-attr]
        areas.drop(columns=[c for c in ("name", "geometry") if c in areas.columns]))
    tips = {c: w for c, w in (("outcome", "Hotspot test"), ("cluster", "Named cluster"),
                              ("rank", "Rank (1 = worst)")) if c in frame.columns}
    return choropleth_map(frame, "value", scheme=scheme, polarity=polarity, label=label,
                          layer_name="Your values", tooltip_fields=tips, title=title,
                          attribution=attribution)


def upload_map(areas: pd.DataFrame, *, label: str, polarity: str, scheme: str, unit_word: str,
               shapes: gpd.GeoDataFrame | None = None, grid: _PositionGrid | None = None,
               clusters: gpd.GeoDataFrame | None = None, places: pd.DataFrame | None = None,
               note: str | None = None, attribution: str) -> folium.Map:
    """The user's values, the hotspot test's outcomes over them and the named clusters.

    Parameters
    ----------
    areas
        :attr:`UploadAnalysis.areas` (``value``; ``outcome`` when hotspots were tested;
        ``cluster``, the name of an area's cluster, when given).
    label, polarity, scheme
        The column's name (plain text), the user's answer, the class scheme.
    unit_word
        The areas in words ("LSOAs").
    shapes, grid, attribution
        As in :func:`matched_map`.
    clusters
        :func:`cluster_shapes` of the named clusters (outlined in purple, named on hover).
    places
        Label points.
    note
        A line under the outcome legend (e.g. the correction, "FDR 5%").

    Returns
    -------
    folium.Map
        Layers "Your values", "Hotspot test" (worse and better clusters tinted; not
        significant and not tested areas left as they are, with the outcome in each tooltip),
        "Named clusters" and "Place names", a layer control and two legends.
    """
    _check_areas(areas, ("value",), shapes=shapes, grid=grid)
    title = f"Map: {label}, your {unit_word}, with the hotspot test"
    m = _values_layer(areas, label=label, polarity=polarity, scheme=scheme,
                      shapes=shapes, grid=grid, title=title, attribution=attribution)
    if "outcome" in areas.columns:
        colours = _outcome_colours(areas["outcome"], OUTCOME_COLOURS)
        if grid is not None:
            m.add_child(_image_layer(grid, colours, name="Hotspot test", opacity=0.75))
        elif colours.notna().any():
            frame = shapes.loc[areas.index, ["name", "geometry"]]  # type: ignore[union-attr]
            m.add_child(hotspot_layer(
                frame, areas["outcome"], name="Hotspot test", outline=clusters is None,
                colours={k: (None if k in QUIET else v) for k, v in OUTCOME_COLOURS.items()},
                details={label: areas["value"]}))
        m.add_child(_legend(areas["outcome"].value_counts(), {k: ("" if k in QUIET else v)
                                                              for k, v in OUTCOME_COLOURS.items()},
                            title="Hotspot test", note=note))
    if clusters is not None and len(clusters):
        national = grid is not None
        m.add_child(cluster_layer(clusters, name="Named clusters", precision=4 if national else 5,
                                  label_top=10 if national else 5,
                                  label_min_zoom=9 if national else 0))
    return _finish(m, places)


def bivariate_map(areas: pd.DataFrame, *, label: str, deprivation: str, unit_word: str,
                  shapes: gpd.GeoDataFrame | None = None, grid: _PositionGrid | None = None,
                  places: pd.DataFrame | None = None, note: str | None = None,
                  attribution: str) -> folium.Map:
    """The bivariate local Moran: where the user's value is worse and deprivation around high.

    Parameters
    ----------
    areas
        :attr:`UploadAnalysis.areas` with ``bv_outcome``.
    label, deprivation
        The column's name and the deprivation measure's label (plain text).
    unit_word, shapes, grid, places, note, attribution
        As in :func:`upload_map`.
    """
    _check_areas(areas, ("value", "bv_outcome"), shapes=shapes, grid=grid)
    outcomes = areas["bv_outcome"].fillna("not tested")
    colours = _outcome_colours(outcomes, OUTCOME_COLOURS, quiet=())
    m = base_map(bounds=_bounds(areas.index, shapes, grid), attribution=attribution,
                 title=f"Map: {label} against {deprivation} around each of your {unit_word}")
    if grid is not None:
        m.add_child(_image_layer(grid, colours, name="Bivariate local Moran", opacity=0.9))
    else:
        m.add_child(_category_layer(shapes, colours, name="Bivariate local Moran",
                                    tips={label: areas["value"], "Result": outcomes}))
    m.add_child(_legend(outcomes.value_counts(), OUTCOME_COLOURS,
                        title=f"{label} and deprivation around", meanings=BIVARIATE_MEANINGS,
                        note=note))
    return _finish(m, places)


# ----------------------------------------------------------------------------- words
def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _count(counts: pd.Series, key: str) -> int:
    return int(counts.get(key, 0))


def hotspot_sentence(outcomes: pd.Series | None, method: Mapping[str, Any], *, label: str,
                     polarity: str, unit_word: str, correction: str, reason: str = "") -> str:
    """What the hotspot test found, over how many areas, and how (or why it was not run).

    ``outcomes`` is ``UploadAnalysis.areas["outcome"]`` (None when nothing was tested),
    ``method`` its ``method["hotspots"]``, ``correction`` the correction in words ("FDR 5%").
    """
    if outcomes is None or reason:
        return f"No hotspots were tested: {reason}"
    counts = outcomes.value_counts()
    not_tested = _count(counts, "not tested")
    end = "higher" if polarity == "higher_worse" else "lower"
    text = (f"Hotspot test of {label} (Getis-Ord Gi*, {int(method['permutations']):,} "
            f"permutations, seed {method['seed']}, {correction}): of the "
            f"{len(outcomes) - not_tested:,} {unit_word} tested, "
            f"{_count(counts, 'worse cluster'):,} are in worse clusters (where {end} values, "
            f"the worse end by your answer, gather) and {_count(counts, 'better cluster'):,} in "
            "better clusters")
    if not_tested:
        text += (f"; {not_tested:,} {'was' if not_tested == 1 else 'were'} not tested (no "
                 f"value, or no neighbour among your {unit_word})")
    return text + "."


def cluster_sentence(clusters: pd.DataFrame | None, *, unit_word: str) -> str:
    """How many named clusters of worse areas, and the largest (``UploadAnalysis.clusters``)."""
    if clusters is None or not len(clusters):
        return f"No named cluster: no group of touching {unit_word} in worse clusters."
    size = "n_lsoas" if "n_lsoas" in clusters.columns else None
    big = clusters.sort_values(size, ascending=False).iloc[0] if size else clusters.iloc[0]
    people = big.get("population")
    extra = (f"{int(big[size]):,} {unit_word}" if size else "") + (
        f", {int(people):,} people" if people is not None and pd.notna(people) else "")
    n = len(clusters)
    return (f"{n} named cluster{'' if n == 1 else 's'} of touching {unit_word} in worse "
            f"clusters (outlined in purple); the largest is {big['name']}"
            + (f" ({extra})." if extra else "."))


def link_sentence(correlations: pd.DataFrame, *, unit_word: str) -> str:
    """The correlation with each index (its first measure: the index itself), in words."""
    if correlations is None or not len(correlations):
        return "There is no deprivation index for these areas, so nothing was correlated."
    heads = (correlations[~correlations["index"].duplicated()] if "index" in correlations
             else correlations.iloc[:1])
    parts = []
    for row in heads.to_dict("records"):
        if not np.isfinite(row["spearman_rho"]):
            parts.append(f"{row['label']}: not computed ({int(row['n']):,} {unit_word} with "
                         "both values, or no variation)")
        else:
            parts.append(f"{row['label']}: Spearman's rho {row['spearman_rho']:+.2f} over "
                         f"{int(row['n']):,} {unit_word} ({_p(row['p'])}), {row['direction']}")
    return "Your values against deprivation: " + "; ".join(parts) + "."


def bivariate_sentence(outcomes: pd.Series | None, *, deprivation: str, unit_word: str,
                       reason: str = "") -> str:
    """What the bivariate local Moran found (``UploadAnalysis.areas["bv_outcome"]``)."""
    if outcomes is None or reason:
        return f"No bivariate map: {reason}"
    counts = outcomes.value_counts()
    return (f"Your values against {deprivation} around each area (bivariate local Moran): "
            f"{_count(counts, 'worse cluster'):,} of your {unit_word} are worse where "
            f"deprivation around them is high; {_count(counts, 'worse outlier'):,} worse where "
            f"it is low; {_count(counts, 'better outlier'):,} better although it is high; "
            f"{_count(counts, 'better cluster'):,} better where it is low.")


def summary_sentence(table: pd.DataFrame, *, parent_word: str, unit_word: str) -> str:
    """The worst parent on average and by its share of areas in the upload's worst tenth."""
    if table is None or not len(table):
        return f"No {parent_word} has one of your {unit_word} with a value."

    def named(row: pd.Series) -> str:
        council = row.get("lad24_name")
        return f"{row['name']}, {council}" if isinstance(council, str) else str(row["name"])

    worst = table.sort_values("average_rank", kind="mergesort").iloc[0]
    most = table.sort_values("share_worst_decile_rank", kind="mergesort").iloc[0]
    n = len(table)
    return (f"{n:,} {parent_word}{' has' if n == 1 else 's have'} your values. Worst on average: "
            f"{named(worst)} "
            f"({format_value(worst['average'])} over {int(worst['n_areas']):,} {unit_word}); "
            f"the largest share of its {unit_word} in your worst tenth: {named(most)} "
            f"({most['share_worst_decile']:.0%} of {int(most['n_areas']):,}).")


def council_sentence(councils: pd.DataFrame, *, unit_word: str) -> str:
    """The worst and best councils of a council upload, and those worse than every
    statistical neighbour with a value (``UploadAnalysis.councils``)."""
    ranked = councils.dropna(subset=["rank"]).sort_values("rank", kind="mergesort")
    if ranked.empty:
        return f"No {unit_word[:-1]} has a value to rank."
    worst, best = ranked.iloc[0], ranked.iloc[-1]
    compared = councils[councils["neighbours_with_value"].fillna(0) > 0]
    beyond = compared[compared["worse_than"] == compared["neighbours_with_value"]]
    text = (f"Worst of {len(ranked):,} {unit_word}: {worst['name']} "
            f"({format_value(worst['value'])}); best: {best['name']} "
            f"({format_value(best['value'])}). " + (f"{len(beyond):,} of the {len(compared):,} "
            f"compared {'is' if len(beyond) == 1 else 'are'} worse than every statistical "
            "neighbour with a value" if len(compared) else "None has a statistical neighbour "
            "with a value to compare with"))
    names = [str(n) for n in beyond.sort_values("rank")["name"].head(3)]
    return text + (f" (such as {', '.join(names)})." if names else ".")
