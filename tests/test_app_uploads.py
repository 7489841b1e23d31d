"""The Train & upload page's upload buttons, driven through Streamlit's AppTest."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.config import Settings
from core.locking import exclusive
from core.upload import upload_lock
from core.upload.tables import GEOGRAPHIC_TABLE, SIMILARITY_TABLE
from core.warehouse.duckdb import DuckDBWarehouse
from tests.dashboard_fixtures import environment, tiny_env

APP = Path(__file__).resolve().parent.parent / "app.py"


@pytest.fixture
def upload_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    # A password without the rest of the Snowflake settings: the page must name what is
    # missing and never show the password.
    env = {**tiny_env(tmp_path), "SNOWFLAKE_PASSWORD": "hunter2-secret", "NEO4J_PASSWORD": "n30-secret"}
    with environment(env):
        yield env


def train_page() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.switch_page("dashboard/pages/train.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def everything_shown(at: AppTest) -> str:
    parts = [str(getattr(e, "value", "")) for e in at.main]
    parts += [b.label for b in at.button] + [str(b.help) for b in at.button]
    return "\n".join(parts)


def test_unconfigured_targets_are_disabled_and_say_what_to_set(upload_env):
    at = train_page()
    buttons = {b.key: b for b in at.button}
    assert not buttons["upload_duckdb"].disabled
    assert buttons["upload_snowflake"].disabled and buttons["upload_neo4j"].disabled
    captions = "\n".join(c.value for c in at.caption)
    assert "`SNOWFLAKE_ACCOUNT`" in captions and "`SNOWFLAKE_USER`" in captions
    assert "`NEO4J_URI`" in captions and "`NEO4J_USER`" in captions
    assert "`SNOWFLAKE_PASSWORD`" not in captions  # it is set; only missing names are listed
    shown = everything_shown(at)
    assert "hunter2-secret" not in shown and "n30-secret" not in shown


def test_duckdb_upload_writes_both_tables(upload_env):
    at = train_page()
    at.button(key="upload_duckdb").click().run()
    assert not at.exception
    assert any("Uploaded model" in s.value for s in at.success), [e.value for e in at.error]
    warehouse = DuckDBWarehouse(upload_env["DUCKDB_PATH"])
    similar = warehouse.read_table(SIMILARITY_TABLE)
    assert len(similar) > 0 and similar["similarity"].between(0, 1).all()
    assert warehouse.row_count(GEOGRAPHIC_TABLE) > 0


def test_second_upload_is_told_to_wait(upload_env):
    at = train_page()
    with exclusive(upload_lock(Settings(model_dir=Path(upload_env["MODEL_DIR"]))), "an upload"):
        at.button(key="upload_duckdb").click().run()
    assert any("already running" in w.value for w in at.warning)
    assert not at.success
    assert DuckDBWarehouse(upload_env["DUCKDB_PATH"]).columns(SIMILARITY_TABLE) is None


def test_neo4j_import_files_download(upload_env):
    at = train_page()
    download = [b for b in at.get("download_button") if "neo4j" in b.proto.label]
    assert download, "a download button for the neo4j import files"
    assert download[0].proto.label.endswith("(zip)")
