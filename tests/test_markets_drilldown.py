"""The Markets page's drill-down in core: the peers behind a territory add up to its figures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.insights import markets_view, opportunity_table
from core.model import Model, ModelStore
from tests.dashboard_fixtures import NO_CHARTS, tiny_env


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Model:
    env = tiny_env(tmp_path_factory.mktemp("drilldown"))
    return ModelStore(Path(env["MODEL_DIR"])).load()


@pytest.mark.parametrize("artist", ["Metallica", "Lady Gaga", "Mogwai", NO_CHARTS])
def test_the_peers_behind_each_territory_add_up_to_its_figures(model: Model, artist: str) -> None:
    row = model.resolve(artist)
    table = opportunity_table(model, row)
    names = set(markets_view.market_peer_table(model, row)["name"])
    for territory in markets_view.territory_choices(table):
        figures = markets_view.territory_figures(table, territory)
        peers = markets_view.territory_peers(model, row, territory)
        assert list(peers.columns) == list(markets_view.PEER_COLUMNS)
        assert len(peers) == figures["peers_with_data"]  # who streams there, no one else
        assert set(peers["name"]) <= names and (peers["streams"] > 0).all()
        assert peers["modeled"].sum() == pytest.approx(figures["modeled"], rel=1e-9)
        assert peers["expected"].sum() == pytest.approx(figures["expected"], rel=1e-9, abs=1e-9)
        assert np.allclose(peers["modeled"], peers["weight"] * peers["streams"])
        if figures["expected"] > 0:
            assert peers["expected_weight"].sum() == pytest.approx(1.0)
            assert peers["expected"].is_monotonic_decreasing
        assert ((peers["share"] > 0) & (peers["share"] <= 1)).all()


def test_territory_choices_start_with_the_opportunities_and_offer_every_territory(model: Model) -> None:
    table = opportunity_table(model, "Metallica")
    choices = markets_view.territory_choices(table)
    ranked = list(markets_view.opportunities(table, top_n=100)["territory"])
    assert ranked and choices[:len(ranked)] == ranked
    assert sorted(choices) == sorted(set(table["territory"]))


def test_biggest_markets_are_context_with_actual_streams_only(model: Model) -> None:
    table = opportunity_table(model, "Metallica")
    biggest = markets_view.biggest_markets(table)
    assert list(biggest.columns) == ["territory", "actual"]
    assert list(biggest["actual"]) == sorted(biggest["actual"], reverse=True) and len(biggest) > 0
    assert markets_view.biggest_markets(opportunity_table(model, NO_CHARTS)).empty
    modeled = markets_view.modeled_territories(opportunity_table(model, NO_CHARTS))
    assert list(modeled["modeled"]) == sorted(modeled["modeled"], reverse=True)


@pytest.mark.parametrize(("value", "signed", "text"), [
    (13_512_345, True, "+13.5M"), (-13_512_345, True, "−13.5M"), (-13_512_345, False, "−13.5M"),
    (250_000, False, "250k"), (999_999, False, "1M"), (870.4, False, "870"), (0, True, "0"),
    (0.3, True, "0"), (1_500, True, "+1.5k"), (2.5e9, False, "2.5B"),
])
def test_compact_numbers_read_like_people_say_them(value: float, signed: bool, text: str) -> None:
    assert markets_view.compact_number(value, signed=signed) == text


def test_gap_extent_is_the_largest_absolute_gap() -> None:
    frame = pd.DataFrame({"gap": [3.0, -7.5, 1.0]})
    assert markets_view.gap_extent(markets_view.MapData(frame)) == 7.5
    assert markets_view.gap_extent(markets_view.MapData(pd.DataFrame({"gap": []}))) == 0.0
