"""Artist-to-artist similarity methods behind one interface, and the default: the hybrid.

A method follows scikit-learn conventions: ``__init__`` only stores parameters, ``fit(X)``
takes the raw artist x listener stream matrix (CSR) and returns ``self``, learned attributes
end in ``_``. ``similar(top_k)`` then gives every artist its ``top_k`` most similar artists
(indices, -1 padded) and their scores in [0, 1], best first. Only positive scores count as
"similar": a zero score means the two audiences do not overlap.

The default (``HybridNeighbours``) was chosen with the evaluation harness (``core.evaluation``,
``benchmarks/quality.py``): it beat every reference method on held-out listens and tag
agreement and tied the best on geography, in well under a second on the demo data.
"""

from __future__ import annotations

import threading

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.preprocessing import normalize

from core.training.factorization import SVDFeatures
from core.training.parallel import parallel_map

#: rows scored at once: a block of 256 x 100,000 float32 scores is 100 MB per core
BLOCK_ROWS = 256


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
    """Each row's ``k`` best columns and scores, best first, ties to the lower column.

    For wide rows, partitioning whole rows dominated training (100,000 artists: ~4 s per block
    of 1,024 rows). The ``k``-th best score among every ``stride``-th column can only be lower
    than or equal to the row's true ``k``-th best, so every true top-``k`` entry is at or above
    it: only those survivors (about ``k * stride`` a row) are sorted. Exact, not approximate.
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
    # flatnonzero on the flat mask is ~15x faster than 2-D nonzero, the slowest part here
    flat = np.flatnonzero(scores >= threshold[:, None])
    rows, cols = np.divmod(flat, scores.shape[1])
    values = scores.reshape(-1)[flat]
    order = np.lexsort((-values, rows))  # stable: equal scores keep nonzero's column order
    rows, cols, values = rows[order], cols[order], values[order]
    take = np.searchsorted(rows, np.arange(len(scores)))[:, None] + np.arange(k)
    return cols[take], values[take]


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
        # with candidates, score only their columns (the map's are ~3% of all artists)
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

        # blocks are independent: one per core (scoring is a GEMM, selection runs in numpy)
        parallel_map(one_block, range(0, len(rows), BLOCK_ROWS))
        return idx, sim

    def score_block(
        self, rows: np.ndarray, columns: np.ndarray | None, out: np.ndarray | None = None
    ) -> np.ndarray:
        """Scores of ``rows`` against ``columns`` (all artists when None); ``out`` is a float32
        buffer of the result's shape a method may write into."""
        scores = self.score_rows(rows)
        return scores if columns is None else scores[:, columns]

    def _rows_and_mask(
        self, rows: np.ndarray | None, candidates: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray | None]:
        rows = np.arange(self.n_artists_) if rows is None else np.asarray(rows, dtype=np.int64)
        if candidates is None:
            return rows, None
        allowed = np.zeros(self.n_artists_, bool)
        allowed[np.asarray(candidates)] = True
        return rows, allowed



class FeatureCosine(SimilarityMethod):
    """Cosine of L2-normalized feature rows, clipped to [0, 1]: the first design's similarity,
    kept as an option (``--similarity cosine``) for comparison."""

    def fit(
        self, X: sp.spmatrix | None, y: object = None, features: np.ndarray | None = None
    ) -> FeatureCosine:
        if features is None:
            features = normalize(SVDFeatures().fit_transform(_log1p(X))).astype(np.float32)
        self.n_artists_ = len(features)
        self.features_ = np.ascontiguousarray(features, dtype=np.float32)
        return self

    def score_rows(self, rows: np.ndarray) -> np.ndarray:
        return self.score_block(rows, None)

    def score_block(
        self, rows: np.ndarray, columns: np.ndarray | None, out: np.ndarray | None = None
    ) -> np.ndarray:
        """Only the candidate columns are computed: the market map's ~3% of artists."""
        others = self.features_ if columns is None else self.features_[columns]
        scores = np.matmul(self.features_[rows], others.T, out=out)
        return np.minimum(scores, 1.0, out=scores)


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


def row_max_scale(matrix: sp.spmatrix) -> sp.csr_matrix:
    """Clip at 0 and divide every row by its maximum, so each row's best neighbour scores 1.

    Blending scaled rows makes a weight mean the same for a niche artist (tiny raw RP3beta
    numbers) and a hit, and in the listener score every seed artist then has the same say.
    """
    out = sp.csr_matrix(matrix, dtype=np.float64, copy=True)
    out.data = _row_scaled(out.data, out.indptr)
    out.eliminate_zeros()
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

    def fit(
        self,
        X: sp.spmatrix,
        y: object = None,
        features: np.ndarray | None = None,
        keep_top: int | None = None,
        keep_columns: np.ndarray | None = None,
        keep_columns_top: int | None = None,
    ) -> HybridNeighbours:
        """``features``: L2-normalized log1p-SVD rows the caller already has (the training
        pipeline does), so the factorization is not computed twice.

        Computed a block of artists at a time, so memory is bounded by the block and not by the
        co-listening matrix (228 million entries at 10 million generated rows, which the whole-
        matrix version could not hold). ``keep_top`` keeps only each row's best entries (ties
        to the lower column) and its best ``keep_columns_top`` (default ``keep_top``) among
        ``keep_columns``: ``similar`` then stays exact for ``top_k <= keep_top`` and, with
        ``candidates=keep_columns``, for ``top_k <= keep_columns_top``. The walk and BM25
        matrices are float32: at 50 million rows each float64 copy was another 600 MB.
        """
        self.n_artists_ = X.shape[0]
        p_au = _row_stochastic(X)
        p_ua = _row_stochastic(X.T)
        popularity = np.diff(sp.csr_matrix(X).indptr).astype(np.float64)
        inv_pop = np.zeros_like(popularity)
        np.power(popularity, -self.beta, out=inv_pop, where=popularity > 0)
        inv_pop = inv_pop.astype(np.float32)
        if self.svd_weight and features is None:
            svd = SVDFeatures(self.n_components, random_state=self.random_state)
            features = normalize(svd.fit_transform(_log1p(X))).astype(np.float32)
        if self.svd_weight:
            self.features_ = features
        weighted = bm25_weight(X, self.k1, self.b).astype(np.float32) if self.bm25_weight else None
        weighted_t = weighted.T.tocsr() if weighted is not None else None
        pinned = None
        if keep_columns is not None:
            pinned = np.zeros(self.n_artists_, bool)
            pinned[np.asarray(keep_columns)] = True
        scale = 1.0 + self.svd_weight + self.bm25_weight
        scratch = threading.local()

        def one_block(start: int) -> sp.csr_matrix:
            stop = min(start + HYBRID_BLOCK_ROWS, self.n_artists_)
            # The three signals live on one pattern, the co-listened pairs of the walk, so they
            # are added as flat arrays over it: sorting the pattern and adding sparse matrices
            # (what scipy's + needs) cost as much as the two sparse products.
            walk = sp.csr_matrix(p_au[start:stop] @ p_ua)
            walk.data *= inv_pop[walk.indices]
            _drop_diagonal(walk, start)
            total = _row_scaled(walk.data, walk.indptr)
            if self.svd_weight:
                # one dense cosine buffer per thread: a fresh 100 MB array per block spent
                # more time in page faults than in the GEMM (150 ms against 32 ms a block)
                if getattr(scratch, "buffer", None) is None:
                    scratch.buffer = np.empty((HYBRID_BLOCK_ROWS, len(features)), np.float32)
                cosine = _cosine_on_pattern(features, walk, start, scratch.buffer)
                total += self.svd_weight * _row_scaled(cosine.data, walk.indptr)
            if weighted is not None:
                overlap = sp.csr_matrix(weighted[start:stop] @ weighted_t)
                _drop_diagonal(overlap, start)
                total += self.bm25_weight * _on_pattern(
                    _row_scaled(overlap.data, overlap.indptr), overlap, walk)
            # Divide by the total weight so a score stays in [0, 1] like the product's cosine;
            # a constant factor changes no ranking and no metric.
            total /= scale
            block = sp.csr_matrix((total, walk.indices, walk.indptr), shape=walk.shape)
            block.eliminate_zeros()
            if keep_top is None:
                block.sort_indices()
                return block
            return _prune_rows(block, keep_top, pinned,
                               keep_top if keep_columns_top is None else keep_columns_top)

        blocks = parallel_map(one_block, range(0, self.n_artists_, HYBRID_BLOCK_ROWS))
        self.similarity_ = sp.csr_matrix(sp.vstack(blocks, format="csr"))
        return self


#: artists scored at once by the hybrid: bounds its memory (the co-listening rows of a block,
#: a dense block of feature cosines: 256 x 100,000 float32 is 100 MB) per core
HYBRID_BLOCK_ROWS = 256


def _drop_diagonal(block: sp.csr_matrix, first_row: int) -> None:
    """Zero each row's entry for the artist itself (row ``i`` is artist ``first_row + i``)."""
    rows = np.repeat(np.arange(block.shape[0]), np.diff(block.indptr))
    block.data[block.indices == rows + first_row] = 0.0
    block.eliminate_zeros()


def _row_scaled(values: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """``row_max_scale`` on the values of a CSR pattern: clipped at 0, each row divided by
    its maximum (float64), the pattern kept as it is (zeros stay, as zeros)."""
    out = np.maximum(values.astype(np.float64), 0.0)
    counts = np.diff(indptr)
    peak = np.ones(len(counts))
    nonempty = counts > 0
    if nonempty.any():
        peak[nonempty] = np.maximum.reduceat(out, indptr[:-1][nonempty])
    peak[peak <= 0] = 1.0
    out /= np.repeat(peak, counts)
    return out


def _on_pattern(values: np.ndarray, source: sp.csr_matrix, pattern: sp.csr_matrix) -> np.ndarray:
    """``values`` (on ``source``'s entries) placed on ``pattern``'s entries, 0 where ``source``
    has none; every entry of ``source`` must be one of ``pattern``.

    The BM25 overlap and the walk are products of matrices with the same structure, so scipy
    returns them in the same order and this is a copy; a listener whose BM25 weight is zero
    (one who plays every artist) can drop entries, and then they are looked up.
    """
    if np.array_equal(source.indptr, pattern.indptr) and np.array_equal(source.indices,
                                                                        pattern.indices):
        return values
    width = pattern.shape[1]

    def keys(m: sp.csr_matrix) -> np.ndarray:
        return np.repeat(np.arange(m.shape[0], dtype=np.int64), np.diff(m.indptr)) * width + m.indices

    target = keys(pattern)
    order = np.argsort(target, kind="stable")
    where = order[np.searchsorted(target[order], keys(source))]
    out = np.zeros(pattern.nnz, np.float64)
    out[where] = values
    return out


def _cosine_on_pattern(features: np.ndarray, pattern: sp.csr_matrix, first_row: int,
                       buffer: np.ndarray | None = None) -> sp.csr_matrix:
    """Feature cosines at the stored entries of ``pattern`` (rows from ``first_row``).

    One dense GEMM of the block against all artists, then a gather: per-pair dot products
    (gathering two 64-float rows for each of ~7,000 co-listened artists per row at 50 million
    rows) were several times slower. ``buffer``: a float32 array of at least (rows, artists)
    to reuse for the dense block.
    """
    n_rows, width = pattern.shape[0], len(features)
    stop = first_row + n_rows
    out = None if buffer is None else buffer[:n_rows, :width]
    dense = np.matmul(features[first_row:stop], features.T, out=out)
    rows = np.repeat(np.arange(n_rows), np.diff(pattern.indptr))
    values = np.take(dense.reshape(-1), rows * width + pattern.indices)
    return sp.csr_matrix((values, pattern.indices, pattern.indptr), shape=pattern.shape)


def _row_stochastic(X: sp.spmatrix) -> sp.csr_matrix:
    """The 0/1 pattern of ``X`` with each row divided by its count (float32): one step of the
    random walk between artists and listeners."""
    X = sp.csr_matrix(X)
    counts = np.diff(X.indptr)
    step = np.zeros(len(counts), np.float32)
    np.divide(1.0, counts, out=step, where=counts > 0)
    return sp.csr_matrix((np.repeat(step, counts), X.indices, X.indptr), shape=X.shape)


def _prune_rows(block: sp.csr_matrix, keep_top: int, pinned: np.ndarray | None,
                keep_pinned: int) -> sp.csr_matrix:
    """Each row's ``keep_top`` largest entries and its ``keep_pinned`` largest in pinned
    columns, ties to the lower column. Not every pinned entry: the charting artists are
    popular, co-listened with nearly everyone, and at 50 million rows keeping all of them
    meant 160 million entries."""
    rows = np.repeat(np.arange(block.shape[0]), np.diff(block.indptr))
    keep = _row_top_mask(block.data, block.indices, block.indptr, keep_top)
    if pinned is not None:
        where = np.flatnonzero(pinned[block.indices])
        keep[where[_row_top_mask(block.data[where], block.indices[where],
                                 _indptr_of(rows[where], block.shape[0]), keep_pinned)]] = True
    out = sp.csr_matrix((block.data[keep], block.indices[keep],
                         _indptr_of(rows[keep], block.shape[0])), shape=block.shape)
    out.sort_indices()
    return out


def _indptr_of(rows: np.ndarray, n_rows: int) -> np.ndarray:
    """CSR row pointers of entries whose (ascending) row numbers are ``rows``."""
    indptr = np.zeros(n_rows + 1, np.int64)
    np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
    return indptr


def _row_top_mask(data: np.ndarray, columns: np.ndarray, indptr: np.ndarray, k: int) -> np.ndarray:
    """Mask of each row's ``k`` largest values (CSR segments), ties to the lower column.

    Sorting every co-listened entry of a block (~640,000 at 10 million rows) to keep ~100 a
    row cost more than the two sparse products: a per-row ``np.partition`` finds the ``k``-th
    value first, and only the entries at or above it (the top ``k`` and its ties) are sorted.
    """
    n_rows = len(indptr) - 1
    counts = np.diff(indptr)
    keep = np.zeros(len(data), bool)
    if k <= 0 or len(data) == 0:
        return keep
    threshold = np.full(n_rows, -np.inf, dtype=data.dtype)
    for row in np.flatnonzero(counts > k):
        segment = data[indptr[row] : indptr[row + 1]]
        threshold[row] = np.partition(segment, len(segment) - k)[len(segment) - k]
    rows = np.repeat(np.arange(n_rows), counts)
    candidates = np.flatnonzero(data >= threshold[rows])
    cand_rows = rows[candidates]
    order = np.lexsort((columns[candidates], -data[candidates], cand_rows))
    per_row = np.bincount(cand_rows, minlength=n_rows)
    first = np.concatenate([[0], np.cumsum(per_row)[:-1]])
    rank = np.arange(len(order)) - np.repeat(first, per_row)
    keep[candidates[order[rank < k]]] = True
    return keep
