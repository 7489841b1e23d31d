"""The Markets page through AppTest: one where-to-grow answer, the peers and fans behind a
territory, downloads on every table, and the territory kept in the URL (``?country=``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core.insights import markets_view, opportunity_table
from core.insights.targeting import targeting_table
from core.model import Model, ModelStore
from tests.dashboard_fixtures import APP, NO_CHARTS, environment, tiny_env

PAGE = "dashboard/pages/markets.py"
TIMEOUT = 60


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    values = tiny_env(tmp_path_factory.mktemp("app-markets"))
    with environment(values):
        yield values


@pytest.fixture(scope="module")
def model(env: dict[str, str]) -> Model:
    return ModelStore(Path(env["MODEL_DIR"])).load()


def markets_page(artist: str, country: str | None = None) -> AppTest:
    """A new session (as a shared link opens) on the Markets page for ``artist``."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.session_state["artist"] = artist
    at.run()
    if country is not None:
        at.query_params["country"] = country
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def table_with(at: AppTest, *columns: str) -> pd.DataFrame:
    """The first table on the page holding all ``columns``."""
    return next(df.value for df in at.dataframe if set(columns) <= set(df.value.columns))


def has_table_with(at: AppTest, column: str) -> bool:
    return any(column in df.value.columns for df in at.dataframe)


def download_labels(at: AppTest) -> list[str]:
    return [str(b.proto.label) for b in at.get("download_button")]


def test_one_where_to_grow_answer_leads_and_no_competing_list(env: dict[str, str]) -> None:
    at = markets_page("Metallica")
    headings = [s.value for s in at.subheader]
    assert headings[0] == "Opportunities: where to grow, ranked by gap"
    assert not any("recommended territories" in h.lower() for h in headings)
    assert not has_table_with(at, "section") and not has_table_with(at, "modeled_streams")
    captions = "\n".join(c.value for c in at.caption)
    assert "seed's rule" not in captions and "Recommended:" not in captions
    assert "biggest markets now" in captions  # actual streams as context only
    ranked = table_with(at, "lift")
    assert (ranked["gap"] > 0).all() and (ranked["peers_with_data"] >= 3).all()


def test_drilldown_lists_the_peers_behind_the_chosen_territory(env: dict[str, str],
                                                              model: Model) -> None:
    at = markets_page("Metallica")
    box = at.selectbox(key="store_country")
    ranked = table_with(at, "lift")
    assert box.value == ranked["territory"].iloc[0]  # starts on the biggest gap
    other = next(o for o in box.options if o != box.value)
    box.select(other).run()
    peers = table_with(at, "expected_weight")
    row = model.resolve("Metallica")
    figures = markets_view.territory_figures(opportunity_table(model, row), other)
    assert len(peers) == figures["peers_with_data"] > 0
    assert peers["expected"].sum() == pytest.approx(figures["expected"])
    assert any(m.label == "Peers streaming here" for m in at.metric)
    assert f"The peers behind {other}" in "\n".join(m.value for m in at.markdown)
    assert at.query_params["country"] == other  # written to the URL for sharing


def test_targeting_table_for_the_chosen_country(env: dict[str, str], model: Model) -> None:
    at = markets_page("Lady Gaga")
    country = at.selectbox(key="store_country").value
    fans = table_with(at, "streams_in_country")
    expected = targeting_table(model, "Lady Gaga", country)
    assert list(fans["name"]) == list(expected["name"]) and len(fans) > 0
    assert f"Fans of similar artists to target in {country}" in "\n".join(
        m.value for m in at.markdown)


def test_no_targeting_candidates_is_a_plain_message(env: dict[str, str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import core.insights.targeting as targeting

    real = targeting.targeting_table
    monkeypatch.setattr(targeting, "targeting_table",
                        lambda *a, **k: real(*a, **k).iloc[0:0])
    at = markets_page("Mogwai")
    assert any("no fans of similar artists to target there" in i.value for i in at.info)
    assert not has_table_with(at, "streams_in_country")


@pytest.mark.parametrize("typed", ["Japan", "japan"])
def test_country_in_the_url_restores_the_territory(env: dict[str, str], typed: str) -> None:
    at = markets_page("Metallica", country=typed)
    assert at.selectbox(key="store_country").value == "Japan"
    assert "Japan" in "\n".join(m.value for m in at.markdown)
    assert at.query_params["country"] == "Japan"


def test_an_unknown_country_in_the_url_falls_back_to_the_biggest_gap(env: dict[str, str]) -> None:
    at = markets_page("Metallica", country="Narnia")
    assert at.selectbox(key="store_country").value == table_with(at, "lift")["territory"].iloc[0]


def test_every_table_has_a_csv_download(env: dict[str, str]) -> None:
    at = markets_page("Metallica")
    labels = download_labels(at)
    assert [label.split(" (")[0].split(" in ")[0] for label in labels] == [
        "Download opportunities", "Download peers", "Download fans to target", "Download stores"]
    assert all(b.proto.url for b in at.get("download_button"))
    no_charts = download_labels(markets_page(NO_CHARTS))
    assert "Download modeled territories (CSV)" in no_charts
    assert "Download market peers (CSV)" in no_charts


def test_artist_without_charts_gets_the_modeled_view_and_a_drilldown(env: dict[str, str]) -> None:
    at = markets_page(NO_CHARTS)
    assert not has_table_with(at, "lift") and not has_table_with(at, "expected_weight")
    peers: Any = table_with(at, "modeled", "share")  # the drill-down, modeled parts only
    assert len(peers) > 0
    assert [m.label for m in at.metric] == ["Modeled streams", "Peers streaming here"]
