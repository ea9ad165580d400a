"""A council's small areas in any nation of the UK, and the indicator they are shown by.

Each nation has its own index on its own small areas (:func:`geo.data.nations.index_spec`):
England's and Wales's councils are drawn by their LSOAs 2021, Scotland's by their data zones
2011; Northern Ireland has no small-area boundaries in the mirror (:func:`no_small_areas_text`
says so). A small-area indicator covers some nations only (the catalogue's ``nations``):
:func:`area_indicator` shows a council of another nation on its own index's counterpart (the
same column of the nation's index, its rank where the nation publishes no score, else the
nation's headline) and says so. :data:`OWN_DECILE` is the one measure every small area of Great
Britain has: its decile on its own nation's index (:func:`own_deciles`).

Functions of the store's tables and the registry; nothing here draws or imports Streamlit.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import geopandas as gpd
import pandas as pd

import boundaries
from geo._errors import InputError
from geo.data.indicators import catalogue, load_indicators
from geo.data.nations import index_of_nation, index_spec, national_indices
from geo.data.sources import NATIONS, nations_in_words

__all__ = ["OWN_DECILE", "map_attribution_of", "AREA_WORDS", "own_decile_ids", "own_decile_meta", "own_deciles",
           "area_indicator", "small_area_options", "nation_of", "nation_level",
           "no_small_areas_text", "area_places", "council_areas", "click_note",
           "indicator_notice"]

#: The small-area measure every area of Great Britain has: its decile on its nation's own index.
OWN_DECILE = "nations.own_decile"
#: What the small areas of each level are called.
AREA_WORDS = {"lsoa21": "LSOAs", "dz11": "data zones"}
#: The column that names where a small area is, by level (data zones: their name's stem).
PLACE_WORDS = {"lsoa21": "Ward", "dz11": "Intermediate zone"}


def nation_of(code: str) -> str:
    """The nation letter of a GSS code (``"W"`` for ``"W06000015"``)."""
    return str(boundaries.country_of([str(code)]).iloc[0])


def nation_level(letter: str) -> str | None:
    """The small-area level of a nation's own index (``lsoa21``, ``dz11``), None without."""
    return index_spec(index_of_nation(letter)).get("map_level") or None


def own_decile_ids() -> dict[str, str]:
    """Nation letter -> the catalogue id of its own index's decile, nations with small areas."""
    ids = set(catalogue().index)
    out = {}
    for spec in national_indices().values():
        ident = f"{spec['dataset']}.{spec['overall']}_decile"
        if spec.get("map_level") and ident in ids:
            out[spec["nation"]] = ident
    return out


def own_decile_meta() -> dict[str, Any]:
    """The catalogue-like entry of :data:`OWN_DECILE` (label, unit, polarity, level, nations)."""
    titles = "; ".join(f"{NATIONS[n]}: {index_spec(index_of_nation(n))['title']}"
                       for n in own_decile_ids())
    return {"id": OWN_DECILE, "label": "Decile of each nation's own index of deprivation (1 = "
                                       "most deprived 10% of its nation)",
            "unit": "decile", "polarity": "higher_better", "level": "lsoa21;dz11",
            "nations": ";".join(own_decile_ids()), "dataset": "", "indices": titles,
            "vintage": "each nation's own"}


def own_deciles() -> pd.Series:
    """Every small area's decile on its own nation's index (LSOAs and data zones), by code."""
    parts = [load_indicators(ident)[ident] for ident in own_decile_ids().values()]
    out = pd.concat(parts).astype(float)
    out.index.name = "code"
    return out.rename("value")


def small_area_options() -> pd.DataFrame:
    """The small-area indicators a page offers: :data:`OWN_DECILE` first, then the catalogue's
    indicators of LSOAs and data zones (``label``, ``unit``, ``polarity``, ``level``,
    ``nations``)."""
    cat = catalogue()
    rows = cat[cat["level"].isin(list(AREA_WORDS))][["label", "unit", "polarity", "level",
                                                       "nations", "dataset", "vintage"]]
    first = pd.DataFrame([own_decile_meta()]).set_index("id")[rows.columns]
    return pd.concat([first, rows])


def _counterpart(meta: pd.Series, letter: str, cat: pd.DataFrame) -> str | None:
    """The same column on ``letter``'s own index (or its composite UK IMD table), if any."""
    dataset, column = str(meta["dataset"]), str(meta["column"])
    own = index_spec(index_of_nation(letter))
    level = own.get("map_level")
    for spec in national_indices().values():
        for key in ("dataset", "compound"):
            if spec.get(key) != dataset:
                continue
            target = own.get(key)
            stem = column.removeprefix(f"{spec['overall']}_")
            col = f"{own['overall']}_{stem}" if stem != column else column
            for candidate in (col, col.removesuffix("_score") + "_rank"):
                if f"{target}.{candidate}" in cat.index:
                    return f"{target}.{candidate}"
    if dataset.startswith("ukimd"):
        same = cat[(cat["column"] == column) & (cat["level"] == level)
                   & cat["dataset"].str.startswith("ukimd")]
        return str(same.index[0]) if len(same) else None
    return None


def area_indicator(indicator: str, letter: str) -> tuple[str, str | None]:
    """The small-area indicator to show for areas of nation ``letter``, and why when it differs.

    ``indicator`` itself when it covers the nation; :data:`OWN_DECILE` as the nation's own
    index's decile; otherwise the same measure on the nation's own index (e.g.
    ``wimd2019.wimd_score`` for ``iod2025.imd_score``; SIMD publishes ranks, not scores), else
    the nation's headline (its index's score, or rank), with a sentence saying so.

    Raises
    ------
    InputError
        An unknown indicator, or a nation without small areas (Northern Ireland).

    Examples
    --------
    >>> area_indicator("iod2025.imd_score", "W")  # doctest: +SKIP
    ('wimd2019.wimd_score', 'Index of Multiple Deprivation 2025: score covers England only; ...')
    """
    own = index_spec(index_of_nation(letter))
    if not own.get("map_level"):
        msg = (f"`letter` {letter!r}: {NATIONS.get(letter, letter)} has no small areas in the "
               f"mirror ({own['small_areas']}).")
        raise InputError(msg)
    if indicator == OWN_DECILE:
        return own_decile_ids()[letter], None
    cat = catalogue()
    if indicator not in cat.index:
        msg = f"`indicator` {indicator!r} is not in the catalogue (python -m geo catalogue)."
        raise InputError(msg)
    meta = cat.loc[indicator]
    if letter in str(meta["nations"]).split(";"):
        return indicator, None
    shown = _counterpart(meta, letter, cat) or next(
        f"{own['dataset']}.{own['overall']}_{kind}" for kind in ("score", "rank")
        if f"{own['dataset']}.{own['overall']}_{kind}" in cat.index)
    covers = nations_in_words(n for n in str(meta["nations"]).split(";") if n in NATIONS)
    return shown, (f"{meta['label']} covers {covers} only; {NATIONS[letter]}'s areas are shown "
                   f"on its own index: {cat.at[shown, 'label']} (national indices are not "
                   "comparable across nations).")


def no_small_areas_text(name: str, letter: str, *, lacking: str | None = None) -> str:
    """What a page says for a council of a nation without small-area boundaries.

    The whole explanation, once per page; ``lacking`` (say ``"named clusters"``) gives the
    short form for the page's later sections, which refers to it.

    Examples
    --------
    >>> no_small_areas_text("Belfast", "N", lacking="neighbourhood map")[:48]
    'No neighbourhood map for Belfast: the mirror has'
    """
    spec = index_spec(index_of_nation(letter))
    nation = NATIONS.get(letter, letter)
    if lacking:
        return (f"No {lacking} for {name}: the mirror has no small-area boundaries for {nation} "
                f"({spec['small_areas']}), as said above.")
    return (f"{name} is in {nation}: the mirror has no small-area boundaries for {nation} "
            f"({spec['small_areas']}), so there is no neighbourhood map, hotspot or named "
            f"cluster for it. Its council-level figures ({spec['title']}, and the composite UK "
            "IMD) are in the profile.")


def area_places(areas: pd.DataFrame, level: str) -> pd.Series:
    """Where each small area is, in words: its ward (LSOAs) or intermediate zone (data zones:
    the data zone's name without its number)."""
    out = pd.Series("", index=areas.index, name="ward", dtype=object)
    if level == "dz11":
        out[:] = areas["name"].astype(str).str.replace(r"\s*-\s*\d+$", "", regex=True)
    if "ward24_name" in areas.columns:  # LSOAs (a table of both levels: NaN for data zones)
        ward = areas["ward24_name"]
        out = out.where(ward.isna(), ward).rename("ward")
    return out.fillna("")


def council_areas(code: str, councils: pd.DataFrame, *,
                  display: str | None = "council") -> tuple[gpd.GeoDataFrame, str | None]:
    """A council's small areas at its nation's level (either tier), and that level.

    Returns
    -------
    (GeoDataFrame, str or None)
        The areas (``display`` copy, or the analysis copy for None) with ``name``, ``ward``
        (:func:`area_places`) and the parent columns, and their level; empty and None in a
        nation without small areas (Northern Ireland).
    """
    if code not in councils.index:
        msg = f"`code` {code!r} is not a council of the table ({len(councils)} councils)."
        raise InputError(msg)
    level = nation_level(str(councils.at[code, "country"]))
    if level is None:
        return gpd.GeoDataFrame(geometry=[], crs=4326), None
    column = f"{councils.at[code, 'level']}_code"
    every = boundaries.load(level, display=display)
    areas = every[every[column] == code].copy()
    areas["ward"] = area_places(areas, level)
    return areas, level


# ----------------------------------------------------------------------------- sentences


def coverage_note(label: str, nations: str, *, n_outside: int, dataset: str = "") -> str:
    """What a national map of councils says about the nations its measure covers.

    ``nations`` is the catalogue's ``";"``-joined nation letters of the measure, ``n_outside``
    the councils drawn that it does not cover, ``dataset`` its table (the composite UK IMD is
    named as the measure comparable across nations).
    """
    from geo.data.nations import comparability_note, comparable_datasets

    letters = [n for n in str(nations).split(";") if n in NATIONS]
    covers = nations_in_words(letters) or "no nation"
    if dataset in comparable_datasets():
        head = (f"{label}: every council of the UK, on one scale: the composite UK IMD of "
                "mySociety is the measure comparable across the four nations.")
    elif n_outside:
        head = (f"{label} covers {covers} only: the other {n_outside} councils are pale grey, "
                "not covered by this index (never a blank: they have their own nation's "
                "index).")
    else:
        head = f"{label} covers {covers}."
    return f"{head} {comparability_note()}"


def click_note(council: str | None, name: str, nations: str) -> str:
    """What a click on a national map of councils that opened no council says.

    ``council`` is the council under the point (None: no council, e.g. the sea), ``name`` its
    name and ``nations`` the catalogue's ``";"``-joined nation letters of the measure mapped.

    Examples
    --------
    >>> click_note("S12000049", "Glasgow City", "E").split(":")[0]
    'Glasgow City is not covered by this indicator (England only)'
    """
    if not council:
        return "No council of this map under that point: click inside a council."
    letters = [n for n in str(nations).split(";") if n in NATIONS]
    covers = nations_in_words(letters) or "no nation"
    own = NATIONS.get(str(council)[:1], "its nation")
    return (f"{name} is not covered by this indicator ({covers} only): choose an indicator of "
            f"{own} to open it here, or open it on My council.")


def indicator_notice(asked: str, options: pd.DataFrame, shown: Iterable[str], *,
                     instead: str, where: str = "this page") -> str:
    """Why the indicator a link asks for is not shown, or "" when it is (or none is asked).

    Parameters
    ----------
    asked
        The indicator id of the link.
    options
        Every council measure (:func:`geo.profile.council_measures`: ``label``, ``lad24``).
    shown
        The ids the page offers.
    instead
        The label of the indicator shown instead.
    where
        The page, in words ("Compare").

    Examples
    --------
    >>> m = pd.DataFrame({"label": ["IMD score"], "lad24": ["summary"]}, index=["s.imd"])
    >>> indicator_notice("nonsense", m, ["s.imd"], instead="IMD score").split(":")[0]
    "The link asks for indicator 'nonsense', which is not an indicator of councils"
    """
    import difflib

    shown = list(shown)
    if not asked or asked in shown:
        return ""
    if asked in options.index:
        label = str(options.at[asked, "label"])
        why = ("it is published for upper-tier councils only (counties and unitary "
               f"authorities), and {where} compares lower-tier and unitary councils"
               if "lad24" in options.columns and not options.at[asked, "lad24"] else
               f"{where} does not offer it")
        return (f"The link asks for indicator '{asked}' ({label}), which is not shown: {why}. "
                f"Showing {instead} instead.")
    close = difflib.get_close_matches(str(asked), shown, n=2, cutoff=0.6)
    hint = f" Did you mean {' or '.join(close)}?" if close else ""
    return (f"The link asks for indicator '{asked}', which is not an indicator of councils: "
            f"showing {instead} instead.{hint}")


def composite_attribution(dataset: str) -> list[str]:
    """The composite UK IMD's source, licence and attribution, shown wherever it is mapped
    (CC BY 4.0 asks for it); an empty list for any other dataset."""
    from geo.data.nations import comparable_datasets
    from geo.data.sources import attribution_lines, registry_meta
    from geo.data.sources import dataset as entry

    if dataset not in comparable_datasets():
        return []
    meta = entry(dataset)
    url = registry_meta().get("licences", {}).get(meta["licence"], "")
    return [f"{meta['title']} ({meta['vintage']}): {meta['publisher']}, {meta['licence']}"
            + (f" ({url})" if url else "") + f", {meta['landing']}.",
            *attribution_lines([dataset])]


def map_attribution_of(indicators: list[str], *, levels: list[str], clusters: bool = False
                       ) -> str:
    """The attribution control's text of a map of ``indicators`` over ``levels``
    (:func:`geo.export.metadata.map_attribution`): :data:`OWN_DECILE` stands for each nation's
    own index, an indicator id (``"simd2020.simd_decile"``, a hotspot run's) for its table,
    ``clusters`` for every nation's named clusters (drawn on the national maps)."""
    from geo.export.metadata import map_attribution

    ids = [j for i in indicators
           for j in (own_decile_ids().values() if i == OWN_DECILE else [i])]
    tables = [str(i).split(".", 1)[0] for i in ids]
    if clusters:
        tables += [s["cluster_table"] for s in national_indices().values()
                   if s.get("cluster_table")]
    return map_attribution(tables, levels=list(levels))


def image_note(indicator: str) -> str | None:
    """The line under the national image's legend saying which index paints which nation."""
    if indicator != OWN_DECILE:
        return None
    parts = [f"{NATIONS[n]}: {index_spec(index_of_nation(n))['title']} "
             f"({index_spec(index_of_nation(n))['small_areas']})" for n in own_decile_ids()]
    return ("Each nation by its own index's deciles, not comparable across nations: "
            + "; ".join(parts))


def no_small_areas_sentence() -> str:
    """One sentence on the nations whose small areas cannot be drawn (Northern Ireland)."""
    without = [spec for spec in national_indices().values() if not spec.get("map_level")]
    return " ".join(f"{NATIONS[s['nation']]}: the mirror has no small-area boundaries, so its "
                    "councils are outlined, not painted." for s in without)
