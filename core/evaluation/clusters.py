"""Cluster quality, measured: are the clusters the dashboard names real groups of audiences?

A cluster is shown as "pop · Lady Gaga, Britney Spears" on the Clusters page, so three things
matter and each gets a number:

* **sizes** (min / median / max, share of the largest): one giant cluster plus crumbs would
  make the names meaningless, even with good scores below;
* **silhouette** (cosine, the geometry the features are built for): how much closer each
  artist is to its own cluster than to the next one, from -1 to 1. Computed on a fixed random
  sample of at most ``SILHOUETTE_SAMPLE`` artists, because the exact score is quadratic in the
  number of artists; the same sample serves every clustering compared;
* **agreement with tags** (outside truth, never used in training): normalized mutual
  information between cluster and top tag, and the mean purity of the top tag per cluster
  (the share of a cluster's tagged artists that carry its most common tag; the number behind
  the "pop 40%" in a cluster's name).

``compare_clusterings`` runs the product's k-means and the seed's Bayesian Gaussian mixture on
the same features, so the choice of the default is a measured one.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import normalized_mutual_info_score, silhouette_score

from core.model import Model
from core.training.pipeline import CLUSTERINGS

SILHOUETTE_SAMPLE = 3000
#: display names of the clusterings in ``core.training.pipeline.CLUSTERINGS``
CLUSTERING_NAMES = {"kmeans": "k-means (product default)",
                    "seed-mixture": "Bayesian Gaussian mixture (seed)"}
COLUMNS = ("clusters", "size_min", "size_median", "size_max", "largest_share", "silhouette",
           "tag_nmi", "tag_purity", "tagged_artists", "fit_s")


def cluster_sizes(labels: np.ndarray) -> dict[str, float]:
    """Number of (non-empty) clusters, smallest / median / largest size, share of the largest."""
    labels = np.asarray(labels)
    if len(labels) == 0:
        return {"clusters": 0, "size_min": 0, "size_median": 0.0, "size_max": 0, "largest_share": 0.0}
    _, counts = np.unique(labels, return_counts=True)
    return {"clusters": int(len(counts)), "size_min": int(counts.min()),
            "size_median": float(np.median(counts)), "size_max": int(counts.max()),
            "largest_share": float(counts.max() / len(labels))}


def silhouette_sample(n: int, size: int = SILHOUETTE_SAMPLE, random_state: int = 0) -> np.ndarray:
    """Rows of a fixed random sample of at most ``size`` of ``n`` artists, sorted.

    Drawn once and shared, so two clusterings are scored on exactly the same artists.
    """
    if n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(random_state).choice(n, size=size, replace=False))


def silhouette(features: np.ndarray, labels: np.ndarray, sample: np.ndarray | None = None) -> float:
    """Mean cosine silhouette over ``sample`` (default: ``silhouette_sample``); NaN when it is
    undefined (fewer than two clusters, or every artist in a cluster of its own)."""
    labels = np.asarray(labels)
    rows = silhouette_sample(len(labels)) if sample is None else np.asarray(sample)
    picked = labels[rows]
    n_labels = len(np.unique(picked))
    if n_labels < 2 or n_labels >= len(rows):
        return float("nan")
    return float(silhouette_score(np.asarray(features)[rows], picked, metric="cosine"))


def tag_agreement(labels: np.ndarray, genres: Sequence[object]) -> dict[str, float]:
    """NMI between cluster and top tag, and mean top-tag purity per cluster, on tagged artists.

    Untagged artists are left out (no tag is not a tag). Purity is averaged over clusters, not
    artists, so a large pure cluster cannot hide many mixed small ones; a cluster without any
    tagged artist has no purity and is skipped.
    """
    labels = np.asarray(labels)
    tags = pd.Series(list(genres), dtype=object)
    tagged = tags.map(lambda g: isinstance(g, str) and g.strip() != "").to_numpy(bool)
    if tagged.sum() < 2:
        return {"tag_nmi": float("nan"), "tag_purity": float("nan"), "tagged_artists": int(tagged.sum())}
    frame = pd.DataFrame({"cluster": labels[tagged], "tag": tags[tagged].to_numpy()})
    nmi = normalized_mutual_info_score(frame["tag"], frame["cluster"])
    purity = frame.groupby("cluster")["tag"].agg(lambda t: t.value_counts().iloc[0] / len(t))
    return {"tag_nmi": float(nmi), "tag_purity": float(purity.mean()),
            "tagged_artists": int(tagged.sum())}


def cluster_quality(features: np.ndarray, labels: np.ndarray, genres: Sequence[object],
                    sample: np.ndarray | None = None) -> dict[str, float]:
    """Sizes, silhouette and tag agreement of one clustering (the keys of ``COLUMNS``)."""
    return {**cluster_sizes(labels), "silhouette": silhouette(features, labels, sample),
            **tag_agreement(labels, genres)}


def compare_clusterings(
    features: np.ndarray,
    genres: Sequence[object],
    n_clusters: int = 10,
    random_state: int = 0,
    fitted: Mapping[str, np.ndarray] | None = None,
    clusterings: Sequence[str] = tuple(CLUSTERINGS),
    progress: Callable[[str, float], None] | None = None,
) -> pd.DataFrame:
    """One row per clustering (named by ``CLUSTERING_NAMES``), columns ``COLUMNS``.

    ``fitted`` passes labels that already exist (e.g. the model's own k-means labels), so they
    are judged as shipped instead of refitted; ``fit_s`` is then NaN. Every row uses the same
    features and the same silhouette sample.
    """
    fitted = dict(fitted or {})
    sample = silhouette_sample(len(features), random_state=random_state)
    rows: dict[str, dict[str, float]] = {}
    for i, name in enumerate(clusterings):
        if progress:
            progress(f"clusters: {CLUSTERING_NAMES.get(name, name)}", i / len(clusterings))
        fit_s = float("nan")
        labels = fitted.get(name)
        if labels is None:
            start = time.perf_counter()
            with warnings.catch_warnings():
                # the seed's mixture often stops at max_iter; it is judged as the seed ran it
                warnings.simplefilter("ignore", ConvergenceWarning)
                labels = CLUSTERINGS[name](n_clusters, random_state).fit(features).labels_
            fit_s = time.perf_counter() - start
        rows[CLUSTERING_NAMES.get(name, name)] = {
            **cluster_quality(features, labels, genres, sample), "fit_s": fit_s}
    if progress:
        progress("clusters: done", 1.0)
    table = pd.DataFrame.from_dict(rows, orient="index").reindex(columns=list(COLUMNS))
    table.index.name = "clustering"
    return table


def model_cluster_quality(
    model: Model, progress: Callable[[str, float], None] | None = None,
    clusterings: Sequence[str] = tuple(CLUSTERINGS),
) -> pd.DataFrame:
    """``compare_clusterings`` on a trained model's features, judging its own labels as saved
    and refitting the other clusterings with the model's number of clusters and seed."""
    params: dict[str, Any] = model.manifest.get("params", {})
    used = str(params.get("clustering", "kmeans"))
    return compare_clusterings(
        model.features, model.artists["genre"].tolist(),
        n_clusters=int(params.get("num_clusters", model.artists["cluster"].nunique())),
        random_state=int(params.get("random_state", 0)),
        fitted={used: model.artists["cluster"].to_numpy()},
        clusterings=clusterings, progress=progress,
    )
