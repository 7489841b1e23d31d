"""Clusters: the similarity graph around the selected artist, and what each cluster is.

The graph is pyvis (vis-network) with its JavaScript inlined, shown through ``st.iframe``; it
needs no network. Its size is bounded by the controls, so it stays fast on any model.
"""

from __future__ import annotations

import streamlit as st

from dashboard import common

model = common.require_model()
summary = common.cluster_summary(*common.model_key(model))
names = common.cluster_names(model)

st.title("Clusters")
st.caption("Artists are linked when they share listeners; colours are clusters of artists "
           "with similar audiences. Hover a node for details, drag to rearrange, scroll to zoom.")

artist = common.selected_artist(model)
toggle_box, clusters_box, size_box, links_box = st.columns([3, 3, 2, 2], gap="medium")
with toggle_box:
    neighbourhood = st.toggle(
        "Neighbourhood only",
        value=artist is not None, disabled=artist is None, key="graph_neighbourhood",
        help=(f"On: {common.md(artist)} and the artists around it. " if artist else "")
        + "Off: the best-known artists of the chosen clusters. Select an artist on the "
          "Artist search page to explore its neighbourhood.",
    )
with clusters_box:
    by_size = summary.sort_values("size", ascending=False)["cluster"].astype(int).tolist()
    chosen = st.multiselect("Clusters", by_size, format_func=lambda c: names.get(c, f"cluster {c}"),
                            key="graph_clusters", placeholder="All clusters",
                            help="Show only artists of these clusters.")
with size_box:
    max_nodes = st.slider("Max artists", 10, 300, 60, step=10, key="graph_max_nodes",
                          help="More artists take longer to lay out in the browser.")
with links_box:
    edges_per_node = st.slider("Links per artist", 1, 8, 3, key="graph_edges")

focus = model.resolve(artist) if artist else None
html, nodes, n_edges = common.graph_page(
    *common.model_key(model), focus, max_nodes, tuple(sorted(chosen)), edges_per_node,
    bool(neighbourhood and focus is not None),
)
shown_clusters = nodes["cluster"].nunique()
highlighted = focus is not None and focus in set(nodes["row"])
st.caption(f"Showing {len(nodes)} artists and {n_edges} links from {shown_clusters} "
           f"cluster{'s' if shown_clusters != 1 else ''}"
           + (f"; **{common.md(artist)}** is outlined, its closest artists are in full colour."
              if highlighted else "."))
st.iframe(html, height=640, alt="Similarity graph of artists coloured by cluster")

with st.expander("Artists in the graph"):
    shown_nodes = nodes.assign(cluster=nodes["cluster"].map(names))[
        ["name", "cluster", "listeners", "genre", "role"]]
    st.dataframe(
        shown_nodes, hide_index=True, width="stretch", key="graph_nodes",
        column_config={"name": "Artist", "cluster": "Cluster",
                       "listeners": st.column_config.NumberColumn("Listeners", format="localized"),
                       "genre": "Genre", "role": "Role"},
    )
    common.csv_download(
        shown_nodes.rename(columns={"name": "Artist", "cluster": "Cluster", "listeners": "Listeners",
                                    "genre": "Genre", "role": "Role"}),
        "Download these artists (CSV)", f"graph-artists-{model.version}.csv",
        "download_graph_nodes")

st.subheader("What each cluster is")
st.dataframe(
    summary[["name", "size", "share", "top_genres", "best_known"]], hide_index=True, width="stretch",
    key="cluster_summary", row_height=66, height="content",
    column_config={
        # pixel widths that fit a 1280 px window; rows over 4rem let the lists wrap
        "name": st.column_config.TextColumn("Cluster", width=190),
        "size": st.column_config.NumberColumn("Artists", format="localized", width=60),
        "share": st.column_config.ProgressColumn("Share", min_value=0.0, max_value=1.0,
                                                 format="percent", width=95),
        "top_genres": st.column_config.TextColumn("Top genres", width=200,
                                                  help="Share of the cluster's artists with that genre"),
        "best_known": st.column_config.TextColumn("Best-known artists", width=260,
                                                  help="Most listeners first"),
    },
)
common.csv_download(
    summary[["cluster", "name", "size", "share", "top_genres", "best_known"]].rename(columns={
        "cluster": "Cluster id", "name": "Cluster", "size": "Artists", "share": "Share",
        "top_genres": "Top genres", "best_known": "Best-known artists"}),
    "Download cluster summary (CSV)", f"clusters-{model.version}.csv", "download_clusters")
