"""Top-k selection: the k best entries of dense rows or of CSR rows, best first, ties to the
lower column, so every execution of a similarity ranks its scores the same way."""

from __future__ import annotations

import numba
import numpy as np


def top_k_indices(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest scores, best first, ties to the lower index."""
    k = min(k, len(scores))
    if k <= 0:
        return np.empty(0, np.int64)
    part = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    # argpartition may cut a tie arbitrarily: take every index tied with the k-th score.
    kth = scores[part].min()
    part = np.flatnonzero(scores >= kth)
    order = np.lexsort((part, -scores[part]))
    return part[order][:k]


#: columns sampled to find a score threshold that every row's top-k clears (``top_k_rows``)
SAMPLE_COLUMNS = 16_384


def top_k_rows(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each dense row's ``k`` best columns and scores, best first, ties to the lower column.

    The ``k``-th best among every ``stride``-th column can only be at or below the row's true
    ``k``-th best, so only the entries at or above it are sorted: exact, not approximate.
    """
    stride = scores.shape[1] // SAMPLE_COLUMNS
    if stride < 2 or 4 * k > SAMPLE_COLUMNS or k == 0:
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k] if k else scores[:, :0].astype(int)
        part_scores = np.take_along_axis(scores, part, axis=1)
        order = np.lexsort((part, -part_scores), axis=1)
        return np.take_along_axis(part, order, axis=1), np.take_along_axis(part_scores, order, axis=1)
    sample = scores[:, ::stride]
    cut = sample.shape[1] - k
    threshold = np.partition(sample, cut, axis=1)[:, cut]
    flat = np.flatnonzero(scores >= threshold[:, None])
    rows, cols = np.divmod(flat, scores.shape[1])
    values = scores.reshape(-1)[flat]
    order = np.lexsort((-values, rows))  # stable: equal scores keep nonzero's column order
    rows, cols, values = rows[order], cols[order], values[order]
    take = np.searchsorted(rows, np.arange(len(scores)))[:, None] + np.arange(k)
    return cols[take], values[take]


@numba.njit(cache=True, nogil=True)
def best_of(columns: np.ndarray, values: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` largest ``values`` (best first, ties to the lower column)."""
    n = len(values)
    if n == 0 or k <= 0:
        return np.empty(0, np.int64)
    if n > k:
        threshold = np.partition(-values, k - 1)[k - 1]
        survivors = np.flatnonzero(-values <= threshold)
    else:
        survivors = np.arange(n)
    by_column = survivors[np.argsort(columns[survivors], kind="mergesort")]
    order = by_column[np.argsort(-values[by_column], kind="mergesort")]
    return order[:k]


@numba.njit(cache=True, parallel=True)
def csr_top_k(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, rows: np.ndarray,
              allowed: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each of ``rows``: its ``k`` best positive entries among ``allowed`` columns.

    Returns ``(columns, scores, positions)`` of shape ``(len(rows), k)``; padding is column -1,
    score 0 and position -1 (positions index ``data``, to look up values stored beside it).
    """
    n = len(rows)
    out_idx = np.full((n, k), -1, np.int32)
    out_sim = np.zeros((n, k), np.float32)
    out_pos = np.full((n, k), -1, np.int64)
    for i in numba.prange(n):
        row = rows[i]
        start, stop = indptr[row], indptr[row + 1]
        count = 0
        for p in range(start, stop):
            if data[p] > 0 and allowed[indices[p]] and indices[p] != row:
                count += 1
        positions = np.empty(count, np.int64)
        count = 0
        for p in range(start, stop):
            if data[p] > 0 and allowed[indices[p]] and indices[p] != row:
                positions[count] = p
                count += 1
        best = best_of(indices[positions], data[positions], k)
        for j in range(len(best)):
            p = positions[best[j]]
            out_idx[i, j] = indices[p]
            out_sim[i, j] = data[p]
            out_pos[i, j] = p
    return out_idx, out_sim, out_pos
