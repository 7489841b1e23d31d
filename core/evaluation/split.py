"""The held-out-listens split: part of every active listener's artists hidden from training.

Holding out artists per listener (rather than whole listeners) is what the product does with a
similarity list: start from artists someone already plays and guess the ones they also play.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


@dataclass
class HoldoutSplit:
    """``train`` is the artist x listener matrix with test pairs removed (same shape as input).

    ``test`` is a listener x artist CSR of the hidden pairs (value 1); ``users`` the listeners
    that have any, in ascending order.
    """

    train: sp.csr_matrix
    test: sp.csr_matrix
    users: np.ndarray

    def test_items(self, user: int) -> np.ndarray:
        start, stop = self.test.indptr[user], self.test.indptr[user + 1]
        return self.test.indices[start:stop]


def holdout_split(
    artist_user: sp.spmatrix,
    fraction: float = 0.2,
    min_artists: int = 5,
    random_state: int = 0,
) -> HoldoutSplit:
    """Hide ``floor(fraction * n)`` (at least one) random artists of every listener with ``n >=
    min_artists`` artists.

    Listeners below ``min_artists`` keep everything: with fewer artists there is too little left
    to start from, and their few listens still help train. One generator walks the listeners in
    column order, so the same seed on the same matrix gives the same split.
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError("fraction must be in (0, 1)")
    by_user = sp.csr_matrix(artist_user).T.tocsr()
    by_user.sort_indices()
    rng = np.random.default_rng(random_state)
    keep = np.ones(by_user.nnz, dtype=bool)
    test_rows: list[np.ndarray] = []
    test_cols: list[np.ndarray] = []
    for user in range(by_user.shape[0]):
        start, stop = by_user.indptr[user], by_user.indptr[user + 1]
        n = stop - start
        if n < min_artists:
            continue
        n_test = max(1, int(np.floor(fraction * n + 1e-9)))
        picked = start + rng.choice(n, size=n_test, replace=False)
        keep[picked] = False
        test_rows.append(np.full(n_test, user))
        test_cols.append(by_user.indices[picked])
    coo = by_user.tocoo()
    train = sp.csr_matrix(
        (coo.data[keep], (coo.row[keep], coo.col[keep])), shape=by_user.shape
    ).T.tocsr()
    train.sort_indices()
    rows = np.concatenate(test_rows) if test_rows else np.empty(0, np.int64)
    cols = np.concatenate(test_cols) if test_cols else np.empty(0, np.int64)
    test = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=by_user.shape)
    test.sort_indices()
    return HoldoutSplit(train=train, test=test, users=np.unique(rows))
