"""Package re-exports imported on first use, so ``python -m geo`` starts without the whole library.

A package ``__init__`` lists its public names as ordinary imports inside an
``if TYPE_CHECKING:`` block (type checkers and readers see them there) and calls
:func:`lazy_exports`, which reads that block and imports a name's module only when the name is
first used (PEP 562). ``from geo.maps import choropleth_map`` works as before; ``import
geo.export.atomic`` no longer imports the maps (mapclassify takes seconds to import).
"""

from __future__ import annotations

import ast
import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["lazy_exports"]


def _exports_of(path: str) -> dict[str, tuple[str, str]]:
    """Public name -> (module, name there), from the ``if TYPE_CHECKING:`` imports of ``path``."""
    tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    found: dict[str, tuple[str, str]] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for stmt in node.body:
                if isinstance(stmt, ast.ImportFrom) and stmt.module:
                    for alias in stmt.names:
                        found[alias.asname or alias.name] = (stmt.module, alias.name)
    return found


def lazy_exports(package: str, path: str) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of a package whose re-exports load on first use.

    Parameters
    ----------
    package
        The package's ``__name__``.
    path
        The package's ``__file__`` (its ``if TYPE_CHECKING:`` block lists the re-exports).

    Returns
    -------
    tuple
        ``(__getattr__, __dir__)`` to assign in the package's ``__init__``.
    """
    exports = _exports_of(path)

    def __getattr__(name: str) -> Any:
        if name not in exports:
            msg = f"module {package!r} has no attribute {name!r}"
            raise AttributeError(msg)
        module, original = exports[name]
        value = getattr(importlib.import_module(module), original)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(exports))

    return __getattr__, __dir__
