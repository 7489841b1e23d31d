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
from sklearn.decomposition import TruncatedSVD
from sklearn.preprocessing import normalize

from core.training.pipeline import TrainingParams
from core.training.similarity import (  # noqa: F401 - re-exported for the harness and tests
    BLOCK_ROWS,
    HybridSimilarity,
    SimilarityMethod,
    SparseSimilarity,
    binary,
    bm25_weight,
    top_k_indices,
)
from core.training.similarity.cosine import unit_features


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

    def similar(
        self, top_k: int = 50, rows: np.ndarray | None = None, candidates: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Same answer as the shared dense ``similar`` (ties to the lower index, float32 scores),
        from one global ranking: every row's list is the most popular artists minus itself, so
        there is no need to rank all artists once per artist."""
        rows, allowed = self._rows_and_mask(rows, candidates)
        idx = np.full((len(rows), top_k), -1, np.int32)
        sim = np.zeros((len(rows), top_k), np.float32)
        k = max(0, min(top_k, self.n_artists_ - 1))
        if k == 0:
            return idx, sim
        scores = self.popularity_.astype(np.float32)
        order = np.lexsort((np.arange(self.n_artists_), -scores))
        keep = scores[order] > 0
        if allowed is not None:
            keep &= allowed[order]
        head = order[keep][: k + 1]
        for i, row in enumerate(rows):
            pick = head[head != row][:k]
            idx[i, : len(pick)] = pick
            sim[i, : len(pick)] = scores[pick]
        return idx, sim


class RandomSimilarity(SimilarityMethod):
    """Random neighbours, seeded per artist so the result does not depend on block sizes or on
    which other rows are asked for.

    ``similar`` draws ``top_k`` distinct candidates per artist instead of ranking a random
    score for every artist (the dense ``score_rows`` path, kept for completeness): the same
    distribution at a fraction of the cost.
    """

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

    def similar(
        self, top_k: int = 50, rows: np.ndarray | None = None, candidates: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        rows, allowed = self._rows_and_mask(rows, candidates)
        pool = np.arange(self.n_artists_) if allowed is None else np.flatnonzero(allowed)
        idx = np.full((len(rows), top_k), -1, np.int32)
        sim = np.zeros((len(rows), top_k), np.float32)
        for i, row in enumerate(rows):
            rng = np.random.default_rng([self.random_state, int(row)])
            others = pool[pool != row]
            k = min(top_k, len(others))
            idx[i, :k] = rng.choice(others, size=k, replace=False)
            sim[i, :k] = np.sort(rng.random(k).astype(np.float32))[::-1] + np.float32(1e-6)
        return idx, sim


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
    """The first design: log1p weighting (``normalize_listeners``: each listener's column at
    unit norm, as the pipeline now weights), truncated SVD, L2, cosine (clipped at 0)."""

    def __init__(self, n_components: int = 64, random_state: int = 0,
                 normalize_listeners: bool = False) -> None:
        self.n_components = n_components
        self.random_state = random_state
        self.normalize_listeners = normalize_listeners

    def fit(self, X: sp.spmatrix, y: object = None) -> SVDCosine:
        self.n_artists_ = X.shape[0]
        self.features_ = unit_features(X, self.n_components, self.random_state,
                                       self.normalize_listeners)
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
        # implicit converts its own BM25-weighted COO matrix and warns about it: not ours to fix.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(sp.csr_matrix(X, dtype=np.float64).T.tocsr(), show_progress=False)
        similarity = model.similarity.tocsr()
        similarity.setdiag(0)
        similarity.eliminate_zeros()
        self.similarity_ = similarity
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
    walk = sp.csr_matrix((p_au @ p_ua).tocsr() @ sp.diags(inv_pop))
    walk.setdiag(0)
    walk.eliminate_zeros()
    return walk


def row_max_scale(matrix: sp.spmatrix) -> sp.csr_matrix:
    """Clip at 0 and divide every row by its maximum, so each row's best neighbour scores 1."""
    out = sp.csr_matrix(matrix, dtype=np.float64, copy=True)
    out.data = np.maximum(out.data, 0.0)
    counts = np.diff(out.indptr)
    peak = np.ones(len(counts))
    nonempty = counts > 0
    if nonempty.any():
        peak[nonempty] = np.maximum.reduceat(out.data, out.indptr[:-1][nonempty])
    peak[peak <= 0] = 1.0
    out.data /= np.repeat(peak, counts)
    out.eliminate_zeros()
    return out


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
        self.similarity_ = rp3beta_matrix(binary(X), self.alpha, self.beta)
        return self


class EASE(SimilarityMethod):
    """EASE (Steck 2019): closed-form item-item regression ``B = I - P / diag(P)``,
    ``P = (XᵀX + λI)⁻¹``, on artists with at least ``min_listeners`` listeners (the inverse is
    dense in the number of artists, so the long tail is left out).
    """

    def __init__(self, l2: float = 100.0, min_listeners: int = 2) -> None:
        self.l2 = l2
        self.min_listeners = min_listeners

    def fit(self, X: sp.spmatrix, y: object = None) -> EASE:
        played = binary(X)
        self.n_artists_ = X.shape[0]
        self.kept_ = np.flatnonzero(np.diff(played.indptr) >= self.min_listeners)
        sub = played[self.kept_]
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


# -- the default, executed in the warehouse ----------------------------------------------------
class PushedDownHybrid(HybridSimilarity):
    """The default similarity trained the way ``--mode pushdown`` trains it: the matrix is put
    in an in-memory DuckDB table and the SVD and the co-listening candidates run there as SQL,
    so the harness judges the pushed-down execution with the same protocol as the in-memory."""

    def fit(self, X: sp.spmatrix, y: object = None, features: np.ndarray | None = None,
            market: np.ndarray | None = None) -> PushedDownHybrid:
        import duckdb
        import pandas as pd

        from core.tables import USER_ARTIST_STREAMS
        from core.training.pushdown import PushdownSVD, prepare_listens, pushdown_candidates
        from core.warehouse import pushdown_sql

        coo = sp.coo_matrix(X)
        table = pd.DataFrame({"artistname": "", "artistnum": coo.row.astype(np.int64),
                              "userid": "", "usernum": coo.col.astype(np.int64),
                              "total_streams": coo.data})
        con = duckdb.connect()
        con.register("frame", table)
        con.execute(f'CREATE TABLE "{USER_ARTIST_STREAMS.name}" AS SELECT * FROM frame')
        con.unregister("frame")
        with pushdown_sql.open_runner(con) as runner:
            listens = prepare_listens(runner, 1, self.normalize_listeners)
            svd = PushdownSVD(self.n_components, 1, random_state=self.random_state).fit_prepared(
                runner, listens)
            market_rows = np.searchsorted(listens.artist_ids,
                                          [] if market is None else np.asarray(market))
            rows, others, s1, shared, listeners, _ = pushdown_candidates(
                runner, listens, self, market_rows)
        con.close()
        # artists without any listen have no row in the warehouse: put them back, empty
        n = X.shape[0]
        features = np.zeros((n, svd.features_.shape[1]), np.float32)
        features[listens.artist_ids] = normalize(svd.features_)
        heard = np.zeros(n, np.int64)
        heard[listens.artist_ids] = listeners
        ids = listens.artist_ids
        return self.fit_candidates(n, ids[rows], ids[others], s1, shared, features, heard,
                                   ids[market_rows])


# -- the hybrid found by the exploration -------------------------------------------------------
# -- the benchmark's line-up -------------------------------------------------------------------
SEED_DESIGN = "seed design (log, SVD(1000), BGM(10), within cluster)"
HYBRID = ("hybrid (product default): (RP3beta(β=0.3) + 0.3·BM25 + 2.0·cos SVD(128), "
          "listener-normalized) x shared / (shared + 0.5) x listeners / (listeners + 1)")


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
    methods["log1p, SVD(64), cosine (first design)"] = SVDCosine(64)
    methods["log1p listener-normalized, SVD(128), cosine"] = SVDCosine(
        128, normalize_listeners=True)
    if include_implicit:
        methods["implicit ALS(64), BM25"] = ImplicitALS()
        methods["BM25 item-kNN (K1=100, B=0.8)"] = BM25ItemKNN()
    methods["RP3beta (α=1, β=0.25)"] = RP3beta()
    methods["EASE (λ=100, artists ≥ 2 listeners)"] = EASE()
    # Exactly what training builds by default, so the table judges the shipped model.
    methods[HYBRID] = TrainingParams().similarity_method()
    return methods


def exploration_methods() -> dict[str, SimilarityMethod]:
    """Ablations and neighbours of the hybrid, to show which part earns what."""
    return {
        "hybrid without SVD": HybridSimilarity(svd_weight=0.0),
        "hybrid without BM25": HybridSimilarity(bm25_weight=0.0),
        "hybrid without the audience prior": HybridSimilarity(listener_prior=0.0),
        "RP3beta(β=0.3) alone": HybridSimilarity(svd_weight=0.0, bm25_weight=0.0,
                                                listener_prior=0.0),
        "hybrid, β=0.25": HybridSimilarity(beta=0.25),
        "hybrid, SVD(64)": HybridSimilarity(n_components=64),
        "hybrid, log1p SVD input": HybridSimilarity(normalize_listeners=False),
    }
