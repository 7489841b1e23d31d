"""Unit tests of what the dashboard shows, computed without Streamlit.

Cluster names, the similarity graph and the market map frames are plain functions in
``core.insights``; these tests pin their behaviour on a tiny model with three separate
audiences (pop, metal, post-rock), so a mistake shows as a pop artist in the metal cluster.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.insights import clusters, graph, markets_view
from core.insights.geographic import market_table
from core.model import Model, ModelStore
from tests.dashboard_fixtures import COUNTRIES, NO_CHARTS, SCENES, tiny_env


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Model:
    env = tiny_env(tmp_path_factory.mktemp("insights"))
    return ModelStore(Path(env["MODEL_DIR"])).load()


def scene_of(name: str) -> str:
    return next(scene for scene, members in SCENES.items() if name in members)


# -- clusters ------------------------------------------------------------------------------------


def test_cluster_summary_names_each_cluster_by_genre_and_best_known_artists(model: Model) -> None:
    summary = clusters.cluster_summary(model)
    assert summary["size"].sum() == len(model.artists)
    assert summary["name"].is_unique
    assert list(summary["size"]) == sorted(summary["size"], reverse=True)
    for rec in summary.itertuples():
        members = model.artists[model.artists["cluster"] == rec.cluster]
        best = members.sort_values(["listeners", "artistname"], ascending=[False, True])["artistname"]
        genre = members["genre"].mode().iloc[0]
        assert rec.name == f"{genre} · {best.iloc[0]}, {best.iloc[1]}"
        assert rec.best_known.split(", ") == best.head(3).tolist()
        assert rec.top_genres.startswith(f"{genre} ")
        assert rec.listeners == members["listeners"].sum()


def test_identical_cluster_names_are_told_apart() -> None:
    artists = pd.DataFrame({
        "artistnum": [0, 1, 2, 3], "artistname": ["A", "B", "A", "B"], "listeners": [5, 4, 5, 4],
        "streams": [1.0] * 4, "genre": ["pop"] * 4, "countrylist": [None] * 4, "cluster": [0, 0, 1, 1],
    })
    fake = Model(artists=artists, features=np.zeros((4, 1)), neighbour_idx=np.zeros((4, 1), int),
                 neighbour_sim=np.zeros((4, 1)), neighbour_shared=np.zeros((4, 1)),
                 geo_peer_idx=np.zeros((4, 1), int), geo_peer_sim=np.zeros((4, 1)),
                 markets=pd.DataFrame(columns=["row", "countryname", "storename", "streams"]),
                 excluded=pd.DataFrame(), explained_variance_ratio=np.zeros(1))
    assert sorted(clusters.cluster_names(fake).values()) == ["pop · A, B (#0)", "pop · A, B (#1)"]


def test_with_cluster_names_adds_a_readable_column_after_the_number(model: Model) -> None:
    frame = pd.DataFrame({"name": ["x", "y"], "cluster": [0, 99], "genre": ["a", "b"]})
    named = clusters.with_cluster_names(frame, {0: "pop · A, B"})
    assert list(named.columns) == ["name", "cluster", "cluster_name", "genre"]
    assert list(named["cluster_name"]) == ["pop · A, B", "cluster 99"]
    assert "cluster_name" not in frame.columns  # the input is not modified


@pytest.mark.parametrize(("typed", "expected"), [
    ("beyonce", "Beyoncé"),       # accents
    ("SIGUR ROS", "Sigur Rós"),   # case and accents
    ("lady", "Lady Gaga"),        # prefix
    ("maiden", "Iron Maiden"),    # substring
    ("metalica", "Metallica"),    # typo
])
def test_search_finds_artists_as_typed(model: Model, typed: str, expected: str) -> None:
    results = clusters.search_artists(model, typed)
    assert results["name"].iloc[0] == expected
    row = results.iloc[0]
    assert row["listeners"] == model.artists["listeners"].iat[row["row"]]
    assert row["cluster_name"] == clusters.cluster_names(model)[row["cluster"]]


def test_search_results_say_which_artists_have_chart_data(model: Model) -> None:
    results = clusters.search_artists(model, "pop")
    flags = dict(zip(results["name"], results["has_markets"], strict=True))
    assert flags[NO_CHARTS] is False
    assert clusters.artist_rows(model, [model.resolve("Metallica")])["has_markets"].item() is True


def test_search_with_no_match_is_empty_but_suggestions_are_not(model: Model) -> None:
    assert clusters.search_artists(model, "zzqx").empty
    assert clusters.search_artists(model, "the sigur band").empty
    assert clusters.suggest_names(model, "the sigur band")[0] == "Sigur Rós"
    assert clusters.suggest_names(model, "zzqx") == []


# -- graph ---------------------------------------------------------------------------------------


def test_neighbourhood_graph_centres_on_the_selected_artist(model: Model) -> None:
    focus = model.resolve("Metallica")
    g = graph.similarity_graph(model, focus, max_nodes=8, edges_per_node=2)
    nodes = g.nodes.set_index("name")
    assert len(nodes) <= 8
    assert nodes.loc["Metallica", "role"] == graph.SELECTED
    assert nodes.loc["Metallica", "hops"] == 0
    direct = set(model.neighbour_idx[focus]) & set(g.nodes["row"])
    roles = g.nodes.set_index("row")["role"]
    assert {roles[r] for r in direct} == {graph.NEIGHBOUR}
    # the closest artists are metal: the neighbourhood starts inside its own audience
    closest = model.artists["artistname"].iat[int(model.neighbour_idx[focus, 0])]
    assert scene_of(closest) == "metal" and closest in nodes.index
    # every link joins two shown artists, once, and links of the focus are highlighted
    shown = set(g.nodes["row"])
    assert set(g.edges["source"]) | set(g.edges["target"]) <= shown
    pairs = list(zip(g.edges["source"], g.edges["target"], strict=True))
    assert all(a < b for a, b in pairs) and len(pairs) == len(set(pairs))
    touches = (g.edges["source"] == focus) | (g.edges["target"] == focus)
    assert (g.edges["highlight"] == touches).all() and touches.any()


def test_cluster_filter_keeps_only_those_clusters_but_never_drops_the_focus(model: Model) -> None:
    metal = int(model.artists.loc[model.artists["artistname"] == "Metallica", "cluster"].item())
    g = graph.similarity_graph(model, None, max_nodes=100, clusters=[metal])
    assert set(g.nodes["cluster"]) == {metal}
    assert set(g.nodes["name"]) == set(SCENES["metal"])
    # overview mode: best-known first, capped
    top = graph.similarity_graph(model, None, max_nodes=2, clusters=[metal])
    ranked = model.artists[model.artists["cluster"] == metal].nlargest(2, "listeners")["artistname"]
    assert list(top.nodes["name"]) == list(ranked)
    focus = model.resolve("Lady Gaga")
    kept = graph.similarity_graph(model, focus, max_nodes=10, clusters=[metal])
    assert "Lady Gaga" in set(kept.nodes["name"])
    assert set(kept.nodes["cluster"]) - {metal} == {model.artists["cluster"].iat[focus]}


def test_graph_html_is_self_contained_and_shows_the_artists(model: Model) -> None:
    g = graph.similarity_graph(model, model.resolve("Mogwai"), max_nodes=10)
    names = clusters.cluster_names(model)
    page = graph.graph_html(g, names)
    assert graph.external_resources(page) == []
    assert "cdn.jsdelivr" not in page and "cdnjs" not in page
    assert "vis.Network" in page  # vis-network is inlined, not fetched
    assert "Mogwai" in page
    for cluster in g.clusters:
        assert names[cluster] in page  # the legend names each cluster shown


def test_external_resources_detects_cdn_tags() -> None:
    page = ('<script src="https://cdn.example/x.js"></script><link rel="stylesheet" '
            'href="//cdn.example/x.css"><script>var ok = "https://not-a-tag";</script>'
            '<script src="lib/local.js"></script>')
    found = graph.external_resources(page)
    assert len(found) == 2 and all("cdn.example" in tag for tag in found)


def test_common_neighbours_lists_artists_shared_by_the_compared(model: Model) -> None:
    rows = [model.resolve("Metallica"), model.resolve("Slayer")]
    shared = graph.common_neighbours(model, rows, top_n=5)
    assert not shared.empty
    assert {"Metallica", "Slayer"}.isdisjoint(shared["name"])
    assert (shared["shared_by"] == 2).all()
    assert np.allclose(shared["mean_similarity"], (shared["Metallica"] + shared["Slayer"]) / 2)
    assert graph.common_neighbours(model, rows[:1]).empty


# -- markets -------------------------------------------------------------------------------------


def test_map_data_places_countries_and_lists_the_rest(model: Model) -> None:
    table = market_table(model, "Lady Gaga")
    data = markets_view.map_data(table)
    frame = data.frame.set_index("country")
    assert frame.loc["United States", "id"] == "840"
    assert np.allclose(frame["gap"], frame["modeled_streams"] - frame["actual_streams"])
    assert "Singapore" in data.too_small and "Atlantis" in data.unknown
    assert set(data.unmapped) == {"Singapore", "Atlantis"}
    placed = set(frame["territory"])
    assert placed | set(data.unmapped) == set(table["territory"]) <= set(COUNTRIES)


def test_two_spellings_of_one_country_are_summed_on_one_shape() -> None:
    table = pd.DataFrame({"territory": ["UK", "United Kingdom", "France"], "store": ["a", "a", "a"],
                          "actual_streams": [1.0, 2.0, 5.0], "modeled_streams": [4.0, 4.0, 1.0]})
    frame = markets_view.map_data(table).frame.set_index("id")
    assert frame.loc["826", "actual_streams"] == 3.0 and frame.loc["826", "gap"] == 5.0
    assert frame.loc["826", "territory"] == "UK, United Kingdom"
    assert frame.loc["250", "gap"] == -4.0


def test_market_highlights_split_by_store_when_there_are_several(model: Model) -> None:
    table = market_table(model, "Metallica")
    highlights = markets_view.market_highlights(table, top_n=2)
    assert set(highlights["section"]) <= {"Top market", "Recommended"}
    assert (highlights["gap"] == highlights["modeled"] - highlights["actual"]).all()
    assert {"apple actual", "spotify modeled"} <= set(highlights.columns)
    per_store = highlights["apple actual"] + highlights["spotify actual"]
    assert (per_store - highlights["actual"]).abs().max() <= 1  # rounding of each store


def test_store_breakdown_is_long_format_of_one_territory(model: Model) -> None:
    table = market_table(model, "Metallica")
    territory = table["territory"].iloc[0]
    long = markets_view.store_breakdown(table, territory)
    assert list(long.columns) == ["store", "measure", "streams"]
    part = table[table["territory"] == territory]
    assert long["streams"].sum() == pytest.approx(part[["actual_streams", "modeled_streams"]].sum().sum())


def test_artist_without_charts_is_modeled_from_charting_peers(model: Model) -> None:
    row = model.resolve(NO_CHARTS)
    assert not markets_view.has_market_data(model, row)
    assert markets_view.has_market_data(model, model.resolve("Lady Gaga"))
    table = market_table(model, row)
    assert table["actual_streams"].sum() == 0 and table["modeled_streams"].sum() > 0
    peers = markets_view.market_peer_table(model, row)
    assert not peers.empty and NO_CHARTS not in set(peers["name"])
    assert peers["weight"].sum() == pytest.approx(1.0)
    assert all(markets_view.has_market_data(model, model.resolve(n)) for n in peers["name"])


@pytest.mark.parametrize("metric", list(markets_view.METRICS))
def test_world_map_chart_colours_the_chosen_metric_from_inlined_shapes(model: Model, metric: str) -> None:
    data = markets_view.map_data(market_table(model, "Lady Gaga"))
    spec = markets_view.world_map_chart(data, metric).to_dict()
    text = json.dumps(spec)
    assert '"url"' not in text  # shapes are inlined: no fetch, works offline
    no_data, with_data = spec["layer"]
    assert no_data["mark"]["fill"] == markets_view.NO_DATA_COLOUR  # every country drawn, grey
    assert with_data["encoding"]["color"]["field"] == metric
    assert with_data["encoding"]["color"]["title"] == markets_view.METRICS[metric]
    joined = with_data["transform"][0]["from"]["data"]["name"]  # values joined by country id
    assert len(spec["datasets"][joined]) == len(data.frame) > 0
    with pytest.raises(ValueError, match="metric"):
        markets_view.world_map_chart(data, "listeners")
