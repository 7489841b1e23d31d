"""Listener features: a truncated SVD of the weighted artist x listener matrix."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

from core.training.matrix import most_listened_first
from core.training.parallel import ListenerChunks
from core.training.random_signs import coefficients

#: power iterations and extra random directions, in memory and pushed down (``PushdownSVD``)
N_ITER = 2
OVERSAMPLES = 128


class SVDFeatures(TransformerMixin, BaseEstimator):
    """Artist features ``U·Σ`` from a randomized truncated SVD (Halko, Martinsson & Tropp).

    The number of components is capped by the matrix size so small data (tests, a new label's
    first export) trains instead of failing. ``keep_components``: also learn the listener
    loadings ``components_`` (for ``transform``), a listeners x k array the pipeline never
    reads.

    Written out instead of calling ``TruncatedSVD`` because at tens of millions of listens the
    sparse products dominate training: here they run in float32 on one listener-major copy of
    A, on every core (``core.training.parallel.ListenerChunks``), and the orthonormalization is
    a QR of the small artist-side matrix only. The random test matrix is a function of the
    listener ids (``core.training.random_signs``), the one the warehouse computes pushed down,
    so both executions find the same features.
    """

    def __init__(self, n_components: int = 128, n_iter: int = N_ITER, random_state: int = 0,
                 n_oversamples: int = OVERSAMPLES, keep_components: bool = True) -> None:
        self.n_components = n_components
        self.n_iter = n_iter
        self.random_state = random_state
        self.n_oversamples = n_oversamples
        self.keep_components = keep_components

    def fit(self, X: sp.spmatrix, y: object = None,
            listener_ids: np.ndarray | None = None) -> SVDFeatures:
        self.fit_transform(X, listener_ids=listener_ids)
        return self

    def fit_transform(self, X: sp.spmatrix, y: object = None,
                      listener_ids: np.ndarray | None = None) -> np.ndarray:
        """``listener_ids``: the id of each column of ``X`` (default: its position), which
        draws the column's row of the random test matrix."""
        k = max(1, min(self.n_components, min(X.shape) - 1))
        A32 = sp.csr_matrix(X, dtype=np.float32)
        n = X.shape[0]
        col_sums = np.asarray(A32.sum(axis=0, dtype=np.float64)).ravel()
        squares = float(A32.data.astype(np.float64) @ A32.data)
        # most listened artists first (the listener side is read in order); undone on the way out
        _, rank = most_listened_first(np.diff(A32.indptr))
        A = ListenerChunks(A32, row_rank=rank)
        del A32
        width = min(k + self.n_oversamples, min(X.shape))
        ids = np.arange(X.shape[1]) if listener_ids is None else np.asarray(listener_ids)
        if len(ids) != X.shape[1]:
            raise ValueError(f"{len(ids)} listener ids for {X.shape[1]} columns")
        coeffs = coefficients(width, self.random_state)
        # the listener-side matrices (Ω, Aᵀ·Q: a gigabyte each at 50M listens) are only ever
        # made a block of listeners at a time, inside the fused products
        Y = A.dot_signs(ids, coeffs)
        for _ in range(self.n_iter):
            Y = A.gram_dot(orthonormalize(Y, passes=1).astype(np.float32))
        Q = orthonormalize(Y)
        # Qᵀ·A = Zᵀ with Z = Aᵀ·Q (listeners x width): Zᵀ·Z = Ub·Σ²·Ubᵀ, U = Q·Ub, V = Z·Ub/Σ
        Q32 = Q.astype(np.float32)
        features, sigma, Ub = ritz(Q, A.tgram(Q32), k)
        features = features[rank]
        if self.keep_components:  # the listener loadings V = Z·Ub/Σ (listeners x k)
            V = A.tdot(Q32 @ Ub.astype(np.float32))
            V /= np.where(sigma > 0, sigma, 1.0).astype(np.float32)
            self.components_ = V.T
        total_var = squares / n - float(col_sums @ col_sums) / n**2
        self.n_components_ = k
        self.singular_values_ = sigma
        self.explained_variance_ratio_ = features.var(axis=0) / total_var
        return features.astype(np.float32)

    def transform(self, X: sp.spmatrix) -> np.ndarray:
        return (X @ self.components_.T).astype(np.float32)


def ritz(Q: np.ndarray, gram: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(U·Σ, Σ, Ub)`` from the Rayleigh-Ritz step of a randomized SVD: ``gram`` is
    ``Qᵀ·A·Aᵀ·Q`` (its lower triangle is read), ``U = Q·Ub`` its top ``k`` directions with the
    signs fixed by U, so the in-memory and pushed-down SVDs give the same features."""
    eigenvalues, vectors = np.linalg.eigh(gram)
    order = np.argsort(eigenvalues)[::-1][:k]
    sigma = np.sqrt(np.clip(eigenvalues[order], 0.0, None))
    vectors = vectors[:, order]
    U = Q @ vectors
    signs = flip_signs(U)
    return U * (signs * sigma), sigma, vectors * signs


def flip_signs(U: np.ndarray) -> np.ndarray:
    """±1 per column making each column's largest-magnitude entry positive (scikit-learn's
    ``svd_flip`` by U): an SVD's signs are arbitrary, and this makes them reproducible."""
    top = U[np.argmax(np.abs(U), axis=0), np.arange(U.shape[1])]
    return np.where(top < 0, -1.0, 1.0)


def orthonormalize(Y: np.ndarray, passes: int = 2) -> np.ndarray:
    """Orthonormal columns spanning ``Y`` (tall and thin), through its small Gram matrix.

    Twice-applied Cholesky-style QR (here with ``eigh``, which also drops directions that
    vanished): two GEMMs and a tiny eigenproblem, where LAPACK's Householder QR of a 100,000 x
    128 matrix was measured at seconds on this project's 2-core machines. ``passes=1`` between
    power iterations, where only the span and its conditioning matter (the second pass
    restores orthogonality to machine precision, which only the last basis needs).
    """
    Y = np.asarray(Y, np.float64)
    for _ in range(passes):
        w, V = np.linalg.eigh(Y.T @ Y)
        keep = w > max(w.max(), 0.0) * 1e-12
        Y = Y @ (V[:, keep] / np.sqrt(w[keep]))
    return Y


