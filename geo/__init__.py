"""oppmap's analysis library: indicators, statistics, maps and exports.

The public names below are the API shared by the app (``app.py``) and the command line
(``python -m geo``).
"""

from typing import TYPE_CHECKING

from geo._errors import (
    DuplicateCodeError,
    InputError,
    OfflineError,
    OppmapError,
    SchemaError,
    SourceMissingError,
    StoreError,
    UnmatchedCodesWarning,
    VintageError,
)
from geo._lazy import lazy_exports

if TYPE_CHECKING:  # re-exports, imported on first use (geo._lazy)
    from geo.data.indicators import catalogue, indicator_meta, load_indicators
    from geo.data.sources import attribution, attribution_lines, dataset, registry

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
    "catalogue",
    "indicator_meta",
    "load_indicators",
    "attribution",
    "attribution_lines",
    "dataset",
    "registry",
]

__getattr__, __dir__ = lazy_exports(__name__, __file__)
