"""The view of one council's small areas: the map, table and sentences a page shows.

For any council of Great Britain (:func:`council_view_data` then :func:`council_view`): its
small areas on its own nation's index (LSOAs in England and Wales, data zones in Scotland,
:mod:`geo.council_areas`), classed among the nation's areas or the council's, the hotspots of a
run's role on the nation's national run judged over the council
(:func:`geo.analysis.place_hotspots`, as ``python -m geo hotspots --within``), drawn and
counted by outcome (worse cluster, better cluster, worse outlier, ...) with the method's own
label as detail, and the nation's named clusters reaching it. Northern Ireland has no
small-area boundaries in the mirror: its councils get that sentence instead of a map.

:func:`view_data` and :func:`council_view` are pure (tests pass small frames);
:func:`council_view_data` reads the store. Nothing here imports Streamlit.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import folium
import geopandas as gpd
import pandas as pd

import boundaries
import boundaries.display
from geo._errors import InputError
from geo.council_areas import (
    AREA_WORDS,
    OWN_DECILE,
    PLACE_WORDS,
    area_indicator,
    council_areas,
    map_attribution_of,
    no_small_areas_text,
)
from geo.council_hotspots import (
    CLUSTER_COLUMN,
    NATIONS,
    cluster_names,
    cluster_sentence,
    cluster_words,
    load_clusters,
    nation_indicator,
    outcome_counts,
)
from geo.councils import council_level, load_councils
from geo.data.indicators import indicator_meta, load_indicators
from geo.data.nations import index_of_nation, index_spec
from geo.maps.choropleth import choropleth_map
from geo.maps.classes import MissingValuesWarning
from geo.maps.frame import place_labels
from geo.maps.hotspots import (
    add_hotspot_legend,
    cluster_layer,
    cluster_members,
    cluster_outlines,
    hotspot_layer,
    outcome_labels,
)
from geo.maps.text import describe_values, map_table
from geo.methodology import METHODS, correction_words, place_method_text, stored_parameters
from geo.stats.runs import hotspot_run_id, parse_hotspot_run_id

__all__ = ["MAP_INDICATOR", "view_data", "council_view_data", "council_view"]

#: The small-area indicator of the pages' default neighbourhood map and the pack's map: each
#: area's decile on its own nation's index.
MAP_INDICATOR = OWN_DECILE


def view_data(areas: gpd.GeoDataFrame, values: pd.Series, *, place: Mapping[str, str],
              indicator: Mapping[str, Any], owner: pd.Series, level: str | None = "lsoa21",
              hotspots: Mapping[str, Any] | None = None, reference: pd.Series | None = None,
              places: pd.DataFrame | None = None, note: str | None = None,
              attribution: str | None = None) -> dict[str, Any]:
    """What :func:`council_view` draws for one council's small areas, checked (picklable).

    Parameters
    ----------
    areas
        The council's small areas (display copy, EPSG:4326) by code, with ``name`` and
        ``ward`` (:func:`geo.council_areas.council_areas`); empty in a nation without small
        areas (Northern Ireland).
    values
        The indicator shown, by area code.
    place
        ``code``, ``name`` and ``country`` (letter) of the council.
    indicator
        ``id``, ``label``, ``unit`` and ``polarity`` of the indicator shown (the nation's own
        where the one asked for does not cover the nation: ``note`` says so).
    owner
        Area code -> named cluster (:func:`geo.council_hotspots.cluster_names`).
    level
        The areas' level (``lsoa21``, ``dz11``; None without small areas).
    hotspots
        With a hotspot run: ``run`` (``method``, ``name``, ``short``, ``statistic``),
        ``results`` (the council's areas judged on the national reference, by code: ``label``,
        ``outcome``, ``bin``, ``statistic``, ``q``), ``params``, ``n_tested``, ``nation`` and,
        for the clusters' run, ``outlines`` of the named clusters reaching the council and
        their ``words``; or ``{"reason": ...}`` when the place has none.
    reference
        The indicator over every area of the council's nation: the classes of
        :func:`council_view` with ``classes="national"`` (so maps of councils compare).
    places
        Label points around the council (:func:`boundaries.display.load_places`).
    note
        Why the indicator shown is not the one asked for, or None.
    attribution
        The map's attribution control (:func:`geo.council_areas.map_attribution_of` of what
        it draws); default the indicator's and the level's sources.

    Returns
    -------
    dict
        ``status`` ("ok", "no_small_areas", "no_values"), ``message`` (what to tell the reader
        when not "ok"), ``place``, ``indicator``, ``hotspots``, ``level``, ``area_words``,
        ``note`` and ``frame``: the areas with ``value``, ``cluster`` and, with a run,
        ``label``, ``outcome``, ``bin``, ``shown`` (outcome and confidence), ``statistic``,
        ``q``.
    """
    words = AREA_WORDS.get(str(level), "areas")
    out: dict[str, Any] = {"status": "ok", "message": None, "place": dict(place),
                           "indicator": dict(indicator), "hotspots": None, "frame": None,
                           "reference": reference, "places": places, "level": level,
                           "area_words": words, "note": note, "attribution": attribution}
    if areas.empty:
        out.update(status="no_small_areas",
                   message=no_small_areas_text(place["name"], place["country"]))
        return out
    frame = areas[["name", "ward", "geometry"]].join(values.rename("value"))
    if frame["value"].notna().sum() == 0:
        out.update(status="no_values", message=(
            f"{indicator['label']} has no value for any of the {words} of {place['name']}."))
        return out
    frame["cluster"] = owner.reindex(frame.index).fillna("none")
    if hotspots is not None and hotspots.get("results") is not None:
        results = hotspots["results"][["label", "outcome", "bin", "statistic", "q"]]
        frame = frame.join(results)
        frame["outcome"] = frame["outcome"].astype(object).where(frame["outcome"].notna(),
                                                                 "not tested")
        frame["shown"] = outcome_labels(frame["outcome"], frame["bin"])
        out["hotspots"] = {k: v for k, v in hotspots.items() if k != "results"}
    elif hotspots is not None:
        out["hotspots"] = dict(hotspots)
    out["frame"] = frame
    return out


def _place_run(code: str, run: str, *, letter: str, level: str) -> dict[str, Any]:
    """A council's hotspots of ``run``'s role on its nation's national run (the council's
    areas judged as one family) and, for the clusters' run, the named clusters reaching it."""
    from geo.analysis.places import place_hotspots

    method, column = parse_hotspot_run_id(run)
    indicator = nation_indicator(run, letter)
    found = place_hotspots(code, indicator=indicator, method=method, robust=False,
                           clusters=column == CLUSTER_COLUMN)
    if not found["covered"]:
        return {"reason": found["reason"]}
    label = str(indicator_meta(indicator)["label"])
    words = METHODS[method]
    params = stored_parameters()
    out: dict[str, Any] = {
        "run": {"id": hotspot_run_id(method, indicator.split(".", 1)[1]), "method": method,
                "name": f"{label}, {words['outcomes']}", "short": f"{label} ({words['tag']})",
                "statistic": words["statistic"]},
        "results": found["table"].set_index("code"), "params": params,
        "n_tested": len(found["table"]), "nation": found["nation"], "outlines": None,
        "words": None}
    clusters = found["clusters"]
    if clusters is not None:
        everywhere = boundaries.load(level, display="council")
        members = everywhere.loc[everywhere.index.isin(cluster_members(clusters).index),
                                 ["geometry"]]
        info = clusters if clusters.attrs.get("population_known", True) else clusters.assign(
            population=float("nan"))
        out["outlines"] = cluster_outlines(members, info)
        out["words"] = cluster_words(clusters, params=params)
    return out


def council_view_data(code: str, indicator: str, *, run: str | None = None) -> dict[str, Any]:
    """:func:`view_data` of a council in the store on its nation's own index, with the run of
    ``run``'s role on its nation's national run (or none).

    Raises
    ------
    InputError
        Unknown council (with the closest), indicator or run.
    StoreError
        A store without the tables, or without the hotspot parameters (rebuild it).
    """
    councils = load_councils()
    council_level(councils, code)
    place = {"code": code, "name": str(councils.at[code, "name"]),
             "country": str(councils.at[code, "country"])}
    areas, level = council_areas(code, councils)
    if level is None:
        return view_data(areas, pd.Series(dtype=float), place=place, level=None,
                         indicator={"id": indicator}, owner=pd.Series(dtype=object))
    shown, note = area_indicator(indicator, place["country"])
    meta = indicator_meta(shown)
    values = load_indicators(shown)[shown]
    clusters = load_clusters(index_of_nation(place["country"]))
    hotspots = None if run is None else _place_run(code, run, letter=place["country"],
                                                   level=level)
    everywhere = boundaries.load(level, display="council")
    nation = everywhere.index[everywhere["country"] == place["country"]]
    drawn = [shown, index_spec(index_of_nation(place["country"])).get("cluster_table", "")]
    if hotspots is not None and "run" in hotspots:
        drawn.append(nation_indicator(run, place["country"]))  # type: ignore[arg-type]
    return view_data(areas, values, place=place, level=level, indicator={
                         "id": shown, **{k: meta[k] for k in ("label", "unit", "polarity")}},
                     owner=cluster_names(clusters), hotspots=hotspots,
                     reference=values.reindex(nation).dropna(), places=_places_around(areas),
                     note=note, attribution=map_attribution_of(drawn, levels=[level]))


def _places_around(areas: gpd.GeoDataFrame, margin: float = 0.1) -> pd.DataFrame | None:
    """The stored label points within the council's bounds (and ``margin`` degrees)."""
    if areas.empty:
        return None
    west, south, east, north = areas.total_bounds
    pts = boundaries.display.load_places()
    pts = pts[pts["level"] != "utla24"]  # districts and unitaries name the land, and places
    return pts[pts["lon"].between(west - margin, east + margin)
               & pts["lat"].between(south - margin, north + margin)].reset_index(drop=True)


def council_view(data: Mapping[str, Any], *, scheme: str = "quantiles",
                 label_top: int = 5, classes: str = "national") -> dict[str, Any]:
    """The map, table and sentences of one council's small areas, from :func:`view_data`.

    ``classes="national"`` classes the council's areas among every area of its nation (the
    ``reference`` of :func:`view_data`), so that maps of two councils of one nation compare;
    ``"council"`` classes them among themselves. Deciles always have a class each.

    Returns
    -------
    dict
        ``status``, ``name``, ``message`` and ``note`` as in :func:`view_data`; when "ok"
        also ``map`` (folium), ``table`` (the map as a table, with ward and, with a run, the
        outcome, the method's label, the bin and the cluster), ``sentence`` (the values in one
        sentence), ``counts`` (the run's outcomes here), ``caption`` (the run's method and
        counts), ``clusters`` (a sentence on the named clusters, for the clusters' run),
        ``label`` and ``frame``.
    """
    name, meta = data["place"]["name"], data["indicator"]
    out = {"status": data["status"], "name": name, "message": data["message"], "map": None,
           "table": None, "sentence": None, "counts": None, "caption": None,
           "clusters": None, "label": meta.get("label"), "frame": data["frame"],
           "note": data.get("note"), "area_words": data.get("area_words", "areas")}
    if data["status"] != "ok":
        return out
    if classes not in ("national", "council"):
        msg = f"`classes` must be 'national' or 'council'; got {classes!r}."
        raise InputError(msg)
    m, table = _choropleth(data, scheme=scheme, classes=classes)
    frame = data["frame"]
    out["sentence"] = describe_values(frame["value"], label=meta["label"], unit=meta["unit"],
                                      polarity=meta["polarity"], names=frame["name"],
                                      area_word=f"{out['area_words']} in {name}")
    if data.get("places") is not None:
        m.add_child(place_labels(data["places"]))
    if data["hotspots"] is not None and "run" in data["hotspots"]:
        out.update(_add_run(m, table, frame, data["hotspots"], place=data["place"],
                            area_words=out["area_words"], label_top=label_top))
    elif data["hotspots"] is not None:
        out["caption"] = out["counts"] = str(data["hotspots"]["reason"])
    out.update(map=m, table=table)
    return out


def _choropleth(data: Mapping[str, Any], *, scheme: str, classes: str
                ) -> tuple[folium.Map, pd.DataFrame]:
    """The council's areas classed (within the nation or the council) and their table."""
    meta, frame, place = data["indicator"], data["frame"], data["place"]
    reference = data.get("reference") if classes == "national" else None
    scheme = "categories" if meta["unit"] == "decile" else scheme
    nation = NATIONS.get(place["country"], place["country"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingValuesWarning)  # counted in the sentence
        warnings.filterwarnings("ignore", "`values` has .* so scheme", UserWarning)  # legend
        m = choropleth_map(frame, "value", scheme=scheme, polarity=meta["polarity"],
                           label=meta["label"], unit=meta["unit"],
                           layer_name=data.get("area_words", "areas"),
                           tooltip_fields={"ward": PLACE_WORDS.get(str(data.get("level")),
                                                                   "Ward"),
                                           "cluster": "Named cluster"},
                           reference=reference, attribution=data.get("attribution") or
                           map_attribution_of([str(meta["id"])], levels=[str(data["level"])]),
                           classes_of=f"{nation}'s {data.get('area_words', 'areas')}",
                           title=f"Map: {meta['label']} by neighbourhood, {place['name']}")
        table = map_table(frame, "value", scheme=scheme, unit=meta["unit"], reference=reference)
    table.insert(1, "ward", frame["ward"])
    return m, table


def _add_run(m: folium.Map, table: pd.DataFrame, frame: gpd.GeoDataFrame,
             hotspots: Mapping[str, Any], *, place: Mapping[str, str], area_words: str,
             label_top: int) -> dict[str, Any]:
    """Draw a run's outcomes (and named clusters) on ``m``, add them to ``table``; the texts."""
    run, params, outlines = hotspots["run"], hotspots["params"], hotspots["outlines"]
    short = correction_words(params)[1]
    m.add_child(hotspot_layer(
        frame, frame["shown"], name=run["short"], outline=outlines is None,
        details={"Method's label": frame["label"], "Value": frame["value"],
                 run["statistic"]: frame["statistic"], f"q ({short.split(' ')[0]})": frame["q"]}))
    add_hotspot_legend(m, frame["shown"], title=run["short"],
                       note=f"{short} over {place['name']}'s {area_words}"
                       + ("; purple: named clusters" if outlines is not None else ""))
    table["hotspot"] = frame["shown"]
    table["method's label"] = frame["label"]
    table["bin"] = frame["bin"]
    counts = outcome_counts(frame, place=place["name"], area_words=area_words)
    texts = {"counts": counts, "clusters": None, "caption": place_method_text(
        run["method"], params, name=run["name"], nation=hotspots["nation"], place=place["name"],
        code=place["code"], n_areas=hotspots["n_tested"], area_words=area_words) + " " + counts}
    if outlines is not None:
        m.add_child(cluster_layer(outlines, name="Named clusters", label_top=label_top))
        table["cluster"] = frame["cluster"]
        texts["clusters"] = cluster_sentence(outlines, place=place["name"],
                                             words=hotspots["words"], area_words=area_words)
    folium.LayerControl(collapsed=True).add_to(m)
    return texts


# ----------------------------------------------------------------------------- one area


def national_outcomes(run: str) -> pd.DataFrame:
    """Every small area's outcome on its own nation's national run of ``run``'s role.

    Returns
    -------
    pandas.DataFrame
        By area code (LSOAs and data zones of every nation with small areas): ``outcome``,
        ``bin``, ``label`` (the method's own words), ``shown`` (outcome and confidence) and
        ``indicator`` (the nation's catalogue id of the run).
    """
    from geo.analysis.hotspots import stored_run

    method, _ = parse_hotspot_run_id(run)
    parts = []
    for letter in _small_area_nations():
        indicator = nation_indicator(run, letter)
        result = stored_run(indicator, method=method)
        if result is None:
            continue
        parts.append(result[["outcome", "bin", "label"]].assign(indicator=indicator))
    out = pd.concat(parts) if parts else pd.DataFrame(columns=["outcome", "bin", "label",
                                                               "indicator"])
    out["shown"] = outcome_labels(out["outcome"], out["bin"])
    return out


def _small_area_nations() -> list[str]:
    """The nations with small areas (and so stored runs), in registry order."""
    from geo.council_areas import own_decile_ids

    return list(own_decile_ids())


def area_card(code: str, *, areas: pd.DataFrame, indicator: str, values: pd.Series,
              outcomes: pd.DataFrame | None, run_name: str | None,
              owner: pd.Series) -> dict[str, Any]:
    """What the national map says about one clicked small area (LSOA or data zone).

    Parameters
    ----------
    code
        The area's code, a row of ``areas`` (the display copies of LSOAs and data zones, with
        ``name``, ``lad24_code``, ``lad24_name`` and a ward or data-zone name).
    indicator, values
        The indicator painted (a catalogue id or :data:`OWN_DECILE`) and its values by code.
    outcomes, run_name
        :func:`national_outcomes` of the hotspot layer shown and its name, or None.
    owner
        Area code -> named cluster, every nation's.

    Returns
    -------
    dict
        ``title``, ``rows`` (label -> text, in order) and ``council`` (code, name).
    """
    from geo.council_areas import area_places, own_decile_meta, own_deciles
    from geo.maps.text import format_value

    info = areas.loc[code]
    level = "dz11" if str(code).startswith("S") else "lsoa21"
    meta = (own_decile_meta() if indicator == OWN_DECILE else indicator_meta(indicator))
    place = area_places(areas.loc[[code]], level).iloc[0]
    name = str(info["name"]) if pd.notna(info["name"]) else str(code)
    rows = {"Neighbourhood": f"{name} ({code})" if name != str(code) else name,
            "Council": f"{info['lad24_name']} ({info['lad24_code']})"}
    if pd.notna(place) and str(place).strip() and str(place) != "nan":  # omitted when unknown
        rows[PLACE_WORDS[level]] = str(place)
    rows[meta["label"]] = format_value(values.get(code), meta["unit"])
    letter = str(code)[:1]
    decile = own_deciles().get(code)
    if indicator != OWN_DECILE and decile is not None:
        rows[f"Decile on {NATIONS[letter]}'s own index (1 = most deprived)"] = str(int(decile))
    if outcomes is not None and run_name:
        hit = outcomes.loc[code] if code in outcomes.index else None
        rows[run_name] = ("not tested" if hit is None else
                          f"{hit['shown']} (the method's label: {hit['label']})")
    rows["Named cluster"] = str(owner.get(code, "none"))
    return {"title": f"Clicked neighbourhood: {name}", "rows": rows,
            "council": (str(info["lad24_code"]), str(info["lad24_name"]))}
