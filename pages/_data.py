"""The app's cached calls into ``geo``: loaders, profiles, views and packs, one per function.

``st.cache_data`` for results a page may change (copied per call), ``st.cache_resource`` for
shared read-only tables and GeoDataFrames (never mutated by a page). Every table, sentence
and map is made in ``geo``: the council view model in :mod:`geo.council` and
:mod:`geo.council_hotspots`, profiles in :mod:`geo.profile`, maps in :mod:`geo.maps`. The slow
national resources (the grid of the national image, the click lookup, the cluster outlines,
label points) are precomputed by the store build (:mod:`boundaries.display`); :func:`preload`
loads them, and the first map's data, when the server starts (``app.py``).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pandas as pd
import streamlit as st

import boundaries
import boundaries.display as stored
import geo
from geo import council as gc
from geo import council_areas as ga
from geo import council_hotspots as gh
from geo import council_view as gv
from geo import profile as gp
from geo import profile_neighbours as gn
from geo._errors import OppmapError
from geo.data.nations import index_of_nation, index_spec
from geo.maps.national import LsoaImage, NationalImage, paint_lsoa_grid, paint_national_grids
from geo.maps.raster import lookup_index, lsoa_at
from geo.methodology import inference_text, method_text, stored_parameters
from geo.upload.geojson import load_vintage_codes

#: Default small-area indicator: each area's decile on its own nation's index (every area of
#: Great Britain has one).
DEFAULT_LSOA = gc.MAP_INDICATOR
#: Default council measure: the composite UK IMD council score (every council of the UK).
DEFAULT_INDICATOR = gp.COMPOSITE_MEASURE
#: The default hotspot layer: the run whose touching worse clusters are the named clusters.
DEFAULT_HOTSPOTS = CLUSTERED = gh.CLUSTER_RUN
#: The small-area levels painted on the national image (each nation's own).
IMAGE_LEVELS = ("lsoa21", "dz11")
#: Store tables read by the profile pages (missing ones are skipped).
PROFILE_TABLES = (
    "summary_lad24", "summary_utla24", "summary_region", "summary_england",
    "neet2022", "neet2022_england", "neet2022_regions", "neet2023", "neet2023_england",
    "neet2023_regions", "neet2025", "neet2025_england", "neet2025_regions", "ks2_2022",
    "smc_ci1", "smc_ci2", "smc_ci3", "smc_ci4", "ukimd_la", "nimdm2017",
    "summary_wimd2019_lad24", "summary_wimd2019_country", "summary_simd2020_lad24",
    "summary_simd2020_country",
)

cache = st.cache_data(show_spinner=False)
shared = st.cache_resource(show_spinner=False)
# read-only tables every run reads: shared, not copied (a page never changes them)
catalogue = shared(geo.catalogue)
councils = shared(gc.load_councils)
hotspot_runs = shared(gh.load_runs)
hotspot_params = cache(stored_parameters)
clusters = shared(gh.load_clusters)
council_view_data = cache(gc.council_view_data)
national_cluster_outlines = shared(gh.national_cluster_outlines)
lsoa_options = shared(ga.small_area_options)
# each map's attribution control: the sources of what it draws (the registry's short form)
map_attribution = cache(ga.map_attribution_of)


@cache
def attribution_lines() -> list[str]:
    return list(geo.attribution_lines())


@shared
def display_boundaries(level: str, view: str) -> pd.DataFrame:
    return boundaries.load(level, display=view)


@shared
def analysis_boundaries(level: str) -> pd.DataFrame:
    return boundaries.load(level)


@shared
def store_tables(names: tuple[str, ...] = PROFILE_TABLES) -> dict[str, pd.DataFrame]:
    """Store tables by name, with the councils' size, density and age mix for their
    statistical neighbours (:func:`geo.profile_neighbours.load_council_basics`); tables the
    store lacks are left out."""
    out = {}
    for name in names:
        try:
            out[name] = geo.load_indicators(name)
        except OppmapError:
            continue
    if names == PROFILE_TABLES:
        out[gn.BASICS_TABLE] = gn.load_council_basics()
    return out


@shared
def measures() -> pd.DataFrame:
    return gp.council_measures(catalogue())


@cache
def council_values(measure_id: str) -> pd.Series:
    meta = measures().loc[measure_id]
    return gp.measure_values(geo.load_indicators(meta[meta["level"]]), meta)


@cache
def lsoa_values(indicator_id: str) -> pd.Series:
    """A small-area indicator's values (each nation's own decile for :data:`DEFAULT_LSOA`)."""
    if indicator_id == ga.OWN_DECILE:
        return ga.own_deciles()
    return geo.load_indicators(indicator_id)[indicator_id].rename("value")


def council_lsoas(code: str) -> pd.DataFrame:
    """The council's small areas (LSOAs or data zones; none in Northern Ireland)."""
    return council_areas(code)[0]


@shared
def council_areas(code: str) -> tuple[pd.DataFrame, str | None]:
    return ga.council_areas(code, councils())


@shared
def small_areas() -> pd.DataFrame:
    """Every LSOA and data zone (display copies) with its name and council, for clicks."""
    return pd.concat([display_boundaries(level, "council") for level in IMAGE_LEVELS])


@shared
def nation_clusters(letter: str) -> pd.DataFrame:
    return gh.load_clusters(index_of_nation(letter))


@shared
def every_cluster_owner() -> pd.Series:
    """Small-area code -> named cluster, every nation's (codes differ across nations)."""
    return pd.concat([gh.cluster_names(nation_clusters(letter))
                      for letter in ga.own_decile_ids()])


@cache
def national_outcomes(run: str) -> pd.DataFrame:
    return gv.national_outcomes(run)


@shared
def neighbour_basis(code: str) -> dict:
    return gn.neighbour_basis(code, tables=store_tables(), councils=councils(),
                              labels=gp.NEIGHBOUR_LABELS)


def summary_ranks(code: str) -> tuple[pd.DataFrame | None, str]:
    """The council's summary ranks on its nation's own index (None without a summary) and
    the index's title."""
    letter = str(councils().at[code, "country"])
    spec = index_spec(index_of_nation(letter))
    if letter == "E":
        table = store_tables().get(f"summary_{gc.council_level(councils(), code)}")
    else:
        table = store_tables().get(spec.get("summaries", {}).get("lad24", ""))
    if table is None or code not in table.index:
        return None, spec["title"]
    return gp.iod_summary_ranks(table, code, domains=gp.summary_domains(spec["id"])), spec["title"]


@shared
def level_tables() -> dict[str, pd.DataFrame]:
    return {lvl: gp.comparison_table(store_tables(), measures(), level=lvl)
            for lvl in gc.COUNCIL_LEVELS}


@cache
def profile(code: str) -> pd.DataFrame:
    return gp.council_profile(code, tables=store_tables(), measures=measures(),
                              councils=councils())


def summary_of(code: str) -> pd.DataFrame:
    return store_tables()[f"summary_{gc.council_level(councils(), code)}"]


def hotspot_choices() -> dict[str, str]:
    return {"none": "No hotspot layer", **gh.run_choices(hotspot_runs())}


@cache
def run_labels(run: str) -> pd.Series:
    return gh.run_results(gh.load_hotspots(), run)["label"]


@shared
def cluster_owner() -> pd.Series:
    return gh.cluster_names(clusters())


@shared
def places() -> pd.DataFrame:
    """Label points of councils and places (precomputed by the store build)."""
    return stored.load_places()


@cache
def cluster_words() -> str:
    return gh.cluster_words(clusters(), params=hotspot_params())


@shared
def national_grid():
    """Every LSOA of the store in the grid of the national image (precomputed by the build)."""
    return stored.load_position_grid("lsoa21")


@shared
def lsoa_lookup(level: str = "lsoa21"):
    """Exact point-in-area lookup for clicks on the national image (grid from the build)."""
    areas = analysis_boundaries(level)
    cells = stored.load_lookup_grid(level)
    if not cells["codes"].equals(areas.index):
        msg = f"the store's click lookup and its {level} areas differ; rebuild the store"
        raise OppmapError(msg)
    return lookup_index(areas[["geometry"]], cells["grid"], cells["transform"])


def area_at(lat: float, lng: float) -> str | None:
    """The LSOA or data zone under a clicked point of the national image, or None."""
    for level in IMAGE_LEVELS:
        code = lsoa_at(lat, lng, lsoa_lookup(level))
        if code is not None:
            return code
    return None


@shared
def image_grids() -> list:
    return [stored.load_position_grid(level) for level in IMAGE_LEVELS]


@cache
def lsoa_image(indicator_id: str, scheme: str) -> LsoaImage:
    return paint_lsoa_grid(national_grid(), lsoa_values(indicator_id), scheme=scheme,
                           polarity=catalogue().loc[indicator_id, "polarity"])


@cache
def national_image(indicator_id: str, scheme: str) -> NationalImage:
    """Every LSOA and data zone painted: by class where the indicator covers it, pale grey
    ("not covered by this index") elsewhere; deciles one colour each."""
    meta = lsoa_options().loc[indicator_id]
    scheme = "categories" if meta["unit"] == "decile" else scheme
    return paint_national_grids(image_grids(), lsoa_values(indicator_id), scheme=scheme,
                                polarity=meta["polarity"])


def preload() -> float:
    """Load what the first visitor's national map and clicks need (at server start); seconds."""
    started = time.perf_counter()
    for step in (councils, catalogue, measures, lsoa_options, hotspot_choices, hotspot_params,
                 national_cluster_outlines, cluster_owner, cluster_words, places,
                 national_grid, image_grids, level_tables, attribution_lines,
                 every_cluster_owner, small_areas):
        step()
    for level in IMAGE_LEVELS:
        lsoa_lookup(level)
    for level in ("lad24", "utla24"):
        display_boundaries(level, "national")
    council_values(DEFAULT_INDICATOR)
    lsoa_values(DEFAULT_LSOA)
    national_outcomes(DEFAULT_HOTSPOTS)
    national_image(DEFAULT_LSOA, "quantiles")
    seconds = time.perf_counter() - started
    logging.getLogger("oppmap.app").info("preloaded the store in %.1f s", seconds)
    return seconds


@st.cache_resource(show_spinner=False, max_entries=32)
def council_pack(code: str) -> bytes:
    """The council's pack (made when the download is clicked, on a thread of its own: no
    spinner, which would need the page's script context)."""
    return gc.council_pack(code)


def pack_filename(code: str) -> str:
    return gc.pack_filename(code, councils=councils())


@shared
def known_codes() -> dict[str, pd.Index]:
    """The store's codes of every level an upload can be at (:func:`upload_known_codes`)."""
    from geo.upload.reader import upload_known_codes

    return upload_known_codes()


@cache
def vintage_codes() -> pd.DataFrame | None:
    """Codes of other vintages (explain unmatched uploads); None without the data mirror."""
    try:
        source = boundaries.read_manifest(boundaries.store_dir()).get("source_dir")
        return load_vintage_codes(Path(source)) if source and Path(source).is_dir() else None
    except (OppmapError, OSError):
        return None


# ----------------------------------------------------------------------------- your data
#: How long an upload's check, analysis and files stay in the server's memory (seconds).
UPLOAD_TTL = 3600


@st.cache_data(show_spinner=False, max_entries=8, ttl=UPLOAD_TTL)
def checked_upload(digest: str, _data: bytes, filename: str):  # noqa: ARG001 - cache key
    """A file checked by :func:`geo.upload.reader.read_upload` and, for LSOA 2011 codes, carried
    to LSOA 2021 (:func:`geo.analysis.upload.upload_for_analysis`); cached by the file's hash."""
    import warnings

    from geo._errors import UnmatchedCodesWarning
    from geo.analysis.upload import upload_for_analysis
    from geo.upload.reader import read_upload

    with warnings.catch_warnings():  # unmatched codes are in the match report
        warnings.simplefilter("ignore", UnmatchedCodesWarning)
        result = read_upload(_data, known_codes=known_codes(), vintages=vintage_codes(),
                             filename=filename)
        return upload_for_analysis(result)


@st.cache_data(show_spinner=False, max_entries=6, ttl=UPLOAD_TTL)
def upload_analysis(digest: str, column: str, polarity: str, _result):  # noqa: ARG001 - key
    """:func:`geo.analysis.upload.analyse_upload` of one column of a checked upload, cached by
    the file's hash, the column and the polarity; a progress bar follows its long steps (made
    here, so that Streamlit replays it, finished and emptied, when the result is cached)."""
    from geo.analysis.upload import analyse_upload

    bar = st.progress(0.0, text="Analysing your data")

    def step(fraction: float, message: str) -> None:
        text = str(message).replace("*", "\\*")
        bar.progress(min(max(float(fraction), 0.0), 1.0), text=text[:1].upper() + text[1:])

    analysis = analyse_upload(_result.table[column], level=_result.level, polarity=polarity,
                              label=_result.labels[column], carry=_result.carry,
                              shapes=analysis_boundaries(_result.level), progress=step)
    bar.empty()
    return analysis


@st.cache_resource(show_spinner=False, max_entries=2, ttl=UPLOAD_TTL)
def upload_files(digest: str, column: str, polarity: str,  # noqa: ARG001 - the cache key
                 _analysis, _source: str | None, _messages: tuple[str, ...]) -> dict[str, bytes]:
    """The files of an analysis (:func:`geo.export.analysis_zip.analysis_files`), made once."""
    from geo.export.analysis_zip import analysis_files

    return analysis_files(_analysis, source=_source, messages=_messages)


@st.cache_resource(show_spinner=False, max_entries=2, ttl=UPLOAD_TTL)
def upload_zip(digest: str, column: str, polarity: str, _analysis, _source: str | None,
               _messages: tuple[str, ...]) -> bytes:
    """The analysis as one zip (made when the download is clicked, on a thread of its own)."""
    from geo.export.analysis_zip import analysis_zip

    return analysis_zip(upload_files(digest, column, polarity, _analysis, _source, _messages))


@shared
def level_grid(level: str):
    """Every area of a small-area level in the grid of the national image (from the build)."""
    return national_grid() if level == "lsoa21" else stored.load_position_grid(level)


def council_lsoa_view(code: str, indicator: str, *, scheme: str, hotspot: str,
                      classes: str = "national", label_top: int = 5) -> dict:
    """:func:`geo.council.council_view` (a folium map is built on each run) of the cached
    :func:`geo.council.council_view_data`: any council, on its own nation's index."""
    data = council_view_data(code, indicator, run=None if hotspot == "none" else hotspot)
    return gc.council_view(data, scheme=scheme, label_top=label_top, classes=classes)


def council_at(level: str, lat: float, lng: float) -> str | None:
    """The council of ``level`` under a clicked point, as drawn (the national display copy)."""
    return lsoa_at(lat, lng, display_boundaries(level, "national"))


def run_method(run: str) -> str:
    """How a stored run's results were found (:func:`geo.methodology.method_text`)."""
    info = hotspot_runs().loc[run]
    return method_text(info["method"], hotspot_params(), name=hotspot_choices()[run],
                       n_tested=info["n_tested"], where=info["where"])


def national_inference() -> str:
    """How the national runs judged significance (each nation over its own areas)."""
    return inference_text(hotspot_params(), n_tested=hotspot_runs().loc[CLUSTERED, "n_tested"],
                          where=hotspot_runs().loc[CLUSTERED, "where"])
