"""Tests of geo.compound: compounded and persistent disadvantage, IoD 2019 carried to LSOA 2021."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from geo._errors import DuplicateCodeError, InputError, SchemaError, UnmatchedCodesWarning
from geo.stats.carry import carry_iod2019_to_lsoa21
from geo.stats.compound import (
    COMPOUND_DOMAINS,
    area_shares,
    count_deprived_domains,
    persistent_disadvantage,
)

# --------------------------------------------------------------------------------------------
# compounded disadvantage
# --------------------------------------------------------------------------------------------


def _deciles():
    idx = pd.Index(["l1", "l2", "l3", "l4"], name="lsoa21_code")
    rows = {
        #      income employment education health crime housing environment
        "l1": [1, 1, 5, 1, 5, 5, 5],
        "l2": [2, 2, 2, 1, 10, 10, 10],
        "l3": [10, 10, 10, 10, 10, 10, 10],
        "l4": [1, 1, 1, 1, 1, 1, 1],
    }
    table = pd.DataFrame.from_dict(rows, orient="index", columns=[f"{d}_decile" for d in COMPOUND_DOMAINS])
    table.index = idx
    table["imd_decile"] = [1, 1, 1, 1]  # never counted
    return table


def test_count_deprived_domains_hand_checked():
    out = count_deprived_domains(_deciles())
    assert out.index.equals(_deciles().index)
    assert out["n_domains_worst_decile"].tolist() == [3, 1, 0, 7]
    assert out["n_domains_worst_quintile"].tolist() == [3, 4, 0, 7]
    assert out["compounded"].tolist() == [True, False, False, True]
    assert out["compounded_quintile"].tolist() == [True, True, False, True]
    assert out["domains_worst_decile"].tolist() == [
        "income;employment;health", "health", "", ";".join(COMPOUND_DOMAINS)]
    assert out.loc["l2", "domains_worst_quintile"] == "income;employment;education;health"


def test_count_deprived_domains_options():
    out = count_deprived_domains(_deciles(), threshold=4)
    assert out["compounded"].tolist() == [False, False, False, True]
    assert out["compounded_quintile"].tolist() == [False, True, False, True]
    out = count_deprived_domains(_deciles(), decile=2, domains=["income", "crime"], threshold=1)
    assert out["n_domains_worst_decile"].tolist() == [1, 1, 0, 2]
    assert out.loc["l1", "domains_worst_decile"] == "income"


def test_count_deprived_domains_errors():
    table = _deciles()
    with pytest.raises(SchemaError, match=r"\['housing_decile'\]"):
        count_deprived_domains(table.drop(columns="housing_decile"))
    bad = table.astype(float)
    bad.loc["l3", "crime_decile"] = np.nan
    bad.loc["l4", "health_decile"] = 11
    with pytest.raises(InputError, match=r"outside 1..10 in 'health_decile': l4; 1 NaN in 'crime_decile': l3"):
        count_deprived_domains(bad)
    with pytest.raises(InputError, match=r"`threshold` must be a whole number 1..7"):
        count_deprived_domains(table, threshold=8)
    with pytest.raises(InputError, match="`decile`"):
        count_deprived_domains(table, decile=0)
    with pytest.raises(DuplicateCodeError, match="l1"):
        count_deprived_domains(pd.concat([table, table.iloc[:1]]))


# --------------------------------------------------------------------------------------------
# carrying IoD 2019 to LSOA 2021
# --------------------------------------------------------------------------------------------


def _carry_inputs():
    # 20 LSOAs ranked nationally; decile = ceil(10 r / 20)
    iod = pd.DataFrame(
        {"imd_rank": [1, 5, 2, 10, 3, 19, 7], "imd_decile": [1, 3, 1, 5, 2, 10, 4]},
        index=pd.Index(["E0A", "E0B", "E0C", "E0D", "E0E", "E0F", "E0Q"], name="lsoa11_code"),
    )
    lookup = pd.DataFrame(
        [
            ("E0A", "U", "E2A"),
            ("E0B", "S", "E2B1"),
            ("E0B", "S", "E2B2"),
            ("E0C", "M", "E2M"),
            ("E0D", "M", "E2M"),
            ("E0E", "X", "E2X1"),
            ("E0F", "X", "E2X1"),
            ("E0F", "X", "E2X2"),
            ("E0Z", "U", "E2Z"),  # parent without IoD 2019 values
            ("W0A", "U", "W2A"),  # Wales: not carried
        ],
        columns=["lsoa11_code", "change_code", "lsoa21_code"],
    )
    pop = pd.DataFrame(
        {"population_total": [np.nan, 1500, 100, 300, 100, 100, 900, 1200]},
        index=["E0A", "E0B", "E0C", "E0D", "E0E", "E0F", "E0Q", "W0A"],
    )
    return iod, lookup, pop


def test_carry_rules_hand_computed():
    iod, lookup, pop = _carry_inputs()
    with pytest.warns(UnmatchedCodesWarning) as rec:
        out = carry_iod2019_to_lsoa21(iod, lookup, pop, n_ranked=20)
    said = " | ".join(str(w.message) for w in rec)
    assert "1 LSOA 2011 code(s) of `iod2019_lsoa11` are not in `lookup`" in said and "E0Q" in said
    assert "1 English LSOA 2021 code(s) have no 2011 parent with IoD 2019 values" in said and "E2Z" in said
    assert out.index.name == "lsoa21_code"
    assert out.index.tolist() == ["E2A", "E2B1", "E2B2", "E2M", "E2X1", "E2X2", "E2Z"]
    # U and S inherit; M: (100*2 + 300*10) / 400 = 8 -> decile ceil(80/20) = 4
    # X: E2X1 (100*3 + 100*19) / 200 = 11 -> decile 6; E2X2 a single parent, 19 -> decile 10
    assert_allclose(out["imd_rank"].iloc[:6], [1, 5, 5, 8, 11, 19], rtol=0)
    assert out["imd_decile"].iloc[:6].tolist() == [1, 3, 3, 4, 6, 10]
    assert out["lookup_rule"].iloc[:6].tolist() == ["U", "S", "S", "M", "X", "X"]
    assert out["n_parents_2011"].tolist() == [1, 1, 1, 2, 2, 1, 0]
    assert pd.isna(out.loc["E2Z", "imd_rank"]) and pd.isna(out.loc["E2Z", "imd_decile"])
    assert out.attrs["n_ranked"] == 20


def test_carry_population_needed_only_for_merged():
    iod, lookup, pop = _carry_inputs()
    pop.loc["E0D", "population_total"] = np.nan  # a parent of the merged E2M
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnmatchedCodesWarning)
        with pytest.raises(InputError, match=r"1 missing or NaN in 'weight': E0D"):
            carry_iod2019_to_lsoa21(iod, lookup, pop, n_ranked=20)
        with pytest.raises(SchemaError, match=r"lacks column\(s\) \['change_code'\]"):
            carry_iod2019_to_lsoa21(iod, lookup.drop(columns="change_code"), pop)


# --------------------------------------------------------------------------------------------
# persistent disadvantage and area shares
# --------------------------------------------------------------------------------------------


def test_persistent_disadvantage_statuses():
    idx = pd.Index(["p", "n", "l", "m", "x"], name="lsoa21_code")
    i25 = pd.DataFrame({"imd_decile": [1, 1, 4, 1, 2]}, index=idx)
    i19 = pd.DataFrame(
        {"imd_decile": [1, 3, 1, 2], "lookup_rule": ["U", "S", "M", "X"]},
        index=pd.Index(["p", "n", "l", "x"], name="lsoa21_code"),
    )
    with pytest.warns(UnmatchedCodesWarning, match=r"1 LSOA\(s\) of `iod2025` have no IoD 2019 decile.*: m"):
        out = persistent_disadvantage(i25, i19)
    assert out.index.equals(idx)
    assert out["persistent"].tolist()[:3] == [True, False, False]
    assert pd.isna(out.loc["m", "persistent"]) and not out.loc["x", "persistent"]
    assert out["status"].tolist()[:3] == ["persistent", "new", "left"]
    assert out.loc["x", "status"] == "neither"
    assert out["lookup_rule"].tolist()[:3] == ["U", "S", "M"]
    # a value carried through a split, merge or complex change is approximate
    assert out["approximate_2019"].tolist() == [False, True, True, False, True]
    assert out["imd_decile_2019"].tolist()[:3] == [1, 3, 1]
    with pytest.warns(UnmatchedCodesWarning):
        wide = persistent_disadvantage(i25, i19, decile=2)
    assert wide.loc["x", "status"] == "persistent"
    with pytest.raises(SchemaError, match=r"\['lookup_rule'\].*carry_iod2019_to_lsoa21"):
        persistent_disadvantage(i25, i19.drop(columns="lookup_rule"))


def test_area_shares_hand_computed():
    idx = pd.Index(["a", "b", "c", "d"], name="lsoa21_code")
    flags = pd.DataFrame(
        {"compounded": [True, False, False, True], "persistent": [True, True, False, False],
         "n_domains_worst_decile": [3, 0, 1, 4]},
        index=idx,
    )
    parent = pd.Series(["X", "X", "X", "Y"], index=idx, name="lad24_code")
    pop = pd.DataFrame({"population_total": [10, 30, 60, 5]}, index=idx)
    out = area_shares(flags, parent=parent, population=pop)
    assert out.index.name == "lad24_code" and out.index.tolist() == ["X", "Y"]
    assert out["n_lsoas"].tolist() == [3, 1]
    assert_allclose(out["population"], [100, 5])
    assert_allclose(out["compounded_share_lsoas"], [1 / 3, 1.0], rtol=1e-12)
    assert_allclose(out["compounded_share_population"], [0.1, 1.0], rtol=1e-12)
    assert_allclose(out["persistent_share_lsoas"], [2 / 3, 0.0], rtol=1e-12)
    assert_allclose(out["persistent_share_population"], [0.4, 0.0], rtol=1e-12)
    assert out["persistent_n_lsoas"].tolist() == [2, 0]
    assert "n_domains_worst_decile_share_lsoas" not in out.columns  # only boolean flags


def test_area_shares_errors():
    idx = pd.Index(["a", "b"], name="lsoa21_code")
    flags = pd.DataFrame({"persistent": pd.array([True, pd.NA], dtype="boolean"), "n": [1, 2]}, index=idx)
    parent = pd.Series(["X", "X"], index=idx, name="lad24_code")
    pop = pd.Series([1.0, 1.0], index=idx)
    with pytest.raises(InputError, match=r"1 missing in 'persistent': b.*fillna"):
        area_shares(flags, parent=parent, population=pop)
    with pytest.raises(SchemaError, match=r"not boolean: \['n'\]"):
        area_shares(flags, parent=parent, population=pop, columns=["n"])
    with pytest.warns(UnmatchedCodesWarning, match=r"1 code\(s\) of `flags` are not in `parent`.*b"):
        out = area_shares(flags, parent=parent.iloc[:1], population=pop)
    assert out.loc["X", "persistent_share_lsoas"] == 1.0


# --------------------------------------------------------------------------------------------
# real data
# --------------------------------------------------------------------------------------------

NAMES = {
    "IMD": "imd", "Income": "income", "Employment": "employment", "Education": "education",
    "Health": "health", "Crime": "crime", "Housing_and_Access": "housing",
    "Housing_and_Services": "housing", "Environment": "environment",
}


def _canonical(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.rename(columns=lambda c: f"{NAMES[c.rsplit('_', 1)[0]]}_{c.rsplit('_', 1)[1]}")


@pytest.fixture(scope="module")
def real(mirror):
    iod19 = _canonical(pd.read_csv(mirror / "deprivation/imd2019_england_lsoa11.csv", index_col=0))
    iod25 = _canonical(pd.read_csv(mirror / "deprivation/imd2025_england_lsoa21.csv", index_col=0))
    lookup = pd.read_csv(mirror / "lookups/lookup_lsoa11_lsoa21_ltla22.csv")
    pop11 = pd.read_csv(mirror / "population/ons_mid2019_population_lsoa11_agebands.csv", index_col=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        carried = carry_iod2019_to_lsoa21(iod19, lookup, pop11)
    return {"iod19": iod19, "iod25": iod25, "lookup": lookup, "pop11": pop11, "carried": carried}


@pytest.mark.real
def test_real_carry_every_english_lsoa21(real):
    carried, iod19, lookup, pop11 = real["carried"], real["iod19"], real["lookup"], real["pop11"]
    assert len(carried) == 33_755
    assert carried.index.equals(real["iod25"].index.sort_values())
    assert carried.filter(like="_rank").notna().all().all()
    assert carried.filter(like="_decile").notna().all().all()
    assert carried["lookup_rule"].value_counts().to_dict() == {"U": 31_810, "S": 1_842, "M": 97, "X": 6}
    assert carried.attrs["n_ranked"] == 32_844
    # U: the same code, the same rank and decile
    u = carried.index[carried["lookup_rule"] == "U"]
    assert_allclose(carried.loc[u, "imd_rank"], iod19.loc[u, "imd_rank"], rtol=0)
    assert (carried.loc[u, "imd_decile"] == iod19.loc[u, "imd_decile"]).all()
    # one merged LSOA by hand from the files
    code = "E01033769"
    parents = lookup.loc[lookup["lsoa21_code"] == code, "lsoa11_code"]
    assert len(parents) == 2
    w = pop11.loc[parents, "population_total"].to_numpy()
    r = iod19.loc[parents, "imd_rank"].to_numpy()
    expected = (w * r).sum() / w.sum()
    assert_allclose(carried.loc[code, "imd_rank"], expected, rtol=1e-12)
    assert carried.loc[code, "imd_decile"] == int(np.ceil(10 * expected / 32_844))


@pytest.mark.real
def test_real_persistent_and_compounded(real, mirror):
    iod25, carried, iod19 = real["iod25"], real["carried"], real["iod19"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pers = persistent_disadvantage(iod25, carried)
    assert pers["persistent"].notna().all()
    counts = pers["status"].value_counts().to_dict()
    assert counts == {"neither": 29_806, "persistent": 2_766, "new": 609, "left": 574}
    # for unchanged LSOAs the flag is the plain join of the two published files
    u = pers.index[pers["lookup_rule"] == "U"]
    direct = (iod25.loc[u, "imd_decile"] == 1) & (iod19.loc[u, "imd_decile"] == 1)
    assert (pers.loc[u, "persistent"].astype(bool) == direct).all()

    comp = count_deprived_domains(iod25)
    # every domain's worst decile holds exactly 3,375 of 33,755 LSOAs, its worst quintile 6,751
    assert comp["n_domains_worst_decile"].sum() == 7 * 3_375
    assert comp["n_domains_worst_quintile"].sum() == 7 * 6_751
    assert comp["compounded"].sum() == 3_380

    lk = pd.read_csv(mirror / "lookups/lookup_lsoa21_ward24_ltla24.csv", index_col="lsoa21_code")
    parent = lk.loc[lk.index.isin(iod25.index), "ltla24_code"].rename("lad24_code")
    pop = pd.read_csv(mirror / "population/census21_population_by_age_lsoa21.csv", index_col=0)
    flags = comp[["compounded", "compounded_quintile"]].join(pers["persistent"].astype(bool))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        shares = area_shares(flags, parent=parent, population=pop)
    assert len(shares) == 296
    assert shares["n_lsoas"].sum() == 33_755
    # Middlesbrough: 90 LSOAs, the largest share of people in persistent worst-decile LSOAs
    assert shares.loc["E06000002", "n_lsoas"] == 90
    assert shares["persistent_share_population"].idxmax() == "E06000002"
    n_pers = int(((iod25["imd_decile"] == 1) & pers["persistent"].astype(bool))[parent == "E06000002"].sum())
    assert_allclose(shares.loc["E06000002", "persistent_share_lsoas"], n_pers / 90, rtol=1e-12)
