"""My council: find any council of the UK by name (typos allowed), see its profile against its
nation, its own nation's index, its named hotspot clusters, NEET (England), its statistical
neighbours and why, its neighbourhoods, and download its pack."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo import council as gc
from geo import council_areas as ga
from geo import council_hotspots as gh
from geo import profile as gp
from geo import profile_tables as gt
from geo._errors import OppmapError
from geo.data.nations import comparability_note, index_of_nation, index_spec
from geo.maps.charts import spine_chart
from geo.maps.text import format_value
from pages import _data as data
from pages import _shared as sh
from pages import _state as state

sh.set_page("council")
st.title("My council")
sh.require_store()

names = data.councils()
sh.unknown_council_notice()


def searched(text: str) -> list[str]:
    return gc.search_councils(names, text.strip()) if text.strip() else []


def on_query() -> None:
    """A new name typed: the council it names without doubt opens (the text stays as typed);
    otherwise none, and the matches are offered."""
    text = st.session_state["council_query"].strip()
    st.session_state["council_synced"] = gc.pick_council(names, text) if text else None
    state.put("council", st.session_state["council_synced"])


def on_pick() -> None:
    st.session_state["council_synced"] = st.session_state["council_pick"]
    state.put("council", st.session_state["council_pick"])


st.markdown("Type a council's name: district, borough, city, unitary or county council "
            "(spelling mistakes are fine).")
code = state.read("council", names.index, None)
if st.session_state.get("council_synced", "") != code or "council_query" not in st.session_state:
    # chosen elsewhere (another page, a link), or the box was not drawn: show its name
    st.session_state["council_query"] = names.loc[code, "name"] if code else ""
    st.session_state["council_synced"] = code
query = st.text_input("Council name", key="council_query", placeholder="e.g. Manchester",
                      on_change=on_query)
codes = searched(query)
if query.strip() and not codes:
    st.warning(f"No council name is close to '{sh.md_escape(query.strip())}'. Check the "
               "spelling, or try the town's council (for example 'Leeds' or 'Kent').")
elif codes:
    if code and code not in codes:
        codes = [code, *codes]
    st.session_state["council_pick"] = code
    st.radio("Matches" if code else "Did you mean:", codes, key="council_pick",
             index=None, horizontal=True, on_change=on_pick,
             format_func=lambda c: f"{names.loc[c, 'name']} ({names.loc[c, 'tier']}, {c})")
state.put("council", code)

if not code:
    if not query.strip():
        st.info("Start typing a council's name above.")
    elif codes:
        st.info(f"No council is called '{sh.md_escape(query.strip())}': did you mean one of "
                "the councils above?")
    sh.stop()

name, level, upper = names.loc[code, ["name", "level", "utla24_code"]]
letter = str(names.loc[code, "country"])
nation, spec = gh.NATIONS[letter], index_spec(index_of_nation(letter))
areas, area_level = data.council_areas(code)
area_words = {"lsoa21": "LSOAs", "dz11": "data zones"}.get(str(area_level), "small areas")
st.header(f"{name} ({code})")
st.caption(f"{names.loc[code, 'tier'].capitalize()} council in {nation}."
           + (f" Its upper-tier council is {names.loc[upper, 'name']} ({upper})."
              if upper != code else "")
           + f" {nation}'s own index: {spec['title']}"
           + (f", on {spec['small_areas']}." if area_level else
              f"; small areas: {spec['small_areas']}."))

# ----------------------------------------------------------------------------- profile
st.subheader("Profile")
with st.spinner(f"Comparing {name} with {nation}, its region and its neighbours..."):
    prof = data.profile(code)
if prof.empty:
    st.info(f"No council indicators are available for {name}.")
    sh.stop()
benchmark = gt.benchmark_of(prof)
st.markdown(gt.describe_profile(prof, name=name))
spine = gt.spine_data({name: prof}, data.level_tables())
st.markdown("Spine chart: each row is one indicator; the grey bar is the spread of all councils "
            f"(light: worst to best; dark: the middle half), the black tick is {benchmark} and "
            f"the dot is {name}, coloured by its verdict against {benchmark} where a 95% "
            "interval exists. **Worse is always on the left**, whatever the direction of the "
            "indicator."
            + (" On the composite UK IMD rows, a UK-wide measure, the tick is the UK (the mean "
               "of all councils)." if (spine["benchmark"] == gt.UK_BENCHMARK).any() else ""))
st.altair_chart(spine_chart(spine, colour_by="verdict", benchmark=benchmark),
                key="council_spine")
table = gt.profile_table(prof, names=names["name"].to_dict())
with st.expander("Data table: the profile (the spine chart's values)", expanded=True):
    st.dataframe(table, width="stretch", hide_index=True, key="council_profile_table")
st.caption(f"{benchmark}: the store's figure for {benchmark} as one area (IoD-style summaries "
           "of its own index) or the publisher's (DfE); where neither exists, 10% '(by "
           "construction)' for the share of its small areas in its own most deprived 10%, else "
           f"'no {benchmark} figure published' (never a mean of councils). Region: the "
           "published or summarised regional figure (outside England, the nation). Neighbours: the mean of the "
           "statistical neighbours below. DfE figures are published for upper-tier councils "
           "('Figure for'). " + comparability_note())
st.caption(" ".join(ga.composite_attribution(gp.COMPOSITE_MEASURE.split(".")[0])))

st.subheader(f"{spec['title']}: summary ranks")
ranks, _title = data.summary_ranks(code)
if ranks is not None:
    st.markdown(f"Rank of {name} among {nation}'s councils on each summary measure of its own "
                f"index (1 = most deprived), {spec['bins']}; weights: {spec['weights']}.")
    st.dataframe(ranks, width="stretch", key="council_iod_ranks")
else:
    st.info(f"{spec['title']} has no summary for {name}.")

# ----------------------------------------------------------------------------- compounded
st.subheader("Compounded and persistent disadvantage")
rows = {}
for ident in gp.compound_ids(letter, data.measures()):
    if ident in prof.index:
        r = prof.loc[ident]
        rows[r["label"]] = {name: format_value(r["value"], r["unit"]),
                            benchmark: format_value(r["england"], r["unit"]),
                            "Region": format_value(r["region"], r["unit"]),
                            "Rank (1 = worst)": f"{int(r['rank'])} of {int(r['n_ranked'])}"}
if rows:
    first = prof.loc[gp.compound_ids(letter, data.measures())[0]]
    ratio = first["value"] / first["england"] if first["england"] else float("nan")
    st.markdown(f"{first['label']}: {format_value(first['value'], first['unit'])} in {name}, "
                f"{ratio:.1f} times {benchmark}'s ({format_value(first['england'], first['unit'])}).")
    st.dataframe(pd.DataFrame(rows).T, width="stretch", key="council_compound")
else:
    st.info(f"Compounded disadvantage counts each small area's domains in its nation's worst "
            f"10%: {ga.no_small_areas_text(name, letter)}")

# ----------------------------------------------------------------------------- clusters
st.subheader("Named hotspot clusters")
if area_level is None:
    st.info(ga.no_small_areas_text(name, letter, lacking="named clusters"))
else:
    clusters = data.nation_clusters(letter)
    here = gh.council_clusters(clusters, areas.index)
    st.markdown(gh.clusters_summary(here, n_areas=len(areas), place=name,
                                    words=gh.cluster_words(clusters, params=data.hotspot_params()),
                                    area_words=area_words))
    if not here.empty:
        st.dataframe(here.rename(columns={"n_here": f"{area_words} in {name}",
                                          "n_lsoas": f"{area_words} in all",
                                          "population": "people (all)"}),
                     width="stretch", key="council_clusters")
        hoods = gh.cluster_neighbourhoods(clusters, areas,
                                          data.store_tables((spec["compound"],))[spec["compound"]])
        with st.expander(f"Their {len(hoods)} neighbourhoods in {name} (code, name, place, "
                         "domains)"):
            st.dataframe(hoods, width="stretch", key="council_cluster_lsoas")

# ----------------------------------------------------------------------------- NEET
st.subheader("Young people not in education, employment or training (NEET)")
neet = gp.neet_comparison(data.store_tables(), upper)
if neet.empty:
    st.markdown("The DfE does not publish NEET figures for this council"
                + ("." if letter == "E" else f": they cover England's councils only, and "
                   f"{nation}'s own figures are not in this tool."))
else:
    latest = neet[neet["year"] == neet["year"].max()]
    lead = latest[latest["measure"] == "neet_or_not_known_percent"]
    if not lead.empty:
        r = lead.iloc[0]
        st.markdown(
            f"In {r['year']}, {format_value(r['value'], '%')} of 16-17 year olds in "
            f"{names.loc[upper, 'name']} were NEET or their "
            f"activity was not known (95% interval {r['lower']:.1f}% to {r['upper']:.1f}%), against "
            f"{format_value(r['england'], '%')} in England: **{r['verdict']}** (Wilson intervals "
            "from the published cohorts; a difference counts only when the intervals do not "
            "overlap).")
    shown = neet.assign(
        measure=neet["measure"].map({"neet_percent": "NEET",
                                     "not_known_percent": "activity not known",
                                     "neet_or_not_known_percent": "NEET or not known"}),
        council=[f"{v:.1f}% ({lo:.1f} to {hi:.1f})" for v, lo, hi in
                 zip(neet["value"], neet["lower"], neet["upper"], strict=True)],
        England=[f"{v:.1f}% ({lo:.1f} to {hi:.1f})" for v, lo, hi in
                 zip(neet["england"], neet["england_lower"], neet["england_upper"], strict=True)],
    )[["year", "measure", "council", "England", "cohort", "verdict"]]
    st.dataframe(shown, width="stretch", hide_index=True, key="council_neet")

# ----------------------------------------------------------------------------- neighbours
st.subheader("Statistical neighbours, and why")
try:
    basis = data.neighbour_basis(code)
    reasons = gp.neighbour_reasons(basis["frame"], code, variables=basis["variables"])
except OppmapError as exc:
    st.info(f"Statistical neighbours cannot be found for {name}: {exc}")
else:
    st.markdown(
        f"{basis['words']} Each share says how much of the remaining difference comes from that "
        f"variable. The nearest is {reasons['name'].iloc[0]}, which differs most on "
        f"{reasons['differs_most_on'].iloc[0]}.")
    st.dataframe(reasons.round(2), width="stretch", key="council_neighbours", column_config={
        "_index": "Code", "name": "Council", "rank": "Nearest (1 = most alike)",
        "distance": "Distance (standardised)", "differs_most_on": "Differs most on"})

# ----------------------------------------------------------------------------- map
st.subheader("Neighbourhoods")
if area_level is None:
    st.info(ga.no_small_areas_text(name, letter, lacking="neighbourhood map"))
else:
    c1, c2, c3 = st.columns([3, 1.4, 1.4])
    lsoa_indicator, hotspot = sh.neighbourhood_choices(c1, c3, page="council")
    scheme = state.widget(c2.selectbox, "Classes", list(sh.SCHEMES), param="scheme",
                          key="council_scheme", default="quantiles", format_func=sh.SCHEMES.get)
    classes = state.widget(st.radio, "Colours of the neighbourhood map", list(sh.CLASSES),
                           param="classes", key="council_classes", default="national",
                           format_func=sh.CLASSES.get, horizontal=True)
    with st.spinner(f"Drawing {name}'s neighbourhoods..."):
        view = data.council_lsoa_view(code, lsoa_indicator, scheme=scheme, hotspot=hotspot,
                                      classes=classes)
    sh.show_council_view(view, key="council_map")

# ----------------------------------------------------------------------------- pack
st.subheader("Council pack")
if area_level is None:
    st.markdown(f"A zip with {name} itself (the mirror has no small areas for {nation}): one "
                f"feature with the council boundary and its council-level figures ({spec['title']}, "
                "the composite UK IMD, Social Mobility Commission indices), and a README with the "
                "sources, licences and attribution, saying there are no small areas. It is made "
                "when you click.")
else:
    st.markdown(f"A zip with this council's {area_words} as GeoJSON and CSV ({spec['title']}: "
                "every score, rank and decile the store holds, compounded disadvantage, the "
                "composite UK IMD, Census 2021 where it covers the nation, the outcomes of every "
                "national hotspot run with the method's labels and bins, and the named "
                "clusters), a map that opens offline in any browser, and a README with the "
                "methodology, sources, licences and attribution. It is made when you click.")
st.download_button("Download the council pack (zip)", data=lambda: data.council_pack(code),
                   file_name=data.pack_filename(code), mime="application/zip",
                   on_click="ignore", key="council_pack_download")
sh.finish()
