"""An upload keyed by LSOA 2011 codes, carried to LSOA 2021 with a report of every area and column.

The ONS lookup (the store's ``lookups/lsoa11_lsoa21``) says how each LSOA 2011 became LSOA 2021:
unchanged (U), split (S), merged (M) or complex (X). An upload of 2011 codes is carried before it
is mapped or analysed, with one rule per column (:data:`CARRY_RULES`):

* ``mean``, for rates, shares, scores and ranks (the default): a U or S LSOA 2021 inherits its
  parent's value; an M or X one takes the mean of its 2011 parents weighted by their ONS mid-2019
  population (:func:`geo.stats.carry.carry_lsoa11_to_lsoa21`, the rule that carries IoD 2019 and
  WIMD 2019). Right for a rate; wrong for a count, whose merged value must be a total.
* ``apportion``, for counts (a column named like a count with whole numbers only:
  ``UploadResult.counts``): a count is never averaged. Each 2011 count is shared among its 2021
  LSOAs in proportion to their Census 2021 population and each 2021 LSOA sums the shares it gets:
  U keeps its count, M is the sum of its parents, S divides its parent's count by population, X
  does both, and the total is kept. A count split this way is an estimate (people, not the
  counted things, are assumed spread like the population); the report says so.

A 2021 LSOA is carried only when every one of its 2011 parents is in the upload (otherwise its
value would be a part of a total or a mean of some parents); the others are listed. A parent
without a value leaves its 2021 LSOAs without a value in that column.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from geo._errors import InputError, UnmatchedCodesWarning, format_codes
from geo.stats.carry import carry_lsoa11_to_lsoa21

__all__ = ["CARRY_RULES", "CarryReport", "carry_table", "upload_for_analysis"]

#: How a column is carried from LSOA 2011 to LSOA 2021, in words.
CARRY_RULES = {
    "mean": "U and S LSOAs 2021 inherit the 2011 value, M and X take the mean of their 2011 "
            "parents weighted by ONS mid-2019 population (right for a rate, a share or a score; "
            "not for a count)",
    "apportion": "each 2011 count is shared among its 2021 LSOAs in proportion to their Census "
                 "2021 population and summed: merged LSOAs get the sum of their parents, split "
                 "ones a population share of their parent's count, and totals are kept (a count "
                 "is never averaged)",
}

#: The ONS change codes in words.
CHANGES = {"U": "unchanged", "S": "split", "M": "merged", "X": "complex"}

#: The registry id of the ONS lookup.
LOOKUP = "lookup_lsoa11_lsoa21"

#: Where the weights of each rule come from (store tables).
WEIGHTS = {"mean": ("population_mid2019_lsoa11", "population_total"),
           "apportion": ("population", "population_total")}


@dataclass(frozen=True)
class CarryReport:
    """How an LSOA 2011 upload reached LSOA 2021 (all counts of distinct codes).

    ``changes``: the uploaded 2011 codes by ONS change code (U, S, M, X); ``targets``: the 2021
    LSOAs each kind of change gives; ``incomplete``: 2021 LSOAs left out because some of their
    2011 parents are not in the upload; ``not_in_lookup``: uploaded codes the lookup lacks;
    ``rules``: column -> ``"mean"`` or ``"apportion"``; ``reasons``: why, per column;
    ``weights``: rule -> the store column of its weights; ``sources``: the registry datasets
    used (the lookup and the populations); ``messages``: the report in sentences.
    """

    areas_2011: int
    areas_2021: int
    changes: dict[str, int]
    targets: dict[str, int]
    incomplete: list[str]
    not_in_lookup: list[str]
    nations: tuple[str, ...]
    rules: dict[str, str]
    reasons: dict[str, str]
    weights: dict[str, str] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    def method(self) -> dict[str, Any]:
        """The carry as method parameters (for an analysis's README)."""
        return {"from": "lsoa11", "to": "lsoa21", "lookup": LOOKUP, "changes": self.changes,
                "targets": self.targets, "rules": self.rules, "weights": self.weights,
                "left_out_incomplete": len(self.incomplete)}


def _complete(lookup: pd.DataFrame, codes11: pd.Index) -> tuple[pd.DataFrame, pd.Index, pd.Index]:
    """The lookup rows of the uploaded codes, and the 2021 LSOAs all of whose parents are in
    the upload (sorted) and those only some of whose parents are."""
    rows = lookup[lookup["lsoa11_code"].isin(codes11)]
    touched = pd.Index(rows["lsoa21_code"].unique())
    every = lookup[lookup["lsoa21_code"].isin(touched)]
    missing = every.loc[~every["lsoa11_code"].isin(codes11), "lsoa21_code"].unique()
    complete = touched.difference(pd.Index(missing)).sort_values()
    return rows, complete.rename("lsoa21_code"), pd.Index(sorted(missing))


def _mean(values: pd.Series, lookup: pd.DataFrame, population11: pd.Series,
          nations: tuple[str, ...]) -> pd.Series:
    """A rate carried by :func:`carry_lsoa11_to_lsoa21` (NaN parents left out here, and their
    2021 LSOAs set to NaN by the caller)."""
    present = values.dropna()
    if present.empty:
        return pd.Series(dtype=float)
    with warnings.catch_warnings():  # every LSOA of the nations outside the upload is "unmatched"
        warnings.simplefilter("ignore", UnmatchedCodesWarning)
        out = carry_lsoa11_to_lsoa21(present.to_frame("value_score"), lookup, population11,
                                     nations=nations)
    return out["value_score"]


def _apportion(values: pd.Series, rows: pd.DataFrame, population21: pd.Series) -> pd.Series:
    """A count shared among each parent's 2021 LSOAs by their population, summed per LSOA 2021.

    A parent whose children have no population shares its count equally among them.
    """
    pop = population21.reindex(rows["lsoa21_code"]).to_numpy(dtype=float)
    pop = pd.Series(np.where(np.isfinite(pop) & (pop > 0), pop, np.nan))
    parent = rows["lsoa11_code"].to_numpy()
    by_parent = pop.groupby(parent)
    total = by_parent.transform("sum").to_numpy()
    known = pop.notna().groupby(parent).transform("min").to_numpy(dtype=bool)
    share = np.where(known, pop.to_numpy() / np.where(known, total, 1.0),
                     1.0 / by_parent.transform("size").to_numpy())
    part = values.reindex(parent).to_numpy(dtype=float) * share
    return pd.Series(part).groupby(rows["lsoa21_code"].to_numpy()).sum(min_count=1)


def carry_table(table: pd.DataFrame, lookup: pd.DataFrame, *, rules: Mapping[str, str],
                population11: pd.Series, population21: pd.Series
                ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Carry every column of an LSOA 2011 table to LSOA 2021 by its rule (see the module).

    Parameters
    ----------
    table
        Values indexed by LSOA 2011 code (NaN: no value).
    lookup
        The ONS lookup: ``lsoa11_code``, ``change_code`` (U, S, M, X), ``lsoa21_code``.
    rules
        Column -> ``"mean"`` or ``"apportion"``, for every column of ``table``.
    population11, population21
        ONS mid-2019 people per LSOA 2011 (weights of ``mean``) and Census 2021 residents per
        LSOA 2021 (shares of ``apportion``).

    Returns
    -------
    carried : pandas.DataFrame
        Indexed by ``lsoa21_code`` (sorted): the 2021 LSOAs all of whose 2011 parents are in
        ``table``, its columns carried.
    info : dict
        ``rows`` (the lookup rows of the uploaded codes), ``incomplete`` and ``not_in_lookup``
        (code lists), ``nations``.
    """
    lookup = lookup.drop_duplicates(["lsoa11_code", "lsoa21_code"])
    rows, complete, incomplete = _complete(lookup, table.index)
    nations = tuple(sorted({c[:1] for c in complete}))
    out = pd.DataFrame(index=complete, columns=list(rules), dtype=float)
    for column, rule in rules.items() if len(complete) else []:
        values = table[column].astype(float)
        carried = (_apportion(values, rows, population21) if rule == "apportion"
                   else _mean(values, lookup, population11, nations))
        without = rows.loc[rows["lsoa11_code"].isin(values.index[values.isna()]), "lsoa21_code"]
        out[column] = carried.reindex(complete).mask(complete.isin(without)).astype(float)
    info = {"rows": rows, "incomplete": list(incomplete), "nations": nations,
            "not_in_lookup": list(table.index.difference(pd.Index(rows["lsoa11_code"])))}
    return out, info


def _column_rules(columns: list[str], counts: tuple[str, ...], asked: Mapping[str, str] | None
                  ) -> tuple[dict[str, str], dict[str, str]]:
    """Each column's rule and why: asked for, else ``apportion`` for counts, else ``mean``."""
    asked = dict(asked or {})
    problems = [f"{c!r}: not a column of the upload ({', '.join(map(repr, columns))})"
                for c in asked if c not in columns]
    problems += [f"{c!r}: rule {r!r} is not one of {list(CARRY_RULES)}"
                 for c, r in asked.items() if r not in CARRY_RULES]
    if problems:
        raise InputError("`rules` has problems: " + "; ".join(problems))
    rules, reasons = {}, {}
    for column in columns:
        if column in asked:
            rules[column], reasons[column] = asked[column], f"rule {asked[column]} as asked"
        elif column in counts:
            rules[column] = "apportion"
            reasons[column] = "a count: named like one, whole numbers only"
        else:
            rules[column], reasons[column] = "mean", "a rate, share or score: not a count"
    return rules, reasons


def _messages(report: CarryReport, labels: Mapping[str, str]) -> list[str]:
    """The carry report in sentences (labels already safe)."""
    kinds = ", ".join(
        f"{report.changes.get(k, 0):,} {word}"
        + (f" (into {report.targets.get(k, 0):,})" if k != "U" and report.changes.get(k) else "")
        for k, word in CHANGES.items())
    lines = [f"LSOA 2011 codes carried to LSOA 2021 through the ONS lookup (LSOA 2011 to LSOA "
             f"2021): {report.areas_2011:,} LSOAs 2011 ({kinds}) give {report.areas_2021:,} "
             "LSOAs 2021, which are mapped and analysed."]
    if report.incomplete:
        lines.append(f"{len(report.incomplete):,} LSOAs 2021 were left out because only some "
                     f"of their 2011 parents are in the file: "
                     f"{format_codes(report.incomplete, limit=5)}.")
    if report.not_in_lookup:
        lines.append(f"{len(report.not_in_lookup):,} codes are not in the ONS lookup and were "
                     f"left out: {format_codes(report.not_in_lookup, limit=5)}.")
    for column, rule in report.rules.items():
        lines.append(f"Column '{labels.get(column, column)}' ({report.reasons[column]}): "
                     f"{CARRY_RULES[rule]}.")
    if "apportion" in report.rules.values():
        lines.append("A split count is an estimate: it assumes the counted people or things are "
                     "spread like the Census 2021 population.")
    return lines


def upload_for_analysis(result: Any, *, rules: Mapping[str, str] | None = None,
                        columns: Iterable[str] | None = None) -> Any:
    """The upload at the level it is mapped and analysed at.

    An LSOA 2011 upload is carried to LSOA 2021 (see the module); any other upload is returned
    as it is.

    Parameters
    ----------
    result
        What :func:`geo.upload.reader.read_upload` returned.
    rules
        Column -> ``"mean"`` or ``"apportion"`` (:data:`CARRY_RULES`) instead of the default:
        ``apportion`` for the columns in ``result.counts``, ``mean`` for the others.
    columns
        Carry only these columns of ``result.table`` (default all), e.g. the one analysed.

    Returns
    -------
    UploadResult
        For LSOA 2011: ``level`` ``"lsoa21"``, ``table`` indexed by ``lsoa21_code``, the
        ``messages`` followed by the carry report, and ``carry`` (a :class:`CarryReport`).

    Raises
    ------
    InputError
        Bad ``rules`` (a column the upload lacks, an unknown rule).
    StoreError
        If the store lacks the lookup or the populations.

    Examples
    --------
    >>> res = upload_for_analysis(read_upload(data, known_codes=upload_known_codes()))  # doctest: +SKIP
    >>> res.level, res.carry.changes  # doctest: +SKIP
    ('lsoa21', {'U': 1200, 'S': 20, 'M': 12, 'X': 2})
    """
    if result.level != "lsoa11":
        return result
    from geo.data.indicators import load_indicators, load_lookup

    every = [str(c) for c in result.table.columns]
    chosen = every if columns is None else list(columns)
    unknown = [c for c in chosen if c not in every]
    if unknown:
        msg = f"`columns` {unknown} are not columns of the upload: {every}"
        raise InputError(msg)
    column_rules, reasons = _column_rules(chosen, tuple(result.counts), rules)
    lookup = load_lookup("lsoa11_lsoa21")
    weights = {rule: load_indicators(t)[c] for rule, (t, c) in WEIGHTS.items()}
    table, info = carry_table(result.table[chosen], lookup, rules=column_rules,
                              population11=weights["mean"], population21=weights["apportion"])
    rows = info["rows"]
    first = rows.drop_duplicates("lsoa11_code")
    report = CarryReport(
        areas_2011=int(rows["lsoa11_code"].nunique()), areas_2021=len(table),
        changes={k: int((first["change_code"] == k).sum()) for k in CHANGES},
        targets={k: int(rows.loc[rows["change_code"] == k, "lsoa21_code"].nunique())
                 for k in CHANGES},
        incomplete=info["incomplete"], not_in_lookup=info["not_in_lookup"],
        nations=info["nations"], rules=column_rules, reasons=reasons,
        weights={r: ".".join(WEIGHTS[r]) for r in sorted(set(column_rules.values()))},
        sources=[LOOKUP, *(WEIGHTS[r][0] for r in sorted(set(column_rules.values())))])
    report = dataclasses.replace(report, messages=_messages(report, result.labels))
    return dataclasses.replace(result, table=table, level="lsoa21",
                               messages=[*result.messages, *report.messages], carry=report)
