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


# A row is usable when its streams are a positive number and both ids are present and >= 0.
_STREAMS = "TRY_CAST(total_streams AS DOUBLE)"
_VALID_IDS = "usernum IS NOT NULL AND artistnum IS NOT NULL AND usernum >= 0 AND artistnum >= 0"


def listen_stats_sql(table: str = USER_ARTIST_STREAMS.name) -> str:
    """One pass that counts what each input rule drops, and the pairs that remain."""
    t = quote_identifier(table)
    return f"""
        SELECT
            COUNT(*) AS rows_total,
            COUNT(*) FILTER (WHERE {_STREAMS} IS NULL) AS rows_null_streams,
            COUNT(*) FILTER (WHERE {_STREAMS} <= 0) AS rows_nonpositive_streams,
            COUNT(*) FILTER (WHERE {_STREAMS} > 0 AND NOT ({_VALID_IDS})) AS rows_unknown_ids,
            COUNT(*) FILTER (WHERE {_STREAMS} > 0 AND {_VALID_IDS}) AS rows_kept,
            COUNT(DISTINCT CASE WHEN {_STREAMS} > 0 AND {_VALID_IDS}
                  THEN (CAST(usernum AS BIGINT), CAST(artistnum AS BIGINT)) END) AS pairs
        FROM {t}
    """


def listens_sql(table: str = USER_ARTIST_STREAMS.name) -> str:
    """Usable rows, duplicates of a (user, artist) pair summed."""
    t = quote_identifier(table)
    return f"""
        SELECT CAST(usernum AS BIGINT) AS usernum, CAST(artistnum AS BIGINT) AS artistnum,
               SUM({_STREAMS}) AS streams
        FROM {t}
        WHERE {_STREAMS} > 0 AND {_VALID_IDS}
        GROUP BY 1, 2
        ORDER BY 2, 1
    """


def artist_names_sql(table: str = USER_ARTIST_STREAMS.name) -> str:
    """One name per artist id: the most frequent spelling, ties to the smallest."""
    t = quote_identifier(table)
    return f"""
        WITH spellings AS (
            SELECT CAST(artistnum AS BIGINT) AS artistnum, CAST(artistname AS VARCHAR) AS artistname,
                   COUNT(*) AS n
            FROM {t}
            WHERE artistnum IS NOT NULL AND artistnum >= 0 AND artistname IS NOT NULL
            GROUP BY 1, 2
        ), ranked AS (
            SELECT artistnum, artistname,
                   ROW_NUMBER() OVER (PARTITION BY artistnum ORDER BY n DESC, artistname) AS rn
            FROM spellings
        )
        SELECT artistnum, artistname FROM ranked WHERE rn = 1 ORDER BY artistnum
    """


def country_streams_sql(table: str = COUNTRY_STREAMS.name) -> str:
    """Positive streams per artist, country and store; names trimmed, stores lower-cased."""
    t = quote_identifier(table)
    streams = _STREAMS
    return f"""
        SELECT CAST(artistnum AS BIGINT) AS artistnum,
               MIN(CAST(artistname AS VARCHAR)) AS artistname,
               TRIM(CAST(countryname AS VARCHAR)) AS countryname,
               LOWER(TRIM(CAST(storename AS VARCHAR))) AS storename,
               SUM({streams}) AS total_streams
        FROM {t}
        WHERE {streams} > 0 AND artistnum IS NOT NULL AND artistnum >= 0
          AND countryname IS NOT NULL AND TRIM(CAST(countryname AS VARCHAR)) <> ''
          AND storename IS NOT NULL AND TRIM(CAST(storename AS VARCHAR)) <> ''
        GROUP BY 1, 3, 4
        ORDER BY 1, 3, 4
    """
