"""Methodology and sources: datasets, licences, attribution, methods and seeds."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import boundaries
import geo
from geo._errors import OppmapError
from geo.maps.assets import asset_versions
from geo.maps.classes import PALETTES
from geo.methodology import methodology_text
from pages import _shared as sh

sh.set_page("methods")
st.title("Methodology and sources")

st.header("Attribution")
st.markdown("Every map, table and download carries these statements:")
for line in geo.attribution_lines():
    st.markdown(f"- {line}")

st.header("Datasets")
rows = []
for ident, meta in geo.registry().items():
    rows.append({
        "dataset": ident, "title": meta.get("title", ""), "publisher": meta.get("publisher", ""),
        "vintage": meta.get("vintage", ""), "licence": meta.get("licence", ""),
        "kind": meta.get("kind", ""), "landing page": meta.get("landing", ""),
    })
st.dataframe(pd.DataFrame(rows), width="stretch", hide_index=True, key="methods_datasets",
             column_config={"landing page": st.column_config.LinkColumn()})
st.markdown(
    "Licences: the Open Government Licence v3.0 "
    "(https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/) for ONS, "
    "MHCLG, DfE, Social Mobility Commission, Welsh and Scottish Government data; CC BY 4.0 for "
    "mySociety data. Boundaries: ONS Open Geography Portal, © Crown copyright and database "
    "right 2024 (OS)."
)

st.header("Indicators")
cat = sh.catalogue()
st.dataframe(cat[["label", "unit", "polarity", "life_stage", "principle", "level", "vintage"]],
             width="stretch", key="methods_catalogue")

st.header("Methods")
st.markdown(
    """
**Geography.** Areas are identified by official codes and their vintage (LSOA 2021, LAD May
2024, upper-tier councils 2024). All computation is in British National Grid (EPSG:27700); maps
use simplified copies in WGS 84 made with coverage-aware simplification, so neighbours keep a
shared edge. IoD 2019 (LSOA 2011) is carried to LSOA 2021 through the ONS lookup, never by a
silent merge.

**Council summaries.** The IoD-style summaries (average score and rank, share of LSOAs in
England's most deprived 10%, extent, local concentration) are computed from LSOA scores and ranks
with Census 2021 populations, following MHCLG's definitions; a higher value always means more
deprived.

**Compounded and persistent disadvantage.** An LSOA is *compounded* when it is in England's worst
10% on at least three of the seven IoD domains at once, and *persistent* when it is in the worst
10% on the IMD in both 2019 and 2025.

**Hotspots.** Getis-Ord Gi* over all of England's 33,755 LSOAs, with binary contiguity weights
that include each area itself (islands joined to their nearest neighbours so they are not
falsely significant), 999 conditional permutations with a fixed seed, two-sided p-values, and
the Benjamini-Hochberg false discovery rate controlled at 5% over all tests. A "hot spot 95%" is
an LSOA whose neighbourhood is significantly more deprived than England's at q <= 0.05.

**Comparisons.** Ranks put 1 on the worst council whatever the direction of the indicator.
England's figure is the publisher's (DfE) or England summarised as one area exactly like a
council (IoD-style summaries, compounded and persistent shares); only where neither exists
(the Social Mobility Commission's UK z-scores) is it the mean of councils, and the tables say so.
Each council is also set beside its region and its 10 statistical neighbours (standardised
Euclidean distance on IoD scores, density and age mix; the page shows each variable's share of
the distance). Better / similar / worse verdicts are given only where a 95% Wilson interval can
be computed from a published cohort (NEET, not known, participation and apprenticeships of
16-17 year olds): a difference counts when the intervals do not overlap. Spine charts put
England in the middle and the worse end on the left for every indicator.

**Named clusters.** Touching LSOAs that are Gi* hot spots (95% or more, after the false discovery
rate) of the number of domains in England's worst 10% form a cluster, named after the wards
that hold half its people and their councils; the maps outline and name them.

**Map classes and colours.** Values are put in classes with quantiles (equal counts, the
default), deciles, Fisher-Jenks natural breaks or equal intervals (mapclassify). Colours are
colour-blind-safe sequential palettes (ColorBrewer YlOrRd by default); the darkest colour always
marks the worse end of the indicator, so for "higher is better" indicators the palette is
reversed. Areas without a value are grey and counted in the legend. Every map has a data table
and a one-sentence summary.

**Your data.** Uploaded files are checked (codes, vintages, duplicates, suppressed cells,
non-numeric values) and only the matching rows are mapped; nothing is stored.
"""
)

with st.expander("The full methodology note (also in every council pack)"):
    st.markdown(methodology_text())

st.header("Reproducibility")
try:
    manifest = boundaries.read_manifest(boundaries.store_dir())
except OppmapError as exc:
    st.warning(f"No data store to describe: {exc}")
    manifest = {}
params = manifest.get("hotspot_params", {})
st.markdown(
    f"- Store build fingerprint: `{manifest.get('fingerprint', 'n/a')}`\n"
    f"- Hotspot permutations: {params.get('permutations', 999)}, seed "
    f"{params.get('seed', 42)}, alpha {params.get('alpha', 0.05)}, correction "
    f"{params.get('correction', 'fdr_bh')}\n"
    f"- Colour palettes: {', '.join(sorted(PALETTES))}\n"
    + "".join(f"- Map library: {name} {v['version']} ({v['license']}), served from this "
              "machine, so maps work without internet\n"
              for name, v in asset_versions().items())
)
