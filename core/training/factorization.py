"""Listener features: a truncated SVD of the weighted artist x listener matrix."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import TruncatedSVD


class SVDFeatures(TransformerMixin, BaseEstimator):
    """Artist features ``U·Σ`` from a randomized truncated SVD.

    The number of components is capped by the matrix size so small data (tests, a new label's
    first export) trains instead of failing.
    """

    def __init__(self, n_components: int = 64, n_iter: int = 7, random_state: int = 0) -> None:
        self.n_components = n_components
        self.n_iter = n_iter
        self.random_state = random_state

    def fit(self, X: sp.spmatrix, y: object = None) -> SVDFeatures:
        self.fit_transform(X)
        return self

    def fit_transform(self, X: sp.spmatrix, y: object = None, **_: object) -> np.ndarray:
        k = max(1, min(self.n_components, min(X.shape) - 1))
        svd = TruncatedSVD(
            n_components=k, algorithm="randomized", n_iter=self.n_iter,
            random_state=self.random_state,
        )
        features = svd.fit_transform(X)
        self.n_components_ = k
        self.singular_values_ = svd.singular_values_
        self.explained_variance_ratio_ = svd.explained_variance_ratio_
        self.components_ = svd.components_
        return features.astype(np.float32)

    def transform(self, X: sp.spmatrix) -> np.ndarray:
        return (X @ self.components_.T).astype(np.float32)
