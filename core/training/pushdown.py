"""Listener features computed inside the warehouse: a randomized SVD pushed down as SQL.

Why: the in-memory pipeline holds the whole (artist x listener) matrix, so its memory grows
with the table; past a few hundred million rows it no longer fits the machine. Here every pass
over that table is a join + GROUP BY run by the warehouse, and only artist-side matrices
(artists x l numbers, l = features + oversampling) and a few aggregates come back, so the
training process's memory depends on the number of artists, not on the number of rows.

The algorithm is the randomized range finder with subspace (power) iteration of Halko,
Martinsson & Tropp (2011), Algorithms 4.1/4.4 and 5.1, on A = the in-memory pipeline's
weighting (log1p(streams), each listener's column at unit norm) with artists as rows, after
the same minimum-listeners filter:

1. Ω (listeners x l) has random ±1 entries computed in SQL from the listener id, the same
   function of the id as in memory (``core.training.random_signs``), so the warehouse never
   receives it and both executions start from the same Ω; Y = A·Ω comes back (artists x l).
2. ``n_iter`` times: Q = orth(Y) in Python; Q is uploaded as a temporary table;
   Z = Aᵀ·Q is computed and kept in the warehouse (listeners x l); Y = A·Z comes back.
3. Finally Q = orth(Y), Y = A·Aᵀ·Q as above, and the small l x l problem Qᵀ·Y = V·Λ·Vᵀ is
   solved in Python: singular values √Λ, features U·Σ = Q·V·√Λ (what ``TruncatedSVD``'s
   ``fit_transform`` returns).

Each pass reads the weighted table once; 2·n_iter + 3 passes in all, one more than the
in-memory ``SVDFeatures``'s sparse products (the variance).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.errors import InsightsError
from core.progress import ProgressCallback, no_progress
from core.training.factorization import N_ITER, OVERSAMPLES, orthonormalize, ritz
from core.training.random_signs import PRIME, coefficients
from core.training.similarity import HybridSimilarity
from core.warehouse import pushdown_sql as q


@dataclass
class PreparedListens:
    """What ``prepare_listens`` learned while it cleaned and weighted the listens in the
    warehouse (tables PAIRS and WEIGHTED, read by every later pass)."""

    artist_ids: np.ndarray  # kept artists, ascending id
    listeners: np.ndarray
    streams: np.ndarray
    excluded: pd.DataFrame  # artistnum, listeners of artists below the minimum
    users: int  # listeners of any artist
    kept_users: int  # listeners of a kept artist
    pairs: int
    artists_total: int
    seconds: float

    @property
    def weighted_rows(self) -> int:
        """Rows of the weighted table: one per (kept artist, listener) pair."""
        return int(self.listeners.sum())


def prepare_listens(runner: q.Runner, min_listeners: int,
                    normalize_listeners: bool = True) -> PreparedListens:
    """Apply the input rules and the listener minimum once, into the warehouse's temporary
    tables, weighted as ``LogWeighting(normalize_listeners)`` weights, and fetch the
    per-artist totals (artists x 3 numbers)."""
    start = time.perf_counter()
    table, columns = runner.source()
    runner.execute(q.pairs_sql(runner.dialect, table, columns))
    stats = runner.fetch(q.artist_stats_sql())
    totals = runner.fetch(q.totals_sql())
    pairs = int(totals["pairs"][0])
    runner.scanned("clean listens", "source (at least its pairs)", pairs, 3)
    runner.scanned("artist totals, pairs and listeners", q.PAIRS, pairs, 3, times=2)
    ids = stats["artist"].astype(np.int64)
    listeners = stats["listeners"].astype(np.int64)
    kept = listeners >= min_listeners
    if kept.sum() < 2:
        raise InsightsError(
            f"only {int(kept.sum())} artist(s) have at least {min_listeners} listeners; "
            "lower MIN_LISTENERS or load more data"
        )
    runner.execute(q.weighted_sql(min_listeners, normalize_listeners))
    kept_users = int(runner.fetch(f"SELECT COUNT(DISTINCT usr) AS n FROM {q.WEIGHTED}")["n"][0])
    # every later pass reads WEIGHTED: the cleaned pairs would only keep DuckDB's memory (up to
    # its limit) full while the trainer fetches (benchmarks/README.md, *Where the pushed-down
    # RSS goes*)
    runner.drop(q.PAIRS)
    runner.scanned("weight once (log1p, listener minimum)", q.PAIRS, pairs, 3, times=2)
    runner.scanned("listeners kept", q.WEIGHTED, int(listeners[kept].sum()), 1)
    return PreparedListens(
        artist_ids=ids[kept], listeners=listeners[kept],
        streams=stats["streams"].astype(np.float64)[kept],
        excluded=pd.DataFrame({"artistnum": ids[~kept], "listeners": listeners[~kept]}),
        users=int(totals["users"][0]), kept_users=kept_users, pairs=int(totals["pairs"][0]),
        artists_total=len(ids), seconds=round(time.perf_counter() - start, 3),
    )


@dataclass
class PushdownSVD:
    """The pushed-down factorization, scikit-learn style: parameters in, ``fit`` learns.

    Learned: ``artist_ids_`` (kept artists, ascending id), ``features_`` (U·Σ, float32),
    ``singular_values_``, ``explained_variance_ratio_``, ``listeners_`` and ``streams_`` of the
    kept artists, ``excluded_`` (id and listeners of artists below the minimum), ``counts_``
    (pairs, users, artists, bytes fetched, statements, seconds per phase).
    """

    n_components: int = 128
    min_listeners: int = 2
    normalize_listeners: bool = True
    n_iter: int = N_ITER
    oversamples: int = OVERSAMPLES
    random_state: int = 0
    memory_limit: str | None = None
    counts_: dict[str, Any] = field(default_factory=dict, init=False)

    def fit(self, target: Any, progress: ProgressCallback = no_progress) -> PushdownSVD:
        """Clean, weight and factorize in the warehouse ``target`` (its tables dropped after)."""
        with q.open_runner(target, self.memory_limit) as runner:
            try:
                listens = prepare_listens(runner, self.min_listeners, self.normalize_listeners)
                self.fit_prepared(runner, listens, progress)
            finally:
                runner.drop(*q.ALL_TABLES)
        return self

    def fit_prepared(self, runner: q.Runner, listens: PreparedListens,
                     progress: ProgressCallback = no_progress) -> PushdownSVD:
        """Factorize the cleaned, weighted table ``prepare_listens`` left in the warehouse."""
        self._fit(runner, listens, progress)
        return self

    def _fit(self, runner: q.Runner, listens: PreparedListens, progress: ProgressCallback) -> None:
        seconds: dict[str, float] = {"prepare": listens.seconds}
        clock = time.perf_counter()

        def lap(name: str) -> None:
            nonlocal clock
            now = time.perf_counter()
            seconds[name] = round(seconds.get(name, 0.0) + now - clock, 3)
            clock = now

        self.artist_ids_ = listens.artist_ids
        self.listeners_ = listens.listeners
        self.streams_ = listens.streams
        self.excluded_ = listens.excluded
        n_users, n_artists, kept_users = listens.users, len(listens.artist_ids), listens.kept_users
        start_bytes, start_statements = runner.bytes_fetched, runner.statements

        # same cap as SVDFeatures: at most min(shape) - 1 components (shape counts all users)
        k = max(1, min(self.n_components, min(n_artists, n_users) - 1))
        width = min(k + self.oversamples, n_artists, kept_users)
        passes = 2 * self.n_iter + 3
        done = 0

        def step(label: str) -> None:
            nonlocal done
            done += 1
            progress(f"pushdown: {label}", done / passes)

        rows = listens.weighted_rows
        runner.execute(q.omega_sql(coefficients(width, self.random_state), PRIME))
        runner.scanned("random test matrix", q.WEIGHTED, rows, 1)
        lap("passes")
        Y = self._artist_side(runner, width, n_artists, rows)
        step("A·Ω")
        for i in range(self.n_iter + 1):
            Q = orthonormalize(Y, passes=2 if i == self.n_iter else 1)  # as SVDFeatures
            lap("python")
            frame = pd.DataFrame(Q, columns=[f"c{j}" for j in range(Q.shape[1])])
            frame.insert(0, "artist", self.artist_ids_)
            runner.upload(q.ARTIST_SIDE, frame)
            parts = runner.user_side_parts(kept_users, Q.shape[1])
            for part in range(parts):
                runner.execute(q.user_side_sql(Q.shape[1], parts, part))
            runner.scanned(f"SVD A^T Q ({i + 1})", q.WEIGHTED, rows, 3, times=parts)
            step(f"Aᵀ·Q ({i + 1})")
            Y = self._artist_side(runner, Q.shape[1], n_artists, rows)
            step(f"A·Z ({i + 1})")
            lap("passes")

        # Y = A·Aᵀ·Q: the Rayleigh-Ritz matrix Qᵀ·A·Aᵀ·Q holds the squared singular values
        gram = Q.T @ Y
        features, sigma, _ = ritz(Q, (gram + gram.T) / 2, k)
        runner.drop(q.USER_SIDE, q.ARTIST_SIDE)  # listeners x l numbers, no longer read
        variance = runner.fetch(q.variance_sql())
        runner.scanned("total variance", q.WEIGHTED, rows, 2, times=2)
        total_var = (float(variance["sum_sq"][0]) / n_artists
                     - float(variance["sum_col_sq"][0]) / n_artists**2)
        lap("python")
        self.features_ = features.astype(np.float32)
        self.singular_values_ = sigma
        self.explained_variance_ratio_ = features.var(axis=0) / total_var
        self.n_components_ = k
        self.counts_ = {
            "pairs": listens.pairs, "users": n_users, "artists_total": listens.artists_total,
            "artists": n_artists, "artists_excluded_min_listeners": len(listens.excluded),
            "components_sampled": width, "passes": passes,
            "user_side_parts": runner.user_side_parts(kept_users, width),
            "bytes_fetched": runner.bytes_fetched - start_bytes,
            "statements": runner.statements - start_statements,
            "seconds": seconds,
        }

    @staticmethod
    def _artist_side(runner: q.Runner, width: int, n_artists: int, rows: int) -> np.ndarray:
        result = runner.fetch(q.artist_side_sql(width))
        runner.scanned("SVD A Z", q.WEIGHTED, rows, 3)
        Y = np.column_stack([result[f"c{j}"].astype(np.float64) for j in range(width)])
        if len(Y) != n_artists:  # every kept artist has a listener, so this is a bug
            raise InsightsError(f"pushdown pass returned {len(Y)} artists, expected {n_artists}")
        return Y


def pushdown_features(
    warehouse_or_connection: Any,
    params: Any = None,
    progress: ProgressCallback | None = None,
    memory_limit: str | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
    """``(artist_ids, features, singular_values, explained_variance_ratio, counts)``.

    Usable in place of the in-memory factorization: ``features`` are U·Σ rows for
    ``artist_ids`` (ascending, the artists with at least ``params.min_listeners`` listeners),
    so ``Normalizer().fit_transform(features)`` continues the pipeline unchanged.
    ``warehouse_or_connection`` is a DuckDB or Snowpark warehouse, a DuckDB connection or a
    Snowpark session; ``params`` a ``TrainingParams`` (its num_features, min_listeners,
    random_state and normalize_listeners, as the pipeline passes them).
    """
    svd = PushdownSVD(
        n_components=getattr(params, "num_features", 128),
        min_listeners=getattr(params, "min_listeners", 2),
        memory_limit=memory_limit,
        random_state=getattr(params, "random_state", 0),
        normalize_listeners=getattr(params, "normalize_listeners", True),
    ).fit(warehouse_or_connection, progress or no_progress)
    counts = {**svd.counts_, "listeners": svd.listeners_, "streams": svd.streams_}
    return (svd.artist_ids_, svd.features_, svd.singular_values_,
            svd.explained_variance_ratio_, counts)


def shared_listeners_pushdown(
    warehouse_or_connection: Any, artist_ids: np.ndarray, neighbour_idx: np.ndarray,
    min_listeners: int = 2, memory_limit: str | None = None,
) -> np.ndarray:
    """Listeners in common for each artist and each of its neighbours, counted in the
    warehouse (artists x top_k numbers come back), for a pipeline that has no listen matrix."""
    with q.open_runner(warehouse_or_connection, memory_limit) as runner:
        try:
            prepare_listens(runner, min_listeners)
            return shared_listeners_prepared(runner, artist_ids, neighbour_idx)
        finally:
            runner.drop(*q.ALL_TABLES)


def shared_listeners_prepared(runner: q.Runner, artist_ids: np.ndarray,
                              neighbour_idx: np.ndarray) -> np.ndarray:
    """``shared_listeners_pushdown`` on the weighted table ``prepare_listens`` left."""
    rows = np.repeat(np.arange(len(artist_ids)), neighbour_idx.shape[1])
    cols = neighbour_idx.ravel()
    valid = cols >= 0
    pairs = pd.DataFrame({"artist": artist_ids[rows[valid]], "other": artist_ids[cols[valid]]})
    out = np.zeros(neighbour_idx.shape, np.int32)
    runner.upload(q.ARTIST_SIDE, pairs)
    got = runner.fetch(q.shared_listeners_sql())
    row_of = pd.Series(np.arange(len(artist_ids)), index=artist_ids)
    a = row_of.loc[got["artist"]].to_numpy()
    b = row_of.loc[got["other"]].to_numpy()
    lookup = pd.Series(got["shared"].astype(np.int64),
                       index=pd.MultiIndex.from_arrays([a, b]))
    keys = pd.MultiIndex.from_arrays([rows[valid], cols[valid]])
    flat = out.ravel()
    flat[np.flatnonzero(valid)] = lookup.reindex(keys).fillna(0).to_numpy(np.int32)
    return out


def pushdown_candidates(
    runner: q.Runner, listens: PreparedListens, method: HybridSimilarity,
    market_rows: np.ndarray, progress: ProgressCallback = no_progress,
    keep_weighted: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
    """The default similarity's candidate table computed in the warehouse, as row numbers of
    ``listens.artist_ids``: ``(rows, others, s1, shared, listeners, counts)`` (listeners per
    artist after the listener cap); about artists x
    (``n_candidates`` + ``n_market_candidates``) rows come back.

    Each temporary table is dropped after its last read (the weighted table too unless
    ``keep_weighted``), so that while the candidates are fetched DuckDB holds only them."""
    start, start_bytes = time.perf_counter(), runner.bytes_fetched
    ids = listens.artist_ids
    progress("pushdown: capping heavy listeners", 0.0)
    runner.execute(q.capped_sql(len(ids), method.listener_cap, method.k1, method.b))
    runner.scanned("cap heavy listeners, BM25 weights", q.WEIGHTED, listens.weighted_rows, 3)
    runner.upload(q.MARKET, pd.DataFrame({"artist": ids[np.asarray(market_rows, np.int64)]}))
    if not keep_weighted:
        runner.drop(q.WEIGHTED)
    runner.execute(q.artist_terms_sql(method.beta, method.listener_prior))
    join_rows = int(np.nan_to_num(runner.fetch(q.pair_bound_sql())["pairs"][0]))
    parts = runner.candidate_parts(join_rows)
    n_market = method.n_market_candidates if len(market_rows) else 0
    for part in range(parts):
        progress(f"pushdown: co-listening pairs (part {part + 1} of {parts})", part / parts)
        runner.execute(q.candidates_sql(method.bm25_weight, method.shrinkage,
                                        method.n_candidates, n_market, parts, part))
    terms = runner.fetch(q.artist_listeners_sql())
    runner.drop(q.CAPPED, q.ARTIST_TERMS, q.MARKET)
    got = runner.fetch(q.fetch_candidates_sql())
    runner.drop(q.CANDIDATES)
    listeners = np.zeros(len(ids), np.int64)
    listeners[np.searchsorted(ids, terms["artist"].astype(np.int64))] = terms["listeners"]
    capped_rows = int(listeners.sum())
    runner.scanned("per-artist terms, join size", q.CAPPED, capped_rows, 1, times=2)
    runner.scanned("co-listening self-join", q.CAPPED, capped_rows, 4, times=2 * parts)
    rows = np.searchsorted(ids, got["a"].astype(np.int64))
    others = np.searchsorted(ids, got["b"].astype(np.int64))
    counts = {"co_listening_join_rows": join_rows, "co_listening_parts": parts,
              "candidate_rows": len(rows), "bytes_fetched": runner.bytes_fetched - start_bytes,
              "seconds": round(time.perf_counter() - start, 3)}
    return (rows, others, got["s1"].astype(np.float64), got["shared"].astype(np.int64),
            listeners, counts)
