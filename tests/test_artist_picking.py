"""The choices the pages leave to core: which artist a page starts on, and what a failed
search says instead of a dead end."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.insights.clusters import by_popularity, default_artist, no_match
from core.model import Model, ModelStore
from tests.dashboard_fixtures import LONELY, NO_CHARTS, tiny_env


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Model:
    env = tiny_env(tmp_path_factory.mktemp("picking"))
    return ModelStore(Path(env["MODEL_DIR"])).load()


def test_default_artist_is_the_most_listened_with_chart_data_when_asked(model: Model) -> None:
    popular = by_popularity(model)
    listeners = model.artists.set_index("artistname")["listeners"]
    assert list(listeners[popular]) == sorted(listeners, reverse=True)
    assert default_artist(model) == popular[0]
    charting = default_artist(model, with_chart_data=True)
    assert charting != NO_CHARTS
    assert model.resolve(charting) in set(model.markets["row"])
    # an artist without chart data first in line is passed over
    assert default_artist(model, with_chart_data=True, popular=[NO_CHARTS, *popular]) == charting
    assert default_artist(model, with_chart_data=True, among=1, popular=[NO_CHARTS]) == NO_CHARTS


def test_no_match_gives_the_reason_and_names_to_try(model: Model) -> None:
    left_out = no_match(model, LONELY)
    assert left_out.reason is not None and "listener" in left_out.reason
    typo = no_match(model, "the sigur band")
    assert typo.reason is None and typo.suggestions[0] == "Sigur Rós"
    assert no_match(model, "zzqx").suggestions == []
