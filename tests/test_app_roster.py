"""The Roster page driven through Streamlit's AppTest, on the tiny dashboard model.

Pasted names (one per line and CSV with a quoted comma), an uploaded file, a non-UTF-8 file,
unknown names, the two tables with their downloads, the map, and the empty state.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core.insights.roster import OPPORTUNITY_COLUMNS, SAMPLE_ROSTER, TERRITORY_TABLE_COLUMNS
from testkit.browser import APP
from tests.dashboard_fixtures import NO_CHARTS, environment, tiny_env

TIMEOUT = 60
PAGE = "dashboard/pages/roster.py"


@pytest.fixture(scope="module")
def trained_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    env = tiny_env(tmp_path_factory.mktemp("roster"))
    with environment(env):
        yield env


def roster_page() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def paste(at: AppTest, text: str) -> AppTest:
    at.text_area(key="roster_text").input(text).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def table(at: AppTest, column: str) -> pd.DataFrame:
    """The dataframe that has ``column`` (keys of st.dataframe are not visible to AppTest)."""
    return next(df.value for df in at.dataframe if column in df.value.columns)


def labels(at: AppTest, column: str) -> set[str]:
    element = next(df for df in at.dataframe if column in df.value.columns)
    return {c["label"] for c in json.loads(element.proto.columns).values() if "label" in c}


def downloads(at: AppTest) -> dict[str, str]:
    return {d.proto.label: d.proto.url for d in at.get("download_button")}


def test_empty_roster_shows_guidance(trained_env: dict[str, str]) -> None:
    at = roster_page()
    assert at.title[0].value == "Roster"
    assert "No artists yet" in at.info[0].value
    assert not at.dataframe and not at.get("vega_lite_chart")


def test_pasted_csv_with_a_quoted_comma_and_an_unknown_name(trained_env: dict[str, str]) -> None:
    at = paste(roster_page(), 'artist,label\nMetallica,Elektra\n"Sigur, Rós",x\nbeyonce,Parkwood\n'
                              f"{NO_CHARTS},Indie\nMetalica Band,none\n")
    warning = at.warning[0].value
    assert "Sigur, Rós" in warning and "Metalica Band" in warning  # the comma kept in one name
    assert "did you mean" in warning
    assert "Metallica" not in warning.split("did you mean")[0]
    opportunities = table(at, "peers")
    assert list(opportunities.columns) == OPPORTUNITY_COLUMNS
    assert set(opportunities["artist"]) <= {"Metallica", "Beyoncé"}  # the model's spelling
    assert "Beyoncé" in set(opportunities["artist"])
    assert (opportunities["gap"] == opportunities["expected"] - opportunities["actual"]).all()
    assert (opportunities.groupby("artist").size() <= 5).all()
    territories = table(at, "artist_names")
    assert list(territories.columns) == TERRITORY_TABLE_COLUMNS
    assert territories["gap"].is_monotonic_decreasing
    summed = opportunities.groupby("territory")["gap"].sum()
    assert (territories.set_index("territory")["gap"].reindex(summed.index) >= summed).all()
    assert {"Territory", "Total gap", "Contributing artists", "Expected", "Actual"} <= labels(
        at, "artist_names")
    assert {"Artist", "Gap", "Peers streaming here"} <= labels(at, "peers")
    assert NO_CHARTS in "\n".join(c.value for c in at.caption)  # answered, no opportunity
    assert set(downloads(at)) == {"Download territories as CSV", "Download opportunities as CSV"}
    assert all(url.endswith(".csv") for url in downloads(at).values())
    (chart,) = at.get("vega_lite_chart")
    assert json.loads(chart.proto.spec)["layer"][1]["encoding"]["color"]["field"] == "gap"
    assert any("Not on the map" in c.value and "Singapore" in c.value for c in at.caption)


def test_uploaded_file_adds_its_names_and_top_n_limits_each_artist(trained_env: dict[str, str]) -> None:
    at = paste(roster_page(), "Metallica\n")
    at.file_uploader(key="roster_file").set_value(
        ("roster.csv", b"Name,Label\nMogwai,Chemikal\nIron Maiden,EMI\n", "text/csv")).run()
    at.number_input(key="roster_top_n").set_value(1).run()
    assert not at.exception
    assert not at.warning
    assert "3 names read; 3 found in the model." in [c.value for c in at.caption]
    opportunities = table(at, "peers")
    assert opportunities["artist"].is_unique  # one opportunity each
    assert set(opportunities["artist"]) <= {"Metallica", "Mogwai", "Iron Maiden"}


def test_a_file_that_is_not_utf8_is_a_message_and_the_typed_names_still_count(
        trained_env: dict[str, str]) -> None:
    at = paste(roster_page(), "Metallica\n")
    at.file_uploader(key="roster_file").set_value(("latin1.txt", b"Caf\xe9\n", "text/plain")).run()
    assert not at.exception
    assert "latin1.txt is not UTF-8 text" in at.error[0].value
    assert set(table(at, "peers")["artist"]) == {"Metallica"}


def test_sample_roster_button_fills_the_text_box(trained_env: dict[str, str]) -> None:
    at = roster_page()
    at.button(key="roster_sample").click().run()
    assert at.text_area(key="roster_text").value == SAMPLE_ROSTER
    assert "Radiohead" in at.warning[0].value  # demo names: not in the tiny test model
    assert "No artists yet" not in "\n".join(i.value for i in at.info)
