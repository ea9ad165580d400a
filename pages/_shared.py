"""Shared pieces of the app's pages: the store check, URL state, the map frame and texts.

Widgets and layout only; the cached calls into ``geo`` are in :mod:`pages._data`, and every
table, sentence and map is made in ``geo``.
"""

from __future__ import annotations

import html

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

import boundaries
from geo import council as gc
from geo._errors import OppmapError
from geo.maps.assets import missing_assets
from pages import _data as data

#: Page keys (the ``page`` query parameter) -> (file, title). No page icons: Streamlit turns the
#: current page's icon into the favicon and fetches ``:material/...:`` icons from
#: fonts.gstatic.com, which fails without internet.
PAGES = {"explore": ("pages/explore.py", "Explore"),
         "compare": ("pages/compare.py", "Compare places"),
         "council": ("pages/my_council.py", "My council"),
         "upload": ("pages/your_data.py", "Your data"),
         "methods": ("pages/methodology.py", "Methodology and sources")}
SCHEMES = {"quantiles": "Quantiles (equal counts)", "deciles": "Deciles (10 equal counts)",
           "fisher_jenks": "Natural breaks (Fisher-Jenks)", "equal_interval": "Equal intervals"}
DEFAULT_INDICATOR = "summary.imd_average_score"


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
        st.warning("The map library (Leaflet) is not installed in `static/vendor`, so maps "
                   "cannot be drawn. Run `python -m geo assets` (or `make assets`) once, then "
                   "reload.")


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
    bad = gc.unknown_councils(data.councils(), str(st.query_params.get(param) or "").split(","))
    if bad:
        st.warning(f"The link names council code(s) {md_escape(', '.join(bad[:5]))} that are not "
                   "councils of 2024 (LAD or upper tier): ignored. Choose a council below.")


# ----------------------------------------------------------------------------- layout
def show_map(m, *, key: str, height: int = 560, returned: tuple[str, ...] = ()) -> dict:
    """Draw a folium map with only the returned objects the page uses."""
    return st_folium(m, key=key, height=height, use_container_width=True,
                     returned_objects=list(returned)) or {}


def clicked_code(result: dict, *, state_key: str) -> str | None:
    """The code of a newly clicked feature (None when nothing new was clicked)."""
    drawing = (result or {}).get("last_active_drawing") or {}
    code = (drawing.get("properties") or {}).get("code")
    if code and st.session_state.get(state_key) != code:
        st.session_state[state_key] = code
        return str(code)
    return None


def attribution_caption(extra: list[str] | None = None) -> None:
    st.caption(" ".join(dict.fromkeys(data.attribution_lines() + (extra or []))))


def map_block(m, *, key: str, sentence: str, table: pd.DataFrame, label: str,
              height: int = 520, returned: tuple[str, ...] = (),
              extra_attribution: list[str] | None = None) -> dict:
    """A map with its one-sentence summary above, attribution and data table below."""
    st.markdown(sentence)
    result = show_map(m, key=key, height=height, returned=returned)
    attribution_caption(extra_attribution)
    with st.expander(f"Data table: {label}", expanded=False):
        st.dataframe(table, width="stretch", key=f"{key}_table")
    return result


def show_council_view(view: dict, *, key: str, height: int = 520, brief: bool = False) -> None:
    """Show a :func:`council_lsoa_view`; ``brief`` gives only the local hotspot counts (the
    page states the method once)."""
    if view["status"] != "ok":
        st.info(view["message"])
        return
    if view["caption"]:
        st.caption(view["counts"] if brief else view["caption"])
    if view["clusters"]:
        st.caption(view["clusters"])
    map_block(view["map"], key=key, sentence=view["sentence"], table=view["table"],
              label=f"{view['label']}, {view['name']}", height=height)


def plain(text: str) -> str:
    """Text that geo.upload.reader escaped for HTML, back to plain text (for st.text)."""
    return html.unescape(str(text))


def md_escape(text: str) -> str:
    """Escape user-derived text for st.markdown / st.error (no links, emphasis or HTML)."""
    out = plain(text)
    for ch in "\\`*_{}[]()#+!|<>~$":
        out = out.replace(ch, "\\" + ch)
    return out
