"""Every dashboard page driven through Streamlit's AppTest, on a tiny model built for the test.

These run the real ``app.py`` (navigation, sidebar, caching) in-process: typing into the search
box, picking an artist, switching the map metric, filtering clusters and pressing Train. They
check what an analyst would see, e.g. that typing "beyonce" selects "Beyoncé" and that her
similar artists are pop artists, not just that the page did not crash.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core.evaluation.report import LOCK_FILE, read_evaluation, write_evaluation
from core.insights.opportunities import opportunity_table
from core.locking import exclusive
from core.model import ModelStore
from dashboard.graph_page import external_resources
from tests.dashboard_fixtures import APP, NO_CHARTS, SCENES, environment, tiny_env
from tests.test_evaluation_report import sample_result

TIMEOUT = 60


@pytest.fixture(scope="module")
def trained_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    env = tiny_env(tmp_path_factory.mktemp("app"))
    with environment(env):
        yield env


def run_app(page: str | None = None, **state: object) -> AppTest:
    """A fresh session of the app (optionally with session state), run once, on ``page``."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


#: a column only that table has (st.dataframe keys are not visible to AppTest)
TABLES = {"search_results": "has_markets", "similar_table": "rank", "modeled_territories": "modeled",
          "opportunities": "lift", "graph_nodes": "role", "cluster_summary": "best_known",
          "peers": "weight"}


def table_element(at: AppTest, name: str) -> Any:
    return next(df for df in at.dataframe if TABLES[name] in df.value.columns)


def frame(at: AppTest, name: str) -> pd.DataFrame:
    return table_element(at, name).value


def texts(elements: object) -> str:
    return "\n".join(str(e.value) for e in elements)  # type: ignore[attr-defined]


def vega_specs(at: AppTest) -> list[dict[str, Any]]:
    return [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]


def chart_data(at: AppTest, index: int) -> pd.DataFrame:
    """The data Streamlit sends beside a chart's spec (Arrow bytes, not inlined in the spec)."""
    import pyarrow as pa

    dataset = at.get("vega_lite_chart")[index].proto.datasets[0]
    return pa.ipc.open_stream(dataset.data.data).read_pandas()


def map_metric(spec: dict[str, Any]) -> str:
    """The field the world map colours countries by (its second layer holds the values)."""
    return str(spec["layer"][1]["encoding"]["color"]["field"])


# -- navigation and sidebar ----------------------------------------------------------------------


def test_sidebar_names_the_data_source_and_model_version(trained_env: dict[str, str]) -> None:
    at = run_app()
    version = ModelStore(trained_env["MODEL_DIR"]).current_version()
    sidebar = texts(at.sidebar.markdown)
    assert "DuckDB warehouse.duckdb" in sidebar
    assert f"`{version}`" in sidebar
    assert "password" not in sidebar.lower()
    assert "Mogwai" in texts(run_app(artist="Mogwai").sidebar.markdown)  # the followed artist


# -- artist search -------------------------------------------------------------------------------


def test_search_starts_with_popular_artists_and_their_similar_artists(trained_env: dict[str, str]) -> None:
    at = run_app()
    assert at.title[0].value == "Artist search"
    results = frame(at, "search_results")
    assert list(results["listeners"]) == sorted(results["listeners"], reverse=True)
    similar = frame(at, "similar_table")
    asked = at.slider(key="top_n").value
    assert 0 < len(similar) <= asked
    if len(similar) < asked:  # the hybrid only lists artists that share listeners
        assert any(f"Only {len(similar)} artists share listeners" in c.value for c in at.caption)
    assert at.session_state["artist"] == at.selectbox(key="search_pick").value == results["name"].iloc[0]


def test_typing_finds_an_artist_regardless_of_accents_and_shows_similar_ones(
        trained_env: dict[str, str]) -> None:
    at = run_app()
    at.text_input(key="search_query").input("beyonce").run()
    results = frame(at, "search_results")
    assert results["name"].iloc[0] == "Beyoncé"
    assert {"Listeners", "Genre", "Cluster"} <= {
        c["label"] for c in json.loads(table_element(at, "search_results").proto.columns).values()
        if "label" in c}
    assert at.session_state["artist"] == "Beyoncé"
    similar = frame(at, "similar_table")
    assert "Beyoncé" not in set(similar["name"])
    assert set(similar["name"].head(5)) <= set(SCENES["pop"])  # her audience is the pop scene
    assert list(similar["rank"]) == list(range(1, len(similar) + 1))
    assert similar["similarity"].is_monotonic_decreasing
    columns = json.loads(table_element(at, "similar_table").proto.columns)
    assert columns["similarity"]["type_config"]["type"] == "progress"  # a bar inside the cell
    assert {"shared_listeners", "genre", "evidence"} <= set(similar.columns)  # cluster: in the CSV


def test_picking_another_match_and_top_n_update_the_table(trained_env: dict[str, str]) -> None:
    at = run_app()
    at.text_input(key="search_query").input("m").run()
    options = at.selectbox(key="search_pick").options
    assert "Metallica" in options and "Mogwai" in options
    at.selectbox(key="search_pick").select("Metallica").run()
    at.slider(key="top_n").set_value(3).run()
    similar = frame(at, "similar_table")
    assert len(similar) == 3
    assert set(similar["name"]) <= set(SCENES["metal"])
    download = at.get("download_button")[0]
    assert download.proto.url.endswith(".csv")


def test_unknown_name_gets_a_friendly_message_and_clickable_suggestions(trained_env: dict[str, str]) -> None:
    at = run_app()
    at.text_input(key="search_query").input("the sigur band").run()
    assert "No artist called" in at.warning[0].value
    suggestion = at.button(key="suggest_0")
    assert suggestion.label == "Sigur Rós"
    suggestion.click().run()
    assert at.text_input(key="search_query").value == "Sigur Rós"
    assert frame(at, "search_results")["name"].iloc[0] == "Sigur Rós"


def test_artist_left_out_of_training_is_explained(trained_env: dict[str, str]) -> None:
    at = run_app()
    at.text_input(key="search_query").input("Lonely Busker").run()
    assert "left out of training" in at.warning[0].value


def test_compare_shows_each_artist_and_their_shared_neighbours(trained_env: dict[str, str]) -> None:
    at = run_app(artist="Metallica")
    picker = next(m for m in at.multiselect if m.key and m.key.startswith("compare_"))
    assert picker.value == ["Metallica"]
    picker.set_value(["Metallica", "Slayer"]).run()
    shared = at.dataframe[-1].value
    assert {"Metallica", "Slayer"} <= set(shared.columns)
    assert (shared["shared_by"] == 2).all() and set(shared["name"]) <= set(SCENES["metal"])


# -- markets -------------------------------------------------------------------------------------


def test_markets_follow_the_selection_and_switch_the_map_metric(trained_env: dict[str, str]) -> None:
    at = run_app("dashboard/pages/markets.py", artist="Lady Gaga")
    assert at.selectbox(key="markets_pick").value == "Lady Gaga"
    radio = at.radio(key="map_metric")
    assert radio.value == "gap"
    assert map_metric(vega_specs(at)[0]) == "gap"
    radio.set_value("actual_streams").run()
    world = vega_specs(at)[0]
    assert map_metric(world) == "actual_streams"
    assert "url" not in json.dumps(world["data"])  # inlined shapes, works offline
    captions = texts(at.caption)
    assert "Singapore" in captions and "Atlantis" in captions  # listed, not silently dropped
    assert not any("section" in df.value.columns for df in at.dataframe)  # one where-to-grow list
    table = frame(at, "opportunities")
    assert (table["gap"] == table["expected"] - table["actual"]).all()  # the opportunity model's gap
    radio.set_value("expected_streams").run()
    assert map_metric(vega_specs(at)[0]) == "expected_streams"


def test_opportunities_are_ranked_by_gap_and_thin_evidence_is_named(trained_env: dict[str, str]) -> None:
    at = run_app("dashboard/pages/markets.py", artist="Metallica")
    expected = opportunity_table(ModelStore(trained_env["MODEL_DIR"]).load(), "Metallica")
    ranked = frame(at, "opportunities")
    assert list(ranked.columns) == ["territory", "actual", "expected", "gap", "lift", "peers_with_data"]
    assert len(ranked) > 0 and list(ranked["gap"]) == sorted(ranked["gap"], reverse=True)
    assert (ranked["gap"] > 0).all() and (ranked["peers_with_data"] >= 3).all()
    assert (ranked["gap"] == ranked["expected"] - ranked["actual"]).all()
    totals = expected[expected["store"] == "total"].set_index("territory")
    first = ranked.iloc[0]
    assert first["expected"] == round(totals.loc[first["territory"], "expected_streams"])
    captions = texts(at.caption)
    assert "ranked by gap" in captions
    thin = totals[(totals["evidence"] == "thin") & (totals["gap"] > 0)]
    assert len(thin) > 0  # the fixture has thin territories for this artist
    note = next(c.value for c in at.caption if c.value.startswith("Not recommended"))
    assert all(t in note for t in thin.index) and not any(t in note for t in ranked["territory"])
    help_texts = {c.get("label"): c.get("help", "") for c in json.loads(
        table_element(at, "opportunities").proto.columns).values()}
    assert "Expected − actual" in help_texts["Gap"] and "share" in help_texts["Expected streams"]


def test_switching_to_an_artist_without_charts_falls_back_from_the_gap(
        trained_env: dict[str, str]) -> None:
    at = run_app("dashboard/pages/markets.py", artist="Lady Gaga")
    assert at.radio(key="map_metric").value == "gap"
    at.selectbox(key="markets_pick").select(NO_CHARTS).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.radio(key="map_metric").value == "modeled_streams"
    assert map_metric(vega_specs(at)[0]) == "modeled_streams"


def test_store_breakdown_follows_the_chosen_country(trained_env: dict[str, str]) -> None:
    at = run_app("dashboard/pages/markets.py", artist="Metallica")
    box = at.selectbox(key="store_country")
    other = next(o for o in box.options if o != box.value)
    box.select(other).run()
    store_spec = vega_specs(at)[1]
    assert other in json.dumps(store_spec["title"])


def test_artist_without_chart_data_is_explained_and_still_modeled(trained_env: dict[str, str]) -> None:
    at = run_app("dashboard/pages/markets.py", artist=NO_CHARTS)
    assert "has no chart data" in at.info[0].value
    assert "expected streams cannot be computed" in at.info[0].value
    radio = at.radio(key="map_metric")
    assert radio.value == "modeled_streams"
    assert radio.options == ["Actual streams", "Modeled streams (peers' average)"]
    table = frame(at, "modeled_territories")
    assert (table["modeled"] > 0).all() and list(table["modeled"]) == sorted(table["modeled"],
                                                                            reverse=True)
    assert not any({"gap", "expected"} & set(df.value.columns) for df in at.dataframe)  # no zeros
    assert not any("lift" in df.value.columns for df in at.dataframe)  # no opportunities table
    peers = frame(at, "peers")
    assert NO_CHARTS not in set(peers["name"]) and peers["weight"].sum() == pytest.approx(1.0)


def test_selection_is_kept_across_pages(trained_env: dict[str, str]) -> None:
    at = run_app()
    at.text_input(key="search_query").input("iron").run()
    assert at.session_state["artist"] == "Iron Maiden"
    at.switch_page("dashboard/pages/markets.py").run()
    assert at.selectbox(key="markets_pick").value == "Iron Maiden"
    at.selectbox(key="markets_pick").select("Mogwai").run()
    at.switch_page("dashboard/pages/clusters.py").run()
    assert at.toggle(key="graph_neighbourhood").value is True
    assert "**Mogwai** is outlined" in texts(at.caption)
    at.switch_page("dashboard/pages/search.py").run()
    assert at.selectbox(key="search_pick").value == "Mogwai"
    assert frame(at, "search_results")["name"].iloc[0] == "Mogwai"


# -- clusters ------------------------------------------------------------------------------------


def test_cluster_graph_highlights_the_selected_artist_offline(trained_env: dict[str, str]) -> None:
    at = run_app("dashboard/pages/clusters.py", artist="Sigur Rós")
    html = at.get("iframe")[0].proto.srcdoc
    assert "Sigur Rós" in html and external_resources(html) == []
    nodes = frame(at, "graph_nodes")
    assert nodes.set_index("name").loc["Sigur Rós", "role"] == "selected"
    summary = frame(at, "cluster_summary")
    assert summary["size"].sum() == 18 and summary["name"].is_unique


def test_cluster_filter_limits_the_graph_to_the_chosen_clusters(trained_env: dict[str, str]) -> None:
    at = run_app("dashboard/pages/clusters.py", artist="Metallica")
    at.toggle(key="graph_neighbourhood").set_value(False).run()
    picker = at.multiselect(key="graph_clusters")
    assert any(label.startswith("metal · ") for label in picker.options)  # readable names
    artists = ModelStore(trained_env["MODEL_DIR"]).load().artists.set_index("artistname")
    picker.select(int(artists.loc["Metallica", "cluster"])).run()
    nodes = frame(at, "graph_nodes")
    assert set(nodes["name"]) == set(SCENES["metal"])
    assert "from 1 cluster" in texts(at.caption)
    html = at.get("iframe")[0].proto.srcdoc
    assert "Iron Maiden" in html and "Lady Gaga" not in html
    at.slider(key="graph_max_nodes").set_value(10).run()
    at.multiselect(key="graph_clusters").set_value([]).run()
    assert len(frame(at, "graph_nodes")) == 10


# -- model quality -------------------------------------------------------------------------------


@pytest.fixture
def fresh_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A trained tiny model of its own: these tests add evaluation.json to its folder."""
    env = tiny_env(tmp_path)
    with environment(env):
        yield env


def current_folder(env: dict[str, str]) -> Path:
    store = ModelStore(env["MODEL_DIR"])
    return store.root / str(store.current_version())


def test_quality_page_shows_a_stored_evaluation_with_the_default_highlighted(
        fresh_env: dict[str, str]) -> None:
    result = sample_result()
    write_evaluation(result, current_folder(fresh_env))
    at = run_app("dashboard/pages/quality.py")
    assert at.title[0].value == "Model quality"
    assert not at.get("button") or "evaluate_button" not in {b.key for b in at.button}
    assert result.default_method in texts(at.markdown)
    metrics = {m.label: m for m in at.metric}
    assert list(metrics) == ["Recall@10", "nDCG@10", "Tag agreement@10", "Geographic nDCG@10",
                             "Spearman (countries)", "Coverage@10"]
    assert metrics["Recall@10"].value == "0.180"
    assert metrics["Recall@10"].proto.delta == "+0.110 vs next best"  # 0.18 − popularity's 0.07
    assert metrics["Geographic nDCG@10"].proto.delta == "+0.170 vs next best"  # − mean share 0.37
    specs = vega_specs(at)
    assert [spec["title"] for spec in specs] == [
        "Recall@10", "nDCG@10", "Tag agreement@10", "Geographic nDCG@10", "Spearman (countries)",
        "Fit seconds"]
    recall = chart_data(at, 0)
    assert list(recall["method"]) == [result.default_method, "popularity"]  # no NaN bar
    assert list(recall["role"]) == ["this model", "baseline"]
    colours = specs[0]["layer"][0]["encoding"]["color"]["scale"]
    assert dict(zip(colours["domain"], colours["range"], strict=True))["this model"] == "#f28e2b"
    captions = texts(at.caption)
    assert "hidden" in captions and "top tag" in captions and "Rank correlation" in captions
    clusters = next(df.value for df in at.dataframe if "tag_nmi" in df.value.columns)
    assert list(clusters["clustering"]) == ["k-means (product default)"]
    assert "--with-seed" in captions  # how to get the seed comparison


def test_quality_page_runs_the_evaluation_with_progress(fresh_env: dict[str, str]) -> None:
    folder = current_folder(fresh_env)
    at = run_app("dashboard/pages/quality.py")
    assert "not been evaluated yet" in at.info[0].value
    at.button(key="evaluate_button").click().run()
    assert not at.exception, [e.value for e in at.exception]
    stored = read_evaluation(folder)
    assert stored is not None and stored.meta["model_version"] == folder.name
    assert "Evaluated in" in at.success[0].value
    fractions = [f for _, f in at.session_state["evaluation_log"]]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0) and len(fractions) > 10
    labels = [m.label for m in at.metric]
    assert "Recall@10" in labels and "Coverage@10" in labels and len(vega_specs(at)) == 7
    assert stored.default_method in texts(at.markdown)
    # a second visit reads the stored file: no button, same numbers
    again = run_app("dashboard/pages/quality.py")
    assert "evaluate_button" not in {b.key for b in again.button}
    assert [m.value for m in again.metric] == [m.value for m in at.metric]


def test_quality_page_tells_a_second_tab_to_wait(fresh_env: dict[str, str]) -> None:
    at = run_app("dashboard/pages/quality.py")
    with exclusive(Path(fresh_env["MODEL_DIR"]) / LOCK_FILE, "evaluation"):
        at.button(key="evaluate_button").click().run()
    assert "already running" in at.warning[0].value
    assert read_evaluation(current_folder(fresh_env)) is None
    assert not at.success


def test_quality_page_explains_a_broken_file_and_offers_to_run_again(fresh_env: dict[str, str]) -> None:
    (current_folder(fresh_env) / "evaluation.json").write_text("{broken")
    at = run_app("dashboard/pages/quality.py")
    assert "run the evaluation again" in at.error[0].value
    assert at.button(key="evaluate_button")


# -- empty state and training --------------------------------------------------------------------


@pytest.fixture
def untrained_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    env = tiny_env(tmp_path, trained=False)
    with environment(env):
        yield env


@pytest.mark.parametrize("page", [None, "dashboard/pages/markets.py", "dashboard/pages/clusters.py",
                                  "dashboard/pages/quality.py"])
def test_without_a_model_pages_point_to_training(untrained_env: dict[str, str], page: str | None) -> None:
    at = run_app(page)
    assert "No trained model yet" in at.info[0].value
    assert any(link.proto.page.endswith("train.py") or "Train" in link.proto.label
               for link in at.get("page_link"))
    if page is None:  # AppTest drops the entry script's sidebar after switch_page
        assert "no model trained yet" in texts(at.sidebar.markdown)


def test_train_button_trains_with_progress_and_the_pages_use_the_new_model(
        untrained_env: dict[str, str]) -> None:
    at = run_app("dashboard/pages/train.py")
    assert "No trained model yet" in at.info[0].value
    at.number_input(key="train_features").set_value(5)
    at.number_input(key="train_clusters").set_value(2)
    at.button(key="train_button").click().run()
    assert not at.exception, [e.value for e in at.exception]
    version = ModelStore(untrained_env["MODEL_DIR"]).current_version()
    assert version is not None
    assert version in at.success[0].value
    fractions = [f for _, f in at.session_state["training_log"]]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(fractions) >= 7
    manifest = ModelStore(untrained_env["MODEL_DIR"]).load().manifest
    assert manifest["params"]["num_features"] == 5 and manifest["params"]["num_clusters"] == 2
    at.switch_page("dashboard/pages/clusters.py").run()
    assert len(frame(at, "cluster_summary")) == 2

    # retrain with 3 clusters: the cached model and tables must not outlive the old version
    at.switch_page("dashboard/pages/train.py").run()
    at.number_input(key="train_clusters").set_value(3)
    at.button(key="train_button").click().run()
    at.switch_page("dashboard/pages/clusters.py").run()
    assert len(frame(at, "cluster_summary")) == 3


def test_train_page_offers_where_to_train_and_trains_in_the_warehouse(
        untrained_env: dict[str, str]) -> None:
    at = run_app("dashboard/pages/train.py")
    radio = at.radio(key="train_mode")
    assert radio.value == "auto" and "Automatic (in memory)" in radio.options[0]
    assert any("listen rows need about" in c.value and "automatic trains in memory" in c.value
               for c in at.caption)
    at.number_input(key="train_features").set_value(5)
    radio.set_value("pushdown")
    at.button(key="train_button").click().run()
    assert not at.exception, [e.value for e in at.exception]
    manifest = ModelStore(untrained_env["MODEL_DIR"]).load().manifest
    assert manifest["mode"] == "pushdown" and manifest["params"]["num_features"] == 5
    assert "in the warehouse (pushdown)" in texts(at.markdown)


def test_train_while_another_training_runs_says_please_wait(untrained_env: dict[str, str]) -> None:
    at = run_app("dashboard/pages/train.py")
    with exclusive(Path(untrained_env["MODEL_DIR"]) / ".train.lock", "training"):
        at.button(key="train_button").click().run()
    assert "already running" in at.warning[0].value
    assert ModelStore(untrained_env["MODEL_DIR"]).current_version() is None
    assert not at.success


def test_train_page_shows_the_manifest_and_the_uploads(trained_env: dict[str, str]) -> None:
    at = run_app("dashboard/pages/train.py")
    body = texts(at.markdown)
    assert "DuckDB warehouse.duckdb" in body and "Version `" in body
    assert {m.label for m in at.metric} >= {"Artists modelled", "Listeners", "Artists left out"}
    assert next(m for m in at.metric if m.label == "Artists left out").value == "1"
    params = next(df.value for df in at.dataframe if "Parameter" in df.value.columns).set_index(
        "Parameter")["Value"]
    assert params["clusters"] == "3"
    assert "Uploads" in texts(at.subheader)
    timings = next(df.value for df in at.dataframe if "Step" in df.value.columns)
    assert list(timings["Step"])[:3] == ["read the listens", "weight listens",
                                         "factorize (SVD)"]  # in pipeline order


def type_into(box: Any, text: str) -> Any:
    """What the browser sends when a new option is typed into an ``accept_new_options``
    selectbox (AppTest's ``select`` only accepts listed options)."""
    box.options.append(text)
    return box.select(text)


def test_pickers_accept_any_typed_name_and_resolve_it_like_the_search(
        trained_env: dict[str, str]) -> None:
    at = run_app("dashboard/pages/markets.py", artist="Lady Gaga")
    type_into(at.selectbox(key="markets_pick"), "sigur ros").run()
    assert at.session_state["artist"] == "Sigur Rós"
    assert at.selectbox(key="markets_pick").value == "Sigur Rós"
    type_into(at.selectbox(key="markets_pick"), "no such band").run()
    assert "No artist called" in at.warning[0].value
    assert at.session_state["artist"] == "Sigur Rós"  # the page keeps the previous artist

    at = run_app(artist="Metallica")
    picker = next(m for m in at.multiselect if m.key and m.key.startswith("compare_"))
    picker.set_value(["Metallica", "slayer", "zzqx"]).run()
    picker = next(m for m in at.multiselect if m.key and m.key.startswith("compare_"))
    assert picker.value == ["Metallica", "Slayer"]
    assert "zzqx" in at.warning[0].value


def test_artist_names_are_shown_literally_in_markdown() -> None:
    from dashboard.common import md

    assert md("Ke$ha") == r"Ke\$ha"  # "$" would start LaTeX
    assert md("*NSYNC_") == r"\*NSYNC\_"  # "*" / "_" would be emphasis
    assert md("P!nk & AC/DC. 2") == "P!nk & AC/DC. 2"
