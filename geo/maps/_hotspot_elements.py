"""The drawing behind :mod:`geo.maps.hotspots` (private names): hotspots, clusters, legends.

- :data:`HOTSPOT_COLOURS`: one colour per hotspot or cluster label, matched on a normalised key;
- :func:`_hotspot_fill`: labels aligned with the areas, their keys and fill colours;
- :func:`_hotspot_areas`: significant areas tinted over a choropleth, with tooltips, and the
  outlines of touching areas that share a label;
- :func:`_dissolve_by` and :func:`_cluster_outlines`: named clusters dissolved at display
  precision, outlined in an SVG pane that lets clicks through, the largest labelled;
- :func:`_hotspot_legend_html`: the legend rows of the labels present, worse first.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo._errors import InputError, format_codes
from geo.maps.classes import normalise_key
from geo.maps.elements import _bounds_latlon, _features_json, _PermanentLabels, _VectorLayer
from geo.maps.text import format_value

__all__ = ['HOTSPOT_COLOURS']


#: Colours of hotspot and cluster labels (normalised label -> colour); ColorBrewer RdBu for
#: clusters (red worse, blue better, darker = more confident) and PuOr's orange and purple for
#: outliers, distinguishable with the common colour-vision deficiencies. ``None`` = not drawn.
#: The outcome words (``"worse cluster 99%"``, :func:`geo.maps.hotspots.outcome_labels`) come
#: first; the methods' own words (Gi*'s "hot spot 99%", local Moran's "High-High") still draw.
HOTSPOT_COLOURS: dict[str, str | None] = {
    "worse_cluster_99": "#b2182b",
    "worse_cluster_95": "#d6604d",
    "worse_cluster_90": "#f4a582",
    "worse_cluster": "#b2182b",
    "worse_outlier_99": "#e08214",
    "worse_outlier_95": "#e08214",
    "worse_outlier_90": "#fdb863",
    "worse_outlier": "#e08214",
    "better_outlier_99": "#8073ac",
    "better_outlier_95": "#8073ac",
    "better_outlier_90": "#b2abd2",
    "better_outlier": "#8073ac",
    "better_cluster_99": "#2166ac",
    "better_cluster_95": "#4393c3",
    "better_cluster_90": "#92c5de",
    "better_cluster": "#2166ac",
    "hot_spot": "#b2182b",
    "hot_spot_99": "#b2182b",
    "hot_spot_95": "#d6604d",
    "hot_spot_90": "#f4a582",
    "cold_spot": "#2166ac",
    "cold_spot_99": "#2166ac",
    "cold_spot_95": "#4393c3",
    "cold_spot_90": "#92c5de",
    "high_high": "#b2182b",
    "low_low": "#2166ac",
    "high_low": "#f4a582",
    "low_high": "#92c5de",
    "not_significant": None,
    "ns": None,
    "not_tested": None,
    "island_not_tested": None,
    "no_data_not_tested": None,
}

#: Legend order, worse first: outcome words, then the methods' words, then the rest.
_LEGEND_ORDER = ("worse_cluster", "worse_outlier", "better_outlier", "better_cluster",
                 "hot_spot", "high_high", "high_low", "low_high", "cold_spot", "low_low",
                 "not_significant", "ns", "not_tested", "island_not_tested",
                 "no_data_not_tested")


def _legend_rank(label: str) -> tuple[int, int, str]:
    """Where a label goes in a legend: worse first, the most confident first within a kind."""
    key = _hotspot_key(label)
    for i, stem in enumerate(_LEGEND_ORDER):
        if key == stem or key.startswith(stem + "_"):
            level = key.removeprefix(stem).strip("_")
            return i, -int(level) if level.isdigit() else 0, label
    return len(_LEGEND_ORDER), 0, label


def _hotspot_key(label: Any) -> str:
    key = normalise_key(str(label)).replace("%", "").replace("*", "")
    key = key.replace("(", "").replace(")", "").replace(",", "").replace(".", "")
    while "__" in key:
        key = key.replace("__", "_")
    return key.strip("_")


def _dissolve_by(
    gdf: gpd.GeoDataFrame, groups: pd.Series, *, precision: int, simplify: float | None = None
) -> gpd.GeoDataFrame:
    """One (multi)polygon per group: the union of its areas, snapped to the display precision.

    ``groups`` is indexed like ``gdf`` (NaN = not in any group). Returns a frame indexed by
    group key, in the CRS of ``gdf``, with a representative point (``lat``, ``lon``) for labels.
    """
    keys = groups.reindex(gdf.index)
    keep = keys.notna().to_numpy()
    rows, index = [], []
    grid = 10.0**-precision
    for key, positions in pd.Series(np.flatnonzero(keep)).groupby(keys[keep].to_numpy()):
        geoms = np.asarray(gdf.geometry.values)[positions.to_numpy()]
        merged = shapely.union_all(geoms, grid_size=grid)
        if simplify:
            merged = shapely.simplify(merged, simplify, preserve_topology=True)
        point = shapely.point_on_surface(merged)
        rows.append({"geometry": merged, "lat": point.y, "lon": point.x})
        index.append(key)
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs=gdf.crs,
                           columns=["geometry", "lat", "lon"])
    out.index = pd.Index(index, name="group")
    return out


def _hotspot_areas(
    group: Any, gdf: gpd.GeoDataFrame, labels: pd.Series, keys: pd.Series, fill: pd.Series, *,
    name: str, details: Mapping[str, pd.Series] | None, outline: bool, precision: int,
) -> Any:
    """Add the tinted hotspot areas (with tooltips) and, optionally, the outlines of each
    label's contiguous groups to ``group`` (see :func:`geo.maps.hotspots.hotspot_layer`)."""
    drawn = fill.notna()
    sel = gdf.loc[drawn]
    props = pd.DataFrame({"code": sel.index.astype(str)}, index=sel.index)
    names = sel["name"] if "name" in sel.columns else sel.index.to_series()
    props["name"] = [html.escape(f"{n} ({c})") for n, c in zip(names, sel.index, strict=True)]
    props["label"] = [html.escape(str(v)) for v in labels.loc[drawn]]
    fields, aliases = ["name", "label"], ["Area", "Result"]
    for i, (alias, series) in enumerate((details or {}).items()):
        props[f"d{i}"] = [html.escape(format_value(v)) for v in series.reindex(sel.index)]
        fields.append(f"d{i}")
        aliases.append(html.escape(str(alias)))
    props["_fill"] = fill.loc[drawn].to_numpy()
    group.add_child(
        _VectorLayer(
            _features_json(sel, props, precision=precision),
            _bounds_latlon(sel),
            name=f"{name} areas",
            # a light tint: the choropleth underneath stays readable
            base_style={"stroke": False, "fillOpacity": 0.3},
            hover_style={"stroke": True, "color": "#000000", "weight": 2, "opacity": 1},
            tooltip_fields=fields,
            tooltip_aliases=aliases,
            control=False,
        )
    )
    if outline:
        parts = []
        for key, colour in fill.loc[drawn].groupby(keys.loc[drawn]).first().items():
            geoms = sel.geometry[keys.loc[drawn] == key]
            # snap to the display precision so edges shared up to rounding dissolve
            merged = shapely.union_all(np.asarray(geoms.values), grid_size=10.0**-precision)
            for poly in getattr(merged, "geoms", [merged]):
                parts.append({"key": key, "_line": colour, "geometry": poly})
        clusters = gpd.GeoDataFrame(parts, geometry="geometry", crs=gdf.crs)
        clusters.index = pd.Index([f"cluster_{i}" for i in range(len(clusters))], name="cluster")
        data = _features_json(clusters, clusters[["key", "_line"]], precision=precision)
        # a white casing under the coloured outline keeps it visible over any fill colour
        casing = None
        for style in (
            {"color": "#ffffff", "weight": 6, "opacity": 0.9, "fill": False},
            {"weight": 3, "opacity": 1, "fill": False},
        ):
            layer = _VectorLayer(
                data if casing is None else "", _bounds_latlon(clusters),
                name=f"{name} clusters", base_style=style, hover_style=None,
                interactive=False, control=False, data_of=casing,
            )
            layer.use_line_property = "color" not in style
            group.add_child(layer)
            casing = layer
    return group


def _cluster_outlines(
    group: Any, shapes: gpd.GeoDataFrame, info: pd.DataFrame, *, name: str, colour: str,
    precision: int, label_top: int, label_min_zoom: float = 0,
) -> Any:
    """Add dissolved cluster outlines (white casing, coloured line with a tooltip, in an SVG
    pane) and permanent labels of the ``label_top`` most populous clusters to ``group``."""
    props = pd.DataFrame(index=shapes.index)
    props["name"] = [html.escape(str(v)) for v in info["name"]]
    fields, aliases = ["name"], ["Cluster"]
    for column, alias, unit in (("n_lsoas", "Neighbourhoods", ""),
                                ("population", "People", ""), ("domains", "Domains", "")):
        if column in info.columns:  # (no small-area population for Scotland's data zones)
            props[column] = [html.escape(format_value(v, unit)) if pd.notna(v) or
                             column != "population" else "not known here" for v in info[column]]
            fields.append(column)
            aliases.append(alias)
    data = _features_json(shapes, props, precision=precision)
    bounds = _bounds_latlon(shapes)
    casing = _VectorLayer(
        data, bounds, name=f"{name} casing", control=False, interactive=False, hover_style=None,
        base_style={"color": "#ffffff", "weight": 5, "opacity": 0.85, "fill": False},
        pane="oppmapClusters",
    )
    group.add_child(casing)
    group.add_child(_VectorLayer(
        "", bounds, name=name, control=False, pane="oppmapClusters", data_of=casing,
        base_style={"color": colour, "weight": 2.5, "opacity": 1, "fill": False},
        hover_style={"weight": 5}, tooltip_fields=fields, tooltip_aliases=aliases,
    ))
    if label_top > 0:
        order = info["population"] if "population" in info.columns else info.index.to_series()
        top = order.sort_values(ascending=False, kind="mergesort").index[:label_top]
        group.add_child(_PermanentLabels(
            [(shapes.at[c, "lat"], shapes.at[c, "lon"], info.at[c, "name"]) for c in top],
            min_zoom=label_min_zoom,
        ))
    return group


def _hotspot_legend_html(labels: pd.Series, *, title: str, note: str | None) -> str:
    """Legend rows of the labels present (escaped), worse first, with counts: coloured rows
    for the significant ones, then the areas not significant and not tested (never left out:
    "0 hot spots" and "not tested" are different answers)."""
    counts = labels.dropna().astype(str).value_counts()
    rows = [f"<div style='font-weight:600;margin-bottom:3px'>{html.escape(title)}</div>"]
    shown = 0
    for label in sorted(counts.index, key=_legend_rank):
        n = int(counts[label])
        colour = HOTSPOT_COLOURS.get(_hotspot_key(label), "")
        box = (f"background:{colour};opacity:.6;border:2px solid {colour}" if colour
               else "background:transparent")
        rows.append(f"<div><i style='{box}'></i>{html.escape(label)} "
                    f"<span style='color:#666'>({n:,})</span></div>")
        shown += bool(colour)
    if not shown:
        rows.insert(1, "<div>no significant area here</div>")
    if note:
        rows.append(f"<div style='margin-top:3px;color:#444'>{html.escape(note)}</div>")
    return "".join(rows)


def _hotspot_fill(
    gdf: gpd.GeoDataFrame, labels: Any, colours: Mapping[str, str | None] | None
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Labels in ``gdf``'s order, their normalised keys and fill colours (None = not drawn),
    refusing misaligned labels and labels without a colour."""
    if not isinstance(labels, pd.Series):
        msg = f"`labels` must be a pandas Series indexed like `gdf`; got {type(labels).__name__}."
        raise InputError(msg)
    missing = gdf.index.difference(labels.index)
    extra = labels.index.difference(gdf.index)
    if len(missing) or len(extra) or not labels.index.is_unique:
        msg = (
            "`labels` must be indexed exactly like `gdf` (one label per area): "
            f"{len(missing)} areas lack a label ({format_codes(missing)}), "
            f"{len(extra)} labels have no area ({format_codes(extra)}). Reindex them first."
        )
        raise InputError(msg)
    palette_map = dict(HOTSPOT_COLOURS)
    if colours:
        palette_map.update({_hotspot_key(k): v for k, v in colours.items()})
    labels = labels.reindex(gdf.index)
    keys = labels.map(lambda v: "not_significant" if pd.isna(v) else _hotspot_key(v))
    unknown = sorted(set(keys) - set(palette_map))
    if unknown:
        msg = (
            f"`labels` has values without a colour: {unknown}; known: {sorted(palette_map)}. "
            "Pass `colours={label: '#rrggbb' or None}`."
        )
        raise InputError(msg)
    return labels, keys, keys.map(palette_map)
