"""The warehouse interface: read the three source tables, write result tables.

Training never sees raw rows: every implementation pushes the input rules (drop NULL,
non-numeric, non-finite, zero or negative streams and unknown ids; sum duplicate (user, artist)
rows) into the warehouse, so only the cleaned, aggregated listens travel, in batches. Names are
then made keys by one shared layer (``core.warehouse.validation``), whatever the warehouse.
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
from core.warehouse import validation
from core.warehouse.validation import COUNTRY_COLUMNS

__all__ = ["COUNTRY_COLUMNS", "LISTEN_COLUMNS", "ListenStats", "Warehouse"]

LISTEN_COLUMNS = ("usernum", "artistnum", "streams")


@dataclass(frozen=True)
class ListenStats:
    """How many raw rows each input rule removed or merged; shown in the training report."""

    rows_total: int
    #: NULL, or text that is not a number
    rows_null_streams: int
    rows_nonpositive_streams: int
    rows_unknown_ids: int
    rows_kept: int
    #: distinct (listener, artist) pairs among the kept rows; None when not counted here
    #: (the in-memory training counts them as it builds the matrix)
    pairs: int | None
    #: NaN, +Infinity or -Infinity
    rows_nonfinite_streams: int = 0

    @property
    def rows_duplicate(self) -> int | None:
        """Rows merged into another row of the same (user, artist) pair."""
        return None if self.pairs is None else self.rows_kept - self.pairs

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
    def listen_stats(self, count_pairs: bool = True) -> ListenStats:
        """Counts of raw rows per input rule, computed in the warehouse. ``count_pairs=False``
        leaves ``pairs`` to the caller: a distinct count holds every pair at once (gigabytes
        at 50M rows) and a caller that builds the matrix gets it for free."""

    @abstractmethod
    def iter_listens(self, batch_rows: int = 1_000_000) -> Iterator[pd.DataFrame]:
        """Cleaned listens ``(usernum, artistnum, streams)`` in batches. A pair may arrive in
        several rows (``core.training.matrix.build_listen_matrix`` sums them)."""

    def artist_names(self) -> pd.DataFrame:
        """``(artistnum, artistname)``, one row per artist id found in the listens table.

        The most frequent cleaned spelling wins (``validation.clean_artist_names``).
        """
        return validation.clean_artist_names(self._artist_spellings())

    def artist_genres(self) -> pd.DataFrame:
        """``(artistname, countrylist, genreid)``: one row per cleaned artist name."""
        frame, counts = validation.clean_genres(self._genre_rows())
        self._record(counts)
        return frame

    def country_streams(self) -> pd.DataFrame:
        """Usable streams per ``(artistnum, artistname, countryname, storename)``, summed, with
        names made keys (``validation.clean_country_streams``)."""
        raw, dropped = self._country_rows()
        frame, counts = validation.clean_country_streams(raw)
        self._record({"country_rows_unusable": dropped, **counts})
        return frame

    def ingest_counts(self) -> dict[str, int]:
        """What the name rules dropped or merged in the tables read so far (for the report)."""
        return dict(getattr(self, "_ingest_counts", {}))

    def _record(self, counts: dict[str, int]) -> None:
        self._ingest_counts = {**self.ingest_counts(), **counts}

    @abstractmethod
    def _artist_spellings(self) -> pd.DataFrame:
        """``(artistnum, artistname, n)``: raw rows per valid artist id and raw spelling."""

    @abstractmethod
    def _genre_rows(self) -> pd.DataFrame:
        """Every row of ARTIST_IDS_SINGLE_GENRE as text ``(artistname, countrylist, genreid)``."""

    @abstractmethod
    def _country_rows(self) -> tuple[pd.DataFrame, int]:
        """Usable rows of COUNTRY_ARTIST_STREAMS_BY_STORE summed per raw spelling
        (``COUNTRY_COLUMNS``), and the number of rows the streams/id/NULL-name rules dropped."""

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
