"""Each nation on its own index: the national indices, their tables in the store, their summaries.

England has the English Indices of Deprivation 2025 on LSOA 2021, Wales WIMD 2019 on LSOA 2011,
Scotland SIMD 2020 on data zones 2011 and Northern Ireland NIMDM 2017, held at council level only
(the mirror has no boundaries for its Super Output Areas). Ranks are not comparable across
nations; across nations only the composite UK IMD of mySociety (``ukimd_*`` tables) is.

The registry's ``[national_indices]`` describe each index (dataset, small areas, domains, weights,
graph, summary tables). At build time :func:`build_nation_tables` computes, for Wales and
Scotland, IoD-style council summaries on the index's own small areas
(:func:`geo.stats.devolved.summarise_national_index`), the nation as one area, and compounded
disadvantage (three or more domains in the nation's own worst decile) on the map level. At run
time :func:`index_summaries` loads the council summaries of any index, and
:func:`hotspot_inputs` gives the national hotspot stage each nation's values, graph and polarity.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd

from geo._errors import InputError, OppmapError, StoreError, format_codes
from geo.data._context import BuildContext
from geo.data.indicators import indicator_meta, load_indicators
from geo.data.readers import read_csv_strict
from geo.data.sources import NATIONS, dataset, registry_meta
from geo.stats.compound import area_shares, count_deprived_domains
from geo.stats.devolved import summarise_national_index

__all__ = ["NATION_CODES", "COMPOUND_THRESHOLD", "COMPARABLE_PREFIX", "national_indices",
           "index_of_nation", "index_spec", "nation_coverage", "comparable_datasets",
           "comparability_note", "build_nation_tables", "hotspot_inputs", "index_summaries"]

#: GSS code of each nation (the index of the ``country`` summary rows).
NATION_CODES = {"E": "E92000001", "W": "W92000004", "S": "S92000003", "N": "N92000002"}

#: Domains in the nation's own worst decile that make a small area's disadvantage compounded.
COMPOUND_THRESHOLD = 3

#: Registry ids of the composite UK IMD (mySociety), the one measure comparable across nations.
COMPARABLE_PREFIX = "ukimd"


def national_indices() -> dict[str, dict[str, Any]]:
    """Every national index of the registry by id (``iod2025``, ``wimd2019``, ...)."""
    return dict(registry_meta().get("national_indices", {}))


def _unknown(what: str, value: str, valid: list[str]) -> InputError:
    from rapidfuzz import process

    close = [m for m, score, _ in process.extract(value, valid, limit=3) if score >= 50]
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    return InputError(f"`{what}` {value!r} is not known.{hint} Valid: {', '.join(valid)}")


def index_spec(index: str) -> dict[str, Any]:
    """The registry's description of one national index, with its ``id``.

    Raises
    ------
    InputError
        For an unknown index, naming the closest ones.
    """
    indices = national_indices()
    key = str(index).strip().lower()
    if key not in indices:
        raise _unknown("index", str(index), list(indices))
    return {"id": key, **indices[key]}


def index_of_nation(nation: str) -> str:
    """The id of a nation's own index, from its letter (E, W, S, N) or a GSS code.

    Examples
    --------
    >>> index_of_nation("W06000015")
    'wimd2019'
    """
    letter = str(nation).strip()[:1].upper()
    letter = "N" if letter == "9" else letter
    for ident, spec in national_indices().items():
        if spec["nation"] == letter:
            return ident
    raise _unknown("nation", str(nation), list(NATIONS))


def nation_coverage() -> pd.DataFrame:
    """What is available for each nation: its index, small areas, level, vintage and licence.

    Returns
    -------
    pandas.DataFrame
        Indexed by nation letter (E, W, S, N): ``nation``, ``index``, ``title``,
        ``small_areas``, ``map_level`` (empty when there are no small-area boundaries),
        ``graph``, ``vintage``, ``licence``, ``weights``, ``indicators`` (catalogue ids that
        cover the nation) and ``comparable_across_nations`` (the composite UK IMD ids).

    Examples
    --------
    >>> nation_coverage().loc["N", "map_level"]
    ''
    """
    from geo.data.indicators import catalogue
    from geo.data.sources import dataset

    cat = catalogue()
    covers = cat["nations"].str.split(";")
    across = list(cat.index[cat["dataset"].isin(comparable_datasets())])
    rows = []
    for ident, spec in national_indices().items():
        entry = dataset(spec["dataset"])
        rows.append({"code": spec["nation"], "nation": NATIONS[spec["nation"]], "index": ident,
                     "title": spec["title"], "small_areas": spec["small_areas"],
                     "map_level": spec.get("map_level", ""), "graph": spec.get("graph", ""),
                     "vintage": entry["vintage"], "licence": entry["licence"],
                     "weights": spec["weights"],
                     "indicators": int(covers.apply(lambda n, x=spec["nation"]: x in n).sum()),
                     "comparable_across_nations": ";".join(across)})
    return pd.DataFrame(rows).set_index("code")


def comparable_datasets() -> list[str]:
    """Registry ids of the composite UK IMD tables (``ukimd_la``, ``ukimd_ew``, ...), in order.

    Examples
    --------
    >>> "ukimd_la" in comparable_datasets()
    True
    """
    from geo.data.sources import registry

    return [i for i, e in registry().items()
            if i.startswith(COMPARABLE_PREFIX) and e["kind"] == "indicators"]


def comparability_note() -> str:
    """The sentence every nation-specific output carries: the indices are not comparable.

    Names the composite UK IMD's tables, publisher and licence from the registry.
    """
    from geo.data.sources import dataset

    ids = comparable_datasets()
    text = ("Each nation's index ranks only its own small areas, so ranks, deciles and summaries "
            "are not comparable across England, Wales, Scotland and Northern Ireland")
    if not ids:
        return text + "."
    first = dataset(ids[0])
    return (f"{text}; across nations use the composite UK IMD ({', '.join(ids)}; "
            f"{first['publisher']}, {first['licence']}).")


# ----------------------------------------------------------------------------- build time


def _parent(spec: dict[str, Any], native: pd.DataFrame, lk: dict[str, pd.DataFrame],
            geo_levels: dict[str, gpd.GeoDataFrame]) -> pd.Series:
    """Small area -> council (LAD 2024 code) of the index's own small areas."""
    if "parent_lookup" in spec:
        codes = lk[spec["parent_lookup"]][spec["parent_column"]]
    else:
        codes = geo_levels[spec["native_level"]][spec["parent_level_column"]]
    return codes.reindex(native.index).rename("lad24_code")


def _weights(spec: dict[str, Any], native: pd.DataFrame, tables: dict[str, pd.DataFrame]
             ) -> pd.Series:
    if "weights_table" not in spec:
        return pd.Series(1.0, index=native.index)
    return tables[spec["weights_table"]][spec["weights_column"]].reindex(native.index)


def _summaries(spec: dict[str, Any], native: pd.DataFrame, parent: pd.Series, weights: pd.Series,
               names: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Council and nation summaries of one devolved index, with compounded-disadvantage shares."""
    domains = [spec["overall"], *spec["domains"]]
    flags = count_deprived_domains(native, domains=spec["domains"], threshold=COMPOUND_THRESHOLD)
    flags = flags[["compounded", "compounded_quintile"]]
    out = []
    for par in (parent, pd.Series(NATION_CODES[spec["nation"]], index=native.index,
                                  name="country_code")):
        table = summarise_national_index(native, parent=par, population=weights,
                                         n_ranked=spec["n_ranked"], domains=domains)
        table = table.join(area_shares(flags, parent=par, population=weights),
                           validate="one_to_one")
        if "weights_table" not in spec:  # equal weights: a "population" share means nothing
            table = table.drop(columns=[c for c in table.columns if "population" in c])
        out.append(table)
    council, nation = out
    council.insert(0, "name", names.reindex(council.index))
    nation.insert(0, "name", NATIONS[spec["nation"]])
    return council, nation[[c for c in nation.columns if not c.endswith("_rank")
                            or c.endswith("average_rank")]]


def _with_published(ctx: BuildContext, spec: dict[str, Any], council: pd.DataFrame,
                    nation: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Councils' measures named in ``published_councils`` as the nation's government publishes
    them (SIMD's extent is population-weighted; the mirror has no data-zone population), and
    the nation's own figure of those measures left out where it would be the store's unweighted
    one (the share in the nation's own most deprived 10% is 10% by construction: kept)."""
    ident = spec["published"]
    raw = read_csv_strict(ctx.src(ident), columns=dataset(ident)["columns"],
                          source=f"dataset {ident!r}").set_index("lad24_code")
    if set(raw.index) != set(council.index):
        odd = sorted(set(raw.index) ^ set(council.index))
        msg = (f"dataset {ident!r}: councils {format_codes(odd)} are in only one of the "
               "published table and the store's summaries; check its codes are LAD 2024")
        raise OppmapError(msg)
    columns = [c for c in council.columns if c.endswith(tuple(spec["published_councils"]))
               and c in raw.columns]
    council = council.assign(**{c: pd.to_numeric(raw[c]).reindex(council.index) for c in columns})
    weighted = [c for c in columns if not c.endswith("_proportion_most_deprived_10")]
    return council, nation.drop(columns=[c for c in weighted if c in nation.columns])


def build_nation_tables(ctx: BuildContext, tables: dict[str, pd.DataFrame],
                        geo_levels: dict[str, gpd.GeoDataFrame], lk: dict[str, pd.DataFrame]
                        ) -> dict[str, pd.DataFrame]:
    """Summaries and compounded disadvantage of every devolved index with small areas.

    Returns
    -------
    dict
        Per index with small areas other than England's (whose tables :mod:`geo.data.derived`
        builds): its ``summaries`` tables (councils and the nation) and its ``compound`` table
        on the map level (``n_domains_worst_decile``, ``compounded``, ... as England's).
    """
    ctx.log("computing the Welsh and Scottish summaries and compounded disadvantage ...")
    out: dict[str, pd.DataFrame] = {}
    for ident, spec in national_indices().items():
        if "native_table" not in spec:  # Northern Ireland: council figures as published
            table = tables[spec["dataset"]]
            ctx.report["derived"][ident] = {"councils": int(len(table)),
                                            "small_areas": spec["small_areas"]}
            continue
        if spec["nation"] == "E":  # England's tables: geo.data.derived
            continue
        native = tables[spec["native_table"]]
        parent = _parent(spec, native, lk, geo_levels)
        council, nation = _summaries(spec, native, parent, _weights(spec, native, tables),
                                     geo_levels["lad24"]["name"])
        published = []
        if "published_councils" in spec:
            council, nation = _with_published(ctx, spec, council, nation)
            published = [c for c in council.columns if c.endswith(tuple(spec["published_councils"]))]
        out[spec["summaries"]["lad24"]] = council
        out[spec["summaries"]["country"]] = nation
        on_map = tables[spec["dataset"]]
        deciles = [f"{d}_decile" for d in spec["domains"]]
        # carried deciles are nullable integers; the count wants plain numbers
        on_map = on_map[on_map[deciles].notna().all(axis=1)].astype(dict.fromkeys(deciles, float))
        compound = count_deprived_domains(on_map, domains=spec["domains"],
                                          threshold=COMPOUND_THRESHOLD)
        compound.index.name = on_map.index.name
        out[spec["compound"]] = compound
        ctx.report["derived"][ident] = {
            "small_areas": int(len(native)),
            "councils": int(len(council)),
            "without_council": sorted(parent.index[parent.isna()]),
            "weights": spec["weights"],
            "published_council_columns": published,
            "compounded_map_level": int(compound["compounded"].sum()),
        }
    return out


def hotspot_inputs(tables: dict[str, pd.DataFrame], geo_levels: dict[str, gpd.GeoDataFrame],
                   index: str) -> dict[str, Any]:
    """What the national hotspot stage analyses for one index: values, graph, polarity, names.

    Parameters
    ----------
    tables
        Store tables by name (the build's source and derived tables, or loaded ones): the
        index's ``dataset`` and ``compound`` tables, and ``population`` (Census 2021, England
        and Wales) are used.
    geo_levels
        Boundaries by level (the map level's parent and ward or data-zone names).
    index
        A national index with small areas (``iod2025``, ``wimd2019``, ``simd2020``).

    Returns
    -------
    dict
        ``values``: indexed by the map level's codes, the ``hotspot_columns``; ``graph``: the
        stored graph's name; ``polarity``: column -> ``higher_worse``/``higher_better`` (from
        the catalogue); ``level``; ``info``: what :func:`geo.stats.hotspot_clusters` names
        clusters with (``population_total``, ``ward24_name`` (for data zones, their name
        without the number: the intermediate zone), ``lad24_name``, ``lad24_code``,
        ``domains_worst_decile``); ``population_known``: ``False`` for Scotland, whose data
        zones have no population in the mirror (each counts 1).

    Raises
    ------
    InputError
        For an index without small areas (NIMDM 2017) or an unknown one.
    """
    spec = index_spec(index)
    if "graph" not in spec:
        msg = f"`index` {index!r} has no small areas to analyse: {spec['small_areas']}"
        raise InputError(msg)
    compound, data = tables[spec["compound"]], tables[spec["dataset"]]
    values, polarity = {}, {}
    for col in spec["hotspot_columns"]:
        source = spec["compound"] if col in compound.columns else spec["dataset"]
        frame = compound if col in compound.columns else data
        values[col] = frame[col].astype(float)
        polarity[col] = indicator_meta(f"{source}.{col}")["polarity"]
    out = pd.DataFrame(values).dropna()
    out.index.name = data.index.name
    areas = geo_levels[spec["map_level"]].reindex(out.index)
    known = spec["map_level"] == "lsoa21"
    info = pd.DataFrame({
        "population_total": (tables["population"]["population_total"].reindex(out.index)
                             if known else 1.0),
        "ward24_name": (areas["ward24_name"] if "ward24_name" in areas.columns
                        else areas["name"].str.replace(r"\s*-\s*\d+$", "", regex=True)),
        "lad24_name": areas["lad24_name"],
        "lad24_code": areas["lad24_code"],
        "domains_worst_decile": compound["domains_worst_decile"].reindex(out.index),
    }, index=out.index)
    return {"values": out, "graph": spec["graph"], "polarity": polarity,
            "level": spec["map_level"], "info": info, "population_known": known}


# ----------------------------------------------------------------------------- run time


def index_summaries(index: str, *, geography: str = "lad24") -> pd.DataFrame:
    """IoD-style summaries of a national index from the store, for councils or the nation.

    Parameters
    ----------
    index
        ``iod2025``, ``wimd2019``, ``simd2020`` or ``nimdm2017``.
    geography
        ``lad24`` (councils; single-tier in Wales, Scotland and Northern Ireland), ``country``
        (the nation as one area), and for ``iod2025`` also ``utla24`` and ``region``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``lad24_code`` (or ``country_code``, ...): ``name``, then
        ``<domain>_<measure>`` (and ranks) as available for the index, and compounded shares.
        ``attrs`` says which index, small areas, weights and bins made it.

    Raises
    ------
    InputError
        Unknown index or geography (with the closest names).
    StoreError
        If the store lacks the table.

    Examples
    --------
    >>> index_summaries("wimd2019").loc["W06000015", "wimd_proportion_most_deprived_10"]  # doctest: +SKIP
    """
    spec = index_spec(index)
    summaries = spec.get("summaries", {})
    if geography not in summaries:
        raise _unknown("geography", str(geography), list(summaries))
    table = load_indicators(summaries[geography])
    if "name" not in table.columns:
        import boundaries

        table.insert(0, "name", boundaries.load("lad24")["name"].reindex(table.index))
    if table.empty:
        msg = f"the store's table {summaries[geography]!r} is empty: rebuild the store"
        raise StoreError(msg)
    table.attrs = {"index": spec["id"], "title": spec["title"], "nation": spec["nation"],
                   "small_areas": spec["small_areas"], "weights": spec["weights"],
                   "bins": spec["bins"], "n_ranked": spec.get("n_ranked")}
    return table
