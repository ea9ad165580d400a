"""Shared pieces of the app's pages: cached loaders, URL state and the map frame.

Only widgets, caching and calls into ``geo`` / ``boundaries`` live here; every computation is in
those packages (profiles and packs in :mod:`geo.profile`, maps in :mod:`geo.maps`). Loaders are
cached by hashable arguments (ids, scheme names); GeoDataFrames and store tables are shared
read-only resources and never mutated here (subsets and joins make new frames). The slow
national resources (the LSOA position grid and the click lookup) are built once per process,
in a background thread started by :func:`warm_up`.
"""

from __future__ import annotations

import html
import threading
import warnings
from pathlib import Path

import folium
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

import boundaries
import geo
from geo import profile as gp
from geo._errors import OppmapError
from geo.export._rfc7946 import safe_filename
from geo.export.pack import council_pack as make_pack
from geo.maps.assets import missing_assets
from geo.maps.choropleth import choropleth_map, to_standalone_html
from geo.maps.classes import MissingValuesWarning, describe_values, map_table
from geo.maps.hotspots import add_hotspot_legend, cluster_layer, cluster_outlines, hotspot_layer
from geo.maps.national import LsoaImage, lsoa_grid, paint_lsoa_grid
from geo.maps.raster import make_lookup_index
from geo.methodology import method_parameters, methodology_text
from geo.upload.geojson import load_vintage_codes

#: Page keys (the ``page`` query parameter) -> (file, title). No page icons: Streamlit turns the
#: current page's icon into the favicon and fetches ``:material/...:`` icons from
#: fonts.gstatic.com, which fails without internet.
PAGES = {
    "explore": ("pages/explore.py", "Explore"),
    "compare": ("pages/compare.py", "Compare places"),
    "council": ("pages/my_council.py", "My council"),
    "upload": ("pages/your_data.py", "Your data"),
    "methods": ("pages/methodology.py", "Methodology and sources"),
}

SCHEMES = {
    "quantiles": "Quantiles (equal counts)",
    "deciles": "Deciles (10 equal counts)",
    "fisher_jenks": "Natural breaks (Fisher-Jenks)",
    "equal_interval": "Equal intervals",
}
DEFAULT_INDICATOR = "summary.imd_average_score"
DEFAULT_LSOA = "iod2025.imd_score"

#: Precomputed national hotspots in the store: "<method>:<indicator>" -> readable name.
HOTSPOT_INDICATORS = {
    "gi_star:n_domains_worst_decile": "Compounded disadvantage (domains in England's worst 10%), "
                                      "Gi* hot and cold spots",
    "local_moran:n_domains_worst_decile": "Compounded disadvantage, local Moran clusters",
    "gi_star:imd_score": "IMD 2025 score, Gi* hot and cold spots",
    "local_moran:imd_score": "IMD 2025 score, local Moran clusters",
}
#: The store's named clusters join touching Gi* hot spots of compounded disadvantage.
DEFAULT_HOTSPOTS = CLUSTERED = "gi_star:n_domains_worst_decile"
HOTSPOT_CHOICES = {"none": "No hotspot layer", **HOTSPOT_INDICATORS}
#: Short names for map layers and legends.
HOTSPOT_SHORT = {
    "gi_star:n_domains_worst_decile": "Compounded disadvantage: Gi* spots",
    "local_moran:n_domains_worst_decile": "Compounded disadvantage: local Moran",
    "gi_star:imd_score": "IMD 2025 score: Gi* spots",
    "local_moran:imd_score": "IMD 2025 score: local Moran",
}
COUNCIL_LEVELS = ("lad24", "utla24")
#: Store tables read by the profile pages (missing ones are skipped).
PROFILE_TABLES = (
    "summary_lad24", "summary_utla24", "summary_region", "summary_england",
    "neet2022", "neet2022_england", "neet2022_regions", "neet2023", "neet2023_england",
    "neet2023_regions", "neet2025", "neet2025_england", "neet2025_regions", "ks2_2022",
    "smc_ci1", "smc_ci2", "smc_ci3", "smc_ci4",
)
PACK_TABLES = gp.PACK_DATASETS
PACK_SOURCES = ("iod2025", "iod2019", "census21_deprivation", "population", "lsoa21_bsc",
                "lookup_lsoa21_ward24_lad24")


# ----------------------------------------------------------------------------- store checks


def store_problem() -> str | None:
    """A message when the store cannot be read, else None."""
    try:
        boundaries.load("lad24", display="national")
    except OppmapError as exc:
        return f"The data store is not ready: {exc}"
    return None


def require_store() -> None:
    """Stop the page with a clear message when the store cannot be read."""
    problem = store_problem()
    if problem:
        st.error(problem + "\n\nBuild it once with `make store` (or `python -m geo data build`).")
        st.stop()
    if missing_assets():
        st.warning(
            "The map library (Leaflet) is not installed in `static/vendor`, so maps cannot be "
            "drawn. Run `python -m geo assets` (or `make assets`) once, then reload."
        )


# ----------------------------------------------------------------------------- cached loaders


@st.cache_data(show_spinner=False)
def catalogue() -> pd.DataFrame:
    return geo.catalogue()


@st.cache_data(show_spinner=False)
def attribution_lines() -> list[str]:
    return list(geo.attribution_lines())


@st.cache_resource(show_spinner=False)
def display_boundaries(level: str, view: str) -> pd.DataFrame:
    """Display copy (EPSG:4326); shared, read-only."""
    return boundaries.load(level, display=view)


@st.cache_resource(show_spinner=False)
def analysis_boundaries(level: str) -> pd.DataFrame:
    """Analysis copy (EPSG:27700); shared, read-only."""
    return boundaries.load(level)


@st.cache_resource(show_spinner=False)
def store_tables(names: tuple[str, ...] = PROFILE_TABLES) -> dict[str, pd.DataFrame]:
    """Store tables by name (shared, read-only); tables the store lacks are left out."""
    out = {}
    for name in names:
        try:
            out[name] = geo.load_indicators(name)
        except OppmapError:
            continue
    return out


@st.cache_data(show_spinner=False)
def measures() -> pd.DataFrame:
    """Indicators published for councils (:func:`geo.profile.council_measures`)."""
    return gp.council_measures(catalogue())


@st.cache_data(show_spinner=False)
def council_values(measure_id: str) -> pd.Series:
    """Values of a council measure (display units), indexed by its finest level's code."""
    meta = measures().loc[measure_id]
    table = geo.load_indicators(meta[meta["level"]])
    values = pd.to_numeric(table[meta["column"]], errors="coerce") * float(meta["factor"])
    return values.rename("value")


@st.cache_data(show_spinner=False)
def lsoa_values(indicator_id: str) -> pd.Series:
    return geo.load_indicators(indicator_id)[indicator_id].rename("value")


def lsoa_options() -> pd.DataFrame:
    cat = catalogue()
    return cat[cat["level"] == "lsoa21"]


@st.cache_data(show_spinner=False)
def councils() -> pd.DataFrame:
    """Every lower- and upper-tier council: ``name``, ``tier``, ``level``, ``country``,
    ``region_code``, ``utla24_code`` (a unitary authority appears once, as lower tier)."""
    frames = []
    for level, tier in (("lad24", "lower tier / unitary"), ("utla24", "upper tier / county")):
        g = display_boundaries(level, "national")
        frame = pd.DataFrame({"name": g["name"], "tier": tier, "level": level,
                              "country": g["country"], "region_code": g.get("region_code"),
                              "utla24_code": g.get("utla24_code", g.index.to_series())},
                             index=g.index)
        frames.append(frame)
    both = pd.concat(frames)
    both = both[~both.index.duplicated(keep="first")]
    both.index.name = "code"
    return both


def council_names() -> pd.DataFrame:
    return councils()


def council_level(code: str) -> str | None:
    names = councils()
    return names.loc[code, "level"] if code in names.index else None


def council_lsoas(code: str) -> pd.DataFrame:
    """The council's LSOAs (display copy), whichever tier the code belongs to."""
    lsoas = display_boundaries("lsoa21", "council")
    level = council_level(code)
    if level is None:
        return lsoas.iloc[0:0]
    mask = lsoas[f"{level}_code"] == code
    if level == "lad24":  # a unitary authority's LSOAs carry its code in both columns
        mask |= lsoas["utla24_code"] == code
    return lsoas[mask]


@st.cache_resource(show_spinner=False)
def level_tables() -> dict[str, pd.DataFrame]:
    """Councils, regions and England per level, one column per measure (shared, read-only)."""
    tables = store_tables()
    return {lvl: gp.comparison_table(tables, measures(), level=lvl) for lvl in COUNCIL_LEVELS}


@st.cache_data(show_spinner=False)
def profile(code: str) -> pd.DataFrame:
    """:func:`geo.profile.council_profile` of one council (cached per council)."""
    return gp.council_profile(code, tables=store_tables(), measures=measures(),
                              councils=councils())


@st.cache_data(show_spinner=False)
def summary_of(code: str) -> pd.DataFrame:
    """The IoD summary table of the council's level (``summary_lad24`` / ``summary_utla24``)."""
    return store_tables()[f"summary_{council_level(code)}"]


# ----------------------------------------------------------------------------- hotspots


@st.cache_data(show_spinner=False)
def hotspots(choice: str) -> pd.DataFrame:
    """The store's national results for one "<method>:<indicator>", indexed by LSOA code."""
    method, indicator = choice.split(":", 1)
    table = geo.load_indicators("hotspots_lsoa21")
    part = table[(table["method"] == method) & (table["indicator"] == indicator)]
    return part.drop(columns=["method", "indicator"])


@st.cache_data(show_spinner=False)
def hotspot_params() -> dict:
    """Permutations, seed, alpha and correction of the stored hotspots (from the manifest)."""
    try:
        manifest = boundaries.read_manifest(boundaries.store_dir())
    except OppmapError:
        return dict(method_parameters())
    return {**method_parameters(), **manifest.get("hotspot_params", {})}


@st.cache_resource(show_spinner=False)
def clusters() -> pd.DataFrame:
    """The store's named clusters of compounded disadvantage (shared, read-only)."""
    return geo.load_indicators("clusters")


@st.cache_resource(show_spinner=False)
def cluster_owner() -> pd.Series:
    """LSOA code -> cluster name."""
    members = clusters()["lsoa_codes"].str.split(";").explode()
    return clusters()["name"].reindex(members.index).set_axis(members.to_numpy())


@st.cache_resource(show_spinner=False)
def national_cluster_outlines() -> pd.DataFrame:
    lsoas = display_boundaries("lsoa21", "council")
    members = lsoas.loc[lsoas.index.isin(cluster_owner().index), ["geometry"]]
    return cluster_outlines(members, clusters(), precision=4, simplify=0.0005)


@st.cache_data(show_spinner=False)
def council_cluster_outlines(code: str) -> pd.DataFrame:
    """Outlines of the whole named clusters that touch the council."""
    here = gp.council_clusters(clusters(), council_lsoas(code).index)
    if here.empty:
        return national_cluster_outlines().iloc[0:0]
    lsoas = display_boundaries("lsoa21", "council")
    picked = clusters().loc[here.index]
    members = set(picked["lsoa_codes"].str.split(";").explode())
    return cluster_outlines(lsoas.loc[lsoas.index.isin(members), ["geometry"]], picked)


def cluster_sentence(outlines: pd.DataFrame, *, place: str) -> str:
    if outlines.empty:
        return f"No named cluster of compounded disadvantage touches {place}."
    top = outlines.sort_values("population", ascending=False).iloc[0]
    n = len(outlines)
    return (f"Purple outlines: {n} named cluster{'s' if n > 1 else ''} of hot spots of "
            f"compounded disadvantage (Gi*, 95%+ after FDR) in {place}; the largest, "
            f"{top['name']}, has {int(top['n_lsoas']):,} neighbourhoods and "
            f"{int(top['population']):,} people (hover an outline for its name).")


# ----------------------------------------------------------------------------- national LSOAs


@st.cache_resource(show_spinner=False)
def national_grid():
    """Every LSOA of England and Wales burnt into the display grid (about 3 s, once)."""
    return lsoa_grid(analysis_boundaries("lsoa21"))


@st.cache_resource(show_spinner=False)
def lsoa_lookup():
    """Exact point-in-LSOA lookup for clicks on the national image (about 3 s, once)."""
    return make_lookup_index(analysis_boundaries("lsoa21")[["geometry"]])


@st.cache_data(show_spinner=False)
def lsoa_image(indicator_id: str, scheme: str) -> LsoaImage:
    meta = catalogue().loc[indicator_id]
    return paint_lsoa_grid(national_grid(), lsoa_values(indicator_id), scheme=scheme,
                           polarity=meta["polarity"])


@st.cache_resource(show_spinner=False)
def warm_up() -> threading.Thread:
    """Build the slow shared resources in the background, once per server process."""

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
    try:
        from streamlit.runtime.scriptrunner import add_script_run_ctx

        add_script_run_ctx(thread)
    except ImportError:  # pragma: no cover - older Streamlit
        pass
    thread.start()
    return thread


# ----------------------------------------------------------------------------- URL state


def init_state(key: str, param: str, valid, default):
    """Put a widget's default into session state once: from the URL when valid."""
    if key not in st.session_state:
        value = st.query_params.get(param)
        st.session_state[key] = value if value in valid else default
    elif st.session_state[key] not in valid:
        st.session_state[key] = default
    return st.session_state[key]


def set_param(param: str, value: str | None) -> None:
    """Keep the shareable state in the URL (a link reproduces the view)."""
    if value in (None, ""):
        if param in st.query_params:
            del st.query_params[param]
    elif st.query_params.get(param) != value:
        st.query_params[param] = value


def set_page(key: str) -> None:
    set_param("page", key)


def unknown_council_notice(param: str = "council") -> None:
    """Say so when the URL names a council code that does not exist (then carry on)."""
    wanted = st.query_params.get(param)
    if not wanted:
        return
    bad = [c for c in str(wanted).split(",") if c and c not in councils().index]
    if bad:
        st.warning(f"The link names council code(s) {md_escape(', '.join(bad[:5]))} that are not "
                   "councils of 2024 (LAD or upper tier): ignored. Choose a council below.")


# ----------------------------------------------------------------------------- map frame


def show_map(m, *, key: str, height: int = 560, returned: tuple[str, ...] = ()) -> dict:
    """Draw a folium map with only the returned objects the page uses."""
    return st_folium(
        m, key=key, height=height, use_container_width=True, returned_objects=list(returned)
    ) or {}


def clicked_code(result: dict, *, state_key: str) -> str | None:
    """The code of a newly clicked feature (None when nothing new was clicked)."""
    drawing = (result or {}).get("last_active_drawing") or {}
    code = (drawing.get("properties") or {}).get("code")
    if code and st.session_state.get(state_key) != code:
        st.session_state[state_key] = code
        return str(code)
    return None


def attribution_caption(extra: list[str] | None = None) -> None:
    lines = attribution_lines() + (extra or [])
    st.caption(" ".join(dict.fromkeys(lines)))


def data_table(table: pd.DataFrame, *, label: str, key: str) -> None:
    with st.expander(f"Data table: {label}", expanded=False):
        st.dataframe(table, width="stretch", key=key)


def map_block(m, *, key: str, sentence: str, table: pd.DataFrame, label: str,
              height: int = 520, returned: tuple[str, ...] = (),
              extra_attribution: list[str] | None = None) -> dict:
    """A map with its one-sentence summary above, attribution and data table below."""
    st.markdown(sentence)
    result = show_map(m, key=key, height=height, returned=returned)
    attribution_caption(extra_attribution)
    data_table(table, label=label, key=f"{key}_table")
    return result


# ----------------------------------------------------------------------------- council LSOA view


def hotspot_method(choice: str, *, n_tested: int = 33_755) -> str:
    """How the hotspots were found: method, weights, permutations, seed, FDR."""
    params = hotspot_params()
    inference = (
        f"{params.get('permutations', 999)} conditional permutations (seed "
        f"{params.get('seed', 42)}), two-sided p-values, Benjamini-Hochberg false discovery rate "
        f"at {params.get('alpha', 0.05):.0%} over all {n_tested:,} English LSOAs tested together"
    )
    if choice.startswith("gi_star"):
        return (f"{HOTSPOT_INDICATORS[choice]}: Getis-Ord Gi* with binary contiguity weights "
                "including each area (islands joined to their nearest neighbours), "
                f"{inference}.")
    return (f"{HOTSPOT_INDICATORS[choice]}: local Moran's I with row-standardised contiguity "
            f"weights, {inference}.")


def hotspot_counts(labels: pd.Series, *, choice: str, place: str) -> str:
    """How many of the place's LSOAs are in each kind of spot or cluster."""
    counts = labels.value_counts()
    if choice.startswith("gi_star"):
        hot = int(counts.filter(like="hot spot").sum())
        cold = int(counts.filter(like="cold spot").sum())
        return f"In {place}: {hot} LSOAs in hot spots, {cold} in cold spots."
    n = {k: int(counts.get(k, 0)) for k in ("High-High", "Low-Low", "High-Low", "Low-High")}
    return (f"In {place}: {n['High-High']} High-High and {n['Low-Low']} Low-Low LSOAs, "
            f"{n['High-Low'] + n['Low-High']} outliers.")


def council_lsoa_view(code: str, indicator: str, *, scheme: str, hotspot: str,
                      label_top: int = 5) -> dict:
    """Everything a page shows for one council's LSOAs: map, table, sentence, captions.

    Returns a dict with ``status`` ("ok", "outside", "no_values"), and for "ok": ``map``,
    ``table``, ``sentence``, ``caption`` (hotspot statement or None), ``clusters`` (sentence
    or None), ``frame``, ``label``.
    """
    name = councils().loc[code, "name"]
    meta = catalogue().loc[indicator]
    lsoas = council_lsoas(code)
    if lsoas.empty:
        return {"status": "outside", "name": name}
    frame = lsoas[["name", "ward24_name", "geometry"]].join(lsoa_values(indicator))
    if frame["value"].notna().sum() == 0:
        return {"status": "no_values", "name": name}
    frame["cluster"] = cluster_owner().reindex(frame.index).fillna("none")
    sentence = describe_values(frame["value"], label=meta["label"], unit=meta["unit"],
                               polarity=meta["polarity"], names=frame["name"],
                               area_word=f"LSOAs in {name}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingValuesWarning)  # counted in the sentence
        m = choropleth_map(frame, "value", scheme=scheme, polarity=meta["polarity"],
                           label=meta["label"], unit=meta["unit"], layer_name="LSOAs",
                           tooltip_fields={"ward24_name": "Ward", "cluster": "Named cluster"})
        table = map_table(frame, "value", scheme=scheme, unit=meta["unit"])
    table.insert(1, "ward", frame["ward24_name"])
    caption = cluster_text = counts = None
    if hotspot != "none":
        result = hotspots(hotspot).reindex(frame.index)
        labels = result["label"].fillna("not significant")
        m.add_child(hotspot_layer(
            frame, labels, name=HOTSPOT_SHORT[hotspot], outline=hotspot != CLUSTERED,
            details={"Value": frame["value"],
                     ("Gi* z" if hotspot.startswith("gi_star") else "Local I"): result["statistic"],
                     "q (FDR)": result["q"]},
        ))
        add_hotspot_legend(m, labels, title=HOTSPOT_SHORT[hotspot],
                           note=f"FDR {hotspot_params().get('alpha', 0.05):.0%}"
                           + ("; purple: named clusters" if hotspot == CLUSTERED else ""))
        table["hotspot"] = labels
        n_tested = int(hotspots(hotspot)["p"].notna().sum())
        counts = hotspot_counts(labels, choice=hotspot, place=name)
        caption = hotspot_method(hotspot, n_tested=n_tested) + " " + counts
        if hotspot == CLUSTERED:
            outlines = council_cluster_outlines(code)
            m.add_child(cluster_layer(outlines, name="Named clusters", label_top=label_top))
            table["cluster"] = frame["cluster"]
            cluster_text = cluster_sentence(outlines, place=name)
        folium.LayerControl(collapsed=True).add_to(m)
    return {"status": "ok", "name": name, "map": m, "table": table, "sentence": sentence,
            "caption": caption, "counts": counts, "clusters": cluster_text, "frame": frame,
            "label": meta["label"]}


def show_council_view(view: dict, *, key: str, height: int = 520, brief: bool = False) -> None:
    """Show a :func:`council_lsoa_view`; ``brief`` gives only the local hotspot counts (the
    page states the method once)."""
    if view["status"] == "outside":
        st.info(f"{view['name']} is outside England and Wales: LSOA data is not available here "
                "(Scotland's data zones and Northern Ireland's areas use other indices).")
        return
    if view["status"] == "no_values":
        st.info(f"This indicator has no values for {view['name']}: its source does not cover "
                "this council (the Indices of Deprivation 2025 cover England only).")
        return
    if view["caption"]:
        st.caption(view["counts"] if brief else view["caption"])
    if view["clusters"]:
        st.caption(view["clusters"])
    map_block(view["map"], key=key, sentence=view["sentence"], table=view["table"],
              label=f"{view['label']}, {view['name']}", height=height)


# ----------------------------------------------------------------------------- council pack


def pack_filename(code: str) -> str:
    return safe_filename(f"oppmap_{code}_{councils().loc[code, 'name']}") + ".zip"


@st.cache_data(show_spinner="Making the council pack...")
def council_pack(code: str) -> bytes:
    """The council's zip (:func:`geo.export.pack.council_pack`), cached per council: GeoJSON and CSV
    of every LSOA indicator with hotspot labels and clusters, an offline map, methodology."""
    level = council_level(code)
    tables = store_tables(PACK_TABLES)
    frame = gp.pack_frame(council_lsoas(code), tables=tables,
                          hotspots=geo.load_indicators("hotspots_lsoa21"), clusters=clusters(),
                          council_level=level)
    sources = []
    for ident in PACK_SOURCES:
        try:
            sources.append(geo.dataset(ident))
        except (KeyError, OppmapError):
            continue
    metadata = gp.pack_metadata(sources, attribution=attribution_lines(),
                                params=hotspot_params())
    view = council_lsoa_view(code, DEFAULT_LSOA, scheme="quantiles", hotspot=DEFAULT_HOTSPOTS)
    try:
        map_html = to_standalone_html(view["map"], title=f"{view['name']}: IMD 2025 by LSOA")
    except OppmapError:
        map_html = None  # assets not installed: the pack still has the data
    return make_pack(frame, council_code=code, council_name=str(view["name"]),
                     metadata=metadata, map_html=map_html,
                     methodology=gp.pack_methodology(methodology_text(params=hotspot_params())))


# ----------------------------------------------------------------------------- uploads


@st.cache_data(show_spinner=False)
def known_codes() -> dict[str, pd.Index]:
    """Valid codes per level, for :func:`geo.upload.reader.read_upload`."""
    return {level: analysis_boundaries(level).index for level in ("lsoa21", "lad24", "utla24")}


@st.cache_data(show_spinner=False)
def vintage_codes() -> pd.DataFrame | None:
    """Codes of other vintages (explain unmatched uploads); None without the data mirror."""
    try:
        source = boundaries.read_manifest(boundaries.store_dir()).get("source_dir")
        return load_vintage_codes(Path(source)) if source and Path(source).is_dir() else None
    except (OppmapError, OSError):
        return None


def plain(text: str) -> str:
    """Text that geo.upload.reader escaped for HTML, back to plain text (for st.text)."""
    return html.unescape(str(text))


def md_escape(text: str) -> str:
    """Escape user-derived text for st.markdown / st.error (no links, emphasis or HTML)."""
    out = plain(text)
    for ch in "\\`*_{}[]()#+!|<>~$":
        out = out.replace(ch, "\\" + ch)
    return out
