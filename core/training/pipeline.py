"""Training: warehouse tables in, a saved model out, each step a replaceable part.

warehouse -> listen matrix (input rules) -> weighting -> features (SVD) -> L2 normalization
-> clusters -> neighbours (+ shared listeners, market peers) -> model.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from sklearn.preprocessing import Normalizer

import core
from core.config import Settings
from core.errors import InsightsError
from core.model import Model
from core.names import normalize_name
from core.progress import ProgressCallback, StepProgress
from core.training.clustering import KMeansClusters, SeedMixtureClusters
from core.training.factorization import SVDFeatures
from core.training.matrix import ListenMatrix, build_listen_matrix
from core.training.mode import training_mode
from core.training.neighbours import shared_listeners
from core.training.pushdown import PushdownSVD, shared_listeners_pushdown
from core.training.similarity import FeatureCosine, HybridNeighbours, SimilarityMethod
from core.training.weighting import LogWeighting
from core.warehouse.base import Warehouse

STEPS = {"read": 3.0, "weight": 0.5, "factorize": 3.0, "normalize": 0.2, "cluster": 1.0,
         "neighbours": 3.0, "markets": 1.0}
CLUSTERINGS = {"kmeans": KMeansClusters, "seed-mixture": SeedMixtureClusters}
SIMILARITIES = ("hybrid", "cosine")


@dataclass(frozen=True)
class TrainingParams:
    num_features: int = 64
    num_clusters: int = 10
    min_listeners: int = 2
    top_k: int = 100
    market_peers: int = 10
    clustering: str = "kmeans"
    similarity: str = "hybrid"
    rp3_beta: float = 0.2
    svd_weight: float = 0.35
    bm25_weight: float = 0.3
    random_state: int = 0
    batch_rows: int = 1_000_000
    #: "memory" reads the listens into this process; "pushdown" runs the passes over them in
    #: the warehouse (memory independent of rows; cosine similarity, as the hybrid needs the
    #: listen matrix); "auto" picks by row count and available memory
    mode: str = "auto"

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> TrainingParams:
        values = dict(
            num_features=settings.num_features, num_clusters=settings.num_clusters,
            min_listeners=settings.min_listeners, top_k=settings.top_k,
            random_state=settings.random_state,
        )
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def check(self) -> None:
        if self.num_features < 1 or self.num_clusters < 1 or self.top_k < 1:
            raise InsightsError("NUM_FEATURES, NUM_CLUSTERS and TOP_K must be at least 1")
        if self.min_listeners < 1:
            raise InsightsError("MIN_LISTENERS must be at least 1")
        if self.clustering not in CLUSTERINGS:
            raise InsightsError(f"clustering must be one of {', '.join(CLUSTERINGS)}")
        if self.similarity not in SIMILARITIES:
            raise InsightsError(f"similarity must be one of {', '.join(SIMILARITIES)}")
        if self.mode not in ("auto", "memory", "pushdown"):
            raise InsightsError("training mode must be auto, memory or pushdown")

    def similarity_method(self) -> SimilarityMethod:
        """The configured similarity, unfitted."""
        if self.similarity == "cosine":
            return FeatureCosine()
        return HybridNeighbours(
            beta=self.rp3_beta, n_components=self.num_features, svd_weight=self.svd_weight,
            bm25_weight=self.bm25_weight, random_state=self.random_state,
        )

    def describe_similarity(self) -> str:
        if self.similarity == "cosine":
            return "cosine of features, clipped to [0, 1]"
        return (
            f"hybrid: RP3beta(beta={self.rp3_beta}) + {self.svd_weight} x cosine of features + "
            f"{self.bm25_weight} x BM25 overlap, each row scaled to max 1, over co-listened pairs"
        )


@dataclass
class _Timer:
    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        self.seconds[name] = round(time.perf_counter() - start, 4)


def train(
    warehouse: Warehouse,
    params: TrainingParams | None = None,
    progress: ProgressCallback | None = None,
) -> Model:
    """Train a model from the warehouse's source tables; the caller saves it."""
    params = params or TrainingParams()
    params.check()
    report = StepProgress(progress, STEPS)
    timer = _Timer()
    counts: dict[str, int] = {}
    if training_mode(warehouse, params.mode) == "pushdown":
        return _train_pushdown(warehouse, params, report, timer, counts)

    with timer.step("read"):
        report("read", 0.0, "checking source tables")
        warehouse.check_contract()
        stats = warehouse.listen_stats()
        counts.update(stats.as_dict())
        report("read", 0.2, "reading listens")
        listens = build_listen_matrix(warehouse.iter_listens(params.batch_rows))
        names = warehouse.artist_names()
        genres = warehouse.artist_genres()
        country = warehouse.country_streams()
    counts.update(warehouse.ingest_counts())
    counts.update(users=len(listens.user_ids), artists_total=len(listens.artist_ids))
    if listens.streams.nnz == 0:
        raise InsightsError(
            "no usable listens: every row of USER_ARTIST_STREAMS_FILTERED_WITH_IDS was dropped "
            f"({stats.rows_null_streams} NULL streams, {stats.rows_nonpositive_streams} zero or "
            f"negative, {stats.rows_unknown_ids} unknown ids, {stats.rows_nonfinite_streams} NaN "
            "or infinite)"
        )

    kept_mask = listens.listeners >= params.min_listeners
    excluded = _artist_frame(listens, ~kept_mask, names)[["artistname", "listeners"]]
    listens = listens.keep_artists(kept_mask)
    counts.update(artists_excluded_min_listeners=int((~kept_mask).sum()),
                  artists=len(listens.artist_ids))
    if len(listens.artist_ids) < 2:
        raise InsightsError(
            f"only {len(listens.artist_ids)} artist(s) have at least {params.min_listeners} "
            "listeners; lower MIN_LISTENERS or load more data"
        )
    report("read", 1.0)

    with timer.step("weight"):
        weighted = LogWeighting().fit_transform(listens.streams)
    report("weight", 1.0)

    with timer.step("factorize"):
        report("factorize", 0.0, f"factorizing {weighted.shape[0]:,} x {weighted.shape[1]:,}")
        svd = SVDFeatures(params.num_features, random_state=params.random_state)
        raw_features = svd.fit_transform(weighted)
    report("factorize", 1.0)

    with timer.step("normalize"):
        features = Normalizer().fit_transform(raw_features).astype(np.float32)
    report("normalize", 1.0)

    with timer.step("cluster"):
        clustering = CLUSTERINGS[params.clustering](params.num_clusters, params.random_state)
        labels = clustering.fit(features).labels_
    report("cluster", 1.0)

    markets, dropped_market_rows = _markets(country, listens.artist_ids)
    has_markets = np.zeros(len(listens.artist_ids), bool)
    has_markets[markets["row"].unique()] = True
    with timer.step("neighbours"):
        report("neighbours", 0.0, f"similarity: {params.similarity}")
        method = params.similarity_method()
        if isinstance(method, HybridNeighbours):
            # keep only what the model stores: each artist's top-k and its market peers
            method.fit(listens.streams, features=features, keep_top=params.top_k,
                       keep_columns=np.flatnonzero(has_markets),
                       keep_columns_top=params.market_peers)
        else:
            method.fit(listens.streams, features=features)
        report("neighbours", 0.5, "ranking similar artists")
        neighbour_idx, neighbour_sim = method.similar(params.top_k)
        shared = shared_listeners(listens.streams, neighbour_idx)
    report("neighbours", 1.0)

    with timer.step("markets"):
        artists = _artist_frame(listens, np.ones(len(listens.artist_ids), bool), names)
        artists = _attach_genres(artists, genres)
        artists["cluster"] = labels
        peer_idx, peer_sim, lonely = _market_peers(method, features, has_markets, params.market_peers)
    report("markets", 1.0)
    counts.update(
        artists_with_market_data=int(has_markets.sum()),
        market_rows=len(markets),
        market_rows_unknown_artist=dropped_market_rows,
        artists_with_genre=int(artists["genre"].notna().sum()),
        artists_market_peers_from_features=lonely,
    )

    manifest = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "package_version": core.__version__,
        "warehouse": warehouse.description,
        "params": asdict(params),
        "data_fingerprint": _fingerprint(listens, markets, genres),
        "counts": counts,
        "timings_seconds": timer.seconds,
        "explained_variance": float(svd.explained_variance_ratio_.sum()),
        "num_features": int(svd.n_components_),
        "mode": "memory",
        "steps": {
            "weighting": "log1p(streams)",
            "factorization": f"TruncatedSVD({svd.n_components_}, randomized)",
            "normalization": "L2",
            "clustering": params.clustering,
            "similarity": params.describe_similarity(),
        },
    }
    return Model(
        artists=artists,
        features=features,
        neighbour_idx=neighbour_idx,
        neighbour_sim=neighbour_sim,
        neighbour_shared=shared,
        geo_peer_idx=peer_idx,
        geo_peer_sim=peer_sim,
        markets=markets,
        excluded=excluded.reset_index(drop=True),
        explained_variance_ratio=svd.explained_variance_ratio_.astype(np.float64),
        manifest=manifest,
    )


def _artist_frame(listens: ListenMatrix, mask: np.ndarray, names: pd.DataFrame) -> pd.DataFrame:
    return _named_artists(listens.artist_ids[mask], listens.listeners[mask],
                          np.asarray(listens.streams[mask].sum(axis=1)).ravel(), names)


def _named_artists(ids: np.ndarray, listeners: np.ndarray, streams: np.ndarray,
                   names: pd.DataFrame) -> pd.DataFrame:
    frame = pd.DataFrame({
        "artistnum": ids.astype(np.int64),
        "listeners": listeners.astype(np.int64),
        "streams": streams.astype(np.float64),
    })
    lookup = names.drop_duplicates("artistnum").set_index("artistnum")["artistname"]
    named = frame["artistnum"].map(lookup)
    frame.insert(1, "artistname", named.fillna("#" + frame["artistnum"].astype(str)).astype(str))
    return frame


def _attach_genres(artists: pd.DataFrame, genres: pd.DataFrame) -> pd.DataFrame:
    """Join ARTIST_IDS_SINGLE_GENRE by name: exact spelling first, then normalized."""
    genres = genres.dropna(subset=["artistname"]).copy()
    exact = genres.drop_duplicates("artistname").set_index("artistname")
    genres["key"] = genres["artistname"].map(normalize_name)
    loose = genres.drop_duplicates("key").set_index("key")
    out = artists.copy()
    for column, target in (("genreid", "genre"), ("countrylist", "countrylist")):
        by_exact = out["artistname"].map(exact[column])
        by_loose = out["artistname"].map(normalize_name).map(loose[column])
        out[target] = by_exact.fillna(by_loose)
    out["countrylist"] = out["countrylist"].map(_clean_countrylist)
    out["genre"] = out["genre"].map(lambda g: g.strip() if isinstance(g, str) and g.strip() else None)
    return out


def _clean_countrylist(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    parts = sorted({p.strip() for p in value.split(",") if p.strip()})
    return ",".join(parts) or None


def _markets(country: pd.DataFrame, artist_ids: np.ndarray) -> tuple[pd.DataFrame, int]:
    row_of = pd.Series(np.arange(len(artist_ids)), index=artist_ids)
    rows = country["artistnum"].map(row_of)
    known = rows.notna()
    markets = pd.DataFrame({
        "row": rows[known].astype(np.int32).to_numpy(),
        "countryname": country.loc[known, "countryname"].to_numpy(),
        "storename": country.loc[known, "storename"].to_numpy(),
        "streams": country.loc[known, "total_streams"].to_numpy(np.float64),
    })
    markets = markets.groupby(["row", "countryname", "storename"], as_index=False)["streams"].sum()
    return markets, int((~known).sum())


def _market_peers(
    method: SimilarityMethod, features: np.ndarray, has_markets: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, int]:
    """Every artist's ``k`` most similar artists among those with market data.

    Searching only the artists with data looks as deep into the similarity order as needed
    (most artists have none). The hybrid only scores co-listened pairs, so an artist none of
    whose listeners plays a charting artist falls back to the cosine of listener features;
    the number of such artists is returned for the report.
    """
    candidates = np.flatnonzero(has_markets)
    if len(candidates) == 0:
        n = len(features)
        return np.full((n, k), -1, np.int32), np.zeros((n, k), np.float32), 0
    idx, sim = method.similar(k, candidates=candidates)
    lonely = np.flatnonzero((idx < 0).all(axis=1))
    if len(lonely):
        fallback = FeatureCosine().fit(None, features=features)
        idx[lonely], sim[lonely] = fallback.similar(k, rows=lonely, candidates=candidates)
    return idx, sim, len(lonely)


def _fingerprint(listens: ListenMatrix, markets: pd.DataFrame, genres: pd.DataFrame) -> str:
    digest = hashlib.sha256()
    for array in (listens.artist_ids, listens.user_ids, listens.streams.indptr,
                  listens.streams.indices, listens.streams.data):
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update(pd.util.hash_pandas_object(markets, index=False).to_numpy().tobytes())
    digest.update(pd.util.hash_pandas_object(genres, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def _train_pushdown(
    warehouse: Warehouse, params: TrainingParams, report: StepProgress, timer: _Timer,
    counts: dict[str, int],
) -> Model:
    """``train`` with the passes over the listens run in the warehouse (``core.training.pushdown``).

    Only artist-side numbers leave the warehouse: the features, per-artist listener and stream
    totals, and the shared-listener counts of each artist's neighbours. Similarity is the
    cosine of features: the hybrid's co-listening matrices would need the listen matrix here.
    """
    with timer.step("read"):
        report("read", 0.0, "checking source tables")
        warehouse.check_contract()
        counts.update(warehouse.listen_stats().as_dict())
        names = warehouse.artist_names()
        genres = warehouse.artist_genres()
        country = warehouse.country_streams()
    counts.update(warehouse.ingest_counts())
    report("read", 1.0)
    with timer.step("factorize"):
        svd = PushdownSVD(params.num_features, params.min_listeners).fit(
            warehouse, lambda message, f: report("factorize", f, message)
        )
    counts.update({k: svd.counts_[k] for k in (
        "users", "artists_total", "artists_excluded_min_listeners", "artists", "bytes_fetched")})
    report("factorize", 1.0)
    with timer.step("normalize"):
        features = Normalizer().fit_transform(svd.features_).astype(np.float32)
    with timer.step("cluster"):
        clustering = CLUSTERINGS[params.clustering](params.num_clusters, params.random_state)
        labels = clustering.fit(features).labels_
    report("cluster", 1.0)
    with timer.step("neighbours"):
        method = FeatureCosine().fit(None, features=features)
        neighbour_idx, neighbour_sim = method.similar(params.top_k)
        shared = shared_listeners_pushdown(warehouse, svd.artist_ids_, neighbour_idx,
                                           params.min_listeners)
    report("neighbours", 1.0)
    with timer.step("markets"):
        artists = _named_artists(svd.artist_ids_, svd.listeners_, svd.streams_, names)
        artists = _attach_genres(artists, genres)
        artists["cluster"] = labels
        markets, dropped_market_rows = _markets(country, svd.artist_ids_)
        has_markets = np.zeros(len(artists), bool)
        has_markets[markets["row"].unique()] = True
        peer_idx, peer_sim, lonely = _market_peers(method, features, has_markets,
                                                   params.market_peers)
        lookup = names.drop_duplicates("artistnum").set_index("artistnum")["artistname"]
        excluded = svd.excluded_.assign(artistname=svd.excluded_["artistnum"].map(lookup).fillna(
            "#" + svd.excluded_["artistnum"].astype(str)))[["artistname", "listeners"]]
    report("markets", 1.0)
    counts.update(
        artists_with_market_data=int(has_markets.sum()), market_rows=len(markets),
        market_rows_unknown_artist=dropped_market_rows,
        artists_with_genre=int(artists["genre"].notna().sum()),
        artists_market_peers_from_features=lonely,
    )
    digest = hashlib.sha256()
    for array in (svd.artist_ids_, svd.listeners_, svd.streams_):
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update(pd.util.hash_pandas_object(markets, index=False).to_numpy().tobytes())
    digest.update(pd.util.hash_pandas_object(genres, index=False).to_numpy().tobytes())
    manifest = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "package_version": core.__version__,
        "warehouse": warehouse.description,
        "params": {**asdict(params), "similarity": "cosine"},
        "data_fingerprint": digest.hexdigest(),
        "counts": counts,
        "timings_seconds": timer.seconds,
        "explained_variance": float(svd.explained_variance_ratio_.sum()),
        "num_features": int(svd.n_components_),
        "mode": "pushdown",
        "steps": {
            "weighting": "log1p(streams), in the warehouse",
            "factorization": f"randomized SVD({svd.n_components_}) pushed down as SQL "
                             f"({svd.counts_['passes']} passes)",
            "normalization": "L2",
            "clustering": params.clustering,
            "similarity": "cosine of features, clipped to [0, 1]",
        },
    }
    return Model(
        artists=artists, features=features, neighbour_idx=neighbour_idx,
        neighbour_sim=neighbour_sim, neighbour_shared=shared, geo_peer_idx=peer_idx,
        geo_peer_sim=peer_sim, markets=markets, excluded=excluded.reset_index(drop=True),
        explained_variance_ratio=svd.explained_variance_ratio_.astype(np.float64),
        manifest=manifest,
    )
