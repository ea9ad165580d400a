"""The command line for every nation: council exports, level exports, summaries, catalogue, report.

Tried as a council officer would, for one council of each nation, through ``python -m geo``.
Every expected value is read from the store independently of the export (``boundaries.load``,
``geo.data.indicators.load_indicators``, ``index_summaries``, the registry), never copied from a
run. The fast tests at the top need no store.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from numpy.testing import assert_allclose

from geo.data.sources import NATIONS, attribution_lines, registry

REPO = Path(__file__).resolve().parents[1]

MYSOCIETY = "Contains data from mySociety (CC BY 4.0)"

#: One council of each nation, and a column of its own index that the export must carry.
COUNCILS = {
    "E": ("E06000001", "iod2025", "imd_score"),     # Hartlepool
    "W": ("W06000015", "wimd2019", "wimd_score"),   # Cardiff
    "S": ("S12000049", "simd2020", "simd_rank"),    # Glasgow City
    "N": ("N09000003", "nimdm2017", "nimdm_extent"),  # Belfast
}


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "geo", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=600)


def _flat(text: str) -> str:
    """README text with its wrapping undone, to look for a sentence in it."""
    return " ".join(text.split())


def _publisher_line(nation: str) -> str:
    """The attribution line that names the publisher of a nation's own index (registry facts)."""
    from geo.data.nations import index_of_nation, index_spec

    publisher = registry()[index_spec(index_of_nation(nation))["dataset"]]["publisher"]
    return next(line for line in attribution_lines([index_spec(index_of_nation(nation))["dataset"]])
                if publisher in line)


# ----------------------------------------------------------------------------- no store needed
def test_attribution_names_each_nations_publisher_and_mysociety():
    from geo.data.nations import comparable_datasets, national_indices

    for spec in national_indices().values():
        entry = registry()[spec["dataset"]]
        lines = attribution_lines([spec["dataset"]])
        assert any(entry["publisher"] in line and "Open Government Licence" in line
                   for line in lines), spec["dataset"]
        others = {registry()[s["dataset"]]["publisher"] for s in national_indices().values()}
        others.discard(entry["publisher"])
        assert not any(p in line for p in others for line in lines), spec["dataset"]
    for ident in comparable_datasets():
        assert MYSOCIETY in attribution_lines([ident]), ident
    # the lines of a dataset that is none of theirs are unchanged
    assert len(attribution_lines(["neet2025"])) == 1


def test_readme_shows_nation_and_wrapped_notes():
    from geo.export.metadata import readme_text

    note = "word " * 60
    text = readme_text({"attribution": ["A"], "nation": "Wales", "notes": [note.strip(), "two"]},
                       name="x.csv")
    head, _, rest = text.partition("\nNotes:\n")
    assert "Nation: Wales" in head
    body = rest.split("\n\nAttribution:")[0].splitlines()
    assert all(len(line) <= 100 for line in body)
    assert body[0].startswith("  - word") and body[-1] == "  - two"
    assert _flat(" ".join(body)).count("word") == 60


def test_summaries_refuse_a_geography_the_index_lacks_in_one_line(tmp_path):
    out = tmp_path / "s.csv"
    result = run("summaries", "--index", "nimdm2017", "--geography", "utla24", "--out", str(out))
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert "nimdm2017" in result.stderr and not out.exists()
    result = run("summaries", "--index", "simd", "--out", str(out))
    assert result.returncode == 2 and "did you mean simd2020" in result.stderr


# ----------------------------------------------------------------------------- council exports
def _council_areas(code: str):
    """The council's small areas from the store: LSOAs, data zones, or the council itself."""
    import boundaries
    from geo.data.nations import index_of_nation, index_spec

    level = index_spec(index_of_nation(code)).get("map_level")
    if not level:
        return boundaries.load("lad24").loc[[code]], "lad24"
    areas = boundaries.load(level)
    return areas[areas["lad24_code"] == code], level


def _dataset_of(key: str) -> str | None:
    return key.split(".", 1)[0] if "." in key else None


@pytest.mark.real
@pytest.mark.parametrize("nation", list(COUNCILS))
def test_council_export_of_each_nation_holds_its_areas_and_own_index(store, tmp_path, nation):
    from geo.data.indicators import catalogue, load_indicators

    code, index, column = COUNCILS[nation]
    out = tmp_path / f"{code}.geojson"
    result = run("export", "--council", code, "--out", str(out))
    assert result.returncode == 0, result.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    areas, level = _council_areas(code)
    ids = [f["id"] for f in doc["features"]]
    assert sorted(ids) == sorted(areas.index) and len(ids) == len(areas) > 0
    props = {f["id"]: f["properties"] for f in doc["features"]}
    # a value read back equals the stored value
    stored = load_indicators(index)[column]
    for area in ids[:25]:
        assert_allclose(props[area][f"{index}.{column}"], stored.loc[area], rtol=1e-12)
    # no column is empty for the whole council, and every dataset column covers its nation
    keys = set().union(*(p.keys() for p in props.values()))
    assert not [k for k in keys if all(p.get(k) is None for p in props.values())]
    cat = catalogue()
    covers = cat.groupby("dataset")["nations"].first().str.split(";")
    for key in keys:
        ds = _dataset_of(key)
        if ds in covers.index:
            assert nation in covers[ds], key
    assert any(_dataset_of(k) and _dataset_of(k).startswith("ukimd") for k in keys)
    readme = (tmp_path / f"{code}.geojson.README.txt").read_text(encoding="utf-8")
    _check_sources(doc["oppmap"], readme, nation=nation, level=level)


def _check_sources(meta: dict, readme: str, *, nation: str, level: str) -> None:
    """The sources and attribution of an export belong to its nation (registry facts)."""
    from geo.data.nations import national_indices

    reg = registry()
    for source in meta["sources"]:
        entry = reg[source["id"]]
        if "nations" in entry:
            assert nation in entry["nations"], source["id"]
        assert entry["title"] in readme, source["id"]
    own = {spec["nation"]: spec["dataset"] for spec in national_indices().values()}
    for other, ident in own.items():
        assert (reg[ident]["title"] in readme) == (other == nation), (other, ident)
    assert _publisher_line(nation) in meta["attribution"]
    for line in meta["attribution"]:
        assert line in readme
    if any(reg[s["id"]]["publisher"] == "mySociety" for s in meta["sources"]):
        assert MYSOCIETY in meta["attribution"]
    assert f"Nation: {NATIONS[nation]}" in readme and f"Level: {level}" in readme
    assert "not comparable" in _flat(readme)


@pytest.mark.real
def test_welsh_export_carries_the_lookup_rule_census_and_composite(store, tmp_path):
    from geo.data.indicators import load_indicators

    code = COUNCILS["W"][0]
    out = tmp_path / "cardiff.csv"
    assert run("export", "--council", code, "--out", str(out)).returncode == 0
    table = pd.read_csv(out, index_col=0)
    wimd = load_indicators("wimd2019").loc[table.index]
    assert (table["wimd2019.lookup_rule"] == wimd["lookup_rule"]).all()
    assert_allclose(table["wimd2019.wimd_rank"], wimd["wimd_rank"], rtol=1e-12)
    census = load_indicators("census21_deprivation").loc[table.index]
    assert_allclose(table["census21_deprivation.households_deprived_2plus_pct"],
                    census["households_deprived_2plus_pct"], rtol=1e-12)
    ukimd = load_indicators("ukimd_ew").loc[table.index]
    assert_allclose(table["ukimd_ew.uk_imd_score"], ukimd["uk_imd_score"], rtol=1e-12)
    compound = load_indicators("compound_wimd2019").loc[table.index]
    assert (table["compound_wimd2019.compounded"] == compound["compounded"]).all()
    assert not [c for c in table.columns if c.startswith(("iod2025", "simd2020", "compound."))]
    readme = _flat((tmp_path / "cardiff.csv.README.txt").read_text(encoding="utf-8"))
    from geo.stats.carry import LOOKUP_RULES

    for rule in set(wimd["lookup_rule"]):
        assert f"{rule} = {LOOKUP_RULES[rule]}" in readme


@pytest.mark.real
def test_northern_irish_export_is_the_council_with_its_council_figures(store, tmp_path):
    import geopandas as gpd

    import boundaries
    from geo.data.indicators import load_indicators
    from geo.data.nations import index_spec

    code = COUNCILS["N"][0]
    out = tmp_path / "belfast.geojson"
    assert run("export", "--council", code, "--out", str(out)).returncode == 0
    back = gpd.read_file(out).set_index("code")
    assert list(back.index) == [code]
    nimdm = load_indicators("nimdm2017").loc[code]
    for column, value in nimdm.items():
        assert_allclose(back.loc[code, f"nimdm2017.{column}"], value, rtol=1e-12)
    assert_allclose(back.loc[code, "ukimd_la.uk_imd_score"],
                    load_indicators("ukimd_la").loc[code, "uk_imd_score"], rtol=1e-12)
    outline = boundaries.load("lad24").loc[code, "geometry"]
    assert_allclose(back.to_crs(27700).area.iloc[0], outline.area, rtol=1e-4)
    readme = _flat((tmp_path / "belfast.geojson.README.txt").read_text(encoding="utf-8"))
    assert "There are no small areas for Northern Ireland in the mirror" in readme
    assert _flat(index_spec("nimdm2017")["small_areas"]) in readme


@pytest.mark.real
def test_every_welsh_scottish_and_irish_council_exports_only_its_nations_columns(store):
    """Library level (the CLI's table) for every council of three nations, and a few English."""
    import warnings

    from geo.council import council_export
    from geo.data.indicators import catalogue
    from geo.data.nations import index_of_nation, index_spec
    from geo.export.tables import council_names

    covers = catalogue().groupby("dataset")["nations"].first().str.split(";")
    names = council_names()
    chosen = [c for c in names if c[0] in "WSN"] + ["E06000053", "E09000001", "E07000008"]
    for code in chosen:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no unmatched codes, nothing left out silently
            table, meta = council_export(code)
        assert meta["council"]["name"] == names[code] and meta["council"]["code"] == code
        spec = index_spec(index_of_nation(code))
        assert any(c.startswith(f"{spec['dataset']}.") for c in table.columns), code
        datasets = {c.split(".", 1)[0] for c in table.columns if "." in c}
        assert all(code[0] in covers[d] for d in datasets if d in covers.index), code
        empty = [c for c in table.columns if c != "geometry" and table[c].isna().all()]
        assert empty == [], (code, empty)
        areas, _ = _council_areas(code)
        assert sorted(table.index) == sorted(areas.index), code


@pytest.mark.real
def test_council_is_found_by_name_and_any_of_361_codes_and_typos_get_suggestions(store, tmp_path):
    import boundaries
    from geo.cli.export import _council
    from geo.export.tables import council_names

    lad = boundaries.load("lad24")
    names = council_names()
    assert sorted(names) == sorted(lad.index) and len(names) == 361
    assert len(set(names.values())) == len(names)  # a name finds one council
    for code, _, _ in COUNCILS.values():
        assert _council(code.lower()) == code
        assert _council(f" {lad.loc[code, 'name'].upper()} ") == code
    out = tmp_path / "glasgow.csv"
    result = run("export", "--council", "Glasgow Cty", "--out", str(out))
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "did you mean S12000049 (Glasgow City)" in result.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- level exports
@pytest.mark.real
@pytest.mark.parametrize("level", ["dz11", "lad24", "lsoa21", "utla24", "region",
                                   "lad24_detailed"])
def test_every_level_exports_with_the_sources_of_its_nations(store, tmp_path, level):
    import boundaries
    from geo.data.indicators import catalogue

    out = tmp_path / f"{level}.csv"
    result = run("export", "--level", level, "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr
    areas = boundaries.load(level)
    table = pd.read_csv(out, index_col=0, low_memory=False)
    assert sorted(table.index) == sorted(areas.index)
    present = set(areas["country"])
    covers = catalogue().groupby("dataset")["nations"].first().str.split(";")
    datasets = {c.split(".", 1)[0] for c in table.columns if "." in c}
    assert datasets and all(present & set(covers[d]) for d in datasets if d in covers.index)
    assert not [c for c in table.columns if table[c].isna().all()]
    readme = (tmp_path / f"{level}.csv.README.txt").read_text(encoding="utf-8")
    reg = registry()
    for ident in (i for i, e in reg.items() if e.get("nations") and i in datasets):
        assert reg[ident]["title"] in readme, ident
    if any(d.startswith("ukimd") for d in datasets):
        assert MYSOCIETY in readme
    for nation in present:
        if any(covers[d] == [nation] for d in datasets if d in covers.index):
            assert _publisher_line(nation) in readme, nation


@pytest.mark.real
def test_data_zone_export_is_scotlands_with_simd_values(store, tmp_path):
    import boundaries
    from geo.data.indicators import load_indicators

    out = tmp_path / "dz.geojson"
    assert run("export", "--level", "dz11", "--out", str(out)).returncode == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert len(doc["features"]) == len(boundaries.load("dz11"))
    simd = load_indicators("simd2020")
    some = doc["features"][:: max(1, len(doc["features"]) // 50)]
    assert all(f["properties"]["simd2020.simd_rank"] == simd.loc[f["id"], "simd_rank"]
               for f in some)
    ids = {s["id"] for s in doc["oppmap"]["sources"]}
    assert {"dz11_scotland", "simd2020", "ukimd_s"} <= ids
    assert not ids & {"iod2025", "wimd2019", "lsoa21_bsc"}


# ----------------------------------------------------------------------------- summaries
@pytest.mark.real
@pytest.mark.parametrize("index", ["wimd2019", "simd2020", "nimdm2017"])
def test_summaries_of_each_nation_are_its_stored_council_summaries(store, tmp_path, index):
    from geo.data.nations import index_spec, index_summaries
    from geo.data.sources import dataset

    out = tmp_path / f"{index}.csv"
    result = run("summaries", "--index", index, "--out", str(out))
    assert result.returncode == 0, result.stderr
    written = pd.read_csv(out, index_col=0)
    stored = index_summaries(index)
    assert written.index.name == "lad24_code" and sorted(written.index) == sorted(stored.index)
    assert (written["lad24_name"] == stored["name"].reindex(written.index)).all()
    numbers = [c for c in stored.columns if c != "name"]
    assert_allclose(written[numbers].to_numpy(float),
                    stored.loc[written.index, numbers].to_numpy(float), rtol=1e-12)
    spec = index_spec(index)
    assert {c[0] for c in written.index} == {spec["nation"]}
    readme = _flat((tmp_path / f"{index}.csv.README.txt").read_text(encoding="utf-8"))
    for fact in (spec["title"], dataset(spec["dataset"])["vintage"], spec["small_areas"],
                 spec["weights"]):
        assert _flat(fact) in readme, fact
    assert "not comparable across England, Wales, Scotland and Northern Ireland" in readme
    assert _publisher_line(spec["nation"]) in readme
    if "weights_table" not in spec and "native_table" in spec:  # Scotland: equal weights
        assert re.search(r"proportion and extent: the Scottish Government's published figures",
                         readme)
        assert re.search(r"no data-zone population, so every data zone counts the same", readme)


@pytest.mark.real
def test_country_summaries_are_one_row_for_the_nation(store, tmp_path):
    from geo.data.nations import NATION_CODES, index_summaries

    out = tmp_path / "wales.csv"
    assert run("summaries", "--index", "wimd2019", "--geography", "country",
               "--out", str(out)).returncode == 0
    written = pd.read_csv(out, index_col=0)
    assert list(written.index) == [NATION_CODES["W"]]
    stored = index_summaries("wimd2019", geography="country")
    assert_allclose(written.loc[NATION_CODES["W"], "wimd_extent"],
                    stored.loc[NATION_CODES["W"], "wimd_extent"], rtol=1e-12)


# ----------------------------------------------------------------------------- catalogue, report
@pytest.mark.real
def test_catalogue_shows_nations_and_report_each_nations_coverage(store):
    import boundaries
    from geo.data.indicators import catalogue
    from geo.data.nations import national_indices

    result = run("catalogue")
    assert result.returncode == 0
    header, *rows = result.stdout.splitlines()
    assert header.split()[:6] == ["id", "level", "unit", "polarity", "vintage", "nations"]
    cat = catalogue()
    by_id = {r.split()[0]: r for r in rows}
    for ident in ("wimd2019.wimd_score", "simd2020.simd_rank", "ukimd_la.uk_imd_score",
                  "nimdm2017.nimdm_extent", "iod2025.imd_score"):
        assert f"  {cat.loc[ident, 'nations']}  " in by_id[ident], ident
    report = run("report")
    assert report.returncode == 0
    councils = boundaries.load("lad24")["country"].value_counts()
    lines = report.stdout.splitlines()
    for ident, spec in national_indices().items():
        line = next(x for x in lines if x.startswith(f"  {spec['nation']} {NATIONS[spec['nation']]}:"))
        assert f": {ident} ({spec['title']}" in line
        assert f"; {councils[spec['nation']]} councils;" in line
        if spec.get("map_level"):
            small = boundaries.load(spec["map_level"])["country"].value_counts()[spec["nation"]]
            assert f"[{small} on {spec['map_level']}]" in line
    as_json = json.loads(run("report", "--json").stdout)
    assert set(as_json["nation_coverage"]) == set(NATIONS)
