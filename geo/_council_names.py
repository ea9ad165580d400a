"""Other names of UK councils that mySociety's register of local authorities lacks.

The register's ``alt-names`` (CC BY 4.0; the store's lookup ``mysociety_la``, read by
:func:`geo.councils.register_names`) gives the Welsh names of the Welsh councils and the usual
English, Gaelic and short names ("Western Isles", "Caerdydd", "Edinburgh"). A few names people
type are not in it, or are spelt there with a broken character ("Sir Ynys M\ufffdn"); they are
here. Keys are GSS codes; names are matched after :func:`geo.councils.normalise_name`
(accents and case ignored).
"""

from __future__ import annotations

__all__ = ["EXTRA_NAMES"]

EXTRA_NAMES: dict[str, tuple[str, ...]] = {
    "S12000027": ("Zetland",),  # Shetland Islands
    "N09000005": ("Londonderry", "Derry", "Derry City", "Derry Strabane"),
    "W06000001": ("Ynys Môn", "Sir Ynys Môn"),  # the register's is broken
    "E06000010": ("Hull",),  # Kingston upon Hull
}
