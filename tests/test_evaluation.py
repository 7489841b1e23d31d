"""The evaluation harness: metric functions on hand-computed fixtures, then one real check.

Every expected number below is worked out by hand in the test, so a change in a metric's
definition shows up here and not as a silent shift in the benchmark table.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from core.evaluation import (
    EvaluationData,
    evaluate_methods,
    holdout_split,
    load_evaluation_data,
    write_report,
)
from core.evaluation.harness import (
    full_data_metrics,
    geo_baselines,
    geo_predictions,
    holdout_metrics,
    tag_rows,
)
from core.evaluation.methods import (
    EASE,
    HybridSimilarity,
    Popularity,
    RandomSimilarity,
    RP3beta,
    SVDCosine,
    row_max_scale,
)
from core.evaluation.metrics import (
    geo_scores,
    graded_ndcg_at_k,
    leave_one_out_mean,
    ndcg_at_k,
    neighbour_overlap,
    predict_shares,
    recall_at_k,
    recommend,
    spearman,
    tag_agreement,
    top_k_indices,
)
from core.training.pipeline import TrainingParams

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"


# -- ranking metrics ---------------------------------------------------------------------------
def test_recall_divides_by_the_smaller_of_k_and_relevant():
    # top-2 of [3, 1, 4, 5] holds one of {1, 5, 9}: 1 / min(2, 3)
    assert recall_at_k([3, 1, 4, 5], {1, 5, 9}, k=2) == pytest.approx(0.5)
    # top-10 holds two of three: 2 / min(10, 3)
    assert recall_at_k([3, 1, 4, 5], {1, 5, 9}, k=10) == pytest.approx(2 / 3)
    # one relevant artist found first is perfect recall, whatever k is
    assert recall_at_k([7, 1, 2], {7}, k=10) == 1.0
    assert recall_at_k([1, 2], set(), k=10) == 0.0


def test_ndcg_by_hand():
    # hits at ranks 2 and 4: DCG = 1/log2(3) + 1/log2(5); ideal puts both first: 1 + 1/log2(3)
    expected = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert ndcg_at_k([3, 1, 4, 5], {1, 5}, k=4) == pytest.approx(expected)
    assert ndcg_at_k([1, 5, 4], {1, 5}, k=4) == pytest.approx(1.0)
    # a hit beyond k does not count
    assert ndcg_at_k([3, 4, 1], {1}, k=2) == 0.0


def test_top_k_breaks_ties_by_lower_index():
    scores = np.array([0.5, 0.9, 0.5, 0.9, 0.1])
    assert top_k_indices(scores, 3).tolist() == [1, 3, 0]
    assert top_k_indices(scores, 10).tolist() == [1, 3, 0, 2, 4]


# -- geography ---------------------------------------------------------------------------------
def test_graded_ndcg_uses_actual_shares_as_gains():
    predicted = np.array([0.1, 0.5, 0.4])
    actual = np.array([0.6, 0.3, 0.1])
    # predicted order 1, 2 -> gains 0.3, 0.1; ideal order 0, 1 -> gains 0.6, 0.3
    expected = (0.3 + 0.1 / math.log2(3)) / (0.6 + 0.3 / math.log2(3))
    assert graded_ndcg_at_k(predicted, actual, k=2) == pytest.approx(expected)
    assert graded_ndcg_at_k(actual, actual, k=2) == pytest.approx(1.0)


def test_spearman_by_hand_and_constant_inputs():
    actual = np.array([0.5, 0.3, 0.2, 0.0])
    assert spearman(np.array([4.0, 3.0, 2.0, 1.0]), actual) == pytest.approx(1.0)
    assert spearman(np.array([1.0, 2.0, 3.0, 4.0]), actual) == pytest.approx(-1.0)
    # ranks [1, 2, 4, 3] against [1, 2, 3, 4]: sum d² = 2, so 1 - 6·2 / (4·15) = 0.8
    assert spearman(np.array([0.1, 0.2, 0.4, 0.3]), np.array([0.1, 0.2, 0.3, 0.4])) == pytest.approx(0.8)
    assert spearman(np.zeros(4), actual) == 0.0


def test_predicted_shares_are_similarity_weighted_and_mean_baseline_leaves_one_out():
    shares = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    peers = np.array([[1, 2], [-1, -1]])
    sims = np.array([[0.3, 0.1], [0.0, 0.0]])
    out = predict_shares(peers, sims, shares)
    # (0.3 * [0, 1] + 0.1 * [0.5, 0.5]) / 0.4
    assert out[0] == pytest.approx([0.125, 0.875])
    assert out[1] == pytest.approx([0.0, 0.0])
    loo = leave_one_out_mean(shares)
    assert loo[0] == pytest.approx([0.25, 0.75])
    ndcg, rho = geo_scores(shares, shares, k=2)
    assert ndcg == pytest.approx(1.0)
    assert rho == pytest.approx(2 / 3)  # the third artist's shares are constant: counts as 0


# -- hold-out split ----------------------------------------------------------------------------
def _listens(n_users: int = 30, n_artists: int = 40, seed: int = 0) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    dense = (rng.random((n_artists, n_users)) < 0.3) * rng.integers(1, 50, (n_artists, n_users))
    return sp.csr_matrix(dense.astype(np.float64))


def test_split_is_deterministic_and_partitions_the_listens():
    X = _listens()
    a, b = holdout_split(X, random_state=3), holdout_split(X, random_state=3)
    assert (a.train != b.train).nnz == 0 and (a.test != b.test).nnz == 0
    assert (holdout_split(X, random_state=4).test != a.test).nnz > 0
    # train + test = every original pair, nothing lost or invented
    together = (a.train.T > 0).astype(int) + (a.test > 0).astype(int)
    assert (together != (X.T > 0).astype(int)).nnz == 0
    per_user = np.diff((X.T.tocsr()).indptr)
    for user in a.users:
        assert len(a.test_items(user)) == max(1, int(0.2 * per_user[user]))


def test_split_holds_out_at_least_one_and_spares_small_users():
    # user 0: 5 artists, user 1: 4 artists, user 2: 10 artists
    X = sp.csr_matrix(np.array([[1] * 5 + [0] * 5, [1] * 4 + [0] * 6, [1] * 10]).T.astype(float))
    split = holdout_split(X, fraction=0.1, min_artists=5, random_state=0)
    assert split.users.tolist() == [0, 2]
    assert len(split.test_items(0)) == 1  # floor(0.5) would be 0: at least one
    assert len(split.test_items(1)) == 0
    assert len(split.test_items(2)) == 1
    assert split.train[:, 1].nnz == 4
    assert len(holdout_split(X, fraction=0.2).test_items(2)) == 2


# -- scoring and tags --------------------------------------------------------------------------
def test_recommend_sums_similarities_and_skips_train_artists():
    # artists 0..3; user 0 played artists 0 and 1
    played = sp.csr_matrix(np.array([[1.0, 1.0, 0.0, 0.0]]))
    idx = np.array([[1, 2, -1], [0, 3, 2], [0, -1, -1], [1, -1, -1]])
    sim = np.array([[0.9, 0.2, 0.0], [0.8, 0.3, 0.25], [0.5, 0.0, 0.0], [0.4, 0.0, 0.0]])
    # artist 2: 0.2 (from 0) + 0.25 (from 1) = 0.45; artist 3: 0.3; artist 1 was played
    assert recommend(played, idx, sim, np.array([0]), k=10)[0].tolist() == [2, 3]


def test_tag_agreement_counts_missing_neighbours_as_misses():
    genres = np.array(["rock", "rock", "pop", None, "rock"], dtype=object)
    idx = np.array([[1, 2, 3], [0, 4, -1], [0, 1, 4], [0, 1, 2], [0, 1, 2]])
    # artist 0: 1 of 3 (artist 3 has no tag); artist 1: 2 of 3 (one missing neighbour)
    assert tag_agreement(idx, genres, np.array([0, 1]), k=3) == pytest.approx((1 / 3 + 2 / 3) / 2)
    assert tag_agreement(idx, genres, np.array([2]), k=3) == 0.0


def test_neighbour_overlap_ignores_padding_and_order():
    a = np.array([[1, 2, 3], [0, 2, -1], [-1, -1, -1]])
    b = np.array([[3, 2, 1], [0, 3, -1], [-1, -1, -1]])
    # row 0 the same set in another order, row 1 one of two, row 2 empty on both sides (skipped)
    assert neighbour_overlap(a, b, k=3) == pytest.approx((1 + 1 / 2) / 2)
    # only the first k count; a shorter list is judged against the longer one
    assert neighbour_overlap(a, np.array([[1, 9, 9], [0, -1, -1], [5, -1, -1]]), k=1) == \
        pytest.approx((1 + 1 + 0) / 3)
    assert np.isnan(neighbour_overlap(a[2:], b[2:]))


# -- methods -----------------------------------------------------------------------------------
def test_rp3beta_by_hand():
    # artists x users: artist 0 <- users 0, 1; artist 1 <- user 0; artist 2 <- user 1
    X = sp.csr_matrix(np.array([[1.0, 1.0], [1.0, 0.0], [0.0, 1.0]]))
    S = RP3beta(beta=0.5).fit(X).similarity_.toarray()
    # 0 -> user 0 (1/2) -> artist 1 (1/2), divided by popularity(1) ** 0.5 = 1
    assert S[0, 1] == pytest.approx(0.25)
    # 1 -> user 0 (1) -> artist 0 (1/2), divided by 2 ** 0.5
    assert S[1, 0] == pytest.approx(0.5 / math.sqrt(2))
    assert S[1, 2] == 0.0 and np.all(np.diag(S) == 0)


@pytest.mark.parametrize("method", [Popularity(), RP3beta(), EASE(l2=1.0, min_listeners=1),
                                    SVDCosine(4), HybridSimilarity(n_components=4)],
                         ids=lambda m: type(m).__name__)
def test_similar_lists_are_sorted_positive_and_never_self(method):
    X = _listens()
    idx, sim = method.fit(X).similar(5)
    assert idx.shape == sim.shape == (X.shape[0], 5)
    for row in range(X.shape[0]):
        valid = idx[row] >= 0
        assert row not in idx[row]
        assert np.all(sim[row][valid] > 0) and np.all(sim[row][~valid] == 0)
        assert np.all(np.diff(sim[row][valid]) <= 1e-6)
    # restricted to candidates, only candidates come back
    cand = np.array([0, 3, 7])
    idx_c, _ = method.similar(2, rows=np.array([1, 3]), candidates=cand)
    assert set(idx_c[idx_c >= 0].tolist()) <= set(cand.tolist())


def test_row_max_scale():
    M = sp.csr_matrix(np.array([[0.0, 2.0, 1.0], [0.0, 0.0, 0.0], [-1.0, 0.5, 0.25]]))
    assert row_max_scale(M).toarray() == pytest.approx(
        np.array([[0.0, 1.0, 0.5], [0.0, 0.0, 0.0], [0.0, 1.0, 0.5]])
    )


# -- the harness end to end on a tiny data set -------------------------------------------------
def _tiny_data() -> EvaluationData:
    X = _listens(n_users=40, n_artists=30, seed=1)
    genres = np.array(["rock" if i % 2 else "pop" for i in range(30)], dtype=object)
    streams = np.random.default_rng(2).random((8, 3)) * 100
    return EvaluationData(streams=X, artist_ids=np.arange(30), artist_names=np.array(
        [f"a{i}" for i in range(30)]), genres=genres, countries=np.array(["X", "Y", "Z"]),
        country_rows=np.arange(8), country_streams=streams)


def test_report_has_a_row_per_method_and_round_trips(tmp_path):
    data = _tiny_data()
    report = evaluate_methods({"popularity": Popularity(), "rp3": RP3beta()}, data)
    assert {"popularity", "rp3", "mean-share baseline"} <= set(report.index)
    for column in ("recall@10", "ndcg@10", "tag@10", "geo_ndcg@10", "fit_s"):
        assert column in report.columns
    csv_path, json_path = write_report(report, tmp_path / "quality")
    assert pd.read_csv(csv_path, index_col=0).shape == report.shape
    stored = json.loads(json_path.read_text())
    assert stored["rp3"]["recall@10"] == pytest.approx(report.loc["rp3", "recall@10"], abs=1e-6)


def test_geo_falls_back_to_mean_share_when_no_peer():
    data = _tiny_data()
    fitted = EASE(min_listeners=10_000).fit(data.streams)  # keeps no artist: no peers at all
    predicted, _, no_peers = geo_predictions(fitted, data)
    assert no_peers == len(data.country_rows)
    assert predicted == pytest.approx(leave_one_out_mean(data.country_shares))
    baseline = geo_baselines(data).loc["mean-share baseline", "geo_ndcg@10"]
    assert geo_scores(predicted, data.country_shares)[0] == pytest.approx(baseline)


# -- the real demo data ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_data(tmp_path_factory) -> EvaluationData:
    if not (DEMO / "user_artist_streams_filtered_with_ids.parquet").exists():
        pytest.skip("demo Parquet files not present")
    from core.warehouse.duckdb import DuckDBWarehouse, build_from_parquet

    db = tmp_path_factory.mktemp("eval") / "warehouse.duckdb"
    build_from_parquet(DEMO, db)
    return load_evaluation_data(DuckDBWarehouse(db))


@pytest.mark.slow
def test_hybrid_beats_popularity_on_demo_recall(demo_data):
    split = holdout_split(demo_data.streams)
    popularity = holdout_metrics(Popularity(), split)["recall@10"]
    hybrid = holdout_metrics(TrainingParams().similarity_method(), split)["recall@10"]
    assert popularity > 0.03  # the split and scoring found something at all
    assert hybrid > popularity + 0.05


# -- fast paths the CLI relies on ----------------------------------------------------------------
def test_popularity_fast_similar_matches_the_dense_ranking():
    from core.evaluation.methods import SimilarityMethod

    X = _listens(n_users=25, n_artists=40, seed=3)  # many artists share a listener count: ties
    method = Popularity().fit(X)
    for rows, candidates in ((None, None), (np.array([5, 0, 39]), None),
                             (np.array([1, 2, 3]), np.array([2, 7, 9, 11, 30]))):
        fast = method.similar(12, rows=rows, candidates=candidates)
        dense = SimilarityMethod.similar(method, 12, rows=rows, candidates=candidates)
        assert np.array_equal(fast[0], dense[0]) and np.array_equal(fast[1], dense[1])


def test_random_neighbours_are_seeded_per_artist_and_respect_candidates():
    method = RandomSimilarity(random_state=4).fit(_listens())
    idx, sim = method.similar(10)
    assert np.array_equal(method.similar(10, rows=np.array([7]))[0][0], idx[7])  # not order-dependent
    for row in range(idx.shape[0]):
        assert row not in idx[row] and len(set(idx[row])) == 10
        assert np.all(sim[row] > 0) and np.all(np.diff(sim[row]) <= 0)
    cand = np.array([3, 4, 5])
    restricted, _ = method.similar(10, rows=np.array([3, 8]), candidates=cand)
    assert set(restricted[0][restricted[0] >= 0]) == {4, 5} and set(restricted[1][:3]) == {3, 4, 5}
    assert not np.array_equal(RandomSimilarity(random_state=5).fit(_listens()).similar(10)[0], idx)


def test_tag_agreement_from_judged_rows_equals_listing_everyone():
    data = _tiny_data()
    fitted = RP3beta().fit(data.streams)
    full_lists = fitted.similar(50)[0]
    expected = tag_agreement(full_lists, data.genres, tag_rows(data), 10)
    assert full_data_metrics(RP3beta(), data)["tag@10"] == pytest.approx(expected)


def test_evaluate_methods_reports_progress_per_method():
    seen: list[tuple[str, float]] = []
    evaluate_methods({"popularity": Popularity(), "rp3": RP3beta()}, _tiny_data(),
                     progress=lambda message, fraction: seen.append((message, fraction)))
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert any(m.startswith("rp3:") for m, _ in seen) and len(seen) == 5
