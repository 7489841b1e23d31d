"""The Snowflake warehouse, run for real in two ways and never mocked.

Every test runs twice through the ``session`` fixture:

* ``local``: Snowpark local testing, an in-process emulator of the DataFrame API (no SQL);
* ``fakesnow``: a fakesnow server on localhost that the ordinary Snowflake connector talks to
  over HTTP, so the SQL that Snowpark generates is really parsed and executed (by DuckDB).

The source tables are loaded from the same pandas fixtures in both modes, with declared
Snowflake column types (text streams, NUMBER ids, DECIMAL streams, mixed-case column names).
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest
from snowflake.snowpark import Session
from snowflake.snowpark.exceptions import SnowparkSessionException
from snowflake.snowpark.types import DataType, DecimalType, LongType, StringType, StructField
from snowflake.snowpark.types import StructType as SnowparkStructType

from core.config import Settings
from core.errors import ConfigError, ContractError, InsightsError
from core.tables import ARTIST_GENRES, COUNTRY_STREAMS, USER_ARTIST_STREAMS
from core.warehouse.base import ListenStats
from core.warehouse.snowflake import SnowparkWarehouse, _rechunk
from tests.conftest import start_fakesnow

MODES = ("local", "fakesnow")
# fakesnow's DuckDB cursor warns about an internal Arrow copy on every query
pytestmark = pytest.mark.filterwarnings("ignore:Arrow output on a DB-API result:UserWarning")
PASSWORD = "pw-Sn0w-do-not-print"

# --------------------------------------------------------------------------------------------
# Fixture data: pandas frames plus the Snowflake types their columns are stored with
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    identifier: str  # as written in DDL: unquoted (upper-cased by Snowflake) or "quoted"
    sql_type: str
    snowpark_type: DataType


@dataclass(frozen=True)
class SourceTable:
    name: str
    columns: tuple[Column, ...]
    frame: pd.DataFrame


def source_table(name: str, columns: tuple[Column, ...], rows: list[tuple[Any, ...]]) -> SourceTable:
    # dtype=object keeps None, ints and Decimals as they are (no NaN, no float ids)
    frame = pd.DataFrame(rows, columns=[c.identifier for c in columns], dtype=object)
    return SourceTable(name, columns, frame)


TEXT, BIGINT = StringType(), LongType()
ODD_NAME = 'O\'Brien "Quote" \\ Ünïcode'

# Mixed-case column names on purpose: Snowflake upper-cases unquoted names, loaders that quote
# keep lower case, and the reader must accept both.
LISTEN_COLUMNS = (
    Column('"artistname"', "VARCHAR", TEXT),
    Column("ARTISTNUM", "NUMBER(38,0)", BIGINT),
    Column('"UserId"', "VARCHAR", TEXT),
    Column("usernum", "NUMBER(38,0)", BIGINT),
    Column("total_streams", "VARCHAR", TEXT),  # streams stored as text in this warehouse
)
LISTENS = source_table(
    USER_ARTIST_STREAMS.name,
    LISTEN_COLUMNS,
    [
        ("A", 0, "u0", 0, "5"),
        ("A", 0, "u0", 0, "7"),  # duplicate pair: summed with the row above
        ("A", 0, "u1", 1, None),  # NULL streams
        ("A", 0, "u1", 1, "lots"),  # text that is not a number: counted as NULL streams
        ("A", 0, "u2", 2, "0"),  # zero
        ("A", 0, "u3", 3, "-4"),  # negative
        ("B", None, "u1", 1, "3"),  # unknown artist id
        ("B", 1, "u9", None, "3"),  # unknown user id
        ("B", 1, "u8", -2, "3"),  # negative user id: unknown too
        ("B", 1, "u1", 1, "2.5"),
        ("b", 1, "u1", 1, "0.5"),  # duplicate pair again, and a rarer spelling of artist 1
        (ODD_NAME, 2, "u1", 1, "1"),
        ("Zed", 2, "u5", 5, "0"),  # ties with ODD_NAME for artist 2 (names count all rows)
        ("Émile", 3, "u6", 6, "2"),
        ("Emile", 3, "u7", 7, "2"),  # tie: the smaller name wins
        (None, 4, "u7", 7, "1"),  # kept, but artist 4 has no name
    ],
)
EXPECTED_STATS = ListenStats(
    rows_total=16,
    rows_null_streams=2,
    rows_nonpositive_streams=3,
    rows_unknown_ids=3,
    rows_kept=8,
    pairs=6,
)
EXPECTED_LISTENS = [  # (usernum, artistnum, streams), ordered by artist then user
    (0, 0, 12.0),
    (1, 1, 3.0),
    (1, 2, 1.0),
    (6, 3, 2.0),
    (7, 3, 2.0),
    (7, 4, 1.0),
]
EXPECTED_NAMES = [(0, "A"), (1, "B"), (2, ODD_NAME), (3, "Emile")]

GENRES = source_table(
    ARTIST_GENRES.name,
    (
        Column("ARTISTNAME", "VARCHAR", TEXT),
        Column("COUNTRYLIST", "VARCHAR", TEXT),
        Column("GENREID", "NUMBER(38,0)", BIGINT),  # a number in the warehouse, text in pandas
    ),
    [("Émile", "France,Belgium", 7), ("A", "United States", 1), (None, "Nowhere", 2)],
)

COUNTRY = source_table(
    COUNTRY_STREAMS.name,
    (
        Column("ARTISTNUM", "NUMBER(38,0)", BIGINT),
        Column("ARTISTNAME", "VARCHAR", TEXT),
        Column("COUNTRYNAME", "VARCHAR", TEXT),
        Column("STORENAME", "VARCHAR", TEXT),
        Column("TOTAL_STREAMS", "NUMBER(12,2)", DecimalType(12, 2)),  # decimals, cast to double
    ),
    [
        (0, "A", "Germany", "Spotify", Decimal("10.50")),
        (0, "A", " Germany ", "spotify ", Decimal("2")),  # same country and store once trimmed
        (0, "A2", "Germany", "SPOTIFY", Decimal("1")),  # another spelling: the smallest is kept
        (0, "A", "Germany", "itunes", Decimal("0")),  # zero
        (0, "A", "France", "itunes", Decimal("-3")),  # negative
        (1, "B", None, "spotify", Decimal("4")),  # no country
        (1, "B", "  ", "spotify", Decimal("4")),  # blank country
        (1, "B", "Brazil", "", Decimal("4")),  # blank store
        (None, "C", "Chile", "spotify", Decimal("4")),  # unknown artist id
        (2, ODD_NAME, "Côte d'Ivoire", "Apple", Decimal("3.25")),
    ],
)
EXPECTED_COUNTRY = [
    (0, "A", "Germany", "spotify", 13.5),
    (2, ODD_NAME, "Côte d'Ivoire", "apple", 3.25),
]

# --------------------------------------------------------------------------------------------
# Sessions in both modes, and a loader that works in both
# --------------------------------------------------------------------------------------------


# fakesnow's login hands out no master token, so the connector's logout on close fails and
# leaves the connection open; Snowpark then retries the close at interpreter exit against the
# stopped server, for minutes. Keeping the server-side session alive skips that logout.
FAKESNOW_ONLY = {"server_session_keep_alive": True}


@pytest.fixture(scope="module")
def fakesnow_server() -> Iterator[dict[str, Any]]:
    """One fakesnow server per module; each session below gets its own empty database."""
    with start_fakesnow() as connection_kwargs:
        yield connection_kwargs


def close_quietly(session: Session) -> None:
    """fakesnow lacks SYSTEM$CANCEL_ALL_QUERIES, which Session.close calls before closing."""
    with contextlib.suppress(SnowparkSessionException):
        session.close()


@pytest.fixture
def fakesnow_session(fakesnow_server: dict[str, Any]) -> Iterator[Session]:
    isolated = {**fakesnow_server["session_parameters"], "FAKESNOW_DB_PATH": ":isolated:"}
    remote = Session.builder.configs(
        {
            **fakesnow_server,
            **FAKESNOW_ONLY,
            "database": "INSIGHTS",
            "schema": "PUBLIC",
            "session_parameters": isolated,
        }
    ).create()
    yield remote
    close_quietly(remote)  # must happen before the module's server stops


@pytest.fixture(params=MODES)
def session(request: pytest.FixtureRequest) -> Iterator[Session]:
    """The same tests against local testing and against a fakesnow server."""
    if request.param == "fakesnow":
        yield request.getfixturevalue("fakesnow_session")
        return
    local = Session.builder.config("local_testing", True).create()
    yield local
    local.close()


def is_local(session: Session) -> bool:
    return session.get_current_database() == '"MOCK_DATABASE"'


def create_table(session: Session, table: SourceTable) -> None:
    """Load a fixture with declared column types: save_as_table locally, DDL + INSERT remotely.

    Remotely the connector is used directly because fakesnow cannot run
    ``create_dataframe(pandas)`` (stage upload) nor ``SELECT $1 FROM VALUES`` (inline rows).
    Decimals are bound as text there: fakesnow reads a bound Decimal with ``int()``, and the
    NUMBER column converts the text exactly as Snowflake would.
    """
    rows = [tuple(None if pd.isna(v) else v for v in row) for row in table.frame.itertuples(False)]
    if is_local(session):
        schema = SnowparkStructType([StructField(c.identifier, c.snowpark_type) for c in table.columns])
        session.create_dataframe(rows, schema=schema).write.save_as_table(table.name)
        return
    columns = ", ".join(f"{c.identifier} {c.sql_type}" for c in table.columns)
    cursor = session.connection.cursor()
    cursor.execute(f"CREATE TABLE {table.name} ({columns})")
    if rows:
        marks = ", ".join("?" for _ in table.columns)
        as_text = [tuple(str(v) if isinstance(v, Decimal) else v for v in row) for row in rows]
        cursor.executemany(f"INSERT INTO {table.name} VALUES ({marks})", as_text)
    cursor.close()


@pytest.fixture
def warehouse(session: Session) -> SnowparkWarehouse:
    for table in (LISTENS, GENRES, COUNTRY):
        create_table(session, table)
    return SnowparkWarehouse(session)


def tuples(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in frame.itertuples(index=False)]


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def test_contract_holds_and_columns_are_lower_case(warehouse: SnowparkWarehouse) -> None:
    warehouse.check_contract()
    assert warehouse.columns(USER_ARTIST_STREAMS.name) == [
        "artistname",
        "artistnum",
        "userid",
        "usernum",
        "total_streams",
    ]
    assert warehouse.columns("NO_SUCH_TABLE") is None
    assert warehouse.columns(USER_ARTIST_STREAMS.name.lower()) is not None  # names: any case


def test_table_created_with_a_quoted_lower_case_name_is_found(session: Session) -> None:
    """Some loaders quote names, which makes them case-sensitive in Snowflake."""
    create_table(session, SourceTable(f'"{ARTIST_GENRES.name.lower()}"', GENRES.columns, GENRES.frame))
    warehouse = SnowparkWarehouse(session)
    assert warehouse.columns(ARTIST_GENRES.name) == ["artistname", "countrylist", "genreid"]
    assert len(warehouse.artist_genres()) == 2


def test_listen_stats_count_every_rule_in_one_query(warehouse: SnowparkWarehouse) -> None:
    stats = warehouse.listen_stats()
    assert stats == EXPECTED_STATS
    assert stats.rows_duplicate == 2
    assert stats.rows_total == (
        stats.rows_null_streams + stats.rows_nonpositive_streams + stats.rows_unknown_ids + stats.rows_kept
    )


def test_listens_are_cleaned_summed_and_typed(warehouse: SnowparkWarehouse) -> None:
    batches = list(warehouse.iter_listens())
    listens = pd.concat(batches, ignore_index=True)
    assert list(listens.columns) == ["usernum", "artistnum", "streams"]
    assert listens.dtypes.astype(str).tolist() == ["int64", "int64", "float64"]
    assert tuples(listens) == EXPECTED_LISTENS


@pytest.mark.parametrize(("batch_rows", "sizes"), [(4, [4, 2]), (1, [1] * 6), (100, [6])])
def test_listen_batches_are_rechunked(
    warehouse: SnowparkWarehouse, batch_rows: int, sizes: list[int]
) -> None:
    batches = list(warehouse.iter_listens(batch_rows=batch_rows))
    assert [len(b) for b in batches] == sizes
    assert all(b.dtypes.astype(str).tolist() == ["int64", "int64", "float64"] for b in batches)
    assert tuples(pd.concat(batches, ignore_index=True)) == EXPECTED_LISTENS


def test_numeric_streams_are_cast_too(session: Session) -> None:
    """The other branch of the streams cast: DECIMAL streams (CAST rather than TRY_CAST)."""
    columns = (*LISTEN_COLUMNS[:4], Column("TOTAL_STREAMS", "NUMBER(10,1)", DecimalType(10, 1)))
    rows = [
        ("A", 0, "u0", 0, Decimal("1.5")),
        ("A", 0, "u0", 0, Decimal("2")),
        ("A", 0, "u1", 1, Decimal("0")),
        ("A", 0, "u2", 2, None),
    ]
    create_table(session, source_table(USER_ARTIST_STREAMS.name, columns, rows))
    warehouse = SnowparkWarehouse(session)
    assert warehouse.listen_stats() == ListenStats(4, 1, 1, 0, 2, 1)
    assert tuples(pd.concat(warehouse.iter_listens())) == [(0, 0, 3.5)]


def test_artist_names_most_frequent_spelling_ties_to_smallest(
    warehouse: SnowparkWarehouse,
) -> None:
    names = warehouse.artist_names()
    assert list(names.columns) == ["artistnum", "artistname"]
    assert names["artistnum"].dtype == "int64"
    assert tuples(names) == EXPECTED_NAMES


def test_artist_genres_as_text(warehouse: SnowparkWarehouse) -> None:
    genres = warehouse.artist_genres()
    assert list(genres.columns) == ["artistname", "countrylist", "genreid"]
    # country lists come back sorted and deduplicated (core.warehouse.validation)
    assert tuples(genres) == [("A", "United States", "1"), ("Émile", "Belgium,France", "7")]


def test_country_streams_positive_and_summed(warehouse: SnowparkWarehouse) -> None:
    country = warehouse.country_streams()
    assert list(country.columns) == [
        "artistnum",
        "artistname",
        "countryname",
        "storename",
        "total_streams",
    ]
    assert country["total_streams"].dtype == "float64"
    assert country["artistnum"].dtype == "int64"
    assert tuples(country) == EXPECTED_COUNTRY


def test_row_count(warehouse: SnowparkWarehouse) -> None:
    assert warehouse.row_count(USER_ARTIST_STREAMS.name) == len(LISTENS.frame)
    with pytest.raises(ContractError, match="NO_SUCH_TABLE not found"):
        warehouse.row_count("NO_SUCH_TABLE")


def test_missing_column_names_table_and_column(session: Session) -> None:
    without_usernum = tuple(c for c in LISTEN_COLUMNS if c.identifier != "usernum")
    frame = LISTENS.frame.drop(columns=["usernum"])
    table = SourceTable(USER_ARTIST_STREAMS.name, without_usernum, frame)
    create_table(session, table)
    warehouse = SnowparkWarehouse(session)
    with pytest.raises(ContractError, match=r"USER_ARTIST_STREAMS_FILTERED_WITH_IDS.*usernum"):
        warehouse.listen_stats()
    with pytest.raises(ContractError, match="usernum"):
        next(warehouse.iter_listens())


def test_missing_table_is_named(session: Session) -> None:
    warehouse = SnowparkWarehouse(session)
    with pytest.raises(ContractError, match="USER_ARTIST_STREAMS_FILTERED_WITH_IDS not found"):
        warehouse.check_contract()
    with pytest.raises(ContractError, match="COUNTRY_ARTIST_STREAMS_BY_STORE not found"):
        warehouse.country_streams()


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------

RESULT = pd.DataFrame(
    {
        "artistnum": pd.Series([0, 1, 2], dtype="int64"),
        "artistname": ["A", ODD_NAME, None],
        "score": [0.5, float("nan"), 2.0],
        "is_new": [True, False, True],
    }
)


def test_write_table_round_trip_and_replace(warehouse: SnowparkWarehouse) -> None:
    warehouse.write_table("similar_artists", RESULT)
    back = warehouse.read_table("similar_artists")
    assert list(back.columns) == ["artistnum", "artistname", "score", "is_new"]
    assert back["artistnum"].tolist() == [0, 1, 2]
    assert back["artistnum"].dtype == "int64"
    assert back["artistname"].tolist()[:2] == ["A", ODD_NAME]
    assert pd.isna(back["artistname"].iloc[2])
    assert back["score"].tolist()[0::2] == [0.5, 2.0] and pd.isna(back["score"].iloc[1])
    assert back["is_new"].astype(bool).tolist() == [True, False, True]
    assert warehouse.row_count("SIMILAR_ARTISTS") == 3  # plain names are upper-cased

    replacement = pd.DataFrame({"other": ["x"]})
    warehouse.write_table("similar_artists", replacement)
    assert tuples(warehouse.read_table("similar_artists")) == [("x",)]

    empty = pd.DataFrame({"artistnum": pd.Series(dtype="int64")})
    warehouse.write_table("similar_artists", empty)
    assert warehouse.row_count("similar_artists") == 0
    assert warehouse.columns("similar_artists") == ["artistnum"]


@pytest.mark.parametrize("step", ["load", "replace"])
def test_failed_write_leaves_previous_table_whole(
    warehouse: SnowparkWarehouse, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    warehouse.write_table("similar_artists", RESULT)
    dialect = warehouse._dialect
    staged: list[str] = []
    real_load = dialect.load

    def load(session: Session, table: str, frame: pd.DataFrame) -> None:
        staged.append(table)
        real_load(session, table, frame)
        if step == "load":  # the staging table exists and is full when this fails
            raise RuntimeError("injected failure after staging")

    def replace(session: Session, target: str, staging: str) -> None:
        raise RuntimeError("injected failure in the swap")

    monkeypatch.setattr(dialect, "load", load)
    if step == "replace":
        monkeypatch.setattr(dialect, "replace", replace)
    with pytest.raises(RuntimeError, match="injected"):
        warehouse.write_table("similar_artists", pd.DataFrame({"other": ["x", "y"]}))

    assert warehouse.read_table("similar_artists")["artistnum"].tolist() == [0, 1, 2]
    assert len(staged) == 1 and warehouse.columns(staged[0].strip('"')) is None  # cleaned up


def test_column_names_that_clash_in_snowflake_are_refused(warehouse: SnowparkWarehouse) -> None:
    warehouse.write_table("similar_artists", RESULT)
    bad = pd.DataFrame([[1, 2]], columns=["same", "SAME"])  # one column twice once upper-cased
    with pytest.raises(InsightsError, match=r"clash.*SAME"):
        warehouse.write_table("similar_artists", bad)
    assert warehouse.row_count("similar_artists") == 3


def test_server_errors_while_writing_are_explained(fakesnow_session: Session) -> None:
    """A real failure of the swap statement itself: the target name belongs to a view.

    fakesnow only: local testing has no views that a table write would refuse to replace.
    """
    warehouse = SnowparkWarehouse(fakesnow_session)
    warehouse.write_table("similar_artists", RESULT)
    fakesnow_session.sql('CREATE VIEW "TOP_ARTISTS" AS SELECT * FROM "SIMILAR_ARTISTS"').collect()
    with pytest.raises(InsightsError, match=r"writing top_artists .* failed.*unchanged"):
        warehouse.write_table("top_artists", pd.DataFrame({"other": ["x"]}))
    assert warehouse.read_table("top_artists")["artistnum"].tolist() == [0, 1, 2]


def test_table_names_must_be_plain_identifiers(warehouse: SnowparkWarehouse) -> None:
    with pytest.raises(ConfigError, match="not a valid table name"):
        warehouse.write_table('x"; DROP TABLE y; --', RESULT)


def test_borrowed_session_is_not_closed(warehouse: SnowparkWarehouse) -> None:
    with warehouse:
        pass
    assert warehouse.row_count(GENRES.name) == 3


# --------------------------------------------------------------------------------------------
# Settings and connecting (fakesnow only: local testing has no connection to configure)
# --------------------------------------------------------------------------------------------


def fakesnow_settings(server: dict[str, Any], **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "warehouse": "snowflake",
        "snowflake_account": server["account"],
        "snowflake_user": server["user"],
        "snowflake_password": PASSWORD,  # fakesnow accepts any password
        "snowflake_database": "SETTINGS_DB",
        "snowflake_schema": "PUBLIC",
        "snowflake_host": server["host"],
        "snowflake_port": server["port"],
        "snowflake_protocol": server["protocol"],
    }
    return Settings(**(values | overrides))


def test_missing_settings_are_named() -> None:
    settings = Settings(warehouse="snowflake", snowflake_account="acme", snowflake_password=PASSWORD)
    with pytest.raises(ConfigError) as raised:
        SnowparkWarehouse.from_settings(settings)
    message = str(raised.value)
    for name in ("SNOWFLAKE_USER", "SNOWFLAKE_DATABASE", "SNOWFLAKE_SCHEMA"):
        assert name in message
    assert "SNOWFLAKE_ACCOUNT" not in message and PASSWORD not in message


def test_from_settings_connects_to_fakesnow(fakesnow_server: dict[str, Any]) -> None:
    # fakesnow reports no warehouse or role at login (tests/test_snowflake_auth.py checks that
    # such a session is refused by default)
    warehouse = SnowparkWarehouse.from_settings(fakesnow_settings(fakesnow_server), FAKESNOW_ONLY,
                                                require=("database", "schema"))
    try:
        assert warehouse.description == "Snowflake fakesnow/SETTINGS_DB.PUBLIC"
        assert PASSWORD not in warehouse.description
        warehouse.write_table("probe", pd.DataFrame({"n": [1, 2]}))
        assert warehouse.row_count("probe") == 2
    finally:
        warehouse.close()


def test_connection_failure_is_clear_and_hides_the_password(
    fakesnow_server: dict[str, Any],
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings = fakesnow_settings(fakesnow_server, snowflake_port=closed_port)
    started = time.monotonic()
    with pytest.raises(ConfigError) as raised:
        SnowparkWarehouse.from_settings(settings, FAKESNOW_ONLY)
    message = str(raised.value)
    assert "could not connect to Snowflake" in message and str(closed_port) in message
    assert PASSWORD not in message and PASSWORD not in repr(raised.value)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    assert time.monotonic() - started < 60


# --------------------------------------------------------------------------------------------
# Pure helpers
# --------------------------------------------------------------------------------------------


def test_rechunk_splits_and_joins_driver_batches() -> None:
    def frames(*sizes: int) -> Iterator[pd.DataFrame]:
        start = 0
        for size in sizes:
            yield pd.DataFrame({"n": range(start, start + size)})
            start += size

    result = list(_rechunk(frames(3, 0, 1, 5), 2))
    assert [len(c) for c in result] == [2, 2, 2, 2, 1]
    assert pd.concat(result)["n"].tolist() == list(range(9))
    assert [len(c) for c in _rechunk(frames(1, 1), 4)] == [2]
    assert list(_rechunk(frames(), 3)) == []
