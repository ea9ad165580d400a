"""Map elements whose output is added to the page as text, never compiled as a template.

folium (through branca) wraps each element's rendered script in a new ``Element(text)``, which
compiles the text as a Jinja template: slow for the hundreds of kilobytes of GeoJSON a map
carries (the whole text is tokenised, twice per map in streamlit-folium), and unsafe, since a
name such as ``{{ ... }}`` in a user's upload would be evaluated on the server. The elements of
:mod:`geo.maps` render through :func:`render_inert` instead; :func:`inert_name` makes the names
that folium's own elements show (layer names in the layer control) inert too.
"""

from __future__ import annotations

from typing import Any

from branca.element import Element, Figure
from folium.elements import ElementAddToElement
from folium.template import Template

__all__ = ["render_inert", "inert_name"]


class _Inert(Element):
    """Text put on the page as it is."""

    _template = Template("{{ this.text }}")

    def __init__(self, text: str):
        super().__init__()
        self._name = "Inert"
        self.text = text


def inert_name(text: str) -> str:
    """``text`` for a place where folium compiles it as a template (``{`` as an HTML entity)."""
    return str(text).replace("{", "&#123;")


def render_inert(element: Any, *, layer: bool = False, **kwargs: Any) -> str:
    """Render a macro element like folium does, its header, html and script as inert text.

    ``layer``: the element is a Leaflet layer to add to its parent (as ``folium.map.Layer``
    does when it is shown). Returns "" (a macro element's output goes to the page's parts).
    """
    if layer and element.show:
        element.add_child(ElementAddToElement(element_name=element.get_name(),
                                              element_parent_name=element._parent.get_name()),
                          name=element.get_name() + "_add")
    figure = element.get_root()
    if not isinstance(figure, Figure):
        msg = f"{type(element).__name__} must be added to a map before it is rendered."
        raise TypeError(msg)
    module = element._template.module
    for part, target in (("header", figure.header), ("html", figure.html),
                         ("script", figure.script)):
        macro = module.__dict__.get(part)
        if macro is not None:
            target.add_child(_Inert(macro(element, kwargs)), name=element.get_name())
    for child in element._children.values():
        child.render(**kwargs)
    return ""
