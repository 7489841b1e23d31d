"""The in-memory randomized SVD: its blockwise products are the plain ones, and it finds the
exact singular values and the same features whether or not it keeps the listener loadings."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from core.training.factorization import SVDFeatures
from core.training.parallel import ListenerChunks
from core.training.random_signs import coefficients, signs


def listens(artists: int = 60, listeners: int = 500, seed: int = 0) -> sp.csr_matrix:
    """A sparse artists x listeners matrix of rank well above the components asked for."""
    rng = np.random.default_rng(seed)
    m = sp.random(artists, listeners, density=0.1, random_state=rng, dtype=np.float64)
    m.data = np.log1p(rng.integers(1, 100, m.nnz)).astype(np.float64)
    return m.tocsr()


@pytest.mark.parametrize("block_rows", [7, 1 << 15])
def test_fused_products_equal_the_plain_ones(block_rows: int) -> None:
    m = listens()
    rank = np.random.default_rng(1).permutation(m.shape[0])
    chunks = ListenerChunks(m, parts=2, row_rank=rank, block_rows=block_rows)
    permuted = sp.csr_matrix(m.toarray()[np.argsort(rank)], dtype=np.float32)  # row rank[i] = i
    q = np.random.default_rng(2).standard_normal((m.shape[0], 9)).astype(np.float32)
    ids = np.arange(m.shape[1]) * 3 + 11
    omega = signs(ids, coefficients(9))
    np.testing.assert_allclose(chunks.dot_signs(ids, coefficients(9)), permuted @ omega,
                               rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(chunks.gram_dot(q), permuted @ (permuted.T @ q),
                               rtol=1e-4, atol=1e-3)
    z = (permuted.T @ q).astype(np.float64)
    np.testing.assert_allclose(chunks.tgram(q), z.T @ z, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(chunks.tdot(q), permuted.T @ q, rtol=1e-5, atol=1e-4)


def test_the_compiled_test_matrix_is_the_one_the_warehouse_draws() -> None:
    # one listen each, of weight 1: A·Ω is Ω's rows themselves, so the compiled signs must be
    # exactly random_signs.signs (the integers omega_sql computes), ids near 2⁶³ included
    ids = np.array([0, 1, 2**31 - 2, 2**31 - 1, 2**31, 12_345_678_901, 2**63 - 1, 7], np.int64)
    one_each = sp.csr_matrix((np.ones(len(ids)), (np.arange(len(ids)), np.arange(len(ids)))))
    for width, state in ((1, 0), (37, 3), (256, 0)):
        coeffs = coefficients(width, state)
        got = ListenerChunks(one_each, parts=2).dot_signs(ids, coeffs)
        np.testing.assert_array_equal(got, signs(ids, coeffs))
    # a listener with no listens adds nothing
    empty = sp.csr_matrix((2, 3), dtype=np.float32)
    assert not ListenerChunks(empty).dot_signs(np.arange(3), coefficients(4)).any()


def test_svd_finds_the_exact_spectrum_with_or_without_loadings() -> None:
    m = listens()
    exact = np.linalg.svd(m.toarray(), compute_uv=False)
    # 60 sampled directions span all 60 artists: the range is exact, so is the spectrum
    full = SVDFeatures(8, n_iter=2, n_oversamples=60, keep_components=True)
    features = full.fit_transform(m)
    np.testing.assert_allclose(full.singular_values_, exact[:8], rtol=1e-5)
    # the loadings are orthonormal and reproduce the features (transform is the projection)
    v = full.components_.astype(np.float64)
    np.testing.assert_allclose(v @ v.T, np.eye(8), atol=1e-4)
    np.testing.assert_allclose(full.transform(m), features, rtol=1e-3, atol=1e-3)
    lean = SVDFeatures(8, n_iter=2, n_oversamples=60, keep_components=False)
    np.testing.assert_array_equal(lean.fit_transform(m), features)
    assert not hasattr(lean, "components_")
    # signs are fixed by the features: each column's largest entry is positive
    top = features[np.argmax(np.abs(features), axis=0), np.arange(8)]
    assert np.all(top > 0)


def test_listener_ids_draw_the_test_matrix() -> None:
    m = listens()
    svd = SVDFeatures(8, n_iter=0, n_oversamples=4)
    by_position = svd.fit_transform(m)
    np.testing.assert_array_equal(svd.fit_transform(m, listener_ids=np.arange(m.shape[1])),
                                  by_position)
    # other ids, another test matrix: with no power iteration the features move
    assert not np.allclose(svd.fit_transform(m, listener_ids=np.arange(m.shape[1]) + 10**9),
                           by_position)
    with pytest.raises(ValueError, match="listener ids for 500 columns"):
        svd.fit_transform(m, listener_ids=np.arange(3))
