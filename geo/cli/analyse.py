"""``python -m geo analyse``: hotspots, clusters, summaries and the link to deprivation of your data.

``python -m geo analyse PATH.csv --column NAME --polarity higher_worse --out DIR`` checks the CSV
(:func:`geo.upload.reader.read_upload`, every refusal of ``map-upload``; LSOA 2011 codes are
carried to LSOA 2021 by :func:`geo.analysis.upload.upload_for_analysis`, with a report),
analyses one numeric column (:func:`geo.analysis.upload.analyse_upload`: each nation on its own
index and graph, data zones included) and writes the files of
:func:`geo.export.analysis_zip.analysis_files` into ``DIR`` (``hotspots.csv``,
``clusters.geojson``, ``summaries_lad24.csv``, ``summaries_ward24.csv``, ``correlations.csv``,
``README.txt`` and the rest), or into one zip when ``--out`` ends in ``.zip``.

It follows :mod:`geo.cli._common`: ``--out`` is checked first (``--force`` replaces an existing
folder), bad input exits with status 2 and one line, and nothing is written then: the folder is
written beside ``DIR`` under a temporary name and renamed at the end. ``--polarity`` has no
default: without it the command asks (on a terminal) or refuses. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import html
import sys
import time
from pathlib import Path

from geo._errors import InputError
from geo.cli._common import check_output, did_you_mean, report_written
from geo.cli.upload import add_carry, carry_rules

__all__ = ["register_cli", "run_analyse"]

#: Which end is worse, as the user answers it.
POLARITY_CHOICES = ("higher_worse", "higher_better")


def register_cli(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``analyse`` command to the ``python -m geo`` parser.

    Parameters
    ----------
    subparsers
        The object returned by ``ArgumentParser.add_subparsers()``; the handler is ``func``.
    """
    parser = subparsers.add_parser(
        "analyse", help="hotspots, clusters, council and ward summaries and the link to "
                        "deprivation of one column of your CSV",
        description="Check a CSV of values per area (LSOA 2021, LSOA 2011 (carried to 2021 "
                    "with a report), Scottish data zone, council 2024 or upper-tier council "
                    "codes), then analyse one numeric column: Gi* hotspots and named clusters "
                    "(small areas, at least 30 with a value), summaries by council and ward "
                    "(data zones: by council), Spearman correlations with each nation's own "
                    "index and its domains (IoD 2025, WIMD 2019, SIMD 2020), a bivariate local "
                    "Moran map, or, for councils, ranks and statistical neighbours. Writes a "
                    "folder of files with a README. Invalid input exits with status 2 and "
                    "writes nothing.")
    parser.add_argument("path", type=Path, help="the CSV file")
    parser.add_argument("--column", required=True, metavar="NAME",
                        help="the numeric column to analyse")
    parser.add_argument("--polarity", choices=POLARITY_CHOICES, default=None,
                        help="which end is worse (default: none; asked on a terminal, else "
                             "required)")
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="output folder (created; its parent must exist), or a .zip file; "
                             "an existing one needs --force")
    parser.add_argument("--force", action="store_true",
                        help="replace the output folder or zip if it exists (default: refuse)")
    parser.add_argument("--areas", action="store_true",
                        help="also write areas.geojson: every matched area with its value and "
                             "outcomes (about 6 s and 25 MB for all of England's LSOAs; always "
                             "in a .zip; default: not in a folder)")
    parser.add_argument("--permutations", type=int, default=None, metavar="N",
                        help="permutations of the tests (default: the store's national runs')")
    add_carry(parser, what="the column")
    parser.set_defaults(func=run_analyse)


def _check_out(out: str, *, force: bool) -> Path:
    """The output path, checked before any work (a folder, or a .zip through check_output)."""
    path = Path(out).expanduser()
    if path.suffix.lower() == ".zip":
        return check_output(out, force=force, suffixes=(".zip",))
    if not path.parent.is_dir():
        msg = (f"`--out` {out!r}: the folder {str(path.parent)!r} does not exist; create it "
               f"first (mkdir -p {str(path.parent)!r}) or choose another path")
        raise InputError(msg)
    if path.exists() and not path.is_dir():
        msg = f"`--out` {out!r} is a file; give a folder name (or a name ending in .zip)"
        raise InputError(msg)
    if path.exists() and not force:
        msg = f"`--out` {out!r} exists; add --force to replace it, or choose another name"
        raise InputError(msg)
    return path


def _polarity(given: str | None, label: str) -> str:
    """``--polarity``, or the answer to the question on a terminal."""
    if given:
        return given
    question = (f"Which end of '{label}' is worse? Answer --polarity higher_worse (higher "
                "values are worse) or higher_better (higher values are better).")
    if not sys.stdin.isatty():
        raise InputError(f"{question} There is no default.")
    sys.stderr.write(f"Which end of '{label}' is worse? [w] higher is worse, [b] higher is "
                     "better: ")
    sys.stderr.flush()
    answer = sys.stdin.readline().strip().lower()
    choices = {"w": "higher_worse", "b": "higher_better"}
    if answer in choices or answer in POLARITY_CHOICES:
        return choices.get(answer, answer)
    raise InputError(f"{question} Got {answer!r}.")


def _column(result, column: str) -> str:  # noqa: ANN001 - an UploadResult
    """The table column the user asked for, or a refusal naming the numeric columns."""
    numeric = [str(c) for c in result.table.columns]
    given = column.strip()
    left_out = {html.unescape(c.label): c.reason for c in result.report.columns if not c.kept}
    if given not in numeric and given in left_out:
        msg = (f"`--column` {column!r} is not numeric ({left_out[given]}); numeric columns: "
               f"{', '.join(repr(c) for c in numeric)}")
        raise InputError(msg)
    return did_you_mean(given, numeric, what="a numeric column of the file", option="--column",
                        hint=f"Numeric columns: {', '.join(repr(c) for c in numeric)}.")


def _progress(started: float):  # noqa: ANN202 - a progress callback
    def say(fraction: float, message: str) -> None:
        sys.stderr.write(f"[{time.perf_counter() - started:5.1f} s {fraction:4.0%}] {message}\n")
        sys.stderr.flush()

    return say


def run_analyse(args: argparse.Namespace) -> int:
    """Run ``analyse``: check, analyse, write; returns 0 or raises an InputError."""
    from geo.analysis.upload import analyse_upload, upload_for_analysis
    from geo.cli.upload import _known_codes, _load_boundaries, _say, _vintages
    from geo.export.analysis_zip import analysis_files, analysis_zip, write_analysis_folder
    from geo.export.atomic import write_bytes_atomic
    from geo.upload.reader import read_upload

    started = time.perf_counter()
    out = _check_out(args.out, force=args.force)
    if not Path(args.path).is_file():
        raise InputError(f"{args.path} is not a file; check the path")
    try:
        result = read_upload(Path(args.path), known_codes=_known_codes(), vintages=_vintages())
    except InputError as err:
        raise InputError(html.unescape(str(err))) from None
    column = _column(result, args.column)
    label = result.labels[column]
    polarity = _polarity(args.polarity, html.unescape(label))
    result = upload_for_analysis(result, rules=carry_rules(args.carry, [column]),
                                 columns=[column])
    _say(result.messages)
    analysis = analyse_upload(result.table[column], level=result.level, polarity=polarity,
                              label=label, permutations=args.permutations,
                              shapes=_load_boundaries(result.level),
                              progress=_progress(started), carry=result.carry)
    is_zip = out.suffix.lower() == ".zip"
    files = analysis_files(analysis, source=result.report.filename, messages=result.messages,
                           areas=args.areas or is_zip)
    if is_zip:
        write_bytes_atomic(out, analysis_zip(files))  # the README is inside the zip
        written = [out]
    else:
        written = write_analysis_folder(files, out, force=args.force)
    _say([analysis.hotspot_reason or
          f"Hotspots: {analysis.method['hotspots'].get('outcomes')}; "
          f"{len(analysis.clusters)} named cluster{'' if len(analysis.clusters) == 1 else 's'} "
          "of worse clusters.",
          f"Done in {time.perf_counter() - started:.1f} s."])
    report_written(*written)
    return 0
