"""Training pushed down into the warehouse agrees with training in memory, on DuckDB and on a
fakesnow server (Snowflake SQL, really parsed and executed); and the fast listen-matrix paths
build exactly what the plain COO construction builds.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import sqlglot
from sklearn.preprocessing import normalize
from sklearn.utils.extmath import randomized_svd

from core.errors import InsightsError
from core.evaluation.metrics import neighbour_overlap
from core.tables import USER_ARTIST_STREAMS
from core.training import TrainingParams
from core.training.factorization import N_ITER, OVERSAMPLES, SVDFeatures
from core.training.matrix import build_listen_matrix
from core.training.neighbours import shared_listeners
from core.training.pushdown import (
    PushdownSVD,
    pushdown_features,
    shared_listeners_pushdown,
)
from core.training.random_signs import PRIME, coefficients, signs
from core.training.weighting import LogWeighting
from core.warehouse import pushdown_sql
from core.warehouse.duckdb import DuckDBWarehouse
from tests.conftest import fakesnow_session as fakesnow_server_session
from tests.conftest import start_fakesnow


def top_k(features: np.ndarray, k: int = 10, every: int = 1) -> np.ndarray:
    """The ``k`` nearest rows by cosine (itself excluded) of every ``every``-th row, by brute
    force; written out so this test does not depend on the pipeline's similarity step."""
    unit = normalize(features).astype(np.float32)
    queries = np.arange(0, len(unit), every)
    out = np.empty((len(queries), k), np.int64)
    for start in range(0, len(queries), 1024):
        rows = queries[start : start + 1024]
        scores = unit[rows] @ unit.T
        scores[np.arange(len(rows)), rows] = -np.inf
        part = np.argpartition(-scores, k, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
        out[start : start + 1024] = np.take_along_axis(part, order, axis=1)
    return out


def top10(features: np.ndarray) -> np.ndarray:
    """Top-10 lists of every third artist (2,318 of the demo's 6,953): enough to measure
    agreement to about a percent, at a third of the cost."""
    return top_k(features, 10, every=3)


def subspace_distance(a: np.ndarray, b: np.ndarray) -> float:
    """``‖A·Aᵀ − B·Bᵀ‖ / ‖A·Aᵀ‖`` (Frobenius) through the small Gram matrices: zero when the
    two feature sets are the same up to the signs and rotations an SVD is free to choose."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    aa, bb, ab = (np.linalg.norm(x.T @ y) ** 2 for x, y in ((a, a), (b, b), (a, b)))
    return float(np.sqrt(max(aa - 2 * ab + bb, 0.0) / aa))


@pytest.fixture(scope="module")
def demo_in_memory(demo_warehouse_path: Path) -> dict[str, Any]:
    listens = build_listen_matrix(DuckDBWarehouse(demo_warehouse_path).iter_listens())
    listens = listens.keep_artists(listens.listeners >= 2)
    return {"listens": listens, "weighted": LogWeighting().fit_transform(listens.streams)}


@pytest.fixture(scope="module")
def demo_pushdown(demo_warehouse_path: Path) -> tuple[Any, ...]:
    return pushdown_features(DuckDBWarehouse(demo_warehouse_path), TrainingParams())


def test_pushdown_matches_in_memory_on_the_demo(demo_in_memory: dict[str, Any],
                                                 demo_pushdown: tuple[Any, ...]) -> None:
    ids, features, sigma, ratio, counts = demo_pushdown
    listens, weighted = demo_in_memory["listens"], demo_in_memory["weighted"]
    # same input rules and listener minimum: same artists, listeners and streams
    np.testing.assert_array_equal(ids, listens.artist_ids)
    np.testing.assert_array_equal(counts["listeners"], listens.listeners)
    np.testing.assert_allclose(counts["streams"], np.asarray(listens.streams.sum(axis=1)).ravel())
    assert counts["users"] == len(listens.user_ids) and counts["pairs"] == 92_834
    # an independent randomized SVD (scikit-learn's, Gaussian test matrix): the same spectrum
    k = TrainingParams().num_features
    _, S, _ = randomized_svd(weighted, k, n_oversamples=OVERSAMPLES, n_iter=N_ITER,
                             random_state=0)
    np.testing.assert_allclose(sigma, S, rtol=0.02)
    # the pipeline's own factorization draws the same test matrix from the listener ids, so
    # the two executions find the same features up to float rounding (float32 products in
    # memory, DOUBLE sums in the warehouse), not merely as similar as two random seeds
    svd = SVDFeatures(k, random_state=0)
    in_memory = svd.fit_transform(weighted, listener_ids=listens.user_ids)
    np.testing.assert_allclose(sigma, svd.singular_values_, rtol=1e-6)
    np.testing.assert_allclose(ratio, svd.explained_variance_ratio_, rtol=1e-4, atol=1e-9)
    assert subspace_distance(features, in_memory) < 1e-5
    assert neighbour_overlap(top10(features), top10(in_memory)) >= 0.999
    # another seed is another test matrix: a different basis, nearly the same lists
    other = SVDFeatures(k, random_state=1).fit_transform(weighted, listener_ids=listens.user_ids)
    assert subspace_distance(other, in_memory) > 1e-3
    # only artist-side numbers came back: passes x artists x components x 8 bytes, plus stats
    width = counts["components_sampled"]
    assert counts["bytes_fetched"] < (counts["passes"] + 1) * (len(ids) * (width + 1) * 8) + 10**6


def test_pushdown_features_follow_the_training_params(demo_warehouse_path: Path,
                                                     demo_in_memory: dict[str, Any]) -> None:
    # the seed and the listener normalization reach the warehouse as they reach the pipeline:
    # plain log1p input and seed 1, pushed down, equal the in-memory SVD of the same
    params = TrainingParams(random_state=1, normalize_listeners=False)
    _, features, sigma, _, _ = pushdown_features(DuckDBWarehouse(demo_warehouse_path), params)
    listens = demo_in_memory["listens"]
    plain = LogWeighting(normalize_listeners=False).fit_transform(listens.streams)
    svd = SVDFeatures(params.num_features, random_state=1)
    in_memory = svd.fit_transform(plain, listener_ids=listens.user_ids)
    np.testing.assert_allclose(sigma, svd.singular_values_, rtol=1e-6)
    assert subspace_distance(features, in_memory) < 1e-5


def test_shared_listeners_counted_in_the_warehouse(demo_warehouse_path: Path,
                                                    demo_in_memory: dict[str, Any],
                                                    demo_pushdown: tuple[Any, ...]) -> None:
    ids, features = demo_pushdown[0], demo_pushdown[1]
    neighbours = top_k(features[:400], 5).astype(np.int32)
    want = shared_listeners(demo_in_memory["listens"].streams[:400], neighbours)
    got = shared_listeners_pushdown(DuckDBWarehouse(demo_warehouse_path), ids[:400], neighbours)
    np.testing.assert_array_equal(got, want)
    assert want.sum() > 0


# A small table with every input rule exercised: NULL / text / negative streams, a missing
# id, a duplicated pair, and artists below the listener minimum.
def small_listens() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for user in range(40):
        group = user % 2
        for artist in rng.choice(12, 6, replace=False):
            a = int(artist + 12 * group)
            rows.append((f"A{a}", a, f"u{user}", user, str(int(rng.integers(1, 60)))))
    rows += [("A0", 0, "u0", 0, "7"),  # duplicate of a pair that may exist: summed
             ("A1", 1, "x", None, "5"), ("A2", 2, "u1", 1, "-3"), ("A3", 3, "u2", 2, None),
             ("A3", 3, "u2", 2, "n/a"), ("Solo", 99, "u3", 3, "4")]  # 99: one listener only
    return pd.DataFrame(rows, columns=list(USER_ARTIST_STREAMS.columns))


def duckdb_with(frame: pd.DataFrame) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.register("frame", frame)
    con.execute(f'CREATE TABLE "{USER_ARTIST_STREAMS.name}" AS SELECT * FROM frame')
    con.unregister("frame")
    return con


@pytest.fixture(scope="module")
def fakesnow_session() -> Iterator[Any]:
    with start_fakesnow() as kwargs, fakesnow_server_session(kwargs, "PUSHDOWN") as session:
        yield session


def test_same_sql_runs_on_duckdb_and_fakesnow(fakesnow_session: Any) -> None:
    frame = small_listens()
    cursor = fakesnow_session.connection.cursor()
    # Snowflake-style table: upper-case unquoted ids, a quoted lower-case column, text streams
    cursor.execute(f'CREATE TABLE {USER_ARTIST_STREAMS.name} ("artistname" VARCHAR, '
                   'ARTISTNUM NUMBER(38,0), "userid" VARCHAR, USERNUM NUMBER(38,0), '
                   'TOTAL_STREAMS VARCHAR)')
    cursor.executemany(f"INSERT INTO {USER_ARTIST_STREAMS.name} VALUES (?, ?, ?, ?, ?)",
                       [tuple(None if pd.isna(v) else v for v in row)
                        for row in frame.itertuples(index=False)])
    cursor.close()
    snow = PushdownSVD(n_components=4).fit(fakesnow_session)
    duck = PushdownSVD(n_components=4).fit(duckdb_with(frame))
    np.testing.assert_array_equal(snow.artist_ids_, duck.artist_ids_)
    assert 99 not in snow.artist_ids_ and list(snow.excluded_["artistnum"]) == [99]
    np.testing.assert_allclose(snow.singular_values_, duck.singular_values_, rtol=1e-9)
    np.testing.assert_allclose(np.abs(snow.features_), np.abs(duck.features_), rtol=1e-4, atol=1e-4)
    assert snow.counts_["bytes_fetched"] > 0 and snow.counts_["pairs"] == duck.counts_["pairs"]
    # the temporary tables are gone afterwards
    left = fakesnow_session.sql("SHOW TABLES").collect()
    assert not [r for r in left if str(r["name"]).upper().startswith("ALI_PD")]


def pushed_down_and_read(tmp_path: Path, frame: pd.DataFrame) -> tuple[Any, Any, Any]:
    """``frame`` as the listens table of a DuckDB warehouse: the pushed-down SVD of it, the
    in-memory reader's kept artists, and the warehouse; both apply the same input rules."""
    warehouse = DuckDBWarehouse(tmp_path / "listens.duckdb")
    warehouse.write_table(USER_ARTIST_STREAMS.name, frame)
    listens = build_listen_matrix(warehouse.iter_listens())
    kept = listens.keep_artists(listens.listeners >= 2)
    svd = PushdownSVD(n_components=4).fit(warehouse)
    np.testing.assert_array_equal(svd.artist_ids_, kept.artist_ids)
    np.testing.assert_array_equal(svd.listeners_, kept.listeners)
    np.testing.assert_allclose(svd.streams_, np.asarray(kept.streams.sum(axis=1)).ravel())
    return svd, kept, warehouse


def test_input_rules_match_the_in_memory_reader(tmp_path: Path) -> None:
    svd, kept, warehouse = pushed_down_and_read(tmp_path, small_listens())
    exact = np.linalg.svd(LogWeighting().fit_transform(kept.streams).toarray(), compute_uv=False)
    np.testing.assert_allclose(svd.singular_values_, exact[:4], rtol=1e-6)
    with pytest.raises(InsightsError, match="at least 50 listeners"):
        PushdownSVD(min_listeners=50).fit(warehouse)


@pytest.mark.parametrize("hostile", ["nonfinite", "text ids"])
def test_pushdown_applies_the_same_rules_to_hostile_values(tmp_path: Path, hostile: str) -> None:
    """NaN and infinite streams are dropped, text ids are cast (a fractional or negative one
    dropped), exactly as the in-memory reader does."""
    frame = small_listens()
    frame["total_streams"] = pd.to_numeric(frame["total_streams"], errors="coerce")
    extra = pd.DataFrame([("A4", 4, "u5", 5, float("nan")), ("A4", 4, "u6", 6, float("inf")),
                          ("A5", 5, "u7", 7, float("-inf"))], columns=frame.columns)
    frame = pd.concat([frame, extra], ignore_index=True)
    if hostile == "text ids":
        frame["usernum"] = frame["usernum"].map(lambda v: None if pd.isna(v) else str(int(v)))
        frame.loc[len(frame)] = ("A6", 6, "u8", "1.5", 3.0)
        frame.loc[len(frame)] = ("A6", 6, "u9", "-2", 3.0)
    svd, _, _ = pushed_down_and_read(tmp_path, frame)
    assert np.isfinite(svd.features_).all()


def test_listen_matrix_fast_paths_build_the_plain_coo_matrix() -> None:
    rng = np.random.default_rng(1)
    n = 5_000
    frame = pd.DataFrame({"usernum": rng.integers(0, 300, n), "artistnum": rng.integers(0, 80, n),
                          "streams": rng.integers(1, 100, n).astype(float)})
    ordered = frame.groupby(["artistnum", "usernum"], as_index=False)["streams"].sum()
    sparse_ids = frame.assign(usernum=frame["usernum"] * 10**12 + 7)  # a presence table won't do

    def plain(batches: list[pd.DataFrame]) -> tuple[np.ndarray, ...]:
        whole = pd.concat(batches)
        users, cols = np.unique(whole["usernum"], return_inverse=True)
        artists, rows = np.unique(whole["artistnum"], return_inverse=True)
        m = sp.coo_matrix((whole["streams"], (rows, cols)), shape=(len(artists), len(users))).tocsr()
        m.sum_duplicates()
        return artists, users, m.indptr, m.indices, m.data

    for batches in ([ordered[i : i + 700] for i in range(0, len(ordered), 700)],  # CSR order
                    [frame[i : i + 999] for i in range(0, n, 999)],  # any order, duplicates
                    [sparse_ids]):
        got = build_listen_matrix(batches)
        want = plain(batches)
        for a, b in zip((got.artist_ids, got.user_ids, got.streams.indptr, got.streams.indices,
                         got.streams.data), want, strict=True):
            np.testing.assert_array_equal(a, b)
        assert got.streams.indices.dtype == np.int32 and got.streams.data.dtype == np.float64


def test_dialects_differ_only_in_spelling() -> None:
    duck, snow = pushdown_sql.DuckDBDialect(), pushdown_sql.SnowflakeDialect()
    assert duck.streams("s") != snow.streams("s")
    assert pushdown_sql.user_side_sql(3) .count("SUM(") == 3


def test_warehouse_draws_the_in_memory_test_matrix() -> None:
    """Ω computed by DuckDB's SQL is ``random_signs.signs`` exactly, for any ids the contract
    allows (0, consecutive, sparse, near 2⁶³), and its SQL is Snowflake SQL."""
    ids = np.array([0, 1, 2, 3, 64, 65, 2**31 - 2, 2**31 - 1, 2**31, 10**12 + 7, 2**63 - 1])
    coeffs = coefficients(70, random_state=3)
    con = duckdb.connect()
    con.register("ids", pd.DataFrame({"usr": ids}))
    con.execute(f"CREATE TABLE {pushdown_sql.WEIGHTED} AS SELECT CAST(usr AS BIGINT) AS usr "
                "FROM ids")
    con.execute(pushdown_sql.omega_sql(coeffs, PRIME))
    got = con.execute(f"SELECT * FROM {pushdown_sql.USER_SIDE} ORDER BY usr").fetchnumpy()
    np.testing.assert_array_equal(got["usr"], np.sort(ids))
    omega = np.column_stack([got[f"c{j}"] for j in range(70)])
    np.testing.assert_array_equal(omega, signs(np.sort(ids), coeffs))
    assert set(np.unique(omega)) == {-1.0, 1.0}
    sqlglot.parse_one(pushdown_sql.omega_sql(coeffs, PRIME), read="snowflake")


def test_test_matrix_columns_are_as_independent_as_random_signs() -> None:
    """Consecutive ids (the usual numbering) give columns as uncorrelated as coin flips:
    off-diagonal Gram entries about 1/√n, none of them structured."""
    n = 40_000
    omega = signs(np.arange(n), coefficients(128)).astype(np.float64)
    gram = omega.T @ omega / n
    off = gram[~np.eye(128, dtype=bool)]
    assert np.all(np.diag(gram) == 1.0)
    assert abs(omega.mean()) < 3 / np.sqrt(omega.size)
    assert np.sqrt(np.mean(off**2)) < 1.2 / np.sqrt(n) and np.abs(off).max() < 6 / np.sqrt(n)
    assert not np.array_equal(coefficients(128, 0), coefficients(128, 1))


@pytest.mark.parametrize("normalize_listeners", [True, False])
def test_warehouse_weights_the_listens_as_the_pipeline_does(normalize_listeners: bool) -> None:
    """The weighted table the SVD reads is ``LogWeighting`` of the kept artists' listens:
    log1p, and each listener's column at unit norm over the kept artists only."""
    from core.training.pushdown import prepare_listens

    frame = small_listens()
    with pushdown_sql.open_runner(duckdb_with(frame)) as runner:
        listens = prepare_listens(runner, 2, normalize_listeners)
        got = runner.fetch(f"SELECT artist, usr, w FROM {pushdown_sql.WEIGHTED}")
    clean = frame.assign(s=pd.to_numeric(frame["total_streams"], errors="coerce"))
    clean = clean[(clean["s"] > 0) & clean["usernum"].notna()]
    clean = clean.groupby(["artistnum", "usernum"], as_index=False)["s"].sum()
    clean = clean[clean["artistnum"].isin(listens.artist_ids)]
    rows = np.searchsorted(listens.artist_ids, clean["artistnum"])
    users, cols = np.unique(clean["usernum"].astype(np.int64), return_inverse=True)
    streams = sp.csr_matrix((clean["s"], (rows, cols)), shape=(len(listens.artist_ids), len(users)))
    want = LogWeighting(normalize_listeners).fit_transform(streams).toarray()
    have = np.zeros_like(want)
    have[np.searchsorted(listens.artist_ids, got["artist"].astype(np.int64)),
         np.searchsorted(users, got["usr"].astype(np.int64))] = got["w"]
    np.testing.assert_allclose(have, want, rtol=1e-12, atol=1e-15)
    if normalize_listeners:
        np.testing.assert_allclose(np.linalg.norm(want, axis=0), 1.0)
