"""The interface every artist-to-artist similarity follows, and the shared top-k around it.

scikit-learn conventions: ``__init__`` only stores settings, ``fit(X)`` takes the raw artist x
listener stream matrix (CSR) and returns ``self``, learned attributes end in ``_``.
``similar(top_k)`` gives every artist its ``top_k`` most similar artists (indices, -1 padded)
and scores in [0, 1], best first; only positive scores count as "similar".
"""

from __future__ import annotations

import threading
from abc import abstractmethod

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator

from core.training.parallel import parallel_map
from core.training.similarity.topk import csr_top_k, top_k_rows

#: rows scored at once by dense methods: 256 x 100,000 float32 scores is 100 MB per core
BLOCK_ROWS = 256


class SimilarityMethod(BaseEstimator):
    """Base of dense methods: subclasses implement ``fit`` and ``score_block``.

    ``similar`` drops the artist itself, anything non-positive and, if asked, every artist
    outside ``candidates`` (the map searches only artists with chart data).
    """

    n_artists_: int

    @abstractmethod
    def fit(self, X: sp.spmatrix, y: object = None) -> SimilarityMethod:
        """Learn from the artist x listener stream matrix; returns ``self``."""

    def score_rows(self, rows: np.ndarray) -> np.ndarray:
        return self.score_block(rows, None)

    def score_block(
        self, rows: np.ndarray, columns: np.ndarray | None, out: np.ndarray | None = None
    ) -> np.ndarray:
        """Scores of ``rows`` against ``columns`` (all artists when None); ``out`` is a float32
        buffer of the result's shape a method may write into."""
        scores = self.score_rows(rows)
        return scores if columns is None else scores[:, columns]

    def similar(
        self,
        top_k: int = 50,
        rows: np.ndarray | None = None,
        candidates: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(idx, scores)`` of shape ``(len(rows), top_k)``, best first, ties to the lower index."""
        rows, allowed = self._rows_and_mask(rows, candidates)
        k = max(0, min(top_k, self.n_artists_ - 1))
        idx = np.full((len(rows), top_k), -1, np.int32)
        sim = np.zeros((len(rows), top_k), np.float32)
        if k == 0:
            return idx, sim
        columns = None if allowed is None else np.flatnonzero(allowed)
        scratch = threading.local()

        def one_block(start: int) -> None:
            block = rows[start : start + BLOCK_ROWS]
            width = self.n_artists_ if columns is None else len(columns)
            # one score buffer per thread: a fresh 100 MB array per block costs page faults
            if getattr(scratch, "buffer", None) is None or scratch.buffer.shape[0] < len(block):
                scratch.buffer = np.empty((len(block), width), np.float32)
            scores = self.score_block(block, columns, out=scratch.buffer[: len(block)])
            scores = np.asarray(scores, dtype=np.float32)
            if columns is None:
                scores[np.arange(len(block)), block] = -np.inf
            else:
                own = np.minimum(np.searchsorted(columns, block), len(columns) - 1)
                mine = columns[own] == block
                scores[np.flatnonzero(mine), own[mine]] = -np.inf
            kk = min(k, scores.shape[1])
            top, top_scores = top_k_rows(scores, kk)
            if columns is not None:
                top = columns[top]
            good = top_scores > 0
            idx[start : start + len(block), :kk] = np.where(good, top, -1)
            sim[start : start + len(block), :kk] = np.where(good, top_scores, 0.0)

        parallel_map(one_block, range(0, len(rows), BLOCK_ROWS))
        return idx, sim

    def _rows_and_mask(
        self, rows: np.ndarray | None, candidates: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray | None]:
        rows = np.arange(self.n_artists_) if rows is None else np.asarray(rows, dtype=np.int64)
        if candidates is None:
            return rows, None
        allowed = np.zeros(self.n_artists_, bool)
        allowed[np.asarray(candidates)] = True
        return rows, allowed


class SparseSimilarity(SimilarityMethod):
    """Methods that learn a sparse ``similarity_`` matrix: top-k is read row by row from it
    (compiled, every core), no dense n x n block needed."""

    similarity_: sp.csr_matrix

    def score_rows(self, rows: np.ndarray) -> np.ndarray:
        return self.similarity_[rows].toarray()

    def similar(
        self,
        top_k: int = 50,
        rows: np.ndarray | None = None,
        candidates: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        idx, sim, _ = self._similar_positions(top_k, rows, candidates)
        return idx, sim

    def _similar_positions(
        self, top_k: int, rows: np.ndarray | None, candidates: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rows, allowed = self._rows_and_mask(rows, candidates)
        if allowed is None:
            allowed = np.ones(self.n_artists_, bool)
        matrix = sp.csr_matrix(self.similarity_)
        return csr_top_k(matrix.indptr.astype(np.int64), matrix.indices, matrix.data,
                         rows.astype(np.int64), allowed, int(top_k))
