"""SQL text shared by the SQL warehouses, so the input rules are written once.

Table and column names come from the contract (``core.tables``), never from user input; values
are always bound as parameters. ``quote_identifier`` guards the one place a name is spliced in.
"""

from __future__ import annotations

import re

from core.errors import ConfigError
from core.tables import COUNTRY_STREAMS, USER_ARTIST_STREAMS

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")


def quote_identifier(name: str) -> str:
    """Quote a table name after checking it is a plain identifier (no injection through names)."""
    if not _IDENTIFIER.match(name):
        raise ConfigError(f"not a valid table name: {name!r}")
    return f'"{name}"'


# A row is usable when its streams are a positive finite number and both ids are whole numbers
# >= 0. NaN compares greater than every other number in DuckDB and Snowflake alike (and
# false in pandas, Snowpark's local emulator), so "> 0 AND < inf" keeps exactly the positive
# finite numbers everywhere: NaN, +inf and -inf all fail it.
INFINITY = "CAST('inf' AS DOUBLE)"
#: 2**63: ids at or past it do not fit BIGINT (Snowflake's NUMBER would take them, pandas not)
BIGINT_LIMIT = "9223372036854775808.0"
STREAMS = "TRY_CAST(total_streams AS DOUBLE)"


def usable_streams(value: str = STREAMS) -> str:
    """SQL predicate: the DOUBLE expression ``value`` is a positive, finite number.

    The one spelling of "usable stream value" (the pushed-down training uses it too, passing
    its dialect's cast of the column); NULL (text that is not a number) is not usable.
    """
    return f"({value} > 0 AND {value} < {INFINITY})"


def finite(value: str = STREAMS) -> str:
    """SQL predicate: ``value`` is a finite number (not NULL, NaN, +inf or -inf)."""
    return f"({value} > -{INFINITY} AND {value} < {INFINITY})"


def whole_id(as_double: str, as_bigint: str) -> str:
    """An id as BIGINT when it is a whole number >= 0 within BIGINT's range, else NULL.

    ``as_double`` and ``as_bigint`` are the dialect's safe casts of the column (NULL when it
    is not a number, e.g. DuckDB ``TRY_CAST``, Snowflake ``TRY_TO_DOUBLE(TO_VARCHAR(..))`` and
    ``TRY_TO_NUMBER(TO_VARCHAR(..))``); 1.5 or "1.5" would be rounded by a cast, so it is
    refused by comparing both. Text ids (a VARCHAR column) are cast, never an error.
    """
    return (f"CASE WHEN {as_double} >= 0 AND {as_double} < {BIGINT_LIMIT} AND {as_double} = {as_bigint} "
            f"THEN {as_bigint} END")


def _id(column: str) -> str:
    return whole_id(f"TRY_CAST({column} AS DOUBLE)", f"TRY_CAST({column} AS BIGINT)")


USABLE_STREAMS = usable_streams()


def _typed_listens(table: str) -> str:
    """Every raw row with its streams and ids cast safely (the input of every listens rule)."""
    return f"""
        SELECT total_streams IS NULL AS streams_missing, {STREAMS} AS s,
               {_id("usernum")} AS u, {_id("artistnum")} AS a
        FROM {quote_identifier(table)}
    """


def listen_stats_sql(table: str = USER_ARTIST_STREAMS.name, count_pairs: bool = True) -> str:
    """One pass that counts what each input rule drops, and (``count_pairs``) the pairs that
    remain.

    The rules apply in order, so every row lands in exactly one bucket.
    """
    usable, ids = usable_streams("s"), "u IS NOT NULL AND a IS NOT NULL"
    pairs = (f",\n            COUNT(DISTINCT CASE WHEN {usable} AND {ids} THEN (u, a) END) AS pairs"
             if count_pairs else "")
    return f"""
        WITH rows AS ({_typed_listens(table)})
        SELECT
            COUNT(*) AS rows_total,
            COUNT(*) FILTER (WHERE s IS NULL) AS rows_null_streams,
            COUNT(*) FILTER (WHERE s IS NOT NULL AND NOT {finite("s")}) AS rows_nonfinite_streams,
            COUNT(*) FILTER (WHERE {finite("s")} AND s <= 0) AS rows_nonpositive_streams,
            COUNT(*) FILTER (WHERE {usable} AND NOT ({ids})) AS rows_unknown_ids,
            COUNT(*) FILTER (WHERE {usable} AND {ids}) AS rows_kept{pairs}
        FROM rows
    """


def listens_sql(table: str = USER_ARTIST_STREAMS.name) -> str:
    """Usable rows as stored; a pair's rows are summed where the matrix is built."""
    return f"""
        WITH rows AS ({_typed_listens(table)})
        SELECT u AS usernum, a AS artistnum, s AS streams
        FROM rows
        WHERE {usable_streams("s")} AND u IS NOT NULL AND a IS NOT NULL
    """


def artist_spellings_sql(table: str = USER_ARTIST_STREAMS.name) -> str:
    """Raw rows per (artist id, spelling); ``core.warehouse.validation`` picks one per id."""
    return f"""
        SELECT {_id("artistnum")} AS artistnum, CAST(artistname AS VARCHAR) AS artistname,
               COUNT(*) AS n
        FROM {quote_identifier(table)}
        WHERE {_id("artistnum")} IS NOT NULL AND artistname IS NOT NULL
        GROUP BY 1, 2
    """


def genres_sql(table: str) -> str:
    """Every genre row as text; ``core.warehouse.validation`` resolves duplicates."""
    return f"""
        SELECT CAST(artistname AS VARCHAR) AS artistname,
               CAST(countrylist AS VARCHAR) AS countrylist, CAST(genreid AS VARCHAR) AS genreid
        FROM {quote_identifier(table)}
    """


def country_streams_sql(table: str = COUNTRY_STREAMS.name) -> str:
    """Usable streams summed per artist id and raw country and store spelling.

    Names are made keys (trimmed, case rules) once, by ``core.warehouse.validation``.
    """
    s = "TRY_CAST(total_streams AS DOUBLE)"
    return f"""
        SELECT {_id("artistnum")} AS artistnum,
               MIN(CAST(artistname AS VARCHAR)) AS artistname,
               CAST(countryname AS VARCHAR) AS countryname,
               CAST(storename AS VARCHAR) AS storename,
               SUM({s}) AS total_streams
        FROM {quote_identifier(table)}
        WHERE {usable_streams(s)} AND {_id("artistnum")} IS NOT NULL
          AND countryname IS NOT NULL AND storename IS NOT NULL
        GROUP BY 1, 3, 4
    """


def country_rows_sql(table: str = COUNTRY_STREAMS.name) -> str:
    """Rows of the country table, and how many the streams/id rules above keep."""
    s = "TRY_CAST(total_streams AS DOUBLE)"
    return f"""
        SELECT COUNT(*) AS rows_total,
               COUNT(*) FILTER (WHERE {usable_streams(s)} AND {_id("artistnum")} IS NOT NULL
                                AND countryname IS NOT NULL AND storename IS NOT NULL) AS rows_kept
        FROM {quote_identifier(table)}
    """
