"""The project's exceptions and warnings, in one module.

Every exception subclasses :class:`ValueError` through :class:`OppmapError`, so callers that
only know the standard library can still catch them. Messages name the argument or file, what was
expected, what arrived, and how to fix it.
"""

from __future__ import annotations

__all__ = [
    "OppmapError",
    "SourceMissingError",
    "SchemaError",
    "DuplicateCodeError",
    "VintageError",
    "StoreError",
    "InputError",
    "OfflineError",
    "UnmatchedCodesWarning",
    "RepairedGeometryWarning",
    "format_codes",
]


class OppmapError(ValueError):
    """Base class of every error raised by oppmap."""


class SourceMissingError(OppmapError):
    """A source file of the data registry is not where it should be."""


class SchemaError(OppmapError):
    """A table lacks required columns or has columns of the wrong kind."""


class DuplicateCodeError(OppmapError):
    """Area codes that must be unique are repeated."""


class VintageError(OppmapError):
    """Codes of another boundary vintage (or another level) arrived where one vintage was expected."""


class StoreError(OppmapError):
    """The store is missing, half-written or from an older code version."""


class InputError(OppmapError):
    """A user's input (an argument, an uploaded file) cannot be used as it is."""


class OfflineError(OppmapError):
    """An official publisher could not be reached."""


class UnmatchedCodesWarning(UserWarning):
    """Some codes did not join; the data for them is reported, not silently dropped."""


class RepairedGeometryWarning(UserWarning):
    """Invalid geometries were repaired with ``make_valid``."""


def format_codes(codes, *, limit: int = 10) -> str:
    """Format a collection of codes for a message: the first ``limit`` and a count of the rest.

    Parameters
    ----------
    codes
        Any iterable of codes.
    limit
        How many codes to show.

    Returns
    -------
    str
        For example ``"E01000001, E01000002 (and 3 more)"``.

    Examples
    --------
    >>> format_codes(["a", "b", "c"], limit=2)
    'a, b (and 1 more)'
    """
    codes = [str(c) for c in codes]
    shown = ", ".join(codes[:limit])
    rest = len(codes) - limit
    return f"{shown} (and {rest} more)" if rest > 0 else shown
