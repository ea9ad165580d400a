"""Other names of UK councils: the names people type that are not the ONS name.

Welsh names of the Welsh councils and the usual English, Gaelic and short names, from the
mySociety register of local authorities (``alt-names``, CC BY 4.0) and common usage. Keys are
GSS codes; names are matched after :func:`geo.councils.normalise_name` (accents and case
ignored), so ``"Ynys Môn"`` and ``"ynys mon"`` are one name.
"""

from __future__ import annotations

__all__ = ["COUNCIL_ALIASES"]

COUNCIL_ALIASES: dict[str, tuple[str, ...]] = {
    # Scotland
    "S12000013": ("Western Isles", "Comhairle nan Eilean Siar", "Eilean Siar",
                  "Na h-Eileanan an Iar", "Western Isles Council"),
    "S12000036": ("Edinburgh",),
    "S12000049": ("Glasgow",),
    "S12000023": ("Orkney",),
    "S12000027": ("Shetland", "Zetland"),
    # Northern Ireland
    "N09000005": ("Londonderry", "Derry", "Derry and Strabane", "Derry City",
                  "Derry Strabane"),
    # Wales: Welsh names
    "W06000001": ("Ynys Môn", "Sir Ynys Môn", "Anglesey", "Ynys Mon"),
    "W06000013": ("Pen-y-bont ar Ogwr",),
    "W06000018": ("Caerffili",),
    "W06000010": ("Sir Gaerfyrddin",),
    "W06000015": ("Caerdydd",),
    "W06000004": ("Sir Ddinbych",),
    "W06000005": ("Sir y Fflint",),
    "W06000021": ("Sir Fynwy",),
    "W06000024": ("Merthyr Tudful",),
    "W06000012": ("Castell-nedd Port Talbot",),
    "W06000022": ("Casnewydd",),
    "W06000009": ("Sir Benfro",),
    "W06000016": ("Rhondda Cynon Taff", "Rhondda"),
    "W06000011": ("Abertawe",),
    "W06000020": ("Tor-faen",),
    "W06000014": ("Bro Morgannwg", "Vale of Glamorgan"),
    "W06000006": ("Wrecsam",),
    # England
    "E06000010": ("Hull", "Kingston upon Hull"),
    "E06000023": ("Bristol",),
    "E09000001": ("City of London Corporation",),
}
