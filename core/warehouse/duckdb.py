"""The embedded default warehouse: a local DuckDB file, so a fresh clone runs with no account.

Connections are opened per operation and read-only where possible, because DuckDB lets one
process write a file at a time: the dashboard, the CLI and the tests can then share one file.
A file held by another writer is retried with back-off for ``busy_timeout`` seconds before the
caller is told, in one line, who holds it; a folder or a non-DuckDB file at ``DUCKDB_PATH`` is
named as such (``core.failures``).
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from core.errors import ConfigError, ContractError
from core.failures import BusyWarehouseError, duckdb_error, os_error
from core.memory import is_memory_size
from core.tables import ARTIST_GENRES, SOURCE_TABLES
from core.warehouse import sql
from core.warehouse.base import ListenStats, Warehouse

#: seconds to keep retrying a DuckDB file another process holds, by default
BUSY_TIMEOUT = 10.0


class DuckDBWarehouse(Warehouse):
    def __init__(self, path: str | Path, memory_limit: str | None = None,
                 temp_directory: str | Path | None = None,
                 busy_timeout: float | None = None) -> None:
        self.path = Path(path)
        self.description = f"DuckDB {self.path.name}"
        #: DuckDB's memory (``DUCKDB_MEMORY_LIMIT``) for every connection, the pushed-down
        #: training's passes included; unset, DuckDB's own default (the pushdown sets one)
        if memory_limit and not is_memory_size(memory_limit):
            raise ConfigError(f"DuckDB memory limit {memory_limit!r} is not a size such as 4GB")
        self.memory_limit = memory_limit
        #: where those passes spill (``DUCKDB_TEMP_DIRECTORY``)
        self.temp_directory = temp_directory
        self.busy_timeout = BUSY_TIMEOUT if busy_timeout is None else busy_timeout

    @contextlib.contextmanager
    def _connect(self, read_only: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
        if self.path.is_dir():
            raise ConfigError(f"DUCKDB_PATH {self.path} is a folder; point it at a .duckdb file")
        if read_only and not self.path.exists():
            raise ConfigError(
                f"no DuckDB warehouse at {self.path}; build the demo one with "
                "`python -m core.cli.warehouse build-demo` (or `make warehouse`)"
            )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise os_error(exc, "DUCKDB_PATH") from None
        con = self._open(read_only)
        try:
            if self.memory_limit:
                # every query of this warehouse, not only the pushed-down passes, keeps to
                # the limit the user set (the size is checked in __init__: it is spliced)
                con.execute(f"SET memory_limit = '{self.memory_limit.strip()}'")
            yield con
        finally:
            con.close()

    @contextlib.contextmanager
    def pushdown_runner(self, memory_limit: str | None = None) -> Iterator[Any]:
        """Opened read-only (temporary tables are allowed there), so a pushed-down training
        can run beside the dashboard reading the same file."""
        from core.warehouse.pushdown_sql import DuckDBRunner

        with self._connect(read_only=True) as con:
            yield DuckDBRunner(con, memory_limit or self.memory_limit, self.temp_directory)

    def _open(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        """Connect, retrying with back-off while another process holds the file."""
        deadline = time.monotonic() + self.busy_timeout
        delay = 0.05
        while True:
            try:
                return duckdb.connect(str(self.path), read_only=read_only)
            except duckdb.Error as exc:
                problem = duckdb_error(exc, self.path)
                if problem is None:
                    raise
                remaining = deadline - time.monotonic()
                if not isinstance(problem, BusyWarehouseError) or remaining <= 0:
                    raise problem from None
            except OSError as exc:
                raise os_error(exc, "DUCKDB_PATH") from None
            time.sleep(min(delay, remaining))
            delay = min(delay * 2, 1.0)

    def _query(self, query: str, params: list[object] | None = None) -> pd.DataFrame:
        with self._connect() as con:
            return con.execute(query, params or []).df()

    def columns(self, table: str) -> list[str] | None:
        with self._connect() as con:
            rows = con.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE lower(table_name) = lower(?) ORDER BY ordinal_position",
                [table],
            ).fetchall()
        return [r[0].lower() for r in rows] or None

    def _table_name(self, table: str) -> str:
        """The stored spelling of ``table`` (DuckDB names are case-insensitive but quoted here)."""
        with self._connect() as con:
            row = con.execute(
                "SELECT table_name FROM information_schema.tables WHERE lower(table_name) = lower(?)",
                [table],
            ).fetchone()
        if row is None:
            raise ContractError(f"table {table} not found in {self.description}")
        return row[0]

    def listen_stats(self, count_pairs: bool = True) -> ListenStats:
        self.check_contract(SOURCE_TABLES[:1])
        frame = self._query(sql.listen_stats_sql(self._table_name(SOURCE_TABLES[0].name),
                                                 count_pairs))
        return ListenStats(**{k: int(v) for k, v in frame.iloc[0].items()},
                           **({} if count_pairs else {"pairs": None}))

    def iter_listens(self, batch_rows: int = 1_000_000) -> Iterator[pd.DataFrame]:
        """The usable rows as stored: the matrix builder sums and orders them in linear time,
        without the hash table and sort a GROUP BY / ORDER BY holds here."""
        self.check_contract(SOURCE_TABLES[:1])
        query = sql.listens_sql(self._table_name(SOURCE_TABLES[0].name))
        with self._connect() as con:
            result = con.execute(query)
            while True:
                batch = result.fetch_df_chunk(max(1, batch_rows // 2048))
                if batch.empty:
                    break
                yield batch.astype({"usernum": "int64", "artistnum": "int64", "streams": "float64"})

    def _artist_spellings(self) -> pd.DataFrame:
        self.check_contract(SOURCE_TABLES[:1])
        return self._query(sql.artist_spellings_sql(self._table_name(SOURCE_TABLES[0].name)))

    def _genre_rows(self) -> pd.DataFrame:
        self.check_contract((ARTIST_GENRES,))
        return self._query(sql.genres_sql(self._table_name(ARTIST_GENRES.name)))

    def _country_rows(self) -> tuple[pd.DataFrame, int]:
        self.check_contract(SOURCE_TABLES[2:])
        table = self._table_name(SOURCE_TABLES[2].name)
        counts = self._query(sql.country_rows_sql(table)).iloc[0]
        frame = self._query(sql.country_streams_sql(table))
        return frame, int(counts["rows_total"] - counts["rows_kept"])

    def row_count(self, table: str) -> int:
        t = sql.quote_identifier(self._table_name(table))
        return int(self._query(f"SELECT COUNT(*) AS n FROM {t}").iloc[0, 0])

    def read_table(self, table: str) -> pd.DataFrame:
        t = sql.quote_identifier(self._table_name(table))
        return self._query(f"SELECT * FROM {t}")

    def write_table(self, table: str, frame: pd.DataFrame) -> None:
        """Create-or-replace inside one transaction: readers see the old table until commit."""
        target = sql.quote_identifier(table)
        view = f"frame_{uuid.uuid4().hex}"
        with self._connect(read_only=False) as con:
            con.register(view, frame)
            try:
                con.execute("BEGIN TRANSACTION")
                con.execute(f"CREATE OR REPLACE TABLE {target} AS SELECT * FROM {view}")
                con.execute("COMMIT")
            except Exception:
                con.execute("ROLLBACK")
                raise
            finally:
                con.unregister(view)


def build_from_parquet(parquet_dir: str | Path, db_path: str | Path) -> dict[str, int]:
    """(Re)build a DuckDB warehouse holding the three source tables from Parquet files.

    The file is built beside the target and moved into place, so an interrupted build never
    leaves a half-filled warehouse where the app looks for one.
    """
    parquet_dir, db_path = Path(parquet_dir), Path(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    partial = db_path.with_name(db_path.name + ".partial")
    partial.unlink(missing_ok=True)
    counts: dict[str, int] = {}
    con = duckdb.connect(str(partial))
    try:
        for contract in SOURCE_TABLES:
            source = parquet_dir / f"{contract.name.lower()}.parquet"
            if not source.exists():
                raise ContractError(f"missing {source} for table {contract.name}")
            con.execute(
                f"CREATE TABLE {sql.quote_identifier(contract.name)} AS "
                "SELECT * FROM read_parquet(?)",
                [str(source)],
            )
            row = con.execute(
                f"SELECT COUNT(*) FROM {sql.quote_identifier(contract.name)}"
            ).fetchone()
            counts[contract.name] = int(row[0]) if row else 0
    finally:
        con.close()
    DuckDBWarehouse(partial).check_contract()
    partial.replace(db_path)
    return counts
