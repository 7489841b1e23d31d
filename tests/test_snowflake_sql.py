"""Every SQL text the Snowflake paths send parses strictly as Snowflake SQL (sqlglot).

fakesnow translates to DuckDB and accepts some SQL Snowflake would reject (and drops clauses
such as COPY GRANTS), so the statements are also parsed with ``sqlglot`` in the Snowflake
dialect with errors raised. They are collected generically, by capturing what the connector is
asked to run, rather than by naming functions: a pushed-down training end to end (whatever
statements ``core.warehouse.pushdown_sql`` and ``core.training`` generate), the reader's
Snowpark DataFrames, a result upload (bulk load, atomic replace), the privilege check and the
clean-up. Statements sqlglot does not model as a syntax tree (it falls back to a raw
``Command``) are listed and held to a small set of kinds documented by Snowflake.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import sqlglot
from snowflake.snowpark import Session
from snowflake.snowpark.exceptions import SnowparkSessionException
from sqlglot import exp
from sqlglot.errors import ErrorLevel

from core.config import Settings
from core.tables import ARTIST_GENRES, COUNTRY_STREAMS, USER_ARTIST_STREAMS
from core.training import TrainingParams, train
from core.upload import UploadOptions, publish
from core.warehouse.snowflake import SnowparkWarehouse
from tests.conftest import community_listens, start_fakesnow
from tests.snowflake_capture import capture_sql

#: statement kinds sqlglot keeps as raw text (exp.Command); each is documented Snowflake syntax
#: (PUT: file staging; the connector sends it itself for every bulk load)
RAW_KINDS = {"PUT"}


@pytest.fixture(scope="module")
def statements(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    with start_fakesnow() as server:
        isolated = {**server["session_parameters"], "FAKESNOW_DB_PATH": ":isolated:"}
        session = Session.builder.configs({**server, "database": "SQLCHECK", "schema": "PUBLIC",
                                           "session_parameters": isolated,
                                           "server_session_keep_alive": True}).create()
        try:
            yield list(dict.fromkeys(_run_everything(session, tmp_path_factory.mktemp("m"))))
        finally:
            with contextlib.suppress(SnowparkSessionException):  # fakesnow: no CANCEL_ALL_QUERIES
                session.close()


def _run_everything(session: Session, model_dir: Path) -> Iterator[str]:
    warehouse = SnowparkWarehouse(session)
    listens = community_listens()
    genres = pd.DataFrame({"artistname": listens["artistname"].unique(),
                           "countrylist": "France, Chile", "genreid": "pop"})
    country = pd.DataFrame({"artistnum": listens["artistnum"].unique(),
                            "artistname": listens["artistname"].unique(),
                            "countryname": "France", "storename": "Spotify",
                            "total_streams": 10.0})
    with capture_sql() as sent:
        for contract, data in ((USER_ARTIST_STREAMS, listens), (ARTIST_GENRES, genres),
                               (COUNTRY_STREAMS, country)):
            warehouse.write_table(contract.name, data)
        params = TrainingParams(num_features=3, num_clusters=2, min_listeners=2, top_k=5,
                                mode="pushdown")
        model = train(warehouse, params)
        settings = Settings(model_dir=model_dir)
        warehouse.check_write_privileges(["ARTIST_SIMILARITY", "ARTIST_GEOGRAPHIC_RECOMMENDATIONS"])
        publish("snowflake", settings, model, warehouse=warehouse, options=UploadOptions(top_n=2))
        warehouse.check_write_privileges(["ARTIST_SIMILARITY", "ARTIST_GEOGRAPHIC_RECOMMENDATIONS"])
        warehouse.read_table("ARTIST_SIMILARITY")
    yield from sent


def _parse(sql: str) -> exp.Expression:
    parsed = sqlglot.parse(sql, read="snowflake", error_level=ErrorLevel.RAISE)
    assert len(parsed) == 1 and parsed[0] is not None, sql
    return parsed[0]


def test_enough_was_captured(statements: list[str]) -> None:
    """The capture saw each part: pushed-down passes, reads, the bulk load and the replace."""
    joined = "\n".join(statements)
    for needle in ("COPY INTO", "PUT ", "CREATE OR REPLACE TABLE", "COPY GRANTS",
                   "CREATE TEMPORARY STAGE", "SHOW TABLES", "IS_ROLE_IN_SESSION",
                   USER_ARTIST_STREAMS.name):
        assert needle in joined, needle
    assert len(statements) > 30


def test_every_statement_parses_as_snowflake_sql(statements: list[str]) -> None:
    failures, raw = [], set()
    for sql in statements:
        try:
            tree = _parse(sql)
        except sqlglot.errors.SqlglotError as exc:
            failures.append(f"{exc}\n    {sql[:300]}")
            continue
        if isinstance(tree, exp.Command):
            raw.add(str(tree.this).upper())
    assert not failures, "not Snowflake SQL:\n" + "\n".join(failures)
    assert raw <= RAW_KINDS, f"statements sqlglot does not model: {raw - RAW_KINDS}"


def test_copy_grants_and_copy_options_survive_parsing(statements: list[str]) -> None:
    """What fakesnow drops or ignores is at least well-formed where Snowflake reads it."""
    replace = next(s for s in statements if s.startswith("CREATE OR REPLACE TABLE"))
    tree = _parse(replace)
    assert isinstance(tree, exp.Create) and tree.args.get("replace")
    assert "COPY GRANTS" in tree.sql(dialect="snowflake")
    copy = _parse(next(s for s in statements if s.startswith("COPY INTO")))
    rendered = copy.sql(dialect="snowflake")
    for option in ("MATCH_BY_COLUMN_NAME", "PURGE", "ON_ERROR", "USE_LOGICAL_TYPE"):
        assert option in rendered, option


def test_no_value_of_the_data_is_spliced_into_sql(statements: list[str]) -> None:
    """Names of the source rows never appear in SQL text (they travel as Parquet or binds)."""
    for sql in statements:
        assert "G1 Artist" not in sql and "user11" not in sql, sql[:200]


def _literal_count(statement: str) -> int:
    return sum(1 for _ in _parse(statement).find_all(exp.Literal))


def test_statement_sizes(statements: list[str]) -> None:
    """No statement carries data: each stays far below Snowflake's advised 1 MB per statement."""
    biggest = max(statements, key=len)
    assert len(biggest.encode()) < 100_000, biggest[:200]
    assert max(_literal_count(s) for s in statements if not s.startswith("PUT")) < 2_000
