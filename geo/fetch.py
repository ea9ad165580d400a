"""Download the official datasets and convert them into the mirror layout (``data fetch``).

Each registry entry (``data/sources.toml``) names an official URL, the official file's format
(``official_format``) and the mirror file the store build reads (``file``, ``format``). This module
downloads the official file with :mod:`pooch` (checked against the entry's ``sha256`` when the
registry pins one), converts it, and writes ``DEST/<file>`` atomically (a temporary file in the
same folder, then :func:`os.replace`), so a failed or interrupted fetch never leaves a half-written
mirror file.

Official formats and what fetch does with them:

``csv``
    Official headers are renamed to mirror columns through ``official_columns`` (when the entry has
    them, otherwise the official file must already carry the mirror columns, the keys of
    ``columns``); only the mirror columns are kept; values are copied verbatim as text.
``arcgis_geojson``
    An ONS ArcGIS feature service queried as GeoJSON, page by page (``resultOffset``,
    ``resultRecordCount``, at most 2,000 records a page). Boundaries become a GeoPackage in
    EPSG:4326 with the official columns (``LAD24CD``, ``LAD24NM``, ...); lookups become a CSV
    renamed through ``official_columns``.
``topojson``
    Saved as it is, after checking that it is a TopoJSON topology.
``derived``
    Built from other fetched datasets: ``lad24_ew_detailed`` is the LSOA 2021 boundaries dissolved
    through the LSOA 2021 -> LAD 2024 lookup (in EPSG:27700, written in EPSG:4326).
``xlsx``, ``ods``, ``zipped_shapefile``
    Not converted: the dataset is reported as skipped, naming its landing page and the mirror file
    to place by hand.

Examples
--------
>>> report = fetch_datasets("mirror", ids=["iod2025"])      # doctest: +SKIP
>>> print(format_fetch_report(report))                      # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import re
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import geopandas as gpd
import pandas as pd
import pooch
import pyogrio
import requests
import shapely

from geo._errors import (
    DuplicateCodeError,
    InputError,
    OfflineError,
    OppmapError,
    SchemaError,
    VintageError,
    format_codes,
)
from geo.sources import dataset, file_sha256, registry

__all__ = [
    "ARCGIS_MAX_PAGE",
    "OFFLINE_HINT",
    "FetchRecord",
    "FetchReport",
    "fetch_dataset",
    "fetch_datasets",
    "format_fetch_report",
    "register_fetch_cli",
]

#: The ONS ArcGIS services answer at most this many records a page.
ARCGIS_MAX_PAGE = 2000

#: What to do without internet; part of every :class:`OfflineError` message.
OFFLINE_HINT = (
    "to use a local mirror instead, set OPPMAP_DATA=/path/to/mirror (for example ../shared/data) "
    "and run `python -m geo data build`"
)

#: Official formats that fetch does not convert (the file is placed in the mirror by hand).
NOT_CONVERTED = {
    "xlsx": "an Excel workbook",
    "ods": "an OpenDocument spreadsheet",
    "zipped_shapefile": "a zipped shapefile",
}
CONVERTED = ("csv", "arcgis_geojson", "topojson", "derived")
ERRORS = ("report", "raise")

_TIMEOUT = 60  # seconds to wait for a connection or a chunk of the answer
_MAX_PAGES = 10_000  # 20 million records: a guard against a service that ignores resultOffset


@dataclass(frozen=True)
class FetchRecord:
    """What happened to one dataset.

    Attributes
    ----------
    dataset_id
        Registry id.
    status
        ``"ok"``, ``"skipped"`` (not converted by fetch: ``message`` says why and what to do) or
        ``"failed"`` (``message`` holds the error).
    url
        The URL asked (after ``base_url`` rewriting).
    file
        The mirror file written (``None`` unless ``status == "ok"``).
    rows
        Rows (CSV) or features (GeoPackage) written.
    sha256
        SHA-256 of the official download, when it is a single file (``None`` for paged services
        and derived datasets): the value to pin as ``sha256`` in ``data/sources.toml``.
    file_sha256
        SHA-256 of the mirror file written.
    message
        Why it was skipped or failed; for ``ok``, notes such as a row count other than the
        registry's ``expected_rows``.
    """

    dataset_id: str
    status: str
    url: str
    file: Path | None = None
    rows: int | None = None
    sha256: str | None = None
    file_sha256: str | None = None
    message: str = ""


@dataclass
class FetchReport:
    """The outcome of :func:`fetch_datasets`: one :class:`FetchRecord` per dataset, in run order."""

    dest: Path
    records: dict[str, FetchRecord] = field(default_factory=dict)

    def __getitem__(self, dataset_id: str) -> FetchRecord:
        return self.records[dataset_id]

    def __iter__(self) -> Iterator[FetchRecord]:
        return iter(self.records.values())

    def __len__(self) -> int:
        return len(self.records)

    def ids(self, status: str) -> list[str]:
        """Dataset ids with the given status (``ok``, ``skipped``, ``failed``)."""
        return [r.dataset_id for r in self if r.status == status]

    def to_frame(self) -> pd.DataFrame:
        """The report as a table indexed by ``dataset_id``."""
        rows = [
            {
                "dataset_id": r.dataset_id, "status": r.status, "url": r.url,
                "file": None if r.file is None else str(r.file), "rows": r.rows,
                "sha256": r.sha256, "file_sha256": r.file_sha256, "message": r.message,
            }
            for r in self
        ]
        cols = ["dataset_id", "status", "url", "file", "rows", "sha256", "file_sha256", "message"]
        return pd.DataFrame(rows, columns=cols).set_index("dataset_id")


# ----------------------------------------------------------------------------- public API

def fetch_datasets(dest: Path | str, *, ids: Sequence[str] | None = None,
                   base_url: str | None = None, retries: int = 3, progress: bool = True,
                   page_size: int = ARCGIS_MAX_PAGE, backoff: float = 1.0,
                   errors: str = "report",
                   registry_path: Path | str | None = None) -> FetchReport:
    """Download official datasets and write them into a mirror directory.

    Parameters
    ----------
    dest
        The mirror directory to fill (created if missing); files go to ``dest/<file>``.
    ids
        Registry ids to fetch; default every dataset. Derived datasets run last.
    base_url
        Replace the scheme and host of every official URL by this one, keeping path and query
        (for tests against a local server, e.g. ``"http://127.0.0.1:8000"``).
    retries
        Further attempts after a connection error, a timeout or a 5xx/429 answer, waiting
        ``backoff * 2**attempt`` seconds between attempts.
    progress
        Show download progress bars (tqdm, on standard error).
    page_size
        Records asked per page of an ArcGIS service (1 to 2,000).
    backoff
        Seconds before the first retry.
    errors
        ``"report"``: a dataset that fails is recorded as ``failed`` and the run goes on;
        ``"raise"``: the first failure raises. An :class:`OfflineError` always raises.
    registry_path
        Another registry file (default ``data/sources.toml``).

    Returns
    -------
    FetchReport
        One record per dataset: ``ok``, ``skipped`` (formats fetch does not convert, registry URLs
        that are web pages, derived datasets whose inputs are missing) or ``failed``.

    Raises
    ------
    OfflineError
        A publisher could not be reached (no network): the message names the dataset and URL and
        says how to use a local mirror (``OPPMAP_DATA``).
    InputError
        Bad arguments (unknown ids are listed with the valid ones).
    OppmapError
        With ``errors="raise"``, the first dataset that fails (``SchemaError`` for missing official
        columns, a checksum mismatch, an HTTP error).

    Examples
    --------
    >>> report = fetch_datasets("mirror", ids=["iod2025", "lsoa21_bsc"])  # doctest: +SKIP
    >>> report["iod2025"].rows                                             # doctest: +SKIP
    33755
    """
    reg = registry(registry_path)
    opts = _check_options(base_url=base_url, retries=retries, page_size=page_size,
                          backoff=backoff, progress=progress)
    if errors not in ERRORS:
        msg = f"`errors` must be one of {ERRORS}; got {errors!r}"
        raise InputError(msg)
    order = _check_ids(ids, reg)
    dest = _check_dest(dest)
    report = FetchReport(dest=dest)
    for ident in order:
        entry = reg[ident]
        url = _rewrite_url(entry["url"], opts["base_url"])
        try:
            reason = _skip_reason(entry, dest=dest, reg=reg, report=report)
            if reason:
                report.records[ident] = FetchRecord(ident, "skipped", url, message=reason)
                continue
            report.records[ident] = _fetch_entry(entry, dest, reg=reg, **opts)
        except OfflineError:
            raise
        except (OppmapError, OSError) as exc:
            if errors == "raise":
                raise
            message = f"{type(exc).__name__}: {exc}"
            report.records[ident] = FetchRecord(ident, "failed", url, message=message)
    return report


def fetch_dataset(dataset_id: str, dest: Path | str, *, base_url: str | None = None,
                  retries: int = 3, progress: bool = True, page_size: int = ARCGIS_MAX_PAGE,
                  backoff: float = 1.0,
                  registry_path: Path | str | None = None) -> FetchRecord:
    """Download one official dataset and write it into the mirror; raise on any problem.

    Parameters
    ----------
    dataset_id
        Registry id, e.g. ``"iod2025"``.
    dest
        The mirror directory; the file goes to ``dest/<file>``.
    base_url, retries, progress, page_size, backoff, registry_path
        As in :func:`fetch_datasets`.

    Returns
    -------
    FetchRecord
        With ``status == "ok"``.

    Raises
    ------
    OppmapError
        A format fetch does not convert (naming the landing page and the file to place by hand),
        a checksum mismatch, an HTTP error after the retries.
    SchemaError
        Official columns missing (expected against found).
    OfflineError
        The publisher could not be reached.

    Examples
    --------
    >>> fetch_dataset("iod2025", "mirror").file          # doctest: +SKIP
    PosixPath('mirror/deprivation/imd2025_england_lsoa21.csv')
    """
    reg = registry(registry_path)
    entry = dataset(dataset_id, path=registry_path)
    opts = _check_options(base_url=base_url, retries=retries, page_size=page_size,
                          backoff=backoff, progress=progress)
    dest = _check_dest(dest)
    reason = _skip_reason(entry, dest=dest, reg=reg, report=None)
    if reason:
        raise OppmapError(reason)
    return _fetch_entry(entry, dest, reg=reg, **opts)


def format_fetch_report(report: FetchReport) -> str:
    """Text summary of a :class:`FetchReport`, one line per dataset (plus the reason or error).

    Examples
    --------
    >>> r = FetchReport(Path("m"), {"x": FetchRecord("x", "skipped", "u", message="why")})
    >>> print(format_fetch_report(r))
    fetch into m: 0 ok, 1 skipped, 0 failed
      skipped  x
               why
    """
    counts = {s: len(report.ids(s)) for s in ("ok", "skipped", "failed")}
    lines = [
        f"fetch into {report.dest}: {counts['ok']} ok, {counts['skipped']} skipped, "
        f"{counts['failed']} failed"
    ]
    width = max((len(r.dataset_id) for r in report), default=0)
    for r in report:
        head = f"  {r.status:8s} {r.dataset_id:{width}s}"
        if r.status == "ok":
            rel = r.file.relative_to(report.dest) if r.file is not None else ""
            rows = f"{r.rows:,} rows" if r.rows is not None else ""
            lines.append(f"{head}  {rel}  {rows}".rstrip())
            if r.sha256:
                lines.append(f"  {'':8s} {'':{width}s}  sha256 {r.sha256}")
        else:
            lines.append(head.rstrip())
        if r.message:
            lines.append(f"  {'':8s} {r.message}")
    if any(r.status == "ok" and r.sha256 for r in report):
        lines.append(
            "sha256 is the official download's checksum: to pin it, add `sha256 = \"...\"` to "
            "the dataset in data/sources.toml"
        )
    return "\n".join(lines)


def register_fetch_cli(data_subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``fetch`` to the ``data`` command group.

    ``python -m geo data fetch --to DIR [--only ID ...] [--base-url URL] [--retries N]
    [--no-progress]``. The handler (``func``) returns 0 when nothing failed, 1 when some datasets
    failed; an :class:`OppmapError` (offline, bad arguments) propagates, and the CLI's ``main``
    prints it and exits with status 2.

    Parameters
    ----------
    data_subparsers
        What ``data_parser.add_subparsers()`` returned.

    Returns
    -------
    argparse.ArgumentParser
        The ``fetch`` parser.
    """
    p = data_subparsers.add_parser(
        "fetch",
        help="download the official files into a mirror directory",
        description=(
            "Download the official datasets (ONS, MHCLG, ...) and convert them into the mirror "
            "layout that `python -m geo data build --source DIR` reads. Formats that are not "
            "converted (xlsx, ods, zipped shapefiles) are reported with where to get them."
        ),
    )
    p.add_argument("--to", required=True, metavar="DIR", help="mirror directory to fill")
    p.add_argument("--only", nargs="+", action="extend", metavar="ID",
                   help="registry ids to fetch (default: all)")
    p.add_argument("--base-url", metavar="URL",
                   help="replace the official hosts by this one (a local test server)")
    p.add_argument("--retries", type=int, default=3, help="retries per download (default 3)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=_cmd_fetch)
    return p


def _cmd_fetch(args: argparse.Namespace) -> int:
    report = fetch_datasets(args.to, ids=args.only or None, base_url=args.base_url,
                            retries=args.retries, progress=not args.no_progress)
    sys.stdout.write(format_fetch_report(report) + "\n")
    return 1 if report.ids("failed") else 0


# ----------------------------------------------------------------------------- checks

def _check_dest(dest: Path | str) -> Path:
    if not isinstance(dest, (str, os.PathLike)):
        msg = f"`dest` must be a directory path; got {type(dest).__name__}"
        raise InputError(msg)
    path = Path(dest).expanduser().resolve()
    if path.exists() and not path.is_dir():
        msg = f"`dest` {str(path)!r} is a file; give a directory to hold the mirror"
        raise InputError(msg)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        msg = f"`dest` {str(path)!r} cannot be created ({exc}); choose a writable directory"
        raise InputError(msg) from exc
    if not os.access(path, os.W_OK):
        msg = f"`dest` {str(path)!r} is not writable; choose a writable directory"
        raise InputError(msg)
    return path


def _check_options(*, base_url: str | None, retries: int, page_size: int, backoff: float,
                   progress: bool) -> dict[str, Any]:
    problems = []
    if base_url is not None:
        parts = urlsplit(str(base_url))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            problems.append(
                f"`base_url` must look like 'http://127.0.0.1:8000'; got {base_url!r}"
            )
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        problems.append(f"`retries` must be an integer >= 0; got {retries!r}")
    if (isinstance(page_size, bool) or not isinstance(page_size, int)
            or not 1 <= page_size <= ARCGIS_MAX_PAGE):
        problems.append(f"`page_size` must be an integer from 1 to {ARCGIS_MAX_PAGE}; "
                        f"got {page_size!r}")
    if not isinstance(backoff, (int, float)) or isinstance(backoff, bool) or backoff < 0:
        problems.append(f"`backoff` must be a number of seconds >= 0; got {backoff!r}")
    if problems:
        raise InputError("; ".join(problems))
    return {"base_url": base_url, "retries": retries, "page_size": page_size,
            "backoff": float(backoff), "progress": bool(progress)}


def _check_ids(ids: Sequence[str] | None, reg: dict[str, dict[str, Any]]) -> list[str]:
    if ids is None:
        wanted = list(reg)
    else:
        if isinstance(ids, str):
            ids = [ids]
        wanted = [str(i).strip().lower() for i in ids]
        unknown = [i for i in wanted if i not in reg]
        if unknown:
            msg = f"`ids` {unknown} are not in the registry; valid ids: {sorted(reg)}"
            raise InputError(msg)
        wanted = list(dict.fromkeys(wanted))
    # Derived datasets are built from the others, so they run last.
    return ([i for i in wanted if _official_format(reg[i]) != "derived"]
            + [i for i in wanted if _official_format(reg[i]) == "derived"])


def _official_format(entry: dict[str, Any]) -> str:
    # An entry without `official_format` is published in its mirror format.
    return str(entry.get("official_format", entry["format"]))


def _skip_reason(entry: dict[str, Any], *, dest: Path, reg: dict[str, dict[str, Any]],
                 report: FetchReport | None) -> str | None:
    """Why fetch does not convert this dataset (``None`` when it does)."""
    ident, fmt = entry["id"], _official_format(entry)
    where = f"{dest / entry['file']}"
    if fmt in NOT_CONVERTED:
        return (
            f"dataset {ident!r} ({entry['title']}): the official file is {NOT_CONVERTED[fmt]} "
            f"({fmt}), which `data fetch` does not convert. Download it from {entry['landing']}, "
            f"convert it to {entry['format']} with the columns {list(entry.get('columns', {}))} "
            f"and place it in the mirror by hand at {where}"
        )
    if fmt == "csv" and not urlsplit(entry["url"]).path.lower().endswith(".csv"):
        return (
            f"dataset {ident!r} ({entry['title']}): the registry's url {entry['url']} is a web "
            "page or an archive, not a CSV file, so it cannot be fetched as it is. Download the "
            f"CSV from {entry['landing']} and place it in the mirror by hand at {where} (or put "
            "the file's direct URL in data/sources.toml)"
        )
    if fmt == "derived":
        inputs = _derived_inputs(entry, reg)
        for dep in inputs:
            rec = report.records.get(dep["id"]) if report is not None else None
            if rec is not None and rec.status != "ok":
                return (
                    f"dataset {ident!r} is derived from {[d['id'] for d in inputs]}, and "
                    f"{dep['id']!r} was {rec.status} in this run; fix that one first"
                )
        missing = [d["id"] for d in inputs if not (dest / d["file"]).exists()]
        if missing:
            return (
                f"dataset {ident!r} is derived from {[d['id'] for d in inputs]}, and {missing} "
                f"are not in {dest}; fetch them in the same run "
                f"(--only {' '.join(d['id'] for d in inputs)} {ident})"
            )
    return None


# ----------------------------------------------------------------------------- one dataset

def _fetch_entry(entry: dict[str, Any], dest: Path, *, reg: dict[str, dict[str, Any]],
                 base_url: str | None, retries: int, page_size: int, backoff: float,
                 progress: bool) -> FetchRecord:
    ident, fmt = entry["id"], _official_format(entry)
    url = _rewrite_url(entry["url"], base_url)
    target = dest / entry["file"]
    dl: dict[str, Any] = {"retries": retries, "backoff": backoff, "progress": progress}
    sha = None
    with tempfile.TemporaryDirectory(prefix=".oppmap-fetch-", dir=dest) as tmp:
        tmpdir = Path(tmp)
        if fmt == "csv":
            raw = _download(url, tmpdir / "download.csv", entry=entry,
                            known_hash=entry.get("sha256"), **dl)
            sha = file_sha256(raw)
            table = _read_official_csv(raw, entry=entry)
            rows = _write_csv(_to_mirror_columns(table, entry=entry, source=url), target)
        elif fmt == "arcgis_geojson":
            _refuse_pinned_pages(entry)
            features = _fetch_arcgis(url, tmpdir, entry=entry, page_size=page_size, **dl)
            if entry["format"] == "gpkg":
                rows = _write_gpkg(_features_to_frame(features, entry=entry, source=url), target)
            else:
                table = pd.DataFrame([f.get("properties") or {} for f in features])
                rows = _write_csv(_to_mirror_columns(table, entry=entry, source=url), target)
        elif fmt == "topojson":
            raw = _download(url, tmpdir / "download.topo.json", entry=entry,
                            known_hash=entry.get("sha256"), **dl)
            sha = file_sha256(raw)
            rows = _check_topojson(raw, entry=entry)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(raw, target)
        elif fmt == "derived":
            rows = _write_gpkg(_derive_dissolved(entry, dest, reg), target)
        else:
            msg = (
                f"dataset {ident!r}: official_format {fmt!r} is unknown; fetch converts "
                f"{list(CONVERTED)} and reports {list(NOT_CONVERTED)} as skipped. "
                "Fix the entry in data/sources.toml"
            )
            raise OppmapError(msg)
    note = ""
    expected = entry.get("expected_rows")
    if expected is not None and rows != expected:
        note = f"{rows:,} rows written; the registry expects {int(expected):,} (expected_rows)"
    return FetchRecord(ident, "ok", url, file=target, rows=rows, sha256=sha,
                       file_sha256=file_sha256(target), message=note)


def _rewrite_url(url: str, base_url: str | None) -> str:
    """Replace scheme and host of ``url`` by those of ``base_url`` (plus its path prefix)."""
    if not base_url:
        return url
    off, base = urlsplit(url), urlsplit(base_url)
    path = base.path.rstrip("/") + off.path
    return urlunsplit((base.scheme, base.netloc, path, off.query, ""))


@contextlib.contextmanager
def _quiet_pooch() -> Iterator[None]:
    # pooch logs every download and, without a known hash, advice about its own API; the fetch
    # report says the same in this project's terms.
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def _download(url: str, path: Path, *, entry: dict[str, Any], known_hash: str | None,
              retries: int, backoff: float, progress: bool) -> Path:
    """Download ``url`` to ``path`` with pooch, retrying transient failures."""
    ident = entry["id"]
    if known_hash is not None and ":" not in str(known_hash):
        known_hash = f"sha256:{known_hash}"
    downloader = pooch.HTTPDownloader(progressbar=progress, chunk_size=1 << 16,
                                      timeout=_TIMEOUT)
    last: Exception | None = None
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(backoff * 2 ** (attempt - 1))
        try:
            with _quiet_pooch():
                got = pooch.retrieve(url, known_hash=known_hash, fname=path.name,
                                     path=path.parent, downloader=downloader)
            return Path(got)
        except requests.exceptions.HTTPError as exc:
            code = exc.response.status_code if exc.response is not None else None
            if code is not None and (code >= 500 or code == 429):
                last = exc
                continue
            msg = (
                f"dataset {ident!r}: {url} answered HTTP {code}; the publisher may have moved the "
                f"file: look for it on {entry['landing']} and update `url` in data/sources.toml"
            )
            raise OppmapError(msg) from exc
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
                requests.exceptions.ChunkedEncodingError) as exc:
            last = exc
            continue
        except requests.exceptions.RequestException as exc:
            msg = (
                f"dataset {ident!r}: {url} cannot be downloaded ({exc}); check `url` in "
                "data/sources.toml"
            )
            raise OppmapError(msg) from exc
        except ValueError as exc:  # pooch: the file's hash is not the known one
            if "hash" not in str(exc).lower():
                raise
            msg = (
                f"dataset {ident!r}: the download from {url} does not match the registry's "
                f"sha256 {entry.get('sha256')!r} ({exc}). The publisher may have revised the "
                "file: check it on "
                f"{entry['landing']}, then update or remove `sha256` in data/sources.toml. "
                "Nothing was written."
            )
            raise OppmapError(msg) from exc
    attempts = retries + 1
    if isinstance(last, requests.exceptions.ConnectionError):  # includes ConnectTimeout
        msg = (
            f"dataset {ident!r}: could not reach {url} after {attempts} attempt(s) "
            f"({type(last).__name__}): this machine seems to be offline or the host is blocked; "
            f"{OFFLINE_HINT}"
        )
        raise OfflineError(msg) from last
    msg = f"dataset {ident!r}: {url} failed {attempts} time(s); last error: {last}"
    raise OppmapError(msg) from last


# ----------------------------------------------------------------------------- csv

def _read_official_csv(path: Path, *, entry: dict[str, Any]) -> pd.DataFrame:
    head = path.read_bytes()[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype", b"<html", b"<?xml")):
        msg = (
            f"dataset {entry['id']!r}: {entry['url']} returned a web page, not a CSV; download the "
            f"file from {entry['landing']} and update `url` in data/sources.toml"
        )
        raise SchemaError(msg)
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        msg = f"dataset {entry['id']!r}: the download from {entry['url']} is not a UTF-8 CSV ({exc})"
        raise SchemaError(msg) from exc


def _norm(name: str) -> str:
    return re.sub(r"\s+", " ", str(name)).strip().casefold()


def _to_mirror_columns(table: pd.DataFrame, *, entry: dict[str, Any], source: str
                       ) -> pd.DataFrame:
    """Rename official headers to mirror columns and keep only those.

    The mapping is ``official_columns`` (official header -> mirror column); without it the official
    file must carry the mirror columns (the keys of ``columns``) itself. Headers match exactly, or
    else ignoring case and runs of white space.
    """
    ident = entry["id"]
    mapping: dict[str, str] = dict(entry.get("official_columns") or
                                   {c: c for c in entry.get("columns", {})})
    found = [str(c) for c in table.columns]
    by_norm = {_norm(c): c for c in found}
    chosen: dict[str, str] = {}
    missing = []
    for official, mirror in mapping.items():
        if official in found:
            chosen[official] = mirror
        elif _norm(official) in by_norm:
            chosen[by_norm[_norm(official)]] = mirror
        else:
            missing.append(official)
    if missing:
        hint = ("update [dataset.official_columns] in data/sources.toml"
                if entry.get("official_columns") else
                "add [dataset.official_columns] (official header = mirror column) to the entry "
                "in data/sources.toml")
        msg = (
            f"dataset {ident!r}: the official file {source} lacks {len(missing)} expected "
            f"column(s) {missing}; expected {list(mapping)}, found {found}. The publisher may "
            f"have renamed them: {hint}"
        )
        raise SchemaError(msg)
    out = table[list(chosen)].rename(columns=chosen)
    lacking = [c for c in entry.get("columns", {}) if c not in out.columns]
    if lacking:
        msg = (
            f"dataset {ident!r}: after renaming, the mirror columns {lacking} (keys of "
            f"[dataset.columns]) are missing; official_columns gives {list(out.columns)}. "
            "Make the two tables of the entry in data/sources.toml agree"
        )
        raise SchemaError(msg)
    return out


def _temp_sibling(target: Path, suffix: str) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    return target.parent / f".{target.stem}.{uuid.uuid4().hex[:10]}.tmp{suffix}"


def _write_csv(table: pd.DataFrame, target: Path) -> int:
    tmp = _temp_sibling(target, ".csv")
    try:
        table.to_csv(tmp, index=False)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return len(table)


# ----------------------------------------------------------------------------- ArcGIS

def _page_url(url: str, *, offset: int, count: int) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k not in ("resultOffset", "resultRecordCount")]
    query += [("resultOffset", str(offset)), ("resultRecordCount", str(count))]
    return urlunsplit(parts._replace(query=urlencode(query, safe="*")))


def _refuse_pinned_pages(entry: dict[str, Any]) -> None:
    if entry.get("sha256"):
        msg = (
            f"dataset {entry['id']!r}: a `sha256` cannot pin a paged ArcGIS service (it answers "
            "in pages, not one file); remove `sha256` from the entry in data/sources.toml"
        )
        raise OppmapError(msg)


def _fetch_arcgis(url: str, tmpdir: Path, *, entry: dict[str, Any], page_size: int,
                  retries: int, backoff: float, progress: bool) -> list[dict[str, Any]]:
    """Every feature of an ArcGIS GeoJSON query, following ``resultOffset`` pages.

    A page is followed by another while the service says ``exceededTransferLimit: true`` (at the
    top level or in ``properties``), or, when it says nothing, while pages come back full. An
    empty page ends the loop.
    """
    ident = entry["id"]
    features: list[dict[str, Any]] = []
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=entry.get("expected_rows"), unit=" features", desc=ident)
    previous_first = None
    try:
        for page in range(_MAX_PAGES):
            page_url = _page_url(url, offset=len(features), count=page_size)
            path = _download(page_url, tmpdir / f"page_{page:05d}.geojson", entry=entry,
                             known_hash=None, retries=retries, backoff=backoff, progress=False)
            try:
                answer = json.loads(path.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                msg = f"dataset {ident!r}: {page_url} did not return JSON ({exc})"
                raise SchemaError(msg) from exc
            path.unlink()
            if not isinstance(answer, dict):
                msg = f"dataset {ident!r}: {page_url} returned JSON that is not an object"
                raise SchemaError(msg)
            if "error" in answer:
                msg = (
                    f"dataset {ident!r}: the ArcGIS service at {page_url} answered with an error: "
                    f"{answer['error']}; check the service on {entry['landing']}"
                )
                raise OppmapError(msg)
            got = answer.get("features")
            if not isinstance(got, list):
                msg = (
                    f"dataset {ident!r}: {page_url} returned no `features` list (keys "
                    f"{sorted(answer)}); expected a GeoJSON FeatureCollection (f=geojson)"
                )
                raise SchemaError(msg)
            if not got:
                break
            first = got[0].get("properties")
            if page and first == previous_first:
                msg = (
                    f"dataset {ident!r}: {url} returned the same page twice; the service ignores "
                    "resultOffset, so its records cannot be paged"
                )
                raise OppmapError(msg)
            previous_first = first
            features.extend(got)
            if bar is not None:
                bar.update(len(got))
            flag = answer.get("exceededTransferLimit")
            if flag is None:
                flag = (answer.get("properties") or {}).get("exceededTransferLimit")
            if flag is True or (flag is None and len(got) >= page_size):
                continue
            break
        else:
            msg = f"dataset {ident!r}: {url} still had more pages after {_MAX_PAGES} pages"
            raise OppmapError(msg)
    finally:
        if bar is not None:
            bar.close()
    return features


def _features_to_frame(features: list[dict[str, Any]], *, entry: dict[str, Any], source: str
                       ) -> gpd.GeoDataFrame:
    ident = entry["id"]
    if not features:
        msg = f"dataset {ident!r}: {source} returned no features"
        raise SchemaError(msg)
    nulls = sum(1 for f in features if not f.get("geometry"))
    if nulls:
        msg = (
            f"dataset {ident!r}: {nulls} of {len(features)} features from {source} have no "
            "geometry; a boundary service must return polygons (f=geojson)"
        )
        raise SchemaError(msg)
    gdf = gpd.GeoDataFrame.from_features(features, crs="EPSG:4326")
    table = _to_mirror_columns(pd.DataFrame(gdf.drop(columns="geometry")), entry=entry,
                               source=source)
    out = gpd.GeoDataFrame(table, geometry=_to_multi(gdf.geometry).values, crs="EPSG:4326")
    return out


def _to_multi(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """Polygons as one-part MultiPolygons, so the layer has a single geometry type."""
    multi = [shapely.MultiPolygon([g]) if isinstance(g, shapely.Polygon) else g for g in geoms]
    return gpd.GeoSeries(multi, index=geoms.index, crs=geoms.crs)


def _write_gpkg(gdf: gpd.GeoDataFrame, target: Path) -> int:
    tmp = _temp_sibling(target, ".gpkg")
    try:
        pyogrio.write_dataframe(gdf, tmp, driver="GPKG", layer=target.stem)
        os.replace(tmp, target)
    finally:
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm"), Path(f"{tmp}-journal")):
            leftover.unlink(missing_ok=True)
    return len(gdf)


# ----------------------------------------------------------------------------- topojson

def _check_topojson(path: Path, *, entry: dict[str, Any]) -> int:
    try:
        topo = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        msg = f"dataset {entry['id']!r}: the download from {entry['url']} is not JSON ({exc})"
        raise SchemaError(msg) from exc
    objects = topo.get("objects") if isinstance(topo, dict) else None
    if not isinstance(topo, dict) or topo.get("type") != "Topology" or not isinstance(objects,
                                                                                      dict):
        msg = (
            f"dataset {entry['id']!r}: the download from {entry['url']} is not a TopoJSON "
            "Topology (type 'Topology' with `objects`)"
        )
        raise SchemaError(msg)
    lacking = [layer for layer in entry.get("layers", []) if layer not in objects]
    if lacking:
        msg = (
            f"dataset {entry['id']!r}: the TopoJSON lacks layers {lacking}; found {sorted(objects)}"
        )
        raise SchemaError(msg)
    return sum(len(o.get("geometries", [])) for o in objects.values() if isinstance(o, dict))


# ----------------------------------------------------------------------------- derived

def _key_for(columns: dict[str, str], canonical: str, *, entry: dict[str, Any]) -> str:
    """The mirror column whose canonical name is ``canonical`` (in ``[dataset.columns]``)."""
    for mirror, canon in columns.items():
        if canon == canonical:
            return mirror
    msg = (
        f"dataset {entry['id']!r}: no column of [dataset.columns] maps to {canonical!r} "
        f"(columns {columns})"
    )
    raise SchemaError(msg)


def _derived_inputs(entry: dict[str, Any], reg: dict[str, dict[str, Any]]
                    ) -> list[dict[str, Any]]:
    """The boundary a derived dataset dissolves and the lookup that groups it."""
    ident = entry["id"]
    src_id = entry.get("derived_from")
    if src_id not in reg:
        msg = f"dataset {ident!r}: `derived_from` {src_id!r} is not a registry id"
        raise SchemaError(msg)
    src = reg[src_id]
    lookup_id = entry.get("derived_lookup")
    if lookup_id is None:
        # The lookup from the source's level to the derived level's code, e.g. lsoa21 -> lad24.
        target = entry["code_column"]
        candidates = [
            e["id"] for e in reg.values()
            if e["kind"] == "lookup" and e["level"] == src["level"]
            and target in e.get("columns", {}).values()
            and src["code_column"] in e.get("columns", {}).values()
        ]
        if len(candidates) != 1:
            msg = (
                f"dataset {ident!r}: found {len(candidates)} lookups from {src['level']} to "
                f"{target} ({candidates}); name one with `derived_lookup` in data/sources.toml"
            )
            raise SchemaError(msg)
        lookup_id = candidates[0]
    if lookup_id not in reg:
        msg = f"dataset {ident!r}: `derived_lookup` {lookup_id!r} is not a registry id"
        raise SchemaError(msg)
    return [src, reg[lookup_id]]


def _derive_dissolved(entry: dict[str, Any], dest: Path, reg: dict[str, dict[str, Any]]
                      ) -> gpd.GeoDataFrame:
    """Dissolve the fetched child boundaries into the derived level through the lookup."""
    ident = entry["id"]
    src, lookup = _derived_inputs(entry, reg)
    child = _key_for(src["columns"], src["code_column"], entry=src)
    lk_child = _key_for(lookup["columns"], src["code_column"], entry=lookup)
    lk_parent = _key_for(lookup["columns"], entry["code_column"], entry=lookup)
    parent_name = entry["code_column"].replace("_code", "_name")
    lk_name = _key_for(lookup["columns"], parent_name, entry=lookup)
    out_code = _key_for(entry["columns"], entry["code_column"], entry=entry)
    out_name = _key_for(entry["columns"], "name", entry=entry)

    path = dest / src["file"]
    fields = list(pyogrio.read_info(path)["fields"])
    if child not in fields:
        msg = f"{path.name}: column {child!r} is missing; found {fields}"
        raise SchemaError(msg)
    areas = pyogrio.read_dataframe(path, columns=[child])
    if areas.crs is None:
        msg = f"{path.name} has no CRS; fetched boundaries are written in EPSG:4326"
        raise SchemaError(msg)
    table = pd.read_csv(dest / lookup["file"], dtype=str, keep_default_na=False,
                        encoding="utf-8-sig")
    lacking = [c for c in (lk_child, lk_parent, lk_name) if c not in table.columns]
    if lacking:
        msg = (
            f"{lookup['file']}: columns {lacking} are missing; found {list(table.columns)}"
        )
        raise SchemaError(msg)
    table = table[[lk_child, lk_parent, lk_name]]
    dup = table[lk_child][table[lk_child].duplicated()]
    if len(dup):
        msg = (
            f"dataset {ident!r}: the lookup {lookup['id']!r} lists {dup.nunique()} "
            f"{src['level']} codes more than once: {format_codes(dup.unique())}"
        )
        raise DuplicateCodeError(msg)
    codes = set(areas[child])
    no_parent = sorted(codes - set(table[lk_child]))
    no_shape = sorted(set(table[lk_child]) - codes)
    if no_parent or no_shape:
        parts = []
        if no_parent:
            parts.append(f"{len(no_parent)} areas of {src['id']!r} are not in the lookup "
                         f"({format_codes(no_parent)})")
        if no_shape:
            parts.append(f"{len(no_shape)} lookup codes have no boundary "
                         f"({format_codes(no_shape)})")
        msg = (
            f"dataset {ident!r}: {'; '.join(parts)}. Both must be the same vintage "
            f"({src['level']}); fetch them again together"
        )
        raise VintageError(msg)
    joined = areas.merge(table, left_on=child, right_on=lk_child, how="left",
                         validate="one_to_one").to_crs(27700)
    dissolved = joined.dissolve(by=lk_parent, aggfunc={lk_name: "first"}).sort_index()
    out = gpd.GeoDataFrame(
        {out_code: dissolved.index.astype(str), out_name: dissolved[lk_name].to_numpy()},
        geometry=_to_multi(dissolved.geometry.to_crs(4326)).values,
        crs="EPSG:4326",
    )
    return out
