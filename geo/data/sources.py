"""The source registry (``data/sources.toml``): what each dataset is and where it comes from.

Every dataset fact (file name, official URL, licence, column mapping, indicator metadata) is read
from the registry; nothing about a dataset is hard-coded elsewhere.

Examples
--------
>>> reg = registry()
>>> reg["iod2025"]["level"]
'lsoa21'
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from geo._errors import OppmapError, SchemaError, SourceMissingError

__all__ = ['REGISTRY_PATH', 'KINDS', 'LIFE_STAGES', 'PRINCIPLES', 'POLARITIES', 'NATIONS', 'nations_in_words', 'registry', 'registry_meta', 'dataset', 'mirror_dir', 'source_path', 'attribution', 'attribution_lines', 'file_sha256']


REPO = Path(__file__).resolve().parents[2]


REGISTRY_PATH = REPO / "data" / "sources.toml"


KINDS = ("boundary", "lookup", "population", "indicators", "reference")


LIFE_STAGES = ("early_years", "school", "youth", "adulthood", "all_ages")


PRINCIPLES = ("equity", "place", "beyond_school_gates", "lifelong")


POLARITIES = ("higher_worse", "higher_better")


#: Nations by their letter (the first letter of GSS codes), as datasets name them in ``nations``.
NATIONS = {"E": "England", "W": "Wales", "S": "Scotland", "N": "Northern Ireland"}


def nations_in_words(codes: Iterable[str]) -> str:
    """The nations of some GSS codes (or nation letters) in words, in the order of
    :data:`NATIONS`, e.g. ``"England and Wales"``; ``""`` for none.

    Examples
    --------
    >>> nations_in_words(["W01000001", "E01000001", "E01000002"])
    'England and Wales'
    >>> nations_in_words("EWSN")
    'England, Wales, Scotland and Northern Ireland'
    """
    letters = {str(c)[:1] for c in codes}
    names = [name for letter, name in NATIONS.items() if letter in letters]
    return " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 2 else names)


REQUIRED_KEYS = (
    "id", "kind", "title", "publisher", "licence", "attribution", "url", "landing",
    "vintage", "level", "file", "format", "code_column",
)


INDICATOR_KEYS = ("label", "unit", "polarity", "life_stage", "principle")


def _entry_problems(entry: dict[str, Any], attributions: dict[str, Any]) -> list[str]:
    """Every problem of one complete dataset entry (kind, nations, attribution, indicators)."""
    ident = entry["id"]
    problems = []
    if entry["kind"] not in KINDS:
        problems.append(f"dataset {ident!r}: kind {entry['kind']!r} is not one of {KINDS}")
    nations = entry.get("nations", [])
    if entry["kind"] in ("indicators", "population") and not nations:
        problems.append(f"dataset {ident!r} names no `nations` (any of {list(NATIONS)})")
    if not set(nations) <= set(NATIONS):
        problems.append(f"dataset {ident!r}: nations {nations} are not all of {list(NATIONS)}")
    if entry["attribution"] not in attributions:
        problems.append(
            f"dataset {ident!r}: attribution {entry['attribution']!r} is not in [attribution] "
            f"({sorted(attributions)})"
        )
    for col, meta in entry.get("indicators", {}).items():
        problems += _indicator_problems(f"{ident}.{col}", meta)
    return problems


def _indicator_problems(name: str, meta: dict[str, Any]) -> list[str]:
    lacking = [k for k in INDICATOR_KEYS if k not in meta]
    if lacking:
        return [f"indicator {name} lacks {lacking}"]
    return [f"indicator {name}: {key} {meta[key]!r} is not one of {allowed}"
            for key, allowed in (("polarity", POLARITIES), ("life_stage", LIFE_STAGES),
                                 ("principle", PRINCIPLES))
            if meta[key] not in allowed]


def _validate_registry(raw: dict[str, Any], path: Path) -> dict[str, dict[str, Any]]:
    problems: list[str] = []
    attributions = raw.get("attribution", {})
    out: dict[str, dict[str, Any]] = {}
    for i, entry in enumerate(raw.get("dataset", [])):
        ident = entry.get("id", f"#{i}")
        missing = [k for k in REQUIRED_KEYS if k not in entry]
        if missing:
            problems.append(f"dataset {ident!r} lacks keys {missing}")
            continue
        if ident in out:
            problems.append(f"dataset id {ident!r} appears twice")
        problems += _entry_problems(entry, attributions)
        out[ident] = entry
    if problems:
        msg = f"the source registry {path} has problems:\n  - " + "\n  - ".join(problems)
        raise SchemaError(msg)
    return out


@lru_cache(maxsize=4)
def _load(path: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    p = Path(path)
    if not p.exists():
        msg = f"the source registry {p} is missing; it ships with the repository (data/sources.toml)"
        raise SourceMissingError(msg)
    with p.open("rb") as fh:
        try:
            raw = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            msg = f"the source registry {p} is not valid TOML: {exc}"
            raise SchemaError(msg) from exc
    return raw, _validate_registry(raw, p)


def registry(path: Path | str | None = None) -> dict[str, dict[str, Any]]:
    """Return every dataset of the registry, keyed by id.

    Parameters
    ----------
    path
        Registry file; default ``data/sources.toml`` in the repository.

    Returns
    -------
    dict
        ``{id: entry}``, entries as written in the TOML file.

    Raises
    ------
    SchemaError
        If an entry lacks required keys or has an unknown kind, polarity, life stage or principle.
    """
    return _load(str(path or REGISTRY_PATH))[1]


def registry_meta(path: Path | str | None = None) -> dict[str, Any]:
    """Return the registry's top-level tables (``attribution``, ``licences``, ``successors``)."""
    raw = _load(str(path or REGISTRY_PATH))[0]
    return {k: v for k, v in raw.items() if k != "dataset"}


def dataset(dataset_id: str, *, path: Path | str | None = None) -> dict[str, Any]:
    """Return one registry entry; an unknown id lists the valid ones.

    Examples
    --------
    >>> dataset("neet2025")["level"]
    'utla24'
    """
    reg = registry(path)
    key = str(dataset_id).strip().lower()
    if key not in reg:
        msg = f"`dataset_id` {dataset_id!r} is not in the registry; valid ids: {sorted(reg)}"
        raise OppmapError(msg)
    return reg[key]


def mirror_dir(source: Path | str | None = None) -> Path | None:
    """The local mirror directory: ``source``, else ``$OPPMAP_DATA``, else ``None`` (official URLs).

    Parameters
    ----------
    source
        An explicit mirror directory (the ``--source`` option of ``python -m geo data build``).
    """
    if source is not None:
        return Path(source).expanduser().resolve()
    env = os.environ.get("OPPMAP_DATA")
    return Path(env).expanduser().resolve() if env else None


def source_path(dataset_id: str, *, source: Path | str | None = None) -> Path:
    """Path of a dataset's file in the mirror, checked to exist.

    Raises
    ------
    SourceMissingError
        Naming the dataset, the file, and how to get it (``OPPMAP_DATA`` or ``data fetch``).
    """
    entry = dataset(dataset_id)
    root = mirror_dir(source)
    if root is None:
        msg = (
            f"no data source for dataset {entry['id']!r} ({entry['title']}): set OPPMAP_DATA to a "
            "local mirror directory (such as ../shared/data), or download the official files with "
            "`python -m geo data fetch --to DIR` and build with `--source DIR`"
        )
        raise SourceMissingError(msg)
    path = root / entry["file"]
    if not path.exists():
        msg = (
            f"dataset {entry['id']!r} ({entry['title']}, {entry['publisher']}) is missing: "
            f"expected the file {path}. Get it from {entry['landing']} (download {entry['url']}), "
            f"or run `python -m geo data fetch --to {root}` on a connected machine, "
            f"or point OPPMAP_DATA at a complete mirror."
        )
        raise SourceMissingError(msg)
    return path


def attribution(dataset_ids: list[str] | None = None) -> str:
    """Attribution text for the given datasets (default: all), one statement per line.

    Examples
    --------
    >>> "Open Government Licence" in attribution(["iod2025"])
    True
    """
    return "\n".join(attribution_lines(dataset_ids))


#: The line that names the publisher of a nation's own index (``[national_indices]``) under OGL.
PUBLISHER_LINE = ("Contains public sector information published by the {publisher}, licensed under "
                  "the Open Government Licence v3.0.")


def attribution_lines(dataset_ids: list[str] | None = None) -> list[str]:
    """Distinct attribution statements for the given datasets, in registry order.

    The licence statements come first; then, for each publisher of a nation's own index (the
    Welsh Government, the Scottish Government, NISRA, MHCLG) whose OGL data are among the
    datasets, a line naming it (:data:`PUBLISHER_LINE`).
    """
    reg = registry()
    meta = registry_meta()
    texts = meta["attribution"]
    ids = list(reg) if dataset_ids is None else [dataset(i)["id"] for i in dataset_ids]
    seen: list[str] = []
    for key in ("ons", "ogl_public_sector", "mysociety"):
        if any(reg[i]["attribution"] == key for i in ids) and key in texts:
            seen.append(texts[key])
    indices = meta.get("national_indices", {}).values()
    named = {reg[s["dataset"]]["publisher"] for s in indices if s.get("dataset") in reg}
    for publisher in dict.fromkeys(reg[i]["publisher"] for i in ids):
        if publisher in named and any(reg[i]["publisher"] == publisher
                                      and reg[i]["licence"] == "OGL-UK-3.0" for i in ids):
            seen.append(PUBLISHER_LINE.format(publisher=publisher))
    return seen


def file_sha256(path: Path, *, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file, read in chunks."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()
