"""The view model of a council, and its pack: what a page, or the council pack, shows for one place.

One import for the pages and the command line:

- the councils of the UK, both tiers (:mod:`geo.councils`: :func:`load_councils`,
  :func:`council_level`, :func:`search_councils`, ...);
- the map, table and sentences of one council's small areas on its own nation's index
  (:mod:`geo.council_view`: :func:`council_view_data` then :func:`council_view`);
- the council pack of any UK council (:func:`council_pack`): the one builder of the app's
  download and of ``python -m geo export --council X --out x.zip``, so the same store gives
  the same bytes. A council of England or Wales gets its LSOAs 2021, a Scottish council its
  data zones 2011, each with every table of the store that has a value there (its own nation's
  index, compounded disadvantage, the composite UK IMD, Census 2021 where it covers the
  nation), every stored national hotspot run of its nation judged over the council
  (``hotspot_`` label, ``outcome_``, ``bin_``, ``q_``, ``robust_``:
  :func:`geo.stats.runs.hotspot_column`, as ``python -m geo hotspots --within`` reports them)
  and its nation's named clusters; an offline map; a README with the methodology, the columns,
  the nation's index, its sources, licences and attribution. Northern Ireland has no small
  areas in the mirror: its pack is the council itself, one feature with its council-level
  figures (NIMDM 2017, the composite UK IMD), and its README says so.

Nothing here imports Streamlit: ``pages/_data.py`` caches these calls.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import pandas as pd

import boundaries
from geo.council_areas import AREA_WORDS, council_areas
from geo.council_hotspots import CLUSTER_RUN, NATIONS, load_clusters, load_hotspots
from geo.council_view import MAP_INDICATOR, council_view, council_view_data, view_data
from geo.councils import (
    COUNCIL_LEVELS,
    TIERS,
    council_level,
    council_lsoas,
    councils_table,
    load_council_lsoas,
    load_councils,
    pick_council,
    search_councils,
    unknown_councils,
)
from geo.data.indicators import catalogue, load_indicators
from geo.data.nations import comparability_note, index_of_nation, index_spec
from geo.data.sources import registry
from geo.export.pack import council_pack as write_pack
from geo.export.pack import pack_metadata
from geo.export.tables import carry_notes
from geo.maps.assets import missing_assets
from geo.maps.choropleth import to_standalone_html
from geo.methodology import methodology_text, pack_columns_text, stored_parameters
from geo.stats.clusters import cluster_members
from geo.stats.permutation import PermutationFloorWarning
from geo.stats.runs import hotspot_column, parse_hotspot_run_id, run_ids

__all__ = [
    "TIERS", "COUNCIL_LEVELS", "MAP_INDICATOR", "PLACE_COLUMNS", "HOTSPOT_FIELDS",
    "FILE_STEMS", "councils_table", "load_councils", "council_level", "search_councils", "pick_council",
    "unknown_councils", "council_lsoas", "load_council_lsoas", "view_data",
    "council_view_data", "council_view", "pack_frame", "area_tables", "place_runs",
    "council_export",
    "pack_filename", "council_pack",
]

#: Columns of the boundaries that say where an area is (first in a pack, those present).
PLACE_COLUMNS = ("name", "ward24_code", "ward24_name", "ward", "lad24_code", "lad24_name",
                 "utla24_code", "region_code", "country")
#: The fields of each hotspot run in a pack (the method's label, outcome, bin, q, robust).
HOTSPOT_FIELDS = ("label", "outcome", "bin", "q", "robust")
#: The pack's file names by level: ``<code>_<stem>.geojson``.
FILE_STEMS = {"lsoa21": "lsoas", "dz11": "datazones", "lad24": "council"}


def pack_frame(areas: gpd.GeoDataFrame, tables: Mapping[str, pd.DataFrame], *,
               runs: pd.DataFrame, clusters: pd.DataFrame | None) -> gpd.GeoDataFrame:
    """A council's areas with every table given, every hotspot run and named cluster.

    Parameters
    ----------
    areas
        The council's areas by code with (some of) :data:`PLACE_COLUMNS` and a geometry.
    tables
        Tables indexed by the same codes, by name: each column becomes ``<name>.<column>``
        (the catalogue's ids where catalogued).
    runs
        One column per run and field (:func:`place_runs`), by area code.
    clusters
        The nation's named clusters (``clusters.cluster_id``, ``clusters.name``), or None.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed like ``areas``: place columns, then the tables by name, runs and clusters.
    """
    place = [c for c in PLACE_COLUMNS if c in areas.columns and areas[c].notna().any()
             and not (c == "ward" and "ward24_name" in areas.columns)]  # (no English region
    # for a Welsh council)
    parts = [tables[n].add_prefix(f"{n}.").reindex(areas.index) for n in sorted(tables)]
    parts.append(runs.reindex(areas.index))
    if clusters is not None:
        owner = cluster_members(clusters).reindex(areas.index)
        parts.append(pd.DataFrame(
            {"clusters.cluster_id": owner.astype("Int64"),
             "clusters.name": clusters["name"].reindex(owner.to_numpy()).to_numpy()},
            index=areas.index))
    return areas[[*place, areas.geometry.name]].join(pd.concat(parts, axis=1))


def area_tables(level: str, codes: pd.Index) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """Every store table with one row per area of ``level``, the columns with a value among
    ``codes``; and the ``<table>.<column>`` left out for having none (another nation's)."""
    names = sorted(f.removeprefix("indicators/").removesuffix(".parquet")
                   for f in boundaries.read_manifest(boundaries.store_dir())["files"]
                   if f.startswith("indicators/"))
    tables, empty = {}, []
    for name in names:
        table = load_indicators(name)
        if table.index.name != f"{level}_code" or not table.index.is_unique:
            continue
        here = table.reindex(codes)
        full = [c for c in here.columns if here[c].notna().any()]
        empty += [f"{name}.{c}" for c in here.columns if c not in full]
        if full:
            tables[name] = table[full]
    return tables, empty


def place_runs(code: str, index: str) -> pd.DataFrame:
    """Every stored national run of ``index`` judged over the council's areas (the national
    reference of ``--within``), one column per run and field of :data:`HOTSPOT_FIELDS`."""
    from geo.analysis.coverage import stored_indicators
    from geo.analysis.places import place_hotspots

    spec = index_spec(index)
    indicators = dict(zip(spec["hotspot_columns"], stored_indicators(index), strict=True))
    columns = {}
    for run in run_ids(load_hotspots(index)):
        method, column = parse_hotspot_run_id(run)
        with warnings.catch_warnings():
            # the store's permutations are fixed for a pack: a floor that one council's family
            # cannot pass is no advice to act on here (the CLI's --within run gives it)
            warnings.simplefilter("ignore", PermutationFloorWarning)
            found = place_hotspots(code, indicator=indicators[column], method=method,
                                   clusters=False)
        if not found["covered"]:
            continue
        table = found["table"].set_index("code")
        for field in HOTSPOT_FIELDS:
            if field in table.columns and table[field].notna().any():
                columns[hotspot_column(run, field)] = table[field]
    return pd.DataFrame(columns)


def _pack_map(code: str, name: str) -> tuple[str | None, str | None]:
    """The pack's offline map and what it shows; (None, None) without Leaflet or areas."""
    if missing_assets():
        return None, None
    view = council_view(council_view_data(code, MAP_INDICATOR, run=CLUSTER_RUN))
    if view["status"] != "ok":
        return None, None
    note = (f"{view['label']} by {view['area_words'][:-1]} (one colour per decile), the "
            "outcomes of compounded disadvantage's hotspots and the named clusters outlined")
    return to_standalone_html(view["map"], title=f"{name}: {view['label']}"), note


def _sources(level: str, tables: Mapping[str, pd.DataFrame]) -> list[str]:
    """The registry ids behind a pack: the level's boundaries and lookups, then its tables."""
    return [*(i for i, e in registry().items()
              if e.get("level") == level and e["kind"] in ("boundary", "lookup")), *tables]


def _notes(spec: Mapping[str, Any], empty: list[str], *, small_areas: bool) -> str:
    """The README's section on the council's nation: its own index, comparability, gaps."""
    nation = NATIONS[spec["nation"]]
    lines = ["## This council's nation", f"{nation}'s own index: {spec['title']} "
             f"({spec['id']}); small areas: {spec['small_areas']}.", comparability_note()]
    if not small_areas:
        lines.append(f"There are no small areas for {nation} in the mirror, so the pack and "
                     "its tables hold the council itself: one feature with the council boundary and its "
                     "council-level figures; no hotspots, no named clusters, no map.")
    if empty:
        tables = pd.Series([c.split(".", 1)[0] for c in empty]).value_counts(sort=False)
        lines.append("Left out, with no value for any area of this council (another nation's "
                     "index, or not published here): " + ", ".join(
                         f"{t} ({n} column{'s' if n > 1 else ''})" for t, n in tables.items())
                     + ".")
    return "\n\n".join(lines) + "\n"


def _council_parts(code: str) -> dict[str, Any]:
    """What a council's pack and its single-file exports hold: the frame of its areas, their
    level, the metadata, the methodology text and the offline map (one implementation)."""
    councils = load_councils()
    level = council_level(councils, code)
    name, letter = str(councils.at[code, "name"]), str(councils.at[code, "country"])
    spec = index_spec(index_of_nation(letter))
    areas, small_level = council_areas(code, councils, display=None)
    small = small_level is not None
    area_level = small_level or "lad24"
    if not small:
        areas = boundaries.load("lad24").loc[[code]]
    params = stored_parameters()
    tables, empty = area_tables(area_level, areas.index)
    runs = place_runs(code, spec["id"]) if small else pd.DataFrame(index=areas.index)
    clusters = load_clusters(spec["id"]) if small else None
    extra = []
    if clusters is not None and not cluster_members(clusters).index.isin(areas.index).any():
        clusters = None  # no empty columns: said instead
        extra.append(f"None of {name}'s areas is in a named cluster of {NATIONS[letter]} (the "
                     "worse clusters of compounded disadvantage on its national run).")
    frame = pack_frame(areas, tables, runs=runs, clusters=clusters)
    extra += carry_notes(frame)
    metadata = pack_metadata(_sources(area_level, tables), params=params, level=area_level,
                             hotspots=small, council={"code": code, "name": name,
                                                      "level": level, "tier": TIERS[level],
                                                      "nation": NATIONS[letter]})
    return {"frame": frame, "name": name, "level": area_level, "small": small,
            "metadata": metadata, "params": params,
            "notes": _notes(spec, empty, small_areas=small) + "".join(f"\n{e}\n" for e in extra)}


def council_export(code: str) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """The table of a council pack, for one GeoJSON or CSV file: the same columns and values
    as the pack's (``python -m geo export --council CODE --out x.csv``), its metadata with the
    notes on the nation's index and what is left out.

    Raises
    ------
    InputError
        Unknown council (with the closest).
    StoreError
        No store, or one without hotspots or their parameters.
    """
    parts = _council_parts(code)
    metadata = {**parts["metadata"], "title": "oppmap council table",
                "nation": parts["metadata"]["council"]["nation"], "level": parts["level"],
                "notes": [line for line in parts["notes"].splitlines()
                          if line.strip() and not line.startswith("#")]}
    return parts["frame"], metadata


def council_pack(code: str) -> bytes:
    """The council pack of any UK council in the store: the zip the app and the CLI serve.

    GeoJSON and CSV of the council's small areas (analysis boundaries; the council itself in
    Northern Ireland) with every store table that has a value there, every stored national
    hotspot run of its nation judged over the council, its nation's named clusters, an offline
    map when the assets exist, and a README: the methodology with the store's parameters, what
    each column means, the nation's index, sources, licences and attribution. The same store
    gives the same bytes.

    Raises
    ------
    InputError
        Unknown council (with the closest).
    StoreError
        No store, or one without hotspots or their parameters.
    """
    parts = _council_parts(code)
    frame, name, area_level = parts["frame"], parts["name"], parts["level"]
    map_html, map_note = _pack_map(code, name) if parts["small"] else (None, None)
    methodology = "\n".join([
        methodology_text(parts["params"]), parts["notes"],
        pack_columns_text(frame.columns, catalogue(), map_note=map_note,
                          level=area_level, area_words=AREA_WORDS.get(area_level, "council"))])
    return write_pack(frame, council_code=code, council_name=name, metadata=parts["metadata"],
                      methodology=methodology, map_html=map_html,
                      areas_name=FILE_STEMS[area_level])


def pack_filename(code: str, *, councils: pd.DataFrame | None = None) -> str:
    """The pack's file name, ``oppmap_<code>_<name>.zip`` (safe on every file system)."""
    from geo.export._rfc7946 import safe_filename

    councils = load_councils() if councils is None else councils
    council_level(councils, code)
    return safe_filename(f"oppmap_{code}_{councils.at[code, 'name']}") + ".zip"
