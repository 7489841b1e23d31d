"""How much one listener's streams of an artist count: the raw counts are far too heavy-tailed."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin


class LogWeighting(TransformerMixin, BaseEstimator):
    """``log(1 + streams)``.

    The seed took ``log(streams)``, which turns a single stream into 0 and so erases the
    listener; ``log1p`` keeps every listener while taming the tail.
    """

    def fit(self, X: sp.spmatrix, y: object = None) -> LogWeighting:
        return self

    def transform(self, X: sp.spmatrix) -> sp.csr_matrix:
        out = sp.csr_matrix(X, dtype=np.float64, copy=True)
        np.log1p(out.data, out=out.data)
        return out
