"""The hybrid computed a block of artists at a time equals the whole-matrix formula."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from core.training import similarity
from core.training.factorization import SVDFeatures
from core.training.matrix import build_listen_matrix
from core.training.similarity import (
    HybridNeighbours,
    _binary,
    bm25_weight,
    row_max_scale,
    rp3beta_matrix,
)
from core.warehouse.duckdb import DuckDBWarehouse


def whole_matrix_hybrid(X: sp.csr_matrix, features: np.ndarray, beta: float, svd_weight: float,
                        bm25: float) -> sp.csr_matrix:
    """The hybrid as first written: every co-listening matrix at once (does not scale)."""
    total = row_max_scale(rp3beta_matrix(_binary(X), 1.0, beta))
    rows = np.repeat(np.arange(total.shape[0]), np.diff(total.indptr))
    cosine = np.einsum("ij,ij->i", features[rows], features[total.indices])
    on_pairs = sp.csr_matrix((cosine, total.indices, total.indptr), shape=total.shape)
    total = total + svd_weight * row_max_scale(on_pairs)
    weighted = bm25_weight(X)
    overlap = sp.csr_matrix(weighted @ weighted.T)
    overlap.setdiag(0)
    total = total + bm25 * row_max_scale(overlap)
    out = sp.csr_matrix(total) / (1.0 + svd_weight + bm25)
    out.eliminate_zeros()
    return sp.csr_matrix(out)


@pytest.fixture(scope="module")
def demo_listens(demo_warehouse_path: Path) -> tuple[sp.csr_matrix, np.ndarray]:
    listens = build_listen_matrix(DuckDBWarehouse(demo_warehouse_path).iter_listens())
    X = listens.keep_artists(listens.listeners >= 2).streams
    log = X.copy()
    log.data = np.log1p(log.data)
    features = normalize(SVDFeatures(16).fit_transform(log)).astype(np.float32)
    return X, features


def test_blocks_equal_the_whole_matrix_formula(demo_listens, monkeypatch) -> None:
    X, features = demo_listens
    monkeypatch.setattr(similarity, "HYBRID_BLOCK_ROWS", 1000)  # ~17 blocks, uneven last one
    blocked = HybridNeighbours(beta=0.3, svd_weight=0.4, bm25_weight=0.2).fit(X, features=features)
    whole = whole_matrix_hybrid(X, features, 0.3, 0.4, 0.2)
    assert blocked.similarity_.shape == whole.shape
    assert abs(blocked.similarity_ - whole).max() < 1e-5
    assert blocked.similarity_.nnz == whole.nnz
    assert blocked.similarity_.diagonal().max() == 0.0


def test_pruned_rows_answer_top_k_and_pinned_candidates_exactly(demo_listens) -> None:
    X, features = demo_listens
    full = HybridNeighbours().fit(X, features=features)
    candidates = np.arange(0, X.shape[0], 37)
    pruned = HybridNeighbours().fit(X, features=features, keep_top=20, keep_columns=candidates,
                                    keep_columns_top=10)
    assert pruned.similarity_.nnz < full.similarity_.nnz / 2
    for k in (5, 20):
        np.testing.assert_array_equal(pruned.similar(k)[0], full.similar(k)[0])
    for k in (3, 10):
        np.testing.assert_array_equal(pruned.similar(k, candidates=candidates)[0],
                                      full.similar(k, candidates=candidates)[0])
    kept = pruned.similarity_[:, candidates].getnnz(axis=1)
    assert kept.max() <= 10 + 20  # its best 10 candidates, plus candidates in its top 20
    # deeper than what was kept, it can only miss entries, never invent them
    deep_idx, _ = pruned.similar(50)
    assert ((deep_idx >= 0).sum(axis=1) <= (full.similar(50)[0] >= 0).sum(axis=1)).all()


def test_pairs_only_a_zero_weight_listener_shares_keep_their_walk_score() -> None:
    """A listener who plays all but one of n artists has BM25 idf log(n) - log(1 + (n-1)) = 0:
    pairs only they share drop out of the BM25 product but stay in the walk, so the blocks
    must place BM25 on the walk's pairs by lookup, not by position."""
    n_artists, rng = 12, np.random.default_rng(3)
    rows, cols = [], []
    for artist in range(n_artists - 1):  # listener 0 plays artists 0..10
        rows.append(artist)
        cols.append(0)
    for listener in range(1, 9):  # a few ordinary listeners, three artists each
        for artist in rng.choice(n_artists, 3, replace=False):
            rows.append(int(artist))
            cols.append(listener)
    X = sp.csr_matrix((rng.integers(1, 50, len(rows)).astype(float), (rows, cols)),
                      shape=(n_artists, 9))
    features = normalize(rng.normal(size=(n_artists, 4))).astype(np.float32)
    weighted = bm25_weight(X)
    overlap, walk = sp.csr_matrix(weighted @ weighted.T), rp3beta_matrix(_binary(X), 1.0, 0.2)
    overlap.setdiag(0)
    overlap.eliminate_zeros()
    assert overlap.nnz < walk.nnz  # the zero-idf pairs really drop out of BM25
    blocked = HybridNeighbours().fit(X, features=features)
    whole = whole_matrix_hybrid(X, features, 0.2, 0.35, 0.3)
    assert blocked.similarity_.nnz == whole.nnz
    assert abs(blocked.similarity_ - whole).max() < 1e-6
