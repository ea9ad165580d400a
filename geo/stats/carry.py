"""IoD 2019 carried from LSOA 2011 to LSOA 2021 through the ONS change codes.

IoD 2019 is published on the 2011 LSOAs; persistence (IoD 2019 and IoD 2025 alike) needs it on
the 2021 LSOAs. :func:`carry_iod2019_to_lsoa21` *carries* each value along the ONS LSOA 2011 to
LSOA 2021 lookup, by the change code of the 2021 LSOA (:data:`LOOKUP_RULES`):

* ``U`` (unchanged): the value of its 2011 LSOA, exact;
* ``S`` (split): the value of the single 2011 parent it was cut from;
* ``M`` (merged) and ``X`` (complex): the population-weighted (ONS mid-2019) mean of the parents'
  ranks, the decile recomputed with the national cut-offs ``ceil(10 * r / N)`` (the published
  deciles follow exactly this rule, N = 32,844).

Only ``U`` is exact: after a split, a merge or a complex change the carried value describes the
2011 parent(s), so :data:`APPROXIMATE_RULES` marks those LSOAs. On the mirror all 33,755 English
LSOA 2021 receive a value: 31,810 by rule U, 1,842 S, 97 M, 6 X. Ranks carried by M and X are
means, so they are not integers and not unique.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from geo._errors import InputError, SchemaError, UnmatchedCodesWarning, format_codes
from geo.stats._frames import (
    _check_frame,
    _check_unique,
    _population_frame,
)

__all__ = ['APPROXIMATE_RULES', 'LOOKUP_RULES', 'carry_iod2019_to_lsoa21', 'carry_lsoa11_to_lsoa21']


#: ONS LSOA 2011 -> 2021 change codes and how :func:`carry_iod2019_to_lsoa21` treats them.
LOOKUP_RULES: dict[str, str] = {
    "U": "unchanged: inherits the 2011 parent's rank and decile",
    "S": "split: inherits the single 2011 parent's rank and decile",
    "M": "merged: population-weighted mean of the 2011 parents' ranks, decile recomputed",
    "X": "complex: population-weighted mean of the 2011 parents' ranks, decile recomputed",
}

#: Change codes whose carried value describes the 2011 parent(s) rather than the 2021 LSOA.
APPROXIMATE_RULES: tuple[str, ...] = ("S", "M", "X")


def _lookup_frame(lookup: pd.DataFrame) -> pd.DataFrame:
    _check_frame(lookup, "lookup")
    frame = lookup
    if "lsoa11_code" not in frame.columns and frame.index.name == "lsoa11_code":
        frame = frame.reset_index()
    need = ["lsoa11_code", "change_code", "lsoa21_code"]
    absent = [c for c in need if c not in frame.columns]
    if absent:
        msg = (
            f"`lookup` lacks column(s) {absent}; expected {need} (the ONS LSOA11 -> LSOA21 "
            f"lookup, e.g. lookup_lsoa11_lsoa21_ltla22.csv); available: {list(frame.columns)}"
        )
        raise SchemaError(msg)
    frame = frame[need].astype({"change_code": str})
    bad = sorted(set(frame["change_code"]) - set(LOOKUP_RULES))
    if bad:
        msg = f"`lookup` has change_code value(s) {bad}; expected one of {sorted(LOOKUP_RULES)}"
        raise SchemaError(msg)
    return frame


def carry_iod2019_to_lsoa21(
    iod2019_lsoa11: pd.DataFrame,
    lookup: pd.DataFrame,
    population_lsoa11: pd.Series | pd.DataFrame,
    *,
    n_ranked: int | None = None,
) -> pd.DataFrame:
    """Carry IoD 2019 ranks and deciles from LSOA 2011 to English LSOA 2021.

    Parameters
    ----------
    iod2019_lsoa11
        Indexed by LSOA 2011 code, with ``<domain>_rank`` columns (1 = most deprived) and,
        optionally, ``<domain>_decile``.
    lookup
        The ONS lookup with columns ``lsoa11_code``, ``change_code`` (U, S, M, X) and
        ``lsoa21_code``. Only English (``E``) LSOA 2021 codes are used.
    population_lsoa11
        Mid-2019 population per LSOA 2011: a Series, or a table with ``population_total``;
        needed for the parents of M and X LSOAs only.
    n_ranked
        LSOAs ranked nationally for the decile cut-offs; by default the largest rank in
        ``iod2019_lsoa11`` (32,844 for the full IoD 2019 table).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``lsoa21_code`` (every English LSOA 2021 of ``lookup``, sorted), with
        ``<domain>_rank`` (float), ``<domain>_decile`` (nullable int), ``lookup_rule`` and
        ``n_parents_2011``. ``attrs["n_ranked"]`` holds the N used. See :data:`LOOKUP_RULES`.

    Raises
    ------
    SchemaError
        If ``iod2019_lsoa11`` has no rank column or ``lookup`` lacks a column.
    InputError
        If a used rank is NaN or a parent of an M/X LSOA has no population.
    DuplicateCodeError
        If ``iod2019_lsoa11`` or the population repeat a code.

    Warns
    -----
    UnmatchedCodesWarning
        LSOA 2021 codes whose 2011 parents have no IoD 2019 row (left NaN), and IoD 2019 LSOAs
        that are not in the lookup.
    """
    ranks, deciles, n_ranked = _ranks_and_deciles(iod2019_lsoa11, n_ranked)
    lk, all21 = _usable_lookup(lookup, ranks.index)
    rule = _rule_per_lsoa21(lk, all21)
    lk = lk.assign(rule=lk["lsoa21_code"].map(rule))
    inherit = lk[lk["rule"].isin(["U", "S"])].drop_duplicates("lsoa21_code")
    mean = lk[lk["rule"].isin(["M", "X"])]
    _check_used_ranks(ranks, pd.Index(lk["lsoa11_code"].unique()))
    pop = _population_frame(_people(population_lsoa11), pd.Index(mean["lsoa11_code"].unique()),
                            ["weight"])["weight"]
    # positions computed once (inheriting LSOA 2021 and its parent); then plain numpy indexing
    inh_at, inh_src = all21.get_indexer(inherit["lsoa21_code"]), ranks.index.get_indexer(
        inherit["lsoa11_code"])
    mean_grp = pd.Index(mean["lsoa21_code"].unique())
    mean_at = all21.get_indexer(mean_grp)
    grp_of = mean_grp.get_indexer(mean["lsoa21_code"])
    mean_src = ranks.index.get_indexer(mean["lsoa11_code"])
    w = pop.reindex(mean["lsoa11_code"]).to_numpy(dtype=float)
    out = pd.DataFrame(index=all21)
    for col in ranks.columns:
        d = col[: -len("_rank")]
        rank = np.full(len(all21), np.nan)
        rank[inh_at] = ranks[col].to_numpy(dtype=float)[inh_src]
        rank[mean_at] = _weighted_mean(ranks[col].to_numpy(dtype=float)[mean_src], w, grp_of,
                                       len(mean_grp))
        decile = np.ceil(10.0 * rank / n_ranked)  # the national cut-offs, for M and X
        if d in deciles:
            decile[inh_at] = deciles[d].to_numpy(dtype=float)[inh_src]  # U and S inherit
        out[f"{d}_rank"] = rank
        out[f"{d}_decile"] = pd.array(decile, dtype="Float64").astype("Int64")  # NaN -> <NA>
    out["lookup_rule"] = rule.reindex(all21).astype(object)
    out["n_parents_2011"] = lk.groupby("lsoa21_code").size().reindex(all21).fillna(0).astype(int)
    out.attrs["n_ranked"] = n_ranked
    return out


def _ranks_and_deciles(iod2019_lsoa11: pd.DataFrame, n_ranked: int | None
                       ) -> tuple[pd.DataFrame, dict[str, pd.Series], int]:
    """The numeric rank columns, the published deciles by domain, and N."""
    _check_frame(iod2019_lsoa11, "iod2019_lsoa11")
    _check_unique(iod2019_lsoa11.index, "iod2019_lsoa11")
    rank_cols = [c for c in iod2019_lsoa11.columns if str(c).endswith("_rank")]
    if not rank_cols:
        msg = (
            "`iod2019_lsoa11` has no `<domain>_rank` column; columns are "
            f"{list(iod2019_lsoa11.columns)[:20]}. Rename to canonical names such as imd_rank"
        )
        raise SchemaError(msg)
    ranks = iod2019_lsoa11[rank_cols].apply(pd.to_numeric, errors="coerce")
    deciles = {
        c[: -len("_rank")]: pd.to_numeric(iod2019_lsoa11[c[: -len("_rank")] + "_decile"],
                                          errors="coerce")
        for c in rank_cols if c[: -len("_rank")] + "_decile" in iod2019_lsoa11.columns
    }
    if n_ranked is None:
        n_ranked = int(ranks.max().max())
    elif isinstance(n_ranked, bool) or not isinstance(n_ranked, int | np.integer) or n_ranked < 1:
        msg = f"`n_ranked` must be a positive integer such as 32_844; got {n_ranked!r}"
        raise InputError(msg)
    return ranks, deciles, int(n_ranked)


def _usable_lookup(lookup: pd.DataFrame, codes11: pd.Index) -> tuple[pd.DataFrame, pd.Index]:
    """Lookup rows of English 2021 LSOAs whose parent has IoD 2019 values, and every such code."""
    full = _lookup_frame(lookup)
    english = full["lsoa21_code"].astype(str).str.startswith("E")
    lk = full[english].drop_duplicates(["lsoa11_code", "lsoa21_code"])
    lost = codes11.difference(pd.Index(lk["lsoa11_code"].unique()))
    if len(lost):
        msg = (
            f"{len(lost)} LSOA 2011 code(s) of `iod2019_lsoa11` are not in `lookup` and are not "
            f"carried: {format_codes(lost)}"
        )
        warnings.warn(msg, UnmatchedCodesWarning, stacklevel=3)
    all21 = pd.Index(sorted(full.loc[english, "lsoa21_code"].astype(str).unique()),
                     name="lsoa21_code")
    return lk[codes11.get_indexer(lk["lsoa11_code"]) >= 0], all21


def _rule_per_lsoa21(lk: pd.DataFrame, all21: pd.Index) -> pd.Series:
    """One change code per LSOA 2021 (X wins over M if ever mixed); warn about orphans."""
    order = {"U": 0, "S": 1, "M": 2, "X": 3}
    codes = list(order)
    rule = lk["change_code"].map(order).groupby(lk["lsoa21_code"]).max().map(lambda i: codes[i])
    no_parent = all21.difference(rule.index)
    if len(no_parent):
        msg = (
            f"{len(no_parent)} English LSOA 2021 code(s) have no 2011 parent with IoD 2019 values "
            f"and are left NaN: {format_codes(no_parent)}"
        )
        warnings.warn(msg, UnmatchedCodesWarning, stacklevel=3)
    return rule


def _check_used_ranks(ranks: pd.DataFrame, used11: pd.Index) -> None:
    """Every rank that is carried must be a number: list the NaN ones per column, once."""
    problems = []
    for col in ranks.columns:
        nan = used11[ranks.loc[used11, col].isna().to_numpy()]
        if len(nan):
            problems.append(f"{len(nan)} NaN in {col!r}: {format_codes(nan)}")
    if problems:
        msg = "`iod2019_lsoa11` has ranks that cannot be carried: " + "; ".join(problems)
        raise InputError(msg + ". Fill or drop those LSOAs first")


def _people(population: pd.Series | pd.DataFrame) -> pd.Series | pd.DataFrame:
    """Mid-2019 people per LSOA 2011: the Series, or the ``population_total`` of a table."""
    if isinstance(population, pd.DataFrame):
        if "population_total" not in population.columns:
            msg = (
                "`population` lacks column 'population_total'; available: "
                f"{list(population.columns)}. Pass that column or a Series of weights"
            )
            raise SchemaError(msg)
        return population["population_total"]
    return population


def _weighted_mean(values: np.ndarray, weights: np.ndarray, group: np.ndarray, n: int) -> np.ndarray:
    """Weighted mean of ``values`` per group ``0..n-1`` (NaN where the weights sum to 0)."""
    den = np.bincount(group, weights=weights, minlength=n)
    num = np.bincount(group, weights=weights * values, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


# ----------------------------------------------------------------------------- any nation, any value


def _check_nations(nations) -> tuple[str, ...]:
    nations = (nations,) if isinstance(nations, str) else tuple(nations)
    bad = [n for n in nations if n not in ("E", "W")]
    if not nations or bad:
        msg = (f"`nations` must name LSOA nations 'E' and/or 'W' (LSOAs exist in England and "
               f"Wales only); got {nations!r}")
        raise InputError(msg)
    return nations


def _carry_rules(lookup: pd.DataFrame, codes11: pd.Index, nations: tuple[str, ...]
                 ) -> tuple[pd.DataFrame, pd.Index]:
    """Lookup rows of the nations whose 2011 parent has values, each with its 2021 rule."""
    lk = _lookup_frame(lookup)
    lk = lk[lk["lsoa21_code"].astype(str).str.startswith(nations)].drop_duplicates(
        ["lsoa11_code", "lsoa21_code"])
    all21 = pd.Index(sorted(lk["lsoa21_code"].unique()), name="lsoa21_code")
    lost = codes11.difference(pd.Index(lk["lsoa11_code"].unique()))
    if len(lost):
        msg = (f"{len(lost)} LSOA 2011 code(s) of `table` are not in `lookup` for nations "
               f"{list(nations)} and are not carried: {format_codes(lost)}")
        warnings.warn(msg, UnmatchedCodesWarning, stacklevel=3)
    lk = lk[lk["lsoa11_code"].isin(codes11)]
    order = {"U": 0, "S": 1, "M": 2, "X": 3}  # one rule per LSOA 2021: X wins over M
    rule = lk["change_code"].map(order).groupby(lk["lsoa21_code"]).max().map(lambda i: list(order)[i])
    no_parent = all21.difference(rule.index)
    if len(no_parent):
        msg = (f"{len(no_parent)} LSOA 2021 code(s) have no 2011 parent with values and are "
               f"left NaN: {format_codes(no_parent)}")
        warnings.warn(msg, UnmatchedCodesWarning, stacklevel=3)
    return lk.assign(rule=lk["lsoa21_code"].map(rule)), all21


def _decile_by_cutoffs(rank: np.ndarray, native_rank: pd.Series, native_decile: pd.Series
                       ) -> np.ndarray:
    """The decile the index gives to each rank: that of the first native area ranked at or after it."""
    ok = native_rank.notna() & native_decile.notna()
    order = np.argsort(native_rank[ok].to_numpy(dtype=float), kind="mergesort")
    r = native_rank[ok].to_numpy(dtype=float)[order]
    d = native_decile[ok].to_numpy(dtype=float)[order]
    pos = np.clip(np.searchsorted(r, rank - 1e-9, side="left"), 0, len(r) - 1)
    return np.where(np.isnan(rank), np.nan, d[pos])


def carry_lsoa11_to_lsoa21(
    table: pd.DataFrame,
    lookup: pd.DataFrame,
    population_lsoa11: pd.Series,
    *,
    nations: tuple[str, ...] | str = ("E",),
    n_ranked: int | None = None,
) -> pd.DataFrame:
    """Carry an LSOA 2011 table (ranks, scores, deciles) to the LSOA 2021 of some nations.

    The rule of :func:`carry_iod2019_to_lsoa21`, for any index and either nation: an unchanged
    (``U``) or split (``S``) LSOA 2021 inherits its single parent's values; a merged (``M``) or
    complex (``X``) one gets the population-weighted mean of its parents' ranks and scores, and
    the decile the index's own cut-offs give to that mean rank (the decile of the first native
    LSOA ranked at or after it: ``ceil(10 r / N)`` for the IoD, equal-count bins for WIMD).

    Parameters
    ----------
    table
        Indexed by LSOA 2011 code, with ``<domain>_rank`` and/or ``<domain>_score`` columns and,
        optionally, ``<domain>_decile``. Other columns are not carried.
    lookup
        The ONS lookup with ``lsoa11_code``, ``change_code`` (U, S, M, X) and ``lsoa21_code``.
    population_lsoa11
        People per LSOA 2011 (ONS mid-2019); only the parents of M and X LSOAs need a value.
    nations
        LSOA 2021 codes kept: ``"E"`` (England), ``"W"`` (Wales) or both.
    n_ranked
        Number of areas ranked, kept in ``attrs["n_ranked"]``; default the largest rank.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``lsoa21_code`` (every LSOA 2021 of the nations in ``lookup``, sorted): the
        carried columns (ranks and scores float, deciles nullable int), ``lookup_rule`` and
        ``n_parents_2011``; LSOAs whose parents have no row are NaN.

    Raises
    ------
    SchemaError
        No rank or score column, or a lookup column missing.
    InputError
        A used value is NaN, a parent of an M/X LSOA has no population, or bad ``nations``.

    Examples
    --------
    >>> t = pd.DataFrame({"imd_rank": [1.0, 3.0]}, index=["W1", "W2"])
    >>> lk = pd.DataFrame({"lsoa11_code": ["W1", "W2"], "change_code": ["M", "M"],
    ...                    "lsoa21_code": ["W9", "W9"]})
    >>> carry_lsoa11_to_lsoa21(t, lk, pd.Series([1.0, 3.0], index=t.index), nations="W")[
    ...     "imd_rank"].tolist()
    [2.5]
    """
    _check_frame(table, "table")
    _check_unique(table.index, "table")
    nations = _check_nations(nations)
    cols = [c for c in table.columns if str(c).endswith(("_rank", "_score"))]
    if not cols:
        msg = (f"`table` has no `<domain>_rank` or `<domain>_score` column; columns are "
               f"{list(table.columns)[:20]}")
        raise SchemaError(msg)
    values = table[cols].apply(pd.to_numeric, errors="coerce")
    lk, all21 = _carry_rules(lookup, table.index, nations)
    used = pd.Index(lk["lsoa11_code"].unique())
    nan = [f"{c!r}: {format_codes(used[values.loc[used, c].isna().to_numpy()])}"
           for c in cols if values.loc[used, c].isna().any()]
    if nan:
        msg = "`table` has NaN values that cannot be carried: " + "; ".join(nan)
        raise InputError(msg + ". Fill or drop those LSOAs first")
    out = _carry_values(values, lk, all21, population_lsoa11)
    for dcol in [c for c in table.columns if str(c).endswith("_decile")]:
        out[dcol] = _carry_decile(pd.to_numeric(table[dcol], errors="coerce"), out, values, lk,
                                  rank_column=dcol[: -len("_decile")] + "_rank")
    out = out[[c for c in table.columns if c in out.columns]]
    rule = lk.drop_duplicates("lsoa21_code").set_index("lsoa21_code")["rule"]
    out["lookup_rule"] = rule.reindex(all21).astype(object)
    out["n_parents_2011"] = lk.groupby("lsoa21_code").size().reindex(all21).fillna(0).astype(int)
    ranks = values[[c for c in cols if c.endswith("_rank")]]
    out.attrs["n_ranked"] = n_ranked if n_ranked is not None or ranks.empty else int(ranks.max().max())
    return out


def _carry_values(values: pd.DataFrame, lk: pd.DataFrame, all21: pd.Index,
                  population_lsoa11: pd.Series) -> pd.DataFrame:
    """Ranks and scores on LSOA 2021: inherited (U, S) or population-weighted means (M, X)."""
    mean = lk[lk["rule"].isin(["M", "X"])]
    w = _population_frame(population_lsoa11, pd.Index(mean["lsoa11_code"].unique()), ["w"])["w"]
    w = w.reindex(mean["lsoa11_code"]).to_numpy(dtype=float)
    groups = mean["lsoa21_code"].to_numpy()
    den = pd.Series(w).groupby(groups).sum()
    inherit = lk[lk["rule"].isin(["U", "S"])].drop_duplicates("lsoa21_code")
    out = pd.DataFrame(index=all21)
    for col in values.columns:
        v = values[col]
        kept = pd.Series(v.reindex(inherit["lsoa11_code"]).to_numpy(), index=inherit["lsoa21_code"])
        num = pd.Series(w * v.reindex(mean["lsoa11_code"]).to_numpy()).groupby(groups).sum()
        out[col] = pd.concat([kept, num / den.where(den > 0)]).reindex(all21).astype(float)
    return out


def _carry_decile(decile: pd.Series, out: pd.DataFrame, values: pd.DataFrame, lk: pd.DataFrame,
                  *, rank_column: str) -> pd.arrays.IntegerArray:
    """A decile on LSOA 2021: inherited (U, S), or the index's decile of the mean rank (M, X)."""
    inherit = lk[lk["rule"].isin(["U", "S"])].drop_duplicates("lsoa21_code")
    res = pd.Series(decile.reindex(inherit["lsoa11_code"]).to_numpy(),
                    index=inherit["lsoa21_code"]).reindex(out.index).astype(float)
    if rank_column in out.columns:
        at = out.index.isin(lk.loc[lk["rule"].isin(["M", "X"]), "lsoa21_code"])
        res[at] = _decile_by_cutoffs(out.loc[at, rank_column].to_numpy(), values[rank_column], decile)
    return pd.array(res.to_numpy(), dtype="Float64").astype("Int64")
