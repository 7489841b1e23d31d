"""Listener features computed inside the warehouse: a randomized SVD pushed down as SQL.

Why: the in-memory pipeline holds the whole (artist x listener) matrix, so its memory grows
with the table; past a few hundred million rows it no longer fits the machine. Here every pass
over that table is a join + GROUP BY run by the warehouse, and only artist-side matrices
(artists x l numbers, l = features + oversampling) and a few aggregates come back, so the
training process's memory depends on the number of artists, not on the number of rows.

The algorithm is the randomized range finder with subspace (power) iteration of Halko,
Martinsson & Tropp (2011), Algorithms 4.1/4.4 and 5.1, on A = log1p(streams) with artists as
rows, after the same minimum-listeners filter as the in-memory pipeline:

1. Ω (listeners x l) has random ±1 entries taken from bits of a hash of (listener id, block)
   computed in SQL, so the warehouse never receives it; Y = A·Ω comes back (artists x l).
2. ``n_iter`` times: Q = orth(Y) in Python; Q is uploaded as a temporary table;
   Z = Aᵀ·Q is computed and kept in the warehouse (listeners x l); Y = A·Z comes back.
3. Finally Q = orth(Y), Y = A·Aᵀ·Q as above, and the small l x l problem Qᵀ·Y = V·Λ·Vᵀ is
   solved in Python: singular values √Λ, features U·Σ = Q·V·√Λ (what ``TruncatedSVD``'s
   ``fit_transform`` returns).

Each pass reads the weighted table once; 2·n_iter + 3 passes in all: 13 at the default 5
power iterations, the same as the in-memory ``SVDFeatures`` (12 sparse products).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.errors import InsightsError
from core.progress import ProgressCallback, no_progress
from core.warehouse import pushdown_sql as q

#: extra random directions beyond the features wanted, and power iterations. 64 and 5 (rather
#: than sklearn's 10 and 7) cost about as much and put the top-10 neighbours at ~96% of the
#: exact SVD's on the demo data, where 10 and 7 reach ~88%: a randomized SVD that is that
#: unconverged gives different neighbours for every random test matrix, so pushdown and
#: in-memory could not agree however correct each is.
OVERSAMPLES = 64
N_ITER = 5


@dataclass
class PushdownSVD:
    """The pushed-down factorization, scikit-learn style: parameters in, ``fit`` learns.

    Learned: ``artist_ids_`` (kept artists, ascending id), ``features_`` (U·Σ, float32),
    ``singular_values_``, ``explained_variance_ratio_``, ``listeners_`` and ``streams_`` of the
    kept artists, ``excluded_`` (id and listeners of artists below the minimum), ``counts_``
    (pairs, users, artists, bytes fetched, statements, seconds per phase).
    """

    n_components: int = 64
    min_listeners: int = 2
    n_iter: int = N_ITER
    oversamples: int = OVERSAMPLES
    memory_limit: str | None = None
    counts_: dict[str, Any] = field(default_factory=dict, init=False)

    def fit(self, target: Any, progress: ProgressCallback = no_progress) -> PushdownSVD:
        with q.open_runner(target, self.memory_limit) as runner:
            try:
                self._fit(runner, progress)
            finally:
                runner.drop(q.PAIRS, q.WEIGHTED, q.USER_SIDE, q.ARTIST_SIDE)
        return self

    def _fit(self, runner: q.Runner, progress: ProgressCallback) -> None:
        d = runner.dialect
        seconds: dict[str, float] = {}
        clock = time.perf_counter()

        def lap(name: str) -> None:
            nonlocal clock
            now = time.perf_counter()
            seconds[name] = round(seconds.get(name, 0.0) + now - clock, 3)
            clock = now

        table, columns = runner.source()
        progress("pushdown: cleaning listens in the warehouse", 0.0)
        runner.execute(q.pairs_sql(d, table, columns))
        stats = runner.fetch(q.artist_stats_sql())
        totals = runner.fetch(q.totals_sql())
        ids = stats["artist"].astype(np.int64)
        listeners = stats["listeners"].astype(np.int64)
        kept = listeners >= self.min_listeners
        self.artist_ids_ = ids[kept]
        self.listeners_ = listeners[kept]
        self.streams_ = stats["streams"].astype(np.float64)[kept]
        self.excluded_ = pd.DataFrame({"artistnum": ids[~kept], "listeners": listeners[~kept]})
        n_users = int(totals["users"][0])
        n_artists = len(self.artist_ids_)
        if n_artists < 2:
            raise InsightsError(
                f"only {n_artists} artist(s) have at least {self.min_listeners} listeners; "
                "lower MIN_LISTENERS or load more data"
            )
        runner.execute(q.weighted_sql(self.min_listeners))
        kept_users = int(runner.fetch(f"SELECT COUNT(DISTINCT usr) AS n FROM {q.WEIGHTED}")["n"][0])
        lap("prepare")

        # same cap as SVDFeatures: at most min(shape) - 1 components (shape counts all users)
        k = max(1, min(self.n_components, min(n_artists, n_users) - 1))
        width = min(k + self.oversamples, n_artists, kept_users)
        passes = 2 * self.n_iter + 3
        done = 0

        def step(label: str) -> None:
            nonlocal done
            done += 1
            progress(f"pushdown: {label}", done / passes)

        runner.execute(q.omega_sql(d, width))
        lap("passes")
        Y = self._artist_side(runner, width, n_artists)
        step("A·Ω")
        for i in range(self.n_iter + 1):
            Q = orthonormalize(Y)
            lap("python")
            frame = pd.DataFrame(Q, columns=[f"c{j}" for j in range(Q.shape[1])])
            frame.insert(0, "artist", self.artist_ids_)
            runner.upload(q.ARTIST_SIDE, frame)
            parts = runner.user_side_parts(kept_users, Q.shape[1])
            for part in range(parts):
                runner.execute(q.user_side_sql(Q.shape[1], parts, part))
            step(f"Aᵀ·Q ({i + 1})")
            Y = self._artist_side(runner, Q.shape[1], n_artists)
            step(f"A·Z ({i + 1})")
            lap("passes")

        # Y = A·Aᵀ·Q: the Rayleigh-Ritz matrix Qᵀ·A·Aᵀ·Q holds the squared singular values
        gram = Q.T @ Y
        eigenvalues, vectors = np.linalg.eigh((gram + gram.T) / 2)
        order = np.argsort(eigenvalues)[::-1][:k]
        sigma = np.sqrt(np.clip(eigenvalues[order], 0.0, None))
        features = Q @ (vectors[:, order] * sigma)
        variance = runner.fetch(q.variance_sql())
        total_var = (float(variance["sum_sq"][0]) / n_artists
                     - float(variance["sum_col_sq"][0]) / n_artists**2)
        lap("python")
        self.features_ = features.astype(np.float32)
        self.singular_values_ = sigma
        self.explained_variance_ratio_ = features.var(axis=0) / total_var
        self.n_components_ = k
        self.counts_ = {
            "pairs": int(totals["pairs"][0]), "users": n_users, "artists_total": len(ids),
            "artists": n_artists, "artists_excluded_min_listeners": int((~kept).sum()),
            "components_sampled": width, "passes": passes,
            "user_side_parts": runner.user_side_parts(kept_users, width),
            "bytes_fetched": runner.bytes_fetched, "statements": runner.statements,
            "seconds": seconds,
        }

    @staticmethod
    def _artist_side(runner: q.Runner, width: int, n_artists: int) -> np.ndarray:
        result = runner.fetch(q.artist_side_sql(width))
        Y = np.column_stack([result[f"c{j}"].astype(np.float64) for j in range(width)])
        if len(Y) != n_artists:  # every kept artist has a listener, so this is a bug
            raise InsightsError(f"pushdown pass returned {len(Y)} artists, expected {n_artists}")
        return Y


def orthonormalize(Y: np.ndarray) -> np.ndarray:
    """Orthonormal columns spanning ``Y`` (tall and thin), through its small Gram matrix.

    Cholesky-style QR applied twice (with ``eigh``, which also drops directions that
    vanished): two GEMMs and an l x l eigenproblem, where LAPACK's Householder QR of a
    100,000 x 128 matrix was measured at seconds on this project's 2-core machines.
    """
    Y = np.asarray(Y, np.float64)
    for _ in range(2):
        w, V = np.linalg.eigh(Y.T @ Y)
        keep = w > max(float(w.max()), 0.0) * 1e-12
        Y = Y @ (V[:, keep] / np.sqrt(w[keep]))
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
    Snowpark session; ``params`` a ``TrainingParams`` (its num_features and min_listeners).
    """
    svd = PushdownSVD(
        n_components=getattr(params, "num_features", 64),
        min_listeners=getattr(params, "min_listeners", 2),
        memory_limit=memory_limit,
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
    rows = np.repeat(np.arange(len(artist_ids)), neighbour_idx.shape[1])
    cols = neighbour_idx.ravel()
    valid = cols >= 0
    pairs = pd.DataFrame({"artist": artist_ids[rows[valid]], "other": artist_ids[cols[valid]]})
    out = np.zeros(neighbour_idx.shape, np.int32)
    with q.open_runner(warehouse_or_connection, memory_limit) as runner:
        d = runner.dialect
        table, columns = runner.source()
        try:
            runner.execute(q.pairs_sql(d, table, columns))
            runner.execute(q.weighted_sql(min_listeners))
            runner.upload(q.ARTIST_SIDE, pairs)
            got = runner.fetch(q.shared_listeners_sql())
        finally:
            runner.drop(q.PAIRS, q.WEIGHTED, q.ARTIST_SIDE)
    row_of = pd.Series(np.arange(len(artist_ids)), index=artist_ids)
    a = row_of.loc[got["artist"]].to_numpy()
    b = row_of.loc[got["other"]].to_numpy()
    lookup = pd.Series(got["shared"].astype(np.int64),
                       index=pd.MultiIndex.from_arrays([a, b]))
    keys = pd.MultiIndex.from_arrays([rows[valid], cols[valid]])
    flat = out.ravel()
    flat[np.flatnonzero(valid)] = lookup.reindex(keys).fillna(0).to_numpy(np.int32)
    return out
