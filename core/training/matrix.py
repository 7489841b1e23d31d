"""The artist x listener matrix built from cleaned listens, with the listener minimum applied.

Ids in the warehouse are arbitrary integers; here they become dense row and column numbers so
the matrix is as small as the data, and the mapping back is kept beside it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp


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


def build_listen_matrix(batches: Iterable[pd.DataFrame]) -> ListenMatrix:
    """Stack cleaned ``(usernum, artistnum, streams)`` batches into a CSR matrix.

    Duplicate pairs are summed again here too, so a warehouse that streams one pair in two
    batches cannot inflate the counts.
    """
    users, artists, streams = [], [], []
    for batch in batches:
        users.append(batch["usernum"].to_numpy(np.int64))
        artists.append(batch["artistnum"].to_numpy(np.int64))
        streams.append(batch["streams"].to_numpy(np.float64))
    if not users:
        return ListenMatrix(sp.csr_matrix((0, 0)), np.empty(0, np.int64), np.empty(0, np.int64))
    user_ids, cols = np.unique(np.concatenate(users), return_inverse=True)
    artist_ids, rows = np.unique(np.concatenate(artists), return_inverse=True)
    matrix = sp.coo_matrix(
        (np.concatenate(streams), (rows, cols)), shape=(len(artist_ids), len(user_ids))
    ).tocsr()
    matrix.sum_duplicates()
    matrix.sort_indices()
    return ListenMatrix(matrix.astype(np.float64), artist_ids, user_ids)
