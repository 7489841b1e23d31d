"""Weights of the listen matrix used by the similarities, written once: binary, BM25, and the
per-listener cap that bounds the co-listening work on heavy-tailed tables (log1p, the SVD's
input, is ``core.training.weighting.LogWeighting``)."""

from __future__ import annotations

import numba
import numpy as np
import scipy.sparse as sp


def binary(X: sp.spmatrix) -> sp.csr_matrix:
    out = sp.csr_matrix(X, dtype=np.float64, copy=True)
    out.data = np.ones_like(out.data)
    return out


def bm25_weight(X: sp.spmatrix, k1: float = 100.0, b: float = 0.8) -> sp.csr_matrix:
    """BM25 on an artist x listener matrix (artists are the "documents"), as ``implicit`` does.

    The idf term down-weights listeners who play everything; the length norm keeps big
    artists from dominating. ``core.warehouse.pushdown_sql.capped_sql`` spells the same formula.
    """
    X = sp.csr_matrix(X, dtype=np.float64)
    n = float(X.shape[0])
    counts = np.bincount(X.indices, minlength=X.shape[1])
    idf = np.log(n) - np.log1p(counts)
    row_sums = np.ravel(X.sum(axis=1))
    length_norm = (1.0 - b) + b * row_sums / max(row_sums.mean(), 1e-12)
    # x (k1 + 1) / (k1 L + x) idf, in place: at 50M listens each temporary is 400 MB
    denominator = np.repeat(k1 * length_norm, np.diff(X.indptr))
    denominator += X.data
    data = X.data * (k1 + 1.0)
    data /= denominator
    del denominator
    data *= idf[X.indices]
    return sp.csr_matrix((data, X.indices, X.indptr), shape=X.shape)


@numba.njit(cache=True, parallel=True)
def _cap_mask(indptr: np.ndarray, artists: np.ndarray, streams: np.ndarray, cap: int) -> np.ndarray:
    keep = np.ones(len(artists), np.bool_)
    for u in numba.prange(len(indptr) - 1):
        start, stop = indptr[u], indptr[u + 1]
        if stop - start <= cap:
            continue
        segment = np.arange(start, stop)
        by_artist = segment[np.argsort(artists[segment], kind="mergesort")]
        order = by_artist[np.argsort(-streams[by_artist], kind="mergesort")]
        for p in order[cap:]:
            keep[p] = False
    return keep


def cap_listeners(X: sp.spmatrix, cap: int | None) -> sp.csr_matrix:
    """Each listener's ``cap`` most-streamed artists (ties to the lower artist row); the rest
    of a heavy listener's row is dropped. ``None`` or 0 keeps everything.

    Why: co-listening work grows with the sum over listeners of (artists per listener)^2, so
    on real heavy-tailed tables a few listeners who stream thousands of artists cost more than
    everyone else together while saying little about any one pair (Mahout's ``maxPrefs``).
    """
    X = sp.csr_matrix(X)
    if not cap or X.nnz == 0:
        return X
    # counted before transposing: on most tables no listener is over the cap
    if np.bincount(X.indices, minlength=X.shape[1]).max(initial=0) <= cap:
        return X
    by_listener = X.T.tocsr()
    counts = np.diff(by_listener.indptr)
    by_listener.sort_indices()
    keep = _cap_mask(by_listener.indptr.astype(np.int64), by_listener.indices,
                     by_listener.data, int(cap))
    rows = np.repeat(np.arange(by_listener.shape[0]), counts)
    indptr = np.zeros(by_listener.shape[0] + 1, np.int64)
    np.cumsum(np.bincount(rows[keep], minlength=by_listener.shape[0]), out=indptr[1:])
    kept = sp.csr_matrix((by_listener.data[keep], by_listener.indices[keep], indptr),
                         shape=by_listener.shape)
    return kept.T.tocsr()

