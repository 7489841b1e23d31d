"""Precomputed nearest artists, so that a similarity query is a lookup, not a computation."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator

from core.progress import ProgressCallback, no_progress

BLOCK_ROWS = 1024
SHARED_BLOCK_ROWS = 256


def top_k_cosine(
    queries: np.ndarray,
    candidates: np.ndarray,
    k: int,
    exclude_self_offset: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` candidates by cosine for each (L2-normalized) query row.

    Scores are clipped to [0, 1]: a negative cosine means the two audiences do not overlap,
    which for our users is "not similar", not "anti-similar". ``exclude_self_offset`` is the
    candidate index of query row 0 when queries are a slice of the candidates.
    """
    k = min(k, len(candidates) - (1 if exclude_self_offset is not None else 0))
    scores = queries @ candidates.T
    if exclude_self_offset is not None:
        rows = np.arange(len(queries))
        scores[rows, rows + exclude_self_offset] = -np.inf
    if k <= 0:
        empty = np.empty((len(queries), 0))
        return empty.astype(np.int32), empty.astype(np.float32)
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    part_scores = np.take_along_axis(scores, part, axis=1)
    # Sort by score, ties broken by candidate index, so results are reproducible.
    order = np.lexsort((part, -part_scores), axis=1)
    idx = np.take_along_axis(part, order, axis=1).astype(np.int32)
    sim = np.clip(np.take_along_axis(part_scores, order, axis=1), 0.0, 1.0).astype(np.float32)
    return idx, sim


class CosineNeighbours(BaseEstimator):
    """Each artist's ``n_neighbours`` most similar artists by cosine of listener features."""

    def __init__(self, n_neighbours: int = 100) -> None:
        self.n_neighbours = n_neighbours

    def fit(
        self, X: np.ndarray, y: object = None, progress: ProgressCallback = no_progress
    ) -> CosineNeighbours:
        X = np.ascontiguousarray(X, dtype=np.float32)
        parts_idx, parts_sim = [], []
        for start in range(0, len(X), BLOCK_ROWS):
            idx, sim = top_k_cosine(
                X[start : start + BLOCK_ROWS], X, self.n_neighbours, exclude_self_offset=start
            )
            parts_idx.append(idx)
            parts_sim.append(sim)
            progress("neighbours", min(1.0, (start + BLOCK_ROWS) / max(len(X), 1)))
        k = min(self.n_neighbours, max(len(X) - 1, 0))
        self.indices_ = np.vstack(parts_idx) if parts_idx else np.empty((0, k), np.int32)
        self.similarities_ = np.vstack(parts_sim) if parts_sim else np.empty((0, k), np.float32)
        return self


def shared_listeners(listened: sp.csr_matrix, indices: np.ndarray) -> np.ndarray:
    """For each artist row and each of its neighbours, how many listeners they have in common.

    Works block by block on the binary matrix so memory stays bounded by the block.
    """
    binary = listened.copy().tocsr()
    binary.data = np.ones_like(binary.data, dtype=np.float32)
    transposed = binary.T.tocsr()
    out = np.zeros(indices.shape, dtype=np.int32)
    for start in range(0, binary.shape[0], SHARED_BLOCK_ROWS):
        stop = start + SHARED_BLOCK_ROWS
        block = (binary[start:stop] @ transposed).toarray()
        rows = np.arange(block.shape[0])[:, None]
        out[start:stop] = block[rows, indices[start:stop]]
    return out
