"""The default similarity: co-listening signals with an evidence factor, plus feature cosine.

Why these signals: RP3beta ranks by where a listener's random walk lands (finds co-listened
artists); BM25 overlap weights shared listeners by how selective they are (helps the map); the
cosine of listener features adds how alike whole audiences are (helps tags and held-out
recall); the support factor keeps a pair seen through one or two listeners from outranking
well-supported pairs, and the audience prior keeps artists with one or two listeners (and no
chart data to vouch for them) from crowding out well-known ones. Chosen and tuned with
``core.evaluation`` (``benchmarks/quality.py``).

One definition, two executions: ``fit`` computes the candidate table in memory with the
compiled kernel; ``fit_candidates`` takes the same table computed in the warehouse
(``core.training.pushdown``); both end in the same ``finish``.
"""

from __future__ import annotations

import numba
import numpy as np
import scipy.sparse as sp

from core.training.matrix import most_listened_first
from core.training.similarity import colistening
from core.training.similarity.base import SparseSimilarity
from core.training.similarity.cosine import unit_features
from core.training.similarity.weights import bm25_weight, cap_listeners


class HybridSimilarity(SparseSimilarity):
    """Support-weighted RP3beta + BM25 overlap over co-listened pairs, re-ranked with feature
    cosine among each artist's best candidates.

    Parameters
    ----------
    beta : popularity penalty of the RP3beta walk (``listeners(b) ** -beta``).
    svd_weight, bm25_weight : weights of the feature cosine and the BM25 overlap beside the
        walk (each signal is scaled to a row maximum of 1 first).
    k1, b : BM25 saturation and length normalization.
    shrinkage : the support factor ``shared / (shared + shrinkage)``; 0 switches it off.
    listener_prior : the factor ``listeners(b) / (listeners(b) + listener_prior)`` on pairs
        whose other artist has a thin audience and no market data (an artist that charts is
        known beyond this sample, and a thin charting artist is the map's best peer for its
        listener's other artists); 0 switches it off.
    listener_cap : a listener's most-streamed artists kept for co-listening (``None``: all).
    n_candidates, n_market_candidates : candidates kept per artist, and extra ones among the
        ``market`` artists given to ``fit`` (the map's peers); ``similar`` is exact within them.
    n_components, random_state, normalize_listeners : the SVD (of the pipeline's weighting,
        ``core.training.weighting.LogWeighting``) used when ``fit`` is given no features.
    """

    def __init__(
        self,
        beta: float = 0.3,
        svd_weight: float = 2.0,
        bm25_weight: float = 0.3,
        k1: float = 100.0,
        b: float = 0.8,
        shrinkage: float = 0.5,
        listener_prior: float = 1.0,
        listener_cap: int | None = 500,
        n_candidates: int = 100,
        n_market_candidates: int = 50,
        n_components: int = 128,
        random_state: int = 0,
        normalize_listeners: bool = True,
    ) -> None:
        self.beta = beta
        self.svd_weight = svd_weight
        self.bm25_weight = bm25_weight
        self.k1 = k1
        self.b = b
        self.shrinkage = shrinkage
        self.listener_prior = listener_prior
        self.listener_cap = listener_cap
        self.n_candidates = n_candidates
        self.n_market_candidates = n_market_candidates
        self.n_components = n_components
        self.random_state = random_state
        self.normalize_listeners = normalize_listeners

    def fit(
        self,
        X: sp.spmatrix,
        y: object = None,
        features: np.ndarray | None = None,
        market: np.ndarray | None = None,
    ) -> HybridSimilarity:
        """``features``: L2-normalized feature rows the caller already has (the pipeline's),
        so the factorization is not computed twice; ``market``: rows (or a mask) of artists
        with market data, whose best candidates are kept beside the overall best."""
        X = sp.csr_matrix(X, dtype=np.float64)
        n = X.shape[0]
        features = self._features(X, features)
        in_market = _mask(market, n)
        capped = cap_listeners(X, self.listener_cap)
        weights = bm25_weight(capped, self.k1, self.b)
        popularity = np.diff(capped.indptr).astype(np.float64)
        # most listened first (the listener side is renumbered in place; the artist side is
        # read through ``labels``)
        labels, rank = most_listened_first(popularity)
        by_listener = weights.T.tocsr()
        by_listener.indices = rank.astype(np.int32)[by_listener.indices]
        listener_artists = np.diff(by_listener.indptr).astype(np.float64)
        inv_listener_artists = np.divide(1.0, listener_artists, out=np.zeros_like(listener_artists),
                                         where=listener_artists > 0)
        popularity_beta = np.zeros(n)
        np.power(popularity, -self.beta, out=popularity_beta, where=popularity > 0)
        prior = self.prior(popularity, in_market)
        others, s1, shared = colistening.candidates(
            weights.indptr.astype(np.int64), weights.indices, weights.data,
            by_listener.indptr.astype(np.int64), by_listener.indices, by_listener.data,
            inv_listener_artists, popularity_beta[labels], prior,
            in_market, labels.astype(np.int64),
            float(self.bm25_weight), float(self.shrinkage),
            int(self.n_candidates), int(self.n_market_candidates) if market is not None else 0,
            16 * numba.get_num_threads(),
        )
        # the listener-side copies are the largest arrays alive here (a gigabyte at 50M
        # listens); the candidates are artist-side
        del X, capped, weights, by_listener
        valid = others >= 0
        indptr = np.zeros(n + 1, np.int64)
        np.cumsum(valid.sum(axis=1), out=indptr[1:])
        others, s1, shared = others[valid], s1[valid], shared[valid]
        del valid
        return self._finish(n, indptr, others, s1, shared, features, prior)

    def fit_candidates(
        self, n_artists: int, rows: np.ndarray, others: np.ndarray, s1: np.ndarray,
        shared: np.ndarray, features: np.ndarray, listeners: np.ndarray,
        market: np.ndarray | None = None,
    ) -> HybridSimilarity:
        """The same model from a candidate table computed elsewhere (the warehouse): one row
        per (artist row, other row) with its candidate score ``s1`` and shared listeners;
        ``listeners`` per artist row as the co-listening counted them (after the cap);
        ``market`` the rows (or mask) of artists with market data, as given to ``fit``."""
        rows, others = np.asarray(rows, np.int64), np.asarray(others)
        s1, shared = np.asarray(s1, np.float64), np.asarray(shared)
        if len(rows) and (np.diff(rows) < 0).any():  # grouped by artist is all that is needed
            order = np.argsort(rows, kind="stable")
            rows, others, s1, shared = rows[order], others[order], s1[order], shared[order]
        indptr = np.zeros(n_artists + 1, np.int64)
        np.cumsum(np.bincount(rows, minlength=n_artists), out=indptr[1:])
        prior = self.prior(np.asarray(listeners, np.float64), _mask(market, n_artists))
        return self._finish(n_artists, indptr, others.astype(np.int32), s1,
                            shared.astype(np.int32), features, prior)

    def neighbours(
        self, top_k: int, rows: np.ndarray | None = None, candidates: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``similar`` plus the shared listeners of every listed pair (0 for padding)."""
        idx, sim, positions = self._similar_positions(top_k, rows, candidates)
        shared = np.where(positions >= 0, self.shared_[np.maximum(positions, 0)], 0)
        return idx, sim, shared.astype(np.int32)

    def _features(self, X: sp.csr_matrix, features: np.ndarray | None) -> np.ndarray:
        if features is not None:
            return np.ascontiguousarray(features, dtype=np.float32)
        if not self.svd_weight:
            return np.zeros((X.shape[0], 1), np.float32)
        return unit_features(X, self.n_components, self.random_state, self.normalize_listeners)

    def prior(self, listeners: np.ndarray, market: np.ndarray | None = None) -> np.ndarray:
        """``listeners / (listeners + listener_prior)`` per artist, 1 for artists in the
        ``market`` mask (ones when switched off); the SQL spells the same
        (``core.warehouse.pushdown_sql.artist_terms_sql``)."""
        listeners = np.asarray(listeners, np.float64)
        if not self.listener_prior:
            return np.ones_like(listeners)
        prior = listeners / (listeners + float(self.listener_prior))
        if market is not None:
            prior[np.asarray(market, bool)] = 1.0
        return prior

    def _finish(self, n: int, indptr: np.ndarray, others: np.ndarray, s1: np.ndarray,
                shared: np.ndarray, features: np.ndarray, prior: np.ndarray
                ) -> HybridSimilarity:
        scale = 1.0 + self.svd_weight + self.bm25_weight
        scores = colistening.finish(indptr, others, s1, shared,
                                    np.ascontiguousarray(features, dtype=np.float32),
                                    prior, float(self.svd_weight),
                                    float(self.shrinkage), scale)
        self.n_artists_ = n
        self.similarity_ = sp.csr_matrix((scores, others, indptr), shape=(n, n))
        self.shared_ = shared.astype(np.int32, copy=False)
        return self


def _mask(rows_or_mask: np.ndarray | None, n: int) -> np.ndarray:
    mask = np.zeros(n, np.bool_)
    if rows_or_mask is None:
        return mask
    given = np.asarray(rows_or_mask)
    if given.dtype == bool:
        mask[:] = given
    else:
        mask[given] = True
    return mask
