"""The store built from the real mirror: counts, vintage rules, atomic builds, bad input."""

from __future__ import annotations

import json
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import boundaries
import geo
from boundaries._errors import RepairedGeometryWarning
from boundaries._store import STORE_FORMAT, read_manifest
from geo._errors import DuplicateCodeError, SchemaError, StoreError, VintageError
from geo.data.readers import read_source_table

pytestmark = pytest.mark.real


@pytest.fixture(scope="module")
def report(store: Path) -> dict:
    return json.loads((store / "report.json").read_text())


def test_levels_have_the_official_counts(store):
    lad = boundaries.load("lad24")
    assert len(lad) == 361
    assert lad["country"].value_counts().to_dict() == {"E": 296, "S": 32, "W": 22, "N": 11}
    assert len(boundaries.load("lad24_detailed")) == 318
    lsoa = boundaries.load("lsoa21")
    assert len(lsoa) == 35_672
    assert (lsoa["country"] == "E").sum() == 33_755
    assert (lsoa["country"] == "W").sum() == 1_917
    utla = boundaries.load("utla24")
    assert (utla["country"] == "E").sum() == 153
    assert len(boundaries.load("region")) == 9
    assert len(boundaries.load("dz11")) == 6_976
    for level in boundaries.levels():
        gdf = boundaries.load(level)
        assert gdf.crs.to_epsg() == 27700, level
        assert gdf.index.name == boundaries.index_name(level)
        assert gdf.index.is_unique, level
        assert gdf.geometry.is_valid.all(), level


def test_every_english_lsoa_has_its_parents(store):
    lsoa = boundaries.load("lsoa21")
    eng = lsoa[lsoa["country"] == "E"]
    for col in ("lad24_code", "ward24_code", "ward24_name", "utla24_code", "region_code"):
        assert eng[col].notna().all(), col
    # Bradford's LSOAs sit in West Yorkshire, a combined authority, in Yorkshire and The Humber.
    brad = eng[eng["lad24_code"] == "E08000032"]
    assert len(brad) > 300
    assert set(brad["region_code"]) == {"E12000003"}
    assert set(brad["cauth_code"]) == {"E47000003"}


def test_display_copies_are_wgs84_simplified_and_keep_shared_edges(store):
    full = boundaries.load("lad24")
    disp = boundaries.load("lad24", display="national")
    assert disp.crs.to_epsg() == 4326
    assert disp.index.equals(full.index)
    assert disp.geometry.is_valid.all()
    n_full = shapely.get_num_coordinates(full.geometry.values).sum()
    n_disp = shapely.get_num_coordinates(disp.geometry.values).sum()
    assert n_disp < 0.9 * n_full
    # Coverage-aware simplification: no overlaps between neighbours (areas add up to the union).
    proj = disp.to_crs(27700)
    gb = proj[proj["country"] != "N"]
    total = gb.area.sum()
    union = shapely.union_all(gb.geometry.values).area
    assert total == pytest.approx(union, rel=1e-4)


def test_build_report_counts(report):
    ds = report["datasets"]
    assert ds["iod2025"]["rows_joined"] == 33_755
    assert ds["iod2025"]["unmatched_codes"] == []
    neet = ds["neet2025"]
    assert neet["rows_read"] == 151 and neet["rows_joined"] == 151
    assert neet["absent_codes"] == ["E06000053", "E09000001"]
    assert "Isles of Scilly and City of London" in neet["absent_reason"]["E06000053"]
    assert sum(sum(v.values()) for v in neet["suppressed"].values()) > 0
    assert len(ds["iod2025"]["sha256"]) == 64
    assert report["levels"]["lad24"]["rows"] == 361


def test_iod2019_reaches_every_english_lsoa21_by_a_stated_rule(store, mirror):
    carried = geo.load_indicators("iod2019")
    assert len(carried) == 33_755
    assert carried["imd_rank"].notna().all()
    rules = carried["lookup_rule"].value_counts().to_dict()
    assert set(rules) <= {"U", "S", "M", "X"}
    assert rules["U"] > 31_000 and rules["S"] > 1_000 and rules["M"] > 90
    # An unchanged LSOA keeps its 2019 rank exactly.
    raw = pd.read_csv(mirror / "deprivation/imd2019_england_lsoa11.csv", index_col="lsoa11_code")
    unchanged = carried.index[carried["lookup_rule"] == "U"][:50]
    np.testing.assert_array_equal(carried.loc[unchanged, "imd_rank"], raw.loc[unchanged, "IMD_rank"])


def test_ks2_county_successors_carry_the_county_value(store, mirror):
    ks2 = geo.load_indicators("ks2_2022")
    raw = pd.read_csv(mirror / "opportunity/smc_son_IN12_ks2_attainment_by_la_disadvantage_2021_22.csv",
                      encoding="utf-8-sig")
    cumbria = raw[(raw["Area_code"] == "E10000006") & (raw["SEB"] == "Disadvantaged")]["Value"]
    expected = float(cumbria.iloc[0])
    assert ks2.loc["E06000063", "ks2_disadvantaged_pct"] == expected  # Cumberland
    assert ks2.loc["E06000064", "ks2_disadvantaged_pct"] == expected  # Westmorland and Furness
    assert "E10000006" not in ks2.index
    assert ks2.loc["E06000065", "ks2_gap_ppt"] == pytest.approx(
        ks2.loc["E06000065", "ks2_other_pct"] - ks2.loc["E06000065", "ks2_disadvantaged_pct"])


def test_neet_table_and_england_reference(store):
    neet = geo.load_indicators("neet2025")
    assert len(neet) == 151
    assert neet.index.name == "utla24_code"
    england = geo.load_indicators("neet2025_england")
    assert england["neet_percent"].iloc[0] == pytest.approx(3.4)
    assert england["cohort"].iloc[0] == 1_335_160
    assert len(geo.load_indicators("neet2025_regions")) == 9


def test_smc_composites_reach_every_uk_council(store):
    ci = geo.load_indicators("smc_ci1")
    assert len(ci) == 361
    # County areas reach their districts: Kent's districts share Kent's value.
    lad = boundaries.load("lad24")
    kent = lad.index[lad["utla24_code"] == "E10000016"]
    assert len(kent) == 12
    assert ci.loc[kent, "conditions_of_childhood_2018_2024"].nunique() == 1


def test_graphs_have_no_isolates_and_islands_are_flagged(store):
    g = boundaries.load_graph("lsoa21_en")
    lsoa = boundaries.load("lsoa21")
    eng = lsoa[lsoa["country"] == "E"]
    assert set(g.unique_ids) == set(eng.index)
    assert len(g.isolates) == 0
    scilly = eng.index[eng["lad24_code"] == "E06000053"]
    assert eng.loc[scilly, "island"].all()
    wight = eng.index[eng["lad24_code"] == "E06000046"]
    assert eng.loc[wight, "island"].all()
    lad = boundaries.load("lad24")
    for code in ("E06000046", "E06000053", "S12000023", "S12000027", "S12000013", "W06000001"):
        assert lad.loc[code, "island"], code
    assert len(boundaries.load_graph("lad24").isolates) == 0


def test_catalogue_indicators_all_load(store):
    cat = geo.catalogue()
    for ident in cat.index:
        values = geo.load_indicators(ident)
        assert values.shape[1] == 1, ident
        assert values[ident].notna().any(), ident


def test_rebuild_is_skipped_when_nothing_changed(store, mirror):
    from geo.data.build import build_store

    result = build_store(source=mirror, progress=None)
    assert result["skipped"] is True


def test_load_warm_lsoa_layer_is_quick_enough_to_be_interactive(store):
    # Not a timing assertion (machines are noisy; bench/ measures it): the loaded layer is a
    # fresh copy each time, so callers cannot corrupt the cache.
    a = boundaries.load("lsoa21")
    a["name"] = "changed"
    assert boundaries.load("lsoa21")["name"].iloc[0] != "changed"


def test_store_of_another_format_is_refused(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps({"store_format": STORE_FORMAT - 1}))
    with pytest.raises(StoreError, match="python -m geo data build"):
        read_manifest(tmp_path)
    (tmp_path / "manifest.json").unlink()
    with pytest.raises(StoreError, match="incomplete"):
        read_manifest(tmp_path)


def test_missing_store_says_how_to_build(tmp_path, monkeypatch):
    monkeypatch.setenv("OPPMAP_CACHE", str(tmp_path / "nothing"))
    with pytest.raises(StoreError, match="no store at .*python -m geo data build"):
        boundaries.load("lad24")


def _mirror_copy(mirror: Path, dest: Path) -> Path:
    """A mirror of symbolic links to the real files, so single files can be replaced."""
    for path in mirror.rglob("*"):
        if path.is_file():
            target = dest / path.relative_to(mirror)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(path, target)
    return dest


def test_failed_build_publishes_nothing_and_reports_mixed_vintages(tmp_path, monkeypatch, mirror):
    from geo.data.build import build_store

    cache = tmp_path / "cache"
    monkeypatch.setenv("OPPMAP_CACHE", str(cache))
    # A previous good store (stand-in) that must survive the failed build untouched.
    old = cache / "builds" / "old"
    old.mkdir(parents=True)
    (old / "manifest.json").write_text(json.dumps({"store_format": STORE_FORMAT, "fingerprint": "x"}))
    os.symlink(Path("builds") / "old", cache / "current")

    src = _mirror_copy(mirror, tmp_path / "mirror")
    lookup = pd.read_csv(mirror / "lookups/lookup_lsoa11_lsoa21_ltla22.csv")
    old_code = sorted(set(lookup["lsoa11_code"]) - set(lookup["lsoa21_code"]))[0]
    iod = pd.read_csv(mirror / "deprivation/imd2025_england_lsoa21.csv")
    bad = pd.concat([iod, iod.iloc[[0]].assign(lsoa21_code=old_code)])
    target = src / "deprivation/imd2025_england_lsoa21.csv"
    target.unlink()
    bad.to_csv(target, index=False)
    # expected_rows fails first with an extra row; keep the count right by dropping one row.
    bad.iloc[1:].to_csv(target, index=False)

    with pytest.raises(VintageError, match=old_code):
        build_store(source=src, progress=None, hotspots=False)
    assert (cache / "current").resolve() == old.resolve()
    assert sorted(p.name for p in (cache / "builds").iterdir()) == ["old"]


# ----------------------------------------------------------------------------- bad input (fast)

def _square(x: float, y: float, size: float = 1000.0) -> shapely.Polygon:
    return shapely.box(x, y, x + size, y + size)


def test_boundaries_with_missing_columns_list_expected_and_found(tmp_path):
    path = tmp_path / "b.gpkg"
    gpd.GeoDataFrame({"CODE": ["E01"], "geometry": [_square(0, 0)]}, crs=27700).to_file(path)
    with pytest.raises(SchemaError, match=r"missing; expected \['LSOA21CD', 'LSOA21NM'\], found \['CODE'\]"):
        boundaries.read_boundaries(path, columns={"LSOA21CD": "lsoa21_code", "LSOA21NM": "name"},
                                   code_column="lsoa21_code")


def test_boundaries_with_duplicate_codes_raise_with_the_codes(tmp_path):
    path = tmp_path / "b.gpkg"
    gpd.GeoDataFrame({"C": ["E1", "E1", "E2"], "N": ["a", "b", "c"],
                      "geometry": [_square(0, 0), _square(2000, 0), _square(4000, 0)]},
                     crs=27700).to_file(path)
    with pytest.raises(DuplicateCodeError, match="E1"):
        boundaries.read_boundaries(path, columns={"C": "code", "N": "name"}, code_column="code")


def test_invalid_geometries_are_repaired_and_counted(tmp_path):
    bowtie = shapely.Polygon([(0, 0), (1000, 1000), (1000, 0), (0, 1000), (0, 0)])
    path = tmp_path / "b.gpkg"
    gpd.GeoDataFrame({"C": ["E1", "E2"], "N": ["a", "b"], "geometry": [bowtie, _square(3000, 0)]},
                     crs=27700).to_file(path)
    with pytest.warns(RepairedGeometryWarning, match="repaired 1 invalid"):
        gdf, info = boundaries.read_boundaries(path, columns={"C": "code", "N": "name"},
                                               code_column="code")
    assert info["repaired"] == ["E1"]
    assert gdf.geometry.is_valid.all()
    assert gdf.loc["E1"].geometry.area == pytest.approx(500_000)


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "t.csv"
    path.write_text(text)
    return path


def test_indicator_csv_with_renamed_column_lists_expected_and_found(tmp_path):
    path = _csv(tmp_path, "lsoa21_code,population_all\nE01000001,5\n")
    with pytest.raises(SchemaError, match=r"lacks columns .*population_total.*found \['lsoa21_code', 'population_all'\]"):
        read_source_table("population", path)


def test_indicator_csv_with_duplicate_codes_raises_with_codes(tmp_path):
    header = "lsoa21_code,population_total,age_0_15,age_16_24,age_25_34,age_35_49,age_50_64,age_65_plus,age_16_64\n"
    path = _csv(tmp_path, header + "E01000001,5,1,1,1,1,1,0,4\nE01000001,6,1,1,1,1,1,1,4\n")
    with pytest.raises(DuplicateCodeError, match="E01000001"):
        read_source_table("population", path)


def test_indicator_csv_with_stray_text_is_refused_not_blanked(tmp_path):
    header = "lsoa21_code,population_total,age_0_15,age_16_24,age_25_34,age_35_49,age_50_64,age_65_plus,age_16_64\n"
    path = _csv(tmp_path, header + "E01000001,5,1,1,1,1,1,0,4\nE01000002,see note,1,1,1,1,1,1,4\n")
    with pytest.raises(SchemaError, match=r"population_total.*\['see note'\].*E01000002"):
        read_source_table("population", path)


def test_suppressed_markers_are_counted(tmp_path, mirror):
    raw = pd.read_csv(mirror / "opportunity/dfe_neet_participation_16_17_la_2025.csv", dtype=str)
    la = raw[raw["geographic_level"] == "Local authority"].copy()
    la.iloc[0, la.columns.get_loc("NEET_percent")] = "c"
    la.iloc[1, la.columns.get_loc("NEET_percent")] = "z"
    path = tmp_path / "neet.csv"
    la.to_csv(path, index=False)
    table, info = read_source_table("neet2025", path)
    assert info["suppressed"]["neet_percent"] == {"c": 1, "z": 1}
    assert table["neet_percent"].isna().sum() == 2


def test_publish_refuses_a_build_whose_files_are_missing(tmp_path, monkeypatch):
    from boundaries._store import new_build_dir, publish_build

    monkeypatch.setenv("OPPMAP_CACHE", str(tmp_path))
    tmp = new_build_dir()
    (tmp / "manifest.json").write_text(json.dumps({"store_format": STORE_FORMAT,
                                                   "files": ["indicators/iod2025.parquet"]}))
    with pytest.raises(StoreError, match="missing: \\['indicators/iod2025.parquet'\\]"):
        publish_build(tmp, "abc")
    assert not (tmp_path / "current").exists()


def test_concurrent_builds_take_turns(tmp_path, monkeypatch):
    import threading

    from boundaries._store import build_lock

    monkeypatch.setenv("OPPMAP_CACHE", str(tmp_path))
    events = []

    def worker(name):
        with build_lock():
            events.append(f"{name} in")
            threading.Event().wait(0.2)
            events.append(f"{name} out")

    threads = [threading.Thread(target=worker, args=(n,)) for n in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Each holder leaves before the other enters.
    assert events[0][0] == events[1][0] and events[2][0] == events[3][0]


def test_derived_tables_are_consistent(store):
    lad = geo.load_indicators("summary_lad24")
    assert len(lad) == 296
    assert lad.loc["E06000009", "imd_average_rank_rank"] == 1  # Blackpool
    eng = geo.load_indicators("summary_england")
    assert list(eng.index) == ["E92000001"]
    # By construction 10% of England's LSOAs are in its most deprived decile.
    assert eng["imd_proportion_most_deprived_10"].iloc[0] == pytest.approx(0.1, abs=1e-3)
    # England's population is the sum of its councils'.
    assert eng["population_2021"].iloc[0] == pytest.approx(lad["population_2021"].sum())
    compound = geo.load_indicators("compound")
    share = (compound["compounded"].sum() / len(compound))
    assert eng["compounded_share_lsoas"].iloc[0] == pytest.approx(share)


def test_lsoa_flags_carry_every_hotspot_run(store):
    from geo.data.indicators import load_lsoa_flags

    flags = load_lsoa_flags()
    assert len(flags) == 33_755
    for col in ("compounded", "persistent", "hotspot_gi_star_n_domains_worst_decile",
                "hotspot_gi_star_imd_score", "hotspot_local_moran_imd_score",
                "robust_gi_star_n_domains_worst_decile"):
        assert col in flags.columns, col
    gi = flags["hotspot_gi_star_n_domains_worst_decile"]
    long = geo.load_indicators("hotspots_lsoa21")
    stored = long[(long["method"] == "gi_star") & (long["indicator"] == "n_domains_worst_decile")]
    hot = stored["label"].astype(str).str.startswith("hot spot")
    # the wide flags are the stored run, area for area; and compounded disadvantage does cluster
    assert gi.str.startswith("hot spot").sum() == hot.sum() > 0
    assert set(gi.index[gi.str.startswith("hot spot")]) == set(stored.index[hot.to_numpy()])
    assert set(flags["hotspot_local_moran_imd_score"].dropna()) <= {
        "High-High", "Low-Low", "High-Low", "Low-High", "not significant",
        "island (not tested)"}
    clusters = geo.load_indicators("clusters")
    assert len(clusters) > 10
    # Islands are never significant on their own.
    lsoa = boundaries.load("lsoa21")
    scilly = lsoa.index[lsoa["lad24_code"] == "E06000053"]
    assert not gi.loc[scilly].str.startswith("hot spot").any()


def _code_tree(tmp_path: Path) -> Path:
    """A copy of the code the fingerprint covers (BUILD_CODE and the registry)."""
    import shutil

    from geo.data.build import BUILD_CODE, REPO

    for part in BUILD_CODE:
        src = REPO / part
        if src.is_dir():
            shutil.copytree(src, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (tmp_path / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, tmp_path / part)
    (tmp_path / "data").mkdir(exist_ok=True)
    shutil.copy2(REPO / "data" / "sources.toml", tmp_path / "data" / "sources.toml")
    return tmp_path


@pytest.mark.parametrize("package", ["geo/stats", "geo/data", "boundaries"])
def test_a_module_added_to_a_package_changes_the_code_fingerprint(tmp_path, monkeypatch, package):
    import geo.data.build as build

    tree = _code_tree(tmp_path)
    monkeypatch.setattr(build, "REPO", tree)
    monkeypatch.setattr(build, "REGISTRY_PATH", tree / "data" / "sources.toml")
    before = build.code_fingerprint()
    assert build.code_fingerprint() == before  # deterministic
    (tree / package / "new_statistic.py").write_text('"""A new module."""\n')
    after = build.code_fingerprint()
    assert after != before
    # moving the same code to another file name is a change too
    (tree / package / "new_statistic.py").rename(tree / package / "renamed.py")
    assert build.code_fingerprint() not in (before, after)


def test_the_registry_is_part_of_the_code_fingerprint(tmp_path, monkeypatch):
    import geo.data.build as build

    tree = _code_tree(tmp_path)
    monkeypatch.setattr(build, "REPO", tree)
    monkeypatch.setattr(build, "REGISTRY_PATH", tree / "data" / "sources.toml")
    before = build.code_fingerprint()
    with (tree / "data" / "sources.toml").open("a") as fh:
        fh.write("\n# a comment\n")
    assert build.code_fingerprint() != before
