"""Settings come from the environment; secrets never show up in text."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import PROJECT_ROOT, Settings
from core.errors import ConfigError

SNOWFLAKE = {"WAREHOUSE": "Snowflake", "SNOWFLAKE_ACCOUNT": "acme-eu1", "SNOWFLAKE_USER": "bob",
             "SNOWFLAKE_PASSWORD": "hunter2", "SNOWFLAKE_DATABASE": "MUSIC",
             "SNOWFLAKE_SCHEMA": "STREAMS", "NEO4J_PASSWORD": "s3cr3t"}


def test_defaults_without_environment():
    settings = Settings.from_env({})
    assert settings.warehouse == "duckdb"
    assert settings.duckdb_path == PROJECT_ROOT / "var" / "warehouse.duckdb"
    assert settings.num_features == 128 and settings.min_listeners == 2
    assert not settings.snowflake_configured and not settings.neo4j_configured


def test_values_are_typed_and_paths_resolved():
    settings = Settings.from_env({"NUM_CLUSTERS": " 12 ", "MODEL_DIR": "elsewhere/models",
                                  "SNOWFLAKE_PORT": "8080", "NUM_FEATURES": ""})
    assert settings.num_clusters == 12
    assert settings.model_dir == PROJECT_ROOT / "elsewhere" / "models"
    assert settings.snowflake_port == 8080
    assert settings.num_features == 128  # empty means unset


@pytest.mark.parametrize(("env", "message"), [
    ({"NUM_FEATURES": "many"}, "NUM_FEATURES must be a whole number"),
    ({"TOP_K": "-1"}, "TOP_K must not be negative"),
    ({"WAREHOUSE": "oracle"}, "WAREHOUSE must be 'duckdb' or 'snowflake'"),
    ({"DUCKDB_MEMORY_LIMIT": "lots"}, "DUCKDB_MEMORY_LIMIT must be a size such as 4GB"),
    ({"DUCKDB_MEMORY_LIMIT": "1GB'; SET threads=1; --"}, "DUCKDB_MEMORY_LIMIT must be a size"),
])
def test_bad_values_are_clear_errors(env, message):
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_secrets_stay_out_of_repr_and_descriptions():
    settings = Settings.from_env(SNOWFLAKE)
    assert settings.snowflake_configured
    for text in (repr(settings), str(settings), settings.source_description):
        assert "hunter2" not in text and "s3cr3t" not in text
    assert settings.source_description == "Snowflake account acme-eu1 · MUSIC.STREAMS"
    assert "bob" not in settings.source_description
    assert Settings(duckdb_path=Path("/d/label.duckdb")).source_description == "DuckDB label.duckdb"


def test_missing_lists_names_only():
    settings = Settings.from_env({"NEO4J_URI": "neo4j://localhost", "NEO4J_PASSWORD": "pw"})
    assert settings.missing(("NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD")) == ["NEO4J_USER"]
