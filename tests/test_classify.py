"""Tests for geo.maps.classes: classes, palettes, legend labels."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from geo._errors import InputError
from geo.maps.classes import NO_DATA_COLOUR, MissingValuesWarning, classify, colours_for, palette
from geo.maps.text import legend_labels


def _series(values, prefix="E0", name="lad24_code"):
    index = pd.Index([f"{prefix}{i:05d}" for i in range(len(values))], name=name)
    return pd.Series(values, index=index, dtype="float64", name="v")


def _luminance(colour: str) -> float:
    """WCAG relative luminance of a hex colour."""
    rgb = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


# ----------------------------------------------------------------------------- classify


def test_quantiles_hand_computed():
    s = _series(np.arange(1, 11))
    out = classify(s, scheme="quantiles", k=5)
    # percentiles 20..100 of 1..10 with linear interpolation: 2.8, 4.6, 6.4, 8.2, 10
    assert_allclose(out.attrs["bins"], [2.8, 4.6, 6.4, 8.2, 10.0], rtol=0, atol=1e-12)
    assert out.tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert out.attrs["lower"] == 1.0
    assert out.attrs["k"] == 5
    assert out.dtype == "Int64"


def test_equal_interval_upper_bound_is_inclusive():
    s = _series(np.arange(0, 11))
    out = classify(s, scheme="equal_interval", k=5)
    assert_allclose(out.attrs["bins"], [2, 4, 6, 8, 10], rtol=0, atol=1e-12)
    # 0,1,2 -> class 0 (2 is the inclusive upper bound); 10 -> class 4
    assert out.tolist() == [0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4]


def test_fisher_jenks_finds_the_natural_groups():
    s = _series([1, 2, 3, 10, 11, 12, 20, 21, 22])
    out = classify(s, scheme="Fisher-Jenks", k=3)
    assert_allclose(out.attrs["bins"], [3, 12, 22], rtol=0, atol=1e-12)
    assert out.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert out.attrs["scheme"] == "fisher_jenks"


def test_deciles_have_ten_equal_classes():
    s = _series(np.arange(1, 101))
    out = classify(s, scheme="deciles")
    assert out.attrs["k"] == 10
    assert out.value_counts().sort_index().tolist() == [10] * 10


def test_deciles_refuse_another_k():
    with pytest.raises(InputError, match="always has 10 classes"):
        classify(_series(np.arange(20)), scheme="deciles", k=5)


def test_result_is_indexed_like_input_and_nan_stays_nan():
    s = _series([5.0, np.nan, 1.0, 3.0])
    with pytest.warns(MissingValuesWarning, match=r"1 of 4 areas have no value.*E000001"):
        out = classify(s, scheme="equal_interval", k=2)
    assert out.index.equals(s.index)
    assert out.index.name == "lad24_code"
    assert out.isna().tolist() == [False, True, False, False]
    assert out.attrs["n_missing"] == 1
    # bins from the three present values: 3, 5
    assert out.dropna().tolist() == [1, 0, 0]


def test_unknown_scheme_lists_valid_keys():
    with pytest.raises(InputError, match=r"'natural'.*deciles.*equal_interval.*fisher_jenks.*quantiles"):
        classify(_series([1, 2, 3]), scheme="natural")


@pytest.mark.parametrize(
    ("values", "match"),
    [
        (pd.Series(["a", "b"]), "must be numeric"),
        (pd.Series([1.0, np.inf]), "infinite"),
        (pd.Series([np.nan, np.nan]), "no value to classify"),
        (pd.Series([1.0, 2.0], index=["x", "x"]), "duplicated index"),
        ([1.0, 2.0], "pandas Series"),
    ],
)
def test_bad_values_raise_clear_errors(values, match):
    with pytest.raises(InputError, match=match):
        classify(values)


def test_bad_k_raises():
    with pytest.raises(InputError, match="`k` must be an integer from 2 to 12; got 1"):
        classify(_series([1, 2, 3]), k=1)


def test_fewer_distinct_values_than_classes_warns_and_reduces_k():
    s = _series([1, 1, 1, 2, 2, 3])
    with pytest.warns(UserWarning, match="3 distinct values.*formed 3 classes instead of 5"):
        out = classify(s, scheme="equal_interval", k=5)
    assert out.attrs["k"] == 3
    assert out.tolist() == [0, 0, 0, 1, 1, 2]


def test_constant_values_form_one_class():
    with pytest.warns(UserWarning, match="formed 1 classes"):
        out = classify(_series([4.0, 4.0, 4.0]))
    assert out.tolist() == [0, 0, 0]
    assert out.attrs["bins"] == [4.0]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=12, max_size=60,
        unique=True,
    ),
    st.sampled_from(["quantiles", "equal_interval", "fisher_jenks"]),
    st.randoms(use_true_random=False),
)
def test_order_does_not_change_classes_and_classes_follow_values(values, scheme, rnd):
    s = _series(values)
    shuffled = s.sample(frac=1, random_state=rnd.randint(0, 2**31))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = classify(s, scheme=scheme, k=4)
        b = classify(shuffled, scheme=scheme, k=4)
    assert b.index.equals(shuffled.index)
    pd.testing.assert_series_equal(a, b.reindex(s.index))
    order = np.argsort(s.to_numpy())
    assert np.all(np.diff(a.to_numpy(dtype=float)[order]) >= 0)


# ----------------------------------------------------------------------------- palette


@pytest.mark.parametrize("name", ["ylorrd", "pubu", "viridis"])
@pytest.mark.parametrize("k", [2, 5, 7, 10])
def test_darkest_colour_always_means_worse(name, k):
    worse_high = palette(k, polarity="higher_worse", name=name)
    worse_low = palette(k, polarity="higher_better", name=name)
    lum_high = [_luminance(c) for c in worse_high]
    lum_low = [_luminance(c) for c in worse_low]
    # strictly darker towards the worse end: readable in greyscale too
    assert all(np.diff(lum_high) < 0), lum_high
    assert all(np.diff(lum_low) > 0), lum_low
    assert worse_low == worse_high[::-1]
    assert len(set(worse_high)) == k


def test_palette_end_colours_are_colorbrewer():
    assert palette(9, polarity="higher_worse") == [
        "#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c",
        "#fc4e2a", "#e31a1c", "#bd0026", "#800026",
    ]


def test_palette_rejects_unknown_polarity_and_name():
    with pytest.raises(InputError, match="higher_worse.*higher_better"):
        palette(5, polarity="up")
    with pytest.raises(InputError, match="'rainbow'.*pubu.*viridis.*ylorrd"):
        palette(5, polarity="higher_worse", name="rainbow")


def test_colours_for_maps_classes_and_missing():
    s = _series([1.0, 2.0, 3.0, np.nan])
    with pytest.warns(MissingValuesWarning):
        c = classify(s, scheme="equal_interval", k=2)
    colours = colours_for(c, polarity="higher_better")
    assert colours.index.equals(s.index)
    assert colours.tolist() == ["#800026", "#800026", "#ffffcc", NO_DATA_COLOUR]


# ----------------------------------------------------------------------------- legend


def test_legend_labels_percent_and_lower_bound():
    assert legend_labels([10, 20, 30], "%", lower=0) == [
        "0.0% to 10.0%",
        "10.0% to 20.0%",
        "20.0% to 30.0%",
    ]


def test_legend_labels_unit_follows_and_decimals_tell_bounds_apart():
    labels = legend_labels([1.234, 1.236, 2.0], "score")
    assert labels == ["up to 1.234 score", "1.234 to 1.236 score", "1.236 to 2.000 score"]


def test_legend_labels_money_and_thousands():
    assert legend_labels([1500, 25000], "£", lower=-200) == [
        "-£200 to £1,500",
        "£1,500 to £25,000",
    ]


def test_legend_labels_reject_decreasing_bins():
    with pytest.raises(InputError, match="increasing"):
        legend_labels([3, 2], "")


@pytest.mark.real
def test_deciles_of_imd_score_match_official_deciles(mirror):
    """Quantile classes of the IoD 2025 score reproduce the published IMD deciles."""
    imd = pd.read_csv(
        mirror / "deprivation" / "imd2025_england_lsoa21.csv",
        usecols=["lsoa21_code", "IMD_score", "IMD_decile"],
        index_col="lsoa21_code",
    )
    out = classify(imd["IMD_score"], scheme="deciles")
    assert len(out) == 33_755
    counts = out.value_counts().sort_index().tolist()
    assert min(counts) >= 3_374 and max(counts) <= 3_377
    # official decile 1 = most deprived 10% = highest scores = class 9
    agree = (10 - out) == imd["IMD_decile"]
    assert int((~agree).sum()) <= 5  # ties at class boundaries only


def test_legend_labels_percent_with_a_denominator():
    assert legend_labels([5, 6.5], "% of cohort", lower=4) == [
        "4.00% to 5.00% of cohort",
        "5.00% to 6.50% of cohort",
    ]
