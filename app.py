"""oppmap: where opportunity is missing in Britain, by council and neighbourhood.

Run with ``streamlit run app.py`` (or ``make run``). This file only sets up the page and the
navigation; each page is in ``pages/``. The ``page`` query parameter chooses the page opened at
the app's root URL, so a shared link such as ``/?page=compare&councils=E08000025,E08000026``
reproduces the view. The slow national resources (the LSOA grid behind the national image, the
map-click lookup, the outlines of the named clusters) start building in the background on the
first visit, so no click waits for them later.
"""

from __future__ import annotations

import streamlit as st

from pages._data import warm_up
from pages._shared import PAGES, store_problem

st.set_page_config(page_title="oppmap: where opportunity is missing",
                   layout="wide")

if store_problem() is None:
    warm_up()

requested = st.query_params.get("page", "explore")
if requested not in PAGES:
    requested = "explore"

navigation = st.navigation([
    st.Page(path, title=title, url_path=key, default=(key == requested))
    for key, (path, title) in PAGES.items()
])
navigation.run()
