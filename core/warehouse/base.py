"""The warehouse interface: read the three source tables, write result tables.

Training never sees raw rows: every implementation pushes the input rules (drop NULL, zero or
negative streams and unknown ids; sum duplicate (user, artist) rows) into the warehouse, so only
the cleaned, aggregated listens travel, in batches.
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from core.errors import InsightsError
from core.tables import SOURCE_TABLES, TableContract

LISTEN_COLUMNS = ("usernum", "artistnum", "streams")
COUNTRY_COLUMNS = ("artistnum", "artistname", "countryname", "storename", "total_streams")


@dataclass(frozen=True)
class ListenStats:
    """How many raw rows each input rule removed or merged; shown in the training report."""

    rows_total: int
    rows_null_streams: int
    rows_nonpositive_streams: int
    rows_unknown_ids: int
    rows_kept: int
    pairs: int

    @property
    def rows_duplicate(self) -> int:
        """Rows merged into another row of the same (user, artist) pair."""
        return self.rows_kept - self.pairs

    def as_dict(self) -> dict[str, int]:
        return {**asdict(self), "rows_duplicate": self.rows_duplicate}


class Warehouse(ABC):
    """Where the source tables live and where result tables are written."""

    #: shown in the dashboard sidebar and reports; never contains a secret
    description: str = "warehouse"

    @abstractmethod
    def columns(self, table: str) -> list[str] | None:
        """Column names of ``table`` (lower case), or None when the table does not exist."""

    def check_contract(self, tables: tuple[TableContract, ...] = SOURCE_TABLES) -> None:
        """Fail early, naming the table and column, when a source table breaks the contract."""
        from core.errors import ContractError

        for contract in tables:
            present = self.columns(contract.name)
            if present is None:
                raise ContractError(
                    f"table {contract.name} not found in {self.description}; "
                    f"expected {contract.description} with columns {', '.join(contract.columns)}"
                )
            contract.check_columns(present)

    @abstractmethod
    def listen_stats(self) -> ListenStats:
        """Counts of raw rows per input rule, computed in the warehouse."""

    @abstractmethod
    def iter_listens(self, batch_rows: int = 1_000_000) -> Iterator[pd.DataFrame]:
        """Cleaned listens ``(usernum, artistnum, streams)``, one row per pair, in batches."""

    @abstractmethod
    def artist_names(self) -> pd.DataFrame:
        """``(artistnum, artistname)``, one row per artist id found in the listens table."""

    @abstractmethod
    def artist_genres(self) -> pd.DataFrame:
        """``(artistname, countrylist, genreid)`` from ARTIST_IDS_SINGLE_GENRE."""

    @abstractmethod
    def country_streams(self) -> pd.DataFrame:
        """Positive streams per ``(artistnum, artistname, countryname, storename)``, summed."""

    @abstractmethod
    def row_count(self, table: str) -> int:
        """Rows in ``table``; used to choose between in-memory and pushed-down training."""

    @abstractmethod
    def write_table(self, table: str, frame: pd.DataFrame) -> None:
        """Replace ``table`` with ``frame`` so readers see either the old or the new table whole."""

    def pushdown_runner(self, memory_limit: str | None = None) -> contextlib.AbstractContextManager[Any]:
        """A context manager yielding a ``core.warehouse.pushdown_sql.Runner`` on this
        warehouse, for training pushed down into it."""
        raise InsightsError(f"{self.description} cannot run training pushed down")

    def read_table(self, table: str) -> pd.DataFrame:
        """A whole (small) result table; for checks and the dashboard."""
        raise NotImplementedError

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
