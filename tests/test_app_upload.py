"""The Your data page through streamlit.testing (no browser): upload, the question of which end
is worse, the analysis shown, refusals as messages, every kind of upload.

Files are built from the data mirror (a real column for a council, data zones, LSOA 2011 codes,
council values); what the page should say is derived in the test from the mirror and the store
(weighted averages, Spearman's rho with scipy, LSOA counts) or from the library called here
(:func:`geo.analysis.upload.analyse_upload`, :func:`geo.upload.reader.read_upload`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from streamlit.testing.v1 import AppTest

import boundaries
import geo
from geo._errors import InputError

pytestmark = pytest.mark.real

APP = str(Path(__file__).resolve().parents[1] / "app.py")
TIMEOUT = 300
LEEDS, GLASGOW = "E08000035", "S12000049"
HE = "entry_to_higher_education_indicator"
FEATURE = re.compile(r'"type":"Feature","id":"E01')
CLUSTER_FEATURE = re.compile(r'"type":"Feature","id":"\d+"')


# ----------------------------------------------------------------------------- helpers
def _page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["page"] = "upload"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader[0].set_value((name, data, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _answer(at: AppTest, polarity: str) -> AppTest:
    at.radio(key="upload_polarity").set_value(polarity).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _maps(at: AppTest) -> list[dict]:
    return [json.loads(el.proto.json_args) for el in at.get("component_instance")]


def _plain(markdown: str) -> str:
    """Escaped Markdown as it reads on screen."""
    return re.sub(r"\\(.)", r"\1", markdown)


def _text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [e.value for e in [*at.info, *at.error, *at.warning, *at.success]]
    return _plain("\n".join(parts))


def _headings(at: AppTest) -> list[str]:
    return [h.value for h in at.header]


def _frame(at: AppTest, column: str, *, index: str | None = None) -> pd.DataFrame:
    """The one data frame on the page with ``column`` (and that index name)."""
    (found,) = [d.value for d in at.dataframe if column in d.value.columns
                and index in (None, d.value.index.name)]
    return found


def _csv(values: pd.Series, code: str = "code") -> bytes:
    return values.rename_axis(code).reset_index().to_csv(index=False).encode()


def _lsoas(council: str) -> pd.Index:
    lsoa = boundaries.load("lsoa21")
    return lsoa.index[lsoa["lad24_code"] == council]


@pytest.fixture(scope="module")
def indicators(store, mirror) -> pd.DataFrame:
    """Underlying indicators of the IoD 2025 by LSOA 2021, as the mirror has them."""
    return pd.read_csv(mirror / "deprivation" / "imd2025_england_lsoa21_indicators.csv",
                       index_col="lsoa21_code",
                       usecols=["lsoa21_code", HE, "mental_health_indicator"])


@pytest.fixture(scope="module")
def leeds(indicators) -> pd.Series:
    return indicators[HE].reindex(_lsoas(LEEDS)).rename("Entry to HE <b>gap</b>")


# ----------------------------------------------------------------------------- the question
def test_which_end_is_worse_is_asked_before_any_hotspot(leeds):
    at = _upload(_page(), "leeds.csv", _csv(leeds))
    assert at.radio(key="upload_polarity").value is None  # no silent default
    assert _headings(at) == []  # no hotspot, summary or correlation yet
    assert "Which end of **Entry to HE <b>gap</b>** is worse?" in _text(at)
    (m,) = _maps(at)  # where the areas are, without a colour scale
    assert len(FEATURE.findall(m["script"])) == len(leeds)
    assert "Darker = worse" not in m["script"]
    assert "polarity" not in at.query_params
    assert f"{len(leeds):,} of {len(leeds):,} rows matched LSOAs (2021)" in _text(at)


def test_hotspots_summaries_and_the_link_to_deprivation_are_shown(leeds):
    from geo.analysis.upload import analyse_upload

    at = _answer(_upload(_page(), "leeds.csv", _csv(leeds)), "higher_worse")
    expected = analyse_upload(leeds, level="lsoa21", polarity="higher_worse")
    counts = expected.areas["outcome"].value_counts()
    tested = len(leeds) - int(counts.get("not tested", 0))
    text = _text(at)
    assert (f"of the {tested:,} LSOAs tested, {counts['worse cluster']:,} are in worse "
            "clusters") in text
    assert f"{len(expected.clusters)} named clusters" in text
    assert _headings(at) == ["Hotspots and named clusters", "Summaries by council and ward",
                             "The link to deprivation", "Download everything"]
    main, bivariate = _maps(at)
    assert len(CLUSTER_FEATURE.findall(main["script"])) == len(expected.clusters)
    assert "Hotspot test" in main["script"] and "worse cluster" in bivariate["script"]
    # the council's population-weighted average, from the store's populations
    people = geo.load_indicators("population")["population_total"].reindex(leeds.index)
    kept = leeds.notna()
    average = float((leeds[kept] * people[kept]).sum() / people[kept].sum())
    assert _frame(at, "average", index="lad24_code").loc[LEEDS, "average"] == pytest.approx(average)
    # Spearman's rho with the IMD 2025 score, by scipy
    imd = geo.load_indicators("iod2025")["imd_score"].reindex(leeds.index)
    rho = stats.spearmanr(leeds[kept], imd[kept]).statistic
    assert _frame(at, "spearman_rho").loc["iod2025.imd_score", "spearman_rho"] == (
        pytest.approx(rho))
    assert at.query_params["polarity"] == "higher_worse"
    assert len(at.get("download_button")) == 1


def test_higher_is_better_turns_the_outcomes_around(leeds):
    from geo.analysis.upload import analyse_upload

    at = _answer(_upload(_page(), "leeds.csv", _csv(leeds)), "higher_better")
    other = analyse_upload(leeds, level="lsoa21", polarity="higher_worse")
    swapped = other.areas["outcome"].value_counts()  # Gi*'s p-values do not depend on it
    assert (f"{swapped['better cluster']:,} are in worse clusters (where lower values, the "
            f"worse end by your answer, gather) and {swapped['worse cluster']:,} in better "
            "clusters") in _text(at)
    assert "worst on top" in _maps(at)[0]["script"]


def test_another_column_is_asked_again_and_the_scheme_keeps_the_answer(indicators):
    two = indicators.reindex(_lsoas(LEEDS)).rename_axis("code").reset_index()
    at = _answer(_upload(_page(), "two.csv", two.to_csv(index=False).encode()), "higher_worse")
    at.selectbox(key="upload_scheme").set_value("deciles").run()
    assert at.radio(key="upload_polarity").value == "higher_worse"
    assert "Hotspots and named clusters" in _headings(at)
    at.selectbox(key="upload_column").set_value("mental_health_indicator").run()
    assert not at.exception
    assert at.radio(key="upload_polarity").value is None
    assert _headings(at) == []
    assert at.query_params["column"] == "mental_health_indicator"
    assert "polarity" not in at.query_params


@pytest.mark.parametrize("column", ["Entry to HE <b>gap</b>", "another column"])
def test_a_link_holds_its_answer_for_its_own_column_only(leeds, column):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in {"page": "upload", "column": column, "polarity": "higher_better"}.items():
        at.query_params[key] = value
    at.run()
    _upload(at, "leeds.csv", _csv(leeds))
    same = column == leeds.name
    assert at.radio(key="upload_polarity").value == ("higher_better" if same else None)
    assert ("Hotspots and named clusters" in _headings(at)) == same


# ----------------------------------------------------------------------------- refusals
@pytest.mark.parametrize("data", [b"name,value\nfoo,bar\n",
                                  b"code,value\nE01011229,1\nE01011229,2\nE01011230,3\n"])
def test_a_refusal_is_a_message_and_nothing_is_drawn(store, data):
    from geo.upload.reader import read_upload, upload_known_codes

    with pytest.raises(InputError) as refused:
        read_upload(data, known_codes=upload_known_codes())
    at = _upload(_page(), "bad.csv", data)
    (error,) = at.error
    assert error.value.startswith("This file cannot be mapped: ")
    assert _plain(error.value).endswith(str(refused.value))
    assert _maps(at) == [] and len(at.radio) == 0 and not at.exception


@pytest.mark.parametrize("kind", ["few", "one value"])
def test_no_hotspots_get_the_map_and_the_reason(leeds, kind):
    from geo.analysis.upload import hotspot_reason

    values = leeds.iloc[:12] if kind == "few" else leeds.iloc[:40] * 0 + 5.0
    at = _answer(_upload(_page(), "small.csv", _csv(values)), "higher_worse")
    reason = hotspot_reason(values, "lsoa21")
    assert reason and f"No hotspots were tested: {reason}" in _text(at)
    (m,) = _maps(at)  # the values, and no bivariate map
    assert len(FEATURE.findall(m["script"])) == len(values)
    assert "Summaries by council and ward" in _headings(at)


def test_uploaded_text_never_reaches_the_page_as_html(leeds):
    label = "<img src=x onerror=alert(1)>"
    at = _answer(_upload(_page(), "x.csv", _csv(leeds.rename(label))), "higher_worse")
    for element in at.markdown:
        assert not element.proto.allow_html
    for element in [*at.markdown, *at.info, *at.caption, *at.error, *at.success]:
        assert "<img" not in element.value.replace("\\<img", "")
    for m in _maps(at):
        assert "<img src=x" not in m["script"]
    assert label in _text(at)  # shown, as text
    at.toggle(key="upload_readme").set_value(True).run()
    (readme,) = at.code  # plain text, the name as written
    assert readme.value.startswith(f"oppmap analysis of your data: {label}\n")
    assert "&lt;" not in readme.value and f'indicator: "{label}"' in readme.value


# ----------------------------------------------------------------------------- other levels
def test_council_values_are_ranked_and_compared_with_neighbours(store, mirror):
    from geo.analysis.upload import analyse_upload

    neet = pd.read_csv(mirror / "opportunity" / "dfe_neet_participation_16_17_la_2025.csv",
                       dtype=str)
    lads = boundaries.load("lad24")
    rows = neet[neet["new_la_code"].isin(lads.index)]
    values = pd.to_numeric(rows.set_index("new_la_code")["NEET_percent"], errors="coerce")
    at = _answer(_upload(_page(), "neet.csv", _csv(values.rename("NEET %"))), "higher_worse")
    worst = values.idxmax()
    assert f"Worst of {values.notna().sum():,} councils: {lads.at[worst, 'name']}" in _text(at)
    assert "Ranks and statistical neighbours" in _headings(at)
    expected = analyse_upload(values, level="lad24", polarity="higher_worse")
    peers = [worst, *expected.councils.at[worst, "neighbours"].split(";")]
    near = [d.value for d in at.dataframe if list(d.value.columns) == ["name", "value", "rank"]
            and len(d.value) < len(values)]  # not the map's table of every council
    assert [list(f.index) for f in near] == [peers]  # the worst first, then its neighbours  # the worst first, then its neighbours
    assert "Hotspots are tested for small areas" in _text(at)


def test_lsoa_2011_codes_are_carried_with_their_report(store, mirror):
    from geo.analysis.upload import upload_for_analysis
    from geo.data.indicators import load_lookup
    from geo.upload.reader import read_upload, upload_known_codes

    lookup = load_lookup("lsoa11_lsoa21")
    codes = lookup.loc[lookup["lsoa21_code"].isin(_lsoas(LEEDS)), "lsoa11_code"].unique()
    imd = pd.read_csv(mirror / "deprivation" / "imd2019_england_lsoa11.csv",
                      index_col="lsoa11_code")["IMD_rank"].reindex(codes)
    data = _csv(imd.rename("imd_rank"), "LSOA11CD")
    carried = upload_for_analysis(read_upload(data, known_codes=upload_known_codes()))
    at = _upload(_page(), "lsoa11.csv", data)
    text = _text(at)
    assert "rows matched LSOAs (2011), carried to LSOAs (2021)" in text
    for message in carried.carry.messages:
        assert message in text
    _answer(at, "higher_better")
    assert f"of the {carried.table['imd_rank'].notna().sum():,} LSOAs tested" in _text(at)


def test_data_zones_are_summarised_by_council_only(store, mirror):
    from geo.analysis.upload import analyse_upload

    zones = boundaries.load("dz11")
    glasgow = zones.index[zones["lad24_code"] == GLASGOW]
    simd = pd.read_csv(mirror / "deprivation" / "imd2020_scotland_dz11.csv",
                       index_col="dz11_code")["Education_rank"].reindex(glasgow)
    at = _answer(_upload(_page(), "glasgow.csv", _csv(simd)), "higher_better")
    expected = analyse_upload(simd.astype(float), level="dz11", polarity="higher_better")
    counts = expected.areas["outcome"].value_counts()
    text = _text(at)
    assert f"{counts['worse cluster']:,} are in worse clusters" in text
    assert "Data zones are summarised by council only" in text
    assert "Summaries by council" in _headings(at)
    assert [t.label for t in at.tabs] == ["Councils (2024)"]
    assert np.isclose(_frame(at, "average", index="lad24_code").loc[GLASGOW, "average"], simd.mean())


def test_england_and_wales_together_use_the_composite_index_and_an_island_is_not_tested(store):
    from geo.analysis.upload import analyse_upload

    lsoa = boundaries.load("lsoa21")  # Cardiff, Newport, Bristol and the Isles of Scilly
    codes = lsoa.index[lsoa["lad24_code"].isin(["W06000015", "W06000022", "E06000023",
                                                 "E06000053"])]
    values = geo.load_indicators("census21_deprivation")["households_deprived_2plus_pct"]
    values = values.reindex(codes).rename("deprived")
    at = _answer(_upload(_page(), "ew.csv", _csv(values)), "higher_worse")
    expected = analyse_upload(values, level="lsoa21", polarity="higher_worse")
    text = _text(at)
    x_label = expected.scatter.attrs["x_label"]
    assert expected.scatter.attrs["measure"].startswith("ukimd")  # the library's choice
    assert f"Your values against {x_label} around each area" in text
    for label in expected.correlations.drop_duplicates("index")["label"]:
        assert label in text  # each nation's own index, and the composite one
    scilly = lsoa.index[lsoa["lad24_code"] == "E06000053"]
    assert (expected.areas.loc[scilly, "outcome"] == "not tested").all()
    n = int((expected.areas["outcome"] == "not tested").sum())
    assert f"; {n:,} {'was' if n == 1 else 'were'} not tested" in text
