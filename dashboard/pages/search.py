"""Artist search: find an artist as you type, then see who shares its listeners.

The search box commits while typing (``live``), so results follow the keyboard; the top match
becomes the selected artist unless the analyst picks another one. The selection is kept in
``st.session_state`` and followed by the Markets and Clusters pages.
"""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from core.insights import scouting
from core.insights.clusters import artist_rows, no_match, search_artists, with_cluster_names
from core.insights.evidence import (
    MIN_SHARED_LISTENERS,
    THIN,
    filter_similar,
    genres_present,
    similar_with_evidence,
)
from core.insights.graph import common_neighbours
from core.insights.similarity import similar_artists
from dashboard import common

QUERY_KEY = "search_query"
MAX_RESULTS = 12
MAX_COMPARED = 4
NO_GENRE = "—"
THIN_MARK = "⚠ thin"

model = common.require_model()
names = common.cluster_names(model)

st.title("Artist search")
st.caption("Who shares an artist's listeners? Type a name; case, accents and typos are forgiven.")


def _slug(name: str) -> str:
    """A file-name-safe form of an artist name, for download file names."""
    return re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-") or "artist"


def _download(frame: pd.DataFrame, file_name: str, key: str) -> None:
    """A CSV download of the table just shown (every table on this page has one)."""
    common.csv_download(frame, "Download as CSV", file_name, key)


def _genres_shown(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with a missing genre shown as a dash, never as the word "None"."""
    return frame.assign(genre=frame["genre"].where(frame["genre"].notna(), NO_GENRE))


def _use_suggestion(name: str) -> None:
    """Put a suggested name into the search box (a callback: it runs before the box is drawn)."""
    st.session_state[QUERY_KEY] = name


def _normalize_compared(key: str) -> None:
    """on_change of the compare box: typed names become the model's artists; unknown ones
    are set aside for a warning instead of failing the page."""
    known, unknown = [], []
    for typed in st.session_state.get(key, []):
        name = common.canonical_name(model, typed)
        (known if name else unknown).append(name or typed)
    st.session_state[key] = list(dict.fromkeys(known))
    st.session_state[f"{key}_unknown"] = unknown


query = st.text_input(
    "Find an artist", key=QUERY_KEY, type="search", live=True,
    placeholder="Start typing, e.g. Lady Gaga, beyonce, radiohed…",
)

if query.strip():
    results = search_artists(model, query, limit=MAX_RESULTS, names=names, exact_only=True)
    if results.empty:
        missing = no_match(model, query)
        reason, suggestions = missing.reason, missing.suggestions
        st.warning(f"No artist called **{common.md(query.strip())}** in the model"
                   + (f": {reason}." if reason else ".")
                   + (" Did you mean one of these?" if suggestions else
                      " Check the spelling, or try part of the name."),
                   icon=":material/search_off:")
        for i, suggestion in enumerate(suggestions):
            st.button(suggestion, key=f"suggest_{i}", on_click=_use_suggestion, args=(suggestion,))
        st.stop()
    label = f"{len(results)} match{'es' if len(results) != 1 else ''} for “{common.md(query.strip())}”"
    if model.names.find(query.strip()) is not None:
        label = (f"Exact match for “{common.md(query.strip())}”; looser matches are hidden "
                 "(type part of a name to see them).")
else:
    current = common.selected_artist(model)
    popular = common.names_by_popularity(*common.model_key(model))[:MAX_RESULTS]
    rows = [model.resolve(n) for n in dict.fromkeys([*([current] if current else []), *popular])]
    results = artist_rows(model, rows[:MAX_RESULTS], names)
    label = "Most-listened artists (type above to search)"

st.caption(label)
st.dataframe(
    _genres_shown(results.drop(columns=["row", "cluster"])),
    hide_index=True,
    width="stretch",
    height=min(38 + 35 * len(results), 300),
    key="search_results",
    column_config={
        "name": st.column_config.TextColumn("Artist"),
        "listeners": st.column_config.NumberColumn("Listeners", format="localized",
                                                   help="Distinct listeners in the warehouse"),
        "genre": st.column_config.TextColumn("Genre"),
        "cluster_name": st.column_config.TextColumn("Cluster", help="Artists sharing listeners; "
                                                    "named after its main genre and best-known artists"),
        "has_markets": st.column_config.CheckboxColumn("Chart data", help="Has its own streams per "
                                                       "country (see the Markets page)"),
    },
)
_download(results.drop(columns=["row"]), f"search-{_slug(query) if query.strip() else 'popular'}.csv",
          "download_results")

options = results["name"].tolist()
current = common.selected_artist(model)
index = options.index(current) if (not query.strip() and current in options) else 0
artist = st.selectbox("Selected artist", options, index=index, key="search_pick")
common.select_artist(artist)
row = model.resolve(artist)
profile = results[results["name"] == artist].iloc[0]

st.divider()
st.subheader(f"Artists similar to {common.md(artist)}")
m1, m2, m3 = st.columns(3)
m1.metric("Listeners", f"{int(profile['listeners']):,}")
m2.metric("Genre", profile["genre"] if isinstance(profile["genre"], str) else "no genre")
m3.metric("Chart data", "yes" if profile["has_markets"] else "no",
          help="Own streams per country; without them the Markets page shows modeled streams only")
st.caption(f"Cluster: **{common.md(profile['cluster_name'])}**, artists whose audiences overlap "
           "(see the Clusters page).")

tab_similar, tab_emerging, tab_compare = st.tabs(
    ["Similar artists", "Emerging artists in this audience", "Compare artists side by side"])
short = artist if len(artist) <= 12 else artist[:11] + "…"  # fits a column header

with tab_similar:
    top_limit = int(model.neighbour_idx.shape[1])
    top_n = st.slider("How many similar artists", min_value=1, max_value=min(100, top_limit),
                      value=min(15, top_limit), key="top_n")
    evidence = similar_with_evidence(model, row, top_n)
    f1, f2, f3 = st.columns([3, 1.2, 1.2], vertical_alignment="bottom")
    genres = f1.multiselect("Genre", genres_present(evidence), key="similar_genres",
                            placeholder="All genres",
                            help="Keep similar artists of these genres (none chosen: all)")
    min_listeners = f2.number_input("Minimum listeners", min_value=0, value=0, step=5,
                                    key="similar_min_listeners",
                                    help="Keep similar artists with at least this many listeners")
    charting_only = f3.checkbox("Has chart data only", key="similar_charting",
                                help="Keep artists with their own streams per country")
    filtered = filter_similar(model, evidence, genres=genres, min_listeners=int(min_listeners),
                              charting_only=charting_only)
    similar = with_cluster_names(filtered, names)
    if len(evidence) < top_n:
        st.caption(f"Only {len(evidence)} artists share listeners with {common.md(artist)}.")
    if len(filtered) < len(evidence):
        st.caption(f"{len(filtered)} of the top {len(evidence)} match the filters.")
    # cluster and chart data are in the download; on screen they cut the table off at 1280 px
    table = _genres_shown(similar).assign(
        evidence=similar["evidence"].map(lambda e: THIN_MARK if e == THIN else "ok"))
    table = table[["rank", "name", "similarity", "listeners", "shared_listeners",
                   "share_of_artist_listeners", "share_of_similar_listeners", "evidence", "genre"]]
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        height=min(38 + 35 * len(table), 38 + 35 * 20),  # whole table up to 20 rows, then scroll
        key="similar_table",
        column_config={
            "rank": st.column_config.NumberColumn("#", width=34),  # widths: 792 px, fits 1280
            "name": st.column_config.TextColumn("Artist", width=150),
            "similarity": st.column_config.ProgressColumn(
                "Similarity", min_value=0.0, max_value=1.0, format="%.2f", width=100,
                help=f"{artist}'s score for this artist, from 0 (no shared listeners) to 1 "
                     "(the closest match); this artist's own list may score "
                     f"{artist} differently"),
            "listeners": st.column_config.NumberColumn(
                "Listeners", format="localized", width=74,
                help="This similar artist's own listeners"),
            "shared_listeners": st.column_config.NumberColumn(
                "Shared", format="localized", width=62,
                help=f"Listeners of {artist} who also listen to this artist"),
            "share_of_artist_listeners": st.column_config.NumberColumn(
                f"% of {short}'s", format="percent", width=112,
                help=f"Share of {artist}'s listeners who also play this artist"),
            "share_of_similar_listeners": st.column_config.NumberColumn(
                "% of theirs", format="percent", width=82,
                help=f"Share of this artist's listeners who also play {artist}"),
            "evidence": st.column_config.TextColumn(
                "Evidence", width=66,
                help=f"⚠ thin: fewer than {MIN_SHARED_LISTENERS} shared listeners, so one "
                     "listener more or less moves the shares a lot"),
            "genre": st.column_config.TextColumn("Genre", width=112),
        },
    )
    st.caption(
        f"Scores are read from {common.md(artist)}'s side: each similar artist's own list may "
        f"score {common.md(artist)} differently. **% of {common.md(artist)}'s**: the share of "
        f"{common.md(artist)}'s {int(profile['listeners']):,} listeners who also play that artist; "
        f"**% of theirs**: the share of that artist's listeners who also play "
        f"{common.md(artist)}. **⚠ thin**: fewer than {MIN_SHARED_LISTENERS} shared listeners, "
        "too few for the shares to mean much.")
    _download(similar, f"similar-to-{_slug(artist)}-top{top_n}.csv", "download_similar")

with tab_emerging:
    e1, e2 = st.columns(2)
    max_listeners = e1.number_input(
        "At most this many listeners", min_value=1, value=scouting.MAX_LISTENERS, step=10,
        key="emerging_max", help="Only artists this small count as emerging")
    emerging_n = e2.number_input("How many", min_value=1, max_value=100, value=scouting.TOP_N,
                                 key="emerging_n")
    peers = scouting.emerging_peers(model, row, max_listeners=int(max_listeners),
                                    top_n=int(emerging_n))
    st.caption(
        f"Smaller artists whose audience sits inside {common.md(artist)}'s. **Concentration** = "
        f"shared listeners ÷ their listeners: the share of their audience that also plays "
        f"{common.md(artist)} (100%: every one of their listeners does). Ranked by "
        f"concentration, then shared listeners; at least {scouting.MIN_SHARED} shared listeners.")
    if peers.empty:
        st.info(f"No artist with at most {int(max_listeners):,} listeners shares "
                f"{scouting.MIN_SHARED} or more listeners with {common.md(artist)}. "
                "Try a higher listener limit.")
    else:
        st.dataframe(
            peers.assign(similarity_from=peers["similarity_from"].map(
                {scouting.FROM_ARTIST: f"{short}'s list", scouting.FROM_EMERGING: "their list"}))
            .drop(columns=["artistnum"]),
            hide_index=True, width="stretch", key="emerging_table",
            column_config={
                "rank": st.column_config.NumberColumn("#", width=36),
                "name": st.column_config.TextColumn("Artist", width="medium"),
                "listeners": st.column_config.NumberColumn("Listeners", format="localized"),
                "shared_listeners": st.column_config.NumberColumn(
                    "Shared", format="localized",
                    help=f"Their listeners who also listen to {artist}"),
                "concentration": st.column_config.ProgressColumn(
                    "Concentration", min_value=0.0, max_value=1.0, format="percent",
                    help=f"Share of their listeners who also play {artist}"),
                "similarity": st.column_config.NumberColumn("Similarity", format="%.2f"),
                "similarity_from": st.column_config.TextColumn(
                    "Score from", help=f"Whose list the similarity comes from: {artist}'s, or "
                                       "the emerging artist's own (scores are one-directional)"),
            },
        )
    _download(peers, f"emerging-peers-of-{_slug(artist)}.csv", "download_emerging")

with tab_compare:
    compare_key = f"compare_{artist}"
    if not st.session_state.get(compare_key):
        st.session_state[compare_key] = [artist]  # the start value, in state only (no default=)
    compared = st.multiselect(
        "Artists to compare", common.picker_options(model, [artist, *st.session_state[compare_key]]),
        max_selections=MAX_COMPARED, key=compare_key, accept_new_options=True,
        on_change=_normalize_compared, args=(compare_key,),
        help=f"Up to {MAX_COMPARED} artists: pick from the list or type any artist's name.",
    )
    ignored = st.session_state.pop(f"{compare_key}_unknown", [])
    if ignored:
        st.warning("Not in the model, left out: " + ", ".join(common.md(n) for n in ignored))
    compare_n = st.slider("Similar artists per column", 3, 30, 10, key="compare_n")
    if len(compared) < 2:
        st.info("Add at least one more artist to compare their audiences side by side.")
    rows = [model.resolve(name) for name in compared]
    profiles = artist_rows(model, rows, names)
    for column, name, rec in zip(st.columns(max(1, len(compared))), compared,
                                 profiles.itertuples(index=False), strict=False):
        with column:
            st.markdown(f"**{common.md(name)}**")
            genre = rec.genre if isinstance(rec.genre, str) else "no genre"
            st.caption(f"{rec.listeners:,} listeners · {common.md(genre)}  \n"
                       f"Cluster {common.md(rec.cluster_name)}")
            column_table = similar_artists(model, rec.row, compare_n)[["name", "similarity"]]
            st.dataframe(
                column_table, hide_index=True, width="stretch",
                column_config={"name": "Similar artist", "similarity": st.column_config.ProgressColumn(
                    "Similarity", min_value=0.0, max_value=1.0, format="%.2f", width=90)},
            )
            _download(column_table, f"similar-to-{_slug(name)}-top{compare_n}.csv",
                      f"download_compare_{rec.row}")
    if len(compared) >= 2:
        shared = common_neighbours(model, rows, compare_n)
        st.markdown(f"**Similar to more than one of them** (within each artist's top {compare_n}; "
                    "a blank cell: not in that artist's top list)")
        if shared.empty:
            st.caption("None: these audiences do not overlap in their closest artists.")
        else:
            st.dataframe(
                shared, hide_index=True, width="stretch",
                column_config={
                    "name": "Artist", "shared_by": st.column_config.NumberColumn("Similar to (artists)"),
                    "mean_similarity": st.column_config.ProgressColumn(
                        "Mean similarity", min_value=0.0, max_value=1.0, format="%.2f"),
                    **{n: st.column_config.NumberColumn(n, format="%.2f") for n in compared},
                },
            )
            _download(shared, "similar-to-" + "-and-".join(_slug(n) for n in compared) + ".csv",
                      "download_shared")
