"""The Artist search page (issue 12: evidence, filters, exact match, emerging peers, links).

AppTest runs the real ``app.py`` on the tiny three-scene model, plus two details this file adds
to its warehouse: "Mono" has no genre (the page must not print "None"), and "Tiny Duo" has two
listeners, both pop fans, so every similarity it has rests on thin evidence.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core.insights import clusters, graph
from core.insights.evidence import MIN_SHARED_LISTENERS, filter_similar, similar_with_evidence
from core.model import Model, ModelStore
from core.tables import ARTIST_GENRES, USER_ARTIST_STREAMS
from core.warehouse.duckdb import DuckDBWarehouse
from tests.dashboard_fixtures import APP, NO_CHARTS, environment, source_frames, tiny_env

TIMEOUT = 60
NO_GENRE_ARTIST = "Mono"
THIN_ARTIST = "Tiny Duo"


def _frames() -> dict[str, pd.DataFrame]:
    """The fixture's tables with one artist stripped of its genre and one two-listener artist."""
    frames = source_frames()
    streams = frames[USER_ARTIST_STREAMS.name]
    duo = pd.DataFrame({"artistname": THIN_ARTIST, "artistnum": int(streams["artistnum"].max()) + 1,
                        "userid": ["u000", "u001"], "usernum": [0, 1], "total_streams": [40, 60]})
    frames[USER_ARTIST_STREAMS.name] = pd.concat([streams, duo], ignore_index=True)
    genres = frames[ARTIST_GENRES.name]
    genres = genres[genres["artistname"] != NO_GENRE_ARTIST]
    frames[ARTIST_GENRES.name] = pd.concat([genres, pd.DataFrame(
        {"artistname": [THIN_ARTIST], "countrylist": ["Germany"], "genreid": ["pop"]})],
        ignore_index=True)
    return frames


@pytest.fixture(scope="module")
def search_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    root = tmp_path_factory.mktemp("search")
    warehouse = DuckDBWarehouse(root / "warehouse.duckdb")
    for table, frame in _frames().items():
        warehouse.write_table(table, frame)
    env = tiny_env(root)  # trains on the warehouse written above
    with environment(env):
        yield env


@pytest.fixture(scope="module")
def model(search_env: dict[str, str]) -> Model:
    return ModelStore(Path(search_env["MODEL_DIR"])).load()


def run_app(page: str | None = None, params: dict[str, str] | None = None, **state: object) -> AppTest:
    """A fresh session (optional URL query and session state), run once, on ``page``."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    for key, value in state.items():
        at.session_state[key] = value
    if page:
        at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def table(at: AppTest, column: str) -> Any:
    """The st.dataframe that has ``column`` (their keys are not visible to AppTest)."""
    return next(df for df in at.dataframe if column in df.value.columns)


def labels(element: Any) -> dict[str, str]:
    return {k: c.get("label", k) for k, c in json.loads(element.proto.columns).items()}


def texts(elements: object) -> str:
    return "\n".join(str(e.value) for e in elements)  # type: ignore[attr-defined]


# -- core rules ----------------------------------------------------------------------------------


def test_an_exact_name_is_found_alone_and_a_partial_one_lists_matches(model: Model) -> None:
    assert clusters.search_artists(model, "lady gaga", exact_only=True)["name"].tolist() == ["Lady Gaga"]
    assert clusters.search_artists(model, "BEYONCE", exact_only=True)["name"].tolist() == ["Beyoncé"]
    assert len(clusters.search_artists(model, "m", exact_only=True)) > 1  # no artist called "m"
    assert len(clusters.search_artists(model, "Metallica")) >= 1  # the default is unchanged


def test_filter_similar_keeps_genre_listeners_and_chart_rows(model: Model) -> None:
    full = similar_with_evidence(model, "Lady Gaga", 15)
    assert NO_CHARTS in set(full["name"])
    assert filter_similar(model, full).equals(full)
    charting = filter_similar(model, full, charting_only=True)
    assert NO_CHARTS not in set(charting["name"]) and THIN_ARTIST not in set(charting["name"])
    assert len(charting) == len(full) - 2  # neither has streams per country
    floor = int(full["listeners"].median())
    big = filter_similar(model, full, min_listeners=floor)
    assert (big["listeners"] >= floor).all()
    assert len(big) == (full["listeners"] >= floor).sum()
    assert list(big["rank"]) == sorted(big["rank"])  # ranks are the unfiltered ones, in order
    assert filter_similar(model, full, genres=["metal"]).empty
    assert len(filter_similar(model, full, genres=["pop"])) == (full["genre"] == "pop").sum()


def test_common_neighbours_leaves_absent_scores_blank_not_zero(model: Model) -> None:
    rows = [model.resolve(n) for n in ("Metallica", "Slayer", "Iron Maiden")]
    shared = graph.common_neighbours(model, rows, top_n=3)
    values = shared[["Metallica", "Slayer", "Iron Maiden"]]
    assert not (values == 0).to_numpy().any()
    assert (values.notna().sum(axis=1) == shared["shared_by"]).all()
    assert np.allclose(shared["mean_similarity"], values.fillna(0).sum(axis=1) / 3)


# -- the page ------------------------------------------------------------------------------------


def test_similar_table_shows_evidence_both_directions_and_the_thin_mark(search_env: dict[str, str],
                                                                       model: Model) -> None:
    at = run_app(artist="Lady Gaga")
    element = table(at, "share_of_similar_listeners")
    shown = element.value
    expected = similar_with_evidence(model, "Lady Gaga", len(shown))
    assert list(shown["name"]) == list(expected["name"])
    assert list(shown["listeners"]) == list(expected["listeners"])
    assert list(shown["shared_listeners"]) == list(expected["shared_listeners"])
    assert np.allclose(shown["share_of_artist_listeners"], expected["share_of_artist_listeners"])
    assert np.allclose(shown["share_of_similar_listeners"], expected["share_of_similar_listeners"])
    heads = labels(element)
    assert heads["share_of_artist_listeners"] == "% of Lady Gaga's"
    assert heads["share_of_similar_listeners"] == "% of theirs"
    thin = shown["shared_listeners"] < MIN_SHARED_LISTENERS
    assert (shown.loc[thin, "evidence"] == "⚠ thin").all() and (shown.loc[~thin, "evidence"] == "ok").all()
    captions = texts(at.caption)
    assert "read from Lady Gaga's side" in captions
    assert f"fewer than {MIN_SHARED_LISTENERS} shared listeners" in captions

    duo = table(run_app(artist=THIN_ARTIST), "share_of_similar_listeners").value
    assert len(duo) > 0 and (duo["evidence"] == "⚠ thin").all()  # two listeners: thin everywhere


def test_filters_narrow_the_similar_table(search_env: dict[str, str]) -> None:
    at = run_app(artist="Lady Gaga")
    full = table(at, "evidence").value
    assert at.multiselect(key="similar_genres").options == ["pop"]
    at.checkbox(key="similar_charting").check().run()
    charting = table(at, "evidence").value
    assert NO_CHARTS in set(full["name"]) and NO_CHARTS not in set(charting["name"])
    assert THIN_ARTIST not in set(charting["name"])  # no chart data either
    floor = int(full["listeners"].median())
    at.number_input(key="similar_min_listeners").set_value(floor).run()
    narrowed = table(at, "evidence").value
    assert (narrowed["listeners"] >= floor).all() and len(narrowed) < len(full)
    assert f"{len(narrowed)} of the top {len(full)} match the filters" in texts(at.caption)


def test_typing_an_exact_name_shows_that_artist_alone(search_env: dict[str, str]) -> None:
    at = run_app()
    at.text_input(key="search_query").input("lady gaga").run()
    assert table(at, "has_markets").value["name"].tolist() == ["Lady Gaga"]
    assert "Exact match" in texts(at.caption)
    at.text_input(key="search_query").input("lady").run()
    assert "Lady Gaga" in set(table(at, "has_markets").value["name"])


def test_a_missing_genre_is_a_dash_never_none(search_env: dict[str, str]) -> None:
    at = run_app()
    at.text_input(key="search_query").input(NO_GENRE_ARTIST).run()
    results = table(at, "has_markets").value
    assert results.loc[results["name"] == NO_GENRE_ARTIST, "genre"].tolist() == ["—"]
    assert next(m for m in at.metric if m.label == "Genre").value == "no genre"
    at = run_app(artist="Sigur Rós")
    similar = table(at, "evidence").value
    assert NO_GENRE_ARTIST in set(similar["name"])
    assert similar["genre"].notna().all() and "None" not in set(similar["genre"].astype(str))


def test_compare_shows_blank_where_not_listed_and_no_default_warning(search_env: dict[str, str]) -> None:
    at = run_app(artist="Metallica")
    picker = at.multiselect(key="compare_Metallica")
    assert picker.value == ["Metallica"]
    at.slider(key="compare_n").set_value(3).run()
    at.multiselect(key="compare_Metallica").set_value(["Metallica", "Slayer", "Iron Maiden"]).run()
    at.multiselect(key="compare_Metallica").set_value(["Metallica", "Slayer", "Iron Maiden"]).run()
    assert not at.exception
    assert not any("default value" in w.value for w in at.warning)
    shared = table(at, "shared_by").value
    values = shared[["Metallica", "Slayer", "Iron Maiden"]]
    assert not (values == 0).to_numpy().any()
    keys = [d.key for d in at.get("download_button")]
    assert "download_shared" in keys
    assert sum(k.startswith("download_compare_") for k in keys) == 3  # one per compared artist


def test_compare_logs_no_session_state_warning(search_env: dict[str, str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.elements.lib import policies

    logged: list[str] = []
    monkeypatch.setattr(policies, "_shown_default_value_warning", False)  # logged once a process
    monkeypatch.setattr(policies._LOGGER, "warning",
                        lambda message, *args, **kwargs: logged.append(message % args))
    at = run_app(artist="Metallica")
    at.multiselect(key="compare_Metallica").set_value(["Metallica", "slayer"]).run()
    assert at.multiselect(key="compare_Metallica").value == ["Metallica", "Slayer"]  # normalized
    at.slider(key="compare_n").set_value(5).run()  # a rerun with the chosen artists in state
    assert not any("default value" in m for m in logged), logged


def test_emerging_tab_ranks_smaller_artists_by_concentration(search_env: dict[str, str],
                                                             model: Model) -> None:
    at = run_app(artist="Lady Gaga")
    assert "Emerging artists in this audience" in [t.label for t in at.tabs]
    peers = table(at, "concentration").value
    assert len(peers) > 0 and peers["concentration"].is_monotonic_decreasing
    assert (peers["shared_listeners"] >= 2).all()
    assert "Concentration" in texts(at.caption)
    small = int(peers["listeners"].min())
    at.number_input(key="emerging_max").set_value(small).run()
    assert (table(at, "concentration").value["listeners"] <= small).all()
    at.number_input(key="emerging_max").set_value(1).run()
    assert "Try a higher listener limit" in texts(at.info)


def test_every_table_has_a_download(search_env: dict[str, str]) -> None:
    at = run_app(artist="Lady Gaga")
    keys = {d.key for d in at.get("download_button")}
    assert {"download_results", "download_similar", "download_emerging"} <= keys
    assert all(d.proto.url.endswith(".csv") for d in at.get("download_button"))


# -- links: ?artist= ------------------------------------------------------------------------------


def test_a_link_with_artist_selects_it_on_search_and_markets(search_env: dict[str, str]) -> None:
    at = run_app(params={"artist": "mogwai"})
    assert at.session_state["artist"] == "Mogwai"
    assert at.selectbox(key="search_pick").value == "Mogwai"
    assert "Artists similar to Mogwai" in texts(at.subheader)
    assert at.query_params["artist"] == "Mogwai"  # the URL shows the model's spelling

    at = run_app("dashboard/pages/markets.py", params={"artist": "Slayer"})
    assert at.selectbox(key="markets_pick").value == "Slayer"


def test_the_url_follows_the_selection_and_unknown_names_are_ignored(search_env: dict[str, str]) -> None:
    at = run_app()
    at.text_input(key="search_query").input("iron maiden").run()
    assert at.query_params["artist"] == "Iron Maiden"
    at.switch_page("dashboard/pages/quality.py").run()  # a page without a picker keeps it
    assert at.query_params["artist"] == "Iron Maiden"

    at = run_app(params={"artist": "Nobody At All"})
    assert any("Nobody At All" in t.value for t in at.toast)
    assert at.session_state["artist"] != "Nobody At All"
    assert not at.exception
