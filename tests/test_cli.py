"""The ``python -m geo`` command line: data commands, exit codes and messages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def run(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    import os

    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "geo", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)


def test_help_lists_every_command():
    out = run("--help").stdout
    for cmd in ("data", "assets", "catalogue", "report", "summaries", "hotspots", "clusters",
                "export", "raster", "zonal", "map-upload"):
        assert cmd in out, cmd


def test_build_without_source_on_missing_mirror_exits_2_with_fix(tmp_path):
    result = run("data", "build", "--source", str(tmp_path / "nowhere"),
                 env_extra={"OPPMAP_CACHE": str(tmp_path / "cache")})
    assert result.returncode == 2
    assert "not a directory" in result.stderr and "OPPMAP_DATA" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "cache" / "current").exists()


def test_build_with_a_missing_file_names_dataset_and_publishes_nothing(tmp_path, mirror):
    src = tmp_path / "mirror"
    for path in mirror.rglob("*"):
        if path.is_file() and path.name != "dfe_neet_participation_16_17_la_2025.csv":
            target = src / path.relative_to(mirror)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(path)
    result = run("data", "build", "--source", str(src), "--no-hotspots",
                 env_extra={"OPPMAP_CACHE": str(tmp_path / "cache")})
    assert result.returncode == 2
    assert "neet2025" in result.stderr
    assert "dfe_neet_participation_16_17_la_2025.csv" in result.stderr
    assert "data fetch" in result.stderr
    assert not (tmp_path / "cache" / "current").exists()


@pytest.mark.real
def test_build_is_skipped_when_unchanged_and_report_prints(store, mirror):
    result = run("data", "build", "--source", str(mirror))
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout
    report = run("report")
    assert report.returncode == 0
    assert "iod2025" in report.stdout and "33755" in report.stdout


@pytest.mark.real
def test_catalogue_writes_csv(store, tmp_path):
    out = tmp_path / "cat.csv"
    assert run("catalogue", "--out", str(out)).returncode == 0
    text = out.read_text()
    assert "iod2025.imd_score" in text and "life_stage" in text


@pytest.mark.real
def test_council_export_carries_flags_hotspots_and_provenance(store, tmp_path):
    import json

    from geo.export._rfc7946 import rfc7946_problems

    out = tmp_path / "bradford.geojson"
    result = run("export", "--council", "E08000032", "--out", str(out))
    assert result.returncode == 0, result.stderr
    doc = json.loads(out.read_text())
    assert rfc7946_problems(doc) == []
    assert "crs" not in doc
    assert len(doc["features"]) == 312
    props = doc["features"][0]["properties"]
    for key in ("lsoa21_code", "name", "ward24_name", "iod2025.imd_score", "compounded",
                "persistent", "hotspot_gi_star_n_domains_worst_decile",
                "hotspot_local_moran_imd_score"):
        assert key in props, key
    labels = {f["properties"]["hotspot_gi_star_n_domains_worst_decile"] for f in doc["features"]}
    assert any(str(lab).startswith("hot spot") for lab in labels)
    meta = doc["oppmap"]
    from geo.data.build import HOTSPOT_PARAMS

    assert meta["method"]["seed"] == HOTSPOT_PARAMS["seed"]
    assert meta["method"]["permutations"] == HOTSPOT_PARAMS["permutations"]
    assert any("Open Government Licence" in line for line in meta["attribution"])
    # Same inputs, byte-identical output.
    again = tmp_path / "again.geojson"
    assert run("export", "--council", "E08000032", "--out", str(again)).returncode == 0
    assert again.read_bytes() == out.read_bytes()


@pytest.mark.real
def test_export_of_unknown_council_exits_2_and_writes_nothing(store, tmp_path):
    out = tmp_path / "x.geojson"
    result = run("export", "--council", "E99999999", "--out", str(out))
    assert result.returncode == 2
    assert "E99999999" in result.stderr
    assert not out.exists()
