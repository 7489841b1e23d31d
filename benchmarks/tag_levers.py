"""Two untried levers for tag@10, on the tuning set only (inner split, dev halves).

    .venv/bin/python benchmarks/tag_levers.py

Both re-score the default hybrid's own candidates after its kernel, so each row differs from
the default in one change and the first row must equal the default's tuning figures:

* **row prior**: the audience prior ``L_b / (L_b + lam0 * L_a ** gamma)`` (on artists without
  market data, as the default) grows or shrinks with the query artist's own audience ``L_a``
  (``gamma = 0`` is the default's prior at ``lam0``);
* **cosine apart**: the support factor leaves the feature cosine alone
  (``prior x (support x s1 + w x cos / peak)``), optionally with each artist's ``n_cos`` best
  cosine neighbours added as candidates even when no listener is shared.

Findings: benchmarks/README.md, *Quality tuning (issue 14)*. Not product code: the levers
that would be adopted go into the kernel and its SQL (``core/training/similarity``).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.config import Settings
from core.evaluation import load_evaluation_data
from core.evaluation.split import holdout_split
from core.evaluation.tuning import tuning_metrics, tuning_set
from core.training.similarity.default import HybridSimilarity, _mask
from core.training.similarity.weights import cap_listeners
from core.warehouse.duckdb import DuckDBWarehouse


class RowPrior(HybridSimilarity):
    """The default, its prior re-applied with a strength that depends on the query artist."""

    def __init__(self, lam0: float = 1.0, gamma: float = 0.0) -> None:
        super().__init__()
        self.lam0, self.gamma = lam0, gamma

    def fit(self, X: sp.spmatrix, y: object = None, features: np.ndarray | None = None,
            market: np.ndarray | None = None) -> RowPrior:
        super().fit(X, y, features=features, market=market)
        X = sp.csr_matrix(X, dtype=np.float64)
        n = X.shape[0]
        listeners = np.diff(cap_listeners(X, self.listener_cap).indptr).astype(np.float64)
        in_market = _mask(market, n)
        old = self.prior(listeners, in_market)
        pairs = self.similarity_.tocoo()
        a, b = pairs.row, pairs.col
        new = listeners[b] / (listeners[b]
                              + self.lam0 * np.power(np.maximum(listeners[a], 1.0), self.gamma))
        new[in_market[b]] = 1.0
        self.similarity_ = sp.csr_matrix((pairs.data / old[b] * new, (a, b)), shape=(n, n))
        return self


class CosineApart(HybridSimilarity):
    """The default with the support factor off the cosine part, plus ``n_cos`` cosine
    candidates per artist that need no shared listener."""

    def __init__(self, n_cos: int = 0, svd_weight: float = 2.0, support_on_cosine: bool = False
                 ) -> None:
        super().__init__(svd_weight=svd_weight)
        self.n_cos, self.support_on_cosine = n_cos, support_on_cosine

    def _finish(self, n: int, indptr: np.ndarray, others: np.ndarray, s1: np.ndarray,
                shared: np.ndarray, features: np.ndarray, prior: np.ndarray) -> CosineApart:
        F = np.asarray(features, np.float32)
        rows = np.repeat(np.arange(n), np.diff(indptr))
        cols, s1, shared = others.astype(np.int64), np.asarray(s1), shared.astype(np.int64)
        if self.n_cos:
            extra_rows, extra_cols = [], []
            for start in range(0, n, 2048):
                block = F[start:start + 2048] @ F.T
                here = np.arange(start, start + len(block))
                block[here - start, here] = -np.inf
                best = np.argpartition(-block, self.n_cos, axis=1)[:, :self.n_cos]
                extra_rows.append(np.repeat(here, self.n_cos))
                extra_cols.append(best.ravel())
            er, ec = np.concatenate(extra_rows), np.concatenate(extra_cols)
            new = ~np.isin(er * n + ec, rows * n + cols)
            rows, cols = np.concatenate([rows, er[new]]), np.concatenate([cols, ec[new]])
            s1 = np.concatenate([s1, np.zeros(new.sum())])
            shared = np.concatenate([shared, np.zeros(new.sum(), np.int64)])
        cosine = np.maximum(np.einsum("ij,ij->i", F[rows], F[cols]), 0.0)
        peak = np.zeros(n)
        np.maximum.at(peak, rows, cosine)
        scaled = np.divide(cosine, peak[rows], out=np.zeros_like(cosine), where=peak[rows] > 0)
        support = shared / (shared + self.shrinkage)
        value = (support * (s1 + self.svd_weight * scaled) if self.support_on_cosine
                 else support * s1 + self.svd_weight * scaled)
        scores = prior[cols] * value / (1.0 + self.svd_weight + self.bm25_weight)
        self.n_artists_ = n
        self.similarity_ = sp.csr_matrix((scores, (rows, cols)), shape=(n, n))
        self.shared_ = np.zeros(self.similarity_.nnz, np.int32)
        return self


def main() -> int:
    data = load_evaluation_data(DuckDBWarehouse(Settings().duckdb_path))
    tuning = tuning_set(data, holdout_split(data.streams))
    methods: dict[str, HybridSimilarity] = {"default (as the kernel scores it)": HybridSimilarity()}
    for lam0, gamma in ((1.0, 0.0), (0.5, 0.0), (0.7, 0.25), (1.0, 0.25), (0.5, 0.5),
                        (0.25, 1.0), (1.5, -0.25), (2.0, -0.5), (4.0, -1.0)):
        methods[f"row prior lam0={lam0} gamma={gamma}"] = RowPrior(lam0, gamma)
    methods["cosine apart, support on cosine (= default)"] = CosineApart(support_on_cosine=True)
    for n_cos, weight in ((0, 2.0), (10, 2.0), (30, 2.0), (0, 3.0), (0, 4.0), (10, 4.0)):
        methods[f"cosine apart, {n_cos} cosine candidates, svd={weight}"] = CosineApart(
            n_cos, weight)
    print("variant | recall@10 | tag@10 dev | geo nDCG@10 dev | coverage@10")
    for name, method in methods.items():
        start = time.perf_counter()
        m = tuning_metrics(method, data, tuning)
        print(f"{name} | {m['recall@10']:.4f} | {m['tag@10_dev']:.4f} | "
              f"{m['geo_ndcg@10_dev']:.4f} | {m['coverage@10']:.3f}  "
              f"({time.perf_counter() - start:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
