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
           "hotspots_paragraph", "place_method_text", "counted",
           "pack_columns_text", "sources_table", "nations_table"]

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
        "outcomes": "worse and better clusters (Gi* hot and cold spots)",
        "weights": "binary contiguity weights including each area (islands joined to their "
                   "nearest neighbours)",
    },
    "local_moran": {
        "name": "local Moran's I", "tag": "local Moran", "results": "local Moran clusters",
        "short": "local Moran", "statistic": "Local I",
        "outcomes": "clusters and outliers (local Moran's High-High, Low-Low, High-Low, "
                    "Low-High)",
        "weights": "row-standardised contiguity weights",
    },
}


def counted(n: int, words: str) -> str:
    """``n`` areas in words: ``"1 LSOA"``, ``"2,004 LSOAs"``, ``"1 data zone"``.

    Examples
    --------
    >>> counted(1, "data zones"), counted(2004, "LSOAs")
    ('1 data zone', '2,004 LSOAs')
    """
    n = int(n)
    return f"{n:,} {words[:-1] if n == 1 and words.endswith('s') else words}"


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
    >>> "99 conditional permutations (seed 1)" in methodology_text(p)
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


def inference_text(params: Mapping[str, Any], *, n_tested: int, where: str,
                   area_words: str = "LSOAs") -> str:
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
            f"{counted(n_tested, area_words)} of {where} tested together")


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


def place_method_text(method: str, params: Mapping[str, Any], *, name: str, nation: str,
                      place: str, code: str, n_areas: int, area_words: str) -> str:
    """One sentence on how a council's hotspots were judged: the national run's z and p, the
    council's own small areas as the multiple-testing family (``--within``'s national
    reference).

    Examples
    --------
    >>> p = {"permutations": 99, "seed": 7, "alpha": 0.05, "correction": "fdr_bh"}
    >>> place_method_text("gi_star", p, name="X", nation="Wales", place="Cardiff",
    ...                   code="W06000015", n_areas=218, area_words="LSOAs")[:36]
    'X: Getis-Ord Gi* with binary contigu'
    """
    if method not in METHODS:
        msg = f"`method` {method!r} is not known; valid: {sorted(METHODS)}."
        raise InputError(msg)
    p = check_parameters(params)
    return (f"{name}: {METHODS[method]['name']} with {METHODS[method]['weights']}; z and p "
            f"from the national run of {nation} ({int(p['permutations']):,} conditional "
            f"permutations (seed {p['seed']}), two-sided p-values), judged over the "
            f"{counted(n_areas, area_words)} of {place} as one family "
            f"({correction_words(p)[0]} at {float(p['alpha']):.0%}), as "
            f"`python -m geo hotspots --within {code}` reports them.")


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
                      map_note: str | None, level: str = "lsoa21",
                      area_words: str = "LSOAs") -> str:
    """The "Columns of this pack" section of a council pack's README (Markdown).

    ``columns`` are the pack's column names (``<table>.<column>`` for the store's tables,
    ``hotspot_<method>_<indicator>`` and the like for hotspot runs), ``catalogue`` is
    ``geo.catalogue()`` (each catalogued column is listed with its label, unit, polarity and
    vintage), ``map_note`` says what the map file shows (None when the pack has no map),
    ``level`` and ``area_words`` what one row is (``lsoa21`` and "LSOAs", ``dz11`` and "data
    zones", ``lad24`` and "council").
    """
    cols = list(columns)
    listed = [c for c in cols if c in catalogue.index]
    label = boundaries.LEVELS.get(level, {}).get("label", level)
    lines = [
        "## Columns of this pack",
        f"One row per area ({label}: {area_words}) of the council, identified by "
        f"`{level}_code`.",
        "- Columns without a dot say where the area is (its name, ward or intermediate zone, "
        "council, upper-tier council, region and country codes).",
        "- `<table>.<column>`: a column of the store's table; catalogued ones (listed below) "
        "have the ids of `python -m geo catalogue`. Ranks and deciles: 1 = most deprived, "
        "within the index's own nation.",
    ]
    if any(str(c).startswith("hotspot_") for c in cols):
        lines += [
            "- `hotspot_<method>_<indicator>` (the method's own label: Gi* hot and cold spots, "
            "local Moran's High-High ...), `outcome_...` (what it means for people: worse "
            "cluster, better cluster, worse outlier, better outlier, not significant, not "
            "tested), `bin_...` (-3 to 3: 3/2/1 worse at 99/95/90% confidence, -3/-2/-1 "
            "better, 0 not significant, empty not tested), `q_...` (after the correction "
            "above) and `robust_...` (also significant under 8-nearest-neighbour weights) of "
            "the run `<method>:<indicator>` (as the app names it): z and p of the national "
            "run of the council's nation, the council's areas judged as one family (as "
            "`python -m geo hotspots --within` reports them).",
            "- `clusters.cluster_id`, `clusters.name`: the named cluster of its nation's "
            "compounded disadvantage the area belongs to, if any."]
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


def nations_table() -> pd.DataFrame:
    """What is available for each nation: its own index, small areas, level, vintage, licence,
    hotspots and clusters, and the composite UK IMD that compares across nations.

    Built from :func:`geo.data.nations.nation_coverage` and the registry (no literals), for
    the Methodology page and the README of exports.

    Returns
    -------
    pandas.DataFrame
        One row per nation (England, Wales, Scotland, Northern Ireland).
    """
    from geo.data.nations import comparable_datasets, index_spec, nation_coverage

    reg = registry()
    rows = []
    for letter, row in nation_coverage().iterrows():
        spec = index_spec(row["index"])
        level = row["map_level"]
        composite = [i for i in comparable_datasets() if letter in reg[i].get("nations", [])]
        rows.append({
            "nation": row["nation"],
            "own index": f"{row['title']} ({row['index']})",
            "small areas": row["small_areas"],
            "level in the store": (boundaries.LEVELS.get(level, {}).get("label", level)
                                   if level else "council level only (LAD 2024)"),
            "vintage": row["vintage"],
            "licence": row["licence"],
            "hotspots and named clusters": (
                f"national runs on graph {row['graph']} ({spec['hotspot_table']}, "
                f"{spec['cluster_table']})" if row["graph"] else "none: no small areas"),
            "indicators": int(row["indicators"]),
            "composite UK IMD (comparable across nations)": "; ".join(
                f"{i} ({reg[i]['level']}, {reg[i]['licence']})" for i in composite),
        })
    return pd.DataFrame(rows)
