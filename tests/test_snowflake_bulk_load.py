"""Result tables are bulk-loaded (Parquet, PUT, COPY INTO), never sent as values in SQL text.

Run for real on a fakesnow server, which implements PUT (files go to its local bucket) and
COPY INTO from a named stage; every statement the connector sends is captured, so the tests can
show that no value of the frame appears in any SQL text. Local testing has its own load
(``save_as_table``), covered by tests/test_upload_snowflake.py in both modes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest
from snowflake.snowpark import Session
from snowflake.snowpark.exceptions import SnowparkSessionException

from core.upload import GEOGRAPHIC_TABLE, SIMILARITY_TABLE
from core.warehouse.snowflake import SnowparkWarehouse
from core.warehouse.snowflake_load import (
    StageLoader,
    column_specs,
    owner_problems,
    privilege_error,
    write_parquet,
)
from tests.conftest import start_fakesnow
from tests.snowflake_capture import capture_sql

MARKER = "O'Brien \"Quote\" \\ Ünïcode 🎸 MATCH-7Q"


@pytest.fixture(scope="module")
def server() -> Iterator[dict[str, Any]]:
    with start_fakesnow() as kwargs:
        yield kwargs


def open_session(server: dict[str, Any], schema: str = "PUBLIC") -> Session:
    isolated = {**server["session_parameters"], "FAKESNOW_DB_PATH": ":isolated:"}
    return Session.builder.configs({**server, "database": "BULK", "schema": schema,
                                    "session_parameters": isolated,
                                    "server_session_keep_alive": True}).create()


@pytest.fixture
def warehouse(server: dict[str, Any]) -> Iterator[SnowparkWarehouse]:
    session = open_session(server)
    yield SnowparkWarehouse(session)
    with contextlib.suppress(SnowparkSessionException):  # fakesnow: no CANCEL_ALL_QUERIES
        session.close()


def frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({
        "artist": [MARKER if i == 3 else f"artist {i}" for i in range(n)],
        "artistnum": pd.Series(range(n), dtype="int64") * 1_000_003,
        "similarity": [i / 7 for i in range(n)],
        "flag": [i % 2 == 0 for i in range(n)],
        "note": [None if i % 3 else "a\r\nb\x01" for i in range(n)],
    })


def test_write_is_a_bulk_load_with_no_values_in_sql(warehouse: SnowparkWarehouse) -> None:
    data = frame(50)
    with capture_sql() as sent:
        warehouse.write_table("bulk_probe", data)
    back = warehouse.read_table("bulk_probe").sort_values("artistnum", ignore_index=True)
    pd.testing.assert_frame_equal(back, data, check_dtype=False)
    kinds = [s.split(None, 1)[0].upper() for s in sent]
    assert "PUT" in kinds and "COPY" in kinds and "INSERT" not in kinds
    assert any(s.startswith("CREATE OR REPLACE TABLE") and "COPY GRANTS" in s for s in sent)
    for text in sent:  # not one value of the frame travels as SQL text
        assert "MATCH-7Q" not in text and "1000003" not in text and "artist 1" not in text


def test_many_files_and_an_empty_frame(warehouse: SnowparkWarehouse, tmp_path: Path) -> None:
    data = frame(23)
    specs = column_specs(data)
    files = write_parquet(specs, tmp_path, file_rows=5)
    assert len(files) == 5 and sum(pq.read_metadata(f).num_rows for f in files) == 23
    assert pq.read_schema(files[0]).names == ["ARTIST", "ARTISTNUM", "SIMILARITY", "FLAG", "NOTE"]
    loader = warehouse._dialect.loader(warehouse.session)
    assert loader.load('"MANY_FILES"', data, file_rows=5) == 23
    assert len(warehouse.read_table("MANY_FILES")) == 23
    warehouse.write_table("empty_result", data.iloc[:0])
    assert warehouse.read_table("empty_result").empty
    assert warehouse.columns("empty_result") == list(data.columns)


def test_a_short_load_is_refused() -> None:
    """COPY's own report is checked: a load that lost rows is an error, not a smaller table."""
    replies = iter([[], [], [], [{"file": "f", "status": "LOADED", "rows_loaded": 2}]])
    loader = StageLoader(lambda sql: next(replies))
    with pytest.raises(Exception, match="reported 2 rows of 3"):
        loader.load('"T"', frame(3))


def test_privileges_are_checked_at_connect(warehouse: SnowparkWarehouse) -> None:
    with capture_sql() as sent:
        warehouse.check_write_privileges([SIMILARITY_TABLE, GEOGRAPHIC_TABLE])
    assert any(s.startswith("CREATE TEMPORARY STAGE") for s in sent)
    assert any(s.startswith("CREATE TRANSIENT TABLE") for s in sent)
    # a refused probe becomes a one-line message with the GRANT that fixes it (fakesnow grants
    # everything, so a real refusal is stood in for by a real error of the same session)
    try:
        warehouse.session.sql("CREATE TABLE NO_SUCH_DB.NO_SUCH_SCHEMA.T (X INT)").collect()
    except Exception as exc:
        error = privilege_error(exc, "create a table", "GRANT CREATE TABLE ON SCHEMA D.S TO ROLE R",
                                warehouse.description)
    assert str(error).startswith(f"the role in use cannot create a table in {warehouse.description}")
    assert str(error).endswith("an administrator can run: GRANT CREATE TABLE ON SCHEMA D.S TO ROLE R")
    assert "\n" not in str(error)


def test_ownership_of_existing_tables() -> None:
    held = {"LOADER", "PUBLIC"}
    problems = owner_problems({"ARTIST_SIMILARITY": "LOADER", "ARTIST_GEOGRAPHIC_RECOMMENDATIONS":
                               "SYSADMIN"}, lambda role: role in held, "LOADER")
    assert len(problems) == 1
    assert "ARTIST_GEOGRAPHIC_RECOMMENDATIONS is owned by role SYSADMIN" in problems[0]
    assert "GRANT OWNERSHIP ON TABLE ARTIST_GEOGRAPHIC_RECOMMENDATIONS TO ROLE LOADER" in problems[0]


def test_a_temporary_folder_with_spaces(warehouse: SnowparkWarehouse, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """PUT quotes the local path (e.g. Windows' "C:/Users/Ana Lima/AppData/Local/Temp")."""
    import tempfile

    spaced = tmp_path / "Ana Lima" / "Temp dir"
    spaced.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(spaced))
    with capture_sql() as sent:
        warehouse.write_table("spaced", frame(4))
    assert len(warehouse.read_table("spaced")) == 4
    assert any("Ana Lima/Temp dir" in s for s in sent if s.startswith("PUT"))
