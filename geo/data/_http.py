"""Downloading official files for :mod:`geo.data.fetch`: retries, URL rewriting, ArcGIS paging.

Files come through :mod:`pooch` (checked against a pinned SHA-256 when the registry has one);
an ArcGIS feature service is read page by page (``resultOffset``) until it says it has no more,
and a service that ignores paging or answers with an error raises with the URL.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pooch
import requests

from geo._errors import OfflineError, OppmapError, SchemaError

__all__ = ['OFFLINE_HINT']


#: What to do without internet; part of every :class:`OfflineError` message.
OFFLINE_HINT = (
    "to use a local mirror instead, set OPPMAP_DATA=/path/to/mirror (for example ../shared/data) "
    "and run `python -m geo data build`"
)


_TIMEOUT = 60  # seconds to wait for a connection or a chunk of the answer


_MAX_PAGES = 10_000  # 20 million records: a guard against a service that ignores resultOffset


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


def _read_page(path: Path, *, page_url: str, entry: dict[str, Any]
               ) -> tuple[list[dict[str, Any]], bool | None]:
    """The features of one downloaded page and the service's ``exceededTransferLimit`` flag."""
    ident = entry["id"]
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
    flag = answer.get("exceededTransferLimit")
    if flag is None:
        flag = (answer.get("properties") or {}).get("exceededTransferLimit")
    return got, flag


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
            got, flag = _read_page(path, page_url=page_url, entry=entry)
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
            # more pages follow when the service says so, or says nothing and the page was full
            if not (flag is True or (flag is None and len(got) >= page_size)):
                break
        else:
            msg = f"dataset {ident!r}: {url} still had more pages after {_MAX_PAGES} pages"
            raise OppmapError(msg)
    finally:
        if bar is not None:
            bar.close()
    return features
