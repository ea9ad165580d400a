"""Compounded and persistent disadvantage per LSOA, and how much of each area has them.

*Compounded* disadvantage: an LSOA in the national worst decile (or quintile) on several of the
seven IoD domains at once (income, employment, education, health, crime, housing, environment;
the IMD is a weighted sum of these and is not counted again): :func:`count_deprived_domains`.

*Persistent* disadvantage: an LSOA in the worst IMD decile in both IoD 2019 and IoD 2025
(:func:`persistent_disadvantage`). IoD 2019 is published on LSOA 2011 and is first *carried* to
LSOA 2021 (:func:`geo.stats.carry.carry_iod2019_to_lsoa21`); where an LSOA was split, merged or
changed in a complex way its 2019 value describes its 2011 parent(s), not itself, and the flag
``approximate_2019`` says so.

:func:`area_shares` turns such flags into shares of each parent area's LSOAs and people.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from geo._errors import InputError, SchemaError, UnmatchedCodesWarning, format_codes
from geo.stats._frames import (
    _align_parent,
    _check_frame,
    _check_unique,
    _population_frame,
    _resolve_parent,
)
from geo.stats.carry import APPROXIMATE_RULES
from geo.stats.summaries import IOD_DOMAINS

__all__ = ['COMPOUND_DOMAINS', 'count_deprived_domains', 'persistent_disadvantage', 'area_shares']


#: The seven IoD domains counted for compounded disadvantage (not ``imd``).
COMPOUND_DOMAINS: tuple[str, ...] = tuple(d for d in IOD_DOMAINS if d != "imd")


def _deciles(table: pd.DataFrame, columns: Sequence[str], name: str) -> pd.DataFrame:
    """Numeric decile columns with every problem reported in one message."""
    absent = [c for c in columns if c not in table.columns]
    if absent:
        msg = (
            f"`{name}` lacks decile column(s) {absent}; available: {list(table.columns)[:30]}. "
            "Rename to canonical names such as income_decile (1 = most deprived 10 %)"
        )
        raise SchemaError(msg)
    data = table[list(columns)].apply(pd.to_numeric, errors="coerce")
    problems = []
    for col in columns:
        nan = table.index[data[col].isna().to_numpy()]
        if len(nan):
            problems.append(f"{len(nan)} NaN in {col!r}: {format_codes(nan)}")
        bad = table.index[(~data[col].isin(range(1, 11)) & data[col].notna()).to_numpy()]
        if len(bad):
            problems.append(f"{len(bad)} value(s) outside 1..10 in {col!r}: {format_codes(bad)}")
    if problems:
        msg = f"`{name}` has deciles that cannot be used: " + "; ".join(problems) + (
            ". Deciles must be whole numbers 1..10 (1 = most deprived): drop or fix those LSOAs"
        )
        raise InputError(msg)
    return data


def _check_decile_option(decile, name: str = "decile") -> int:
    if isinstance(decile, bool) or not isinstance(decile, (int, np.integer)) or not 1 <= decile <= 10:
        msg = f"`{name}` must be a whole number 1..10 (1 = worst 10 %); got {decile!r}"
        raise InputError(msg)
    return int(decile)


def count_deprived_domains(
    table: pd.DataFrame,
    *,
    domains: Iterable[str] = COMPOUND_DOMAINS,
    decile: int = 1,
    threshold: int = 3,
) -> pd.DataFrame:
    """Count, per LSOA, the domains in the national worst decile and worst quintile.

    Parameters
    ----------
    table
        Indexed by LSOA code, with ``<domain>_decile`` columns (1 = most deprived 10 %).
    domains
        Domains to count; by default the seven IoD domains (not ``imd``).
    decile
        A domain counts as "worst decile" when its decile is ``<= decile`` (default 1).
        "Worst quintile" is always decile ``<= 2``.
    threshold
        Minimum number of domains for ``compounded`` and ``compounded_quintile``.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``table``: ``n_domains_worst_decile``, ``n_domains_worst_quintile`` (int),
        ``compounded``, ``compounded_quintile`` (bool), ``domains_worst_decile`` and
        ``domains_worst_quintile`` (e.g. ``"income;employment;health"``, in ``domains`` order,
        ``""`` when none).

    Raises
    ------
    SchemaError
        If a decile column is missing.
    InputError
        On NaN or out-of-range deciles, or a bad option.
    DuplicateCodeError
        If the index repeats a code.

    Examples
    --------
    >>> t = pd.DataFrame({"income_decile": [1, 2], "health_decile": [1, 5]}, index=["a", "b"])
    >>> count_deprived_domains(t, domains=["income", "health"], threshold=2)["compounded"].tolist()
    [True, False]
    """
    _check_frame(table, "table")
    _check_unique(table.index, "table")
    domains = [domains] if isinstance(domains, str) else list(dict.fromkeys(domains))
    if not domains:
        msg = "`domains` is empty; expected domain names such as COMPOUND_DOMAINS"
        raise InputError(msg)
    decile = _check_decile_option(decile)
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, (int, np.integer))
        or not 1 <= threshold <= len(domains)
    ):
        msg = f"`threshold` must be a whole number 1..{len(domains)} (the number of domains); got {threshold!r}"
        raise InputError(msg)
    data = _deciles(table, [f"{d}_decile" for d in domains], "table")
    worst = pd.DataFrame({d: data[f"{d}_decile"] <= decile for d in domains}, index=table.index)
    worst_q = pd.DataFrame({d: data[f"{d}_decile"] <= 2 for d in domains}, index=table.index)
    names = np.array(domains, dtype=object)

    def _which(flags: pd.DataFrame) -> list[str]:
        arr = flags.to_numpy()
        return [";".join(names[row]) for row in arr]

    n_dec = worst.sum(axis=1).astype(int)
    n_quin = worst_q.sum(axis=1).astype(int)
    return pd.DataFrame(
        {
            "n_domains_worst_decile": n_dec,
            "n_domains_worst_quintile": n_quin,
            "compounded": n_dec >= threshold,
            "compounded_quintile": n_quin >= threshold,
            "domains_worst_decile": pd.Series(_which(worst), index=table.index, dtype=object),
            "domains_worst_quintile": pd.Series(_which(worst_q), index=table.index, dtype=object),
        },
        index=table.index,
    )


def persistent_disadvantage(
    iod2025: pd.DataFrame,
    iod2019_on_lsoa21: pd.DataFrame,
    *,
    decile: int = 1,
) -> pd.DataFrame:
    """Flag LSOAs in the worst IMD decile(s) in both IoD 2019 and IoD 2025.

    Parameters
    ----------
    iod2025
        Indexed by ``lsoa21_code``, with ``imd_decile``.
    iod2019_on_lsoa21
        IoD 2019 carried to LSOA 2021 (see :func:`carry_iod2019_to_lsoa21`), with
        ``imd_decile`` and ``lookup_rule``.
    decile
        "Worst" means IMD decile ``<= decile`` (default 1, the most deprived 10 %).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``iod2025``: ``imd_decile_2025``, ``imd_decile_2019`` (nullable int),
        ``persistent`` (nullable bool: worst in both), ``status`` (``"persistent"``, ``"new"``:
        worst in 2025 only, ``"left"``: worst in 2019 only, ``"neither"``), ``lookup_rule``
        (U/S/M/X: how the 2019 value was carried to this LSOA) and ``approximate_2019`` (True
        for S, M and X: the 2019 value is its 2011 parents', so the flag is approximate there).
        LSOAs without a 2019 value get ``<NA>``.

    Raises
    ------
    SchemaError
        If a needed column is missing.
    InputError
        On NaN or out-of-range deciles in ``iod2025``.

    Warns
    -----
    UnmatchedCodesWarning
        LSOAs of ``iod2025`` with no IoD 2019 value.

    Examples
    --------
    >>> i25 = pd.DataFrame({"imd_decile": [1, 1, 4]}, index=pd.Index(["a", "b", "c"], name="lsoa21_code"))
    >>> i19 = pd.DataFrame({"imd_decile": [1, 3, 1], "lookup_rule": ["U", "U", "M"]}, index=i25.index)
    >>> persistent_disadvantage(i25, i19)["status"].tolist()
    ['persistent', 'new', 'left']
    """
    decile = _check_decile_option(decile)
    d25, d19 = _imd_deciles(iod2025, iod2019_on_lsoa21)
    worst25 = (d25 <= decile).to_numpy()
    worst19 = (d19 <= decile).to_numpy()  # NaN compares False; masked below
    no19 = d19.isna().to_numpy()
    rule = iod2019_on_lsoa21["lookup_rule"].reindex(iod2025.index)
    persistent = pd.Series(worst25 & worst19, index=iod2025.index, dtype="boolean").mask(no19)
    status = pd.Series(
        np.select(
            [worst25 & worst19, worst25, worst19],
            ["persistent", "new", "left"],
            default="neither",
        ),
        index=iod2025.index,
        dtype=object,
    ).mask(no19)
    return pd.DataFrame(
        {
            "imd_decile_2025": d25.astype("Int64"),
            "imd_decile_2019": d19.round().astype("Int64"),
            "persistent": persistent,
            "status": status,
            "lookup_rule": rule,
            "approximate_2019": rule.isin(APPROXIMATE_RULES).to_numpy(),
        },
        index=iod2025.index,
    )


def _imd_deciles(iod2025: pd.DataFrame, iod2019_on_lsoa21: pd.DataFrame
                 ) -> tuple[pd.Series, pd.Series]:
    """Both IMD deciles on the LSOAs of ``iod2025`` (2019 NaN where it has no value, said once)."""
    _check_frame(iod2025, "iod2025")
    _check_frame(iod2019_on_lsoa21, "iod2019_on_lsoa21")
    _check_unique(iod2025.index, "iod2025")
    _check_unique(iod2019_on_lsoa21.index, "iod2019_on_lsoa21")
    absent = [c for c in ("imd_decile", "lookup_rule") if c not in iod2019_on_lsoa21.columns]
    if absent:
        msg = (
            f"`iod2019_on_lsoa21` lacks column(s) {absent}; available: "
            f"{list(iod2019_on_lsoa21.columns)[:30]}. Carry IoD 2019 with carry_iod2019_to_lsoa21"
        )
        raise SchemaError(msg)
    d25 = _deciles(iod2025, ["imd_decile"], "iod2025")["imd_decile"]
    missing = iod2025.index.difference(iod2019_on_lsoa21.index)
    d19 = pd.to_numeric(iod2019_on_lsoa21["imd_decile"], errors="coerce").reindex(iod2025.index)
    no_value = iod2025.index[d19.isna().to_numpy()]
    if len(no_value):
        msg = (
            f"{len(no_value)} LSOA(s) of `iod2025` have no IoD 2019 decile ({len(missing)} absent "
            f"from `iod2019_on_lsoa21`); their flag is <NA>: {format_codes(no_value)}"
        )
        warnings.warn(msg, UnmatchedCodesWarning, stacklevel=3)
    return d25, d19


def area_shares(
    flags: pd.DataFrame,
    *,
    parent: pd.Series,
    population: pd.Series | pd.DataFrame,
    columns: Iterable[str] | None = None,
    parent_level: str | None = None,
) -> pd.DataFrame:
    """Share of each area's LSOAs and population that carry each flag.

    Parameters
    ----------
    flags
        Indexed by LSOA code, with boolean columns such as ``compounded``,
        ``compounded_quintile`` (from :func:`count_deprived_domains`) and ``persistent`` (from
        :func:`persistent_disadvantage`); join them first.
    parent
        LSOA code -> area code, named like ``"lad24_code"`` (or pass ``parent_level``).
        LSOAs with a missing parent are left out.
    population
        A Series of people per LSOA, or a table with ``population_total``.
    columns
        Flag columns to summarise; by default every boolean column of ``flags``.
    parent_level
        Level name of the areas, e.g. ``"lad24"``; overrides ``parent.name``.

    Returns
    -------
    pandas.DataFrame
        Indexed by area code: ``n_lsoas``, ``population``, then for each flag
        ``<flag>_n_lsoas``, ``<flag>_share_lsoas`` (unweighted) and ``<flag>_share_population``.

    Raises
    ------
    SchemaError
        If a flag column is missing or not boolean, or there is none.
    InputError
        On a missing flag (``<NA>``) or population for a used LSOA.

    Warns
    -----
    UnmatchedCodesWarning
        Codes in ``flags`` but not in ``parent``, or the reverse.

    Examples
    --------
    >>> f = pd.DataFrame({"compounded": [True, False, False]}, index=["a", "b", "c"])
    >>> par = pd.Series(["X", "X", "Y"], index=f.index, name="lad24_code")
    >>> area_shares(f, parent=par, population=pd.Series([10, 30, 5], index=f.index))[
    ...     "compounded_share_population"].tolist()
    [0.25, 0.0]
    """
    _check_frame(flags, "flags")
    _check_unique(flags.index, "flags")
    columns = _flag_columns(flags, columns)
    parent, index_name = _resolve_parent(parent, parent_level)
    area = _align_parent(flags.index, parent, table_name="flags")
    codes = area.index
    _check_no_missing(flags.loc[codes], columns)
    p = _population_frame(_people(population), codes, ["weight"])["weight"]
    areas = pd.Index(sorted(area.unique()), name=index_name)
    total = p.groupby(area).sum()
    out: dict[str, pd.Series] = {
        "n_lsoas": area.groupby(area).size(),
        "population": total,
    }
    for c in columns:
        f = flags.loc[codes, c].astype(bool)
        out[f"{c}_n_lsoas"] = f.groupby(area).sum().astype(int)
        out[f"{c}_share_lsoas"] = f.groupby(area).mean()
        out[f"{c}_share_population"] = (p * f).groupby(area).sum() / total.where(total > 0)
    return pd.DataFrame(out).reindex(areas)


def _flag_columns(flags: pd.DataFrame, columns: Iterable[str] | str | None) -> list[str]:
    """The boolean flag columns to summarise (every boolean column by default)."""
    if columns is None:
        columns = [c for c in flags.columns if pd.api.types.is_bool_dtype(flags[c])]
        if not columns:
            msg = (
                f"`flags` has no boolean column; columns are {list(flags.columns)}. Pass flags "
                "such as `compounded` or `persistent`, or name them with `columns=`"
            )
            raise SchemaError(msg)
    else:
        columns = [columns] if isinstance(columns, str) else list(dict.fromkeys(columns))
        absent = [c for c in columns if c not in flags.columns]
        not_bool = [c for c in columns if c in flags.columns and not pd.api.types.is_bool_dtype(flags[c])]
        if absent or not_bool:
            msg = (
                f"`columns` must name boolean columns of `flags`; missing: {absent}, not boolean: "
                f"{not_bool}; boolean columns available: "
                f"{[c for c in flags.columns if pd.api.types.is_bool_dtype(flags[c])]}"
            )
            raise SchemaError(msg)
    return list(columns)


def _people(population: pd.Series | pd.DataFrame) -> pd.Series | pd.DataFrame:
    """People per LSOA: the Series itself, or the ``population_total`` column of a table."""
    if isinstance(population, pd.DataFrame):
        if "population_total" not in population.columns:
            msg = (
                "`population` lacks column 'population_total'; available: "
                f"{list(population.columns)}. Pass that column or a Series of people per LSOA"
            )
            raise SchemaError(msg)
        return population["population_total"]
    return population


def _check_no_missing(flags: pd.DataFrame, columns: list[str]) -> None:
    """Refuse ``<NA>`` flags, listing the LSOAs of every column in one message."""
    problems = []
    for col in columns:
        na = flags.index[flags[col].isna().to_numpy()]
        if len(na):
            problems.append(f"{len(na)} missing in {col!r}: {format_codes(na)}")
    if problems:
        msg = (
            "`flags` has missing values: " + "; ".join(problems) + ". Drop those LSOAs or decide "
            "their flag (e.g. `.fillna(False)`) before summarising"
        )
        raise InputError(msg)
