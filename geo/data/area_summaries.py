"""IoD-style area summaries from stored or mirrored tables (``python -m geo summaries``).

The statistics are :func:`geo.stats.summaries.summarise_areas` (pure); this module reads what it
needs and says what was used:

* ``iod2025``: the store (``load_indicators("iod2025")``, ``load_indicators("population")`` and
  the ``lsoa21`` level for parent codes), English LSOA 2021 summarised to lad24, utla24, region
  or cauth.
* ``iod2019``: IoD 2019's own geography, LSOA 2011 to LAD 2021 through the ONS lookup, weighted by
  ONS mid-2019 population, read from the mirror (the store keeps IoD 2019 only on LSOA 2021).
* ``wimd2019``, ``simd2020``, ``nimdm2017``: each nation's own council summaries, as the store
  build computed them on the index's own small areas (NIMDM 2017: as NISRA published them), read
  with :func:`geo.data.nations.index_summaries`.

Examples
--------
>>> table, used = build_summaries("iod2025", "lad24")       # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geo._errors import InputError, OppmapError
from geo.stats.summaries import summarise_areas

__all__ = ["build_summaries", "GEOGRAPHIES", "IOD2019_GEOGRAPHY", "INDEXES", "NATIONAL", "SOURCES",
           "summary_notes"]


#: Parent geographies of IoD 2025: the parent column of the ``lsoa21`` level.
GEOGRAPHIES: dict[str, str] = {
    "lad24": "lad24_code",
    "utla24": "utla24_code",
    "region": "region_code",
    "cauth": "cauth_code",
}


#: The only geography of IoD 2019 (LSOA 2011 -> LAD 2021 lookup).
IOD2019_GEOGRAPHY = "lad21"


#: Releases that can be summarised, and what they are.
INDEXES = {
    "iod2025": "IoD 2025 on LSOA 2021",
    "iod2019": "IoD 2019 on LSOA 2011",
    "wimd2019": "WIMD 2019 on LSOA 2011 (Wales)",
    "simd2020": "SIMD 2020 on data zones 2011 (Scotland)",
    "nimdm2017": "NIMDM 2017 council figures (Northern Ireland)",
}


#: The other nations' indices: their stored summaries (:func:`geo.data.nations.index_summaries`).
NATIONAL = ("wimd2019", "simd2020", "nimdm2017")


#: Registry datasets (or derived tables) each release's summaries are read from.
SOURCES = {
    "iod2025": ["iod2025", "population", "lsoa21_bsc"],
    "iod2019": ["iod2019", "lookup_lsoa11_lad21", "population_mid2019_lsoa11"],
    "wimd2019": ["summary_wimd2019_lad24"],
    "simd2020": ["summary_simd2020_lad24"],
    "nimdm2017": ["nimdm2017", "lad24_uk_buc"],
}


def _n_ranked(index: str) -> int:
    """How many areas the release ranks (``n_ranked`` in the registry)."""
    from geo.data.sources import dataset

    return int(dataset(index)["n_ranked"])


def _names_for(geography: str, lsoa: pd.DataFrame, codes: pd.Index) -> pd.Series:
    """Area names from the lsoa21 level, else the level's own table, else the lad24 table."""
    import boundaries

    col, name_col = GEOGRAPHIES[geography], f"{geography}_name"
    if name_col in lsoa.columns:
        names = lsoa.dropna(subset=[col]).drop_duplicates(col)
        return names.set_index(col)[name_col].reindex(codes)
    try:
        if geography in boundaries.LEVELS:
            return boundaries.load(geography)["name"].reindex(codes)
        lad = boundaries.load("lad24")
        if name_col in lad.columns:
            pairs = lad.dropna(subset=[col]).drop_duplicates(col)
            return pairs.set_index(col)[name_col].reindex(codes)
    except OppmapError:  # names are a courtesy: a missing table leaves them empty, not the run
        pass
    return pd.Series(pd.NA, index=codes, dtype=object)


def _summaries_iod2025(geography: str) -> tuple[pd.DataFrame, str]:
    import boundaries
    from geo.data.indicators import load_indicators

    iod = load_indicators("iod2025")
    population = load_indicators("population")
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
        f"{INDEXES['iod2025']} (N = {n:,}) summarised to {geography} ({len(table)} areas), "
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
        f"{INDEXES['iod2019']} (N = {n:,}) summarised to {IOD2019_GEOGRAPHY} through the ONS "
        f"LSOA 2011 -> LAD 2021 lookup ({len(table)} areas), weights: ONS mid-2019 population "
        "(employment: age 16-64); IoD 2019 has no scores on the mirror, so no average_score"
    )
    return table, used


def _summaries_national(index: str, geography: str | None) -> tuple[pd.DataFrame, str]:
    """A devolved index's stored council (or nation) summaries, named like the others."""
    from geo.data.nations import index_spec, index_summaries

    spec = index_spec(index)
    valid = list(spec.get("summaries", {}))
    geography = valid[0] if geography is None else str(geography).strip().lower()
    if geography not in valid:
        msg = (f"`--geography` {geography!r} is not available for {index}, whose summaries are "
               f"stored for {valid}; use one of them (or leave it out for {valid[0]})")
        raise InputError(msg)
    table = index_summaries(index, geography=geography)
    attrs = dict(table.attrs)
    table = table.rename(columns={"name": f"{geography}_name"})
    table.attrs = attrs
    n = f" (N = {attrs['n_ranked']:,})" if attrs.get("n_ranked") else ""
    how = ("computed by oppmap on the index's own small areas"
           if "native_table" in spec else "as published")
    used = (f"{INDEXES[index]}{n}, {how}, for {geography} ({len(table)} areas); small areas: "
            f"{attrs['small_areas']}; weights: {attrs['weights']}")
    return table, used


def summary_notes(index: str, table: pd.DataFrame) -> list[str]:
    """What the README beside a summary table says: index, vintage, small areas, weights, and
    that the nations' indices are not comparable with each other."""
    from geo.data.nations import comparability_note, index_spec
    from geo.data.sources import NATIONS, dataset

    key = str(index).strip().lower()
    spec = index_spec(key) if key in NATIONAL or key == "iod2025" else None
    entry = dataset(spec["dataset"] if spec else key)
    if spec is None:
        return [f"Index: {entry['title']} ({key}, {entry['vintage']}).", comparability_note()]
    return [f"Index: {spec['title']} ({key}, {entry['vintage']}), {NATIONS[spec['nation']]} only; "
            f"{len(table)} areas.",
            f"Small areas: {spec['small_areas']}.",
            f"Weights: {spec['weights']}.",
            f"Bins: {spec['bins']}.",
            comparability_note()]


def build_summaries(
    index: str = "iod2025", geography: str | None = None, *, source: str | Path | None = None
) -> tuple[pd.DataFrame, str]:
    """Summarise a release's LSOA deprivation to parent areas, with a sentence on what was used.

    Parameters
    ----------
    index
        ``"iod2025"`` (from the store), ``"iod2019"`` (from the mirror, LAD 2021 only), or
        another nation's index (:data:`NATIONAL`: ``wimd2019``, ``simd2020``, ``nimdm2017``),
        whose summaries the store holds (:func:`geo.data.nations.index_summaries`).
    geography
        For iod2025 one of :data:`GEOGRAPHIES` (default ``lad24``); for iod2019 only ``lad21``
        (the default); for the other nations ``lad24`` (the default) or ``country`` where stored.
    source
        Mirror directory for iod2019 (default ``$OPPMAP_DATA``).

    Returns
    -------
    (pandas.DataFrame, str)
        The table indexed by ``<geography>_code`` with ``<geography>_name`` first, and a sentence
        saying which data, geography and weights were used. For the other nations' indices the
        table's ``attrs`` say which index, small areas, weights and bins made it.

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
    if key in NATIONAL:
        return _summaries_national(key, geography)
    msg = f"`--index` {index!r} is not known; valid: {list(INDEXES)}"
    raise InputError(msg)
