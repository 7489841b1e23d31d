"""Roster: a label's artists at once, each one's top market opportunities and the territories
where the roster as a whole has the most room to grow.

Names are pasted (one per line, or a CSV export) or uploaded, and read by
``core.insights.roster.roster_names``, the rule the CLI's ``roster --names-file`` follows.
Every number comes from ``core.insights.roster.roster_view`` (the CLI's ``roster_answers``
shaped as tables and the map's frame); names not in the model are listed, not fatal.
"""

from __future__ import annotations

import streamlit as st

from core.errors import InsightsError
from core.insights.markets import MIN_PEERS
from core.insights.roster import SAMPLE_ROSTER, TOP_N, RosterView, parse_names, roster_names, roster_view
from core.secrets import message
from dashboard import common
from dashboard.market_charts import world_map_chart

TEXT_KEY = "roster_text"
#: what the map's tooltip shows: a roster has no modeled (peers' average) streams
MAP_METRICS = ["gap", "expected_streams", "actual_streams"]


@st.cache_data(max_entries=16, show_spinner="Reading the roster…")
def cached_view(model_dir: str, version: str, names: tuple[str, ...], top_n: int) -> RosterView:
    """``roster_view`` once per (model version, names, top n): switching pages keeps it."""
    return roster_view(common.load_model(model_dir, version), names, top_n=top_n)


def use_sample() -> None:
    """Fill the text box with the demo roster (a callback: it runs before the widget is drawn)."""
    st.session_state[TEXT_KEY] = SAMPLE_ROSTER


def streams(label: str, explanation: str) -> st.column_config.NumberColumn:
    """A column of stream counts, written as the reader's locale writes numbers."""
    return st.column_config.NumberColumn(label, format="localized", help=explanation)


model = common.require_model()

st.title("Roster")
st.caption("Paste or upload a label's roster: each artist's top market opportunities (territories "
           "where it streams less than artists with its audience predict, backed by at least "
           f"{MIN_PEERS} of its market peers) and the roster's territories summed by **gap** "
           "(expected − actual streams).")

left, right = st.columns([3, 2], gap="large")
with left:
    text = st.text_area(
        "Artists, one per line, or a pasted CSV", key=TEXT_KEY, height=170,
        placeholder="e.g.\nRadiohead\nTyler, The Creator\nBeyoncé",
        help="One name per line, or CSV text whose header has an artist, artistname or name column "
             "(quote names that contain commas, as a spreadsheet's CSV export does).",
    )
with right:
    upload = st.file_uploader(
        "Or upload a file", type=["csv", "txt"], key="roster_file",
        help="A UTF-8 .csv (with an artist, artistname or name column) or .txt (one name per line). "
             "Its names are added to the ones typed.",
    )
    st.button("Use the sample roster", on_click=use_sample, icon=":material/playlist_add:",
              help="Five demo artists as a label's CSV export", key="roster_sample")
    top_n = st.number_input("Opportunities per artist", min_value=1, max_value=20, value=TOP_N,
                            step=1, key="roster_top_n")

try:
    names = roster_names(text, upload.getvalue() if upload else None,
                         source=upload.name if upload else "the file")
except InsightsError as exc:
    st.error(f"{message(exc)}. Only the names in the text box are used.", icon=":material/error:")
    names = parse_names(text)

if not names:
    st.info("**No artists yet.** Type or paste names above (one per line, or CSV text with an "
            "artist column), upload a .csv or .txt file, or press **Use the sample roster**.",
            icon=":material/groups:")
    st.stop()

view = cached_view(*common.model_key(model), tuple(names), int(top_n))
st.caption(f"{len(names)} name{'s' if len(names) != 1 else ''} read; "
           f"{len(view.answered)} found in the model.")
if view.unknown:
    lines = [f"- **{common.md(name)}**"
             + (f": did you mean {', '.join(common.md(s) for s in suggestions[:3])}?"
                if suggestions else "")
             for name, suggestions in view.unknown]
    st.warning("Not in the model, so left out (the other artists are answered):\n"
               + "\n".join(lines), icon=":material/person_search:")
if view.without_opportunities:
    st.caption("No backed opportunity (no chart data of their own, or no territory where "
               f"{MIN_PEERS} peers predict more): "
               + ", ".join(common.md(n) for n in view.without_opportunities) + ".")
if view.territories.empty:
    st.info("None of the roster's artists has a backed market opportunity, so there is no map.",
            icon=":material/info:")
    st.stop()

st.subheader("Where the roster has room to grow")
st.caption("Each country's gap summed over the roster's artists (only their backed "
           "opportunities). Darker blue: more streams to gain.")
st.altair_chart(world_map_chart(view.map, "gap", MAP_METRICS), width="stretch", key="roster_map")
if view.map.unmapped:
    st.caption("Not on the map (still in the table below): " + ", ".join(view.map.unmapped) + ".")

st.subheader("Territories, summed over the roster")
st.caption(f"{len(view.territories)} territories, biggest summed gap first.")
st.dataframe(
    view.territories, hide_index=True, width="stretch", key="roster_territories",
    column_config={
        "territory": "Territory",
        "gap": streams("Total gap", "Expected − actual streams, summed over the artists below"),
        "artists": st.column_config.NumberColumn(
            "Artists", help="How many roster artists have a backed opportunity here"),
        "artist_names": st.column_config.TextColumn("Contributing artists", width="large"),
        "expected": streams("Expected", "Summed expected streams of the contributing artists"),
        "actual": streams("Actual", "Summed chart streams of the contributing artists"),
    },
)
common.csv_download(view.territories, "Download territories as CSV", "roster-territories.csv",
             "download_roster_territories")

st.subheader("Each artist's top opportunities")
st.caption(f"Up to {int(top_n)} per artist, biggest gap first.")
st.dataframe(
    view.opportunities, hide_index=True, width="stretch", key="roster_opportunities",
    column_config={
        "artist": "Artist",
        "territory": "Territory",
        "gap": streams("Gap", "Expected − actual: streams it would add by doing as well here as "
                              "artists with its audience"),
        "expected": streams("Expected", "The artist's total streams × its peers' weighted share "
                                        "of streams in this territory"),
        "actual": streams("Actual", "The artist's chart streams there"),
        "peers": st.column_config.NumberColumn(
            "Peers streaming here", help=f"Market peers streaming here (at least {MIN_PEERS})"),
    },
)
common.csv_download(view.opportunities, "Download opportunities as CSV", "roster-opportunities.csv",
             "download_roster_opportunities")
