"""Methodology and attribution text for the app's sources page, exports and council packs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from geo.data.sources import attribution_lines, registry

__all__ = ["methodology_text", "sources_table", "method_parameters"]

DOC = Path(__file__).resolve().parents[1] / "docs" / "methodology.md"


def method_parameters() -> dict[str, Any]:
    """Parameters of the precomputed results (permutations, seed, alpha, correction)."""
    from geo.data.build import HOTSPOT_PARAMS

    return dict(HOTSPOT_PARAMS)


def methodology_text(*, params: dict[str, Any] | None = None) -> str:
    """The methodology note (Markdown) with the parameters in use filled in.

    Examples
    --------
    >>> "Benjamini-Hochberg" in methodology_text()
    True
    """
    values = {**method_parameters(), **(params or {})}
    return DOC.read_text(encoding="utf-8").format(**values)


def sources_table(dataset_ids: list[str] | None = None) -> pd.DataFrame:
    """Every dataset (or those given) with publisher, vintage, licence, URL and attribution."""
    reg = registry()
    ids = list(reg) if dataset_ids is None else dataset_ids
    rows = []
    for ident in ids:
        e = reg[ident]
        rows.append({
            "dataset": ident,
            "title": e["title"],
            "publisher": e["publisher"],
            "vintage": e["vintage"],
            "licence": e["licence"],
            "url": e["landing"],
            "attribution": attribution_lines([ident])[0],
        })
    return pd.DataFrame(rows).set_index("dataset")
