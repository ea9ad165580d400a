"""My council: find a council by name (typos allowed), see its profile, its named hotspot
clusters, NEET against England, its statistical neighbours and why, and download its pack."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo import council as gc
from geo import council_hotspots as gh
from geo import profile as gp
from geo import profile_tables as gt
from geo._errors import OppmapError
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
    """A new name typed: its best match becomes the council (the text stays as typed)."""
    codes = searched(st.session_state["council_query"])
    st.session_state["council_synced"] = codes[0] if codes else None
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
    if code not in codes:
        codes = [code, *codes] if code else codes
    code = code or codes[0]
    st.session_state["council_pick"] = code
    st.radio("Matches", codes, key="council_pick", horizontal=True, on_change=on_pick,
             format_func=lambda c: f"{names.loc[c, 'name']} ({names.loc[c, 'tier']}, {c})")
state.put("council", code)

if not code:
    if not query.strip():
        st.info("Start typing a council's name above.")
    sh.stop()

name, level, upper = names.loc[code, ["name", "level", "utla24_code"]]
st.header(f"{name} ({code})")
st.caption(f"{names.loc[code, 'tier'].capitalize()} council."
           + (f" Its upper-tier council is {names.loc[upper, 'name']} ({upper})."
              if upper != code else ""))

# ----------------------------------------------------------------------------- profile
st.subheader("Profile")
with st.spinner(f"Comparing {name} with England, its region and its neighbours..."):
    prof = data.profile(code)
if prof.empty:
    nation = gh.NATIONS.get(names.loc[code, "country"], names.loc[code, "country"])
    st.info(f"No council indicators are available for {name}: the sources of the profile do "
            f"not cover {nation}.")
    sh.stop()
st.markdown(gt.describe_profile(prof, name=name))
spine = gt.spine_data({name: prof}, data.level_tables())
st.markdown("Spine chart: each row is one indicator; the grey bar is the spread of all councils "
            "(light: worst to best; dark: the middle half), the black tick is England and the dot "
            f"is {name}, coloured by its verdict against England where a 95% interval exists. "
            "**Worse is always on the left**, whatever the direction of the indicator.")
st.altair_chart(spine_chart(spine, colour_by="verdict"), key="council_spine")
table = gt.profile_table(prof, names=names["name"].to_dict())
with st.expander("Data table: the profile (the spine chart's values)", expanded=True):
    st.dataframe(table, width="stretch", hide_index=True, key="council_profile_table")
st.caption("England: the store's figure for England as one area (IoD summaries) or the "
           "publisher's (DfE); '(mean of councils)' where neither exists. Region: the published "
           "or summarised regional figure. Neighbours: the mean of the 10 statistical neighbours "
           "below. DfE figures are published for upper-tier councils ('Figure for').")

st.subheader("Indices of Deprivation: summary ranks")
summary = data.summary_of(code)
if code in summary.index:
    ranks = gp.iod_summary_ranks(summary, code)
    st.markdown(f"Rank of {name} among {int(summary['imd_average_score'].notna().sum())} "
                "councils on each IoD-style summary measure (1 = most deprived), computed from "
                "LSOA scores and populations "
                f"({data.catalogue().loc[f'summary_{level}.imd_average_score', 'vintage']}) as "
                "MHCLG defines them.")
    st.dataframe(ranks, width="stretch", key="council_iod_ranks")
else:
    nation = gh.NATIONS.get(names.loc[code, "country"], names.loc[code, "country"])
    st.info(f"The IoD summaries here are those of the English indices; they do not rank "
            f"councils in {nation}.")

# ----------------------------------------------------------------------------- compounded
st.subheader("Compounded and persistent disadvantage")
rows = {}
for ident in ("summary.compounded_share_population", "summary.persistent_share_population"):
    if ident in prof.index:
        r = prof.loc[ident]
        rows[r["label"]] = {name: format_value(r["value"], r["unit"]),
                      "England": format_value(r["england"], r["unit"]),
                      "Region": format_value(r["region"], r["unit"]),
                      "Rank (1 = worst)": f"{int(r['rank'])} of {int(r['n_ranked'])}"}
if rows:
    comp = pd.DataFrame(rows).T
    first = prof.loc["summary.compounded_share_population"] if (
        "summary.compounded_share_population" in prof.index) else None
    if first is not None:
        ratio = first["value"] / first["england"] if first["england"] else float("nan")
        st.markdown(f"{format_value(first['value'], '%')} of {name}'s residents live in "
                    f"neighbourhoods with compounded disadvantage, {ratio:.1f} times England's "
                    f"share ({format_value(first['england'], '%')}).")
    st.dataframe(comp, width="stretch", key="council_compound")

# ----------------------------------------------------------------------------- clusters
st.subheader("Named hotspot clusters")
lsoas = data.council_lsoas(code)
here = gh.council_clusters(data.clusters(), lsoas.index)
st.markdown(gh.clusters_summary(here, n_lsoas=len(lsoas), place=name,
                                words=data.cluster_words()))
if not here.empty:
    st.dataframe(here.rename(columns={"n_here": f"LSOAs in {name}", "n_lsoas": "LSOAs in all",
                                      "population": "people (all)"}),
                 width="stretch", key="council_clusters")
    hoods = gh.cluster_neighbourhoods(data.clusters(), lsoas,
                                      data.store_tables(("compound",))["compound"])
    with st.expander(f"Their {len(hoods)} neighbourhoods in {name} (code, name, ward, domains)"):
        st.dataframe(hoods, width="stretch", key="council_cluster_lsoas")

# ----------------------------------------------------------------------------- NEET
st.subheader("Young people not in education, employment or training (NEET)")
neet = gp.neet_comparison(data.store_tables(), upper)
if neet.empty:
    st.markdown("The DfE does not publish NEET figures for this council.")
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
    reasons = gp.neighbour_reasons(summary, code)
except OppmapError as exc:
    st.info(f"Statistical neighbours cannot be found for {name}: {exc}")
else:
    st.markdown(
        f"The 10 councils most like {name} on the IMD and four domain scores, people per km² and "
        "the shares aged 0-15 and 65+ (each variable standardised across councils; Euclidean "
        "distance). Each share says how much of the remaining difference comes from that "
        f"variable. The nearest is {reasons['name'].iloc[0]}, which differs most on "
        f"{reasons['differs_most_on'].iloc[0]}.")
    st.dataframe(reasons.round(2), width="stretch", key="council_neighbours")

# ----------------------------------------------------------------------------- map
st.subheader("Neighbourhoods")
lsoa_opts = data.lsoa_options()
hotspot_names = data.hotspot_choices()
c1, c2, c3 = st.columns([3, 1.4, 1.4])
lsoa_indicator = state.widget(c1.selectbox, "Indicator by neighbourhood (LSOA)",
                              list(lsoa_opts.index), param="lsoa", key="council_lsoa",
                              default=data.DEFAULT_LSOA,
                              format_func=lsoa_opts["label"].to_dict().get)
scheme = state.widget(c2.selectbox, "Classes", list(sh.SCHEMES), param="scheme",
                      key="council_scheme", default="quantiles", format_func=sh.SCHEMES.get)
hotspot = state.widget(c3.selectbox, "Hotspots", list(hotspot_names), param="hotspots",
                       key="council_hotspots", default=data.DEFAULT_HOTSPOTS,
                       format_func=hotspot_names.get)
classes = state.widget(st.radio, "Colours of the neighbourhood map", list(sh.CLASSES),
                       param="classes", key="council_classes", default="national",
                       format_func=sh.CLASSES.get, horizontal=True)
with st.spinner(f"Drawing {name}'s neighbourhoods..."):
    view = data.council_lsoa_view(code, lsoa_indicator, scheme=scheme, hotspot=hotspot,
                                  classes=classes)
sh.show_council_view(view, key="council_map")

# ----------------------------------------------------------------------------- pack
if view["status"] == "ok":
    st.subheader("Council pack")
    st.markdown("A zip with this council's LSOAs as GeoJSON and CSV (every IoD 2025 score, rank "
                "and decile, sub-domains, IoD 2019, Census 2021, compounded and persistent "
                "disadvantage, hotspot labels and named clusters), a map that opens offline in "
                "any browser, and a README with the methodology, sources, licences and "
                "attribution. It is made when you click.")
    st.download_button("Download the council pack (zip)", data=lambda: data.council_pack(code),
                       file_name=data.pack_filename(code), mime="application/zip",
                       on_click="ignore", key="council_pack_download")
sh.finish()
