"""Artist search: find an artist as you type, then see who shares its listeners.

The search box commits while typing (``live``), so results follow the keyboard; the top match
becomes the selected artist unless the analyst picks another one. The selection is kept in
``st.session_state`` and followed by the Markets and Clusters pages.
"""

from __future__ import annotations

import re

import streamlit as st

from core.insights.clusters import artist_rows, no_match, search_artists, with_cluster_names
from core.insights.graph import common_neighbours
from core.insights.similarity import similar_artists
from dashboard import common

QUERY_KEY = "search_query"
MAX_RESULTS = 12
MAX_COMPARED = 4

model = common.require_model()
names = common.cluster_names(model)

st.title("Artist search")
st.caption("Who shares an artist's listeners? Type a name; case, accents and typos are forgiven.")


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
    results = search_artists(model, query, limit=MAX_RESULTS, names=names)
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
else:
    current = common.selected_artist(model)
    popular = common.names_by_popularity(*common.model_key(model))[:MAX_RESULTS]
    rows = [model.resolve(n) for n in dict.fromkeys([*([current] if current else []), *popular])]
    results = artist_rows(model, rows[:MAX_RESULTS], names)
    label = "Most-listened artists (type above to search)"

st.caption(label)
st.dataframe(
    results.drop(columns=["row", "cluster"]),
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
m2.metric("Genre", profile["genre"] if isinstance(profile["genre"], str) else "—")
m3.metric("Chart data", "yes" if profile["has_markets"] else "no",
          help="Own streams per country; without them the Markets page shows modeled streams only")
st.caption(f"Cluster: **{common.md(profile['cluster_name'])}**, artists whose audiences overlap "
           "(see the Clusters page).")

tab_similar, tab_compare = st.tabs(["Similar artists", "Compare artists side by side"])

with tab_similar:
    top_limit = int(model.neighbour_idx.shape[1])
    top_n = st.slider("How many similar artists", min_value=1, max_value=min(100, top_limit),
                      value=min(15, top_limit), key="top_n")
    similar = with_cluster_names(similar_artists(model, row, top_n), names)
    if len(similar) < top_n:
        st.caption(f"Only {len(similar)} artists share listeners with {common.md(artist)}.")
    table = similar[["rank", "name", "similarity", "shared_listeners", "shared_share", "genre",
                     "cluster_name"]]
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        height=min(38 + 35 * len(table), 38 + 35 * 20),  # whole table up to 20 rows, then scroll
        key="similar_table",
        column_config={
            "rank": st.column_config.NumberColumn("#", width="small"),
            "name": st.column_config.TextColumn("Artist"),
            "similarity": st.column_config.ProgressColumn(
                "Similarity", min_value=0.0, max_value=1.0, format="%.2f",
                help="How strongly the two audiences overlap, from 0 (no shared listeners) "
                     "to 1 (the closest match)"),
            "shared_listeners": st.column_config.NumberColumn(
                "Shared listeners", format="localized",
                help=f"Listeners of {common.md(artist)} who also listen to this artist"),
            "shared_share": st.column_config.NumberColumn(
                f"Share of {artist}'s listeners", format="percent"),
            "genre": st.column_config.TextColumn("Genre"),
            "cluster_name": st.column_config.TextColumn("Cluster"),
        },
    )
    slug = re.sub(r"[^a-z0-9]+", "-", artist.casefold()).strip("-") or "artist"
    st.download_button(
        "Download as CSV", data=similar.to_csv(index=False).encode("utf-8"),
        file_name=f"similar-to-{slug}-top{top_n}.csv", mime="text/csv",
        icon=":material/download:",
        key="download_similar",
    )

with tab_compare:
    compare_key = f"compare_{artist}"
    chosen_before = st.session_state.get(compare_key) or [artist]
    compared = st.multiselect(
        "Artists to compare", common.picker_options(model, [artist, *chosen_before]),
        default=[artist], max_selections=MAX_COMPARED, key=compare_key, accept_new_options=True,
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
            st.dataframe(
                similar_artists(model, rec.row, compare_n)[["name", "similarity"]],
                hide_index=True, width="stretch",
                column_config={"name": "Similar artist", "similarity": st.column_config.ProgressColumn(
                    "Similarity", min_value=0.0, max_value=1.0, format="%.2f")},
            )
    if len(compared) >= 2:
        shared = common_neighbours(model, rows, compare_n)
        st.markdown(f"**Similar to more than one of them** (within each artist's top {compare_n})")
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
