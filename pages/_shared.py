"""Shared pieces of the app's pages: cached loaders, URL state and the map frame.

Only widgets, caching and calls into ``geo`` / ``boundaries`` live here; every computation is
in those packages. Loaders are cached by hashable arguments (ids, scheme names); GeoDataFrames
are shared read-only resources and never mutated here (subsets and joins make new frames).
"""

from __future__ import annotations

import html
import warnings
from pathlib import Path

import folium
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

import boundaries
import geo
from geo._errors import OppmapError
from geo.assets import missing_assets
from geo.classify import MissingValuesWarning
from geo.compare import compare_area
from geo.export import council_pack as make_pack
from geo.export import safe_filename
from geo.maps import (
    LsoaImage,
    add_hotspot_legend,
    choropleth_map,
    describe_values,
    format_value,
    hotspot_layer,
    map_table,
    render_lsoa_image,
    to_standalone_html,
)
from geo.upload import load_vintage_codes

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

#: IoD-style council summaries (geo.summaries, stored as ``summary_lad24``): measure -> (label,
#: unit, factor). Every measure is "higher = more deprived".
SUMMARY_MEASURES = {
    "average_score": ("average score (population-weighted)", "score", 1.0),
    "proportion_most_deprived_10": ("% of LSOAs in England's most deprived 10%", "%", 100.0),
    "extent": ("extent: % of people in the most deprived 30% (tapered)", "%", 100.0),
    "local_concentration": ("local concentration (rank, higher = more deprived)", "rank", 1.0),
    "average_rank": ("average rank (higher = more deprived)", "rank", 1.0),
}
SUMMARY_EXTRA = {
    "compounded_share_population": (
        "People in LSOAs in England's worst 10% on 3+ domains at once (%)", "%", 100.0),
    "persistent_share_population": (
        "People in LSOAs in England's worst 10% in both 2019 and 2025 (%)", "%", 100.0),
}
DOMAINS = ("imd", "income", "employment", "education", "health", "crime", "housing",
           "environment")

#: Precomputed national hotspots in the store: "<method>:<indicator>" -> readable name.
HOTSPOT_INDICATORS = {
    "gi_star:imd_score": "IMD 2025 score, Gi* hot and cold spots",
    "local_moran:imd_score": "IMD 2025 score, local Moran clusters",
    "gi_star:n_domains_worst_decile": "Domains in England's worst 10%, Gi*",
    "local_moran:n_domains_worst_decile": "Domains in England's worst 10%, local Moran",
}
DEFAULT_HOTSPOTS = "gi_star:imd_score"

COUNCIL_LEVELS = ("lad24", "utla24")


# ----------------------------------------------------------------------------- store checks


def store_problem() -> str | None:
    """A message when the store or the map assets are missing, else None."""
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


@st.cache_data(show_spinner=False)
def council_options() -> pd.DataFrame:
    """Indicators that can be mapped by council: IoD-style summaries and council-level data.

    Indexed by option id (``summary.<column>`` or a catalogue id), with ``label``, ``unit``,
    ``polarity``, ``level``, ``dataset``, ``column``, ``factor``.
    """
    cat = catalogue()
    rows = []
    for domain in DOMAINS:
        score_label = cat.loc[f"iod2025.{domain}_score", "label"]
        name = score_label.split(":")[0]
        for measure, (mlabel, unit, factor) in SUMMARY_MEASURES.items():
            if measure == "average_score":
                unit = cat.loc[f"iod2025.{domain}_score", "unit"]
            rows.append({
                "id": f"summary.{domain}_{measure}", "label": f"{name}: {mlabel}", "unit": unit,
                "polarity": "higher_worse", "level": "lad24", "dataset": "summary_lad24",
                "column": f"{domain}_{measure}", "factor": factor,
            })
    for column, (label, unit, factor) in SUMMARY_EXTRA.items():
        rows.append({
            "id": f"summary.{column}", "label": label, "unit": unit, "polarity": "higher_worse",
            "level": "lad24", "dataset": "summary_lad24", "column": column, "factor": factor,
        })
    direct = cat[cat["level"].isin(COUNCIL_LEVELS)]
    for ident, meta in direct.iterrows():
        rows.append({
            "id": ident, "label": meta["label"], "unit": meta["unit"],
            "polarity": meta["polarity"], "level": meta["level"], "dataset": meta["dataset"],
            "column": meta["column"], "factor": 1.0,
        })
    return pd.DataFrame(rows).set_index("id")


@st.cache_data(show_spinner=False)
def council_values(option_id: str) -> pd.Series:
    """Values of a council option, indexed by the level's code."""
    meta = council_options().loc[option_id]
    table = geo.load_indicators(meta["dataset"])
    values = pd.to_numeric(table[meta["column"]], errors="coerce") * float(meta["factor"])
    return values.rename("value")


@st.cache_data(show_spinner=False)
def lsoa_values(indicator_id: str) -> pd.Series:
    return geo.load_indicators(indicator_id)[indicator_id].rename("value")


def lsoa_options() -> pd.DataFrame:
    cat = catalogue()
    return cat[cat["level"] == "lsoa21"]


@st.cache_data(show_spinner="Painting England's 33,755 LSOAs (once per indicator)...")
def lsoa_image(indicator_id: str, scheme: str) -> LsoaImage:
    meta = catalogue().loc[indicator_id]
    lsoas = analysis_boundaries("lsoa21")
    values = lsoa_values(indicator_id)
    frame = lsoas.loc[lsoas.index.isin(values.index), ["geometry"]].join(values)
    return render_lsoa_image(frame, "value", scheme=scheme, polarity=meta["polarity"])


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
        return {}
    return dict(manifest.get("hotspot_params", {}))


@st.cache_data(show_spinner=False)
def council_names() -> pd.DataFrame:
    """Every lower- and upper-tier council: ``name``, ``tier``, ``level``, ``country``."""
    frames = []
    for level, tier in (("lad24", "lower tier / unitary"), ("utla24", "upper tier / county")):
        g = display_boundaries(level, "national")
        frames.append(pd.DataFrame({"name": g["name"], "tier": tier, "level": level,
                                    "country": g["country"]}, index=g.index))
    both = pd.concat(frames)
    both = both[~both.index.duplicated(keep="first")]  # unitary authorities are in both tiers
    both.index.name = "code"
    return both


def council_level(code: str) -> str | None:
    names = council_names()
    return names.loc[code, "level"] if code in names.index else None


def council_lsoas(code: str) -> pd.DataFrame:
    """The council's LSOAs (display copy), whichever tier the code belongs to."""
    lsoas = display_boundaries("lsoa21", "council")
    level = council_level(code)
    if level is None:
        return lsoas.iloc[0:0]
    column = f"{level}_code"
    mask = lsoas[column] == code
    if level == "utla24":  # unitary authorities' LSOAs carry the code in both columns
        mask |= lsoas["lad24_code"] == code
    return lsoas[mask]


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


# ----------------------------------------------------------------------------- council LSOA view

HOTSPOT_CHOICES = {"none": "No hotspot layer", **HOTSPOT_INDICATORS}


def hotspot_caption(result: pd.DataFrame, labels: pd.Series, *, choice: str, place: str) -> str:
    """How the hotspots were found (method, weights, permutations, seed, FDR) and local counts."""
    params = hotspot_params()
    method = choice.split(":", 1)[0]
    counts = labels.value_counts()
    n_tested = int(result["p"].notna().sum()) if "p" in result else 33_755
    inference = (
        f"{params.get('permutations', 999)} conditional permutations (seed "
        f"{params.get('seed', 42)}), two-sided p-values, Benjamini-Hochberg false discovery rate "
        f"at {params.get('alpha', 0.05):.0%} over all {n_tested:,} English LSOAs tested together"
    )
    if method == "gi_star":
        hot = int(counts.filter(like="hot spot").sum())
        cold = int(counts.filter(like="cold spot").sum())
        return (
            f"{HOTSPOT_INDICATORS[choice]}: Getis-Ord Gi* with binary contiguity weights "
            f"including each area (islands joined to their nearest neighbours), {inference}. "
            f"In {place}: {hot} LSOAs in hot spots, {cold} in cold spots."
        )
    n = {k: int(counts.get(k, 0)) for k in ("High-High", "Low-Low", "High-Low", "Low-High")}
    return (
        f"{HOTSPOT_INDICATORS[choice]}: local Moran's I with row-standardised contiguity weights, "
        f"{inference}. In {place}: {n['High-High']} High-High and {n['Low-Low']} Low-Low LSOAs, "
        f"{n['High-Low'] + n['Low-High']} outliers."
    )


def council_lsoa_view(code: str, indicator: str, *, scheme: str, hotspot: str) -> dict:
    """Everything a page shows for one council's LSOAs: map, table, sentence, captions.

    Returns a dict with ``status`` ("ok", "outside", "no_values"), and for "ok": ``map``,
    ``table``, ``sentence``, ``caption`` (hotspot statement or None), ``frame``.
    """
    name = council_names().loc[code, "name"]
    meta = catalogue().loc[indicator]
    lsoas = council_lsoas(code)
    if lsoas.empty:
        return {"status": "outside", "name": name}
    frame = lsoas[["name", "ward24_name", "geometry"]].join(lsoa_values(indicator))
    if frame["value"].notna().sum() == 0:
        return {"status": "no_values", "name": name}
    sentence = describe_values(frame["value"], label=meta["label"], unit=meta["unit"],
                               polarity=meta["polarity"], names=frame["name"],
                               area_word=f"LSOAs in {name}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingValuesWarning)  # counted in the sentence
        m = choropleth_map(frame, "value", scheme=scheme, polarity=meta["polarity"],
                           label=meta["label"], unit=meta["unit"],
                           tooltip_fields={"ward24_name": "Ward"}, layer_name="LSOAs")
        table = map_table(frame, "value", scheme=scheme, unit=meta["unit"])
    table.insert(1, "ward", frame["ward24_name"])
    caption = None
    if hotspot != "none":
        result = hotspots(hotspot).reindex(frame.index)
        labels = result["label"].fillna("not significant")
        m.add_child(hotspot_layer(
            frame, labels, name=HOTSPOT_INDICATORS[hotspot],
            details={"Value": frame["value"],
                     ("Gi* z" if hotspot.startswith("gi_star") else "Local I"): result["statistic"],
                     "q (FDR)": result["q"]},
        ))
        add_hotspot_legend(m, labels, title=HOTSPOT_INDICATORS[hotspot],
                           note=f"FDR {hotspot_params().get('alpha', 0.05):.0%}")
        folium.LayerControl(collapsed=False).add_to(m)
        table["hotspot"] = labels
        caption = hotspot_caption(hotspots(hotspot), labels, choice=hotspot, place=name)
    return {"status": "ok", "name": name, "map": m, "table": table, "sentence": sentence,
            "caption": caption, "frame": frame, "label": meta["label"]}


def show_council_view(view: dict, *, key: str) -> None:
    if view["status"] == "outside":
        st.info(f"{view['name']} is outside England and Wales: LSOA data is not available here "
                "(Scotland's data zones and Northern Ireland's areas use other indices).")
        return
    if view["status"] == "no_values":
        st.info(f"This indicator has no values for {view['name']}: its source does not cover "
                "this council (the Indices of Deprivation 2025 cover England only).")
        return
    st.markdown(view["sentence"])
    if view["caption"]:
        st.caption(view["caption"])
    show_map(view["map"], key=key, height=520)
    attribution_caption()
    data_table(view["table"], label=f"{view['label']}, {view['name']}", key=f"{key}_table")


# ----------------------------------------------------------------------------- profiles

#: Indicators of a council profile and of Compare places, by the level they are published at.
PROFILE_IDS = (
    "summary.imd_average_score",
    "summary.imd_extent",
    "summary.imd_proportion_most_deprived_10",
    "summary.income_average_score",
    "summary.employment_average_score",
    "summary.education_average_score",
    "summary.health_average_score",
    "summary.compounded_share_population",
    "summary.persistent_share_population",
    "neet2025.neet_or_not_known_percent",
    "neet2025.participation_percent",
    "neet2025.level3_at_19_percent",
    "neet2025.attainment8",
    "neet2025.persistent_absence_percent",
    "ks2_2022.ks2_disadvantaged_pct",
    "ks2_2022.ks2_gap_ppt",
    "smc_ci1.conditions_of_childhood_2018_2024",
    "smc_ci2.labour_market_young_people_2018_2024",
    "smc_ci4.promising_prospects_2021_2024",
)
ENGLAND = "E92000001"


def option_catalogue() -> pd.DataFrame:
    """Council options in the shape of ``geo.catalogue()`` (for :func:`geo.compare.compare_area`)."""
    opts = council_options().copy()
    cat = catalogue()
    opts["life_stage"] = [cat.loc[i, "life_stage"] if i in cat.index else "all_ages"
                          for i in opts.index]
    opts["principle"] = [cat.loc[i, "principle"] if i in cat.index else "place"
                         for i in opts.index]
    return opts


@st.cache_data(show_spinner=False)
def level_table(level: str) -> pd.DataFrame:
    """Every council option available at ``level`` (lad24 or utla24), one column per option id.

    Rows: the level's councils, plus England and the regions where the publisher gives them
    (DfE tables) or the store summarises them (IoD-style summaries by region).
    """
    frames = []
    for ident, meta in council_options().iterrows():
        if meta["dataset"] == "summary_lad24":
            datasets = [f"summary_{level}", "summary_region"]
        elif meta["level"] == level:
            datasets = [meta["dataset"]]
            for extra in (f"{meta['dataset']}_england", f"{meta['dataset']}_regions"):
                try:
                    geo.load_indicators(extra)
                    datasets.append(extra)
                except OppmapError:
                    pass
        else:
            continue
        parts = []
        for ds in datasets:
            table = geo.load_indicators(ds)
            if meta["column"] in table.columns:
                col = pd.to_numeric(table[meta["column"]], errors="coerce") * meta["factor"]
                parts.append(col.rename(ident).set_axis(table.index.astype(str)))
        frames.append(pd.concat(parts))
    out = pd.concat(frames, axis=1)
    out.index.name = f"{level}_code"
    return out


@st.cache_data(show_spinner=False)
def region_of(level: str) -> pd.Series:
    shapes = display_boundaries(level, "national")
    return shapes["region_code"].dropna().astype(str)


@st.cache_data(show_spinner=False)
def council_profile(code: str, others: tuple[str, ...] = ()) -> pd.DataFrame:
    """One council beside England, its region (and optional comparators), per indicator.

    Lower-tier indicators use the council itself; upper-tier ones (DfE) its upper-tier council.
    Returns the rows of :func:`geo.compare.compare_area` for :data:`PROFILE_IDS` with an extra
    ``area_code`` (the code the value belongs to).
    """
    level = council_level(code)
    lad = display_boundaries("lad24", "national")
    parent = lad.loc[code, "utla24_code"] if (level == "lad24" and code in lad.index) else code
    parts = []
    for lvl, area in (("lad24", code if level == "lad24" else None), ("utla24", parent)):
        if area is None:
            continue
        table = level_table(lvl)
        wanted = [i for i in PROFILE_IDS if i in table.columns]
        regions = region_of(lvl)
        if area not in table.index or area not in regions.index:
            continue
        ids = [i for i in wanted if pd.notna(table.loc[area, i])]
        if lvl == "utla24" and level == "lad24":
            ids = [i for i in ids if not i.startswith("summary.")]  # the council's own are used
        if not ids:
            continue
        comparators = [c for c in others if c in table.index and c != area]
        res = compare_area(area, table=table[ids], catalogue=option_catalogue().loc[ids],
                           region_of=regions, neighbours=comparators, england_code=ENGLAND)
        res["area_code"] = area
        parts.append(res)
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts)
    return out.loc[[i for i in PROFILE_IDS if i in out.index]]


def profile_display(profile: pd.DataFrame) -> pd.DataFrame:
    """A readable version of :func:`council_profile` for st.dataframe."""
    rows = []
    for _ident, r in profile.iterrows():
        rows.append({
            "Indicator": r["label"],
            "Value": format_value(r["value"], r["unit"]),
            "England": format_value(r["england"], r["unit"])
            + ("" if r["england_source"] == "published" else " (mean of councils)"),
            "Region": format_value(r["region"], r["unit"]),
            "Rank (1 = worst)": f"{int(r['rank'])} of {int(r['n_ranked'])}"
            if pd.notna(r["rank"]) else "",
            "Published for": r["area_code"],
        })
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- council pack

PACK_SOURCES = ("iod2025", "lsoa21_bsc", "lookup_lsoa21_ward24_lad24", "iod2019")
PACK_METHODOLOGY = """\
Scores, ranks and deciles are the English Indices of Deprivation 2025 (MHCLG) for each LSOA
(rank 1 and decile 1 = most deprived). n_domains_worst_decile counts the seven domains in which the
LSOA is among England's most deprived 10%; 'compounded' means three or more such domains.
'persistent' means the LSOA was in the most deprived 10% on the IMD in both 2019 and 2025 (IoD 2019
LSOA 2011 ranks carried to LSOA 2021 through the ONS lookup; lookup_rule says how).
hotspot_imd_score is the Getis-Ord Gi* label of the IMD 2025 score computed over all of England's
LSOAs: binary contiguity weights including the area itself (islands joined to their nearest
neighbours), 999 conditional permutations with seed 42, two-sided p-values, Benjamini-Hochberg
false discovery rate at 5% over 33,755 tests; 'hot spot 95%' means q <= 0.05.
The map file shows the IMD 2025 score in quintiles of this council's LSOAs (darker = more deprived)
with the hotspots on top; it opens offline in any browser.
"""


def pack_filename(code: str) -> str:
    return safe_filename(f"oppmap_{code}_{council_names().loc[code, 'name']}") + ".zip"


@st.cache_data(show_spinner="Making the council pack...")
def council_pack(code: str) -> bytes:
    """The council's zip (see :func:`geo.export.council_pack`), cached per council."""
    level = council_level(code)
    lsoas = council_lsoas(code)
    keep = ["name", "ward24_name", "lad24_code", "lad24_name", "utla24_code", "geometry"]
    gdf = lsoas[[c for c in keep if c in lsoas.columns]]
    iod = geo.load_indicators("iod2025")
    compound = geo.load_indicators("compound")[
        ["n_domains_worst_decile", "compounded", "persistent", "lookup_rule"]
    ]
    gdf = gdf.join(iod).join(compound)
    gdf["hotspot_imd_score"] = hotspots(DEFAULT_HOTSPOTS)["label"].reindex(gdf.index)
    if level != "lad24":
        gdf = gdf.drop(columns=["lad24_code"])  # the pack keeps every LSOA of an upper tier
    sources = []
    for ident in PACK_SOURCES:
        meta = geo.dataset(ident)
        sources.append({k: meta.get(k) for k in ("title", "publisher", "vintage", "licence",
                                                  "landing")})
    metadata = {
        "title": "oppmap council pack",
        "attribution": attribution_lines(),
        "sources": sources,
        "method": {"hotspots": "Getis-Ord Gi*, binary contiguity incl. self",
                   "permutations": 999, "alpha": 0.05, "correction": "fdr_bh"},
        "seed": 42,
    }
    view = council_lsoa_view(code, "iod2025.imd_score", scheme="quantiles",
                             hotspot=DEFAULT_HOTSPOTS)
    try:
        map_html = to_standalone_html(view["map"], title=f"{view['name']}: IMD 2025 by LSOA")
    except OppmapError:
        map_html = None  # assets not installed: the pack still has the data
    return make_pack(gdf, council_code=code, council_name=str(view["name"]), metadata=metadata,
                     map_html=map_html, methodology=PACK_METHODOLOGY)


# ----------------------------------------------------------------------------- uploads


@st.cache_data(show_spinner=False)
def known_codes() -> dict[str, pd.Index]:
    """Valid codes per level, for :func:`geo.upload.read_upload`."""
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
    """Text that geo.upload escaped for HTML, back to plain text (for st.text)."""
    return html.unescape(str(text))


def md_escape(text: str) -> str:
    """Escape user-derived text for st.markdown / st.error (no links, emphasis or HTML)."""
    out = plain(text)
    for ch in "\\`*_{}[]()#+!|<>~$":
        out = out.replace(ch, "\\" + ch)
    return out
