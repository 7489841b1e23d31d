"""Cluster quality: hand-computed sizes and tag agreement, a planted fixture the clusterings
must find, and the demo model (real numbers, checked against chance rather than pinned)."""

from __future__ import annotations

import numpy as np
import pytest

from core.evaluation.clusters import (
    CLUSTERING_NAMES,
    COLUMNS,
    SILHOUETTE_SAMPLE,
    cluster_quality,
    cluster_sizes,
    compare_clusterings,
    model_cluster_quality,
    silhouette,
    silhouette_sample,
    tag_agreement,
)
from core.model import Model


def test_cluster_sizes_by_hand() -> None:
    assert cluster_sizes(np.array([0, 0, 0, 1, 1, 2])) == {
        "clusters": 3, "size_min": 1, "size_median": 2.0, "size_max": 3, "largest_share": 0.5}
    assert cluster_sizes(np.array([], int))["clusters"] == 0


def test_tag_purity_and_nmi_by_hand() -> None:
    labels = np.array([0, 0, 0, 1, 1, 1])
    genres = ["rock", "rock", "pop", "pop", "pop", None]
    # cluster 0: 2 of 3 tagged artists are rock; cluster 1: both tagged artists are pop
    out = tag_agreement(labels, genres)
    assert out["tag_purity"] == pytest.approx((2 / 3 + 1.0) / 2)
    assert out["tagged_artists"] == 5  # the untagged artist is left out, not counted as a miss
    # clusters that are the tags (renamed) agree perfectly; clusters independent of tags not at all
    assert tag_agreement(np.array([1, 1, 0, 0]), ["a", "a", "b", "b"])["tag_nmi"] == pytest.approx(1.0)
    assert tag_agreement(np.array([0, 0, 1, 1]), ["a", "b", "a", "b"])["tag_nmi"] == pytest.approx(0.0)
    assert np.isnan(tag_agreement(np.array([0, 1]), [None, ""])["tag_purity"])


def test_silhouette_is_cosine_on_a_fixed_sample() -> None:
    # two tight bundles of directions: cosine distance ~0 inside, ~1 across -> silhouette ~1
    rng = np.random.default_rng(0)
    directions = np.array([[1.0, 0.0], [0.0, 1.0]])
    features = np.repeat(directions, 20, axis=0) + rng.normal(0, 0.01, (40, 2))
    labels = np.repeat([0, 1], 20)
    assert silhouette(features, labels) > 0.95
    # scaling a vector does not change its direction: a cosine score ignores it
    assert silhouette(features * rng.uniform(1, 50, (40, 1)), labels) == pytest.approx(
        silhouette(features, labels))
    assert np.isnan(silhouette(features, np.zeros(40, int)))  # one cluster: undefined
    sample = silhouette_sample(10_000)
    assert len(sample) == SILHOUETTE_SAMPLE and np.array_equal(sample, silhouette_sample(10_000))
    assert np.array_equal(silhouette_sample(50), np.arange(50))


def planted(n_per: int = 120, groups: int = 4, dim: int = 16, seed: int = 0
            ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Artists around ``groups`` random directions (L2-normalized, as the model's features),
    each group with its own tag, except 10% of the tags swapped at random."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(groups, dim))
    truth = np.repeat(np.arange(groups), n_per)
    features = centres[truth] + rng.normal(0, 0.35, (len(truth), dim))
    features /= np.linalg.norm(features, axis=1, keepdims=True)
    tags = [f"tag{g}" for g in truth]
    for i in rng.choice(len(tags), size=len(tags) // 10, replace=False):
        tags[i] = f"tag{rng.integers(groups)}"
    return features.astype(np.float32), truth, tags


def test_planted_clusters_are_found_and_score_high() -> None:
    features, truth, tags = planted()
    table = compare_clusterings(features, tags, n_clusters=4)
    assert list(table.columns) == list(COLUMNS)
    assert list(table.index) == [CLUSTERING_NAMES["kmeans"], CLUSTERING_NAMES["seed-mixture"]]
    for name, row in table.iterrows():
        assert row["clusters"] == 4 and row["size_min"] >= 100, name  # no crumbs
        assert row["silhouette"] > 0.6, name
        assert row["tag_nmi"] > 0.6 and row["tag_purity"] > 0.85, name
        assert row["fit_s"] >= 0
    # the truth itself scores as well as a clustering can; shuffled labels score like chance
    best = cluster_quality(features, truth, tags)
    assert best["tag_nmi"] >= table["tag_nmi"].max() - 0.02
    shuffled = cluster_quality(features, np.random.default_rng(1).permutation(truth), tags)
    assert shuffled["tag_nmi"] < 0.05 and shuffled["silhouette"] < 0.05


def test_labels_passed_in_are_judged_as_they_are() -> None:
    features, truth, tags = planted()
    table = compare_clusterings(features, tags, n_clusters=4, fitted={"kmeans": truth},
                                clusterings=("kmeans",))
    row = table.loc[CLUSTERING_NAMES["kmeans"]]
    assert np.isnan(row["fit_s"])  # not refitted
    assert row["tag_nmi"] == pytest.approx(cluster_quality(features, truth, tags)["tag_nmi"])


@pytest.mark.slow
def test_demo_model_clusters_beat_chance(demo_model: Model) -> None:
    table = model_cluster_quality(demo_model, clusterings=("kmeans",))
    row = table.loc[CLUSTERING_NAMES["kmeans"]]
    labels = demo_model.artists["cluster"].to_numpy()
    assert row["clusters"] == demo_model.manifest["params"]["num_clusters"] == len(np.unique(labels))
    assert row["size_max"] == np.bincount(labels).max()
    assert np.isnan(row["fit_s"])  # the model's own labels, as saved
    chance = cluster_quality(demo_model.features, np.random.default_rng(0).permutation(labels),
                             demo_model.artists["genre"].tolist())
    assert row["silhouette"] > chance["silhouette"] + 0.05
    assert row["tag_nmi"] > chance["tag_nmi"] + 0.1
    assert row["tag_purity"] > chance["tag_purity"]
