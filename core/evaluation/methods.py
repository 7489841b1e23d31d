"""Similarity methods behind one small interface, so every one is judged by the same code.

A method follows scikit-learn conventions: ``__init__`` only stores parameters, ``fit(X)``
takes the raw artist x listener stream matrix (CSR) and returns ``self``, learned attributes
end in ``_``. ``similar(top_k)`` then gives every artist its ``top_k`` most similar artists
(indices, -1 padded) and their scores, best first. Only positive scores count as "similar":
a zero or negative score means the two audiences do not overlap.

``implicit`` is a benchmark-only dependency: it is imported inside the methods that need it,
so ``core`` imports and trains without it.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.decomposition import TruncatedSVD
from sklearn.preprocessing import normalize

from core.evaluation.metrics import top_k_indices
from core.training.factorization import SVDFeatures

BLOCK_ROWS = 512


def _binary(X: sp.spmatrix) -> sp.csr_matrix:
    out = sp.csr_matrix(X, dtype=np.float64, copy=True)
    out.data = np.ones_like(out.data)
    return out


def _log1p(X: sp.spmatrix) -> sp.csr_matrix:
    out = sp.csr_matrix(X, dtype=np.float64, copy=True)
    np.log1p(out.data, out=out.data)
    return out


def bm25_weight(X: sp.spmatrix, k1: float = 100.0, b: float = 0.8) -> sp.csr_matrix:
    """BM25 on an artist x listener matrix (artists are the "documents"), as ``implicit`` does.

    Written out here (same formula as ``implicit.nearest_neighbours.bm25_weight``) so the
    blends in ``core`` need no optional package: the idf term down-weights listeners who play
    everything, and the length norm keeps big artists from dominating.
    """
    X = sp.coo_matrix(X, dtype=np.float64)
    n = float(X.shape[0])
    idf = np.log(n) - np.log1p(np.bincount(X.col, minlength=X.shape[1]))
    row_sums = np.ravel(X.sum(axis=1))
    length_norm = (1.0 - b) + b * row_sums / max(row_sums.mean(), 1e-12)
    data = X.data * (k1 + 1.0) / (k1 * length_norm[X.row] + X.data) * idf[X.col]
    return sp.csr_matrix((data, (X.row, X.col)), shape=X.shape)


class SimilarityMethod(BaseEstimator):
    """Base: subclasses implement ``fit`` and ``score_rows``; top-k selection is shared.

    ``score_rows(rows)`` returns dense scores of those artists against every artist; the
    shared ``similar`` drops the artist itself, anything non-positive and, if asked, every
    artist outside ``candidates`` (the map searches only artists with chart data).
    """

    def fit(self, X: sp.spmatrix, y: object = None) -> SimilarityMethod:
        raise NotImplementedError

    def score_rows(self, rows: np.ndarray) -> np.ndarray:
        raise NotImplementedError

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
        for start in range(0, len(rows), BLOCK_ROWS):
            block = rows[start : start + BLOCK_ROWS]
            scores = np.array(self.score_rows(block), dtype=np.float32)
            if allowed is not None:
                scores[:, ~allowed] = -np.inf
            scores[np.arange(len(block)), block] = -np.inf
            part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
            part_scores = np.take_along_axis(scores, part, axis=1)
            order = np.lexsort((part, -part_scores), axis=1)
            top = np.take_along_axis(part, order, axis=1)
            top_scores = np.take_along_axis(part_scores, order, axis=1)
            good = top_scores > 0
            idx[start : start + len(block), :k] = np.where(good, top, -1)
            sim[start : start + len(block), :k] = np.where(good, top_scores, 0.0)
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


# -- baselines ---------------------------------------------------------------------------------
class Popularity(SimilarityMethod):
    """Everyone's "similar" artists are the most listened ones: the bar any method must clear."""

    def fit(self, X: sp.spmatrix, y: object = None) -> Popularity:
        self.n_artists_ = X.shape[0]
        listeners = np.diff(sp.csr_matrix(X).indptr).astype(np.float64)
        self.popularity_ = listeners / max(listeners.max(), 1.0)
        return self

    def score_rows(self, rows: np.ndarray) -> np.ndarray:
        return np.broadcast_to(self.popularity_, (len(rows), self.n_artists_))


class RandomSimilarity(SimilarityMethod):
    """Random neighbours, seeded per artist so the result does not depend on block sizes."""

    def __init__(self, random_state: int = 0) -> None:
        self.random_state = random_state

    def fit(self, X: sp.spmatrix, y: object = None) -> RandomSimilarity:
        self.n_artists_ = X.shape[0]
        return self

    def score_rows(self, rows: np.ndarray) -> np.ndarray:
        return np.vstack([
            np.random.default_rng([self.random_state, int(r)]).random(self.n_artists_) + 1e-9
            for r in rows
        ])


# -- factor methods: cosine of artist vectors --------------------------------------------------
class FactorCosine(SimilarityMethod):
    """Shared scoring for methods that end in L2-normalized artist vectors ``features_``.

    ``labels_`` (when set) restricts similarity to artists of the same cluster, the seed's rule.
    """

    labels_: np.ndarray | None = None

    def score_rows(self, rows: np.ndarray) -> np.ndarray:
        scores = self.features_[rows] @ self.features_.T
        if self.labels_ is not None:
            scores = np.where(self.labels_[rows][:, None] == self.labels_[None, :], scores, -np.inf)
        return scores


class SVDCosine(FactorCosine):
    """The product's pipeline: log1p weighting, truncated SVD, L2, cosine (clipped at 0)."""

    def __init__(self, n_components: int = 64, random_state: int = 0) -> None:
        self.n_components = n_components
        self.random_state = random_state

    def fit(self, X: sp.spmatrix, y: object = None) -> SVDCosine:
        self.n_artists_ = X.shape[0]
        svd = SVDFeatures(self.n_components, random_state=self.random_state)
        self.features_ = normalize(svd.fit_transform(_log1p(X))).astype(np.float32)
        self.labels_ = None
        return self


class SeedDesign(FactorCosine):
    """The seed: ``log(streams)``, TruncatedSVD(1000), L2, BayesianGaussianMixture(10), and
    similarity only within an artist's cluster. Kept to show what the redesign changed.
    """

    def __init__(self, n_components: int = 1000, n_clusters: int = 10, random_state: int = 0) -> None:
        self.n_components = n_components
        self.n_clusters = n_clusters
        self.random_state = random_state

    def fit(self, X: sp.spmatrix, y: object = None) -> SeedDesign:
        from sklearn.mixture import BayesianGaussianMixture

        self.n_artists_ = X.shape[0]
        weighted = sp.csr_matrix(X, dtype=np.float64, copy=True)
        weighted.data = np.log(weighted.data)
        k = max(1, min(self.n_components, min(X.shape) - 1))
        raw = TruncatedSVD(k, random_state=self.random_state).fit_transform(weighted)
        self.features_ = normalize(raw).astype(np.float32)
        mixture = BayesianGaussianMixture(
            n_components=min(self.n_clusters, X.shape[0]), random_state=self.random_state
        ).fit(self.features_)
        self.labels_ = mixture.predict(self.features_).astype(np.int32)
        return self


class ImplicitALS(FactorCosine):
    """``implicit``'s ALS on BM25-weighted listens; similarity is the cosine of item factors."""

    def __init__(
        self,
        factors: int = 64,
        k1: float = 100.0,
        b: float = 0.8,
        regularization: float = 0.05,
        iterations: int = 15,
        random_state: int = 0,
    ) -> None:
        self.factors = factors
        self.k1 = k1
        self.b = b
        self.regularization = regularization
        self.iterations = iterations
        self.random_state = random_state

    def fit(self, X: sp.spmatrix, y: object = None) -> ImplicitALS:
        from implicit.cpu.als import AlternatingLeastSquares
        from threadpoolctl import threadpool_limits

        self.n_artists_ = X.shape[0]
        weighted = bm25_weight(X, self.k1, self.b).astype(np.float32)
        # implicit runs its own threads; a threaded BLAS underneath it only adds contention.
        with threadpool_limits(1, "blas"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            model = AlternatingLeastSquares(
                factors=self.factors, regularization=self.regularization,
                iterations=self.iterations, random_state=self.random_state,
            )
            model.fit(weighted.T.tocsr(), show_progress=False)
        self.features_ = normalize(np.asarray(model.item_factors)).astype(np.float32)
        self.labels_ = None
        return self


# -- neighbourhood methods: a sparse artist x artist matrix ------------------------------------
class SparseSimilarity(SimilarityMethod):
    """Shared scoring for methods that learn a sparse ``similarity_`` matrix."""

    def score_rows(self, rows: np.ndarray) -> np.ndarray:
        return self.similarity_[rows].toarray()

    def similar(
        self,
        top_k: int = 50,
        rows: np.ndarray | None = None,
        candidates: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """As the base class, but row by row on the sparse matrix: no dense n x n block needed."""
        rows, allowed = self._rows_and_mask(rows, candidates)
        matrix = sp.csr_matrix(self.similarity_)
        idx = np.full((len(rows), top_k), -1, np.int32)
        sim = np.zeros((len(rows), top_k), np.float32)
        for i, row in enumerate(rows):
            start, stop = matrix.indptr[row], matrix.indptr[row + 1]
            cols, vals = matrix.indices[start:stop], matrix.data[start:stop]
            keep = (vals > 0) & (cols != row)
            if allowed is not None:
                keep &= allowed[cols]
            cols, vals = cols[keep], vals[keep]
            best = top_k_indices(vals, top_k)
            idx[i, : len(best)] = cols[best]
            sim[i, : len(best)] = vals[best]
        return idx, sim


class BM25ItemKNN(SparseSimilarity):
    """``implicit``'s BM25 item-item kNN: dot products of BM25-weighted artist rows, top ``K``."""

    def __init__(self, K: int = 100, k1: float = 100.0, b: float = 0.8) -> None:
        self.K = K
        self.k1 = k1
        self.b = b

    def fit(self, X: sp.spmatrix, y: object = None) -> BM25ItemKNN:
        from implicit.nearest_neighbours import BM25Recommender

        self.n_artists_ = X.shape[0]
        model = BM25Recommender(K=self.K + 1, K1=self.k1, B=self.b)
        model.fit(sp.csr_matrix(X, dtype=np.float64).T.tocsr(), show_progress=False)
        similarity = model.similarity.tocsr()
        similarity.setdiag(0)
        similarity.eliminate_zeros()
        self.similarity_ = similarity
        return self


class RP3beta(SparseSimilarity):
    """RP3beta (Paudel et al. 2017): three-step random walk artist -> listener -> artist, with the
    arrival probability divided by ``popularity ** beta`` so hits do not top every list.

    Works on who-listens-to-what (binary), since play counts mostly measure how long ago
    someone discovered an artist.
    """

    def __init__(self, alpha: float = 1.0, beta: float = 0.25) -> None:
        self.alpha = alpha
        self.beta = beta

    def fit(self, X: sp.spmatrix, y: object = None) -> RP3beta:
        self.n_artists_ = X.shape[0]
        self.similarity_ = rp3beta_matrix(_binary(X), self.alpha, self.beta)
        return self


def rp3beta_matrix(artist_user: sp.csr_matrix, alpha: float = 1.0, beta: float = 0.25) -> sp.csr_matrix:
    """Sparse RP3beta artist x artist similarity (diagonal removed) from a weighted matrix."""
    p_au = normalize(artist_user, norm="l1", axis=1)
    p_ua = normalize(artist_user.T.tocsr(), norm="l1", axis=1)
    if alpha != 1.0:
        p_au = p_au.power(alpha)
        p_ua = p_ua.power(alpha)
    popularity = np.diff(sp.csr_matrix(artist_user).indptr).astype(np.float64)
    inv_pop = np.zeros_like(popularity)
    np.power(popularity, -beta, out=inv_pop, where=popularity > 0)
    walk = (p_au @ p_ua).tocsr()
    walk = walk @ sp.diags(inv_pop)
    walk = sp.csr_matrix(walk)
    walk.setdiag(0)
    walk.eliminate_zeros()
    return walk


class EASE(SimilarityMethod):
    """EASE (Steck 2019): closed-form item-item regression ``B = I - P / diag(P)``,
    ``P = (XᵀX + λI)⁻¹``, on artists with at least ``min_listeners`` listeners (the inverse is
    dense in the number of artists, so the long tail is left out).
    """

    def __init__(self, l2: float = 100.0, min_listeners: int = 2) -> None:
        self.l2 = l2
        self.min_listeners = min_listeners

    def fit(self, X: sp.spmatrix, y: object = None) -> EASE:
        binary = _binary(X)
        self.n_artists_ = X.shape[0]
        self.kept_ = np.flatnonzero(np.diff(binary.indptr) >= self.min_listeners)
        sub = binary[self.kept_]
        gram = (sub @ sub.T).toarray()
        gram[np.diag_indices_from(gram)] += self.l2
        inverse = np.linalg.inv(gram)
        # B[i, j] = -P[i, j] / P[j, j]: the weight of a listen of i in the score of j, so row i
        # is "what listening to i says about every other artist".
        weights = -inverse / np.diag(inverse)[None, :]
        np.fill_diagonal(weights, 0.0)
        self.weights_ = weights.astype(np.float32)
        self.position_ = np.full(self.n_artists_, -1, np.int64)
        self.position_[self.kept_] = np.arange(len(self.kept_))
        return self

    def score_rows(self, rows: np.ndarray) -> np.ndarray:
        out = np.full((len(rows), self.n_artists_), -np.inf, np.float32)
        pos = self.position_[rows]
        has = pos >= 0
        block = np.full((int(has.sum()), self.n_artists_), -np.inf, np.float32)
        block[:, self.kept_] = self.weights_[pos[has]]
        out[has] = block
        return out


# -- the hybrid found by the exploration -------------------------------------------------------
def row_max_scale(matrix: sp.spmatrix) -> sp.csr_matrix:
    """Clip at 0 and divide every row by its maximum, so each row's best neighbour scores 1.

    Blending scaled rows makes a weight mean the same for a niche artist (tiny raw RP3beta
    numbers) and a hit, and in the listener score every seed artist then has the same say.
    """
    out = sp.csr_matrix(matrix, dtype=np.float64, copy=True)
    np.maximum(out.data, 0.0, out=out.data)
    out.eliminate_zeros()
    counts = np.diff(out.indptr)
    peak = np.ones(out.shape[0])
    nonempty = counts > 0
    if nonempty.any():
        peak[nonempty] = np.maximum.reduceat(out.data, out.indptr[:-1][nonempty])
    out.data /= np.repeat(peak, counts)
    return out


def pair_cosine(features: np.ndarray, pattern: sp.csr_matrix, chunk: int = 16_384) -> np.ndarray:
    """Dot products of feature rows for every stored ``(row, col)`` of ``pattern``, in its order.

    Chunked so the gathered rows stay in cache: one big gather of millions of pairs is several
    times slower and needs hundreds of MB.
    """
    rows = np.repeat(np.arange(pattern.shape[0], dtype=np.int32), np.diff(pattern.indptr))
    out = np.empty(len(rows), np.float32)
    for start in range(0, len(rows), chunk):
        stop = start + chunk
        out[start:stop] = np.einsum(
            "ij,ij->i", features[rows[start:stop]], features[pattern.indices[start:stop]]
        )
    return out


class HybridNeighbours(SparseSimilarity):
    """RP3beta + ``svd_weight`` x cosine of log1p-SVD features + ``bm25_weight`` x BM25 overlap,
    each row scaled to a maximum of 1, scored only for artists that share a listener.

    Why three signals: RP3beta ranks by where a listener's random walk lands, which finds
    co-listened artists but trusts a single shared listener as much as many; the SVD cosine
    adds how alike the whole audiences are (helps tags and held-out recall); BM25 overlap
    weights shared listeners by how selective they are (helps the country map). Restricting to
    co-listened pairs keeps the matrix sparse and "similar" always means "shares listeners".
    """

    def __init__(
        self,
        beta: float = 0.2,
        n_components: int = 32,
        svd_weight: float = 0.35,
        bm25_weight: float = 0.3,
        k1: float = 100.0,
        b: float = 0.8,
        random_state: int = 0,
    ) -> None:
        self.beta = beta
        self.n_components = n_components
        self.svd_weight = svd_weight
        self.bm25_weight = bm25_weight
        self.k1 = k1
        self.b = b
        self.random_state = random_state

    def fit(self, X: sp.spmatrix, y: object = None) -> HybridNeighbours:
        self.n_artists_ = X.shape[0]
        binary = _binary(X)
        total = row_max_scale(rp3beta_matrix(binary, 1.0, self.beta))
        total.sort_indices()
        if self.svd_weight:
            svd = SVDFeatures(self.n_components, random_state=self.random_state)
            features = normalize(svd.fit_transform(_log1p(X))).astype(np.float32)
            self.features_ = features
            cosine = pair_cosine(features, total)
            on_pairs = sp.csr_matrix((cosine, total.indices, total.indptr), shape=total.shape)
            total = total + self.svd_weight * row_max_scale(on_pairs)
        if self.bm25_weight:
            weighted = bm25_weight(X, self.k1, self.b)
            overlap = sp.csr_matrix(weighted @ weighted.T)
            overlap.setdiag(0)
            total = total + self.bm25_weight * row_max_scale(overlap)
        # Divide by the total weight so a score stays in [0, 1] like the product's cosine; a
        # constant factor changes no ranking and no metric.
        self.similarity_ = sp.csr_matrix(total) / (1.0 + self.svd_weight + self.bm25_weight)
        self.similarity_.eliminate_zeros()
        return self


# -- the benchmark's line-up -------------------------------------------------------------------
SEED_DESIGN = "seed design (log, SVD(1000), BGM(10), within cluster)"
HYBRID = "hybrid: RP3beta(β=0.2) + 0.35·cos SVD(32) + 0.3·BM25"


def reference_methods(
    include_seed: bool = True, include_implicit: bool = True
) -> dict[str, SimilarityMethod]:
    """The methods of the product owner's reference table, plus the baselines and the hybrid.

    ``include_seed=False`` skips the ~90 s seed design; ``include_implicit=False`` skips the two
    methods that need the optional ``implicit`` package.
    """
    methods: dict[str, SimilarityMethod] = {
        "popularity": Popularity(),
        "random": RandomSimilarity(),
    }
    if include_seed:
        methods[SEED_DESIGN] = SeedDesign()
    methods["log1p, SVD(128), cosine"] = SVDCosine(128)
    methods["log1p, SVD(64), cosine (current default)"] = SVDCosine(64)
    if include_implicit:
        methods["implicit ALS(64), BM25"] = ImplicitALS()
        methods["BM25 item-kNN (K1=100, B=0.8)"] = BM25ItemKNN()
    methods["RP3beta (α=1, β=0.25)"] = RP3beta()
    methods["EASE (λ=100, artists ≥ 2 listeners)"] = EASE()
    methods[HYBRID] = HybridNeighbours()
    return methods


def exploration_methods() -> dict[str, SimilarityMethod]:
    """Ablations and neighbours of the hybrid, to show which part earns what."""
    return {
        "hybrid without SVD": HybridNeighbours(svd_weight=0.0),
        "hybrid without BM25": HybridNeighbours(bm25_weight=0.0),
        "RP3beta(β=0.2) alone": HybridNeighbours(svd_weight=0.0, bm25_weight=0.0),
        "hybrid, β=0.25": HybridNeighbours(beta=0.25),
        "hybrid, SVD(64)": HybridNeighbours(n_components=64),
        "hybrid, SVD(128)": HybridNeighbours(n_components=128),
    }
