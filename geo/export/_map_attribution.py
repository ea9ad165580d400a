"""The short attribution of a map's attribution control, from the registry's credits.

The registry (``data/sources.toml``) names each dataset's publisher, licence and attribution key;
``data/map_attribution.toml`` shortens them for the control (kept out of the registry so that a
wording change does not change the store's build fingerprint). The full statements go under
each map and into every export (:func:`geo.data.sources.attribution_lines`).
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from geo._errors import SchemaError

__all__ = ["SHORT_FORMS_PATH", "map_attribution_text"]

#: The short forms of publishers, licences, datasets and the statements a key always needs.
SHORT_FORMS_PATH = Path(__file__).resolve().parents[2] / "data" / "map_attribution.toml"


@lru_cache(maxsize=2)
def _short_forms(path: str) -> dict[str, Any]:
    try:
        with Path(path).open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        msg = (f"the short forms of map attribution {path} cannot be read ({exc}); it ships with "
               "the repository (data/map_attribution.toml)")
        raise SchemaError(msg) from exc


def map_attribution_text(dataset_ids: list[str]) -> str:
    """The short attribution of a map's attribution control for the datasets drawn on it.

    The statement each attribution key always needs (``[statements]``, e.g. the OS copyright
    of ONS boundaries) comes first; then, per publisher in the order of ``dataset_ids``,
    ``"<short names> © <publisher> (<licence>)"`` with the short names of
    ``data/map_attribution.toml``.

    Parameters
    ----------
    dataset_ids
        Registry ids of everything the map draws (boundaries, indicators, hotspot inputs).

    Returns
    -------
    str
        Statements joined by ``"; "``; empty for no datasets.

    Examples
    --------
    >>> map_attribution_text(["dz11_scotland", "simd2020"])
    'Data zones 2011, SIMD 2020 © Scottish Government (OGL v3.0)'
    """
    from geo.data.sources import dataset

    short = _short_forms(str(SHORT_FORMS_PATH))
    fixed, publishers = short.get("statements", {}), short.get("publishers", {})
    licences, names_of = short.get("licences", {}), short.get("datasets", {})
    entries = [dataset(i) for i in dict.fromkeys(dataset_ids)]
    parts = [fixed[k] for k in dict.fromkeys(e["attribution"] for e in entries) if k in fixed]
    groups: dict[tuple[str, str], list[str]] = {}
    for e in entries:
        key = (publishers.get(e["publisher"], e["publisher"]),
               licences.get(e["licence"], e["licence"]))
        names = groups.setdefault(key, [])
        if names_of.get(e["id"]) and names_of[e["id"]] not in names:
            names.append(names_of[e["id"]])
    parts += [(f"{', '.join(names)} " if names else "") + f"© {publisher} ({licence})"
              for (publisher, licence), names in groups.items()]
    return "; ".join(parts)
