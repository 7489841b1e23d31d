"""Co-listening kernels side by side: our fused numba pass against similaripy and
sparse_dot_topn, on the same generated listens (run by hand; prints one table).

The default similarity needs, for every artist, three co-listening signals over the same pairs
(RP3beta walk, BM25 overlap, shared-listener count) before it picks candidates. The libraries
made for the job compute one signal per call, each with its own top-k; ours computes all three
in one pass. Each row times one call on the listens after the listener minimum (>= 2) and the
listener cap (500), BLAS and OpenMP on every core. "pure RP3beta overlap" checks that our walk
is the library's RP3beta: the share of top-10 lists that agree when ours runs the walk alone.

Usage::

    .venv/bin/python benchmarks/kernels.py [--data var/bench/gen-10M/warehouse.duckdb]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from core.evaluation.metrics import neighbour_overlap  # noqa: E402
from core.training.matrix import build_listen_matrix  # noqa: E402
from core.training.similarity import HybridSimilarity, bm25_weight, cap_listeners  # noqa: E402
from core.warehouse.duckdb import DuckDBWarehouse  # noqa: E402


def timed(label: str, fn, rows: list[tuple[str, float]]):
    start, cpu = time.perf_counter(), time.process_time()
    out = fn()
    rows.append((label, time.perf_counter() - start, time.process_time() - cpu))
    print(f"{label:<58} {rows[-1][1]:7.1f} s wall {rows[-1][2]:7.1f} s cpu", flush=True)
    return out


def rows_top10(matrix: sp.spmatrix) -> np.ndarray:
    """Each row's 10 best columns (diagonal dropped), -1 padded, ties to the lower column."""
    m = sp.csr_matrix(matrix)
    m.setdiag(0)
    m.eliminate_zeros()
    out = np.full((m.shape[0], 10), -1)
    for i in range(m.shape[0]):
        cols, vals = m.indices[m.indptr[i]:m.indptr[i + 1]], m.data[m.indptr[i]:m.indptr[i + 1]]
        order = np.lexsort((cols, -vals))[:10]
        out[i, :len(order)] = cols[order]
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path,
                   default=PROJECT_ROOT / "var" / "bench" / "gen-10M" / "warehouse.duckdb")
    args = p.parse_args(argv)
    import similaripy as sim
    from sparse_dot_topn import sp_matmul_topn

    print(f"generated data {args.data.parent.name}; nproc {os.cpu_count()}; load "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    listens = build_listen_matrix(DuckDBWarehouse(args.data).iter_listens())
    listens = listens.keep_artists(listens.listeners >= 2)
    X = cap_listeners(listens.streams, 500)
    n = X.shape[0]
    print(f"{n:,} artists, {X.shape[1]:,} listeners, {X.nnz:,} listens; co-listening join "
          f"{int((np.diff(sp.csc_matrix(X).indptr).astype(np.int64) ** 2).sum()):,} rows",
          flush=True)
    rng = np.random.default_rng(0)
    features = rng.standard_normal((n, 64)).astype(np.float32)
    features /= np.linalg.norm(features, axis=1, keepdims=True)
    market = np.zeros(n, bool)
    market[rng.choice(n, n // 30, replace=False)] = True
    rows: list[tuple[str, float]] = []
    HybridSimilarity(n_candidates=2).fit(X[:200], features=features[:200])  # compile/load
    timed("ours: numba, walk + BM25 + shared + cosine, 100 + 50 kept",
          lambda: HybridSimilarity(listener_cap=None).fit(X, features=features, market=market),
          rows)
    walk_only = timed("ours: the walk alone (svd 0, bm25 0, shrinkage 0)",
                      lambda: HybridSimilarity(listener_cap=None, svd_weight=0, bm25_weight=0,
                                               shrinkage=0).fit(X), rows)
    binary = sp.csr_matrix((np.ones(X.nnz), X.indices, X.indptr), shape=X.shape)
    rp3 = timed("similaripy rp3beta (one signal, k=100)",
                lambda: sim.rp3beta(binary, alpha=1.0, beta=0.2, k=100, verbose=False,
                                    format_output="csr"), rows)
    weights = bm25_weight(X)
    timed("similaripy dot_product of BM25 rows (one signal, k=100)",
          lambda: sim.dot_product(weights, k=100, verbose=False, format_output="csr"), rows)
    p_au = sp.csr_matrix(binary.multiply(1.0 / np.maximum(np.diff(binary.indptr), 1)[:, None]))
    users = np.diff(sp.csc_matrix(binary).indptr).astype(float)
    popularity = np.maximum(np.diff(binary.indptr), 1).astype(float) ** -0.2
    p_ua = sp.csr_matrix(binary.T.multiply(1.0 / np.maximum(users, 1)[:, None])
                         .multiply(popularity[None, :]))
    timed("sparse_dot_topn walk product (one signal, top 100)",
          lambda: sp_matmul_topn(p_au, p_ua, top_n=100, n_threads=os.cpu_count()), rows)
    timed("sparse_dot_topn BM25 product (one signal, top 100)",
          lambda: sp_matmul_topn(weights, sp.csr_matrix(weights.T), top_n=100,
                                 n_threads=os.cpu_count()), rows)
    overlap = neighbour_overlap(walk_only.similar(10)[0], rows_top10(rp3))
    print(f"pure RP3beta overlap (ours vs similaripy, top-10): {overlap:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
