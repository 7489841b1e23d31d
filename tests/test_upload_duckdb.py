"""The DuckDB upload, for real: tables written, replaced, and left whole when a write fails.

Also the parts of ``core.upload`` every target shares: the lock, the target list (no secrets)
and the command line.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import core.upload.warehouse as upload_warehouse
from core.cli.upload import main as upload_main
from core.config import Settings
from core.errors import ConfigError, InsightsError
from core.insights import similar_artists
from core.insights.geographic import market_table, territory_summary
from core.locking import BusyError, exclusive
from core.model import Model
from core.upload import (
    GEOGRAPHIC_TABLE,
    SIMILARITY_TABLE,
    UploadOptions,
    default_target,
    publish,
    targets,
    upload_lock,
)
from core.upload.tables import result_tables
from core.warehouse.duckdb import DuckDBWarehouse
from testkit.generated import generated_model

PASSWORD = "pw-Up10ad-do-not-print"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(duckdb_path=tmp_path / "warehouse.duckdb", model_dir=tmp_path / "models")


def read(settings: Settings, table: str) -> pd.DataFrame:
    return DuckDBWarehouse(settings.duckdb_path).read_table(table)


def test_both_tables_written_and_agree_with_insights(settings: Settings, demo_model: Model) -> None:
    progress: list[tuple[str, float]] = []
    result = publish("duckdb", settings, demo_model, lambda m, f: progress.append((m, f)))

    similarity, geographic = read(settings, SIMILARITY_TABLE), read(settings, GEOGRAPHIC_TABLE)
    assert result.counts == {SIMILARITY_TABLE: len(similarity), GEOGRAPHIC_TABLE: len(geographic)}
    assert len(similarity) == 10 * len(demo_model.artists)
    assert result.model_version == demo_model.version and result.target == "duckdb"
    assert set(similarity["model_version"]) == set(geographic["model_version"]) == {demo_model.version}

    gaga = demo_model.resolve("Lady Gaga")
    want = similar_artists(demo_model, gaga, 10)
    got = similarity[similarity["artist"] == "Lady Gaga"].sort_values("rank")
    assert got["similar_artist"].tolist() == want["name"].tolist()
    assert np.allclose(got["similarity"], want["similarity"])

    summary = territory_summary(market_table(demo_model, gaga), 5)
    mine = geographic[geographic["artist"] == "Lady Gaga"]
    for kind, key in (("top_market", "top_markets"), ("recommendation", "recommendations")):
        ranked = mine[mine["kind"] == kind].sort_values("rank")
        assert ranked["territory"].tolist() == [e["territory"] for e in summary[key]]
        assert [int(round(v)) for v in ranked["modeled_streams"]] == [
            e["modeled_streams"]["total"] for e in summary[key]]

    fractions = [f for _, f in progress]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_reupload_replaces_both_tables(settings: Settings, demo_model: Model) -> None:
    publish("duckdb", settings, demo_model)
    small = generated_model(30, seed=4)
    result = publish("duckdb", settings, small, options=UploadOptions(top_n=3))
    similarity = read(settings, SIMILARITY_TABLE)
    assert len(similarity) == 90 == result.counts[SIMILARITY_TABLE]
    assert set(similarity["model_version"]) == {small.version}
    assert set(read(settings, GEOGRAPHIC_TABLE)["model_version"]) == {small.version}
    assert read(settings, GEOGRAPHIC_TABLE)["rank"].max() <= 3


def test_failure_inside_a_write_leaves_the_previous_table(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB fails while copying row 1,500 of the new table: the old table stays whole."""
    old = generated_model(40, seed=1)
    publish("duckdb", settings, old)
    before = read(settings, SIMILARITY_TABLE)

    def poisoned(model: Model, similar_n: int, markets_n: int) -> dict[str, pd.DataFrame]:
        tables = result_tables(model, similar_n, markets_n)
        shared = tables[SIMILARITY_TABLE]["shared_listeners"].astype(object)
        shared.iloc[1500] = b"\xff"  # DuckDB infers BIGINT from the first rows, then fails here
        tables[SIMILARITY_TABLE]["shared_listeners"] = shared
        return tables

    monkeypatch.setattr(upload_warehouse, "result_tables", poisoned)
    with pytest.raises(InsightsError, match=f"{SIMILARITY_TABLE}.*unchanged"):
        publish("duckdb", settings, generated_model(200, seed=2))
    pd.testing.assert_frame_equal(read(settings, SIMILARITY_TABLE), before)
    assert set(read(settings, GEOGRAPHIC_TABLE)["model_version"]) == {old.version}


def test_interrupt_between_tables_then_rerun(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C after the first table: each table is whole (one new, one old); a re-run fixes it."""
    old, new = generated_model(40, seed=1), generated_model(50, seed=2)
    publish("duckdb", settings, old)
    real_write = DuckDBWarehouse.write_table

    def write_then_interrupt(self: DuckDBWarehouse, table: str, frame: pd.DataFrame) -> None:
        if table == GEOGRAPHIC_TABLE:
            raise KeyboardInterrupt
        real_write(self, table, frame)

    monkeypatch.setattr(DuckDBWarehouse, "write_table", write_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        publish("duckdb", settings, new)
    assert set(read(settings, SIMILARITY_TABLE)["model_version"]) == {new.version}
    assert set(read(settings, GEOGRAPHIC_TABLE)["model_version"]) == {old.version}

    monkeypatch.setattr(DuckDBWarehouse, "write_table", real_write)
    publish("duckdb", settings, new)  # the lock was released by the interrupted upload
    assert set(read(settings, GEOGRAPHIC_TABLE)["model_version"]) == {new.version}


def test_second_upload_is_told_to_wait(settings: Settings) -> None:
    model = generated_model(20, seed=1)
    with exclusive(upload_lock(settings), "an upload"), \
            pytest.raises(BusyError, match="already running"):
        publish("duckdb", settings, model)
    assert not settings.duckdb_path.exists()  # nothing was written while locked out


def test_concurrent_uploads_one_runs_one_waits(settings: Settings,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    model = generated_model(20, seed=1)
    started, release = threading.Event(), threading.Event()
    real_upload = upload_warehouse.upload_tables

    def slow_upload(*args: object, **kwargs: object) -> dict[str, int]:
        started.set()
        release.wait(10)
        return real_upload(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(upload_warehouse, "upload_tables", slow_upload)
    first = threading.Thread(target=publish, args=("duckdb", settings, model))
    first.start()
    try:
        assert started.wait(10)
        with pytest.raises(BusyError):
            publish("duckdb", settings, model)
    finally:
        release.set()
        first.join(20)
    assert len(read(settings, SIMILARITY_TABLE)) == 200


def test_options_are_checked(settings: Settings) -> None:
    model = generated_model(5, seed=1)
    with pytest.raises(ConfigError, match="top-n"):
        publish("duckdb", settings, model, options=UploadOptions(top_n=0))
    with pytest.raises(ConfigError, match="batch size"):
        publish("neo4j", settings, model, options=UploadOptions(batch_size=0))
    with pytest.raises(ConfigError, match="unknown upload target"):
        publish("oracle", settings, model)


def test_targets_name_missing_settings_and_never_secrets(tmp_path: Path) -> None:
    bare = Settings(duckdb_path=tmp_path / "w.duckdb")
    status = {t.name: t for t in targets(bare)}
    assert list(status) == ["duckdb", "snowflake", "neo4j", "neo4j-export"]
    assert status["duckdb"].configured and status["neo4j-export"].configured
    assert not status["snowflake"].configured and "SNOWFLAKE_ACCOUNT" in status["snowflake"].missing
    assert status["neo4j"].missing == ["NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD"]
    assert default_target(bare) == "duckdb"

    full = Settings(
        snowflake_account="acme", snowflake_user="ana", snowflake_password=PASSWORD,
        snowflake_database="DB", snowflake_schema="S",
        neo4j_uri=f"neo4j://ana:{PASSWORD}@graph.example:7687", neo4j_user="ana",
        neo4j_password=PASSWORD, neo4j_database="music",
    )
    listed = targets(full)
    assert all(t.configured and not t.missing for t in listed)
    assert default_target(full) == "snowflake"
    text = repr(listed)
    assert PASSWORD not in text
    assert "graph.example:7687" in text and "music" in text and "acme/DB.S" in text


def test_cli_uploads_and_reports(tmp_path: Path, demo_model_dir: Path,
                                 monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DUCKDB_PATH", str(tmp_path / "cli.duckdb"))
    monkeypatch.setenv("MODEL_DIR", str(demo_model_dir))
    assert upload_main(["duckdb", "--top-n", "3"]) == 0
    out, err = capsys.readouterr()
    assert SIMILARITY_TABLE in out and GEOGRAPHIC_TABLE in out
    assert "100%" in err  # the progress bar
    assert DuckDBWarehouse(tmp_path / "cli.duckdb").read_table(SIMILARITY_TABLE)["rank"].max() == 3


@pytest.mark.parametrize(("argv", "message"), [
    (["duckdb", "--top-n", "0"], "top-n must be at least 1"),
    (["duckdb", "--out", "x"], "--out is only for neo4j-export"),
    (["duckdb", "--model-version", "nope"], "nope"),
])
def test_cli_errors_are_one_line(argv: list[str], message: str, tmp_path: Path,
                                 demo_model_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DUCKDB_PATH", str(tmp_path / "cli.duckdb"))
    monkeypatch.setenv("MODEL_DIR", str(demo_model_dir))
    assert upload_main([*argv, "--quiet"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("error: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err
