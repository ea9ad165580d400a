"""``python -m geo summaries``: IoD-style area summaries written to CSV.

``--index iod2025`` reads the store (``geo.load_indicators("iod2025")``,
``geo.load_indicators("population")`` and ``boundaries.load("lsoa21")`` for the parent codes) and
summarises English LSOA 2021 to ``--geography`` lad24, utla24, region or cauth.

``--index iod2019`` works on IoD 2019's own geography: LSOA 2011 to LAD 2021 through the ONS
lookup (index ``lad21_code``), weighted by ONS mid-2019 population, read from the mirror
(``--source DIR`` or ``$OPPMAP_DATA``) because the store keeps IoD 2019 only on LSOA 2021.
The command says which geography it used.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from geo._errors import InputError
from geo.stats.summaries import N_RANKED, summarise_areas

__all__ = ['register_cli', 'build_summaries', 'run_summaries', 'GEOGRAPHIES']


#: Parent geographies of ``--geography`` for IoD 2025: the parent column of the ``lsoa21`` level.
GEOGRAPHIES: dict[str, str] = {
    "lad24": "lad24_code",
    "utla24": "utla24_code",
    "region": "region_code",
    "cauth": "cauth_code",
}


#: The only geography of ``--index iod2019`` (LSOA 2011 -> LAD 2021 lookup).
IOD2019_GEOGRAPHY = "lad21"


_LABELS = {
    "iod2025": "IoD 2025 on LSOA 2021",
    "iod2019": "IoD 2019 on LSOA 2011",
}


def _n_ranked(index: str) -> int:
    try:
        from geo.data.sources import dataset

        value = dataset(index).get("n_ranked")
    except Exception:  # registry absent or changed: fall back to the documented constant
        value = None
    return int(value) if value else N_RANKED[index]


def _names_for(geography: str, lsoa: pd.DataFrame, codes: pd.Index) -> pd.Series:
    """Area names from the lsoa21 level, else the level's own table, else the lad24 table."""
    import boundaries

    name_col = f"{geography}_name"
    if name_col in lsoa.columns:
        names = lsoa.dropna(subset=[GEOGRAPHIES[geography]]).drop_duplicates(GEOGRAPHIES[geography])
        return names.set_index(GEOGRAPHIES[geography])[name_col].reindex(codes)
    try:
        if geography in getattr(boundaries, "LEVELS", {}):
            return boundaries.load(geography)["name"].reindex(codes)
        lad = boundaries.load("lad24")
        if name_col in lad.columns:
            pairs = lad.dropna(subset=[GEOGRAPHIES[geography]]).drop_duplicates(GEOGRAPHIES[geography])
            return pairs.set_index(GEOGRAPHIES[geography])[name_col].reindex(codes)
    except Exception:  # names are a courtesy: a missing table leaves them empty, not the run
        pass
    return pd.Series(pd.NA, index=codes, dtype=object)


def _summaries_iod2025(geography: str) -> tuple[pd.DataFrame, str]:
    import boundaries
    import geo

    iod = geo.load_indicators("iod2025")
    population = geo.load_indicators("population")
    lsoa = boundaries.load("lsoa21")
    col = GEOGRAPHIES[geography]
    if col not in lsoa.columns:
        msg = (
            f"the stored lsoa21 level has no column {col!r} for --geography {geography}; "
            f"columns: {list(lsoa.columns)}. Rebuild the store with `python -m geo data build`"
        )
        raise InputError(msg)
    parent = lsoa.loc[lsoa.index.isin(iod.index), col].rename(col)
    n = _n_ranked("iod2025")
    table = summarise_areas(iod, parent=parent, population=population, n_ranked=n)
    names = _names_for(geography, pd.DataFrame(lsoa.drop(columns=lsoa.geometry.name)), table.index)
    table.insert(0, f"{geography}_name", names.to_numpy())
    used = (
        f"{_LABELS['iod2025']} (N = {n:,}) summarised to {geography} ({len(table)} areas), "
        "weights: Census 2021 population (employment: age 16-64)"
    )
    return table, used


def _summaries_iod2019(source: str | Path | None) -> tuple[pd.DataFrame, str]:
    from geo.data.readers import read_source_table
    from geo.data.sources import source_path

    def read(dataset_id: str) -> pd.DataFrame:
        return read_source_table(dataset_id, source_path(dataset_id, source=source))[0]

    iod = read("iod2019")
    lookup = read("lookup_lsoa11_lad21")
    pop = read("population_mid2019_lsoa11")
    weights = pd.DataFrame(
        {
            "population_total": pop["population_total"],
            "age_0_15": pop["age_0_4"] + pop["age_5_15"],
            "age_16_64": pop["age_16_17"] + pop["age_18_24"] + pop["age_25_64"],
            "age_65_plus": pop["age_65_plus"],
        },
        index=pop.index,
    )
    col = f"{IOD2019_GEOGRAPHY}_code"
    parent = lookup.loc[lookup.index.isin(iod.index), col].rename(col)
    n = _n_ranked("iod2019")
    table = summarise_areas(iod, parent=parent, population=weights, n_ranked=n)
    names = lookup.drop_duplicates(col).set_index(col)[f"{IOD2019_GEOGRAPHY}_name"]
    table.insert(0, f"{IOD2019_GEOGRAPHY}_name", names.reindex(table.index).to_numpy())
    used = (
        f"{_LABELS['iod2019']} (N = {n:,}) summarised to {IOD2019_GEOGRAPHY} through the ONS "
        f"LSOA 2011 -> LAD 2021 lookup ({len(table)} areas), weights: ONS mid-2019 population "
        "(employment: age 16-64); IoD 2019 has no scores on the mirror, so no average_score"
    )
    return table, used


def build_summaries(
    index: str = "iod2025", geography: str | None = None, *, source: str | Path | None = None
) -> tuple[pd.DataFrame, str]:
    """Compute the summary table for the CLI.

    Parameters
    ----------
    index
        ``"iod2025"`` (from the store) or ``"iod2019"`` (from the mirror, LAD 2021 only).
    geography
        For iod2025 one of :data:`GEOGRAPHIES` (default ``lad24``); for iod2019 only ``lad21``
        (the default).
    source
        Mirror directory for iod2019 (default ``$OPPMAP_DATA``).

    Returns
    -------
    (pandas.DataFrame, str)
        The table indexed by ``<geography>_code`` with ``<geography>_name`` first, and a sentence
        saying which data, geography and weights were used.

    Raises
    ------
    InputError
        On an unknown index or a geography that the index does not support.
    """
    key = str(index).strip().lower()
    if key == "iod2025":
        geography = "lad24" if geography is None else str(geography).strip().lower()
        if geography not in GEOGRAPHIES:
            msg = (
                f"`--geography` {geography!r} is not available for iod2025; valid: "
                f"{list(GEOGRAPHIES)}"
            )
            raise InputError(msg)
        return _summaries_iod2025(geography)
    if key == "iod2019":
        geography = IOD2019_GEOGRAPHY if geography is None else str(geography).strip().lower()
        if geography != IOD2019_GEOGRAPHY:
            msg = (
                f"`--geography` {geography!r} is not available for iod2019, which is summarised on "
                f"its own geography (LSOA 2011 -> {IOD2019_GEOGRAPHY}); use --geography "
                f"{IOD2019_GEOGRAPHY} (or leave it out), or --index iod2025 for {list(GEOGRAPHIES)}"
            )
            raise InputError(msg)
        return _summaries_iod2019(source)
    msg = f"`--index` {index!r} is not known; valid: {list(_LABELS)}"
    raise InputError(msg)


def run_summaries(args: argparse.Namespace) -> int:
    """Run ``summaries`` from parsed arguments; write the CSV and say what was used."""
    out = Path(args.out)
    if out.suffix.lower() != ".csv":
        msg = f"`--out` must be a .csv path; got {str(out)!r}"
        raise InputError(msg)
    table, used = build_summaries(args.index, args.geography, source=getattr(args, "source", None))
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, index=True)
    sys.stdout.write(f"summaries: {used}; wrote {len(table)} rows to {out}\n")
    return 0


def register_cli(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``summaries`` command to ``python -m geo``.

    Parameters
    ----------
    subparsers
        The object returned by ``ArgumentParser.add_subparsers()``.

    Returns
    -------
    argparse.ArgumentParser
        The new sub-parser; its ``func`` default is :func:`run_summaries` (returns an exit code).
    """
    parser = subparsers.add_parser(
        "summaries",
        help="IoD-style area summaries (average score/rank, proportion, extent, local concentration)",
        description=(
            "Summarise LSOA-level deprivation for councils, regions or combined authorities with "
            "the five measures MHCLG publishes, and write a CSV. iod2025 uses the store; iod2019 "
            "is summarised on its own geography (LAD 2021) from the mirror."
        ),
    )
    parser.add_argument("--index", choices=list(_LABELS), default="iod2025", help="release")
    parser.add_argument(
        "--geography",
        choices=[*GEOGRAPHIES, IOD2019_GEOGRAPHY],
        default=None,
        help="parent areas: lad24 (default), utla24, region, cauth for iod2025; lad21 for iod2019",
    )
    parser.add_argument("--out", required=True, help="output CSV path")
    parser.add_argument(
        "--source", default=None, help="mirror directory for --index iod2019 (default $OPPMAP_DATA)"
    )
    parser.set_defaults(func=run_summaries)
    return parser
