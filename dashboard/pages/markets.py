"""Markets: where the selected artist should grow, and the peers and fans behind each territory.

Everything shown comes from ``core.insights.opportunity_table`` (cached in ``common.markets``)
shaped by ``core.insights.markets_view`` and drawn by ``dashboard.market_charts``: actual streams
from the chart table, the seed's modeled streams (the peers' average), and the market-opportunity
model's expected streams (the artist's own total spread like its peers' streams) with the gap
(expected − actual) that ranks the opportunities: the page's one where-to-grow answer. One
territory picker drives the drill-down (the peers behind the figures), the "fans of" targeting
list (``core.insights.targeting``, as the CLI's ``targeting``) and the per-store chart; it is
kept in the URL (``?country=``) so a shared link opens on the same territory. Artists without
chart data have no total to spread, so they get the modeled view, with the peers it comes from.
"""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from core.errors import InsightsError
from core.insights import targeting
from core.insights.markets import MIN_PEERS
from core.insights.markets_view import (
    METRICS,
    biggest_markets,
    compact_number,
    default_metric,
    describe_thin,
    has_market_data,
    map_data,
    map_metrics,
    market_peer_table,
    modeled_territories,
    opportunities,
    store_breakdown,
    territory_choices,
    territory_figures,
    territory_peers,
    thin_evidence,
)
from core.model import Model
from core.secrets import message
from dashboard import common
from dashboard.market_charts import store_chart, world_map_chart

#: what each map metric means, one sentence each, shown under the metric switch
METRIC_HELP = {
    "actual_streams": "The artist's own chart streams per country.",
    "modeled_streams": "The similarity-weighted average of its closest charting artists' streams "
                       "(the seed's definition: a global hit among the peers dominates).",
    "expected_streams": "The artist's own total spread like its peers' streams: total × the "
                        "peers' weighted share of their streams in the country.",
    "gap": "Expected − actual. Blue: it streams less than artists with its audience would "
           "predict (room to grow); red: it already does better there.",
}
#: the URL query parameter holding the territory, so a shared link reproduces the view
COUNTRY_PARAM = "country"
TERRITORY_KEY = "store_country"


def streams_column(label: str, explanation: str) -> st.column_config.NumberColumn:
    """A column of stream counts, compact (13.5M, 250k) so tables fit a laptop screen."""
    return st.column_config.NumberColumn(label, format="compact", help=explanation)


def download(frame: pd.DataFrame, what: str, artist: str, key: str) -> None:
    """A CSV download of a table as shown (raw numbers, not rounded for display)."""
    slug = re.sub(r"[^0-9A-Za-z]+", "-", f"{artist} {what}").strip("-").lower() or "table"
    common.csv_download(frame, f"Download {what} (CSV)", f"{slug}.csv", f"download_{key}",
                        on_click="ignore")


@st.cache_data(max_entries=64, show_spinner=False)
def fans_to_target(model_dir: str, version: str, row: int, country: str) -> pd.DataFrame:
    """``core.insights.targeting.targeting_table`` (what the CLI's ``targeting`` prints), cached."""
    return targeting.targeting_table(common.load_model(model_dir, version), row, country)


def pick_territory(model: Model, territories: list[str]) -> str:
    """The territory selectbox, starting on the URL's ``?country=`` when it names one of them
    (typed any way the CLI accepts, e.g. "uk"), and writing the choice back to the URL."""
    if st.session_state.get(TERRITORY_KEY) not in territories:
        # first visit or another artist: the shared link's country, else the biggest gap
        st.session_state[TERRITORY_KEY] = territories[0]
        wanted = st.query_params.get(COUNTRY_PARAM)
        if wanted:
            try:
                resolved = targeting.resolve_country(model, wanted)
            except InsightsError:
                resolved = None
            if resolved in territories:
                st.session_state[TERRITORY_KEY] = resolved
    territory = str(st.selectbox(
        "Territory", territories, key=TERRITORY_KEY,
        help="Opportunities first (biggest gap), then the other territories by actual streams. "
             "The choice is kept in the page's address, so a copied link opens on it."))
    if st.query_params.get(COUNTRY_PARAM) != territory:
        st.query_params[COUNTRY_PARAM] = territory
    return territory


model = common.require_model()

st.title("Markets")
st.caption("Where the artist should grow: actual streams per country beside what the artists "
           "with the most similar audience suggest. **Expected** streams spread the artist's own "
           "total like its peers' streams; a positive **gap** (expected − actual) marks a "
           "territory to grow.")

if model.markets.empty:
    st.warning("This model has no chart data at all (the table COUNTRY_ARTIST_STREAMS_BY_STORE "
               "was empty when it was trained), so there are no markets to show.")
    st.stop()

artist = common.artist_picker(model, key="markets_pick", prefer_markets=True)
row = model.resolve(artist)
table = common.markets(*common.model_key(model), row, MIN_PEERS)
charting = has_market_data(model, row)
peers = market_peer_table(model, row)

if not charting:
    st.info(
        f"**{common.md(artist)} has no chart data**: no streams per country of its own, so "
        "'actual' is zero everywhere, and **expected streams cannot be computed**: they spread "
        "the artist's own total like its peers' streams, and there is no total to spread. "
        "Shown instead: **modeled** streams, the average of the "
        f"{len(peers)} artists with the most similar audience that do chart.",
        icon=":material/info:",
    )

if table.empty:
    st.warning(f"Neither {common.md(artist)} nor any artist with a similar audience has chart data.")
    st.stop()

metrics = map_metrics(table)
if st.session_state.get("map_metric") not in metrics:
    # First visit, or e.g. "gap" chosen for an artist that had chart data. Set through the
    # session state (not ``index=``) so the browser's radio shows it: with a deleted state and
    # fewer options the browser kept the old position and showed no option selected.
    st.session_state["map_metric"] = default_metric(table)
metric = st.radio("Map shows", metrics, format_func=METRICS.__getitem__, horizontal=True,
                  key="map_metric")
st.caption(METRIC_HELP[metric])
data = map_data(table)
st.altair_chart(world_map_chart(data, metric, metrics), width="stretch", key="world_map")
notes = []
if data.too_small:
    notes.append(f"too small for this world map: {', '.join(data.too_small)}")
if data.unknown:
    notes.append(f"country names not recognised: {', '.join(data.unknown)}")
if notes:
    st.caption("Not on the map (still in the tables below): " + "; ".join(notes) + ".")

peers_help = (f"How many of its {len(peers)} market peers stream in this territory "
              f"(at least {MIN_PEERS} needed to recommend it)")
if charting:
    st.subheader("Opportunities: where to grow, ranked by gap")
    st.caption(f"Territories **ranked by gap** (expected − actual), biggest first: where "
               f"{common.md(artist)} streams less than its peers' shares predict. Only "
               f"territories where at least {MIN_PEERS} of its {len(peers)} market peers "
               "stream are recommended.")
    ranked = opportunities(table)
    if ranked.empty:
        st.info("No territory where it streams less than its peers' shares predict, with at "
                f"least {MIN_PEERS} peers streaming there.", icon=":material/check_circle:")
    else:
        st.dataframe(
            ranked, hide_index=True, width="stretch", key="opportunities",
            column_config={
                "territory": st.column_config.TextColumn("Territory", pinned=True),
                "actual": streams_column("Actual streams", "The artist's chart streams there"),
                "expected": streams_column(
                    "Expected streams", "The artist's total streams × its peers' weighted share "
                                        "of streams in this territory"),
                "gap": streams_column(
                    "Gap", "Expected − actual: streams it would add by doing as well here as "
                           "artists with its audience"),
                "lift": st.column_config.NumberColumn(
                    "Lift", format="%.2f×",
                    help="Its share of its own streams here ÷ its peers' share: 1 = in line "
                         "with peers, 0.5 = half as big here as they are"),
                "peers_with_data": st.column_config.NumberColumn("Peers streaming here",
                                                                 help=peers_help),
            },
        )
        download(ranked, "opportunities", artist, "opportunities")
    thin = describe_thin(thin_evidence(table), MIN_PEERS)
    if thin:
        st.caption(thin)
    biggest = biggest_markets(table)
    if not biggest.empty:
        st.caption("For context, its biggest markets now (actual streams): " + ", ".join(
            f"{common.md(t)} {compact_number(a)}"
            for t, a in zip(biggest["territory"], biggest["actual"], strict=True)) + ".")
else:
    st.subheader("Where its peers stream")
    st.caption("Without streams of its own there is no gap to rank: these are the territories "
               "by **modeled** streams (the similarity-weighted average of its peers' streams), "
               "a hint of where its audience listens, not a forecast of its streams.")
    modeled = modeled_territories(table)
    st.dataframe(
        modeled, hide_index=True, width="stretch", key="modeled_territories",
        column_config={
            "territory": "Territory",
            "modeled": streams_column("Modeled streams", "The peers' similarity-weighted "
                                                          "average of streams there"),
            "peers_with_data": st.column_config.NumberColumn("Peers streaming here",
                                                             help=peers_help),
        },
    )
    download(modeled, "modeled territories", artist, "modeled")
    st.markdown(f"**Whose streams model {common.md(artist)}'s markets**")
    st.dataframe(
        peers, hide_index=True, width="stretch", key="peers",
        column_config={
            "name": "Artist",
            "similarity": st.column_config.ProgressColumn("Similarity", min_value=0.0, max_value=1.0,
                                                          format="%.2f"),
            "weight": st.column_config.NumberColumn("Weight in the model", format="percent"),
            "listeners": st.column_config.NumberColumn("Listeners", format="localized"),
            "genre": "Genre",
        },
    )
    download(peers, "market peers", artist, "peers")

st.subheader("One territory up close")
territories = territory_choices(table)
territory = pick_territory(model, territories)
figures = territory_figures(table, territory)
cells = st.columns(4)
if charting:
    cells[0].metric("Actual streams", compact_number(figures["actual"]))
    cells[1].metric("Expected streams", compact_number(figures["expected"]))
    cells[2].metric("Gap (expected − actual)", compact_number(figures["gap"], signed=True))
else:
    cells[0].metric("Modeled streams", compact_number(figures["modeled"]))
cells[3].metric("Peers streaming here", f"{figures['peers_with_data']} of {len(peers)}",
                help=peers_help)

st.markdown(f"##### The peers behind {common.md(territory)}")
behind = territory_peers(model, row, territory)
if behind.empty:
    st.info(f"None of its market peers streams in {common.md(territory)}: the figures there "
            "are its own streams only.", icon=":material/info:")
else:
    st.caption(
        ("Each peer's part of the expected figure is the artist's total × the peer's weight × "
         "the peer's share of its own streams here; the parts add up to the expected streams."
         if charting else
         "Each peer's part of the modeled figure is its weight × its streams here; the parts "
         "add up to the modeled streams.")
        + " Peers that do not stream here add nothing and are not listed.")
    # six columns fit a 1280 px screen; the download has them all
    shown = behind.drop(columns=["weight", "modeled"] if charting else
                        ["expected", "expected_weight"])
    st.dataframe(
        shown, hide_index=True, width="stretch", key="territory_peers",
        column_config={
            "name": st.column_config.TextColumn("Peer", pinned=True),
            "similarity": st.column_config.ProgressColumn("Similarity", min_value=0.0,
                                                          max_value=1.0, format="%.2f"),
            "weight": st.column_config.NumberColumn(
                "Weight", format="percent", help="Its similarity ÷ the sum of all peers' "
                                                 "similarities"),
            "streams": streams_column("Its streams here", "The peer's chart streams in this "
                                                          "territory, all stores"),
            "share": st.column_config.NumberColumn(
                "Share of its streams", format="percent",
                help="The peer's streams here ÷ all its chart streams"),
            "modeled": streams_column("Part of modeled", "Weight × its streams here"),
            "expected": streams_column("Part of expected", "The artist's total × weight × share"),
            "expected_weight": st.column_config.NumberColumn(
                "Weight in expected", format="percent",
                help="Its part of the expected streams"),
        },
    )
    download(behind, f"peers in {territory}", artist, "territory_peers")

st.markdown(f"##### Fans of similar artists to target in {common.md(territory)}")
try:
    fans = fans_to_target(*common.model_key(model), row, territory)
except InsightsError as exc:
    fans = None
    st.info(f"No targeting list for {common.md(territory)}: {common.md(message(exc))}",
            icon=":material/info:")
if fans is not None and fans.empty:
    st.info(f"None of the {targeting.CANDIDATES} artists most similar to {common.md(artist)} "
            f"streams in {common.md(territory)}, so there are no fans of similar artists to "
            "target there.", icon=":material/info:")
elif fans is not None:
    st.caption(f"For ads that target the fans of chosen artists: the artists most similar to "
               f"{common.md(artist)}, ranked by **similarity × their streams in "
               f"{common.md(territory)}**, so a close match nobody streams there ranks below a "
               "slightly less close one with a big audience (the CLI's `targeting`).")
    st.dataframe(
        fans.drop(columns=["artistnum"]), hide_index=True, width="stretch", key="targeting",
        column_config={
            "rank": st.column_config.NumberColumn("#", width="small"),
            "name": "Fans of",
            "similarity": st.column_config.ProgressColumn("Similarity", min_value=0.0,
                                                          max_value=1.0, format="%.2f"),
            "streams_in_country": streams_column(f"Streams in {territory}",
                                                 "Its chart streams there: the reach"),
            "listeners": st.column_config.NumberColumn("Listeners", format="compact",
                                                       help="Its listeners in the model's sample"),
            "score": st.column_config.NumberColumn("Score", format="compact",
                                                   help="Similarity × streams in the country"),
            "similarity_rank": st.column_config.NumberColumn(
                "Similarity rank", help="Its place in the similar-artists list"),
        },
    )
    download(fans, f"fans to target in {territory}", artist, "targeting")

st.markdown("##### Per store")
breakdown = store_breakdown(table, territory)
st.altair_chart(store_chart(breakdown, territory), width="stretch", key="store_chart")
download(breakdown, f"stores in {territory}", artist, "stores")
