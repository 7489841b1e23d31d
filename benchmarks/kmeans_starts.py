"""k-means starts: one k-means++ start against the best of four, by random state.

    .venv/bin/python benchmarks/kmeans_starts.py var/warehouse.duckdb
    .venv/bin/python benchmarks/kmeans_starts.py var/bench/gen-10M/warehouse.duckdb

On the product's features (log1p, listener-normalized SVD(128), L2 rows) prints, for
``n_init`` 4 and 1 and random states 0-2: seconds, inertia, cosine silhouette, and agreement
with the top tags (demo) or with the planted communities (generated data, ``communities.npy``
beside the warehouse). Findings: benchmarks/README.md, *Clustering: one start*.
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import normalized_mutual_info_score
from sklearn.preprocessing import normalize

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.evaluation import load_evaluation_data
from core.evaluation.clusters import cluster_quality
from core.training.factorization import SVDFeatures
from core.training.matrix import build_listen_matrix
from core.training.weighting import LogWeighting
from core.warehouse.duckdb import DuckDBWarehouse


def main(db: str) -> int:
    warnings.simplefilter("ignore")
    listens = build_listen_matrix(DuckDBWarehouse(db).iter_listens())
    listens = listens.keep_artists(listens.listeners >= 2)
    weighted = LogWeighting(True, np.float32).fit_transform(listens.streams)
    features = normalize(SVDFeatures(128, keep_components=False).fit_transform(
        weighted, listener_ids=listens.user_ids))
    planted = Path(db).with_name("communities.npy")
    truth = np.load(planted)[listens.artist_ids] if planted.exists() else None
    if truth is None:
        data = load_evaluation_data(DuckDBWarehouse(db))
        genres = list(np.asarray(data.genres)[np.searchsorted(data.artist_ids,
                                                                listens.artist_ids)])
    else:
        genres = [None] * len(features)
    print(f"{db}: {len(features):,} artists; load {Path('/proc/loadavg').read_text().split()[0]}")
    for n_init in (4, 1):
        for state in (0, 1, 2):
            start = time.perf_counter()
            km = KMeans(10, n_init=n_init, random_state=state).fit(features)
            seconds = time.perf_counter() - start
            q = cluster_quality(features, km.labels_, genres)
            agreement = (f"planted NMI {normalized_mutual_info_score(truth, km.labels_):.4f}"
                         if truth is not None else
                         f"tag NMI {q['tag_nmi']:.4f} purity {q['tag_purity']:.4f}")
            print(f"n_init={n_init} state={state}: {seconds:.2f} s, inertia {km.inertia_:.1f}, "
                  f"silhouette {q['silhouette']:.4f}, {agreement}, "
                  f"largest {q['largest_share']:.3f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
