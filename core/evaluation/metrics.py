"""Metric functions, small and pure so each can be checked by hand on a tiny fixture.

Conventions shared by all of them: rankings are arrays of indices, best first; ties are broken
by the lower index so a result never depends on sort stability; a neighbour list pads missing
entries with index -1 (a method may find fewer than ``k`` artists with positive similarity).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np
import scipy.sparse as sp
from scipy.stats import spearmanr

from core.training.similarity import top_k_indices

_DISCOUNT = 1.0 / np.log2(np.arange(2, 1002))


def recall_at_k(ranked: Sequence[int], relevant: Collection[int], k: int = 10) -> float:
    """Hits in the first ``k`` over ``min(k, |relevant|)``: 1.0 means nothing better was possible."""
    relevant = set(int(r) for r in relevant)
    if not relevant:
        return 0.0
    hits = sum(1 for r in list(ranked)[:k] if int(r) in relevant)
    return hits / min(k, len(relevant))


def ndcg_at_k(ranked: Sequence[int], relevant: Collection[int], k: int = 10) -> float:
    """Binary-relevance nDCG: hits near the top count more; the ideal puts all hits first."""
    relevant = set(int(r) for r in relevant)
    if not relevant:
        return 0.0
    gains = np.array([1.0 if int(r) in relevant else 0.0 for r in list(ranked)[:k]])
    dcg = float(gains @ _DISCOUNT[: len(gains)])
    ideal = float(_DISCOUNT[: min(k, len(relevant))].sum())
    return dcg / ideal


def graded_ndcg_at_k(predicted: np.ndarray, actual: np.ndarray, k: int = 10) -> float:
    """nDCG of the order of ``predicted`` with ``actual`` values as gains (e.g. country shares).

    Used for the map: getting the artist's biggest country first matters most, a country with a
    tiny share in tenth place hardly at all.
    """
    predicted = np.asarray(predicted, dtype=np.float64)
    actual = np.asarray(actual, dtype=np.float64)
    order = top_k_indices(predicted, k)
    dcg = float(actual[order] @ _DISCOUNT[: len(order)])
    ideal_gains = np.sort(actual)[::-1][:k]
    idcg = float(ideal_gains @ _DISCOUNT[: len(ideal_gains)])
    return dcg / idcg if idcg > 0 else 0.0


def spearman(predicted: np.ndarray, actual: np.ndarray) -> float:
    """Rank correlation over all countries; 0.0 when either side is constant (no order to judge)."""
    predicted = np.asarray(predicted, dtype=np.float64)
    actual = np.asarray(actual, dtype=np.float64)
    if len(predicted) < 2 or np.ptp(predicted) == 0 or np.ptp(actual) == 0:
        return 0.0
    return float(spearmanr(predicted, actual).statistic)


def neighbour_matrix(idx: np.ndarray, sim: np.ndarray, n_artists: int) -> sp.csr_matrix:
    """Top-k lists as a sparse artist x artist matrix (padding -1 and non-positive scores dropped)."""
    rows = np.repeat(np.arange(idx.shape[0]), idx.shape[1])
    cols = idx.ravel()
    vals = sim.ravel().astype(np.float64)
    keep = (cols >= 0) & (vals > 0)
    return sp.csr_matrix((vals[keep], (rows[keep], cols[keep])), shape=(idx.shape[0], n_artists))


def recommend(
    train_user_artist: sp.spmatrix, idx: np.ndarray, sim: np.ndarray, users: np.ndarray, k: int = 10
) -> list[np.ndarray]:
    """For each user: the ``k`` artists with the largest summed similarity from their train artists.

    Each train artist counts once (not weighted by plays), as the product's "listeners of X also
    play" lists do; train artists themselves are never recommended.
    """
    played = sp.csr_matrix(train_user_artist, copy=True)
    played.data = np.ones_like(played.data)
    scores = (played[users] @ neighbour_matrix(idx, sim, played.shape[1])).tocsr()
    out = []
    for i, user in enumerate(users):
        start, stop = scores.indptr[i], scores.indptr[i + 1]
        cand, val = scores.indices[start:stop], scores.data[start:stop]
        seen = played.indices[played.indptr[user] : played.indptr[user + 1]]
        keep = ~np.isin(cand, seen)
        cand, val = cand[keep], val[keep]
        out.append(cand[top_k_indices(val, k)])
    return out


def tag_agreements(
    idx: np.ndarray, genres: np.ndarray, rows: np.ndarray, k: int = 10
) -> np.ndarray:
    """Per artist of ``rows``: the share of its first ``k`` neighbours with the same top tag.

    The denominator is always ``k``: a missing neighbour, or one without a tag, is not agreement,
    so a method cannot score well by saying little.
    """
    shares = np.empty(len(rows))
    for i, row in enumerate(rows):
        own = genres[row]
        neighbours = [j for j in idx[row, :k] if j >= 0]
        shares[i] = sum(1 for j in neighbours if genres[j] is not None and genres[j] == own) / k
    return shares


def tag_agreement(
    idx: np.ndarray, genres: np.ndarray, rows: np.ndarray, k: int = 10
) -> float:
    """Mean of ``tag_agreements``."""
    if len(rows) == 0:
        return float("nan")
    return float(np.mean(tag_agreements(idx, genres, rows, k)))


def standard_error(values: np.ndarray) -> float:
    """Standard error of the mean of per-unit scores (listeners or artists)."""
    values = np.asarray(values, np.float64)
    if len(values) < 2:
        return float("nan")
    return float(values.std(ddof=1) / np.sqrt(len(values)))


def coverage(idx: np.ndarray, rows: np.ndarray, k: int = 10) -> float:
    """Share of the artists ``rows`` that appear in at least one other of them's first ``k``
    neighbours: how much of the long tail a user can reach by browsing similar artists."""
    if len(rows) == 0:
        return float("nan")
    listed = idx[rows, :k].ravel()
    member = np.zeros(max(idx.shape[0], int(listed.max(initial=-1)) + 1), bool)
    member[rows] = True
    reached = np.zeros_like(member)
    reached[listed[(listed >= 0)]] = True
    return float((reached & member).sum() / len(rows))


def neighbour_overlap(a: np.ndarray, b: np.ndarray, k: int = 10) -> float:
    """Mean share of each artist's first ``k`` neighbours that both lists hold (-1 padding
    ignored): how far two trainings of the same artists agree, row for row (in memory against
    pushed down, one seed against another). Models of different artist sets are compared by
    artistnum in ``core.model_history.compare``."""
    pairs = [(set(x[x >= 0]), set(y[y >= 0])) for x, y in zip(a[:, :k], b[:, :k], strict=True)]
    shares = [len(x & y) / max(len(x), len(y)) for x, y in pairs if x or y]
    return float(np.mean(shares)) if shares else float("nan")


def predict_shares(peer_idx: np.ndarray, peer_sim: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Similarity-weighted mean of the peers' rows of ``values`` (peers index ``values`` rows).

    Rows with no peer (every index -1 or no positive similarity) come back as all zeros.
    """
    out = np.zeros((peer_idx.shape[0], values.shape[1]))
    for i in range(peer_idx.shape[0]):
        keep = (peer_idx[i] >= 0) & (peer_sim[i] > 0)
        if keep.any():
            w = peer_sim[i][keep].astype(np.float64)
            out[i] = w @ values[peer_idx[i][keep]] / w.sum()
    return out


def geo_ndcgs(predicted: np.ndarray, actual: np.ndarray, k: int = 10) -> np.ndarray:
    """Graded nDCG@k of the country order, one per artist."""
    return np.array([graded_ndcg_at_k(p, a, k) for p, a in zip(predicted, actual, strict=True)])


def geo_scores(predicted: np.ndarray, actual: np.ndarray, k: int = 10) -> tuple[float, float]:
    """Mean graded nDCG@k of the country order and mean Spearman, one row per artist."""
    rho = [spearman(p, a) for p, a in zip(predicted, actual, strict=True)]
    return float(np.mean(geo_ndcgs(predicted, actual, k))), float(np.mean(rho))


def leave_one_out_mean(values: np.ndarray) -> np.ndarray:
    """Row ``i``: the mean of every other row, the "no similarity at all" prediction."""
    n = len(values)
    if n < 2:
        return np.zeros_like(values, dtype=np.float64)
    return (values.sum(axis=0, keepdims=True) - values) / (n - 1)
