"""Streamlit in Snowflake: the bundle's definition, and the app on the active session.

The active-session path runs for real in Snowpark local testing: ``get_active_session()``
returns the one session of the process, exactly as inside Snowflake, where the app gets the
session of its owner. The three source tables are written into it, a model is trained through
that session, and ``streamlit_app.py`` (the deployed entry point) is driven with AppTest,
with no Snowflake credential set anywhere. The bundle itself was also built with the Snowflake
CLI's own code (see README, *Inside Snowflake*).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from snowflake.snowpark import Session
from streamlit.testing.v1 import AppTest

from core.config import PROJECT_ROOT, Settings
from core.training import train_and_save
from core.upload import targets
from core.warehouse import open_warehouse
from core.warehouse.active_session import active_warehouse, use_active_session
from core.warehouse.snowflake import SnowparkWarehouse
from tests.dashboard_fixtures import TRAIN_PARAMS, environment, source_frames

#: runtime requirements deliberately not in environment.yml, and why
NOT_IN_SNOWFLAKE = {
    "streamlit": "provided by Streamlit in Snowflake itself",
    "duckdb": "the embedded warehouse, not used inside Snowflake",
    "neo4j": "uploads to neo4j run outside Snowflake (no external access by default)",
    "pyvis": "not on Snowflake's channel: the cluster graph needs it (the rest of the page works)",
}


def test_project_definition_and_environment() -> None:
    definition = yaml.safe_load((PROJECT_ROOT / "snowflake.yml").read_text("utf-8"))
    assert definition["definition_version"] == 2
    (entity,) = definition["entities"].values()
    assert entity["type"] == "streamlit" and entity["main_file"] == "streamlit_app.py"
    for artifact in entity["artifacts"]:
        assert (PROJECT_ROOT / artifact).exists(), artifact
    assert (PROJECT_ROOT / entity["pages_dir"]).is_dir()
    environment_yml = yaml.safe_load((PROJECT_ROOT / "environment.yml").read_text("utf-8"))
    assert environment_yml["channels"] == ["snowflake"]
    wanted = {re.split(r"[<>=\[]", d)[0] for d in environment_yml["dependencies"]}
    runtime = {re.split(r"[<>=\[]", line)[0].strip() for line in
               (PROJECT_ROOT / "requirements.txt").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    assert runtime - wanted == set(NOT_IN_SNOWFLAKE)
    assert wanted <= runtime | {"snowflake-snowpark-python"}


@pytest.fixture
def inside_snowflake(tmp_path: Path) -> Iterator[Session]:
    """A local-testing session holding the source tables, as the active session."""
    session = Session.builder.config("local_testing", True).create()
    warehouse = SnowparkWarehouse(session)
    for table, frame in source_frames().items():
        warehouse.write_table(table, frame)
    use_active_session()
    try:
        yield session
    finally:
        use_active_session(False)
        session.close()


def test_the_active_session_is_the_warehouse(inside_snowflake: Session, tmp_path: Path) -> None:
    settings = Settings(warehouse="snowflake", model_dir=tmp_path / "models")
    assert settings.snowflake_account is None  # nothing to sign in with: no connect happens
    warehouse = open_warehouse(settings)
    assert warehouse.session is inside_snowflake
    assert warehouse.listen_stats().rows_kept > 0
    assert {t.name: t.configured for t in targets(settings)}["snowflake"]
    _, model = train_and_save(settings, TRAIN_PARAMS)
    assert len(model.artists) > 10 and model.manifest["warehouse"].startswith("Snowflake")
    warehouse.close()  # borrowed: the app's session stays open
    assert active_warehouse().row_count("ARTIST_IDS_SINGLE_GENRE") > 0


def test_deployed_entry_point_runs_on_the_active_session(inside_snowflake: Session,
                                                         tmp_path: Path) -> None:
    model_dir = tmp_path / "models"
    train_and_save(Settings(warehouse="snowflake", model_dir=model_dir), TRAIN_PARAMS)
    env = {"MODEL_DIR": str(model_dir), "WAREHOUSE": "snowflake"}
    with environment(env):
        at = AppTest.from_file(str(PROJECT_ROOT / "streamlit_app.py"), default_timeout=60)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        sidebar = "\n".join(m.value for m in at.sidebar.markdown)
        assert "Snowflake (this app's session)" in sidebar and "DuckDB" not in sidebar
        assert at.dataframe  # the search page's similar artists, from the trained model


def test_without_it_nothing_changes(tmp_path: Path) -> None:
    """Not enabled (everyone outside Snowflake): no active session is looked for."""
    assert active_warehouse() is None
    assert open_warehouse(Settings(duckdb_path=tmp_path / "w.duckdb")).description.startswith(
        "DuckDB")
