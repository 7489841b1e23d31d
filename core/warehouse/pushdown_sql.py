"""SQL for training pushed down into the warehouse, for DuckDB and Snowflake alike.

``core.training.pushdown`` runs a randomized SVD whose passes over the (artist, listener) table
are joins and GROUP BYs executed where the table lives, and the default similarity's
co-listening candidates as a self-join of that table; only artist-side matrices (artists x
l numbers), the candidate pairs (artists x candidates) and a few aggregates come back. This
module holds all of the SQL text, and every place where the two warehouses differ:

* casting text or numeric stream counts (DuckDB ``TRY_CAST``; Snowflake's ``TRY_CAST`` refuses
  numeric input, hence ``TRY_TO_DOUBLE(TO_VARCHAR(..))``);
* temporary tables (``CREATE OR REPLACE TEMP TABLE`` in both, but created from a local frame
  by registering it in DuckDB and by a bound ``INSERT`` in Snowflake);
* how results are fetched (DuckDB to NumPy directly; Snowpark ``session.sql(..).to_pandas()``).

The random test matrix Ω is not among them: it is integer arithmetic both spell alike, the
in-memory SVD's own function of the listener ids (``core.training.random_signs``), so DuckDB,
Snowflake and the in-memory pipeline find the same features up to float rounding.

Matrices travel as *wide* tables (``artist, c0, c1, ...``) rather than arrays or a long
``(artist, component, value)`` table: a long table would multiply the join by the number of
components, and arrays are handled differently by each warehouse; l plain DOUBLE columns
aggregate with the same ``SUM`` everywhere.

Input rules match ``core.warehouse.sql`` (and the Snowpark reader): positive streams, present
non-negative ids, duplicate (listener, artist) rows summed.
"""

from __future__ import annotations

import contextlib
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.errors import ContractError, InsightsError
from core.memory import address_space_cap, available_memory, is_memory_size
from core.tables import USER_ARTIST_STREAMS
from core.warehouse.sql import quote_identifier, usable_streams, whole_id

#: temporary tables, prefixed so they cannot clash with the contract's or result tables
PAIRS, WEIGHTED, USER_SIDE, ARTIST_SIDE = "ALI_PD_PAIRS", "ALI_PD_W", "ALI_PD_Z", "ALI_PD_Q"
#: the similarity's tables: capped listens with their weights, per-artist terms, market
#: artists, and the candidate pairs
CAPPED, ARTIST_TERMS, MARKET, CANDIDATES = "ALI_PD_C", "ALI_PD_A", "ALI_PD_M", "ALI_PD_K"
ALL_TABLES = (PAIRS, WEIGHTED, USER_SIDE, ARTIST_SIDE, CAPPED, ARTIST_TERMS, MARKET, CANDIDATES)
#: rows per bound INSERT when uploading to Snowflake
_BIND_ROWS = 100_000


class Dialect(ABC):
    """The spellings that differ between warehouses."""

    name: str

    @abstractmethod
    def streams(self, column: str) -> str:
        """``column`` as DOUBLE, NULL when it is not a number."""

    @abstractmethod
    def try_double(self, column: str) -> str:
        """``column`` (number or text) as DOUBLE, NULL when it is not a number."""

    @abstractmethod
    def try_bigint(self, column: str) -> str:
        """``column`` (number or text) as BIGINT, NULL when it is not a whole number."""

    def bigint(self, column: str) -> str:
        """An id column as BIGINT when it is a whole number >= 0 (``core.warehouse.sql``'s
        rule), else NULL: text ids are cast, never an error."""
        return whole_id(self.try_double(column), self.try_bigint(column))


class DuckDBDialect(Dialect):
    name = "duckdb"

    def streams(self, column: str) -> str:
        return f"TRY_CAST({column} AS DOUBLE)"

    def try_double(self, column: str) -> str:
        return f"TRY_CAST({column} AS DOUBLE)"

    def try_bigint(self, column: str) -> str:
        return f"TRY_CAST({column} AS BIGINT)"


class SnowflakeDialect(Dialect):
    name = "snowflake"

    def streams(self, column: str) -> str:
        return f"TRY_TO_DOUBLE(TO_VARCHAR({column}))"

    def try_double(self, column: str) -> str:
        return f"TRY_TO_DOUBLE(TO_VARCHAR({column}))"

    def try_bigint(self, column: str) -> str:
        return f"TRY_TO_NUMBER(TO_VARCHAR({column}))"


# --------------------------------------------------------------------------------------------
# SQL text
# --------------------------------------------------------------------------------------------


def _columns(width: int) -> list[str]:
    return [f"c{j}" for j in range(width)]


def pairs_sql(d: Dialect, table: str, columns: dict[str, str]) -> str:
    """Cleaned (artist, listener) pairs with their summed streams: the input rules of
    ``core.warehouse.sql`` (positive finite streams, whole non-negative ids), in the dialect's
    casts."""
    s = d.streams(columns["total_streams"])
    u, a = d.bigint(columns["usernum"]), d.bigint(columns["artistnum"])
    return f"""
        CREATE OR REPLACE TEMPORARY TABLE {PAIRS} AS
        SELECT {a} AS artist, {u} AS usr, SUM({s}) AS streams
        FROM {table}
        WHERE {usable_streams(s)} AND {u} IS NOT NULL AND {a} IS NOT NULL
        GROUP BY 1, 2
    """


def artist_stats_sql() -> str:
    """Listeners and streams of every artist seen: artists x 3 numbers."""
    return f"""
        SELECT artist, COUNT(*) AS listeners, SUM(streams) AS streams
        FROM {PAIRS} GROUP BY artist ORDER BY artist
    """


def totals_sql() -> str:
    return f"SELECT COUNT(*) AS pairs, COUNT(DISTINCT usr) AS users FROM {PAIRS}"


def weighted_sql(min_listeners: int, normalize_listeners: bool = True) -> str:
    """``log1p(streams)`` (and the streams) of the pairs of artists with at least
    ``min_listeners`` listeners, each listener's weights scaled to unit L2 norm over those
    artists when ``normalize_listeners`` (``core.training.weighting.LogWeighting``): cleaned
    and weighted once, read by every later pass."""
    w = "LN(1 + streams)"
    if normalize_listeners:
        w = f"{w} / SQRT(SUM({w} * {w}) OVER (PARTITION BY usr))"
    return f"""
        CREATE OR REPLACE TEMPORARY TABLE {WEIGHTED} AS
        SELECT artist, usr, {w} AS w, streams
        FROM {PAIRS}
        WHERE artist IN (SELECT artist FROM {PAIRS} GROUP BY artist
                         HAVING COUNT(*) >= {int(min_listeners)})
    """


def omega_sql(coefficients: np.ndarray, prime: int) -> str:
    """The listener-side random test matrix Ω: column j is the sign of the polynomial with
    ``coefficients[j]`` (highest power first) modulo ``prime`` at the listener id, about
    ``prime / 2`` (``core.training.random_signs.signs``). Products stay below 2⁶³: BIGINT in
    DuckDB, exact NUMBER in Snowflake."""
    p = int(prime)
    signs = []
    for j, row in enumerate(np.asarray(coefficients, np.int64)):
        h = str(int(row[0]))
        for c in row[1:]:
            h = f"MOD({h} * u + {int(c)}, {p})"
        signs.append(f"CAST(SIGN(2 * {h} - {p}) AS DOUBLE) AS c{j}")
    return f"""
        CREATE OR REPLACE TEMPORARY TABLE {USER_SIDE} AS
        SELECT usr, {", ".join(signs)}
        FROM (SELECT DISTINCT usr, MOD(usr, {p}) AS u FROM {WEIGHTED}) AS listeners
    """


def user_side_sql(width: int, parts: int = 1, part: int = 0) -> str:
    """Z = Aᵀ·Q: the uploaded artist-side matrix pushed through the table, kept in the
    warehouse (listeners x l numbers never leave it).

    With ``parts`` > 1 only listeners with ``usr mod parts = part`` are aggregated; part 0
    creates the table and the others append. The GROUP BY holds l sums per listener, so for
    millions of listeners its state alone is gigabytes: in parts it fits a bounded memory
    instead of spilling (measured in benchmarks/README.md, *Training pushed down*).
    """
    sums = ", ".join(f"SUM(w.w * q.{c}) AS {c}" for c in _columns(width))
    where = f"WHERE MOD(w.usr, {int(parts)}) = {int(part)}" if parts > 1 else ""
    head = (f"CREATE OR REPLACE TEMPORARY TABLE {USER_SIDE} AS" if part == 0
            else f"INSERT INTO {USER_SIDE}")
    return f"""
        {head}
        SELECT w.usr AS usr, {sums}
        FROM {WEIGHTED} AS w JOIN {ARTIST_SIDE} AS q ON q.artist = w.artist
        {where}
        GROUP BY w.usr
    """


def artist_side_sql(width: int) -> str:
    """Y = A·Z: artists x l numbers, the only matrix that is fetched."""
    sums = ", ".join(f"SUM(w.w * z.{c}) AS {c}" for c in _columns(width))
    return f"""
        SELECT w.artist AS artist, {sums}
        FROM {WEIGHTED} AS w JOIN {USER_SIDE} AS z ON z.usr = w.usr
        GROUP BY w.artist ORDER BY w.artist
    """


def variance_sql() -> str:
    """The two sums behind the total variance of A's columns (for explained variance)."""
    return f"""
        SELECT (SELECT SUM(w * w) FROM {WEIGHTED}) AS sum_sq,
               (SELECT SUM(s * s) FROM (SELECT SUM(w) AS s FROM {WEIGHTED} GROUP BY usr) AS c)
                   AS sum_col_sq
    """


def shared_listeners_sql() -> str:
    """Listeners in common for each uploaded (artist, neighbour) pair (table ARTIST_SIDE with
    columns artist, other): a self-join of the weighted pairs restricted to those pairs."""
    return f"""
        SELECT p.artist AS artist, p.other AS other, COUNT(*) AS shared
        FROM {ARTIST_SIDE} AS p
        JOIN {WEIGHTED} AS a ON a.artist = p.artist
        JOIN {WEIGHTED} AS b ON b.artist = p.other AND b.usr = a.usr
        GROUP BY p.artist, p.other
    """


def _double(value: float) -> str:
    """A float constant exactly as Python holds it (``repr`` round-trips), as DOUBLE."""
    return f"CAST({float(value)!r} AS DOUBLE)"


def capped_sql(n_artists: int, cap: int | None, k1: float, b: float) -> str:
    """The listens the co-listening signals read: each listener's ``cap`` most-streamed
    artists (ties to the lower artist id), with the walk step ``1 / artists(listener)`` and
    the BM25 weight, the formula of ``core.training.similarity.weights.bm25_weight``."""
    capped = f"SELECT artist, usr, streams FROM {WEIGHTED}"
    if cap:
        capped += (f" QUALIFY ROW_NUMBER() OVER (PARTITION BY usr ORDER BY streams DESC, artist)"
                   f" <= {int(cap)}")
    return f"""
        CREATE OR REPLACE TEMPORARY TABLE {CAPPED} AS
        WITH kept AS ({capped}),
        listener AS (SELECT usr, CAST(COUNT(*) AS DOUBLE) AS n FROM kept GROUP BY usr),
        artist AS (SELECT artist, SUM(streams) AS total FROM kept GROUP BY artist),
        norm AS (SELECT SUM(streams) / {_double(n_artists)} AS mean FROM kept)
        SELECT k.artist AS artist, k.usr AS usr, {_double(1.0)} / l.n AS step,
               k.streams * {_double(k1 + 1.0)}
                   / ({_double(k1)} * ({_double(1.0 - b)} + {_double(b)} * a.total / norm.mean)
                      + k.streams)
                   * (LN({_double(n_artists)}) - LN({_double(1.0)} + l.n)) AS bw
        FROM kept AS k
        JOIN listener AS l ON l.usr = k.usr
        JOIN artist AS a ON a.artist = k.artist
        CROSS JOIN norm
    """


def artist_terms_sql(beta: float, listener_prior: float) -> str:
    """Per artist of the capped listens: its listeners, the RP3beta popularity term
    ``listeners ** -beta``, whether it has market data (table MARKET, uploaded) and the
    audience prior ``listeners / (listeners + listener_prior)``, 1 for market artists
    (``HybridSimilarity.prior``)."""
    n = "CAST(COUNT(*) AS DOUBLE)"
    market = "MAX(CASE WHEN m.artist IS NULL THEN 0 ELSE 1 END)"
    prior = (f"CASE WHEN {market} = 1 THEN {_double(1.0)} "
             f"ELSE {n} / ({n} + {_double(listener_prior)}) END"
             if listener_prior else _double(1.0))
    return f"""
        CREATE OR REPLACE TEMPORARY TABLE {ARTIST_TERMS} AS
        SELECT c.artist AS artist, COUNT(*) AS listeners,
               POWER({n}, {_double(-beta)}) AS popb, {prior} AS prior,
               {market} AS market
        FROM {CAPPED} AS c LEFT JOIN {MARKET} AS m ON m.artist = c.artist
        GROUP BY c.artist
    """


def pair_bound_sql() -> str:
    """The co-listening join's size (sum over listeners of artists squared): sizes the parts."""
    return f"SELECT SUM(n * n) AS pairs FROM (SELECT COUNT(*) AS n FROM {CAPPED} GROUP BY usr) AS l"


def candidates_sql(bm25_weight: float, shrinkage: float, n_candidates: int, n_market: int,
                   parts: int = 1, part: int = 0) -> str:
    """Each artist's candidate neighbours, the definition of
    ``core.training.similarity.colistening.candidates`` in SQL: the capped listens joined with
    themselves on the listener, summed per artist pair, scaled per artist, ranked with the
    support factor, top ``n_candidates`` and top ``n_market`` market artists kept (QUALIFY).

    With ``parts`` > 1 only artists with ``artist mod parts = part`` are scored (part 0
    creates the table, the others append), so one part's aggregation fits the memory limit.
    """
    where = f"AND MOD(x.artist, {int(parts)}) = {int(part)}" if parts > 1 else ""
    head = (f"CREATE OR REPLACE TEMPORARY TABLE {CANDIDATES} AS" if part == 0
            else f"INSERT INTO {CANDIDATES}")
    shared = "CAST(shared AS DOUBLE)"
    score = (f"s1 * ({shared} / ({shared} + {_double(shrinkage)})) * prior" if shrinkage > 0
             else "s1 * prior")
    market = (f"OR (market = 1 AND ROW_NUMBER() OVER (PARTITION BY a, market "
              f"ORDER BY score DESC, b) <= {int(n_market)})") if n_market > 0 else ""
    return f"""
        {head}
        WITH pairs AS (
            SELECT x.artist AS a, y.artist AS b, SUM(x.step) AS walk_sum,
                   SUM(x.bw * y.bw) AS overlap, COUNT(*) AS shared
            FROM {CAPPED} AS x JOIN {CAPPED} AS y ON y.usr = x.usr
            WHERE x.artist <> y.artist {where}
            GROUP BY x.artist, y.artist
        ), terms AS (
            SELECT p.a AS a, p.b AS b, p.shared AS shared, p.walk_sum * t.popb AS walk,
                   p.overlap AS overlap, t.market AS market, t.prior AS prior
            FROM pairs AS p JOIN {ARTIST_TERMS} AS t ON t.artist = p.b
        ), peaks AS (
            SELECT a, b, shared, walk, overlap, market, prior,
                   MAX(walk) OVER (PARTITION BY a) AS walk_max,
                   MAX(overlap) OVER (PARTITION BY a) AS overlap_max
            FROM terms
        ), scaled AS (
            SELECT a, b, shared, market, prior,
                   CASE WHEN walk_max > 0 THEN walk / walk_max ELSE {_double(0.0)} END
                   + CASE WHEN overlap_max > 0 AND overlap > 0
                          THEN {_double(bm25_weight)} * overlap / overlap_max
                          ELSE {_double(0.0)} END AS s1
            FROM peaks
        ), ranked AS (
            SELECT a, b, shared, market, s1,
                   FLOOR({score} * {_double(1e12)} + {_double(0.5)}) / {_double(1e12)} AS score
            FROM scaled
        )
        SELECT a, b, s1, shared FROM ranked
        QUALIFY ROW_NUMBER() OVER (PARTITION BY a ORDER BY score DESC, b) <= {int(n_candidates)}
                {market}
    """


def artist_listeners_sql() -> str:
    """Listeners per artist as the co-listening counted them (after the cap)."""
    return f"SELECT artist, listeners FROM {ARTIST_TERMS} ORDER BY artist"


def fetch_candidates_sql() -> str:
    return f"SELECT a, b, s1, shared FROM {CANDIDATES} ORDER BY a, b"


# --------------------------------------------------------------------------------------------
# Runners: one connection to a warehouse, counting what comes back
# --------------------------------------------------------------------------------------------


class Runner(ABC):
    """Executes the SQL above on one warehouse connection and counts the bytes fetched."""

    dialect: Dialect

    def __init__(self) -> None:
        self.bytes_fetched = 0
        self.statements = 0
        #: one entry per full read of a large table: what was read, rows, bytes (8 per value)
        self.scans: list[dict[str, Any]] = []

    def scanned(self, label: str, table: str, rows: int, columns: int, times: int = 1) -> None:
        """Record that a statement read ``columns`` 8-byte columns of ``rows`` rows of ``table``
        (``times`` over): the bytes a warehouse scans, for the cost model."""
        for _ in range(times):
            self.scans.append({"pass": label, "table": table, "rows": int(rows),
                               "bytes": int(rows) * columns * 8})

    def scan_summary(self) -> dict[str, int]:
        """Full reads of the large tables and the bytes they read."""
        return {"table_scans": len(self.scans),
                "bytes_scanned": sum(scan["bytes"] for scan in self.scans)}

    @abstractmethod
    def execute(self, sql: str) -> None:
        """Run a statement that returns nothing worth fetching (DDL)."""

    @abstractmethod
    def _fetch(self, sql: str) -> pd.DataFrame: ...

    def fetch(self, sql: str) -> dict[str, np.ndarray]:
        """Columns of the result (lower-case names) as arrays; their bytes are counted."""
        self.statements += 1
        frame = self._fetch(sql)
        out = {str(c).strip('"').lower(): frame[c].to_numpy() for c in frame.columns}
        self.bytes_fetched += sum(v.nbytes for v in out.values())
        return out

    @abstractmethod
    def upload(self, name: str, frame: pd.DataFrame) -> None:
        """Create or replace temporary table ``name`` holding ``frame`` (numeric columns)."""

    @abstractmethod
    def source(self) -> tuple[str, dict[str, str]]:
        """The listens table as SQL and the identifier of each contract column in it."""

    def user_side_parts(self, users: int, width: int) -> int:
        """How many listener partitions the Aᵀ·Q aggregation runs in (1: the warehouse
        manages its own memory, as Snowflake does)."""
        return 1

    def candidate_parts(self, join_rows: int) -> int:
        """How many artist partitions the co-listening join runs in (1: the warehouse
        manages its own memory)."""
        return 1

    def drop(self, *names: str) -> None:
        for name in names:
            self.execute(f"DROP TABLE IF EXISTS {name}")


#: share of the available memory a pushed-down training lets DuckDB take (the rest is the
#: trainer's artist-side arrays and the libraries)
DUCKDB_MEMORY_SHARE = 0.5
#: share of an address-space cap DuckDB may take: the cap counts virtual memory, and DuckDB's
#: reservations, thread arenas and the libraries' mappings are several GB beyond what it uses
#: (at half of a 14 GiB cap a training at 10 million generated rows failed; at 2 GB it ran)
DUCKDB_CAP_SHARE = 0.25


def default_duckdb_memory() -> int:
    """DuckDB's memory limit for a pushed-down training when none is configured (bytes)."""
    limit = DUCKDB_MEMORY_SHARE * available_memory()
    cap = address_space_cap()
    if cap is not None:
        limit = min(limit, DUCKDB_CAP_SHARE * cap)
    return int(limit)


class DuckDBRunner(Runner):
    """A DuckDB connection; temporary tables live in memory and spill to disk past the limit.

    ``memory_limit`` (e.g. ``"1GB"``) bounds DuckDB's own memory: as the warehouse runs inside
    this process, that is what keeps the process's peak memory independent of the row count.
    Without one it is ``default_duckdb_memory()``, not DuckDB's default of 80% of the machine's
    RAM, which a capped process cannot have: there DuckDB failed instead of spilling.
    """

    dialect = DuckDBDialect()

    def __init__(self, con: Any, memory_limit: str | None = None,
                 temp_directory: str | Path | None = None) -> None:
        super().__init__()
        self.con = con
        con.execute("SET preserve_insertion_order = false")
        if temp_directory:
            Path(temp_directory).mkdir(parents=True, exist_ok=True)
            con.execute("SET temp_directory = ?", [str(temp_directory)])
        if not memory_limit:
            memory_limit = f"{default_duckdb_memory() // 2**20}MiB"
        if not is_memory_size(memory_limit):
            raise InsightsError(f"memory limit must be a size such as '2GB', not {memory_limit!r}")
        con.execute(f"SET memory_limit = '{memory_limit.strip()}'")
        limit = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
        self.memory_bytes = _parse_bytes(str(limit))

    def user_side_parts(self, users: int, width: int) -> int:
        """Enough parts that one part's aggregation state (~48 bytes per listener and
        component, measured) stays under a quarter of DuckDB's memory limit."""
        need = users * width * 48
        return max(1, -(-need // max(self.memory_bytes // 4, 1)))

    def candidate_parts(self, join_rows: int) -> int:
        """Enough parts that one part's pair aggregation stays under a quarter of DuckDB's
        memory limit: 24 bytes per join row (distinct pairs are about half the join rows on
        the generated tables, ~48 bytes a group; DuckDB spills if a part holds more)."""
        need = join_rows * 24
        return max(1, -(-need // max(self.memory_bytes // 4, 1)))

    def execute(self, sql: str) -> None:
        self.statements += 1
        self.con.execute(sql)

    def _fetch(self, sql: str) -> pd.DataFrame:
        return self.con.execute(sql).df()

    def upload(self, name: str, frame: pd.DataFrame) -> None:
        self.statements += 1
        view = f"frame_{uuid.uuid4().hex}"
        self.con.register(view, frame)
        try:
            self.con.execute(f"CREATE OR REPLACE TEMPORARY TABLE {name} AS SELECT * FROM {view}")
        finally:
            self.con.unregister(view)

    def source(self) -> tuple[str, dict[str, str]]:
        row = self.con.execute(
            "SELECT table_name FROM information_schema.tables WHERE lower(table_name) = lower(?)",
            [USER_ARTIST_STREAMS.name],
        ).fetchone()
        if row is None:
            raise ContractError(f"table {USER_ARTIST_STREAMS.name} not found")
        found = self.con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [row[0]]
        ).fetchall()
        return quote_identifier(row[0]), _column_map([c[0] for c in found], '"{}"')


class SnowparkRunner(Runner):
    """A Snowpark session: ``session.sql`` for every statement, ``to_pandas`` to fetch."""

    dialect = SnowflakeDialect()

    def __init__(self, session: Any) -> None:
        super().__init__()
        self.session = session

    def execute(self, sql: str) -> None:
        self.statements += 1
        self.session.sql(sql).collect()

    def _fetch(self, sql: str) -> pd.DataFrame:
        return self.session.sql(sql).to_pandas()

    def upload(self, name: str, frame: pd.DataFrame) -> None:
        """A bound ``INSERT`` (``executemany``, qmark parameters as Snowpark sets them): the
        values travel as bind data, never as SQL text, and the connector stages large binds
        as a bulk load on its own (``CLIENT_STAGE_ARRAY_BINDING_THRESHOLD``). fakesnow cannot
        follow ``write_pandas``' stage, so this is also the path the tests run."""
        types = ", ".join(
            f"{c} {'BIGINT' if pd.api.types.is_integer_dtype(frame[c]) else 'DOUBLE'}"
            for c in frame.columns
        )
        self.execute(f"CREATE OR REPLACE TEMPORARY TABLE {name} ({types})")
        if frame.empty:
            return
        insert = f"INSERT INTO {name} VALUES ({', '.join('?' for _ in frame.columns)})"
        values = [tuple(_plain(v) for v in row)
                  for row in frame.itertuples(index=False, name=None)]
        cursor = self.session.connection.cursor()
        try:
            for start in range(0, len(values), _BIND_ROWS):
                self.statements += 1
                cursor.executemany(insert, values[start : start + _BIND_ROWS])
        finally:
            cursor.close()

    def source(self) -> tuple[str, dict[str, str]]:
        from snowflake.snowpark.exceptions import SnowparkSQLException

        name = USER_ARTIST_STREAMS.name
        for spelling in dict.fromkeys([name.upper(), name, name.lower()]):
            table = quote_identifier(spelling)
            try:
                columns = self.session.table(table).columns
            except SnowparkSQLException:
                continue
            return table, _column_map(columns, None)
        raise ContractError(f"table {name} not found")


def _parse_bytes(text: str) -> int:
    """DuckDB's ``memory_limit`` as shown (``'1.8 GiB'``, ``'2.0 GB'``) in bytes."""
    number, _, unit = text.strip().partition(" ")
    scale = {"": 1, "B": 1, "BYTES": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
             "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}.get(unit.strip().upper(), 1)
    try:
        return int(float(number) * scale)
    except ValueError:
        return 8 * 2**30


def _plain(value: Any) -> int | float:
    return int(value) if isinstance(value, np.integer | int) else float(value)


def _column_map(names: list[str], quote: str | None) -> dict[str, str]:
    """Contract column -> identifier as it must be written (case as stored, quoted)."""
    found: dict[str, str] = {}
    for raw in names:
        bare = raw[1:-1].replace('""', '"') if raw.startswith('"') and raw.endswith('"') else raw
        ident = raw if raw.startswith('"') else '"' + bare.replace('"', '""') + '"'
        if quote is not None:
            ident = quote.format(bare.replace('"', '""'))
        found.setdefault(bare.lower(), ident)
    missing = [c for c in ("usernum", "artistnum", "total_streams") if c not in found]
    if missing:
        raise ContractError(
            f"table {USER_ARTIST_STREAMS.name} is missing column(s) {', '.join(missing)}"
        )
    return found


@contextlib.contextmanager
def open_runner(target: Any, memory_limit: str | None = None) -> Iterator[Runner]:
    """A runner for a warehouse (its own ``pushdown_runner``), a DuckDB connection or a
    Snowpark session (benchmarks and tests hand those in directly)."""
    if isinstance(target, Runner):
        yield target
        return
    if hasattr(target, "pushdown_runner"):
        with target.pushdown_runner(memory_limit) as runner:
            yield runner
        return
    import duckdb

    if isinstance(target, duckdb.DuckDBPyConnection):
        yield DuckDBRunner(target, memory_limit)
        return
    from snowflake.snowpark import Session

    if isinstance(target, Session):
        yield SnowparkRunner(target)
        return
    raise TypeError(f"cannot push training down into a {type(target).__name__}")
