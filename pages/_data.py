"""The app's cached calls into ``geo``: loaders, profiles, views and packs, one per function.

``st.cache_data`` for results a page may change (copied per call), ``st.cache_resource`` for
shared read-only tables and GeoDataFrames (never mutated by a page). Every table, sentence
and map is made in ``geo``: the council view model in :mod:`geo.council` and
:mod:`geo.council_hotspots`, profiles in :mod:`geo.profile`, maps in :mod:`geo.maps`. The slow
national resources (the LSOA grid and the click lookup) are built once per process, in a
background thread started by :func:`warm_up`.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd
import streamlit as st

import boundaries
import geo
from geo import council as gc
from geo import council_hotspots as gh
from geo import profile as gp
from geo._errors import OppmapError
from geo.maps.hotspots import cluster_outlines
from geo.maps.national import LsoaImage, lsoa_grid, paint_lsoa_grid
from geo.maps.raster import make_lookup_index
from geo.methodology import method_text, stored_parameters
from geo.upload.geojson import load_vintage_codes

DEFAULT_LSOA = gc.MAP_INDICATOR
#: The default hotspot layer: the run whose touching hot spots are the store's named clusters.
DEFAULT_HOTSPOTS = CLUSTERED = gh.CLUSTER_RUN
#: Store tables read by the profile pages (missing ones are skipped).
PROFILE_TABLES = (
    "summary_lad24", "summary_utla24", "summary_region", "summary_england",
    "neet2022", "neet2022_england", "neet2022_regions", "neet2023", "neet2023_england",
    "neet2023_regions", "neet2025", "neet2025_england", "neet2025_regions", "ks2_2022",
    "smc_ci1", "smc_ci2", "smc_ci3", "smc_ci4",
)

cache = st.cache_data(show_spinner=False)
shared = st.cache_resource(show_spinner=False)
catalogue = cache(geo.catalogue)
councils = cache(gc.load_councils)
hotspot_runs = cache(gh.load_runs)
hotspot_params = cache(stored_parameters)
clusters = shared(gh.load_clusters)
council_view_data = cache(gc.council_view_data)


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
    """Store tables by name; tables the store lacks are left out."""
    out = {}
    for name in names:
        try:
            out[name] = geo.load_indicators(name)
        except OppmapError:
            continue
    return out


@cache
def measures() -> pd.DataFrame:
    return gp.council_measures(catalogue())


@cache
def council_values(measure_id: str) -> pd.Series:
    meta = measures().loc[measure_id]
    return gp.measure_values(geo.load_indicators(meta[meta["level"]]), meta)


@cache
def lsoa_values(indicator_id: str) -> pd.Series:
    return geo.load_indicators(indicator_id)[indicator_id].rename("value")


def lsoa_options() -> pd.DataFrame:
    cat = catalogue()
    return cat[cat["level"] == "lsoa21"]


def council_lsoas(code: str) -> pd.DataFrame:
    return gc.council_lsoas(display_boundaries("lsoa21", "council"), councils(), code)


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
    return {"none": "No hotspot layer", **hotspot_runs()["name"].to_dict()}


@cache
def run_labels(run: str) -> pd.Series:
    return gh.run_results(gh.load_hotspots(), run)["label"]


@shared
def cluster_owner() -> pd.Series:
    return gh.cluster_names(clusters())


@shared
def national_cluster_outlines() -> pd.DataFrame:
    lsoas = display_boundaries("lsoa21", "council")
    members = lsoas.loc[lsoas.index.isin(cluster_owner().index), ["geometry"]]
    return cluster_outlines(members, clusters(), precision=4, simplify=0.0005)


@cache
def cluster_words() -> str:
    method = gh.split_run_id(CLUSTERED)[0]
    return gh.cluster_words(clusters(), gh.run_results(gh.load_hotspots(), CLUSTERED),
                            method=method, params=hotspot_params())


@shared
def national_grid():
    """Every LSOA of the store burnt into the display grid (about 3 s, once)."""
    return lsoa_grid(analysis_boundaries("lsoa21"))


@shared
def lsoa_lookup():
    """Exact point-in-LSOA lookup for clicks on the national image (about 3 s, once)."""
    return make_lookup_index(analysis_boundaries("lsoa21")[["geometry"]])


@cache
def lsoa_image(indicator_id: str, scheme: str) -> LsoaImage:
    return paint_lsoa_grid(national_grid(), lsoa_values(indicator_id), scheme=scheme,
                           polarity=catalogue().loc[indicator_id, "polarity"])


@shared
def warm_up() -> threading.Thread:
    """Build the slow shared resources in the background, once per server process."""
    from streamlit.runtime.scriptrunner import add_script_run_ctx

    def work() -> None:
        try:
            national_grid()
            lsoa_image(DEFAULT_LSOA, "quantiles")
            national_cluster_outlines()
            lsoa_lookup()
            level_tables()
        except Exception:  # noqa: BLE001 - a page will build it again and show the error
            pass

    thread = threading.Thread(target=work, name="oppmap-warm-up", daemon=True)
    add_script_run_ctx(thread)
    thread.start()
    return thread


@st.cache_data(show_spinner="Making the council pack...")
def council_pack(code: str) -> bytes:
    return gc.council_pack(code)


def pack_filename(code: str) -> str:
    return gc.pack_filename(code, councils=councils())


@cache
def known_codes() -> dict[str, pd.Index]:
    """Valid codes per level, for :func:`geo.upload.reader.read_upload`."""
    return {level: analysis_boundaries(level).index for level in ("lsoa21", "lad24", "utla24")}


@cache
def vintage_codes() -> pd.DataFrame | None:
    """Codes of other vintages (explain unmatched uploads); None without the data mirror."""
    try:
        source = boundaries.read_manifest(boundaries.store_dir()).get("source_dir")
        return load_vintage_codes(Path(source)) if source and Path(source).is_dir() else None
    except (OppmapError, OSError):
        return None


def council_lsoa_view(code: str, indicator: str, *, scheme: str, hotspot: str,
                      label_top: int = 5) -> dict:
    """:func:`geo.council.council_view` (a folium map is built on each run) of the cached
    :func:`geo.council.council_view_data`."""
    data = council_view_data(code, indicator, run=None if hotspot == "none" else hotspot)
    return gc.council_view(data, scheme=scheme, label_top=label_top)


def run_method(run: str) -> str:
    """How a stored run's results were found (:func:`geo.methodology.method_text`)."""
    info = hotspot_runs().loc[run]
    return method_text(info["method"], hotspot_params(), name=info["name"],
                       n_tested=info["n_tested"], where=info["where"])
