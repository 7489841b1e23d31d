"""How much one listener's streams of an artist count: the raw counts are far too heavy-tailed."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin


class LogWeighting(TransformerMixin, BaseEstimator):
    """``log(1 + streams)``, each listener's column then scaled to unit L2 norm.

    The seed took ``log(streams)``, which turns a single stream into 0 and so erases the
    listener; ``log1p`` keeps every listener while taming the tail. The per-listener scaling
    (``normalize_listeners``) keeps listeners who play hundreds of artists from dominating the
    factorization, so the features describe audiences rather than a few heavy users; the
    warehouse spells the same (``core.warehouse.pushdown_sql.weighted_sql``).
    """

    def __init__(self, normalize_listeners: bool = True) -> None:
        self.normalize_listeners = normalize_listeners

    def fit(self, X: sp.spmatrix, y: object = None) -> LogWeighting:
        return self

    def transform(self, X: sp.spmatrix) -> sp.csr_matrix:
        out = sp.csr_matrix(X, dtype=np.float64, copy=True)
        np.log1p(out.data, out=out.data)
        if self.normalize_listeners and out.nnz:
            norms = np.sqrt(np.bincount(out.indices, weights=out.data * out.data,
                                        minlength=out.shape[1]))
            scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
            out.data *= scale[out.indices]
        return out
