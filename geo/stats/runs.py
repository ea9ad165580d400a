"""Hotspot runs by id, and the stored long table of runs turned wide.

A *run* is one local method on one indicator: its id is ``"<method>:<indicator>"``, e.g.
``"gi_star:n_domains_worst_decile"`` (:func:`hotspot_run_id`, :func:`parse_hotspot_run_id`), the
same in the store, the app, the exports and the command line. The store keeps every run in one
long table (:func:`geo.stats.national.national_hotspots`); :func:`select_run` takes one run out
of it and :func:`hotspots_wide` gives one column per run and field, named by
:func:`hotspot_column`.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from geo._errors import InputError, SchemaError
from geo.stats.local import LOCAL_METHODS

__all__ = ["hotspot_column", "hotspot_run_id", "hotspots_wide", "parse_hotspot_run_id",
           "select_run"]

#: Separator between method and indicator in a run id.
RUN_SEPARATOR = ":"

#: Columns every run has (its method may add its own).
CORE_COLUMNS = ("value", "statistic", "p", "q", "label", "outcome", "bin", "robust")


def hotspot_run_id(method: str, indicator: str) -> str:
    """The id of a run: ``"<method>:<indicator>"``.

    Examples
    --------
    >>> hotspot_run_id("gi_star", "imd_score")
    'gi_star:imd_score'
    """
    if method not in LOCAL_METHODS:
        msg = f"`method` must be one of {list(LOCAL_METHODS)}; got {method!r}."
        raise InputError(msg)
    if not str(indicator):
        msg = f"`indicator` must be a non-empty name; got {indicator!r}."
        raise InputError(msg)
    return f"{method}{RUN_SEPARATOR}{indicator}"


def parse_hotspot_run_id(run_id: str) -> tuple[str, str]:
    """``(method, indicator)`` of a run id made by :func:`hotspot_run_id`.

    Examples
    --------
    >>> parse_hotspot_run_id("local_moran:imd_score")
    ('local_moran', 'imd_score')
    """
    method, sep, indicator = str(run_id).partition(RUN_SEPARATOR)
    if not sep or method not in LOCAL_METHODS or not indicator:
        msg = (f"`run_id` must look like '<method>:<indicator>' with a method of "
               f"{list(LOCAL_METHODS)}, e.g. 'gi_star:imd_score'; got {run_id!r}.")
        raise InputError(msg)
    return method, indicator


def hotspot_column(run_id: str, field: str = "label") -> str:
    """The wide column of one field of a run: ``hotspot_<method>_<indicator>`` for its label,
    ``<field>_<method>_<indicator>`` for the others (``q``, ``robust``, ...).

    Examples
    --------
    >>> hotspot_column("gi_star:imd_score"), hotspot_column("gi_star:imd_score", "q")
    ('hotspot_gi_star_imd_score', 'q_gi_star_imd_score')
    """
    method, indicator = parse_hotspot_run_id(run_id)
    return f"{'hotspot' if field == 'label' else field}_{method}_{indicator}"


def _check_long(long: pd.DataFrame) -> None:
    if not isinstance(long, pd.DataFrame) or not {"method", "indicator"} <= set(long.columns):
        msg = ("`long` must be the long hotspot table (columns 'method', 'indicator', ...; "
               "geo.load_indicators('hotspots_lsoa21') or national_hotspots).")
        raise SchemaError(msg)


def run_ids(long: pd.DataFrame) -> list[str]:
    """The run ids of a long table, in table order."""
    _check_long(long)
    pairs = long[["method", "indicator"]].drop_duplicates()
    return [hotspot_run_id(m, i) for m, i in pairs.itertuples(index=False)]


def select_run(long: pd.DataFrame, run_id: str) -> pd.DataFrame:
    """One run of the long table, indexed by area code, with that run's attrs.

    Raises
    ------
    InputError
        The run is not in the table (the message lists the runs that are).
    """
    method, indicator = parse_hotspot_run_id(run_id)
    _check_long(long)
    hit = ((long["method"] == method) & (long["indicator"] == indicator)).to_numpy()
    if not hit.any():
        msg = f"run {run_id!r} is not in the table; available: {run_ids(long)}."
        raise InputError(msg)
    out = long.loc[hit].drop(columns=["method", "indicator"])
    # columns of the other methods (z_against_tail of Gi*, quadrant of local Moran) are empty
    out = out.drop(columns=[c for c in out.columns if c not in CORE_COLUMNS
                            and out[c].isna().all()])
    shared = {k: v for k, v in long.attrs.items() if k != "runs"}
    out.attrs = shared | long.attrs.get("runs", {}).get(run_id, {}) | {
        "method": method, "indicator": indicator}
    return out


def hotspots_wide(long: pd.DataFrame, *, fields: Sequence[str] = ("label",)) -> pd.DataFrame:
    """One column per run and field (named by :func:`hotspot_column`), indexed by area code.

    Examples
    --------
    >>> wide = hotspots_wide(geo.load_indicators("hotspots_lsoa21"), fields=("label", "q"))
    ... # doctest: +SKIP
    """
    _check_long(long)
    absent = [f for f in fields if f not in long.columns]
    if absent:
        msg = f"`fields` {absent} are not columns of the table; available: {list(long.columns)}."
        raise SchemaError(msg)
    parts = {}
    for run_id in run_ids(long):
        run = select_run(long, run_id)
        for field in fields:
            parts[hotspot_column(run_id, field)] = run[field]
    out = pd.DataFrame(parts)
    out.index.name = long.index.name
    return out
