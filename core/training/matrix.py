"""The artist x listener matrix built from cleaned listens, with the listener minimum applied.

Ids in the warehouse are arbitrary integers; here they become dense row and column numbers so
the matrix is as small as the data, and the mapping back is kept beside it.

Built for tens of millions of rows: each batch is narrowed as it arrives (ids to int32 when
they fit, so 16 instead of 24 bytes a row are kept), ids that are dense (the usual case: a
warehouse numbers its users and artists) are mapped with a presence table in O(n) instead of
``np.unique``'s O(n log n) sort, and rows that arrive already ordered by (artist, listener) —
as every warehouse here sends them — become the CSR arrays directly, without COO sorting.
The result is identical, array for array, to the straightforward COO construction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

#: a presence table is used while ``max id + 1`` is at most this many times the number of rows
#: (or below ``_DENSE_FLOOR``), so sparse id spaces (hashes, ...) never allocate a huge table
_DENSE_FACTOR = 4
_DENSE_FLOOR = 1 << 24
_INT32_MAX = np.iinfo(np.int32).max


@dataclass
class ListenMatrix:
    """Raw streams, artists as rows and listeners as columns."""

    streams: sp.csr_matrix
    artist_ids: np.ndarray  # artistnum of each row
    user_ids: np.ndarray  # usernum of each column

    @property
    def listeners(self) -> np.ndarray:
        return np.diff(self.streams.indptr)

    def keep_artists(self, mask: np.ndarray) -> ListenMatrix:
        return ListenMatrix(self.streams[mask], self.artist_ids[mask], self.user_ids)


class _Column:
    """One id column gathered batch by batch, as int32 while every id fits."""

    def __init__(self) -> None:
        self.parts: list[np.ndarray] = []
        self.wide = False
        self.low, self.high = np.iinfo(np.int64).max, np.iinfo(np.int64).min

    def add(self, values: np.ndarray) -> None:
        if len(values) == 0:
            return
        self.low = min(self.low, int(values.min()))
        self.high = max(self.high, int(values.max()))
        if not self.wide and (self.low < 0 or self.high > _INT32_MAX):
            self.wide = True
            self.parts = [p.astype(np.int64) for p in self.parts]
        self.parts.append(values if self.wide else values.astype(np.int32))

    def codes(self) -> tuple[np.ndarray, np.ndarray]:
        """``(sorted distinct ids as int64, int32 code of every value)``; frees the parts."""
        values = np.concatenate(self.parts) if len(self.parts) != 1 else self.parts[0]
        self.parts = []
        span = self.high - self.low + 1
        if span <= max(_DENSE_FLOOR, _DENSE_FACTOR * len(values)):
            shifted = values - values.dtype.type(self.low) if self.low else values
            present = np.zeros(span, bool)
            present[shifted] = True
            ids = np.flatnonzero(present)
            code_of = np.cumsum(present, dtype=np.int32) - 1
            return ids.astype(np.int64) + self.low, code_of[shifted]
        ids, codes = np.unique(values, return_inverse=True)
        return ids.astype(np.int64), codes.astype(np.int32)


def most_listened_first(listeners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(order, rank)``: artist rows from most to fewest listeners (ties by row) and each row's
    place in that order. Numbering artists so keeps the records the sparse products and the
    co-listening kernel touch most often together in cache."""
    order = np.argsort(-np.asarray(listeners), kind="stable")
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    return order, rank


def _ordered(artists: np.ndarray, users: np.ndarray) -> bool:
    """True when (artist, user) pairs strictly increase: sorted rows with no repeated pair."""
    if len(artists) < 2:
        return True
    step = np.diff(artists)
    if (step < 0).any():
        return False
    same = step == 0
    return bool((np.diff(users)[same] > 0).all())


def build_listen_matrix(batches: Iterable[pd.DataFrame]) -> ListenMatrix:
    """Stack cleaned ``(usernum, artistnum, streams)`` batches into a CSR matrix.

    Duplicate pairs are summed again here too, so a warehouse that streams one pair in two
    batches cannot inflate the counts.
    """
    users, artists, streams = _Column(), _Column(), []
    ordered, last = True, None
    for batch in batches:
        u = batch["usernum"].to_numpy(np.int64)
        a = batch["artistnum"].to_numpy(np.int64)
        if len(a) == 0:
            continue
        if ordered:
            ordered = _ordered(a, u) and (last is None or (last[0], last[1]) < (a[0], u[0]))
            last = (a[-1], u[-1])
        users.add(u)
        artists.add(a)
        streams.append(batch["streams"].to_numpy(np.float64))
    if not streams:
        return ListenMatrix(sp.csr_matrix((0, 0)), np.empty(0, np.int64), np.empty(0, np.int64))
    data = np.concatenate(streams) if len(streams) != 1 else streams[0].copy()
    del streams
    user_ids, cols = users.codes()
    artist_ids, rows = artists.codes()
    shape = (len(artist_ids), len(user_ids))
    if ordered:
        # Already the CSR order: the row pointer is a running count of rows per artist.
        indptr = np.zeros(shape[0] + 1, np.int64)
        np.cumsum(np.bincount(rows, minlength=shape[0]), out=indptr[1:])
        del rows
        index_dtype = np.int32 if len(data) <= _INT32_MAX else np.int64
        matrix = sp.csr_matrix(
            (data, cols.astype(index_dtype, copy=False), indptr.astype(index_dtype)), shape=shape
        )
    else:
        matrix = sp.coo_matrix((data, (rows, cols)), shape=shape).tocsr()
        del rows, cols
        matrix.sum_duplicates()
        matrix.sort_indices()
    return ListenMatrix(matrix.astype(np.float64, copy=False), artist_ids, user_ids)
