"""The server side of the app: what happens once when the server starts, and errors.

``app.py`` hands :func:`lifespan` and :func:`on_script_error` to ``st.App``. The lifespan loads
the store's national resources into the shared caches (:func:`pages._data.preload`) before the
server answers, so the first visitor waits for nothing but their own page. A component module (streamlit-folium)
imported outside a page run is not registered with the server by its import:
:func:`_import_map_component` registers it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

LOG = logging.getLogger("oppmap.app")
if not logging.getLogger("oppmap").handlers:  # the server's log: time, level and traceback
    _handler = logging.StreamHandler()
    _handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger("oppmap").addHandler(_handler)
    logging.getLogger("oppmap").setLevel(logging.INFO)


@asynccontextmanager
async def lifespan(_app: Any) -> AsyncIterator[None]:
    """Preload the store when the server starts (a broken store is reported by the pages)."""
    from geo._errors import OppmapError
    from pages import _data as data

    _import_map_component()
    try:
        seconds = await asyncio.to_thread(data.preload)
    except OppmapError as exc:
        LOG.warning("the store could not be preloaded (%s); the pages will say why", exc)
    else:
        LOG.info("store preloaded in %.1f s", seconds)
    yield


def _import_map_component() -> None:
    """Import streamlit-folium now (half a second: folium's plugins compile their templates),
    and register its component with the server as its import inside a page run would; a
    version without that component is imported by the first page, as before."""
    import streamlit_folium
    from streamlit.runtime import get_instance

    component = getattr(streamlit_folium, "_component_func", None)
    if component is not None:
        get_instance().component_registry.register_component(component)


def on_script_error(exc: Exception) -> bool:
    """An error outside a page's own handler (e.g. in a widget's callback): a short message on
    the page and the traceback in the server log; never a traceback on the page."""
    from pages import _shared as sh

    sh.report_error(exc)
    return True
