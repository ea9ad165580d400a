"""Writing an export: atomically, with its attribution README beside it.

The atomic write itself has one implementation, on the ground floor
(:func:`boundaries.atomic_path`: a temporary file beside the target, renamed into place on
success, removed on failure); it is re-exported here for export code. This module adds what every
exported file shares:

* :func:`export_path`: a context manager yielding the temporary path of an export; when the block
  succeeds the README (:func:`geo.export.metadata.write_readme`) is written and the file renamed
  into place, when it fails neither is left behind.
* :func:`write_export`: the same for a file whose bytes are ready.

Examples
--------
>>> write_export("out.geojson", data, metadata=meta)   # doctest: +SKIP
PosixPath('out.geojson')
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

from boundaries import atomic_path, write_bytes_atomic, write_text_atomic
from geo.export.metadata import readme_text, write_readme

__all__ = ["atomic_path", "write_bytes_atomic", "write_text_atomic", "export_path", "write_export"]


@contextlib.contextmanager
def export_path(
    path: str | os.PathLike, *, metadata: Mapping, readme: bool = True
) -> Iterator[Path]:
    """Yield a temporary path for an export; publish it and its README if the block succeeds.

    The metadata is checked before anything is written (so bad metadata leaves no file), the
    README is written only once the export is complete, and a failure removes both.

    Parameters
    ----------
    path
        The exported file (its folder must exist).
    metadata
        Export metadata (see :func:`geo.export.metadata.export_metadata`).
    readme
        Write ``<path>.README.txt`` beside the file.

    Yields
    ------
    Path
        Where to write the file.

    Raises
    ------
    InputError
        Metadata without attribution, a missing folder, or ``path`` naming a folder.
    """
    if readme:
        readme_text(metadata, name=Path(path).name)  # validates before anything is written
    written: Path | None = None
    try:
        with atomic_path(path) as tmp:
            yield tmp
            if readme:
                written = write_readme(path, metadata)
    except BaseException:
        if written is not None:
            written.unlink(missing_ok=True)
        raise


def write_export(
    path: str | os.PathLike, data: bytes, *, metadata: Mapping, readme: bool = True
) -> Path:
    """Write an export's bytes atomically, with its README beside it (see :func:`export_path`).

    Returns
    -------
    Path
        ``path``.
    """
    with export_path(path, metadata=metadata, readme=readme) as tmp:
        tmp.write_bytes(data)
    return Path(path)
