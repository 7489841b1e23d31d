"""Compiled kernels of the default similarity: one pass over listeners that yields every
co-listening signal of an artist at once, and the step that turns candidates into scores.

The in-memory execution runs ``candidates`` here; the pushed-down execution computes the same
candidate table in the warehouse (``core.warehouse.pushdown_sql.candidates_sql``). Both hand
their candidates to ``finish``, so the final scores are computed by one piece of code.
Scores are rounded to ``1e-12`` before ranking so that sums added in another order (the
warehouse's) rank ties the same way.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from core.training.similarity.topk import best_of

#: ranking precision shared with the SQL (``FLOOR(x * 1e12 + 0.5) / 1e12``)
ROUNDING = 1e12


@numba.njit(cache=True, nogil=True, inline="always")
def rounded(x: float) -> float:
    return math.floor(x * ROUNDING + 0.5) / ROUNDING


@numba.njit(cache=True, nogil=True, inline="always")
def support(shared: int, shrinkage: float) -> float:
    """Evidence factor ``shared / (shared + shrinkage)``: a pair seen through one or two
    listeners is pulled toward zero, a well-supported pair keeps almost all of its score."""
    return shared / (shared + shrinkage) if shrinkage > 0 else 1.0


@numba.njit(cache=True, parallel=True)
def candidates(a_indptr: np.ndarray, a_users: np.ndarray, a_bm25: np.ndarray,
               u_indptr: np.ndarray, u_artists: np.ndarray, u_bm25: np.ndarray,
               inv_listener_artists: np.ndarray, popularity_beta: np.ndarray,
               prior: np.ndarray, market: np.ndarray, labels: np.ndarray, bm25_weight: float,
               shrinkage: float, n_candidates: int, n_market: int, chunks: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every artist's candidate neighbours from one pass over its listeners' artists.

    For artist ``a`` and each artist ``b`` sharing a listener ``u``: walk = sum of
    ``1 / artists(u)`` times ``listeners(b) ** -beta`` (RP3beta; the ``1 / listeners(a)``
    factor cancels in the row scaling), BM25 overlap = sum of ``w(a, u) * w(b, u)``, shared =
    number of such ``u``. Candidate score = (walk / row max + ``bm25_weight`` x overlap⁺ /
    row max) x support(shared) x ``prior[b]`` (evidence of ``b``'s own audience). Kept: the
    ``n_candidates`` best, and the ``n_market`` best among ``market`` artists (the map's
    peers), ties to the lower row.

    The kernel may number the artists in another order (most listened first keeps the records
    touched most often in cache): ``labels[i]`` is the artist numbered ``i``, the listener-side
    arrays (``u_artists``, ``popularity_beta``) use those numbers, and the artist-side rows,
    ``prior``, ``market`` and the output use the artists' own rows. Artists are dealt to ``chunks``
    interleaved work items (several per thread, for balance: hits cost most).
    Returns ``(b, s1, shared)`` of shape ``(artists, n_candidates + n_market)``, -1 padded,
    where ``s1`` is the candidate score before the support factor.
    """
    n = len(a_indptr) - 1
    width = n_candidates + n_market
    out_b = np.full((n, width), -1, np.int32)
    out_s1 = np.zeros((n, width), np.float64)
    out_shared = np.zeros((n, width), np.int32)
    chunks = max(1, min(n, chunks))
    label32 = labels.astype(np.int32)
    # rank-ordered side arrays: small, so their random reads stay in cache
    market_rank = np.zeros(n, np.uint8)
    prior_rank = np.empty(n, np.float64)
    use_prior = False
    for i in range(n):
        market_rank[i] = market[labels[i]]
        prior_rank[i] = prior[labels[i]]
        use_prior = use_prior or prior_rank[i] != 1.0
    for chunk in numba.prange(chunks):
        # one 32-byte record per artist: walk, overlap, count (zeroed again after each
        # artist) and the popularity term, so a touch costs one cache line
        acc = np.zeros((n, 4), np.float64)
        acc[:, 3] = popularity_beta
        touched = np.empty(n, np.int32)
        others = np.empty(n, np.int64)
        walks = np.empty(n, np.float64)
        overlaps = np.empty(n, np.float64)
        counts = np.empty(n, np.int32)
        ranks = np.empty(n, np.int32)
        in_market = np.empty(n, np.int64)
        s1 = np.empty(n, np.float64)
        score = np.empty(n, np.float64)
        picked = np.zeros(n, np.bool_)
        for a in range(chunk, n, chunks):
            m = 0
            row = labels[a]
            for p in range(a_indptr[row], a_indptr[row + 1]):
                u = a_users[p]
                wa = a_bm25[p]
                step = inv_listener_artists[u]
                for q in range(u_indptr[u], u_indptr[u + 1]):
                    b = u_artists[q]
                    if acc[b, 2] == 0.0:
                        touched[m] = b
                        m += 1
                    acc[b, 0] += step
                    acc[b, 1] += wa * u_bm25[q]
                    acc[b, 2] += 1.0
            # gather the touched records into contiguous arrays and zero them, in one pass;
            # the market artists among them are listed on the way
            k = 0
            km = 0
            walk_max = 0.0
            overlap_max = 0.0
            for j in range(m):
                b = touched[j]
                if b != a:
                    w = acc[b, 0] * acc[b, 3]
                    o = acc[b, 1]
                    walks[k] = w
                    overlaps[k] = o
                    counts[k] = np.int32(acc[b, 2])
                    ranks[k] = b
                    if market_rank[b]:
                        in_market[km] = k
                        km += 1
                    if w > walk_max:
                        walk_max = w
                    if o > overlap_max:
                        overlap_max = o
                    k += 1
                acc[b, 0] = 0.0
                acc[b, 1] = 0.0
                acc[b, 2] = 0.0
            for j in range(k):
                value = walks[j] / walk_max if walk_max > 0 else 0.0
                if overlap_max > 0 and overlaps[j] > 0:
                    value += bm25_weight * overlaps[j] / overlap_max
                s1[j] = value
                v = value * support(counts[j], shrinkage)
                if use_prior:  # the prior is all ones unless switched on
                    v = v * prior_rank[ranks[j]]
                score[j] = rounded(v)
                others[j] = label32[ranks[j]]
            best = best_of(others[:k], score[:k], n_candidates)
            slot = 0
            for j in best:
                out_b[row, slot] = others[j]
                out_s1[row, slot] = s1[j]
                out_shared[row, slot] = counts[j]
                picked[ranks[j]] = True
                slot += 1
            if n_market > 0 and km > 0:
                mk = in_market[:km]
                for j in mk[best_of(others[mk], score[mk], n_market)]:
                    if not picked[ranks[j]]:
                        out_b[row, slot] = others[j]
                        out_s1[row, slot] = s1[j]
                        out_shared[row, slot] = counts[j]
                        slot += 1
            for j in best:
                picked[ranks[j]] = False
    return out_b, out_s1, out_shared


@numba.njit(cache=True, parallel=True, fastmath={"reassoc"})
def finish(indptr: np.ndarray, others: np.ndarray, s1: np.ndarray, shared: np.ndarray,
           features: np.ndarray, prior: np.ndarray, svd_weight: float, shrinkage: float,
           scale: float) -> np.ndarray:
    """Final score of every candidate pair (CSR rows ``indptr`` over ``others``):
    support(shared) x prior[b] x (s1 + ``svd_weight`` x cosine⁺ / row max) / ``scale``.

    The dot products may be summed in any order (``reassoc``: SIMD lanes), which moves a score
    by at most one unit of the 1e-12 ranking grid; both executions share this step, so their
    scores stay equal to each other."""
    n = len(indptr) - 1
    out = np.zeros(len(others), np.float64)
    dims = features.shape[1]
    for a in numba.prange(n):
        start, stop = indptr[a], indptr[a + 1]
        cosine = np.zeros(stop - start, np.float64)
        peak = 0.0
        if svd_weight > 0:
            for p in range(start, stop):
                b = others[p]
                dot = 0.0
                for d in range(dims):
                    dot += np.float64(features[a, d]) * np.float64(features[b, d])
                dot = max(dot, 0.0)
                cosine[p - start] = dot
                peak = max(peak, dot)
        for p in range(start, stop):
            value = s1[p]
            if peak > 0:
                value += svd_weight * cosine[p - start] / peak
            out[p] = rounded(support(shared[p], shrinkage) * prior[others[p]] * value / scale)
    return out
