"""oppmap: where opportunity is missing in Britain, by council and neighbourhood.

Run with ``streamlit run app.py`` (or ``make run``, or ``python app.py``). This one file is both
the server and the page script:

- imported by the server (no page run yet), it defines ``app``, an ``st.App`` whose start-up
  loads the store's national resources into the shared caches (:mod:`pages._server`), so the
  first visitor's map does not wait for them, and whose error handler turns an unexpected error
  into a short message on the page and a log entry;
- run for each visit, it sets up the page and the navigation; each page is in ``pages/``. The
  ``page`` query parameter chooses the page opened at the app's root URL, so a shared link such
  as ``/?page=compare&councils=E08000025,E08000026`` reproduces the view.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

if get_script_run_ctx() is None:  # the server starting: `streamlit run`, `python app.py`
    from pages._server import lifespan, on_script_error

    app = st.App(__file__, lifespan=lifespan, on_script_error=on_script_error)
    if __name__ == "__main__":
        app.run()
else:  # a visit
    from pages._shared import PAGES, finish, report_error, unknown_page_notice

    st.set_page_config(page_title="oppmap: where opportunity is missing", layout="wide")
    pages = {key: st.Page(path, title=title, url_path=key, default=(key == "explore"))
             for key, (path, title) in PAGES.items()}
    navigation = st.navigation(list(pages.values()), position="hidden")
    asked = st.query_params.get("page")
    requested = None if asked is None else str(asked).strip().lower()
    if navigation.title == pages["explore"].title and requested in PAGES and (
            requested != "explore"):  # a link to the root URL naming another page
        st.switch_page(pages[requested], query_params=st.query_params.to_dict())
    unknown_page_notice(asked)
    try:
        navigation.run()
    except Exception as exc:  # noqa: BLE001 - shown as a short message, logged in full
        report_error(exc)
    finally:  # also after st.stop(): the page links and the URL hold what the page showed
        finish()
