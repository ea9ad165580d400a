"""Checks shared by the table statistics: frames, unique codes, parent areas and weights.

:func:`~geo.stats.summaries.summarise_areas`, :mod:`geo.stats.compound`,
:mod:`geo.stats.carry` and :mod:`geo.stats.best_fit` validate their inputs with these helpers,
so the same mistake gets the same message everywhere.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import pandas as pd

from geo._errors import (
    DuplicateCodeError,
    InputError,
    SchemaError,
    UnmatchedCodesWarning,
    format_codes,
)


def _check_frame(obj, name: str) -> None:
    if not isinstance(obj, pd.DataFrame):
        msg = f"`{name}` must be a pandas DataFrame indexed by area code; got {type(obj).__name__}"
        raise InputError(msg)


def _check_unique(index: pd.Index, name: str) -> None:
    dups = index[index.duplicated()].unique()
    if len(dups):
        msg = (
            f"`{name}` has {len(dups)} duplicated code(s) in its index: {format_codes(dups)}; "
            f"each area must appear once: drop or aggregate the duplicates first"
        )
        raise DuplicateCodeError(msg)


def _level_from_name(name) -> str | None:
    if isinstance(name, str) and name.endswith("_code") and len(name) > len("_code"):
        return name[: -len("_code")]
    return None


def _resolve_parent(parent, parent_level: str | None) -> tuple[pd.Series, str]:
    """Validate ``parent`` (LSOA code -> area code) and return it with the area index name."""
    if not isinstance(parent, pd.Series):
        msg = (
            "`parent` must be a pandas Series mapping LSOA code (index) to area code (values), "
            f"e.g. lsoa['lad24_code']; got {type(parent).__name__}"
        )
        raise InputError(msg)
    _check_unique(parent.index, "parent")
    if parent_level is not None:
        if not isinstance(parent_level, str) or not parent_level:
            msg = f"`parent_level` must be a level name such as 'lad24'; got {parent_level!r}"
            raise InputError(msg)
        level: str | None = (parent_level[: -len("_code")] if parent_level.endswith("_code")
                             else parent_level)
    else:
        level = _level_from_name(parent.name)
        if level is None:
            msg = (
                "cannot tell the parent geography: `parent.name` is "
                f"{parent.name!r}, expected a name like 'lad24_code'; pass parent_level='lad24' "
                "or rename the Series"
            )
            raise InputError(msg)
    return parent, f"{level}_code"


def _align_parent(index: pd.Index, parent: pd.Series, *, table_name: str = "table") -> pd.Series:
    """Parent codes for the rows of ``index`` that have one; warn about codes on one side only."""
    missing_in_parent = index.difference(parent.index)
    if len(missing_in_parent):
        msg = (
            f"{len(missing_in_parent)} code(s) of `{table_name}` are not in `parent` and are left "
            f"out: {format_codes(missing_in_parent)}"
        )
        warnings.warn(msg, UnmatchedCodesWarning, stacklevel=3)
    missing_in_table = parent.index.difference(index)
    if len(missing_in_table):
        msg = (
            f"{len(missing_in_table)} code(s) of `parent` are not in `{table_name}`; their areas "
            f"are summarised without them: {format_codes(missing_in_table)}"
        )
        warnings.warn(msg, UnmatchedCodesWarning, stacklevel=3)
    aligned = parent.reindex(index.intersection(parent.index, sort=False))
    return aligned[aligned.notna()]


def _population_frame(population, codes: pd.Index, columns: Sequence[str]) -> pd.DataFrame:
    """Weights for ``codes``: one column per entry of ``columns``, no NaN, none negative."""
    if isinstance(population, pd.Series):
        _check_unique(population.index, "population")
        frame = pd.DataFrame({c: population for c in dict.fromkeys(columns)})
    elif isinstance(population, pd.DataFrame):
        _check_unique(population.index, "population")
        absent = [c for c in dict.fromkeys(columns) if c not in population.columns]
        if absent:
            msg = (
                f"`population` lacks column(s) {absent}; available: {list(population.columns)}. "
                "Pass a population table with population_total, age_0_15, age_16_64, "
                "age_65_plus (see DOMAIN_POPULATION), or a Series of weights"
            )
            raise SchemaError(msg)
        frame = population[list(dict.fromkeys(columns))]
    else:
        msg = (
            "`population` must be a Series of weights or a DataFrame of population columns indexed "
            f"by LSOA code; got {type(population).__name__}"
        )
        raise InputError(msg)
    frame = frame.reindex(codes).apply(pd.to_numeric, errors="coerce").astype(float)
    problems = []
    for col in frame.columns:
        nan = frame.index[frame[col].isna()]
        if len(nan):
            problems.append(f"{len(nan)} missing or NaN in {col!r}: {format_codes(nan)}")
        neg = frame.index[frame[col] < 0]
        if len(neg):
            problems.append(f"{len(neg)} negative in {col!r}: {format_codes(neg)}")
    if problems:
        msg = (
            "`population` cannot weight every LSOA: "
            + "; ".join(problems)
            + ". Supply a weight for each LSOA (fill or drop those LSOAs from the table first)"
        )
        raise InputError(msg)
    return frame
