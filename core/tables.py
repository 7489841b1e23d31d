"""The three source tables: names and columns are a contract with users' warehouses.

Column names are compared case-insensitively because Snowflake upper-cases unquoted identifiers
while DuckDB and Parquet keep the case they were given.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from core.errors import ContractError


@dataclass(frozen=True)
class TableContract:
    name: str
    columns: tuple[str, ...]
    description: str

    def check_columns(self, present: Iterable[str]) -> None:
        """Raise ``ContractError`` naming the table and every missing column."""
        have = {c.lower() for c in present}
        missing = [c for c in self.columns if c not in have]
        if missing:
            raise ContractError(
                f"table {self.name} is missing column(s) {', '.join(missing)}; "
                f"expected columns: {', '.join(self.columns)}"
            )


USER_ARTIST_STREAMS = TableContract(
    "USER_ARTIST_STREAMS_FILTERED_WITH_IDS",
    ("artistname", "artistnum", "userid", "usernum", "total_streams"),
    "one row per (listener, artist): how often that listener streamed that artist",
)
ARTIST_GENRES = TableContract(
    "ARTIST_IDS_SINGLE_GENRE",
    ("artistname", "countrylist", "genreid"),
    "one row per artist: comma-separated countries it is played in, and its genre",
)
COUNTRY_STREAMS = TableContract(
    "COUNTRY_ARTIST_STREAMS_BY_STORE",
    ("artistnum", "artistname", "countryname", "storename", "total_streams"),
    "streams per artist, country and store (e.g. spotify, itunes/apple)",
)

SOURCE_TABLES: tuple[TableContract, ...] = (USER_ARTIST_STREAMS, ARTIST_GENRES, COUNTRY_STREAMS)
