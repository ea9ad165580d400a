"""My council: find a council by name (typos allowed), see its profile and download its pack."""

from __future__ import annotations

import streamlit as st
from rapidfuzz import fuzz, process, utils

from geo._errors import OppmapError
from pages import _shared as sh

sh.set_page("council")
st.title("My council")
sh.require_store()

names = sh.council_names()
catalogue = sh.catalogue()

st.markdown("Type a council's name: district, borough, city, unitary or county council "
            "(spelling mistakes are fine).")
if "council_query" not in st.session_state:
    code0 = st.query_params.get("council")
    st.session_state["council_query"] = names.loc[code0, "name"] if code0 in names.index else ""
query = st.text_input("Council name", key="council_query", placeholder="e.g. Manchester")


@st.cache_data(show_spinner=False)
def search(text: str) -> list[tuple[str, float]]:
    """Best matches (code, score) over lower- and upper-tier council names."""
    choices = sh.council_names()["name"].to_dict()
    hits = process.extract(text, choices, scorer=fuzz.WRatio, processor=utils.default_process,
                           limit=6, score_cutoff=60)
    return [(key, float(score)) for _name, score, key in hits]


code = None
if query.strip():
    hits = search(query.strip())
    if not hits:
        st.warning(f"No council name is close to '{query.strip()}'. Check the spelling, or try "
                   "the town's council (for example 'Leeds' or 'Kent').")
    else:
        codes = [c for c, _ in hits]
        wanted = st.query_params.get("council")
        if st.session_state.get("council_pick") not in codes:
            st.session_state["council_pick"] = wanted if wanted in codes else codes[0]
        st.radio(
            "Matches", codes, key="council_pick", horizontal=True,
            format_func=lambda c: f"{names.loc[c, 'name']} ({names.loc[c, 'tier']}, {c})",
        )
        code = st.session_state["council_pick"]
sh.set_param("council", code)

if code:
    name = names.loc[code, "name"]
    st.header(f"{name} ({code})")
    st.caption(f"{names.loc[code, 'tier'].capitalize()} council.")

    st.subheader("Profile")
    profile = sh.council_profile(code)
    if profile.empty:
        st.info(f"No council indicators are available for {name}: the IoD 2025 and the DfE "
                "figures cover England only.")
    else:
        worse = profile[profile["rank"] <= profile["n_ranked"] * 0.2]
        st.markdown(
            f"{name} is among the worst fifth of councils on {len(worse)} of {len(profile)} "
            "indicators below (rank 1 = worst, whatever the direction of the indicator)."
        )
        st.dataframe(sh.profile_display(profile), width="stretch", hide_index=True,
                     key="council_profile_table")
        st.caption("England: the published figure where the publisher gives one, else the mean "
                   "of councils. Region: the published or summarised regional figure. "
                   "DfE figures are published for upper-tier councils and shown for the upper-tier "
                   "council the district belongs to (column 'Published for').")

    st.subheader("Neighbourhoods")
    lsoa_opts = sh.lsoa_options()
    sh.init_state("council_lsoa", "lsoa", lsoa_opts.index, "iod2025.imd_score")
    sh.init_state("council_hotspots", "hotspots", sh.HOTSPOT_CHOICES, sh.DEFAULT_HOTSPOTS)
    c1, c2 = st.columns([3, 1])
    c1.selectbox("Indicator by neighbourhood (LSOA)", lsoa_opts.index, key="council_lsoa",
                 format_func=lambda i: lsoa_opts.loc[i, "label"])
    c2.selectbox("Hotspots", list(sh.HOTSPOT_CHOICES), key="council_hotspots",
                 format_func=sh.HOTSPOT_CHOICES.get)
    lsoa_indicator = st.session_state["council_lsoa"]
    hotspot = st.session_state["council_hotspots"]
    sh.set_param("lsoa", lsoa_indicator)
    sh.set_param("hotspots", hotspot)
    view = sh.council_lsoa_view(code, lsoa_indicator, scheme="quantiles", hotspot=hotspot)
    sh.show_council_view(view, key="council_map")

    if view["status"] == "ok":
        st.subheader("Council pack")
        st.markdown("A zip with this council's LSOAs as GeoJSON and CSV (IoD 2025 scores, "
                    "deciles, compounded and persistent deprivation, hotspot labels), a map that "
                    "opens offline in any browser, and a README with sources, licences and "
                    "methods.")
        try:
            pack = sh.council_pack(code)
        except OppmapError as exc:
            st.error(f"The council pack could not be made: {exc}")
        else:
            st.download_button("Download the council pack (zip)", data=pack,
                               file_name=sh.pack_filename(code), mime="application/zip",
                               key="council_pack_download")
elif not query.strip():
    st.info("Start typing a council's name above.")
