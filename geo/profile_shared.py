"""Figures published for an area larger than the council, carried by several councils.

A table's ``area_name`` shared by several councils marks one published figure that they all
carry: the SMC's Northern Ireland for its 11 councils, a county's figure for its districts,
abolished Cumbria's DfE figures for its two successors. :func:`mark_shared` names it in a
profile (and leaves it unranked: its councils would all tie); :func:`shared_figures` tells
:func:`geo.stats.intervals.compare_area` to count it once in other councils' ranks.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["mark_shared", "shared_figures"]


def mark_shared(profile: pd.DataFrame, *, tables: Mapping[str, pd.DataFrame],
                 measures: pd.DataFrame) -> pd.DataFrame:
    """Figures published for an area larger than the council (a table's ``area_name`` shared
    by several councils: the SMC's Northern Ireland, a county for its districts) are named
    (``shared_area``, ``n_sharing`` councils) and not ranked: its councils would all tie."""
    profile = profile.assign(shared_area=None, n_sharing=np.nan)
    for ident, area in profile["area_code"].items():
        table = tables.get(str(measures.at[ident, str(profile.at[ident, "level"])]))
        if table is None or "area_name" not in table.columns or area not in table.index:
            continue
        name = table.at[area, "area_name"]
        if pd.notna(name) and (sharing := int((table["area_name"] == name).sum())) > 1:
            profile.loc[ident, ["shared_area", "n_sharing", "rank"]] = [str(name), sharing, np.nan]
    return profile


def shared_figures(tables: Mapping[str, pd.DataFrame], measures: pd.DataFrame,
                    lvl: str) -> dict[str, pd.Series]:
    """Per measure, the councils that carry one published figure of a larger area (code ->
    that area's ``area_name``, as :func:`mark_shared` names them), for the ranks to count
    it once."""
    out = {}
    for ident in measures.index:
        table = tables.get(str(measures.at[ident, lvl])) if lvl in measures.columns else None
        if table is None or "area_name" not in table.columns:
            continue
        names = table["area_name"]
        carried = names.notna() & names.duplicated(keep=False)
        if carried.any():
            out[ident] = names[carried]
    return out
