"""The view model of a council: what a page, or the council pack, shows for one place.

Councils are lower-tier districts and unitary authorities (``lad24``) and upper-tier councils
(``utla24``); a unitary authority, in both tiers under one code, appears once, as lower tier.
For one council this module gives its level and tier, its neighbourhoods (LSOAs), the stored
national hotspot runs and named clusters that reach it with their counts and sentences, the map,
table and sentences of its LSOAs (:func:`council_view_data` then :func:`council_view`), and its
pack (:func:`council_pack`: one builder for the app and ``python -m geo export --council``).

Pure functions take tables, so tests pass small synthetic frames; the loaders (``load_*``,
:func:`council_view_data`, :func:`council_pack`) read the store through :mod:`boundaries` and
:mod:`geo.data`. Nothing here imports Streamlit: ``pages/_shared.py`` caches these calls.
Nation and level are data (the ``country`` and ``level`` columns), never assumed.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

import boundaries
import boundaries.display
from geo._errors import InputError
from geo.council_hotspots import (
    CLUSTER_RUN,
    NATIONS,
    cluster_names,
    cluster_sentence,
    cluster_words,
    clusters_touching,
    hotspot_counts,
    hotspot_runs,
    load_clusters,
    load_hotspots,
    nations,
    run_columns,
    run_results,
    split_run_id,
)
from geo.data.indicators import catalogue, indicator_meta, load_indicators
from geo.data.sources import registry
from geo.export._rfc7946 import safe_filename
from geo.export.pack import council_pack as write_pack
from geo.export.pack import pack_metadata
from geo.maps.assets import missing_assets
from geo.maps.choropleth import choropleth_map, to_standalone_html
from geo.maps.classes import MissingValuesWarning
from geo.maps.frame import place_labels
from geo.maps.hotspots import (
    add_hotspot_legend,
    cluster_layer,
    cluster_members,
    cluster_outlines,
    hotspot_layer,
)
from geo.maps.text import describe_values, map_table
from geo.methodology import (
    correction_words,
    method_text,
    methodology_text,
    pack_columns_text,
    stored_parameters,
)

__all__ = [
    "TIERS", "COUNCIL_LEVELS", "MAP_INDICATOR", "PLACE_COLUMNS", "councils_table",
    "load_councils", "council_level", "search_councils", "unknown_councils", "council_lsoas",
    "load_council_lsoas",
    "view_data", "council_view_data", "council_view", "pack_frame", "load_lsoa_tables",
    "pack_filename", "council_pack",
]

#: The council levels and what each is called.
TIERS = {"lad24": "lower tier / unitary", "utla24": "upper tier / county"}
COUNCIL_LEVELS = tuple(TIERS)
#: The LSOA indicator of the pack's map and the pages' default neighbourhood map.
MAP_INDICATOR = "iod2025.imd_score"


# ----------------------------------------------------------------------------- councils


def councils_table(lad: pd.DataFrame, utla: pd.DataFrame) -> pd.DataFrame:
    """Every council of both tiers, a unitary authority once (as lower tier).

    Parameters
    ----------
    lad, utla
        The ``lad24`` and ``utla24`` boundaries (any copy) indexed by code, with ``name``,
        ``country`` and ``region_code``; ``lad`` also with ``utla24_code``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``code``: ``name``, ``tier``, ``level``, ``country``, ``region_code`` and
        ``utla24_code`` (the council's own code for upper-tier councils).
    """
    need = {"lad": (lad, ["name", "country", "region_code", "utla24_code"]),
            "utla": (utla, ["name", "country", "region_code"])}
    absent = {arg: [c for c in cols if c not in frame.columns]
              for arg, (frame, cols) in need.items()}
    if any(absent.values()):
        msg = (f"councils_table() needs the boundaries' columns; missing: "
               f"{ {k: v for k, v in absent.items() if v} }. Pass boundaries.load('lad24') and "
               "boundaries.load('utla24').")
        raise InputError(msg)
    frames = [
        pd.DataFrame({"name": g["name"], "tier": TIERS[level], "level": level,
                      "country": g["country"], "region_code": g["region_code"],
                      "utla24_code": upper}, index=g.index)
        for level, g, upper in (("lad24", lad, lad["utla24_code"]),
                                ("utla24", utla, utla.index.to_series()))
    ]
    both = pd.concat(frames)
    both = both[~both.index.duplicated(keep="first")]
    both.index.name = "code"
    return both


def load_councils() -> pd.DataFrame:
    """:func:`councils_table` of the store's boundaries."""
    return councils_table(boundaries.load("lad24", display="national"),
                          boundaries.load("utla24", display="national"))


def council_level(councils: pd.DataFrame, code: str) -> str:
    """The level (``"lad24"`` / ``"utla24"``) of a council of ``councils``.

    Raises
    ------
    InputError
        An unknown code, with the closest council codes and names.
    """
    if code in councils.index:
        return str(councils.at[code, "level"])
    from rapidfuzz import process

    by_code = [c for c, _, _ in process.extract(str(code), list(councils.index), limit=3)]
    by_name = [k for _, _, k in process.extract(str(code), councils["name"].to_dict(), limit=2)]
    close = [f"{c} ({councils.at[c, 'name']})" for c in dict.fromkeys(by_code + by_name)]
    msg = (f"`code` {code!r} is not a council of {'/'.join(COUNCIL_LEVELS)} "
           f"({len(councils)} councils); did you mean {', '.join(close)}?")
    raise InputError(msg)


def search_councils(councils: pd.DataFrame, text: str, *, limit: int = 6,
                    cutoff: float = 60) -> list[str]:
    """The codes of the councils whose names best match ``text`` (typos allowed), best first.

    Examples
    --------
    >>> t = pd.DataFrame({"name": ["Manchester", "Trafford"]}, index=["E08000003", "E08000009"])
    >>> search_councils(t, "Manchestr")
    ['E08000003']
    """
    from rapidfuzz import fuzz, process, utils

    hits = process.extract(text, councils["name"].to_dict(), scorer=fuzz.WRatio,
                           processor=utils.default_process, limit=limit, score_cutoff=cutoff)
    return [key for _name, _score, key in hits]


def unknown_councils(councils: pd.DataFrame, codes: Iterable[str]) -> list[str]:
    """The codes that are not councils of ``councils`` (empty strings ignored)."""
    return [c for c in codes if c and c not in councils.index]


def council_lsoas(lsoas: pd.DataFrame, councils: pd.DataFrame, code: str) -> pd.DataFrame:
    """The LSOAs of a council of either tier (by the ``<level>_code`` column of ``lsoas``).

    Empty when the store has no LSOAs in the council's nation.
    """
    level = council_level(councils, code)
    column = f"{level}_code"
    if column not in lsoas.columns:
        msg = f"`lsoas` has no {column!r} column; pass boundaries.load('lsoa21')."
        raise InputError(msg)
    return lsoas[lsoas[column] == code]


def load_council_lsoas(code: str, *, councils: pd.DataFrame | None = None,
                       display: str | None = "council") -> gpd.GeoDataFrame:
    """:func:`council_lsoas` of the stored LSOAs (``display=None`` for the analysis copy)."""
    return council_lsoas(boundaries.load("lsoa21", display=display),
                         load_councils() if councils is None else councils, code)




# ----------------------------------------------------------------------------- LSOA view


def view_data(lsoas: gpd.GeoDataFrame, values: pd.Series, *, place: Mapping[str, str],
              covered: str, indicator: Mapping[str, Any], owner: pd.Series,
              hotspots: Mapping[str, Any] | None = None, reference: pd.Series | None = None,
              places: pd.DataFrame | None = None) -> dict[str, Any]:
    """What :func:`council_view` draws for one council's LSOAs, checked (picklable: cache it).

    Parameters
    ----------
    lsoas
        The council's LSOAs (display copy, EPSG:4326) by code, with ``name`` and
        ``ward24_name``; empty when the store has none in its nation.
    values
        The indicator by LSOA code.
    place
        ``code``, ``name`` and ``country`` (letter) of the council.
    covered
        The nations whose LSOAs the store holds, in words (e.g. "England and Wales").
    indicator
        ``id``, ``label``, ``unit`` and ``polarity`` (a catalogue entry).
    owner
        LSOA code -> named cluster (:func:`geo.council_hotspots.cluster_names`).
    hotspots
        With a hotspot run: ``run`` (a row of :func:`geo.council_hotspots.hotspot_runs` with
        its ``id``), ``results`` (:func:`geo.council_hotspots.run_results`), ``params`` (the
        run's parameters) and, for :data:`CLUSTER_RUN`, ``outlines`` of the named clusters
        reaching the council and their ``words``.
    reference
        The indicator over every LSOA of the council's nation: the classes of
        :func:`council_view` with ``classes="national"`` (so maps of councils compare).
    places
        Label points around the council (:func:`boundaries.display.load_places`).

    Returns
    -------
    dict
        ``status`` ("ok", "outside": no LSOAs, "no_values": none with a value), ``message``
        (what to tell the reader when not "ok"), ``place``, ``indicator``, ``hotspots`` and
        ``frame``: the LSOAs with ``value``, ``cluster`` and, with a run, ``label``,
        ``statistic`` and ``q``.
    """
    nation = NATIONS.get(place["country"], place["country"])
    out: dict[str, Any] = {"status": "ok", "message": None, "place": dict(place),
                           "indicator": dict(indicator), "hotspots": None, "frame": None,
                           "reference": reference, "places": places}
    if lsoas.empty:
        out.update(status="outside", message=(
            f"{place['name']} is in {nation}, outside {covered}: neighbourhood (LSOA) data is "
            "not available for it here."))
        return out
    frame = lsoas[["name", "ward24_name", "geometry"]].join(values.rename("value"))
    if frame["value"].notna().sum() == 0:
        out.update(status="no_values", message=(
            f"{indicator['label']} has no value for any neighbourhood of {place['name']}: its "
            f"source does not cover {nation}."))
        return out
    frame["cluster"] = owner.reindex(frame.index).fillna("none")
    if hotspots is not None:
        frame = frame.join(hotspots["results"][["label", "statistic", "q"]])
        frame["label"] = frame["label"].fillna("not significant")
        out["hotspots"] = {k: v for k, v in hotspots.items() if k != "results"}
    out["frame"] = frame
    return out


def council_view_data(code: str, indicator: str, *, run: str | None = None) -> dict[str, Any]:
    """:func:`view_data` of a council in the store, with the national run ``run`` (or none).

    Raises
    ------
    InputError
        Unknown council (with the closest), indicator or run.
    StoreError
        A store without the tables, or without the hotspot parameters (rebuild it).
    """
    councils = load_councils()
    council_level(councils, code)
    everywhere = boundaries.load("lsoa21", display="council")
    lsoas = council_lsoas(everywhere, councils, code)
    meta = indicator_meta(indicator)
    clusters = load_clusters()
    hotspots = None
    if run is not None:
        long = load_hotspots()
        results = run_results(long, run)
        hotspots = {"run": {"id": run, **hotspot_runs(long, catalogue()).loc[run].to_dict()},
                    "results": results, "params": stored_parameters(), "outlines": None,
                    "words": None}
        if run == CLUSTER_RUN:
            touching = clusters_touching(clusters, lsoas.index)
            members = everywhere.loc[cluster_members(touching).index, ["geometry"]]
            hotspots["outlines"] = cluster_outlines(members, touching)
            hotspots["words"] = cluster_words(clusters, results, method=split_run_id(run)[0],
                                              params=hotspots["params"])
    place = {"code": code, "name": str(councils.at[code, "name"]),
             "country": str(councils.at[code, "country"])}
    values = load_indicators(indicator)[indicator]
    nation = everywhere.index[everywhere["country"] == place["country"]]
    return view_data(lsoas, values, place=place, covered=nations(everywhere.index), indicator={
                         "id": indicator, **{k: meta[k] for k in ("label", "unit", "polarity")}},
                     owner=cluster_names(clusters), hotspots=hotspots,
                     reference=values.reindex(nation).dropna(),
                     places=_places_around(lsoas))


def _places_around(lsoas: gpd.GeoDataFrame, margin: float = 0.1) -> pd.DataFrame | None:
    """The stored label points within the council's bounds (and ``margin`` degrees)."""
    if lsoas.empty:
        return None
    west, south, east, north = lsoas.total_bounds
    pts = boundaries.display.load_places()
    pts = pts[pts["level"] != "utla24"]  # districts and unitaries name the land, and places
    return pts[pts["lon"].between(west - margin, east + margin)
               & pts["lat"].between(south - margin, north + margin)].reset_index(drop=True)


def council_view(data: Mapping[str, Any], *, scheme: str = "quantiles",
                 label_top: int = 5, classes: str = "national") -> dict[str, Any]:
    """The map, table and sentences of one council's LSOAs, from :func:`view_data`.

    ``classes="national"`` classes the council's LSOAs among every LSOA of its nation (the
    ``reference`` of :func:`view_data`), so that maps of two councils compare; ``"council"``
    classes them among themselves (the contrasts within the council).

    Returns
    -------
    dict
        ``status``, ``name`` and ``message`` as in :func:`view_data`; when "ok" also ``map``
        (folium), ``table`` (the map as a table, with ward and, with a run, hotspot and
        cluster), ``sentence`` (the values in one sentence), ``counts`` (the run's labels
        here), ``caption`` (the run's method and counts), ``clusters`` (a sentence on the
        named clusters, for :data:`CLUSTER_RUN`), ``label`` and ``frame``.
    """
    name, meta = data["place"]["name"], data["indicator"]
    out = {"status": data["status"], "name": name, "message": data["message"], "map": None,
           "table": None, "sentence": None, "counts": None, "caption": None,
           "clusters": None, "label": meta["label"], "frame": data["frame"]}
    if data["status"] != "ok":
        return out
    frame = data["frame"]
    out["sentence"] = describe_values(frame["value"], label=meta["label"], unit=meta["unit"],
                                      polarity=meta["polarity"], names=frame["name"],
                                      area_word=f"LSOAs in {name}")
    if classes not in ("national", "council"):
        msg = f"`classes` must be 'national' or 'council'; got {classes!r}."
        raise InputError(msg)
    reference = data.get("reference") if classes == "national" else None
    nation = NATIONS.get(data["place"]["country"], data["place"]["country"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingValuesWarning)  # counted in the sentence
        warnings.filterwarnings("ignore", "`values` has .* so scheme", UserWarning)  # legend
        m = choropleth_map(frame, "value", scheme=scheme, polarity=meta["polarity"],
                           label=meta["label"], unit=meta["unit"], layer_name="LSOAs",
                           tooltip_fields={"ward24_name": "Ward", "cluster": "Named cluster"},
                           reference=reference, classes_of=f"{nation}'s LSOAs",
                           title=f"Map: {meta['label']} by neighbourhood, {name}")
        table = map_table(frame, "value", scheme=scheme, unit=meta["unit"], reference=reference)
    table.insert(1, "ward", frame["ward24_name"])
    if data.get("places") is not None:
        m.add_child(place_labels(data["places"]))
    if data["hotspots"] is not None:
        out.update(_add_run(m, table, frame, data["hotspots"], place=name, label_top=label_top))
    out.update(map=m, table=table)
    return out


def _add_run(m: folium.Map, table: pd.DataFrame, frame: gpd.GeoDataFrame,
             hotspots: Mapping[str, Any], *, place: str, label_top: int) -> dict[str, Any]:
    """Draw a run's spots (and named clusters) on ``m``, add them to ``table``; the texts."""
    run, params, outlines = hotspots["run"], hotspots["params"], hotspots["outlines"]
    m.add_child(hotspot_layer(
        frame, frame["label"], name=run["short"], outline=outlines is None,
        details={"Value": frame["value"], run["statistic"]: frame["statistic"],
                 f"q ({correction_words(params)[1].split(' ')[0]})": frame["q"]}))
    add_hotspot_legend(m, frame["label"], title=run["short"],
                       note=correction_words(params)[1]
                       + ("; purple: named clusters" if outlines is not None else ""))
    table["hotspot"] = frame["label"]
    counts = hotspot_counts(frame["label"], method=run["method"], place=place)
    texts = {"counts": counts, "clusters": None, "caption": method_text(
        run["method"], params, name=run["name"], n_tested=run["n_tested"],
        where=run["where"]) + " " + counts}
    if outlines is not None:
        m.add_child(cluster_layer(outlines, name="Named clusters", label_top=label_top))
        table["cluster"] = frame["cluster"]
        texts["clusters"] = cluster_sentence(outlines, place=place, words=hotspots["words"])
    folium.LayerControl(collapsed=True).add_to(m)
    return texts


# ----------------------------------------------------------------------------- pack

#: Columns of the LSOA boundaries that say where an LSOA is (first in a pack).
PLACE_COLUMNS = ("name", "ward24_code", "ward24_name", "lad24_code", "lad24_name",
                 "utla24_code", "region_code", "country")


def pack_frame(lsoas: gpd.GeoDataFrame, tables: Mapping[str, pd.DataFrame], *,
               runs: pd.DataFrame, clusters: pd.DataFrame) -> gpd.GeoDataFrame:
    """A council's LSOAs with every LSOA table of the store, every hotspot run and cluster.

    Parameters
    ----------
    lsoas
        The council's LSOAs by ``lsoa21_code`` with :data:`PLACE_COLUMNS` and a geometry.
    tables
        Tables indexed by LSOA code, by name: each column becomes ``<name>.<column>`` (the
        catalogue's ids where catalogued).
    runs
        :func:`geo.council_hotspots.run_columns` (``hotspot_<method>_<indicator>``, ...).
    clusters
        The named clusters: add ``clusters.cluster_id`` and ``clusters.name``.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed like ``lsoas``: place columns, then the tables by name, runs and clusters.
    """
    owner = cluster_members(clusters).reindex(lsoas.index)
    parts = [tables[n].add_prefix(f"{n}.").reindex(lsoas.index) for n in sorted(tables)]
    parts += [runs.reindex(lsoas.index), pd.DataFrame(
        {"clusters.cluster_id": owner.astype("Int64"),
         "clusters.name": clusters["name"].reindex(owner.to_numpy()).to_numpy()},
        index=lsoas.index)]
    return lsoas[[*PLACE_COLUMNS, lsoas.geometry.name]].join(pd.concat(parts, axis=1))


def load_lsoa_tables() -> dict[str, pd.DataFrame]:
    """Every table of the store indexed by one row per LSOA 2021 code, by name."""
    names = sorted(f.removeprefix("indicators/").removesuffix(".parquet")
                   for f in boundaries.read_manifest(boundaries.store_dir())["files"]
                   if f.startswith("indicators/"))
    tables = {n: load_indicators(n) for n in names}
    return {n: t for n, t in tables.items()
            if t.index.name == "lsoa21_code" and t.index.is_unique}


def pack_filename(code: str, *, councils: pd.DataFrame | None = None) -> str:
    """The pack's file name, ``oppmap_<code>_<name>.zip`` (safe on every file system)."""
    councils = load_councils() if councils is None else councils
    council_level(councils, code)
    return safe_filename(f"oppmap_{code}_{councils.at[code, 'name']}") + ".zip"


def _pack_map(code: str, name: str) -> tuple[str | None, str | None]:
    """The pack's offline map and what it shows; (None, None) without Leaflet or values."""
    if missing_assets():
        return None, None
    data = council_view_data(code, MAP_INDICATOR, run=CLUSTER_RUN)
    view = council_view(data, scheme="quantiles")
    if view["status"] != "ok":
        return None, None
    note = (f"{view['label']} by LSOA (quantiles), {data['hotspots']['run']['short']}, and "
            "the named clusters outlined")
    return to_standalone_html(view["map"], title=f"{name}: {view['label']} by LSOA"), note


def council_pack(code: str) -> bytes:
    """The council pack of a council in the store: the zip the app and the CLI serve.

    GeoJSON and CSV of the council's LSOAs (analysis boundaries) with every LSOA table of the
    store (``<table>.<column>``), every national hotspot run (``hotspot_<method>_<indicator>``,
    ``q_...``, ``robust_...``) and named cluster, an offline map when the assets exist, and a
    README: the methodology with the store's parameters, what each column means, sources,
    licences and attribution. The same store gives the same bytes.

    Raises
    ------
    InputError
        Unknown council (with the closest), or one without LSOAs in the store.
    StoreError
        No store, or one without hotspots or their parameters.
    """
    councils = load_councils()
    level = council_level(councils, code)
    name, country = str(councils.at[code, "name"]), str(councils.at[code, "country"])
    lsoas = load_council_lsoas(code, councils=councils, display=None)
    if lsoas.empty:
        msg = (f"`code` {code!r} ({name}) is in {NATIONS.get(country, country)}, where the store "
               "has no neighbourhoods (LSOAs): it has no council pack.")
        raise InputError(msg)
    params, tables, long = stored_parameters(), load_lsoa_tables(), load_hotspots()
    frame = pack_frame(lsoas, tables, runs=run_columns(long), clusters=load_clusters())
    map_html, map_note = _pack_map(code, name)
    cat = catalogue()
    datasets = [*(i for i, e in registry().items() if e["level"] == "lsoa21"
                  and e["kind"] in ("boundary", "lookup")),
                *tables, *hotspot_runs(long, cat)["dataset"].replace("", np.nan).dropna()]
    metadata = pack_metadata(datasets, params=params, council={
        "code": code, "name": name, "level": level, "tier": TIERS[level]})
    methodology = (methodology_text(params) + "\n"
                   + pack_columns_text(frame.columns, cat, map_note=map_note))
    return write_pack(frame, council_code=code, council_name=name, metadata=metadata,
                      methodology=methodology, map_html=map_html)
