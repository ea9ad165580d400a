"""Shared pieces of the app's pages: the store check, the map frame, texts and errors.

Widgets and layout only; the state the widgets show is in :mod:`pages._state`, the cached calls
into ``geo`` in :mod:`pages._data`, and every table, sentence and map is made in ``geo``.
"""

from __future__ import annotations

import html
import logging
import uuid
from collections.abc import Callable

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

import boundaries
from geo import council as gc
from geo import council_areas as ga
from geo._errors import OppmapError
from geo.maps.assets import missing_assets
from geo.maps.frame import WEB_BASEMAP, add_web_basemap, set_map_title
from pages import _data as data
from pages import _state as state

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
#: Classes of a council's neighbourhood maps: over the nation (maps compare) or the council.
CLASSES = {"national": "Classes of the whole nation (maps compare)",
           "council": "Classes within each council"}
#: The URL parameters each page shows (and the app's page links carry to it).
PAGE_PARAMS = {"explore": ("indicator", "scheme", "view", "lsoa", "council", "hotspots",
                           "classes"),
               "compare": ("councils", "indicator", "scheme", "lsoa", "hotspots", "classes"),
               "council": ("council", "lsoa", "scheme", "hotspots", "classes"),
               "upload": (), "methods": ()}
DEFAULT_INDICATOR = data.DEFAULT_INDICATOR
LOG = logging.getLogger("oppmap.app")
LINKS = "oppmap_links"


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
        stop()
    if missing_assets():
        st.warning("The map library (Leaflet) is not installed in `static/vendor`, so maps "
                   "cannot be drawn. Run `python -m geo assets` (or `make assets`) once, then "
                   "reload.")


def report_error(exc: BaseException) -> None:
    """An unexpected error as a short message on the page and a full entry in the server log."""
    ref = uuid.uuid4().hex[:8]
    LOG.error("page error %s", ref, exc_info=exc)
    reason = f" ({md_escape(str(exc))})" if isinstance(exc, OppmapError) else ""
    st.error(f"Something went wrong while making this part of the page{reason}. Try again, or "
             "choose another council or indicator. If it happens again, tell whoever runs this "
             f"app: the details are in its log under reference {ref}.")


def set_page(key: str) -> None:
    """Start a page's run: what it shows starts empty, the sidebar holds the app's choices and
    (filled by :func:`finish`) the page links."""
    state.begin_run()
    state.put("page", key)
    st.session_state[LINKS] = st.sidebar.container()
    sidebar_options()


def finish() -> None:
    """End a page's run (once, whatever happened): the page links carry what the page showed,
    and the URL gets it (see :mod:`pages._state`)."""
    if not state.first_finish():
        return
    box = st.session_state.pop(LINKS, None)
    if box is not None:
        page_links(box)
    state.publish()


def stop() -> None:
    """``st.stop()`` after :func:`finish`."""
    finish()
    st.stop()


def set_param(param: str, value: str | None) -> None:
    """Show a value in the URL (written at the end of the run with the others)."""
    state.put(param, value)


#: Keyboard focus that can be seen, on links and the map frames (WCAG 2.4.7).
FOCUS_CSS = ("<style>[data-testid='stPageLink'] a:focus-visible, iframe:focus-visible "
             "{outline: 3px solid #1c5d99; outline-offset: 2px; border-radius: 4px;}</style>")


def sidebar_options() -> None:
    """App-wide choices in the sidebar (every page): the optional web basemap."""
    on = state.read("basemap", ("web",), None) == "web"
    st.session_state["basemap_toggle"] = on
    st.sidebar.toggle(
        "Web basemap (needs internet)", key="basemap_toggle",
        on_change=lambda: state.put("basemap", "web" if st.session_state["basemap_toggle"]
                                    else None),
        help=f"{WEB_BASEMAP['name']} under the maps: streets and towns, when this computer "
             "can reach the internet. Without it the maps draw as usual, with council and "
             "place names of their own.")
    state.put("basemap", "web" if on else None)


def page_links(box) -> None:
    """The app's page links, each carrying the choices its page shows (a visible outline on
    the one a keyboard has focused: the theme only greys it, as it greys the current page)."""
    with box:
        st.html(FOCUS_CSS)
        for key, (path, title) in PAGES.items():
            st.page_link(path, label=title, query_params={
                "page": key, **state.link_params((*PAGE_PARAMS[key], "basemap"))})


def unknown_page_notice(asked: object) -> None:
    """Say so when the link names a page oppmap does not have (Explore opens instead)."""
    if asked is not None and str(asked).strip().lower() not in PAGES:
        st.warning(f"The link asks for a page '{md_escape(str(asked)[:40])}' that oppmap does "
                   f"not have; showing Explore. Pages: {', '.join(PAGES)}.")


def unknown_council_notice(param: str = "council") -> None:
    """Say so when the URL names a council code that does not exist (then carry on)."""
    bad = gc.unknown_councils(data.councils(), str(st.query_params.get(param) or "").split(","))
    if bad:
        st.warning(f"The link names council code(s) {md_escape(', '.join(bad[:5]))} that are not "
                   "councils of 2024 (LAD or upper tier): ignored. Choose a council below.")


def unknown_indicator_notice(options: pd.DataFrame, shown: list[str], *, default: str,
                             where: str, param: str = "indicator") -> None:
    """Say so when the URL asks for an indicator the page does not show, and which is shown
    instead (then carry on); before the page draws its indicator widget."""
    asked = state.asked(param)
    if asked is None:
        return
    instead = state.read(param, shown, default)
    note = ga.indicator_notice(asked, options, shown, instead=str(options.at[instead, "label"]),
                               where=where)
    if note:
        st.warning(md_escape(note))


# ----------------------------------------------------------------------------- layout
def show_map(m, *, key: str, title: str, height: int = 560, returned: tuple[str, ...] = (),
             on_change: Callable[[], None] | None = None) -> dict:
    """Draw a folium map named ``title`` with only the returned objects the page uses."""
    set_map_title(m, title)
    if state.read("basemap", ("web",), None) == "web":
        add_web_basemap(m)
    return st_folium(m, key=key, height=height, use_container_width=True,
                     returned_objects=list(returned), on_change=on_change) or {}


def attribution_caption(extra: list[str] | None = None) -> None:
    st.caption(" ".join(dict.fromkeys(data.attribution_lines() + (extra or []))))


def map_block(m, *, key: str, sentence: str, table: pd.DataFrame, label: str,
              height: int = 520, returned: tuple[str, ...] = (),
              extra_attribution: list[str] | None = None,
              on_change: Callable[[], None] | None = None) -> dict:
    """A map with its one-sentence summary above, attribution and data table below (the
    table is the map's text alternative; the map's title says where it is)."""
    st.markdown(sentence)
    title = f"Map: {plain(label)}. The same values are in the data table below the map."
    result = show_map(m, key=key, title=title, height=height, returned=returned,
                      on_change=on_change)
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
    if view.get("note"):
        st.caption(view["note"])
    if view["caption"]:
        st.caption(view["counts"] if brief else view["caption"])
    if view["clusters"]:
        st.caption(view["clusters"])
    map_block(view["map"], key=key, sentence=view["sentence"], table=view["table"],
              label=f"{view['label']}, {view['name']}", height=height)


def neighbourhood_choices(indicator_box, hotspot_box, *, page: str) -> tuple[str, str]:
    """The neighbourhood indicator and the hotspot layer, drawn in the given containers (one
    pair of widgets for every page that maps small areas, keyed ``<page>_lsoa`` and
    ``<page>_hotspots``, kept in the URL as ``lsoa`` and ``hotspots``)."""
    options = data.lsoa_options()
    names = data.hotspot_choices()
    indicator = state.widget(indicator_box.selectbox, "Indicator by neighbourhood (LSOA, data zone)",
                             list(options.index), param="lsoa", key=f"{page}_lsoa",
                             default=data.DEFAULT_LSOA,
                             format_func=options["label"].to_dict().get)
    hotspot = state.widget(hotspot_box.selectbox, "Hotspots", list(names), param="hotspots",
                           key=f"{page}_hotspots", default=data.DEFAULT_HOTSPOTS,
                           format_func=names.get)
    return indicator, hotspot


def plain(text: str) -> str:
    """Text that geo.upload.reader escaped for HTML, back to plain text (for st.text)."""
    return html.unescape(str(text))


def md_escape(text: str) -> str:
    """Escape user-derived text for st.markdown / st.error (no links, emphasis or HTML)."""
    out = plain(text)
    for ch in "\\`*_{}[]()#+!|<>~$":
        out = out.replace(ch, "\\" + ch)
    return out
