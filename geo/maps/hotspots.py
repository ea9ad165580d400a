"""Hotspot and cluster layers for a choropleth, and their legends.

- :func:`hotspot_layer`: the areas a local statistic found significant (Gi* hot and cold
  spots, local Moran quadrants), tinted by label over the choropleth, with the outlines of
  touching areas that share a label; :func:`add_hotspot_legend` lists the labels present;
- :func:`outcome_labels`: what a run says about each area in the words of its outcome and
  confidence ("worse cluster 99%"), the labels these layers and legends draw;
- :func:`cluster_outlines` (cacheable) and :func:`cluster_layer`: named clusters dissolved,
  outlined in purple over the map (hovering one names it; clicks reach the areas beneath) and
  the largest labelled on the map.

Areas are drawn and counted by their outcome (``"worse cluster"``, ``"better outlier"``, ...:
:data:`geo.stats.outcome.OUTCOMES`) and confidence, legends worse first; the method's own words
("hot spot 95%", "High-High") stay in the tooltip as detail. Cluster membership is read by the
one reader, :func:`geo.stats.clusters.cluster_members` (re-exported here).
"""

from __future__ import annotations

from collections.abc import Mapping

import folium
import geopandas as gpd
import pandas as pd

from geo._errors import InputError
from geo.maps._hotspot_elements import (
    _cluster_outlines,
    _dissolve_by,
    _hotspot_areas,
    _hotspot_fill,
    _hotspot_legend_html,
)
from geo.maps._legend import _Legend
from geo.maps._safe import inert_name
from geo.maps.elements import (
    _check_gdf,
)
from geo.stats.clusters import cluster_members
from geo.stats.outcome import LEVELS, NOT_SIGNIFICANT, NOT_TESTED, OUTCOMES

__all__ = ['hotspot_layer', 'add_hotspot_legend', 'CLUSTER_COLOUR', 'cluster_members',
           'cluster_outlines', 'cluster_layer', 'outcome_labels']


def outcome_labels(outcome: pd.Series, bins: pd.Series | None = None) -> pd.Series:
    """Each area's outcome with its confidence, the words maps and legends draw.

    Parameters
    ----------
    outcome
        One of :data:`geo.stats.outcome.OUTCOMES` per area (missing: ``"not tested"``).
    bins
        The run's ``bin`` (-3..3, ArcGIS style, by polarity): its strength gives the
        confidence (3 = 99%, 2 = 95%, 1 = 90%); without it the outcome alone.

    Returns
    -------
    pandas.Series
        Indexed like ``outcome``: ``"worse cluster 99%"``, ``"better outlier 90%"``,
        ``"not significant"``, ``"not tested"``.

    Raises
    ------
    InputError
        A value that is not an outcome.

    Examples
    --------
    >>> outcome_labels(pd.Series(["worse cluster", "not significant"]), pd.Series([3, 0])).tolist()
    ['worse cluster 99%', 'not significant']
    """
    words = outcome.astype(object).where(outcome.notna(), NOT_TESTED).astype(str)
    unknown = sorted(set(words) - set(OUTCOMES))
    if unknown:
        msg = f"`outcome` has values that are not outcomes: {unknown}; valid: {list(OUTCOMES)}."
        raise InputError(msg)
    if bins is None:
        return words
    confidence = {b: c for _, c, b in LEVELS}
    strength = pd.to_numeric(bins.reindex(words.index), errors="coerce").abs()
    level = strength.map(lambda b: confidence.get(int(b)) if pd.notna(b) else None)
    significant = ~words.isin([NOT_SIGNIFICANT, NOT_TESTED]) & level.notna()
    out = words.copy()
    out[significant] = [f"{w} {int(c)}%" for w, c in zip(words[significant], level[significant],
                                                          strict=True)]
    return out


def hotspot_layer(
    gdf: gpd.GeoDataFrame,
    labels: pd.Series,
    *,
    name: str = "Hotspots",
    colours: Mapping[str, str | None] | None = None,
    details: Mapping[str, pd.Series] | None = None,
    outline: bool = True,
    precision: int = 5,
    show: bool = True,
) -> folium.FeatureGroup:
    """Significant hotspots or clusters: coloured areas plus outlines of contiguous clusters.

    Parameters
    ----------
    gdf
        Display copy in EPSG:4326 of the analysed areas, indexed by code (names in ``name``).
    labels
        One label per area, indexed like ``gdf`` (e.g. ``"hot spot"``, ``"cold spot"``,
        ``"not significant"`` from Gi*, or ``"High-High"``, ``"Low-Low"``, ``"High-Low"``,
        ``"Low-High"``, ``"not significant"`` from local Moran). Labels are matched on a
        normalised key (case, spaces, hyphens, "%" ignored): see :data:`HOTSPOT_COLOURS`.
    name
        Layer name.
    colours
        Label -> colour overrides (``None`` = do not draw).
    details
        Extra tooltip lines: label -> Series indexed like ``gdf`` (e.g. ``{"z": z, "q (FDR)": q}``).
    outline
        Draw the outline of each cluster (touching areas with the same label, dissolved).
    precision
        Coordinate decimals.
    show
        Whether the layer is on when the map opens.

    Returns
    -------
    folium.FeatureGroup
        Add it to a map from :func:`choropleth_map` (and a ``folium.LayerControl``).

    Raises
    ------
    InputError
        Labels not indexed like ``gdf``, or an unknown label without a colour.

    Examples
    --------
    >>> fg = hotspot_layer(lsoas, labels)  # doctest: +SKIP
    """
    _check_gdf(gdf)
    labels, keys, fill = _hotspot_fill(gdf, labels, colours)
    drawn = fill.notna()
    group = folium.FeatureGroup(name=inert_name(name), overlay=True, show=show)
    if not drawn.any():
        return group
    return _hotspot_areas(group, gdf, labels, keys, fill, name=name, details=details,
                          outline=outline, precision=precision)


def add_hotspot_legend(
    m: folium.Map, labels: pd.Series, *, title: str = "Hotspots", note: str | None = None,
    position: str = "topright",
) -> folium.Map:
    """Add a legend of the hotspot or cluster labels present in ``labels`` (with counts).

    Parameters
    ----------
    m
        The map (modified in place and returned).
    labels
        The labels given to :func:`hotspot_layer`.
    title, note
        Legend title and an optional line under it (both escaped), e.g. "FDR 5%".
    position
        Leaflet control position.

    Returns
    -------
    folium.Map

    Examples
    --------
    >>> from geo.maps.choropleth import base_map
    >>> _ = add_hotspot_legend(base_map(attribution="x"), pd.Series(["hot spot 95%", "not significant"]))
    """
    m.add_child(_Legend(_hotspot_legend_html(labels, title=title, note=note), position=position))
    return m


#: Outline colour of named clusters (ColorBrewer PuOr's darkest purple: apart from the
#: red/blue of hot and cold spots and from every choropleth palette's darkest colour).
CLUSTER_COLOUR = "#542788"


def cluster_outlines(
    gdf: gpd.GeoDataFrame,
    clusters: pd.DataFrame,
    *,
    precision: int = 5,
    simplify: float | None = None,
) -> gpd.GeoDataFrame:
    """One outline per named cluster: its areas dissolved (cacheable input of :func:`cluster_layer`).

    Parameters
    ----------
    gdf
        Display copy in EPSG:4326 of the areas, indexed by code. Clusters are drawn from the
        members found here (the rest of a cluster beyond ``gdf`` is left out).
    clusters
        Indexed by cluster id, with ``name`` and ``lsoa_codes`` (``";"``-joined member codes)
        and optionally ``n_lsoas``, ``population``, ``domains`` (the store's ``clusters``
        table, see :func:`geo.stats.clusters.hotspot_clusters`).
    precision
        Coordinate decimals the areas are snapped to before dissolving (4 is about 10 m).
    simplify
        Optional simplification tolerance in degrees for national views (e.g. 0.0005).

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, indexed by cluster id (those with a member in ``gdf``, none when ``gdf`` is
        empty): the columns of ``clusters`` except ``lsoa_codes``, ``lat`` / ``lon`` of a
        point inside (for labels) and the geometry.

    Raises
    ------
    InputError
        ``clusters`` without ``name`` or ``lsoa_codes``, or an area in two clusters.

    Examples
    --------
    >>> outlines = cluster_outlines(lsoas, geo.load_indicators("clusters"))  # doctest: +SKIP
    """
    if len(gdf):  # no area of any cluster here: no outline
        _check_gdf(gdf)
    owner = cluster_members(clusters)
    shapes = _dissolve_by(gdf, owner, precision=precision, simplify=simplify)
    info = clusters.loc[shapes.index].drop(columns="lsoa_codes")
    out = gpd.GeoDataFrame(info.join(shapes), geometry="geometry", crs=gdf.crs)
    out.index.name = clusters.index.name or "cluster_id"
    return out


def cluster_layer(
    outlines: gpd.GeoDataFrame,
    *,
    name: str = "Named clusters",
    colour: str = CLUSTER_COLOUR,
    precision: int = 5,
    label_top: int = 5,
    label_min_zoom: float = 0,
    show: bool = True,
) -> folium.FeatureGroup:
    """Named clusters outlined, with their name in a tooltip and on the map for the largest.

    The outlines are drawn in an SVG pane over the canvas, so hovering one shows the
    cluster's name, size, people and domains while the areas underneath stay clickable.

    Parameters
    ----------
    outlines
        From :func:`cluster_outlines`.
    name
        Layer name.
    colour
        Outline colour.
    precision
        Coordinate decimals.
    label_top
        How many clusters (most people first) are also named on the map (0 for none).
    label_min_zoom
        Zoom level from which those names show (e.g. 9 on a national map, where they overlap).
    show
        Whether the layer is on when the map opens.

    Returns
    -------
    folium.FeatureGroup
        Empty when ``outlines`` is.

    Examples
    --------
    >>> fg = cluster_layer(cluster_outlines(lsoas, clusters))  # doctest: +SKIP
    """
    if not isinstance(outlines, gpd.GeoDataFrame) or "name" not in outlines.columns:
        msg = "`outlines` must be the GeoDataFrame of cluster_outlines() (with a `name` column)."
        raise InputError(msg)
    group = folium.FeatureGroup(name=inert_name(name), overlay=True, show=show)
    if outlines.empty:
        return group
    _check_gdf(outlines, name="outlines")
    return _cluster_outlines(group, outlines, outlines, name=name, colour=colour,
                             precision=precision, label_top=label_top,
                             label_min_zoom=label_min_zoom)
