"""Download the official datasets and convert them into the mirror layout (``data fetch``).

Each registry entry (``data/sources.toml``) names an official URL, the official file's format
(``official_format``) and the mirror file the store build reads (``file``, ``format``). This module
downloads the official file with :mod:`pooch` (checked against the entry's ``sha256`` when the
registry pins one), converts it, and writes ``DEST/<file>`` atomically (a temporary file in the
same folder, renamed into place: :func:`boundaries.atomic_path`), so a failed or interrupted fetch
never leaves a half-written mirror file.

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

import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pandas as pd

from boundaries import atomic_path
from geo._errors import InputError, OfflineError, OppmapError
from geo.data._convert import (
    _check_topojson,
    _derive_dissolved,
    _derived_inputs,
    _features_to_frame,
    _read_official_csv,
    _to_mirror_columns,
)
from geo.data._http import (
    _download,
    _fetch_arcgis,
    _refuse_pinned_pages,
    _rewrite_url,
)
from geo.data.sources import dataset, file_sha256, registry

__all__ = ['ARCGIS_MAX_PAGE', 'FetchRecord', 'FetchReport', 'fetch_dataset', 'fetch_datasets', 'format_fetch_report']


#: The ONS ArcGIS services answer at most this many records a page.
ARCGIS_MAX_PAGE = 2000


#: Official formats that fetch does not convert (the file is placed in the mirror by hand).
NOT_CONVERTED = {
    "xlsx": "an Excel workbook",
    "ods": "an OpenDocument spreadsheet",
    "zipped_shapefile": "a zipped shapefile",
}


CONVERTED = ("csv", "arcgis_geojson", "topojson", "derived")


ERRORS = ("report", "raise")


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


def _write_csv(table: pd.DataFrame, target: Path) -> int:
    """Write a mirror CSV atomically (creating its folder); return its rows."""
    with atomic_path(target, parents=True) as tmp:
        table.to_csv(tmp, index=False)
    return len(table)


def _write_gpkg(gdf: Any, target: Path) -> int:
    """Write a mirror GeoPackage atomically (creating its folder); return its rows."""
    import pyogrio

    with atomic_path(target, parents=True) as tmp:
        pyogrio.write_dataframe(gdf, tmp, driver="GPKG", layer=target.stem)
    return len(gdf)


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
            with atomic_path(target, parents=True) as tmp_target:
                os.replace(raw, tmp_target)
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
