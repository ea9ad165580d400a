"""Atomic file writes, the one primitive every writer of the project uses.

A file is written under a temporary name in its own folder and renamed onto its final name
(:func:`os.replace`, atomic on one file system) only once the whole file is there; on any failure
the temporary file is removed. So a reader sees the old file or the new one, never half of one,
and a failed write leaves nothing behind.

* :func:`atomic_path`: a context manager yielding the temporary path, for writers that take a
  path (rasterio, pyogrio, ``DataFrame.to_parquet``).
* :func:`write_bytes_atomic` / :func:`write_text_atomic`: a whole file from bytes or text; text
  is UTF-8 with the line endings it has (no platform translation, so ``"\\n"`` stays LF).

It lives on the ground floor so that every layer can use it (``geo.data`` must not import
``geo.export``). Publishing a whole store build (a directory swap) is a different operation: see
:func:`boundaries._store.publish_build`.

Examples
--------
>>> from pathlib import Path
>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> write_text_atomic(folder / "a.txt", "one\\ntwo\\n").read_bytes()
b'one\\ntwo\\n'
"""

from __future__ import annotations

import contextlib
import glob
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from boundaries._errors import InputError

__all__ = ["atomic_path", "write_bytes_atomic", "write_text_atomic"]


def _check_target(target: Path, *, parents: bool) -> None:
    """Refuse a folder as target; create or refuse a missing parent folder."""
    if target.is_dir():
        msg = f"`path` {str(target)!r} is a folder; give a file name inside it"
        raise InputError(msg)
    folder = target.parent
    if folder.is_dir():
        return
    if parents:
        folder.mkdir(parents=True, exist_ok=True)
        return
    msg = (
        f"`path` {str(target)!r}: the folder {str(folder)!r} does not exist; create it first "
        f"(mkdir -p {str(folder)!r}) or choose another output path"
    )
    raise InputError(msg)


def _remove_leftovers(tmp: Path) -> None:
    """Remove the temporary file and any sidecar a driver left beside it (``-wal``, ``.aux.xml``)."""
    for leftover in tmp.parent.glob(glob.escape(tmp.name) + "*"):
        with contextlib.suppress(OSError):
            leftover.unlink()


def _fsync(path: Path) -> None:
    """Flush a finished file to disk before it is renamed into place (best effort)."""
    if not path.is_file():
        return
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, parents: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` if the block succeeds.

    The temporary path is in the same folder (so the rename is atomic), keeps the suffix of
    ``path`` (drivers that look at the extension pick the right format) and does not exist yet
    (drivers that refuse to overwrite are happy). If the block raises, or leaves no file, the
    temporary file and any sidecar beginning with its name are removed and ``path`` is untouched.

    Parameters
    ----------
    path
        The final file.
    parents
        Create a missing parent folder (for a data mirror); by default a missing folder is refused,
        since for an output chosen by a person it is usually a typo.

    Yields
    ------
    Path
        Where to write.

    Raises
    ------
    InputError
        If ``path`` is a folder, or its folder is missing and ``parents`` is false.

    Examples
    --------
    >>> with atomic_path(folder / "b.csv") as tmp:  # doctest: +SKIP
    ...     frame.to_csv(tmp)
    """
    target = Path(path)
    _check_target(target, parents=parents)
    tmp = target.parent / f".{target.name}.{secrets.token_hex(5)}.tmp{target.suffix}"
    try:
        yield tmp
        if not tmp.exists():
            msg = f"nothing was written to {str(target)!r} (the writer produced no file)"
            raise OSError(msg)
        _fsync(tmp)
        os.replace(tmp, target)
    except BaseException:
        _remove_leftovers(tmp)
        raise


def write_bytes_atomic(path: str | os.PathLike, data: bytes, *, parents: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_path`).

    Parameters
    ----------
    path
        The file to write (replaced only once it is complete).
    data
        Its whole content.
    parents
        Create a missing parent folder instead of refusing it.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> write_bytes_atomic(folder / "c.bin", b"\\x00\\x01").stat().st_size  # doctest: +SKIP
    2
    """
    with atomic_path(path, parents=parents) as tmp:
        tmp.write_bytes(bytes(data))
    return Path(path)


def write_text_atomic(
    path: str | os.PathLike, text: str, *, parents: bool = False, encoding: str = "utf-8"
) -> Path:
    """Write ``text`` to ``path`` atomically, encoded as given, without newline translation.

    Parameters
    ----------
    path
        The file to write.
    text
        Its whole content; ``"\\n"`` is written as LF on every platform.
    parents
        Create a missing parent folder instead of refusing it.
    encoding
        Text encoding.

    Returns
    -------
    Path
        ``path``.
    """
    return write_bytes_atomic(path, text.encode(encoding), parents=parents)
