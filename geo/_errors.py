"""Re-export of the project's exceptions (defined on the ground floor, :mod:`boundaries._errors`)."""

from boundaries._errors import (
    DuplicateCodeError,
    InputError,
    OfflineError,
    OppmapError,
    RepairedGeometryWarning,
    SchemaError,
    SourceMissingError,
    StoreError,
    UnmatchedCodesWarning,
    VintageError,
    format_codes,
)

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
