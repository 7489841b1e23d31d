"""Groups of artists with similar listeners, for the cluster view and the graph."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans
from sklearn.mixture import BayesianGaussianMixture


class KMeansClusters(ClusterMixin, BaseEstimator):
    """k-means on the normalized features: fast at any size, and every cluster has a centre.

    One k-means++ start: the best of four moved inertia by under 0.5%, less than another
    random state does, at 4x the time (``benchmarks/README.md``, *Clustering: one start*).
    (The seed's Bayesian mixture is kept as ``SeedMixtureClusters`` for comparison; it takes
    minutes on large feature sets and may leave components empty.)
    """

    def __init__(self, n_clusters: int = 10, random_state: int = 0) -> None:
        self.n_clusters = n_clusters
        self.random_state = random_state

    def fit(self, X: np.ndarray, y: object = None) -> KMeansClusters:
        k = max(1, min(self.n_clusters, len(X)))
        model = KMeans(n_clusters=k, n_init=1, random_state=self.random_state).fit(X)
        self.labels_ = model.labels_.astype(np.int32)
        self.cluster_centers_ = model.cluster_centers_.astype(np.float32)
        return self


class SeedMixtureClusters(ClusterMixin, BaseEstimator):
    """The seed design's BayesianGaussianMixture, for comparisons only."""

    def __init__(self, n_clusters: int = 10, random_state: int = 0) -> None:
        self.n_clusters = n_clusters
        self.random_state = random_state

    def fit(self, X: np.ndarray, y: object = None) -> SeedMixtureClusters:
        k = max(1, min(self.n_clusters, len(X)))
        model = BayesianGaussianMixture(n_components=k, random_state=self.random_state).fit(X)
        self.labels_ = model.predict(X).astype(np.int32)
        self.cluster_centers_ = model.means_.astype(np.float32)
        return self
