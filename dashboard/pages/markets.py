"""Markets: where the selected artist streams, and where artists with its audience do better.

Everything shown comes from ``core.insights.opportunity_table`` (cached in ``common.markets``)
shaped by ``core.insights.markets_view`` and drawn by ``dashboard.market_charts``: actual streams
from the chart table, the seed's modeled streams (the peers' average), and the market-opportunity model's
expected streams (the artist's own total spread like its peers' streams) with the gap
(expected − actual) that ranks the opportunities. Artists without chart data have no total to
spread, so they get the modeled view, with the peers it comes from listed, instead of an
empty page.
"""

from __future__ import annotations

import streamlit as st

from core.insights.markets import MIN_PEERS
from core.insights.markets_view import (
    METRICS,
    default_metric,
    describe_thin,
    has_market_data,
    map_data,
    map_metrics,
    market_highlights,
    market_peer_table,
    opportunities,
    store_breakdown,
    thin_evidence,
)
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


def streams_column(label: str, explanation: str) -> st.column_config.NumberColumn:
    """A column of stream counts, written as the reader's locale writes numbers."""
    return st.column_config.NumberColumn(label, format="localized", help=explanation)


model = common.require_model()

st.title("Markets")
st.caption("Actual streams per country beside what the artists with the most similar audience "
           "suggest. **Expected** streams spread the artist's own total like its peers' streams; "
           "a positive **gap** (expected − actual) marks a territory to grow.")

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

number = st.column_config.NumberColumn(format="localized")
left, right = st.columns([3, 2], gap="large")
with left:
    if charting:
        st.subheader("Opportunities")
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
                    "territory": "Territory",
                    "actual": streams_column("Actual", "The artist's chart streams there"),
                    "expected": streams_column(
                        "Expected", "The artist's total streams × its peers' weighted share of "
                                    "streams in this territory"),
                    "gap": streams_column(
                        "Gap", "Expected − actual: streams it would add by doing as well here as "
                               "artists with its audience"),
                    "lift": st.column_config.NumberColumn(
                        "Lift", format="%.2f×",
                        help="Its share of its own streams here ÷ its peers' share: 1 = in line "
                             "with peers, 0.5 = half as big here as they are"),
                    "peers_with_data": st.column_config.NumberColumn(
                        "Peers streaming here",
                        help=f"How many of its {len(peers)} market peers stream in this territory "
                             f"(at least {MIN_PEERS} needed to recommend it)"),
                },
            )
        thin = describe_thin(thin_evidence(table), MIN_PEERS)
        if thin:
            st.caption(thin)

    st.subheader("Top markets and recommended territories")
    highlights = market_highlights(table)
    st.dataframe(
        highlights, hide_index=True, width="stretch", key="market_table",
        column_config={
            "section": st.column_config.TextColumn("", width=105),
            "territory": "Territory",
            "actual": streams_column("Actual", "The artist's chart streams there"),
            "modeled": streams_column(
                "Modeled", "Similarity-weighted average of its closest charting artists' streams "
                           "(the seed's definition; big peers dominate)"),
            "expected": streams_column(
                "Expected", "The artist's total streams × its peers' weighted share of streams here"),
            "gap": streams_column(
                "Gap", "Expected − actual: positive = room to grow, negative = already ahead of peers"),
            **{c: number for c in highlights.columns if c.endswith((" actual", " modeled"))},
        },
    )
    st.caption("Top markets: highest actual streams. Recommended: highest modeled streams "
               "among the other territories (the seed's rule, kept for comparison"
               + ("; the opportunities above are ranked by gap instead)." if charting else ")."))
with right:
    st.subheader("Per store")
    territories = list(dict.fromkeys([*highlights["territory"], *sorted(table["territory"].unique())]))
    if st.session_state.get("store_country") not in territories:
        st.session_state["store_country"] = territories[0]  # same reason as the map metric
    territory = st.selectbox("Country", territories, key="store_country")
    st.altair_chart(store_chart(store_breakdown(table, territory), territory), width="stretch",
                    key="store_chart")

if not charting:
    st.subheader(f"Whose streams model {common.md(artist)}'s markets")
    st.dataframe(
        peers, hide_index=True, width="stretch",
        column_config={
            "name": "Artist",
            "similarity": st.column_config.ProgressColumn("Similarity", min_value=0.0, max_value=1.0,
                                                          format="%.2f"),
            "weight": st.column_config.NumberColumn("Weight in the model", format="percent"),
            "listeners": st.column_config.NumberColumn("Listeners", format="localized"),
            "genre": "Genre",
        },
    )
