"""Issue 12 item 8, polish: the Train, Model quality and Clusters pages speak plain words.

AppTest on the tiny model: no manifest key (``num_features``, ``artists_market_peers_from_...``)
on the Train page, timings as "2.1 s" or "850 ms", the quality page's offer gone once results
exist, and no grey among the cluster colours.
"""

from __future__ import annotations

import colorsys
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.evaluation.report import write_evaluation
from core.model import ModelStore
from core.training.summary import format_seconds, format_value, parameter_rows, plain
from dashboard.graph_page import PALETTE, cluster_colour
from tests.dashboard_fixtures import APP, environment, tiny_env
from tests.test_evaluation_report import sample_result

TIMEOUT = 60
#: a manifest key: lower-case words joined by underscores
KEY_LIKE = re.compile(r"\b[a-z0-9]+_[a-z0-9_]+\b")
#: tokens that are meant: env variable names and file names are shown as they are typed
MEANT = re.compile(r"`[^`]*`|\b[\w.-]+\.(?:duckdb|env|csv|json|zip|shadow)\b")


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    values = tiny_env(tmp_path)
    with environment(values):
        yield values


def run_page(page: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def page_words(at: AppTest) -> list[str]:
    """Every text an analyst reads: markdown, captions, metric labels, and every table's
    headings and cells."""
    words = [str(e.value) for kind in ("markdown", "caption", "subheader") for e in at.get(kind)]
    words += [str(m.label) for m in at.metric]
    for table in at.dataframe:
        frame = table.value
        words += [str(c) for c in frame.columns] + [str(i) for i in frame.index]
        words += [str(v) for v in frame.astype(str).to_numpy().ravel()]
    return words


def downloads(at: AppTest) -> list[str]:
    return [str(b.proto.label) for b in at.get("download_button")]


def key_like(words: list[str]) -> list[str]:
    return sorted({t for w in words for t in KEY_LIKE.findall(MEANT.sub("", w))})


def test_formatting_rules() -> None:
    assert format_seconds(2.0883) == "2.1 s" and format_seconds(0.0005) == "< 1 ms"
    assert format_seconds(0.4802) == "480 ms" and format_seconds(1234.5) == "1,234.5 s"
    assert format_value(1_000_000) == "1,000,000" and format_value(0.2) == "0.2"
    assert format_value(True) == "yes" and plain("num_features") == "features (SVD components)"
    assert plain("something_new") == "something new"
    assert ("rows read per batch", "1,000,000") in parameter_rows({"params": {"batch_rows": 1_000_000}})


def test_train_page_has_no_manifest_keys_and_formatted_timings(env: dict[str, str]) -> None:
    store = ModelStore(env["MODEL_DIR"])
    manifest = store.load().manifest
    assert "artists_market_peers_from_features" in manifest["counts"]
    at = run_page("dashboard/pages/train.py")
    words = page_words(at)
    assert key_like(words) == [] and "rows read" in words  # the tables were looked at
    timings = next(df.value for df in at.dataframe if list(df.value.columns) == ["Step", "Time"])
    assert list(timings["Step"])[:3] == ["read the listens", "weight listens", "factorize (SVD)"]
    assert all(re.fullmatch(r"\d[\d,]*\.\d s|\d+ ms|< 1 ms", t) for t in timings["Time"]), timings
    rows = next(df.value for df in at.dataframe if list(df.value.columns) == ["Count", "Rows"])
    assert "artists whose market peers come from features alone" in set(rows["Count"])
    history = next(df.value for df in at.dataframe if "In use" in df.value.columns)
    assert "T" not in str(history["Trained (UTC)"].iloc[0])
    assert "CSV" in downloads(at)


def test_train_page_what_changed_is_in_words(env: dict[str, str]) -> None:
    from core.config import Settings
    from core.training import TrainingParams, train_and_save

    settings = Settings(duckdb_path=Path(env["DUCKDB_PATH"]), model_dir=Path(env["MODEL_DIR"]))
    train_and_save(settings, TrainingParams(num_features=5, num_clusters=3, min_listeners=2,
                                            top_k=15, market_peers=3))
    at = run_page("dashboard/pages/train.py")
    assert key_like(page_words(at)) == []
    assert "features (SVD components) 6 → 5" in "\n".join(str(c.value) for c in at.caption)
    changes = next(df.value for df in at.dataframe if "Unchanged" in df.value.columns)
    assert "artistnum" not in changes.columns and "Artist" in changes.columns


def test_quality_page_offers_the_evaluation_and_drops_the_banner_once_it_ran(
        env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboard import common

    store = ModelStore(env["MODEL_DIR"])
    folder = store.root / str(store.current_version())
    at = run_page("dashboard/pages/quality.py")
    assert "not been evaluated yet" in at.info[0].value and at.button(key="evaluate_button")

    def stored_quickly(work, **_: object):  # the real evaluation is tested in test_app_pages
        write_evaluation(sample_result(), folder)
        return True, None, [("evaluate", 1.0)]

    monkeypatch.setattr(common, "run_with_progress", stored_quickly)
    at.button(key="evaluate_button").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not any("not been evaluated" in str(i.value) for i in at.info)
    assert "Evaluated in" in at.success[0].value
    table = next(df.value for df in at.dataframe if "Method" in df.value.columns)
    first = table.set_index("Method").loc[sample_result().default_method]
    assert first["Recall@10"] == "0.180" and first["Coverage@10"] == "—"
    assert "Download all numbers (CSV)" in downloads(at)


def test_quality_table_shows_standard_errors_with_plus_minus() -> None:
    from dashboard.quality_charts import metric_table

    result = sample_result()
    result.methods["recall@10_se"] = [0.0034, 0.002, float("nan")]
    table = metric_table(result).set_index("Method")
    assert table.loc[result.default_method, "Recall@10"] == "0.180 ± 0.003"
    assert table.loc["mean-share baseline", "Recall@10"] == "—"
    assert table.loc["popularity (baseline)", "Geo nDCG@10"] == "0.310"


def test_no_cluster_is_grey() -> None:
    for cluster in range(len(PALETTE) * 2):
        red, green, blue = (int(cluster_colour(cluster)[i:i + 2], 16) / 255 for i in (1, 3, 5))
        _, saturation, _ = colorsys.rgb_to_hsv(red, green, blue)
        # Tableau's greys are below 0.1; its palest pink and purple above 0.2
        assert saturation > 0.2, (cluster, cluster_colour(cluster))
    assert len(set(PALETTE)) == len(PALETTE)


def test_clusters_page_offers_its_tables_as_csv(env: dict[str, str]) -> None:
    at = run_page("dashboard/pages/clusters.py")
    assert "Download cluster summary (CSV)" in downloads(at)
