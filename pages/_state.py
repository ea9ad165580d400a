"""The app's one state: what the person chose, kept in the session and in the URL.

Every choice that a page shows (the council, the councils compared, the indicators, the class
scheme, the hotspot layer, the basemap) is one entry of a dict in ``st.session_state`` under the
name of its URL parameter. On each run:

1. a value in the URL wins when the URL changed since the app last wrote it (a shared link, the
   browser's back and forward buttons) and the value is valid; otherwise the session's value
   stands; otherwise the page's default;
2. each widget is set to that value before it is drawn, and its ``on_change`` callback writes a
   new choice to the session before the page runs again (a map click does the same);
3. the page draws from the same values, and at the end of the run (:func:`publish`, called by
   ``app.py`` whatever happened) the values the page used are written to the URL in one go, so
   a link reproduces the view and the browser keeps one history entry per change;
4. the app's own page links carry the values the next page uses (:func:`link_params`), so a
   council chosen on one page is the council of the next.

So a box never shows one thing while the map draws another, whatever the order of clicks,
clears, page changes and back/forward.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any

import streamlit as st

STATE, PUBLISHED, RUN = "oppmap_state", "oppmap_published", "oppmap_run_params"
DONE = "__finished"


def _state() -> dict[str, Any]:
    if STATE not in st.session_state:
        st.session_state[STATE] = {}
    return st.session_state[STATE]


def _as_text(value: Any) -> str | None:
    if isinstance(value, list | tuple):
        return ",".join(value) if value else None
    return None if value in (None, "") else str(value)


def _from_url(param: str) -> str | None:
    """The URL's value of ``param`` when the URL changed it since the app wrote it, else None."""
    url = st.query_params.get(param)
    published = st.session_state.get(PUBLISHED, {})
    return url if url is not None and url != published.get(param) else None


def asked(param: str) -> str | None:
    """What a new URL asks for ``param`` (valid or not), else None."""
    return _from_url(param)


def begin_run() -> None:
    """Start a run: no value is shown yet (``app.py`` calls it before the page)."""
    st.session_state[RUN] = {}


def first_finish() -> bool:
    """True the first time it is asked in a run (so that a run ends once)."""
    run = st.session_state.setdefault(RUN, {})
    first = not run.get(DONE)
    run[DONE] = True
    return first


def put(param: str, value: Any) -> None:
    """Record a choice (from a callback or the page); the page shows it and the URL gets it."""
    _state()[param] = value
    st.session_state.setdefault(RUN, {})[param] = _as_text(value)


def publish() -> None:
    """Write the values this run showed into the URL, all at once (one history entry)."""
    params = {k: v for k, v in st.session_state.get(RUN, {}).items()
              if v is not None and k != DONE}
    if params != st.query_params.to_dict():
        st.query_params.from_dict(params)
    st.session_state[PUBLISHED] = params


def read(param: str, valid: Collection[str], default: Any) -> Any:
    """The current value of ``param``: the URL's (when new), the session's, else ``default``."""
    state = _state()
    url = _from_url(param)
    if url is not None and url in valid:
        state[param] = url
    value = state.get(param)
    return value if value in valid else default


def read_list(param: str, valid: Collection[str], default: Sequence[str], *,
              limit: int) -> list[str]:
    """A list-valued choice (``a,b,c`` in the URL), limited to ``limit`` valid codes."""
    state = _state()
    url = _from_url(param)
    if url is not None:
        state[param] = [c for c in dict.fromkeys(url.split(",")) if c in valid][:limit]
    value = state.get(param)
    return list(value) if value is not None else list(default)


def hold(params: Iterable[str]) -> None:
    """Keep the current values of ``params`` (the URL's when new) for a later run of a page
    that is waiting for input and draws no widget for them yet (a shared link of Your data
    opened before its file is uploaded keeps its column and its answer)."""
    state = _state()
    for param in params:
        url = _from_url(param)
        value = url if url is not None else state.get(param)
        if value is not None:
            put(param, value)


def link_params(params: Iterable[str]) -> dict[str, str]:
    """The current values of ``params`` for a link to another page."""
    state = _state()
    return {p: text for p in params if (text := _as_text(state.get(p))) is not None}


def _commit(param: str, key: str) -> None:
    put(param, st.session_state[key])


def widget(kind: Callable[..., Any], label: str, options: Sequence[str], *, param: str,
           key: str, default: Any, value: Any = None, **kwargs: Any) -> Any:
    """Draw a widget showing the current value of ``param``; a change is recorded at once.

    ``kind`` is ``st.selectbox``, ``st.radio``, ``st.multiselect`` (list values) or a
    container's; ``value`` overrides the current value (already read by the page).
    """
    if value is None:
        value = read(param, options, default)
    st.session_state[key] = value
    kind(label, options, key=key, on_change=_commit, args=(param, key), **kwargs)
    put(param, value)
    return value
