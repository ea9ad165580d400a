"""The source registry: every entry complete, ids unique, metadata valid, errors clear."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo import catalogue
from geo._errors import OppmapError, SchemaError, SourceMissingError
from geo.data.sources import (
    LIFE_STAGES,
    PRINCIPLES,
    attribution_lines,
    dataset,
    registry,
    source_path,
)


def test_registry_entries_are_complete():
    reg = registry()
    assert len(reg) >= 30
    for ident, entry in reg.items():
        assert entry["url"].startswith("https://"), ident
        assert entry["landing"].startswith("https://"), ident
        assert entry["licence"] in ("OGL-UK-3.0", "CC-BY-4.0"), ident
        assert entry["file"].count("/") == 1, ident


def test_catalogue_covers_every_life_stage_and_principle():
    cat = catalogue()
    assert cat.index.is_unique
    assert set(cat["life_stage"]) == set(LIFE_STAGES)
    assert set(cat["principle"]) == set(PRINCIPLES)
    assert cat.loc["iod2025.imd_score", "polarity"] == "higher_worse"
    assert cat.loc["neet2025.neet_percent", "level"] == "utla24"
    assert cat.loc["iod2019.imd_decile", "level"] == "lsoa21"  # carried to LSOA 2021


def test_unknown_dataset_lists_valid_ids():
    with pytest.raises(OppmapError, match="valid ids: .*iod2025"):
        dataset("iod2042")


def test_missing_source_file_names_dataset_file_and_fix(tmp_path: Path):
    with pytest.raises(SourceMissingError, match=r"iod2025.*imd2025_england_lsoa21\.csv.*OPPMAP_DATA"):
        source_path("iod2025", source=tmp_path)


def test_no_source_at_all_points_to_oppmap_data(monkeypatch):
    monkeypatch.delenv("OPPMAP_DATA", raising=False)
    with pytest.raises(SourceMissingError, match="set OPPMAP_DATA"):
        source_path("iod2025")


def test_attribution_lines_follow_the_datasets():
    lines = attribution_lines(["lsoa21_bsc"])
    assert lines == [
        "Source: Office for National Statistics licensed under the Open Government Licence "
        "v.3.0. Contains OS data © Crown copyright and database right 2024."
    ]
    assert len(attribution_lines(["lsoa21_bsc", "neet2025"])) == 2


def test_invalid_registry_reports_every_problem(tmp_path: Path):
    bad = tmp_path / "sources.toml"
    bad.write_text(
        '[attribution]\nons = "x"\n'
        '[[dataset]]\nid = "a"\nkind = "indicators"\n'
        '[[dataset]]\nid = "b"\nkind = "weird"\ntitle = "t"\npublisher = "p"\nlicence = "l"\n'
        'attribution = "ons"\nurl = "u"\nlanding = "l"\nvintage = "v"\nlevel = "x"\nfile = "f"\n'
        'format = "csv"\ncode_column = "c"\n'
        '[dataset.indicators]\nfoo = { label = "l", unit = "u", polarity = "sideways", '
        'life_stage = "school", principle = "equity" }\n'
    )
    with pytest.raises(SchemaError) as err:
        registry(bad)
    text = str(err.value)
    assert "'a' lacks keys" in text
    assert "kind 'weird'" in text
    assert "polarity 'sideways'" in text
