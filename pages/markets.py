"""Markets: where the selected artist streams, and where artists with its audience do better.

Actual streams come from the chart table; modeled streams are the similarity-weighted streams
of its closest artists that chart (``core.insights.geographic``). The gap (modeled − actual)
is the opportunity. Artists without chart data still get the modeled view, with the peers it
comes from listed, instead of an empty page.
"""

from __future__ import annotations

import streamlit as st

from core.insights.markets_view import (
    METRICS,
    has_market_data,
    map_data,
    market_highlights,
    market_peer_table,
    store_breakdown,
    store_chart,
    world_map_chart,
)
from pages import common

model = common.require_model()

st.title("Markets")
st.caption("Actual streams per country beside streams **modeled** from the artists with the "
           "most similar audience. A positive gap (modeled − actual) marks a territory to grow.")

if model.markets.empty:
    st.warning("This model has no chart data at all (the table COUNTRY_ARTIST_STREAMS_BY_STORE "
               "was empty when it was trained), so there are no markets to show.")
    st.stop()

artist = common.artist_picker(model, key="markets_pick", prefer_markets=True)
row = model.resolve(artist)
table = common.markets(*common.model_key(model), row)
charting = has_market_data(model, row)

if not charting:
    peers = market_peer_table(model, row)
    st.info(
        f"**{common.md(artist)} has no chart data**: no streams per country in the chart table, so "
        "'actual' is zero everywhere. The modeled streams below come from the "
        f"{len(peers)} artists with the most similar audience that do chart.",
        icon=":material/info:",
    )

if table.empty:
    st.warning(f"Neither {common.md(artist)} nor any artist with a similar audience has chart data.")
    st.stop()

metric = st.radio(
    "Map shows", list(METRICS), format_func=METRICS.__getitem__, horizontal=True,
    index=list(METRICS).index("gap" if charting else "modeled_streams"), key="map_metric",
)
data = map_data(table)
st.altair_chart(world_map_chart(data, metric), width="stretch", key="world_map")
notes = []
if data.too_small:
    notes.append(f"too small for this world map: {', '.join(data.too_small)}")
if data.unknown:
    notes.append(f"country names not recognised: {', '.join(data.unknown)}")
if notes:
    st.caption("Not on the map (still in the tables below): " + "; ".join(notes) + ".")

left, right = st.columns([3, 2], gap="large")
with left:
    st.subheader("Top markets and recommended territories")
    highlights = market_highlights(table)
    number = st.column_config.NumberColumn(format="localized")
    st.dataframe(
        highlights, hide_index=True, width="stretch", key="market_table",
        column_config={
            "section": st.column_config.TextColumn("", width="small"),
            "territory": "Territory",
            "actual": st.column_config.NumberColumn("Actual", format="localized"),
            "modeled": st.column_config.NumberColumn("Modeled", format="localized"),
            "gap": st.column_config.NumberColumn("Gap", format="localized",
                                                 help="Modeled − actual: positive = room to grow"),
            **{c: number for c in highlights.columns[5:]},
        },
    )
    st.caption("Top markets: highest actual streams. Recommended: highest modeled streams "
               "among the other territories.")
with right:
    st.subheader("Per store")
    territories = list(dict.fromkeys([*highlights["territory"], *sorted(table["territory"].unique())]))
    territory = st.selectbox("Country", territories, key="store_country")
    st.altair_chart(store_chart(store_breakdown(table, territory), territory), width="stretch",
                    key="store_chart")

if not charting:
    st.subheader(f"Whose streams model {common.md(artist)}'s markets")
    st.dataframe(
        market_peer_table(model, row), hide_index=True, width="stretch",
        column_config={
            "name": "Artist",
            "similarity": st.column_config.ProgressColumn("Similarity", min_value=0.0, max_value=1.0,
                                                          format="%.2f"),
            "weight": st.column_config.NumberColumn("Weight in the model", format="percent"),
            "listeners": st.column_config.NumberColumn("Listeners", format="localized"),
            "genre": "Genre",
        },
    )
