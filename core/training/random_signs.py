"""The randomized SVD's test matrix Ω as a function of (listener id, column).

Why: the in-memory SVD, DuckDB and Snowflake must draw the same Ω, or their features differ as
two random seeds do and the similar-artist lists of the two executions drift apart. Column j
of Ω is a random cubic polynomial modulo the prime P = 2³¹ − 1 evaluated at the listener id
(a 4-wise independent hash family), and the entry is its sign about P/2. Every intermediate
product stays below 2⁶³, so numpy's int64, DuckDB's BIGINT and Snowflake's NUMBER compute the
same integers; ``core.warehouse.pushdown_sql.omega_sql`` is the SQL spelling of ``signs``.
"""

from __future__ import annotations

import numpy as np

#: the modulus: a Mersenne prime below 2³¹, so (P - 1)² + P < 2⁶³
PRIME = 2**31 - 1
#: polynomial coefficients per column (degree 3)
TERMS = 4


def coefficients(width: int, random_state: int = 0) -> np.ndarray:
    """``(width, 4)`` int64 coefficients, highest power first, drawn from ``random_state``;
    the leading one is never zero."""
    rng = np.random.default_rng(random_state)
    out = rng.integers(0, PRIME, size=(width, TERMS), dtype=np.int64)
    out[:, 0] = rng.integers(1, PRIME, size=width, dtype=np.int64)
    return out


def polynomial(ids: np.ndarray, coeffs: np.ndarray) -> np.ndarray:
    """``(len(ids), width)`` int64 values in [0, P): Horner's rule, reducing after each step."""
    u = (np.asarray(ids, np.int64) % PRIME)[:, None]
    h = np.broadcast_to(coeffs[:, 0], (len(u), len(coeffs))).copy()
    for term in range(1, coeffs.shape[1]):
        h *= u
        h += coeffs[:, term]
        h %= PRIME
    return h


def signs(ids: np.ndarray, coeffs: np.ndarray, block: int = 1 << 14) -> np.ndarray:
    """Ω's rows for listeners ``ids``: ±1 as float32, in blocks of rows so the int64
    intermediates stay small (Ω itself is a gigabyte at a million listeners x 256)."""
    ids = np.asarray(ids, np.int64)
    out = np.empty((len(ids), len(coeffs)), np.float32)
    for start in range(0, len(ids), block):
        h = polynomial(ids[start : start + block], coeffs)
        out[start : start + block] = np.where(2 * h > PRIME, 1.0, -1.0)
    return out
