"""Compiled sparse products of the randomized SVD.

Why: ``A·(Aᵀ·Q)`` is most of the factorization's work, and scipy computes it as two products
with a listeners x width matrix between them. Here each listener's row of ``Aᵀ·Q`` is built in
a small buffer and scattered back at once, one listener at a time, so the in-between matrix
never exists and the width-long inner loops are SIMD (measured against scipy's two products
in ``benchmarks/README.md``, *Fused products*).
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True, fastmath=True)
def add_gram_dot(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray,
                 dense: np.ndarray, out: np.ndarray) -> None:
    """``out += Bᵀ·(B·dense)`` for ``B`` given as CSR listener rows (``indices``: artist rows
    of ``dense`` and ``out``); one thread's share, run on several threads with separate
    ``out`` (``nogil``)."""
    width = dense.shape[1]
    z = np.empty(width, dense.dtype)
    for listener in range(len(indptr) - 1):
        z[:] = 0.0
        for j in range(indptr[listener], indptr[listener + 1]):
            value = data[j]
            row = dense[indices[j]]
            for c in range(width):
                z[c] += value * row[c]
        for j in range(indptr[listener], indptr[listener + 1]):
            value = data[j]
            target = out[indices[j]]
            for c in range(width):
                target[c] += value * z[c]
