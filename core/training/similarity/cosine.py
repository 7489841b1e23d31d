"""Cosine of listener features: the first design's similarity, kept as an option
(``--similarity cosine``) and as the map's fallback for artists with no co-listened peer."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from core.training.factorization import SVDFeatures
from core.training.similarity.base import SimilarityMethod
from core.training.weighting import LogWeighting


def unit_features(X: sp.spmatrix, n_components: int = 128, random_state: int = 0,
                  normalize_listeners: bool = True) -> np.ndarray:
    """L2-normalized rows of the SVD of the pipeline's weighting (float32): the listener
    features of the pipeline, for a method fitted on a bare stream matrix (the harness, tests)."""
    svd = SVDFeatures(n_components, random_state=random_state, keep_components=False)
    weighted = LogWeighting(normalize_listeners).fit_transform(X)
    return normalize(svd.fit_transform(weighted)).astype(np.float32)


class FeatureCosine(SimilarityMethod):
    """Cosine of L2-normalized feature rows, clipped to [0, 1]."""

    def fit(
        self, X: sp.spmatrix | None, y: object = None, features: np.ndarray | None = None
    ) -> FeatureCosine:
        if features is None:
            features = unit_features(X)
        self.n_artists_ = len(features)
        self.features_ = np.ascontiguousarray(features, dtype=np.float32)
        return self

    def score_block(
        self, rows: np.ndarray, columns: np.ndarray | None, out: np.ndarray | None = None
    ) -> np.ndarray:
        """Only the candidate columns are computed: the market map's ~3% of artists."""
        others = self.features_ if columns is None else self.features_[columns]
        scores = np.matmul(self.features_[rows], others.T, out=out)
        return np.minimum(scores, 1.0, out=scores)
