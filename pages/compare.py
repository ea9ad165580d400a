"""Compare places: two to four councils of the UK side by side, against their nations, their
regions and their statistical neighbours, indicator by indicator and neighbourhood by
neighbourhood. Councils of different nations are compared on the composite UK IMD, the one
measure every council has (each nation's own index ranks only its own areas)."""

from __future__ import annotations

import warnings

import streamlit as st

from geo import council_areas as ga
from geo import profile_tables as gt
from geo.data.nations import comparability_note
from geo.data.sources import nations_in_words
from geo.maps.charts import bar_chart, spine_chart
from geo.maps.choropleth import choropleth_map
from geo.maps.classes import MissingValuesWarning
from geo.maps.text import describe_values, map_table
from pages import _data as data
from pages import _shared as sh
from pages import _state as state

sh.set_page("compare")
st.title("Compare places")
sh.require_store()

names = data.councils()
lad = names[names["level"] == "lad24"].sort_values("name")
options = data.measures()
sh.unknown_council_notice("councils")

chosen = state.read_list("councils", lad.index, ["E08000025", "E08000003"], limit=4)
state.widget(st.multiselect, "Councils (2 to 4, lower tier / unitary)", lad.index.tolist(),
             param="councils", key="compare_councils", default=chosen, value=chosen,
             max_selections=4, format_func={c: f"{n} ({c})" for c, n in lad["name"].items()}.get)

if len(chosen) < 2:
    st.info("Choose at least two councils to compare.")
    sh.stop()

label_of = {code: str(lad.loc[code, "name"]) for code in chosen}
letters = list(dict.fromkeys(str(lad.loc[code, "country"]) for code in chosen))
across = len(letters) > 1
if across:
    st.info(f"These councils are in {nations_in_words(letters)}. Each nation's own index ranks only its "
            "own areas, so their figures are not comparable across nations: the councils are "
            "compared on the composite UK IMD (mySociety), the one measure every council of "
            "the UK has, and each council's own index is set beside its own nation. "
            + " ".join(ga.composite_attribution(sh.DEFAULT_INDICATOR.split(".")[0])))

# ----------------------------------------------------------------------------- indicators
with st.spinner(f"Comparing the councils with {nations_in_words(letters)}, their regions and "
                "neighbours..."):
    profiles = {label_of[code]: data.profile(code) for code in chosen}
    table = gt.side_by_side(profiles)
    spine = gt.spine_data({k: v for k, v in profiles.items() if not v.empty}, data.level_tables())

st.header("Indicators by life stage")
for area, prof in profiles.items():
    st.markdown("- " + gt.describe_profile(prof, name=area))
if not spine.empty:
    nations = sorted({gt.benchmark_of(p) for p in profiles.values() if not p.empty})
    benchmark = nations[0] if len(nations) == 1 else "each council's nation"
    st.markdown(
        "Each row: the spread of all councils (light grey: worst to best; dark grey: the middle "
        f"half), {benchmark} at the black tick, and a mark for each chosen council. **Worse is "
        "always on the left**, whatever the direction of the indicator."
        + ("" if len(nations) == 1 else f" The tick is each council's own nation ("
           f"{', '.join(nations)}): its marks compare with that nation, not across nations.")
        + (" The composite UK IMD rows are one UK scale for every council: the tick is the "
           "UK (the mean of all councils), so the councils' marks are in the order of their "
           "scores." if (spine["benchmark"] == gt.UK_BENCHMARK).any() else "")
    )
    st.altair_chart(spine_chart(spine, colour_by="area", benchmark=benchmark),
                    key="compare_spine")
st.dataframe(table, width="stretch", hide_index=True, key="compare_table")
st.caption(
    "Rank 1 is the worst council of those the measure covers (England's for the IoD, each "
    "nation's for its own index, the UK's for the composite UK IMD and the Social Mobility "
    "Commission's indices), whatever the direction of the indicator. Each council is compared "
    "with its own nation, its region (outside England, the nation) and its 10 statistical "
    "neighbours; verdicts are significance tests where a 95% Wilson interval exists (NEET and "
    "participation of 16-17 year olds, from the published cohorts); words in brackets compare "
    "values only. DfE figures (NEET, attainment, KS2) are published for upper-tier councils of "
    "England: a district shows its county's figure. A nation's figure is the published or "
    "store-computed one; where none exists none is shown (not a mean of councils). " + comparability_note()
)
sh.attribution_caption()

# ----------------------------------------------------------------------------- one indicator
st.header("One indicator on the map")
lad_options = options[options["lad24"] != ""]
sh.unknown_indicator_notice(options, list(lad_options.index), default=sh.DEFAULT_INDICATOR,
                            where="Compare")
c1, c2 = st.columns([3, 1.3])
indicator = state.widget(c1.selectbox, "Indicator", gt.menu_order(lad_options), param="indicator",
                         key="compare_indicator", default=sh.DEFAULT_INDICATOR,
                         format_func=lad_options["label"].to_dict().get)
scheme = state.widget(c2.selectbox, "Classes", list(sh.SCHEMES), param="scheme",
                      key="compare_scheme", default="quantiles", format_func=sh.SCHEMES.get)
meta = lad_options.loc[indicator]
values = data.council_values(indicator)
shapes = data.display_boundaries("lad24", "national")
frame = shapes.loc[shapes["country"].isin(letters), ["name", "country", "geometry"]].join(values)
covers = set(str(meta["nations"]).split(";"))
outside = frame.index[~frame["country"].isin(covers)]
missing = [label_of[c] for c in chosen if c in outside]
if missing:
    st.warning(f"{meta['label']} does not cover {', '.join(missing)} (another nation's index): "
               "greyed on the map, not covered by this index. Choose the composite UK IMD to "
               "compare councils of different nations.")
st.altair_chart(bar_chart(frame.loc[chosen].set_index("name")["value"].dropna(),
                          label=meta["label"], unit=meta["unit"]), key="compare_bars")
with warnings.catch_warnings():
    warnings.simplefilter("ignore", MissingValuesWarning)
    m = choropleth_map(frame, "value", scheme=scheme, polarity=meta["polarity"],
                       label=meta["label"], unit=meta["unit"], highlight=chosen,
                       fit="highlight", layer_name="Councils", not_covered=outside,
                       attribution=data.map_attribution([indicator], levels=["lad24"]))
    full_table = map_table(frame.drop(index=outside), "value", scheme=scheme, unit=meta["unit"])
sentence = describe_values(frame.loc[chosen, "value"], label=meta["label"], unit=meta["unit"],
                           polarity=meta["polarity"], names=frame["name"],
                           area_word="chosen councils")
sh.map_block(m, key="compare_map", sentence=sentence,
             table=full_table.reindex([c for c in chosen if c in full_table.index]),
             label=meta["label"], height=460,
             extra_attribution=ga.composite_attribution(meta["dataset"]))
st.caption("The map is classed over all councils shown that the measure covers; the chosen "
           "ones are outlined in black. "
           + ga.coverage_note(meta["label"], meta["nations"], n_outside=len(outside),
                              dataset=meta["dataset"]))

# ----------------------------------------------------------------------------- neighbourhoods
st.header("Neighbourhoods side by side")
d1, d2, d3 = st.columns([2.6, 1.4, 1.6])
lsoa_indicator, hotspot = sh.neighbourhood_choices(d1, d2, page="compare")
classes = state.widget(d3.radio, "Colours", list(sh.CLASSES), param="classes",
                       key="compare_classes", default="national", format_func=sh.CLASSES.get)
st.caption(("Each council's neighbourhoods are coloured on one scheme, the classes of its whole "
            "nation's neighbourhoods on its own index, so the same colour means the same values "
            "on the maps of councils of one nation." if classes == "national" else
            "Each council's neighbourhoods are classed within that council (quantiles), so "
            "colours compare places within a council, not across councils.")
           + (" Councils of different nations are each shown on their own nation's index: "
              "their colours do not compare across nations." if across else "")
           + (f" Hotspots: {data.hotspot_choices()[hotspot]}; each council's areas judged on its "
              "own nation's national run (the caption of each map says how)."
              if hotspot != "none" else ""))
for start in range(0, len(chosen), 2):
    for column, code in zip(st.columns(2), chosen[start:start + 2], strict=False):
        with column:
            st.markdown(f"**{label_of[code]}**")
            with st.spinner(f"Drawing {label_of[code]}..."):
                view = data.council_lsoa_view(code, lsoa_indicator, scheme="quantiles",
                                              hotspot=hotspot, classes=classes, label_top=3)
            sh.show_council_view(view, key=f"compare_lsoas_{code}", height=480, brief=True)
sh.finish()
