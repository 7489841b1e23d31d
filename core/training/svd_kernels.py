"""Compiled sparse products of the randomized SVD.

Why: ``A·(Aᵀ·Q)`` is most of the factorization's work, and scipy computes it as two products
with a listeners x width matrix between them. Here each listener's row of ``Aᵀ·Q`` is built in
a small buffer and scattered back at once, one listener at a time, so the in-between matrix
never exists and the width-long inner loops are SIMD (measured against scipy's two products
in ``benchmarks/README.md``, *Fused products*). ``A·Ω`` is made the same way, each listener's
row of Ω computed in the buffer from its id (numpy spent more time drawing Ω than multiplying).
"""

from __future__ import annotations

import numba
import numpy as np

from core.training.random_signs import PRIME


@numba.njit(cache=True, nogil=True, fastmath=True, inline="always")
def _listener_row(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, dense: np.ndarray,
                  listener: int, z: np.ndarray) -> None:
    """``z =`` the listener's row of ``Bᵀ·dense`` (its artists' rows of ``dense``, weighted)."""
    z[:] = 0.0
    for j in range(indptr[listener], indptr[listener + 1]):
        value = data[j]
        row = dense[indices[j]]
        for c in range(dense.shape[1]):
            z[c] += value * row[c]


@numba.njit(cache=True, nogil=True, fastmath=True)
def add_gram_dot(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray,
                 dense: np.ndarray, out: np.ndarray) -> None:
    """``out += Bᵀ·(B·dense)`` for ``B`` given as CSR listener rows (``indices``: artist rows
    of ``dense`` and ``out``); one thread's share, run on several threads with separate
    ``out`` (``nogil``)."""
    width = dense.shape[1]
    z = np.empty(width, dense.dtype)
    for listener in range(len(indptr) - 1):
        _listener_row(indptr, indices, data, dense, listener, z)
        for j in range(indptr[listener], indptr[listener + 1]):
            value = data[j]
            target = out[indices[j]]
            for c in range(width):
                target[c] += value * z[c]


@numba.njit(cache=True, nogil=True, fastmath=True)
def add_dot_signs(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, ids: np.ndarray,
                  coeffs: np.ndarray, out: np.ndarray) -> None:
    """``out += Bᵀ·Ω`` for ``B`` given as CSR listener rows with listener ids ``ids``, where
    Ω's row for a listener is ``core.training.random_signs.signs`` of its id (the same
    integers: Horner's rule modulo ``PRIME``, each step below 2⁶³); one thread's share."""
    width, terms = coeffs.shape
    omega = np.empty(width, out.dtype)
    for listener in range(len(indptr) - 1):
        if indptr[listener] == indptr[listener + 1]:
            continue
        u = ids[listener] % PRIME
        for c in range(width):
            h = coeffs[c, 0]
            for t in range(1, terms):
                h = (h * u + coeffs[c, t]) % PRIME
            omega[c] = 1.0 if 2 * h > PRIME else -1.0
        for j in range(indptr[listener], indptr[listener + 1]):
            value = data[j]
            target = out[indices[j]]
            for c in range(width):
                target[c] += value * omega[c]


@numba.njit(cache=True, nogil=True, fastmath=True)
def gather_rows(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, dense: np.ndarray,
                out: np.ndarray) -> None:
    """``out = B·dense`` for ``B`` given as CSR listener rows: each listener's row of
    ``Aᵀ·Q`` (scipy's product of the same runs a scalar loop; this one is SIMD over columns)."""
    for listener in range(len(indptr) - 1):
        _listener_row(indptr, indices, data, dense, listener, out[listener])
