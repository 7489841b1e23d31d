"""Insights on a hand-made model (arithmetic checked by hand) and on the demo model (shapes)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.insights import geographic_answers, market_table, similar_artists, similarity_answers
from core.model import Model


@pytest.fixture
def hand_model() -> Model:
    names = ["Target", "Peer One", "Peer Two", "No Data"]
    artists = pd.DataFrame({
        "artistnum": [10, 11, 12, 13], "artistname": names, "listeners": [4, 8, 2, 5],
        "streams": [1.0, 2.0, 3.0, 4.0], "genre": ["pop", "pop", "rock", None],
        "countrylist": [None] * 4, "cluster": [0, 0, 1, 1],
    })
    markets = pd.DataFrame(
        [(0, "United States", "spotify", 100.0), (0, "United States", "itunes/apple", 50.0),
         (0, "Germany", "spotify", 10.0),
         (1, "United States", "spotify", 1000.0), (1, "France", "spotify", 300.0),
         (2, "United States", "spotify", 200.0), (2, "France", "itunes/apple", 100.0),
         (2, "Japan", "spotify", 50.0)],
        columns=["row", "countryname", "storename", "streams"],
    )
    # Similarity weights 0.6 and 0.15 normalize to 0.8 and 0.2.
    geo_idx = np.array([[1, 2, -1], [0, 2, -1], [1, 0, -1], [1, 2, 0]], np.int32)
    geo_sim = np.array([[0.6, 0.15, 0], [0.5, 0.5, 0], [1, 1, 0], [0.5, 0.5, 0.0]], np.float32)
    nb_idx = np.array([[1, 2, 3], [0, 2, 3], [3, 1, 0], [2, 1, 0]], np.int32)
    nb_sim = np.array([[0.9, 0.5, 0.1], [0.9, 0.4, 0.2], [0.7, 0.4, 0.5], [0.7, 0.2, 0.1]], np.float32)
    nb_shared = np.array([[3, 1, 0], [3, 1, 1], [2, 1, 1], [2, 1, 0]], np.int32)
    return Model(artists=artists, features=np.eye(4, dtype=np.float32), neighbour_idx=nb_idx,
                 neighbour_sim=nb_sim, neighbour_shared=nb_shared, geo_peer_idx=geo_idx,
                 geo_peer_sim=geo_sim, markets=markets,
                 excluded=pd.DataFrame({"artistname": [], "listeners": []}),
                 explained_variance_ratio=np.ones(1), manifest={"params": {"min_listeners": 2}})


def test_modeled_streams_are_the_similarity_weighted_average(hand_model):
    table = market_table(hand_model, "Target").set_index(["territory", "store"])
    expected_modeled = {
        ("United States", "spotify"): 0.8 * 1000 + 0.2 * 200,
        ("United States", "itunes/apple"): 0.0,
        ("France", "spotify"): 0.8 * 300,
        ("France", "itunes/apple"): 0.2 * 100,
        ("Japan", "spotify"): 0.2 * 50,
        ("Germany", "spotify"): 0.0,
    }
    assert dict(table["modeled_streams"]) == pytest.approx(expected_modeled)
    assert table.loc[("United States", "itunes/apple"), "actual_streams"] == 50
    assert table.loc[("France", "spotify"), "actual_streams"] == 0


def test_report_totals_and_ranking(hand_model):
    report = geographic_answers(hand_model, ["target"], top_n=1).answers["target"]
    (top,) = report["top_markets"]
    assert top["territory"] == "United States"
    assert top["actual_streams"] == {"itunes/apple": 50, "spotify": 100, "total": 150}
    assert top["modeled_streams"] == {"spotify": 840, "total": 840}
    (rec,) = report["recommendations"]
    assert rec["territory"] == "France"
    assert rec["modeled_streams"] == {"itunes/apple": 20, "spotify": 240, "total": 260}
    assert rec["actual_streams"] == {"total": 0}


def test_recommendations_skip_top_markets_and_zero_models(hand_model):
    report = geographic_answers(hand_model, ["Target"], top_n=5).answers["Target"]
    tops = [m["territory"] for m in report["top_markets"]]
    recs = [m["territory"] for m in report["recommendations"]]
    assert tops == ["United States", "Germany"]
    assert recs == ["France", "Japan"]
    for entry in report["top_markets"] + report["recommendations"]:
        for kind in ("actual_streams", "modeled_streams"):
            stores = {k: v for k, v in entry[kind].items() if k != "total"}
            assert entry[kind]["total"] == sum(stores.values())


def test_artist_without_market_data_gets_empty_markets_not_a_crash(hand_model):
    report = geographic_answers(hand_model, ["No Data"]).answers["No Data"]
    assert report["top_markets"] == []
    assert report["recommendations"][0]["territory"] == "United States"


def test_similarity_report_has_the_seed_shape(hand_model):
    report = similarity_answers(hand_model, ["Target", "Nobody", "peer one"], top_n=2)
    assert list(report.answers) == ["Target", "peer one"]
    assert report.answers["Target"] == [
        {"name": "Peer One", "similarity": pytest.approx(0.9)},
        {"name": "Peer Two", "similarity": pytest.approx(0.5)},
    ]
    assert [e.name for e in report.unknown] == ["Nobody"]


def test_explain_adds_shared_listeners(hand_model):
    entry = similarity_answers(hand_model, ["Target"], top_n=1, explain=True).answers["Target"][0]
    assert entry["shared_listeners"] == 3
    assert entry["share_of_artist_listeners"] == pytest.approx(3 / 4)
    assert entry["share_of_similar_listeners"] == pytest.approx(3 / 8)


def test_similar_artists_frame(hand_model):
    frame = similar_artists(hand_model, "Target", top_n=10)
    assert frame["rank"].tolist() == [1, 2, 3]
    assert frame["name"].tolist() == ["Peer One", "Peer Two", "No Data"]


def test_demo_geographic_for_a_charting_artist(demo_model):
    report = geographic_answers(demo_model, ["Lady Gaga", "Metallica"], top_n=5).answers
    gaga = report["Lady Gaga"]
    assert gaga["top_markets"][0]["territory"] == "United States"
    actual = [m["actual_streams"]["total"] for m in gaga["top_markets"]]
    assert actual == sorted(actual, reverse=True)
    recs = [m["modeled_streams"]["total"] for m in gaga["recommendations"]]
    assert recs == sorted(recs, reverse=True)
    assert not {m["territory"] for m in gaga["top_markets"]} & {
        m["territory"] for m in gaga["recommendations"]}
    assert len(report["Metallica"]["recommendations"]) == 5


def test_demo_market_peers_have_market_data(demo_model):
    has = np.zeros(len(demo_model.artists), bool)
    has[demo_model.markets["row"].unique()] = True
    peers = demo_model.geo_peer_idx
    present = peers >= 0
    assert present[:, 0].all(), "every artist gets at least one market peer"
    assert has[peers[present]].all()
    assert not np.any(peers == np.arange(len(peers))[:, None])
    sims = demo_model.geo_peer_sim
    assert np.all(sims[present] > 0) and np.all(sims[~present] == 0)


# -- the market-opportunity model ----------------------------------------------------------------

def test_expected_streams_spread_the_artist_total_by_peer_shares(hand_model):
    from core.insights.opportunities import opportunity_table

    table = opportunity_table(hand_model, "Target", min_peers=2).set_index(["territory", "store"])
    total = 160.0
    share_us = 0.8 * 1000 / 1300 + 0.2 * 200 / 350
    assert table.loc[("United States", "spotify"), "peer_share"] == pytest.approx(share_us)
    assert table.loc[("United States", "spotify"), "expected_streams"] == pytest.approx(total * share_us)
    assert table.loc[("United States", "spotify"), "gap"] == pytest.approx(total * share_us - 100)
    share_fr = 0.8 * 300 / 1300 + 0.2 * 100 / 350
    assert table.loc[("France", "total"), "peer_share"] == pytest.approx(share_fr)
    assert table.loc[("France", "total"), "gap"] == pytest.approx(total * share_fr)
    assert table.loc[("United States", "total"), "lift"] == pytest.approx((150 / total) / share_us)
    assert np.isnan(table.loc[("Germany", "total"), "lift"])  # no peer streams there
    # shares of the artist and of its peers each add up to 1 over the territory totals
    totals = table.xs("total", level="store")
    assert totals["artist_share"].sum() == pytest.approx(1.0)
    assert totals["peer_share"].sum() == pytest.approx(1.0)
    assert dict(totals["peers_with_data"]) == {"France": 2, "Germany": 0, "Japan": 1,
                                               "United States": 2}


def test_opportunities_rank_by_gap_and_flag_thin_evidence(hand_model):
    report = geographic_answers(hand_model, ["Target"], top_n=5, min_peers=2).answers["Target"]
    assert [o["territory"] for o in report["opportunities"]] == ["France"]
    assert [o["territory"] for o in report["thin_evidence"]] == ["Japan"]
    france = report["opportunities"][0]
    assert france["gap"]["total"] == france["expected_streams"]["total"] - france["actual_streams"]["total"]
    assert france["peers_with_data"] == 2
    assert report["market_model"]["artist_total_streams"] == 160
    assert report["market_model"]["min_peers_with_data"] == 2
    # the seed's keys are unchanged
    assert [m["territory"] for m in report["top_markets"]] == ["United States", "Germany"]


def test_no_own_streams_means_no_expected_streams(hand_model):
    report = geographic_answers(hand_model, ["No Data"]).answers["No Data"]
    assert report["opportunities"] == [] and report["thin_evidence"] == []
    assert "no streams of its own" in report["market_model"]["note"]
    assert report["recommendations"]  # the seed's modeled view still answers


def test_demo_opportunities_are_backed_by_peers(demo_model):
    report = geographic_answers(demo_model, ["Lady Gaga"], top_n=5).answers["Lady Gaga"]
    gaps = [o["gap"]["total"] for o in report["opportunities"]]
    assert gaps == sorted(gaps, reverse=True) and all(g > 0 for g in gaps)
    assert all(o["peers_with_data"] >= 3 for o in report["opportunities"])
    assert all(o["peers_with_data"] < 3 for o in report["thin_evidence"])
