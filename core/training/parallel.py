"""Using every core for the steps numpy and scipy run on one thread.

Sparse products (scipy) and top-k selection (numpy) release the GIL but run on a single
thread, so at tens of millions of listens half of a 2-core machine sat idle through the
factorization and the neighbour search. Work is split into independent row ranges and run in
a thread pool; BLAS is held to one thread meanwhile so the pool and BLAS do not fight for
the same cores.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from core.training.svd_kernels import add_dot_signs, add_gram_dot, gather_rows

T = TypeVar("T")
R = TypeVar("R")


def worker_count() -> int:
    """Cores this process may use (its CPU affinity, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def parallel_map(fn: Callable[[T], R], items: Iterable[T], workers: int | None = None) -> list[R]:
    """``[fn(x) for x in items]`` on a thread pool, in order; exceptions propagate."""
    items = list(items)
    workers = min(workers or worker_count(), len(items))
    if workers <= 1:
        return [fn(item) for item in items]
    with single_threaded_blas(), ThreadPoolExecutor(workers) as pool:
        return list(pool.map(fn, items))


def split_by_nnz(indptr: np.ndarray, parts: int) -> list[tuple[int, int]]:
    """Row ranges holding about equal numbers of stored entries (the work of a product)."""
    n = len(indptr) - 1
    if n == 0:
        return [(0, 0)]
    targets = np.linspace(0, indptr[-1], parts + 1)[1:-1]
    cuts = np.unique(np.concatenate([[0], np.searchsorted(indptr, targets), [n]]))
    return [(int(a), int(b)) for a, b in itertools.pairwise(cuts)]


class ListenerChunks:
    """An artists x listeners matrix stored once, as listener ranges, for threaded products.

    Every product is read from the listener-major (transposed) arrays: ``M·Z`` scatters each
    listener's row of ``Z`` into the artist side (the listener rows are read in order and the
    artist side is small enough to stay in cache), which measured 1.5x faster than gathering
    random listener rows through the artist-major arrays; ``Mᵀ·Y`` gathers from the small
    artist side. One copy instead of two also halves the memory. The ranges are cut once:
    slicing a CSR copies it. The fused products walk each range in blocks of listeners so
    that a listeners x width matrix (Ω, or ``Mᵀ·Q`` inside ``M·Mᵀ·Q``) never exists whole.
    """

    def __init__(self, matrix: sp.spmatrix, dtype: type = np.float32, parts: int | None = None,
                 row_rank: np.ndarray | None = None, block_rows: int = 1 << 15):
        """``row_rank``: the number each artist row takes in the products (they return and
        take artist rows in that order), e.g. most listened first, so the rows touched
        most often sit together in cache. ``block_rows``: listeners per block of the fused
        products (``gram_dot``, ``tgram``)."""
        self.block_rows = block_rows
        by_listener = sp.csr_matrix(matrix, dtype=dtype).T.tocsr()
        if row_rank is not None:
            by_listener.indices = np.asarray(row_rank, by_listener.indices.dtype)[by_listener.indices]
            by_listener.has_sorted_indices = False
        self.shape = matrix.shape
        self.ranges = split_by_nnz(by_listener.indptr, parts or worker_count())
        self.chunks = [by_listener[a:b] for a, b in self.ranges]

    def _fused(self, part: Callable[[int, sp.csr_matrix], np.ndarray]) -> np.ndarray:
        """The sum of ``part(first listener, block)`` over blocks of ``block_rows`` listeners
        (views, not copies), one range per worker."""
        rows = self.block_rows

        def one(i: int) -> np.ndarray | None:
            (a, b), chunk = self.ranges[i], self.chunks[i]
            acc = None
            for s in range(0, b - a, rows):
                e = min(s + rows, b - a)
                lo, hi = chunk.indptr[s], chunk.indptr[e]
                block = sp.csr_matrix(
                    (chunk.data[lo:hi], chunk.indices[lo:hi], chunk.indptr[s : e + 1] - lo),
                    shape=(e - s, chunk.shape[1]))
                got = part(a + s, block)
                if acc is None:
                    acc = got
                else:
                    acc += got
            return acc

        return _sum([acc for acc in parallel_map(one, range(len(self.chunks)))
                     if acc is not None])

    def _scattered(self, width: int,
                   add: Callable[[int, sp.csr_matrix, np.ndarray], None]) -> np.ndarray:
        """The sum over listener ranges of what ``add(range index, chunk, out)`` scatters into
        an artists x ``width`` zero matrix, one range (and one accumulator) per worker."""

        def one(i: int) -> np.ndarray:
            chunk = self.chunks[i]
            out = np.zeros((self.shape[0], width), chunk.dtype)
            add(i, chunk, out)
            return out

        return _sum(parallel_map(one, range(len(self.chunks))))

    def dot_signs(self, ids: np.ndarray, coeffs: np.ndarray) -> np.ndarray:
        """``matrix @ Ω`` for the random test matrix Ω whose row for listener ``ids[j]`` is
        ``core.training.random_signs.signs``: a compiled pass per range that makes each
        listener's row of Ω as it goes, so Ω is never held (a gigabyte at a million listeners)."""
        ids = np.asarray(ids, np.int64)
        coeffs = np.ascontiguousarray(coeffs, np.int64)

        def add(i: int, chunk: sp.csr_matrix, out: np.ndarray) -> None:
            a, b = self.ranges[i]
            add_dot_signs(chunk.indptr, chunk.indices, chunk.data, ids[a:b], coeffs, out)

        return self._scattered(len(coeffs), add)

    def gram_dot(self, dense: np.ndarray) -> np.ndarray:
        """``matrix @ (matrix.T @ dense)`` without the listeners x width product in between (a
        gigabyte at a million listeners): a compiled pass per range, one listener at a time
        (``core.training.svd_kernels``)."""
        dense = np.ascontiguousarray(dense, dtype=self.chunks[0].dtype)
        return self._scattered(dense.shape[1], lambda i, chunk, out: add_gram_dot(
            chunk.indptr, chunk.indices, chunk.data, dense, out))

    def tgram(self, dense: np.ndarray) -> np.ndarray:
        """``(matrix.T @ dense)ᵀ · (matrix.T @ dense)`` accumulated in float64, block by block."""

        dense = np.ascontiguousarray(dense, dtype=self.chunks[0].dtype)

        def part(first: int, block: sp.csr_matrix) -> np.ndarray:
            z = np.empty((block.shape[0], dense.shape[1]), dense.dtype)
            gather_rows(block.indptr, block.indices, block.data, dense, z)
            z64 = z.astype(np.float64)
            return z64.T @ z64

        return self._fused(part)

    def tdot(self, dense: np.ndarray) -> np.ndarray:
        """``matrix.T @ dense`` (dense: artists x width)."""
        out = np.empty((self.shape[1], dense.shape[1]), np.result_type(self.chunks[0].dtype, dense))

        def one(i: int) -> None:
            a, b = self.ranges[i]
            out[a:b] = self.chunks[i] @ dense

        parallel_map(one, range(len(self.chunks)))
        return out


def _sum(parts: list[np.ndarray]) -> np.ndarray:
    total = parts[0]
    for more in parts[1:]:
        total += more
    return total
