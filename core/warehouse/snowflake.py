"""Snowflake as the warehouse, through the Snowpark DataFrame API.

Every input rule (casts, filters, the sum over duplicate (user, artist) rows, the most frequent
spelling of a name) is expressed with Snowpark DataFrames, so it runs inside Snowflake and only
aggregated rows travel. The same expressions also run in Snowpark *local testing* (an in-process
emulator) and against a fakesnow server, which is how the tests exercise this module without an
account. The semantics match ``core.warehouse.sql`` (the DuckDB warehouse) rule for rule.

The few operations the two execution modes cannot share (there is no ``Session.sql`` in local
testing, whose loads are ``save_as_table``; a server gets bulk loads through a stage,
``core.warehouse.snowflake_load``) are kept in the two ``_Dialect`` classes below and nowhere
else. Signing in is ``core.warehouse.snowflake_auth``.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from core.config import Settings
from core.errors import ConfigError, ContractError, InsightsError
from core.secrets import configured_secrets, scrub
from core.tables import ARTIST_GENRES, COUNTRY_STREAMS, USER_ARTIST_STREAMS, TableContract
from core.warehouse.base import COUNTRY_COLUMNS, LISTEN_COLUMNS, ListenStats, Warehouse
from core.warehouse.snowflake_auth import (
    CONTEXT,
    check_context,
    connection_options,
)
from core.warehouse.snowflake_auth import describe as describe_sign_in
from core.warehouse.snowflake_load import (
    StageLoader,
    column_specs,
    owner_problems,
    privilege_error,
    rows,
)
from core.warehouse.sql import quote_identifier

try:
    from snowflake.connector.errors import Error as ConnectorError
    from snowflake.snowpark import Column, DataFrame, Session
    from snowflake.snowpark import functions as F
    from snowflake.snowpark.exceptions import (
        SnowparkClientException,
        SnowparkSessionException,
        SnowparkSQLException,
    )
    from snowflake.snowpark.types import (
        BooleanType,
        DataType,
        DoubleType,
        LongType,
        StringType,
        StructField,
        StructType,
        TimestampType,
    )
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ConfigError("WAREHOUSE=snowflake needs the Snowflake extra: pip install -e '.[snowflake]'") from exc

log = logging.getLogger(__name__)

_INFINITY = float("inf")
#: ids at or past 2**63 do not fit BIGINT
_BIGINT_LIMIT = float(2**63)
#: Snowpark types of the loader's column kinds (local testing builds frames from them)
_SNOWPARK_TYPES = {"bool": BooleanType, "int": LongType, "float": DoubleType,
                   "timestamp": TimestampType, "text": StringType}


# --------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------


def _unquote(identifier: str) -> str:
    """A column name as Snowpark reports it (``USERNUM`` or ``"usernum"``) without quotes."""
    if len(identifier) >= 2 and identifier.startswith('"') and identifier.endswith('"'):
        return identifier[1:-1].replace('""', '"')
    return identifier


def _table_candidates(table: str) -> list[str]:
    """Spellings to try for a table, most likely first.

    Unquoted names are upper case in Snowflake, but a table created with a quoted lower-case
    name (as some loaders do) is only found by that exact spelling.
    """
    spellings = [table.upper(), table, table.lower()]
    return [quote_identifier(s) for s in dict.fromkeys(spellings)]


# --------------------------------------------------------------------------------------------
# Dialects: the only place where local testing and a Snowflake server differ
# --------------------------------------------------------------------------------------------


class _Dialect(ABC):
    """Operations that have no single Snowpark spelling working in every execution mode."""

    name: str

    @abstractmethod
    def is_missing_table(self, exc: SnowparkSQLException) -> bool:
        """Whether ``exc`` means "no such table" (rather than, say, a lost connection)."""

    @abstractmethod
    def load(self, session: Session, table: str, frame: pd.DataFrame) -> None:
        """Create ``table`` (a fresh, unused name) holding ``frame``."""

    @abstractmethod
    def replace(self, session: Session, target: str, staging: str) -> None:
        """Make ``target`` a copy of ``staging`` in one atomic step."""

    @abstractmethod
    def drop(self, session: Session, table: str) -> None:
        """Drop ``table`` if it exists."""


class _ServerDialect(_Dialect):
    """A Snowflake server, or a fakesnow server speaking the same protocol.

    Loading is a bulk load (``core.warehouse.snowflake_load``): Parquet files ``PUT`` to a
    temporary stage and ``COPY INTO`` a TRANSIENT staging table, never values in SQL text.
    The staging table is transient rather than temporary because fakesnow cannot ``COPY INTO``
    a temporary table (so the tested path is the shipped one); it has a unique name, no
    Fail-safe storage, and is dropped whatever happens.

    ``CREATE OR REPLACE TABLE target COPY GRANTS AS SELECT * FROM staging`` is one DDL
    statement, and Snowflake runs CREATE OR REPLACE as a single transaction: readers see the old
    table until it commits and the new one after, and a failure leaves the old one. It works
    whether or not ``target`` exists, and COPY GRANTS keeps what was granted on the old table
    (say, SELECT for the dashboard's role); fakesnow drops COPY GRANTS, so
    ``tests/test_snowflake_sql.py`` parses the statement as Snowflake SQL instead. The
    alternatives were tried and rejected: ``ALTER TABLE ... SWAP WITH`` needs an existing
    target and fakesnow does not know it; ``CREATE OR REPLACE TABLE ... CLONE`` (zero-copy on
    Snowflake) loses its ``OR REPLACE`` in fakesnow 0.12 and then fails on an existing target.
    The copy costs one extra write of a result table, which is small next to the source tables.
    """

    name = "server"

    def __init__(self) -> None:
        self._loaders: dict[int, StageLoader] = {}

    def loader(self, session: Session) -> StageLoader:
        """The session's bulk loader (one temporary stage per session)."""
        key = id(session)
        if key not in self._loaders:
            self._loaders[key] = StageLoader(lambda sql: _cursor_rows(session, sql))
        return self._loaders[key]

    def is_missing_table(self, exc: SnowparkSQLException) -> bool:
        # 002003: "Object ... does not exist or not authorized" (fakesnow uses the same code)
        return getattr(exc, "sql_error_code", None) == 2003 or "does not exist" in str(exc)

    def load(self, session: Session, table: str, frame: pd.DataFrame) -> None:
        self.loader(session).load(table, frame)

    def replace(self, session: Session, target: str, staging: str) -> None:
        session.sql(f"CREATE OR REPLACE TABLE {target} COPY GRANTS AS SELECT * FROM {staging}").collect()

    def drop(self, session: Session, table: str) -> None:
        session.sql(f"DROP TABLE IF EXISTS {table}").collect()


def _cursor_rows(session: Session, sql: str) -> list[dict[str, Any]]:
    """Run one statement on the session's connection; rows as dicts (PUT needs the cursor)."""
    from snowflake.connector import DictCursor

    cursor = session.connection.cursor(DictCursor)
    try:
        return list(cursor.execute(sql).fetchall())
    finally:
        cursor.close()


class _LocalTestingDialect(_Dialect):
    """Snowpark local testing: no SQL at all, tables live in an in-process registry.

    ``save_as_table(mode="overwrite")`` computes the new table first and then swaps the registry
    entry under the emulator's lock: the local equivalent of the server's CREATE OR REPLACE.
    Local testing also lacks ``TRIM``; a faithful stand-in (spaces only, like Snowflake) is
    registered so the country rules run unchanged.
    """

    name = "local testing"

    def __init__(self) -> None:
        from snowflake.snowpark.mock import ColumnEmulator, patch

        def trim(column: ColumnEmulator, characters: object = None) -> ColumnEmulator:
            if characters is not None:
                raise NotImplementedError("TRIM with explicit characters in local testing")
            result = column.str.strip(" ")
            result.sf_type = column.sf_type
            return result

        patch(F.trim)(trim)

    def is_missing_table(self, exc: SnowparkSQLException) -> bool:
        return "does not exist" in str(exc)

    def load(self, session: Session, table: str, frame: pd.DataFrame) -> None:
        specs = column_specs(frame)
        schema = StructType([StructField(s.identifier, _SNOWPARK_TYPES[s.kind]()) for s in specs])
        session.create_dataframe(rows(specs), schema=schema).write.save_as_table(table, mode="overwrite")

    def replace(self, session: Session, target: str, staging: str) -> None:
        session.table(staging).write.save_as_table(target, mode="overwrite")

    def drop(self, session: Session, table: str) -> None:
        session.table(table).drop_table()


def _dialect_for(session: Session) -> _Dialect:
    """Local testing is recognised the way Snowpark itself does it (by its connection class)."""
    from snowflake.snowpark.mock._connection import MockServerConnection

    if isinstance(session._conn, MockServerConnection):
        return _LocalTestingDialect()
    return _ServerDialect()


# --------------------------------------------------------------------------------------------
# Reading helpers
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Source:
    """A source table with its columns resolved case-insensitively."""

    frame: DataFrame
    fields: dict[str, StructField]

    def col(self, name: str) -> Column:
        return F.col(self.fields[name].name)

    def number(self, name: str, to: DataType) -> Column:
        """``name`` as a number; text that is not a number becomes NULL.

        Snowflake's TRY_CAST only accepts text, so it is used for text columns and a plain
        CAST (which cannot fail on numbers) for everything else, e.g. NUMBER(12,2) streams.
        """
        field = self.fields[name]
        if isinstance(field.datatype, StringType):
            return F.col(field.name).try_cast(to)
        return F.col(field.name).cast(to)

    def whole_id(self, name: str) -> Column:
        """``name`` as BIGINT when it is a whole number >= 0, else NULL (``sql.whole_id``).

        The value is range-checked before the CAST, which would fail (not return NULL) past
        NUMBER(38,0) and give pandas a number past int64; 1.5 would be rounded by the cast, so
        it is refused.
        """
        as_double = self.number(name, DoubleType())
        in_range = (as_double >= 0) & (as_double < F.lit(_BIGINT_LIMIT))
        as_long = F.iff(in_range, self.number(name, LongType()), F.lit(None).cast(LongType()))
        # compared as DOUBLE: local testing cannot compare a float with its Decimal longs
        whole = in_range & (as_double == as_long.cast(DoubleType()))
        return F.iff(whole, as_long, F.lit(None).cast(LongType()))

    def text(self, name: str) -> Column:
        return self.col(name).cast(StringType())


def _valid_ids(*ids: Column) -> Column:
    """Ids read with ``_Source.whole_id`` are valid when present."""
    condition = None
    for c in ids:
        term = c.is_not_null()
        condition = term if condition is None else condition & term
    assert condition is not None
    return condition


def _finite(value: Column) -> Column:
    """``sql.finite``: not NULL, NaN or infinite (NaN is the largest number in Snowflake)."""
    return (value > F.lit(-_INFINITY)) & (value < F.lit(_INFINITY))


def _usable_streams(value: Column) -> Column:
    """``sql.usable_streams``: a positive, finite number."""
    return (value > 0) & (value < F.lit(_INFINITY))


def _count_if(condition: Column) -> Column:
    """COUNT_IF written portably: a NULL condition (unknown streams) counts as false."""
    return F.count(F.iff(condition, F.lit(1), F.lit(None)))


def _to_pandas(frame: DataFrame) -> pd.DataFrame:
    result = frame.to_pandas()
    result.columns = [_unquote(c).lower() for c in result.columns]
    return result


def _rechunk(batches: Iterable[pd.DataFrame], rows: int) -> Iterator[pd.DataFrame]:
    """Batches of exactly ``rows`` rows (the last may be shorter), whatever the driver sends."""
    pending: list[pd.DataFrame] = []
    held = 0
    for batch in batches:
        if batch.empty:
            continue
        pending.append(batch)
        held += len(batch)
        if held < rows:
            continue
        merged = pd.concat(pending, ignore_index=True)
        cut = len(merged) - len(merged) % rows
        for start in range(0, cut, rows):
            yield merged.iloc[start : start + rows].reset_index(drop=True)
        pending = [merged.iloc[cut:]] if cut < len(merged) else []
        held = len(merged) - cut
    if held:
        yield pd.concat(pending, ignore_index=True)


CONTEXT_REQUIRED = tuple(name for name, _ in CONTEXT)


def _close_quietly(session: Session) -> None:
    try:
        session.close()
    except Exception as exc:  # fakesnow lacks SYSTEM$CANCEL_ALL_QUERIES; the socket closes anyway
        log.debug("closing the Snowflake session: %s", exc)


# --------------------------------------------------------------------------------------------
# The warehouse
# --------------------------------------------------------------------------------------------


class SnowparkWarehouse(Warehouse):
    """Source tables read and result tables written through a Snowpark session."""

    def __init__(
        self, session: Session, description: str | None = None, *, owns_session: bool = False
    ) -> None:
        """Wrap an open session; it is closed by ``close()`` only when ``owns_session``.

        Tests pass a local-testing session or one connected to a fakesnow server.
        """
        self.session = session
        self._dialect = _dialect_for(session)
        self._owns_session = owns_session
        self.description = description or self._describe_session()

    @classmethod
    def from_settings(cls, settings: Settings, extra: Mapping[str, Any] | None = None, *,
                      require: Sequence[str] = CONTEXT_REQUIRED) -> SnowparkWarehouse:
        """Connect with the ``SNOWFLAKE_*`` settings (``core.warehouse.snowflake_auth``) and
        check that the session has a warehouse, role, database and schema in use.

        Errors name settings, never secrets. ``extra`` connection options are merged over the
        settings and ``require`` narrows the context check; the tests use both for a fakesnow
        server, which reports no warehouse or role at login.
        """
        configs = connection_options(settings) | dict(extra or {})
        where = describe_sign_in(settings)
        try:
            session = Session.builder.configs(configs).create()
        except Exception as exc:  # any failure here is a connection/configuration problem
            detail = scrub(f"{type(exc).__name__}: {exc}", configured_secrets(settings))
            raise ConfigError(
                f"could not connect to Snowflake {where}: {detail}. Check SNOWFLAKE_ACCOUNT, "
                "SNOWFLAKE_USER and the sign-in settings (password, key, token or "
                "SNOWFLAKE_CONNECTION_NAME)."
            ) from None
        connection = session.connection
        current = {name: getattr(connection, name, None) for name in CONTEXT_REQUIRED}
        try:
            check_context(current, settings, require)
        except ConfigError:
            _close_quietly(session)
            raise
        description = (f"Snowflake {connection.account}/"
                       f"{_unquote(current['database'] or '?')}.{_unquote(current['schema'] or '?')}")
        return cls(session, description, owns_session=True)

    def _describe_session(self) -> str:
        try:
            database = _unquote(self.session.get_current_database() or "?")
            schema = _unquote(self.session.get_current_schema() or "?")
        except Exception:  # a description must never be the reason a warehouse fails
            return f"Snowflake ({self._dialect.name})"
        return f"Snowflake {database}.{schema}"

    # ---- reading -------------------------------------------------------------------------

    def _table(self, table: str) -> DataFrame | None:
        """The table as a DataFrame, trying the usual spellings; None when none exists."""
        for candidate in _table_candidates(table):
            try:
                frame = self.session.table(candidate)
                frame.schema  # noqa: B018 - forces the lookup now, inside the try
            except SnowparkSQLException as exc:
                if self._dialect.is_missing_table(exc):
                    continue
                raise InsightsError(f"could not read {table} from {self.description}: {exc}") from exc
            return frame
        return None

    def _existing(self, table: str) -> DataFrame:
        frame = self._table(table)
        if frame is None:
            raise ContractError(f"table {table} not found in {self.description}")
        return frame

    def _source(self, contract: TableContract) -> _Source:
        """The contract's table, checked: raises ``ContractError`` naming table and column."""
        frame = self._table(contract.name)
        if frame is None:
            raise ContractError(
                f"table {contract.name} not found in {self.description}; expected "
                f"{contract.description} with columns {', '.join(contract.columns)}"
            )
        fields: dict[str, StructField] = {}
        for field in frame.schema.fields:
            fields.setdefault(_unquote(field.name).lower(), field)
        contract.check_columns(fields)
        return _Source(frame, fields)

    def columns(self, table: str) -> list[str] | None:
        frame = self._table(table)
        if frame is None:
            return None
        return [_unquote(name).lower() for name in frame.columns]

    def _listens(self) -> DataFrame:
        """USERNUM, ARTISTNUM (BIGINT) and STREAMS (DOUBLE) of every raw row."""
        src = self._source(USER_ARTIST_STREAMS)
        return src.frame.select(
            src.whole_id("usernum").alias("USERNUM"),
            src.whole_id("artistnum").alias("ARTISTNUM"),
            src.number("total_streams", DoubleType()).alias("STREAMS"),
        )

    def listen_stats(self, count_pairs: bool = True) -> ListenStats:
        """One aggregation; the rules apply in order, so each row lands in exactly one bucket."""
        listens = self._listens()
        user, artist, streams = F.col("USERNUM"), F.col("ARTISTNUM"), F.col("STREAMS")
        usable = _usable_streams(streams)
        valid = _valid_ids(user, artist)
        kept = usable & valid
        row = listens.agg(
            F.count(F.lit(1)).alias("ROWS_TOTAL"),
            # COUNT(*) - COUNT(x) rather than COUNT_IF(x IS NULL): local testing keeps a failed
            # TRY_CAST as NaN, which its IS NULL misses but its COUNT skips, like Snowflake's
            # (so local testing counts a NaN as NULL streams; a server counts it as non-finite)
            (F.count(F.lit(1)) - F.count(streams)).alias("ROWS_NULL_STREAMS"),
            (F.count(streams) - _count_if(_finite(streams))).alias("ROWS_NONFINITE_STREAMS"),
            _count_if(_finite(streams) & (streams <= 0)).alias("ROWS_NONPOSITIVE_STREAMS"),
            _count_if(usable & ~valid).alias("ROWS_UNKNOWN_IDS"),
            _count_if(kept).alias("ROWS_KEPT"),
            *([F.count_distinct(F.iff(kept, user, F.lit(None)),
                                F.iff(kept, artist, F.lit(None))).alias("PAIRS")]
              if count_pairs else []),
        ).collect()[0]
        values = {k.lower(): int(v or 0) for k, v in row.as_dict().items()}
        return ListenStats(**values, **({} if count_pairs else {"pairs": None}))

    def iter_listens(self, batch_rows: int = 1_000_000) -> Iterator[pd.DataFrame]:
        """Usable rows summed per pair in the warehouse, ordered so reruns see the same batches."""
        if batch_rows < 1:
            raise ValueError("batch_rows must be at least 1")
        user, artist = F.col("USERNUM"), F.col("ARTISTNUM")
        pairs = (
            self._listens()
            .filter(_usable_streams(F.col("STREAMS")) & _valid_ids(user, artist))
            .group_by(user, artist)
            .agg(F.sum(F.col("STREAMS")).alias("STREAMS"))
            .order_by(artist, user)
        )
        dtypes = dict(zip(LISTEN_COLUMNS, ("int64", "int64", "float64"), strict=True))
        for batch in _rechunk(pairs.to_pandas_batches(), batch_rows):
            batch.columns = [_unquote(c).lower() for c in batch.columns]
            yield batch[list(LISTEN_COLUMNS)].astype(dtypes)

    def _artist_spellings(self) -> pd.DataFrame:
        """Raw rows per (artist id, spelling); the shared rules pick one name per id."""
        src = self._source(USER_ARTIST_STREAMS)
        artist, name = F.col("ARTISTNUM"), F.col("ARTISTNAME")
        spellings = (
            src.frame.select(src.whole_id("artistnum").alias("ARTISTNUM"),
                             src.text("artistname").alias("ARTISTNAME"))
            .filter(_valid_ids(artist) & name.is_not_null())
            .group_by(artist, name)
            .agg(F.count(F.lit(1)).alias("N"))
        )
        result = _to_pandas(spellings)
        return result.astype({"artistnum": "int64", "n": "int64"}).reset_index(drop=True)

    def _genre_rows(self) -> pd.DataFrame:
        src = self._source(ARTIST_GENRES)
        genres = src.frame.select(
            src.text("artistname").alias("ARTISTNAME"),
            src.text("countrylist").alias("COUNTRYLIST"),
            src.text("genreid").alias("GENREID"),
        )
        return _to_pandas(genres).reset_index(drop=True)

    def _country_rows(self) -> tuple[pd.DataFrame, int]:
        """Usable streams summed per artist id and raw country and store spelling."""
        src = self._source(COUNTRY_STREAMS)
        artist, country, store = F.col("ARTISTNUM"), F.col("COUNTRYNAME"), F.col("STORENAME")
        rows = src.frame.select(
            src.whole_id("artistnum").alias("ARTISTNUM"),
            src.text("artistname").alias("ARTISTNAME"),
            src.text("countryname").alias("COUNTRYNAME"),
            src.text("storename").alias("STORENAME"),
            src.number("total_streams", DoubleType()).alias("TOTAL_STREAMS"),
        )
        usable = (_usable_streams(F.col("TOTAL_STREAMS")) & _valid_ids(artist)
                  & country.is_not_null() & store.is_not_null())
        counts = rows.agg(F.count(F.lit(1)).alias("TOTAL"), _count_if(usable).alias("KEPT")).collect()[0]
        summed = (
            rows.filter(usable)
            .group_by(artist, country, store)
            .agg(
                F.min(F.col("ARTISTNAME")).alias("ARTISTNAME"),
                F.sum(F.col("TOTAL_STREAMS")).alias("TOTAL_STREAMS"),
            )
            .select(*(F.col(c.upper()) for c in COUNTRY_COLUMNS))
        )
        result = _to_pandas(summed)
        result = result.astype({"artistnum": "int64", "total_streams": "float64"})
        return result.reset_index(drop=True), int(counts["TOTAL"] or 0) - int(counts["KEPT"] or 0)

    def row_count(self, table: str) -> int:
        return int(self._existing(table).count())

    def read_table(self, table: str) -> pd.DataFrame:
        """The whole table with lower-case column names; integer columns widened to int64.

        Snowflake hands back NUMBER(38,0) as the narrowest integer type that fits the data, so
        the same table could come back as int8 one day and int64 the next.
        """
        result = _to_pandas(self._existing(table))
        for name in result.columns:
            if pd.api.types.is_integer_dtype(result[name]):
                result[name] = result[name].astype("int64")
        return result

    @contextlib.contextmanager
    def pushdown_runner(self, memory_limit: str | None = None) -> Iterator[Any]:
        """Every pass runs in the account through this session (Snowflake sizes its own
        memory: ``memory_limit`` is for DuckDB only)."""
        from core.warehouse.pushdown_sql import SnowparkRunner

        yield SnowparkRunner(self.session)

    # ---- writing -------------------------------------------------------------------------

    def write_table(self, table: str, frame: pd.DataFrame) -> None:
        """Load ``frame`` into a staging table, then swap it in with one atomic statement.

        Until the swap, ``table`` is untouched, so a failure while loading (or in the swap
        itself) leaves the previous table whole. The staging table has a unique name, so two
        writers never share one, and it is dropped whatever happens.
        """
        target = quote_identifier(table.upper())
        staging = quote_identifier(f"{table}__STAGING_{uuid.uuid4().hex[:12]}".upper())
        try:
            self._dialect.load(self.session, staging, frame)
            self._dialect.replace(self.session, target, staging)
        except (SnowparkClientException, ConnectorError) as exc:  # the cursor raises the latter
            raise InsightsError(
                f"writing {table} to {self.description} failed; the previous {table} "
                f"(if any) is unchanged: {exc}"
            ) from exc
        finally:
            try:
                self._dialect.drop(self.session, staging)
            except Exception as exc:  # cleanup must not hide the original outcome
                log.warning("could not drop staging table %s: %s", staging, exc)

    def check_write_privileges(self, tables: Sequence[str]) -> None:
        """Fail now, with the GRANT that fixes it, if writing ``tables`` would fail later.

        Proves CREATE STAGE (by creating the session's load stage) and CREATE TABLE (a probe
        table, dropped again), which also need USAGE on the database and schema, and checks
        that the role in use holds OWNERSHIP of each result table that already exists.
        Local testing has no privileges to check.
        """
        if not isinstance(self._dialect, _ServerDialect):
            return
        connection = self.session.connection
        role = _unquote(connection.role) if connection.role else None
        schema = ".".join(_unquote(p) for p in (connection.database, connection.schema) if p)
        to_role = f"TO ROLE {role or '<role>'}"
        try:
            self._dialect.loader(self.session).ensure_stage()
        except (SnowparkClientException, ConnectorError) as exc:
            raise privilege_error(exc, "create a temporary stage (results are bulk-loaded "
                                  "through one)", f"GRANT CREATE STAGE ON SCHEMA {schema} {to_role}",
                                  self.description) from None
        probe = quote_identifier(f"ALI_PRIVILEGE_PROBE_{uuid.uuid4().hex[:12]}".upper())
        try:
            self.session.sql(f"CREATE TRANSIENT TABLE {probe} (PROBE BIGINT)").collect()
        except (SnowparkClientException, ConnectorError) as exc:
            raise privilege_error(exc, "create a table", f"GRANT CREATE TABLE ON SCHEMA {schema} "
                                  f"{to_role} (and USAGE on the database and schema)",
                                  self.description) from None
        finally:
            try:
                self._dialect.drop(self.session, probe)
            except Exception as exc:  # never hide the outcome above
                log.warning("could not drop %s: %s", probe, exc)
        owners = {}
        for table in tables:
            name = table.upper()
            quote_identifier(name)  # a plain identifier, so safe inside the LIKE pattern
            shown = _cursor_rows(self.session, f"SHOW TABLES LIKE '{name}' IN SCHEMA")
            for row in shown:
                if row.get("name") == name:
                    owners[name] = str(row.get("owner") or "")

        def in_session(owner: str) -> bool:
            if role and owner.upper() == role.upper():
                return True
            cursor = connection.cursor()
            try:
                return bool(cursor.execute("SELECT IS_ROLE_IN_SESSION(?)", (owner,)).fetchone()[0])
            except ConnectorError as exc:  # cannot tell (fakesnow lacks the function): let the
                log.warning("could not check ownership of %s: %s", owner, exc)  # replace say
                return True
            finally:
                cursor.close()

        problems = owner_problems(owners, in_session, role)
        if problems:
            raise ConfigError(f"{self.description}: " + "; ".join(problems))

    def close(self) -> None:
        """Close the session if this warehouse opened it.

        ``Session.close`` cancels running queries first; fakesnow does not know that call and
        raises, but the connection is closed regardless, so that error is only logged.
        """
        if not self._owns_session:
            return
        self._owns_session = False
        try:
            self.session.close()
        except SnowparkSessionException as exc:
            log.debug("closing the Snowflake session: %s", exc)
