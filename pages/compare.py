"""Compare places: two to four councils side by side, against England and each other."""

from __future__ import annotations

import warnings

import pandas as pd
import streamlit as st

from geo.classify import MissingValuesWarning
from geo.maps import choropleth_map, describe_values, format_value, map_table
from pages import _shared as sh

sh.set_page("compare")
st.title("Compare places")
sh.require_store()

names = sh.council_names()
lad = names[names["level"] == "lad24"].sort_values("name")
options = sh.council_options()

if "compare_councils" not in st.session_state:
    wanted = [c for c in (st.query_params.get("councils") or "").split(",") if c in lad.index]
    st.session_state["compare_councils"] = wanted[:4] or ["E08000025", "E08000003"]
st.multiselect(
    "Councils (2 to 4, lower tier / unitary)", lad.index.tolist(), key="compare_councils",
    max_selections=4, format_func=lambda c: f"{lad.loc[c, 'name']} ({c})",
)
chosen = list(st.session_state["compare_councils"])
sh.set_param("councils", ",".join(chosen) if chosen else None)

if len(chosen) < 2:
    st.info("Choose at least two councils to compare.")
    st.stop()

# ----------------------------------------------------------------------------- side by side
profiles = {code: sh.council_profile(code, tuple(c for c in chosen if c != code))
            for code in chosen}
ids = [i for i in sh.PROFILE_IDS if any(i in p.index for p in profiles.values())]
rows = []
for ident in ids:
    first = next(p.loc[ident] for p in profiles.values() if ident in p.index)
    row = {"Indicator": first["label"]}
    for code, prof in profiles.items():
        if ident in prof.index:
            r = prof.loc[ident]
            row[lad.loc[code, "name"]] = (f"{format_value(r['value'], r['unit'])} "
                                          f"(rank {int(r['rank'])} of {int(r['n_ranked'])})")
        else:
            row[lad.loc[code, "name"]] = "no data"
    row["England"] = format_value(first["england"], first["unit"])
    rows.append(row)
table = pd.DataFrame(rows)
n_england = sum(code.startswith("E") for code in chosen)
st.markdown(
    f"{len(ids)} indicators for {len(chosen)} councils. Rank 1 is the worst council in "
    "England (or the UK for the Social Mobility Commission's indices), whatever the direction "
    "of the indicator."
    + ("" if n_england == len(chosen) else
       " The IoD 2025 and DfE figures cover England only.")
)
st.dataframe(table, width="stretch", hide_index=True, key="compare_table")
st.caption("DfE figures (NEET, attainment, KS2) are published for upper-tier councils: a "
           "district shows its county's figure. England: published where available, else the "
           "mean of councils.")

# ----------------------------------------------------------------------------- one indicator
st.subheader("One indicator on the map")
lad_options = options[options["level"] == "lad24"]
sh.init_state("compare_indicator", "indicator", lad_options.index, "summary.imd_average_score")
st.selectbox("Indicator", lad_options.index, key="compare_indicator",
             format_func=lambda i: lad_options.loc[i, "label"])
indicator = st.session_state["compare_indicator"]
sh.set_param("indicator", indicator)
meta = lad_options.loc[indicator]
values = sh.council_values(indicator)
shapes = sh.display_boundaries("lad24", "national")
countries = shapes.loc[shapes.index.isin(chosen), "country"].unique()
frame = shapes.loc[shapes["country"].isin(countries), ["name", "geometry"]].join(values)
st.bar_chart(frame.loc[chosen].set_index("name")["value"].rename(meta["unit"]),
             horizontal=True, height=60 + 40 * len(chosen))
st.markdown(describe_values(frame.loc[chosen, "value"], label=meta["label"], unit=meta["unit"],
                            polarity=meta["polarity"], names=frame["name"],
                            area_word="chosen councils"))
with warnings.catch_warnings():
    warnings.simplefilter("ignore", MissingValuesWarning)
    m = choropleth_map(frame, "value", polarity=meta["polarity"], label=meta["label"],
                       unit=meta["unit"], highlight=chosen, fit="highlight",
                       layer_name="Councils")
    full_table = map_table(frame, "value", unit=meta["unit"])
sh.show_map(m, key="compare_map", height=480)
sh.attribution_caption()
sh.data_table(full_table.loc[chosen], label=meta["label"], key="compare_map_table")
st.caption("The map is classed over all councils shown; the chosen ones are outlined in black.")
