"""Methodology text, generated from the parameters that made the results.

Every number of permutations, seed, significance level and multiple-testing correction shown
in the app, a council pack's README or the methodology note comes from the store's manifest
(:func:`stored_parameters`, written by the build that computed the hotspots) or is passed in
by the caller from a run's own attributes; none is a literal here. A store without them is
refused with the fix (rebuild it), never filled with a default.

- :func:`stored_parameters`: permutations, seed, alpha and correction of the stored hotspots;
- :func:`methodology_text`: the methodology note (``docs/methodology.md``) with them filled in;
- :func:`method_text` and :func:`hotspots_paragraph`: one run's method, for captions and the
  Methodology page;
- :func:`pack_columns_text`: what each column of a council pack means, from the catalogue;
- :func:`sources_table`: every dataset with publisher, vintage, licence and attribution.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

import boundaries
from geo._errors import InputError, StoreError
from geo.data.sources import attribution_lines, registry
from geo.stats.permutation import PERMUTATION_CHUNK

__all__ = ["PARAMETERS", "METHODS", "CORRECTIONS", "stored_parameters", "check_parameters",
           "methodology_text", "correction_words", "inference_text", "method_text",
           "hotspots_paragraph",
           "pack_columns_text", "sources_table"]

DOC = Path(__file__).resolve().parents[1] / "docs" / "methodology.md"
REBUILD = "rebuild the store with `python -m geo data build` (or `make store`)"

#: The parameters of a hotspot run that every text about it states.
PARAMETERS = ("permutations", "seed", "alpha", "correction")
#: Multiple-testing corrections by the code the manifest stores: (in words, abbreviated).
CORRECTIONS = {"fdr_bh": ("Benjamini-Hochberg false discovery rate", "FDR")}
#: How each local statistic is named and weighted, in words.
METHODS: dict[str, dict[str, str]] = {
    "gi_star": {
        "name": "Getis-Ord Gi*", "tag": "Gi*", "results": "Gi* hot and cold spots",
        "short": "Gi* spots", "statistic": "Gi* z",
        "weights": "binary contiguity weights including each area (islands joined to their "
                   "nearest neighbours)",
    },
    "local_moran": {
        "name": "local Moran's I", "tag": "local Moran", "results": "local Moran clusters",
        "short": "local Moran", "statistic": "Local I",
        "weights": "row-standardised contiguity weights",
    },
}


def check_parameters(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """``params`` as a dict, refusing one without every entry of :data:`PARAMETERS`.

    Examples
    --------
    >>> check_parameters({"permutations": 99, "seed": 1, "alpha": 0.1, "correction": "fdr_bh"})
    {'permutations': 99, 'seed': 1, 'alpha': 0.1, 'correction': 'fdr_bh'}
    """
    missing = [k for k in PARAMETERS if k not in (params or {})]
    if missing:
        msg = (f"`params` lacks {missing} (it needs {list(PARAMETERS)}); pass the parameters "
               "of the run, e.g. geo.methodology.stored_parameters().")
        raise InputError(msg)
    return dict(params or {})


def stored_parameters() -> dict[str, Any]:
    """Permutations, seed, alpha and correction of the store's hotspots (from its manifest).

    Raises
    ------
    StoreError
        No store, or a store whose manifest does not record them (built without hotspots, or
        by an older oppmap): the message says to rebuild it.
    """
    params = boundaries.read_manifest(boundaries.store_dir()).get("hotspot_params") or {}
    missing = [k for k in PARAMETERS if k not in params]
    if missing:
        msg = (f"the store's manifest does not record the hotspot parameters {missing}, so "
               f"no text can state them; {REBUILD}.")
        raise StoreError(msg)
    return dict(params)


def methodology_text(params: Mapping[str, Any]) -> str:
    """The methodology note (Markdown) with the run's parameters filled in.

    ``params`` holds every entry of :data:`PARAMETERS` (:func:`stored_parameters`).

    Examples
    --------
    >>> p = {"permutations": 99, "seed": 1, "alpha": 0.1, "correction": "fdr_bh"}
    >>> "conditional permutations (two-sided, seed 1)" in methodology_text(p)
    True
    """
    values = check_parameters(params)
    return DOC.read_text(encoding="utf-8").format(**values, chunk=PERMUTATION_CHUNK)


def correction_words(params: Mapping[str, Any]) -> tuple[str, str]:
    """The run's multiple-testing correction in words and abbreviated (with its level), e.g.
    ``("Benjamini-Hochberg false discovery rate", "FDR 5%")``."""
    p = check_parameters(params)
    code = str(p["correction"])
    long, short = CORRECTIONS.get(code, (f"{code} correction", code))
    return long, f"{short} {float(p['alpha']):.0%}"


def inference_text(params: Mapping[str, Any], *, n_tested: int, where: str) -> str:
    """How significance was judged: permutations, seed, correction and its level, and over
    how many areas (``n_tested`` of ``where``, e.g. "England") the correction ran.

    Examples
    --------
    >>> p = {"permutations": 9999, "seed": 7, "alpha": 0.05, "correction": "fdr_bh"}
    >>> inference_text(p, n_tested=120, where="Wales")[:44]
    '9,999 conditional permutations (seed 7), two'
    """
    p = check_parameters(params)
    correction = correction_words(p)[0]
    return (f"{int(p['permutations']):,} conditional permutations (seed {p['seed']}), "
            f"two-sided p-values, {correction} at {float(p['alpha']):.0%} over all "
            f"{int(n_tested):,} LSOAs of {where} tested together")


def method_text(method: str, params: Mapping[str, Any], *, name: str, n_tested: int,
                where: str) -> str:
    """One sentence on how a run's results were found: statistic, weights and inference.

    ``method`` is a key of :data:`METHODS`; ``name`` names the run (e.g. its indicator and
    results); ``n_tested`` and ``where`` as in :func:`inference_text`.
    """
    if method not in METHODS:
        msg = f"`method` {method!r} is not known; valid: {sorted(METHODS)}."
        raise InputError(msg)
    words = METHODS[method]
    return (f"{name}: {words['name']} with {words['weights']}, "
            f"{inference_text(params, n_tested=n_tested, where=where)}.")


def hotspots_paragraph(params: Mapping[str, Any], *, n_tested: int, where: str) -> str:
    """The Methodology page's paragraph on hotspots (Markdown), with the stored parameters."""
    p = check_parameters(params)
    return (
        f"**Hotspots.** {METHODS['gi_star']['name']} with {METHODS['gi_star']['weights']}, "
        f"so that islands are not falsely significant; "
        f"{inference_text(p, n_tested=n_tested, where=where)}. A \"hot spot "
        f"95%\" is an LSOA whose neighbourhood is significantly more deprived than the rest at "
        f"q <= {float(p['alpha']):g}; {METHODS['local_moran']['name']} gives the High-High, "
        "Low-Low, High-Low and Low-High quadrants with the same permutations."
    )


def pack_columns_text(columns: Iterable[str], catalogue: pd.DataFrame, *,
                      map_note: str | None) -> str:
    """The "Columns of this pack" section of a council pack's README (Markdown).

    ``columns`` are the pack's column names (``<table>.<column>`` for the store's tables,
    ``hotspot_<method>_<indicator>`` and the like for hotspot runs), ``catalogue`` is
    ``geo.catalogue()`` (each catalogued column is listed with its label, unit, polarity and
    vintage), and ``map_note`` says what the map file shows (None when the pack has no map).
    """
    cols = list(columns)
    listed = [c for c in cols if c in catalogue.index]
    lines = [
        "## Columns of this pack",
        "One row per LSOA (December 2021) of the council, identified by `lsoa21_code`.",
        "- Columns without a dot say where the LSOA is (its name, ward, council, upper-tier "
        "council, region and country codes).",
        "- `<table>.<column>`: a column of the store's table; catalogued ones (listed below) "
        "have the ids of `python -m geo catalogue`. IoD ranks and deciles: 1 = most deprived.",
        "- `hotspot_<method>_<indicator>`, `q_<method>_<indicator>` and "
        "`robust_<method>_<indicator>`: the national hotspot label of the run "
        "`<method>:<indicator>` (as the app names it), its q-value after the correction above, "
        "and whether it is also a hot spot under 8-nearest-neighbour weights.",
        "- `clusters.cluster_id`, `clusters.name`: the named cluster of hot spots the LSOA "
        "belongs to, if any.",
    ]
    if map_note:
        lines.append(f"- The map file opens offline in any browser: {map_note}.")
    lines += ["", "Catalogued columns (label; unit; polarity; vintage):"]
    for ident in listed:
        row = catalogue.loc[ident]
        lines.append(f"- `{ident}`: {row['label']}; {row['unit']}; {row['polarity']}; "
                     f"{row['vintage']}")
    return "\n".join(lines) + "\n"


def sources_table(dataset_ids: list[str] | None = None) -> pd.DataFrame:
    """Every dataset (or those given) with kind, publisher, vintage, licence, URL, attribution."""
    reg = registry()
    ids = list(reg) if dataset_ids is None else dataset_ids
    rows = []
    for ident in ids:
        e = reg[ident]
        rows.append({
            "dataset": ident,
            "title": e["title"],
            "publisher": e["publisher"],
            "vintage": e["vintage"],
            "licence": e["licence"],
            "kind": e["kind"],
            "url": e["landing"],
            "attribution": attribution_lines([ident])[0],
        })
    return pd.DataFrame(rows).set_index("dataset")
