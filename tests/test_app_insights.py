"""Unit tests of what the dashboard shows, computed without Streamlit.

Cluster names, the similarity graph and the market map frames are plain functions in
``core.insights``; these tests pin their behaviour on a tiny model with three separate
audiences (pop, metal, post-rock), so a mistake shows as a pop artist in the metal cluster.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.insights import clusters, graph, markets_view
from core.insights.geographic import market_table
from core.insights.opportunities import opportunity_table
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


def test_common_neighbours_lists_artists_shared_by_the_compared(model: Model) -> None:
    rows = [model.resolve("Metallica"), model.resolve("Slayer")]
    shared = graph.common_neighbours(model, rows, top_n=5)
    assert not shared.empty
    assert {"Metallica", "Slayer"}.isdisjoint(shared["name"])
    assert (shared["shared_by"] == 2).all()
    assert np.allclose(shared["mean_similarity"], (shared["Metallica"] + shared["Slayer"]) / 2)
    assert graph.common_neighbours(model, rows[:1]).empty


# -- markets -------------------------------------------------------------------------------------
#
# The page's source is ``opportunity_table``. A hand-made model pins the arithmetic:
#
#   Target streams US 100 (spotify) + 50 (apple), Germany 10: total 160.
#   Its market peers, weights 0.5 / 0.25 / 0.25 (similarities 0.5, 0.25, 0.25):
#     Peer One   US 1000, France 300                 (shares 10/13, 3/13)
#     Peer Two   US 200, France 100 (apple), Japan 50 (shares 4/7, 2/7, 1/7)
#     Peer Three US 400, France 100                  (shares 0.8, 0.2)
#   peers' share US = 0.5·10/13 + 0.25·4/7 + 0.25·0.8, France = 0.5·3/13 + 0.25·2/7 + 0.25·0.2,
#   Japan = 0.25·1/7, Germany = 0; expected = 160 × share; gap = expected − actual.
#   France: 3 peers stream there (an opportunity); Japan: 1 (thin evidence, not recommended).

US_SHARE = 0.5 * 10 / 13 + 0.25 * 4 / 7 + 0.25 * 0.8
FR_SHARE = 0.5 * 3 / 13 + 0.25 * 2 / 7 + 0.25 * 0.2
JP_SHARE = 0.25 * 1 / 7


@pytest.fixture(scope="module")
def hand_model() -> Model:
    names = ["Target", "Peer One", "Peer Two", "Peer Three", "No Charts"]
    artists = pd.DataFrame({
        "artistnum": range(5), "artistname": names, "listeners": [4, 8, 2, 5, 3],
        "streams": [1.0] * 5, "genre": ["pop"] * 5, "countrylist": [None] * 5, "cluster": [0] * 5,
    })
    markets = pd.DataFrame(
        [(0, "United States", "spotify", 100.0), (0, "United States", "apple", 50.0),
         (0, "Germany", "spotify", 10.0),
         (1, "United States", "spotify", 1000.0), (1, "France", "spotify", 300.0),
         (2, "United States", "spotify", 200.0), (2, "France", "apple", 100.0),
         (2, "Japan", "spotify", 50.0),
         (3, "United States", "spotify", 400.0), (3, "France", "spotify", 100.0)],
        columns=["row", "countryname", "storename", "streams"],
    )
    geo_idx = np.array([[1, 2, 3], [2, 3, 0], [1, 3, 0], [1, 2, 0], [1, 2, -1]], np.int32)
    geo_sim = np.array([[0.5, 0.25, 0.25], [1, 1, 1], [1, 1, 1], [1, 1, 1], [0.6, 0.2, 0]], np.float32)
    zeros = np.zeros((5, 1))
    return Model(artists=artists, features=np.eye(5, dtype=np.float32), neighbour_idx=zeros.astype(int),
                 neighbour_sim=zeros, neighbour_shared=zeros, geo_peer_idx=geo_idx,
                 geo_peer_sim=geo_sim, markets=markets,
                 excluded=pd.DataFrame({"artistname": [], "listeners": []}),
                 explained_variance_ratio=np.ones(1))


def test_territory_totals_carry_expected_streams_and_gap_by_hand(hand_model: Model) -> None:
    table = opportunity_table(hand_model, "Target")
    totals = markets_view.territory_totals(table).set_index("territory")
    assert list(totals.index) == ["France", "Japan", "Germany", "United States"]  # biggest gap first
    assert totals.loc["United States", "expected_streams"] == pytest.approx(160 * US_SHARE)
    assert totals.loc["United States", "gap"] == pytest.approx(160 * US_SHARE - 150)
    assert totals.loc["France", "gap"] == pytest.approx(160 * FR_SHARE)
    assert totals.loc["Germany", "gap"] == pytest.approx(-10.0)
    assert totals.loc["France", "modeled_streams"] == pytest.approx(0.5 * 300 + 0.25 * 100 + 0.25 * 100)
    # expected streams redistribute the artist's own total: the gaps cancel out
    assert totals["gap"].sum() == pytest.approx(0.0, abs=1e-9)
    assert totals["expected_streams"].sum() == pytest.approx(160.0)
    assert dict(totals["peers_with_data"]) == {"France": 3, "Japan": 1, "Germany": 0, "United States": 3}


def test_opportunities_rank_by_gap_and_leave_thin_evidence_out(hand_model: Model) -> None:
    table = opportunity_table(hand_model, "Target")
    ranked = markets_view.opportunities(table)
    assert list(ranked.columns) == list(markets_view.OPPORTUNITY_COLUMNS)
    assert ranked.to_dict("records") == [{
        "territory": "France", "actual": 0, "expected": round(160 * FR_SHARE),
        "gap": round(160 * FR_SHARE), "lift": 0.0, "peers_with_data": 3}]
    thin = markets_view.thin_evidence(table)
    assert list(thin["territory"]) == ["Japan"] and thin["expected"].item() == round(160 * JP_SHARE)
    assert markets_view.describe_thin(thin) == (
        "Not recommended, too little evidence (fewer than 3 peers stream there): Japan (1 peer).")
    assert markets_view.describe_thin(thin.iloc[:0]) is None
    # with a lower bar Japan becomes an opportunity, behind France
    relaxed = markets_view.opportunities(opportunity_table(hand_model, "Target", min_peers=1))
    assert list(relaxed["territory"]) == ["France", "Japan"]


def test_describe_thin_shortens_a_long_list() -> None:
    thin = pd.DataFrame({"territory": [f"T{i}" for i in range(15)], "peers_with_data": [2] * 15})
    text = markets_view.describe_thin(thin, min_peers=3, limit=12)
    assert text is not None and "T11 (2 peers) and 3 more." in text and "T12" not in text


def test_market_highlights_add_expected_and_gap_by_hand(hand_model: Model) -> None:
    table = opportunity_table(hand_model, "Target")
    highlights = markets_view.market_highlights(table, top_n=2).set_index("territory")
    assert list(highlights.columns[:5]) == ["section", "actual", "modeled", "expected", "gap"]
    assert list(highlights.index) == ["United States", "Germany", "France", "Japan"]
    assert list(highlights["section"]) == ["Top market"] * 2 + ["Recommended"] * 2
    us = highlights.loc["United States"]
    assert (us["actual"], us["modeled"], us["expected"]) == (150, 650, round(160 * US_SHARE))
    assert us["gap"] == round(160 * US_SHARE) - 150
    assert (highlights["gap"] == highlights["expected"] - highlights["actual"]).all()
    assert (us["apple actual"], us["spotify actual"], us["apple modeled"]) == (50, 100, 0)


def test_an_artist_without_own_streams_gets_the_modeled_view_only(hand_model: Model) -> None:
    table = opportunity_table(hand_model, "No Charts")
    assert markets_view.own_total(table) == 0
    assert markets_view.map_metrics(table) == ["actual_streams", "modeled_streams"]
    assert markets_view.default_metric(table) == "modeled_streams"
    highlights = markets_view.market_highlights(table)
    assert "expected" not in highlights.columns and "gap" not in highlights.columns
    assert (highlights["modeled"] > 0).all()
    assert markets_view.opportunities(table).empty and markets_view.thin_evidence(table).empty
    long = markets_view.store_breakdown(table, "United States")
    assert set(long["measure"]) == {"Actual", "Modeled"}


def test_map_data_places_countries_and_lists_the_rest(model: Model) -> None:
    table = opportunity_table(model, "Lady Gaga")
    data = markets_view.map_data(table)
    frame = data.frame.set_index("country")
    assert frame.loc["United States", "id"] == "840"
    # the map's gap is the opportunity model's: expected − actual (not modeled − actual)
    assert np.allclose(frame["gap"], frame["expected_streams"] - frame["actual_streams"])
    assert not np.allclose(frame["gap"], frame["modeled_streams"] - frame["actual_streams"])
    assert "Singapore" in data.too_small and "Atlantis" in data.unknown
    assert set(data.unmapped) == {"Singapore", "Atlantis"}
    placed = set(frame["territory"])
    assert placed | set(data.unmapped) == set(table["territory"]) <= set(COUNTRIES)
    totals = table[table["store"] == "total"].set_index("territory")
    assert frame.loc["United States", "actual_streams"] == totals.loc["United States", "actual_streams"]


def test_two_spellings_of_one_country_are_summed_on_one_shape() -> None:
    table = pd.DataFrame({"territory": ["UK", "United Kingdom", "France"], "store": ["total"] * 3,
                          "actual_streams": [1.0, 2.0, 5.0], "modeled_streams": [4.0, 4.0, 1.0],
                          "expected_streams": [3.0, 5.0, 0.0], "gap": [2.0, 3.0, -5.0],
                          "lift": [0.3, 0.4, np.nan], "peers_with_data": [3, 3, 0],
                          "evidence": ["ok", "ok", "thin"]})
    frame = markets_view.map_data(table).frame.set_index("id")
    assert frame.loc["826", "actual_streams"] == 3.0 and frame.loc["826", "gap"] == 5.0
    assert frame.loc["826", "expected_streams"] == 8.0
    assert frame.loc["826", "territory"] == "UK, United Kingdom"
    assert frame.loc["250", "gap"] == -5.0


def test_market_highlights_split_by_store_when_there_are_several(model: Model) -> None:
    table = opportunity_table(model, "Metallica")
    highlights = markets_view.market_highlights(table, top_n=2)
    assert set(highlights["section"]) <= {"Top market", "Recommended"}
    assert (highlights["gap"] == highlights["expected"] - highlights["actual"]).all()
    assert {"apple actual", "spotify modeled"} <= set(highlights.columns)
    per_store = highlights["apple actual"] + highlights["spotify actual"]
    assert (per_store - highlights["actual"]).abs().max() <= 1  # rounding of each store


def test_store_breakdown_is_long_format_of_one_territory(model: Model) -> None:
    table = opportunity_table(model, "Metallica")
    territory = table["territory"].iloc[0]
    long = markets_view.store_breakdown(table, territory)
    assert list(long.columns) == ["store", "measure", "streams"]
    assert list(long["measure"].unique()) == ["Actual", "Modeled", "Expected"]
    part = table[(table["territory"] == territory) & (table["store"] != "total")]
    assert long["streams"].sum() == pytest.approx(
        part[["actual_streams", "modeled_streams", "expected_streams"]].sum().sum())
    assert set(long["store"]) == set(part["store"])  # the "total" row is not a store


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
