"""Ad targeting on the hand-made model of test_insights (arithmetic by hand) and the demo."""

from __future__ import annotations

import pytest

from core.errors import InsightsError
from core.insights.targeting import (
    UnknownCountryError,
    market_countries,
    resolve_country,
    targeting_answers,
    targeting_table,
)
from tests import test_insights

hand_model = test_insights.hand_model  # the hand-made model, arithmetic checked by hand


def test_score_is_similarity_times_streams_in_country(hand_model):
    # Target's similar artists: Peer One 0.9, Peer Two 0.5, No Data 0.1 (no markets)
    frame = targeting_table(hand_model, "Target", "France")
    assert frame["name"].tolist() == ["Peer One", "Peer Two"]
    assert frame["streams_in_country"].tolist() == [300, 100]  # Peer Two: its itunes streams
    assert frame["score"].tolist() == pytest.approx([0.9 * 300, 0.5 * 100])
    assert frame["listeners"].tolist() == [8, 2]
    assert frame["rank"].tolist() == [1, 2]
    assert frame["similarity_rank"].tolist() == [1, 2]
    japan = targeting_table(hand_model, "Target", "japan")
    assert japan["name"].tolist() == ["Peer Two"]
    assert japan["score"].tolist() == pytest.approx([0.5 * 50])
    # only Target itself streams in Germany: nobody to target there
    assert targeting_table(hand_model, "Target", "Germany").empty


def test_streams_outweigh_a_closer_match(hand_model):
    # Peer Two lists No Data (0.7, no markets), Peer One (0.4, 1000 US), Target (0.5, 150 US)
    frame = targeting_table(hand_model, "Peer Two", "United States")
    assert frame["name"].tolist() == ["Peer One", "Target"]
    assert frame["score"].tolist() == pytest.approx([0.4 * 1000, 0.5 * 150])
    assert frame["similarity_rank"].tolist() == [2, 3]


def test_countries_match_like_names(hand_model):
    assert resolve_country(hand_model, "  UNITED   states ") == "United States"
    assert resolve_country(hand_model, "USA") == "United States"
    assert resolve_country(hand_model, "Deutschland") == "Germany"
    assert market_countries(hand_model)[0] == "United States"  # most streamed first
    with pytest.raises(UnknownCountryError) as caught:
        resolve_country(hand_model, "Frnace")
    assert caught.value.suggestions[0] == "France"
    assert "unknown country 'Frnace'" in str(caught.value)
    assert isinstance(caught.value, InsightsError)


def test_report_shape(hand_model):
    report = targeting_answers(hand_model, ["target", "Nobody"], "france", top_n=1)
    assert report.answers == {"target": [{"name": "Peer One", "similarity": pytest.approx(0.9),
                                          "streams_in_country": 300, "listeners": 8,
                                          "score": pytest.approx(270.0)}]}
    assert [e.name for e in report.unknown] == ["Nobody"]
    with pytest.raises(UnknownCountryError):
        targeting_answers(hand_model, ["Target"], "Atlantis")


def test_demo_ranking(demo_model):
    frame = targeting_table(demo_model, "Lady Gaga", "United States", top_n=20)
    assert 10 <= len(frame) <= 20  # only similar artists streaming there
    assert frame["score"].is_monotonic_decreasing
    assert (frame["streams_in_country"] > 0).all()
    assert frame["score"].tolist() == pytest.approx(
        (frame["similarity"] * frame["streams_in_country"]).tolist())
    assert (frame["similarity_rank"] <= 50).all()
