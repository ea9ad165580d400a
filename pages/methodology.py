"""Methodology and sources: datasets, licences, attribution, methods and seeds."""

from __future__ import annotations

import streamlit as st

import boundaries
import geo
from geo._errors import OppmapError
from geo.council_areas import composite_attribution
from geo.data.nations import comparability_note, comparable_datasets
from geo.maps.assets import asset_versions
from geo.maps.classes import PALETTES
from geo.methodology import (
    correction_words,
    hotspots_paragraph,
    methodology_text,
    nations_table,
    sources_table,
    stored_parameters,
)
from pages import _data as data
from pages import _shared as sh

sh.set_page("methods")
st.title("Methodology and sources")

st.header("Attribution")
st.markdown(
    "Each map names the sources it draws in its corner (short form) and has the full statements "
    "under it; every file oppmap makes (the council pack, the analysis zip, the command line's "
    "exports) carries them in its README. A table's own download (the \"Download as CSV\" "
    "button in its toolbar) saves the values only: credit these statements when you reuse it.")
for line in geo.attribution_lines():
    st.markdown(f"- {line}")

st.header("Four nations")
st.markdown(
    "Each nation of the UK publishes its own index of deprivation, on its own small areas; "
    "this tool keeps each on its own index and never mixes them. What is available for each "
    "nation, at which level, vintage and licence (from the registry of sources):")
st.dataframe(nations_table(), width="stretch", hide_index=True, key="methods_nations")
st.markdown(comparability_note() + " Maps and tables of councils of several nations use the "
            "composite UK IMD by default; a nation's own index greys the councils it does not "
            "cover (\"not covered by this index\").")
st.caption(" ".join(composite_attribution(comparable_datasets()[0])))

st.header("Datasets")
datasets = sources_table().drop(columns="attribution").reset_index()
st.dataframe(datasets, width="stretch", hide_index=True, key="methods_datasets",
             column_config={"url": st.column_config.LinkColumn("landing page")})
st.markdown(
    "Licences: the Open Government Licence v3.0 "
    "(https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/) for ONS, "
    "MHCLG, DfE, Social Mobility Commission, Welsh and Scottish Government data; CC BY 4.0 for "
    "mySociety data. Boundaries: ONS Open Geography Portal, © Crown copyright and database "
    "right 2024 (OS)."
)

st.header("Indicators")
cat = data.catalogue()
st.dataframe(cat[["label", "unit", "polarity", "life_stage", "principle", "level", "vintage"]],
             width="stretch", key="methods_catalogue")

try:
    params = stored_parameters()
except OppmapError as exc:
    params, problem = None, str(exc)
    st.warning(f"No data store to describe: {exc}")

st.header("Methods")
if params is None:
    hotspots = ("**Hotspots.** Local Getis-Ord Gi* and local Moran's I with permutation "
                f"inference and a false discovery rate; the parameters come from the store: "
                f"{problem}")
else:
    run = data.hotspot_runs().loc[data.CLUSTERED]
    hotspots = hotspots_paragraph(params, n_tested=run["n_tested"], where=run["where"])
st.markdown(
    """
**Geography.** Areas are identified by official codes and their vintage (LSOA 2021, LAD May
2024, upper-tier councils 2024). All computation is in British National Grid (EPSG:27700); maps
use simplified copies in WGS 84 made with coverage-aware simplification, so neighbours keep a
shared edge. IoD 2019 (LSOA 2011) is carried to LSOA 2021 through the ONS lookup, never by a
silent merge.

**Council summaries.** The IoD-style summaries (average score and rank, share of small areas in
the nation's most deprived 10%, extent, local concentration) are computed from each index's
own small areas, following MHCLG's definitions: England's from LSOA scores and ranks with
Census 2021 populations, Wales's from WIMD 2019 on LSOAs 2011 with mid-2019 populations,
Scotland's from SIMD 2020 ranks of data zones (unweighted: no data-zone population in the
mirror); Northern Ireland's NIMDM 2017 figures are as published. A higher value always means
more deprived.

**Compounded and persistent disadvantage.** A small area is *compounded* when it is in its
nation's worst 10% on at least three of its own index's domains at once (seven in England and
Scotland, eight in Wales), and *persistent* (England) when it is in the worst 10% on the IMD
in both 2019 and 2025.

{hotspots}

**Comparisons.** Ranks put 1 on the worst council whatever the direction of the indicator.
England's figure is the publisher's (DfE) or England summarised as one area exactly like a
council (IoD-style summaries, compounded and persistent shares). Where neither exists (the Social
Mobility Commission's UK z-scores, KS2, the composite UK IMD, NIMDM extents) no benchmark is shown,
never a mean of councils; the share of a nation's small areas in its own most deprived 10% is 10%
by construction, and the tables say so.
Each council is also set beside its region and its 10 statistical neighbours (standardised
Euclidean distance on IoD scores, density and age mix; the page shows each variable's share of
the distance). Better / similar / worse verdicts are given only where a 95% Wilson interval can
be computed from a published cohort (NEET, not known, participation and apprenticeships of
16-17 year olds): a difference counts when the intervals do not overlap. Spine charts put
England in the middle and the worse end on the left for every indicator.

**Hotspots in outcomes.** Every map, table, count and legend says what a result means for
people: worse cluster, better cluster, worse outlier, better outlier, not significant, not
tested (legends worse first), with the method's own label (Gi*'s "hot spot 99%", local Moran's
"High-High") kept as detail and an ArcGIS-style bin (-3 to 3) in the packs. On a council's map,
the z and p of its nation's national run are judged over the council's own small areas as one
family, as `python -m geo hotspots --within` reports them.

**Named clusters.** In each nation with small areas, touching small areas that are worse
clusters of Gi* (95% or more, after the false discovery rate) of the number of the nation's
own domains in its worst 10% form a cluster, named after the wards (in Scotland, intermediate
zones) that hold half its people and their councils; the maps outline and name them. Scotland's
data zones have no population in the mirror, so a Scottish cluster's size is in data zones.

**Map classes and colours.** Values are put in classes with quantiles (equal counts, the
default), deciles, Fisher-Jenks natural breaks or equal intervals (mapclassify). Colours are
colour-blind-safe sequential palettes (ColorBrewer YlOrRd by default); the darkest colour always
marks the worse end of the indicator, so for "higher is better" indicators the palette is
reversed, and legends put the worse end on top. Areas without a value are grey and counted in
the legend. A council's neighbourhoods are classed among every neighbourhood of its nation by
default, so that maps of two councils of one nation compare; classes within the council are an
option. Deciles have a colour each. Areas a measure does not cover (another nation's index) are
pale grey, "not covered by this index". Every map has a data table and a one-sentence summary.

**Place names and basemap.** Maps carry no tiles from the internet: council names and, from
closer zooms, ward names (ONS) and Scottish data zone names are drawn from the boundaries in the
store. An optional web basemap (OpenStreetMap, © OpenStreetMap contributors) can be switched on
in the sidebar on a machine that is online.

**Your data.** Uploaded files are checked (codes, vintages, duplicates, suppressed cells,
non-numeric values) and only the matching rows are mapped; nothing is stored.
""".replace("{hotspots}", hotspots)
)

with st.expander("The full methodology note (also in every council pack)"):
    if params is None:
        st.markdown(f"The note states the parameters of the store's hotspots: {problem}")
    else:
        st.markdown(methodology_text(params))

st.header("Reproducibility")
lines = [f"- Colour palettes: {', '.join(sorted(PALETTES))}"]
lines += [f"- Map library: {name} {v['version']} ({v['license']}), served from this machine, so "
          "maps work without internet" for name, v in asset_versions().items()]
if params is not None:
    fingerprint = boundaries.read_manifest(boundaries.store_dir())["fingerprint"]
    lines[:0] = [f"- Store build fingerprint: `{fingerprint}`",
                 f"- Hotspot permutations: {params['permutations']:,}, seed {params['seed']}, "
                 f"alpha {params['alpha']}, correction {correction_words(params)[0]}"]
st.markdown("\n".join(lines))
sh.finish()
