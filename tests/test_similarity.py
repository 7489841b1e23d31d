"""The default similarity: the compiled kernel against a plain dense spelling of its definition,
the listener cap, evidence shrinkage, and the same candidates computed in the warehouse (DuckDB
and a fakesnow server) as in memory."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import sqlglot

from core.tables import USER_ARTIST_STREAMS
from core.training.pushdown import prepare_listens, pushdown_candidates
from core.training.similarity import HybridSimilarity, cap_listeners
from core.warehouse import pushdown_sql as q
from tests.conftest import start_fakesnow


def random_listens(n_artists: int = 60, n_users: int = 80, seed: int = 0) -> sp.csr_matrix:
    """Artists x listeners streams with a few heavy listeners and repeated stream counts (ties)."""
    rng = np.random.default_rng(seed)
    dense = np.zeros((n_artists, n_users))
    for u in range(n_users):
        width = 40 if u % 17 == 0 else int(rng.integers(1, 9))
        picks = rng.choice(n_artists, width, replace=False, p=_zipf(n_artists))
        dense[picks, u] = rng.integers(1, 6, width)  # few distinct counts: ties in the cap
    return sp.csr_matrix(dense)


def _zipf(n: int) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1) ** 0.8
    return weights / weights.sum()


def rounded(x: float) -> float:
    return math.floor(x * 1e12 + 0.5) / 1e12


def reference(X: sp.csr_matrix, features: np.ndarray, market: np.ndarray, m: HybridSimilarity,
              top_k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The definition spelled with dense arrays and Python sorts, nothing shared with core."""
    dense = X.toarray()
    if m.listener_cap:
        for u in range(dense.shape[1]):
            rows = np.flatnonzero(dense[:, u])
            if len(rows) > m.listener_cap:
                order = sorted(rows, key=lambda a: (-dense[a, u], a))
                dense[order[m.listener_cap:], u] = 0.0
    played = (dense > 0).astype(float)
    n = len(dense)
    per_listener = played.sum(axis=0)
    listeners = played.sum(axis=1)
    idf = np.log(n) - np.log1p(per_listener)
    totals = dense.sum(axis=1)
    norm = (1 - m.b) + m.b * totals / totals.mean()
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(played > 0, dense * (m.k1 + 1) / (m.k1 * norm[:, None] + dense) * idf, 0.0)
        step = np.where(per_listener > 0, 1.0 / per_listener, 0.0)
        pop = np.where(listeners > 0, listeners ** -m.beta, 0.0)
    walk = (played * step) @ played.T * pop[None, :]
    # the audience prior of the other artist, 1 for artists with market data
    prior = np.where(market, 1.0, listeners / (listeners + m.listener_prior)
                     if m.listener_prior else 1.0)
    overlap = w @ w.T
    shared = played @ played.T
    scale = 1 + m.svd_weight + m.bm25_weight
    idx = np.full((n, top_k), -1)
    sim = np.zeros((n, top_k))
    count = np.zeros((n, top_k), int)
    for a in range(n):
        cols = [b for b in range(n) if b != a and shared[a, b] > 0]
        if not cols:
            continue
        wmax = max(walk[a, cols])
        omax = max(max(overlap[a, cols]), 0.0)
        s1 = {b: walk[a, b] / wmax + (m.bm25_weight * overlap[a, b] / omax
                                      if omax > 0 and overlap[a, b] > 0 else 0.0) for b in cols}
        support = {b: shared[a, b] / (shared[a, b] + m.shrinkage) if m.shrinkage else 1.0
                   for b in cols}
        score = {b: rounded(s1[b] * support[b] * prior[b]) for b in cols}
        ranked = sorted(cols, key=lambda b: (-score[b], b))
        pool = set(ranked[: m.n_candidates])
        pool |= set([b for b in ranked if market[b]][: m.n_market_candidates])
        cosine = {b: max(float(np.dot(features[a].astype(float), features[b].astype(float))), 0.0)
                  for b in pool}
        peak = max(cosine.values())
        final = {b: rounded(support[b] * prior[b] * (s1[b] + (m.svd_weight * cosine[b] / peak
                                                              if peak > 0 else 0.0)) / scale)
                 for b in pool}
        best = [b for b in sorted(pool, key=lambda b: (-final[b], b)) if final[b] > 0][:top_k]
        idx[a, : len(best)] = best
        sim[a, : len(best)] = [final[b] for b in best]
        count[a, : len(best)] = [shared[a, b] for b in best]
    return idx, sim, count


@pytest.mark.parametrize("settings", [
    {"listener_cap": 6, "shrinkage": 0.5, "n_candidates": 8, "n_market_candidates": 4},
    {"listener_cap": None, "shrinkage": 0.0, "n_candidates": 200, "n_market_candidates": 0},
    {"listener_cap": 3, "shrinkage": 2.0, "n_candidates": 5, "n_market_candidates": 10,
     "svd_weight": 0.0, "bm25_weight": 0.0},
    {"listener_cap": 6, "shrinkage": 0.5, "n_candidates": 8, "n_market_candidates": 4,
     "listener_prior": 0.0},
    {"listener_cap": None, "shrinkage": 0.5, "n_candidates": 6, "n_market_candidates": 3,
     "listener_prior": 4.0},
])
def test_kernel_matches_the_definition(settings: dict[str, Any]) -> None:
    X = random_listens()
    features = np.random.default_rng(1).standard_normal((X.shape[0], 6)).astype(np.float32)
    features /= np.linalg.norm(features, axis=1, keepdims=True)
    market = np.zeros(X.shape[0], bool)
    market[::5] = True
    method = HybridSimilarity(**settings).fit(X, features=features, market=market)
    want_idx, want_sim, want_shared = reference(X, features, market, method, top_k=5)
    idx, sim, shared = method.neighbours(5)
    np.testing.assert_array_equal(idx, want_idx)
    np.testing.assert_allclose(sim, want_sim, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(shared, want_shared)
    assert (idx >= 0).sum() > 100  # the test says something: most artists have neighbours


def test_market_candidates_keep_the_map_exact() -> None:
    """Peers among market artists come from the market pool, not from the overall best only."""
    X = random_listens(seed=3)
    market = np.zeros(X.shape[0], bool)
    market[40:] = True  # the tail: rarely among an artist's overall best
    narrow = HybridSimilarity(n_candidates=3, n_market_candidates=10).fit(X, market=market)
    # told the market too: its artists are exempt from the audience prior in both
    wide = HybridSimilarity(n_candidates=1000, n_market_candidates=0).fit(X, market=market)
    got = narrow.similar(3, candidates=np.flatnonzero(market))[0]
    want = wide.similar(3, candidates=np.flatnonzero(market))[0]
    # the cosine's row maximum is over each pool, so compare which artists, not the scores
    overlap = np.mean([len(set(a[a >= 0]) & set(b[b >= 0])) / max(1, len(set(b[b >= 0])))
                       for a, b in zip(got, want, strict=True) if (b >= 0).any()])
    assert overlap > 0.9


def test_listener_cap_keeps_each_listeners_most_streamed_artists() -> None:
    X = sp.csr_matrix(np.array([[5, 1], [9, 1], [5, 1], [1, 1], [7, 0]], float))
    capped = cap_listeners(X, 3).toarray()
    # listener 0: 9, 7 and the lower of the two 5s (artist 0); listener 1: artists 0, 1, 2
    np.testing.assert_array_equal(capped[:, 0], [5, 9, 0, 0, 7])
    np.testing.assert_array_equal(capped[:, 1], [1, 1, 1, 0, 0])
    assert cap_listeners(X, None) is not None and (cap_listeners(X, None) != X).nnz == 0
    assert (cap_listeners(X, 10) != X).nnz == 0


def test_cap_bounds_the_co_listening_work() -> None:
    X = random_listens()
    capped = cap_listeners(X, 5)
    per_listener = np.diff(sp.csc_matrix(capped).indptr)
    assert per_listener.max() == 5
    assert (per_listener ** 2).sum() < (np.diff(sp.csc_matrix(X).indptr) ** 2).sum()
    # deterministic: the same answer twice
    assert (cap_listeners(X, 5) != capped).nnz == 0


def test_thin_evidence_does_not_outrank_a_well_supported_pair() -> None:
    """Artist 0 shares one listener with a niche artist 1 (that listener plays only the two)
    and eight with artist 2, whose listeners play six more artists each: the raw walk puts
    the niche artist first, the support factor puts the well-supported pair first."""
    rows = [(0, 0, 1), (1, 0, 1)]
    rows += [(a, u, 1) for u in range(1, 9) for a in (0, 2, 4, 5, 6, 7, 8, 9)]
    rows += [(a, u, 1) for u in range(9, 40) for a in (2, 3)]
    a, u, v = zip(*rows, strict=True)
    X = sp.csr_matrix((v, (a, u)), shape=(10, 40))

    def rank(method: HybridSimilarity, artist: int) -> int:
        return method.similar(9, rows=[0])[0][0].tolist().index(artist)

    plain = {"svd_weight": 0.0, "bm25_weight": 0.0, "listener_cap": None, "beta": 0.2}
    raw = HybridSimilarity(shrinkage=0, listener_prior=0.0, **plain).fit(X)
    assert rank(raw, 1) < rank(raw, 2)
    shrunk = HybridSimilarity(shrinkage=0.5, listener_prior=0.0, **plain).fit(X)
    assert rank(shrunk, 2) < rank(shrunk, 1)
    assert shrunk.neighbours(9, rows=[0])[2][0][rank(shrunk, 1)] == 1
    # a stronger popularity penalty favours the niche artist again; its one-listener audience
    # (the prior) puts it back behind
    steeper = {**plain, "beta": 0.3}
    assert rank(HybridSimilarity(listener_prior=0.0, **steeper).fit(X), 1) < rank(
        HybridSimilarity(listener_prior=0.0, **steeper).fit(X), 2)
    default = HybridSimilarity(listener_prior=1.0, **steeper).fit(X)
    assert rank(default, 2) < rank(default, 1)


# -- the same candidates computed in the warehouse -------------------------------------------
def as_table(X: sp.csr_matrix) -> pd.DataFrame:
    coo = X.tocoo()
    return pd.DataFrame({"artistname": [f"A{a}" for a in coo.row], "artistnum": coo.row * 3 + 7,
                         "userid": [f"u{c}" for c in coo.col], "usernum": coo.col * 5 + 1,
                         "total_streams": coo.data})


def candidates_in(runner: q.Runner, method: HybridSimilarity, market: np.ndarray
                  ) -> tuple[np.ndarray, ...]:
    try:
        listens = prepare_listens(runner, 1)
        rows, others, s1, shared, listeners, counts = pushdown_candidates(
            runner, listens, method, np.flatnonzero(market))
    finally:
        runner.drop(*q.ALL_TABLES)
    assert counts["candidate_rows"] == len(rows) > 0
    return listens.artist_ids, rows, others, s1, shared, listeners


def assert_same_model(X: sp.csr_matrix, method: HybridSimilarity, market: np.ndarray,
                      pushed: tuple[np.ndarray, ...]) -> None:
    ids, rows, others, s1, shared, listeners = pushed
    np.testing.assert_array_equal(ids, np.arange(X.shape[0]) * 3 + 7)
    features = np.random.default_rng(2).standard_normal((X.shape[0], 4)).astype(np.float32)
    memory = HybridSimilarity(**method.get_params()).fit(X, features=features, market=market)
    warehouse = HybridSimilarity(**method.get_params()).fit_candidates(
        X.shape[0], rows, others, s1, shared, features, listeners, market)
    # the same candidate pairs, and scores equal to float precision
    np.testing.assert_array_equal(memory.similarity_.indptr, warehouse.similarity_.indptr)
    mine, theirs = pairs_of(memory), pairs_of(warehouse)
    np.testing.assert_array_equal(mine[0], theirs[0])
    np.testing.assert_allclose(mine[1], theirs[1], atol=1e-12)
    np.testing.assert_array_equal(mine[2], theirs[2])
    for got, want in zip(warehouse.neighbours(10), memory.neighbours(10), strict=True):
        np.testing.assert_array_equal(got, want)


def pairs_of(method: HybridSimilarity) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pair keys, scores, shared) in key order: a row's entries may be stored in any order."""
    matrix = method.similarity_
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    keys = rows * matrix.shape[1] + matrix.indices
    order = np.argsort(keys)
    return keys[order], matrix.data[order], method.shared_[order]


SETTINGS = {"listener_cap": 6, "shrinkage": 0.5, "n_candidates": 8, "n_market_candidates": 4,
            "listener_prior": 2.0}


def test_duckdb_computes_the_same_candidates() -> None:
    X = random_listens()
    market = np.zeros(X.shape[0], bool)
    market[::5] = True
    method = HybridSimilarity(**SETTINGS)
    con = duckdb.connect()
    con.register("frame", as_table(X))
    con.execute(f'CREATE TABLE "{USER_ARTIST_STREAMS.name}" AS SELECT * FROM frame')
    con.unregister("frame")
    with q.open_runner(con, "256MB") as runner:
        assert_same_model(X, method, market, candidates_in(runner, method, market))


def test_duckdb_in_parts_computes_the_same_candidates(monkeypatch: pytest.MonkeyPatch) -> None:
    X = random_listens(seed=5)
    market = np.zeros(X.shape[0], bool)
    method = HybridSimilarity(**SETTINGS)
    con = duckdb.connect()
    con.register("frame", as_table(X))
    con.execute(f'CREATE TABLE "{USER_ARTIST_STREAMS.name}" AS SELECT * FROM frame')
    con.unregister("frame")
    monkeypatch.setattr(q.DuckDBRunner, "candidate_parts", lambda self, rows: 3)
    with q.open_runner(con, "256MB") as runner:
        assert_same_model(X, method, market, candidates_in(runner, method, market))


@pytest.fixture(scope="module")
def fakesnow_session() -> Iterator[Any]:
    from snowflake.snowpark import Session
    from snowflake.snowpark.exceptions import SnowparkSessionException

    with start_fakesnow() as kwargs:
        isolated = {**kwargs["session_parameters"], "FAKESNOW_DB_PATH": ":isolated:"}
        session = Session.builder.configs(
            {**kwargs, "database": "SIMILARITY", "schema": "PUBLIC",
             "session_parameters": isolated}).create()
        yield session
        with contextlib.suppress(SnowparkSessionException):
            session.close()


def test_snowflake_sql_computes_the_same_candidates(fakesnow_session: Any) -> None:
    X = random_listens(seed=7)
    market = np.zeros(X.shape[0], bool)
    market[1::4] = True
    table = as_table(X)
    cursor = fakesnow_session.connection.cursor()
    cursor.execute(f"CREATE TABLE {USER_ARTIST_STREAMS.name} (ARTISTNAME VARCHAR, "
                   "ARTISTNUM NUMBER(38,0), USERID VARCHAR, USERNUM NUMBER(38,0), "
                   "TOTAL_STREAMS NUMBER(38,0))")
    cursor.executemany(f"INSERT INTO {USER_ARTIST_STREAMS.name} VALUES (?, ?, ?, ?, ?)",
                       [(r.artistname, int(r.artistnum), r.userid, int(r.usernum),
                         int(r.total_streams)) for r in table.itertuples(index=False)])
    cursor.close()
    method = HybridSimilarity(**SETTINGS)
    with q.open_runner(fakesnow_session) as runner:
        assert_same_model(X, method, market, candidates_in(runner, method, market))


def test_similarity_sql_parses_as_snowflake() -> None:
    texts = [q.capped_sql(100, 500, 100.0, 0.8), q.capped_sql(100, None, 100.0, 0.8),
             q.artist_terms_sql(0.2, 0.0), q.artist_terms_sql(0.2, 3.0), q.pair_bound_sql(),
             q.weighted_sql(2), q.weighted_sql(2, normalize_listeners=False),
             q.candidates_sql(0.3, 0.5, 100, 50), q.candidates_sql(0.3, 0.0, 100, 0, 4, 2),
             q.fetch_candidates_sql(), q.artist_listeners_sql()]
    for text in texts:
        assert sqlglot.parse_one(text, read="snowflake", error_level=sqlglot.ErrorLevel.RAISE)
