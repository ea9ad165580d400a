"""The ``python -m geo`` command line: data commands, exit codes, messages and the convention
that every command follows (geo.cli._common)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
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


@pytest.mark.real
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
    for key in ("lsoa21_code", "name", "ward24_name", "iod2025.imd_score", "compound.compounded",
                "compound.persistent", "hotspot_gi_star_n_domains_worst_decile",
                "outcome_gi_star_n_domains_worst_decile", "bin_gi_star_n_domains_worst_decile",
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


# ----------------------------------------------------------------------------- the convention
#: Commands whose modules follow geo.cli._common today (hotspots and clusters adopt it next).
CONVENTION_COMMANDS = ("data build", "data fetch", "assets", "catalogue", "report", "summaries",
                       "export", "raster", "zonal", "map-upload", "hotspots", "clusters",
                       "analyse")


def _subparsers(parser: argparse.ArgumentParser, prefix: str = ""):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield f"{prefix}{name}", sub
                yield from _subparsers(sub, f"{prefix}{name} ")


def test_version_comes_from_pyproject(capsys):
    from geo.cli.parser import main

    with open(REPO / "pyproject.toml", "rb") as fh:
        version = tomllib.load(fh)["project"]["version"]
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"oppmap {version}\n"
    result = run("--version")
    assert result.returncode == 0 and result.stdout == f"oppmap {version}\n"


def test_every_option_help_names_its_default():
    from geo.cli._common import HelpFormatter
    from geo.cli.parser import build_parser

    commands = dict(_subparsers(build_parser()))
    missing = []
    for command in CONVENTION_COMMANDS:
        sub = commands[command]
        formatter = HelpFormatter(prog=command)
        one_of = {a for g in sub._mutually_exclusive_groups if g.required for a in g._group_actions}
        for action in sub._actions:
            if not action.option_strings or action.required or action.dest == "help":
                continue  # positionals, required options, --help
            if action in one_of:  # one of a required group: the help says so
                assert "required" in (action.help or ""), (command, action.option_strings)
                continue
            text = formatter._get_help_string(action) or ""
            if "default" not in text.lower():
                missing.append(f"{command} {action.option_strings[0]}")
    assert not missing, f"options whose help does not name the default: {missing}"


def test_every_writer_has_out_and_force():
    from geo.cli.parser import build_parser

    commands = dict(_subparsers(build_parser()))
    for command in ("catalogue", "summaries", "export", "raster", "zonal", "map-upload"):
        options = {o for a in commands[command]._actions for o in a.option_strings}
        assert {"--out", "--force"} <= options, command


def test_argument_errors_are_one_line_with_did_you_mean(capsys):
    from geo.cli.parser import main

    assert main(["zonal", "--raster", "x.tif", "--level", "lad", "--out", "z.csv"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: python -m geo zonal: ")
    assert "'lad' is not a level; did you mean lad24" in err
    assert main(["nosuchcommand"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_did_you_mean_and_check_output(tmp_path):
    from geo._errors import InputError
    from geo.cli._common import check_output, did_you_mean

    ids = [f"iod2025.{c}_{k}" for c in ("imd", "income", "health") for k in ("score", "rank")]
    assert did_you_mean(" IOD2025.IMD_RANK ", ids, what="in the catalogue") == "iod2025.imd_rank"
    with pytest.raises(InputError) as info:
        did_you_mean("iod2025.imd_scor", ids * 100, what="in the catalogue", option="--indicator")
    message = str(info.value)
    assert "did you mean iod2025.imd_score," in message
    assert len(message) < 300  # the closest few, never every id
    councils = {"E08000003": "Manchester", "E08000032": "Bradford"}
    with pytest.raises(InputError, match=r"did you mean E08000003 \(Manchester\)"):
        did_you_mean("manchester", councils, what="a council")
    existing = tmp_path / "a.csv"
    existing.write_text("x\n")
    with pytest.raises(InputError, match="exists; add --force"):
        check_output(existing, suffixes=(".csv",))
    assert check_output(existing, force=True, suffixes=(".csv",)) == existing
    with pytest.raises(InputError, match=r"does not exist; create it first \(mkdir -p"):
        check_output(tmp_path / "no" / "a.csv")
    with pytest.raises(InputError, match="must end in one of"):
        check_output(tmp_path / "a.txt", suffixes=(".csv",))
    with pytest.raises(InputError, match="is a folder"):
        check_output(tmp_path)


def _refusals(tmp_path: Path, src: Path) -> dict[str, list[str]]:
    taken = tmp_path / "taken.csv"
    return {
        "unknown indicator": ["raster", "--indicator", "iod2025.imd_scor", "--out",
                              str(tmp_path / "r.tif")],
        "unknown hotspot run": ["raster", "--indicator", "hotspot:gi_star_imd", "--out",
                                str(tmp_path / "r.tif")],
        "unknown council": ["export", "--council", "E0800003", "--out", str(tmp_path / "c.csv")],
        "unknown level": ["export", "--level", "lsoa", "--out", str(tmp_path / "l.csv")],
        "existing output": ["export", "--level", "lad24", "--out", str(taken)],
        "missing folder": ["summaries", "--out", str(tmp_path / "no" / "s.csv")],
        "wrong suffix": ["catalogue", "--out", str(tmp_path / "cat.txt")],
        "missing raster": ["zonal", "--raster", str(tmp_path / "none.tif"), "--level", "lad24",
                           "--out", str(tmp_path / "z.csv")],
        "existing upload output": ["map-upload", str(src), "--out", str(tmp_path / "taken.csv")],
        # 100 billion permutations used to be OOM-killed (exit 137)
        "too many permutations (analyse)": [
            "analyse", str(src), "--column", "value", "--polarity", "higher_worse",
            "--permutations", "100000000000", "--out", str(tmp_path / "an")],
        "too many permutations (hotspots)": [
            "hotspots", "--indicator", "iod2025.imd_score", "--within", "E08000032",
            "--reference", "local", "--permutations", "100000000000", "--out",
            str(tmp_path / "h.csv")],
    }


@pytest.mark.real
def test_bad_input_exits_2_with_one_line_and_writes_nothing(store, tmp_path):
    src = tmp_path / "upload.csv"
    src.write_text("code,value\nE06000001,1\n")
    (tmp_path / "taken.csv").write_text("keep me\n")
    before = sorted(p.name for p in tmp_path.iterdir())
    for what, argv in _refusals(tmp_path, src).items():
        result = run(*argv)
        assert result.returncode == 2, (what, result.stderr)
        said = (what, result.stderr)
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, said
        assert "Traceback" not in result.stderr and len(result.stderr) < 600, said
        if what.startswith("unknown"):
            assert "did you mean" in result.stderr, said
        if what.startswith("too many"):
            assert "`permutations` must be at most 999,999" in result.stderr, said
        assert sorted(p.name for p in tmp_path.iterdir()) == before, said
    assert (tmp_path / "taken.csv").read_text() == "keep me\n"


def _wrote(stdout: str) -> list[str]:
    return [line.removeprefix("wrote ") for line in stdout.splitlines() if line.startswith("wrote ")]


@pytest.mark.real
def test_every_writer_says_wrote_with_an_lf_readme_beside(store, tmp_path):
    tif = tmp_path / "imd.tif"
    commands = [
        ["catalogue", "--out", str(tmp_path / "cat.csv")],
        ["summaries", "--out", str(tmp_path / "lad.csv")],
        ["export", "--level", "region", "--out", str(tmp_path / "regions.geojson")],
        ["raster", "--indicator", "iod2025.imd_score", "--resolution", "5000", "--out", str(tif)],
        ["zonal", "--raster", str(tif), "--level", "region", "--out", str(tmp_path / "z.csv")],
    ]
    for argv in commands:
        result = run(*argv)
        assert result.returncode == 0, (argv, result.stderr)
        out = Path(argv[argv.index("--out") + 1])
        assert _wrote(result.stdout) == [str(out), f"{out}.README.txt"], argv
        readme = Path(f"{out}.README.txt").read_bytes()
        assert b"\r" not in readme and b"Attribution:" in readme, argv
        if out.suffix in (".csv", ".geojson"):
            assert b"\r\n" not in out.read_bytes(), argv
    again = run(*commands[0])
    assert again.returncode == 2 and "--force" in again.stderr
    assert run(*commands[0], "--force").returncode == 0


@pytest.mark.real
def test_catalogue_prints_unit_polarity_and_vintage(store):
    from geo.data.indicators import catalogue

    result = run("catalogue")
    assert result.returncode == 0
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["id", "level", "unit", "polarity", "vintage", "nations", "label"]
    cat = catalogue()
    assert len(rows) == len(cat)
    for ident in ("iod2025.imd_rank", "census21_deprivation.households_deprived_2plus_pct"):
        line = next(r for r in rows if r.startswith(f"{ident} "))
        info = cat.loc[ident]
        for value in (info["unit"], info["polarity"], str(info["vintage"]), info["nations"],
                      info["label"]):
            assert value in line


def _integer_like(cat: pd.DataFrame) -> set[str]:
    """Ranks and deciles, except those carried from LSOA 2011: a merged LSOA gets the mean of its
    parents' ranks (geo.stats.carry), so a carried rank column may hold fractions."""
    from geo.data.sources import registry

    reg = registry()
    carried = [d for d, e in reg.items() if e.get("store_level", e["level"]) != e["level"]]
    unit = cat["unit"].fillna("").str.lower()
    whole = unit.str.startswith("rank of") | (unit == "decile")
    return set(cat.index[whole & ~cat["dataset"].isin(carried)])


@pytest.mark.real
def test_real_exports_write_numbers_as_numbers_and_counts_as_integers(store, tmp_path):
    """Every property of a real export has one JSON type per column: ranks, deciles and counts
    are integers, scores floats, labels text; no number arrives as a string."""
    from geo.data.indicators import catalogue, load_indicators
    from geo.export.geojson import write_geojson
    from geo.export.metadata import export_metadata

    out = tmp_path / "bradford.geojson"
    assert run("export", "--council", "E08000032", "--out", str(out)).returncode == 0
    features = json.loads(out.read_text())["features"]
    integers = _integer_like(catalogue()) | {"n_domains_worst_decile"}
    seen: dict[str, set[str]] = {}
    for feature in features:
        for key, value in feature["properties"].items():
            if value is not None:
                seen.setdefault(key, set()).add(type(value).__name__)
    for key, types in seen.items():
        assert len(types) == 1, (key, types)
        if key in integers:
            # a rank carried to LSOA 2021 as a population-weighted mean of merged LSOAs is not
            # whole, and then stays a number with decimals; every whole one is an integer
            values = [f["properties"][key] for f in features if f["properties"][key] is not None]
            whole = all(float(v).is_integer() for v in values)
            assert types == ({"int"} if whole else {"float"}), (key, types)
    assert seen["iod2025.imd_score"] == {"float"} and seen["iod2025.imd_rank"] == {"int"}
    numeric_text = [k for k, t in seen.items() if t == {"str"} and all(
        str(f["properties"][k]).replace(".", "", 1).isdigit()
        for f in features if f["properties"][k] is not None)]
    assert numeric_text == [], numeric_text
    # the stored clusters (n_lsoas, population) the way every writer writes them
    import boundaries

    clusters = load_indicators("clusters").head(5)
    lsoa = boundaries.load("lsoa21")[["geometry"]]
    first = clusters["lsoa_codes"].str.split(";").str[0]
    gdf = lsoa.loc[first.to_numpy()].set_axis(clusters.index).join(clusters)
    path = write_geojson(gdf, tmp_path / "clusters.geojson",
                         metadata=export_metadata(["clusters"], level="lsoa21"))
    props = [f["properties"] for f in json.loads(path.read_text())["features"]]
    assert all(isinstance(p["n_lsoas"], int) and isinstance(p["population"], int) for p in props)
    assert [p["population"] for p in props] == [round(v) for v in clusters["population"]]
    back = pd.read_csv(_csv_of(tmp_path, gdf))
    assert back["n_lsoas"].dtype.kind == "i" and back["population"].dtype.kind == "i"


def _csv_of(tmp_path: Path, gdf) -> Path:  # noqa: ANN001 - a GeoDataFrame
    from geo.export.csv import to_csv_safe

    path = tmp_path / "clusters.csv"
    to_csv_safe(gdf, path)
    return path


_SLOW_WRITER = """
import sys, time
import geo.cli.parser as parser
from boundaries._atomic import atomic_path

def slow_catalogue(args):
    with atomic_path(args.out) as tmp:
        tmp.write_text("half a file")
        print("writing", flush=True)
        time.sleep(60)
    return 0

parser._cmd_catalogue = slow_catalogue
sys.exit(parser.main(["catalogue", "--out", sys.argv[1]]))
"""


def test_sigterm_during_a_write_removes_the_partial_file_and_exits_143(tmp_path):
    # SIGTERM used to kill the process mid-write, leaving a hidden .NAME.*.tmp.* file behind
    import signal

    out = tmp_path / "big.csv"
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_WRITER, str(out)], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "writing"
        assert len(list(tmp_path.iterdir())) == 1  # the temporary file is there mid-write
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 143
    assert err == "terminated (SIGTERM); nothing was published\n"
    assert list(tmp_path.iterdir()) == []


def test_sigterm_handler_is_restored_after_a_command(monkeypatch, tmp_path):
    import signal

    import geo.cli.parser as parser

    before = signal.getsignal(signal.SIGTERM)
    seen = []
    monkeypatch.setattr(parser, "_cmd_catalogue", lambda args: seen.append(
        signal.getsignal(signal.SIGTERM)) or 0)
    assert parser.main(["catalogue", "--out", str(tmp_path / "c.csv")]) == 0
    assert seen == [parser._on_sigterm]
    assert signal.getsignal(signal.SIGTERM) is before


@pytest.mark.parametrize("argv", [
    ["export", "--council", "", "--out", "c.csv"],
    ["export", "--council", "  ", "--out", "c.geojson"],
    ["hotspots", "--indicator", "iod2025.imd_score", "--within", "", "--out", "h.csv"],
    ["clusters", "--within", " ", "--out", "k.csv"],
])
def test_empty_council_or_within_is_refused_not_the_whole_nation(argv, tmp_path, monkeypatch,
                                                                 capsys):
    # `--within ""` used to run the whole nation; `--council ""` blamed `level` None
    from geo.cli.parser import main

    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    option = argv[argv.index("--out") - 2]
    assert f"argument {option}: it is empty: give a council code or name" in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []
