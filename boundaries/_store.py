"""Where the store lives and how it is written: atomically, never half-read.

Layout under the cache directory (``$OPPMAP_CACHE``, default ``data/cache`` in the repository)::

    builds/<build-id>/        one complete build (manifest.json written last)
    current -> builds/<id>    symbolic link, swapped atomically with os.replace

A build is written into a temporary folder; only when every file is in place is ``current``
re-pointed at it. A reader that finds no ``current``, no manifest, or a manifest of another
``STORE_FORMAT`` gets a :class:`StoreError` telling it to rebuild, never a half-written store.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from boundaries._atomic import write_text_atomic
from boundaries._errors import StoreError

__all__ = [
    "STORE_FORMAT",
    "cache_dir",
    "store_dir",
    "read_manifest",
    "new_build_dir",
    "publish_build",
    "discard_build",
    "write_json",
    "build_lock",
    "list_files",
]

#: Bump when the layout or the meaning of stored tables changes: older stores are then rebuilt.
STORE_FORMAT = 4

REPO = Path(__file__).resolve().parents[1]
BUILD_HINT = "run `python -m geo data build` (or `make run`, which builds it when missing)"


def cache_dir() -> Path:
    """The cache directory: ``$OPPMAP_CACHE`` or ``data/cache`` in the repository."""
    env = os.environ.get("OPPMAP_CACHE")
    path = Path(env).expanduser() if env else REPO / "data" / "cache"
    if not path.is_absolute():
        path = (REPO / path) if not env else Path.cwd() / path
    return path.resolve()


def store_dir(*, check: bool = True) -> Path:
    """The current store folder.

    Parameters
    ----------
    check
        Verify that the store exists and has a manifest of the current ``STORE_FORMAT``.

    Raises
    ------
    StoreError
        If the store is missing, incomplete or from an older code version.
    """
    current = cache_dir() / "current"
    if not check:
        return current
    if not current.exists():
        msg = f"no store at {current}: {BUILD_HINT}"
        raise StoreError(msg)
    read_manifest(current)
    return current.resolve()


def read_manifest(store: Path) -> dict[str, Any]:
    """Read and check a store's manifest.

    Raises
    ------
    StoreError
        If the manifest is missing or unreadable, or the store format is not ``STORE_FORMAT``.
    """
    path = Path(store) / "manifest.json"
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        msg = f"the store at {store} is incomplete (no manifest.json): {BUILD_HINT}"
        raise StoreError(msg) from None
    except (OSError, json.JSONDecodeError) as exc:
        msg = f"the store manifest {path} cannot be read ({exc}): {BUILD_HINT}"
        raise StoreError(msg) from exc
    fmt = manifest.get("store_format")
    if fmt != STORE_FORMAT:
        msg = (
            f"the store at {store} has format {fmt!r} but this code reads format {STORE_FORMAT}: "
            f"{BUILD_HINT}"
        )
        raise StoreError(msg)
    return manifest


def new_build_dir() -> Path:
    """Create an empty temporary build folder inside the cache directory."""
    root = cache_dir()
    (root / "builds").mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=".tmp-", dir=root / "builds"))


def publish_build(tmp: Path, build_id: str) -> Path:
    """Move a finished build into place and point ``current`` at it atomically.

    Parameters
    ----------
    tmp
        The temporary folder from :func:`new_build_dir`, with ``manifest.json`` written.
    build_id
        A name for the build (the fingerprint of sources and code).

    Returns
    -------
    Path
        The published build folder.
    """
    tmp = Path(tmp)
    if not (tmp / "manifest.json").exists():
        msg = f"refusing to publish {tmp}: it has no manifest.json, so the build did not finish"
        raise StoreError(msg)
    manifest = json.loads((tmp / "manifest.json").read_text())
    missing = [f for f in manifest.get("files", []) if not (tmp / f).is_file()]
    if missing:
        msg = f"refusing to publish {tmp}: files listed in its manifest are missing: {missing[:5]}"
        raise StoreError(msg)
    root = cache_dir()
    final = root / "builds" / build_id
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)
    link_tmp = root / f".current-{os.getpid()}"
    if link_tmp.is_symlink() or link_tmp.exists():
        link_tmp.unlink()
    os.symlink(Path("builds") / build_id, link_tmp)
    os.replace(link_tmp, root / "current")
    # Older finished builds are no longer reachable: remove them (a reader holding a file open
    # keeps it). Temporary folders of other builds are left alone unless they are stale.
    for old in (root / "builds").iterdir():
        if old.name == build_id:
            continue
        if old.name.startswith(".tmp-") and time.time() - old.stat().st_mtime < 6 * 3600:
            continue
        shutil.rmtree(old, ignore_errors=True)
    return final


def discard_build(tmp: Path) -> None:
    """Remove a failed temporary build folder; the current store is untouched."""
    shutil.rmtree(tmp, ignore_errors=True)


def write_json(obj: Any, path: Path) -> None:
    """Write JSON deterministically (sorted keys, 2-space indent, UTF-8)."""
    text = json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"
    write_text_atomic(path, text)


def list_files(folder: Path) -> list[str]:
    """Every file under a build folder, relative and sorted (the manifest's ``files``)."""
    folder = Path(folder)
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                  if p.is_file() and p.name != "manifest.json")


@contextlib.contextmanager
def build_lock(*, timeout: float = 3600.0) -> Iterator[None]:
    """Hold the cache's build lock: one build at a time per cache directory.

    A second build waits for the first, then finds the store up to date and skips.
    """
    root = cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".build.lock").open("w") as fh:
        start = time.monotonic()
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() - start > timeout:
                    msg = f"another build has held {root / '.build.lock'} for over {timeout:.0f} s"
                    raise StoreError(msg) from None
                time.sleep(0.5)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
