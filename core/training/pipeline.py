"""Training: warehouse tables in, a saved model out, each step a replaceable part.

warehouse -> listen matrix (input rules) -> weighting -> features (SVD) -> L2 normalization
-> clusters -> neighbours (+ shared listeners, market peers) -> model.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
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
from core.training.factorization import N_ITER, SVDFeatures
from core.training.matrix import build_listen_matrix
from core.training.mode import MODES, training_mode
from core.training.neighbours import shared_listeners
from core.training.pushdown import (
    PushdownSVD,
    prepare_listens,
    pushdown_candidates,
    shared_listeners_prepared,
)
from core.training.similarity import FeatureCosine, HybridSimilarity, SimilarityMethod
from core.training.weighting import LogWeighting
from core.warehouse import pushdown_sql
from core.warehouse.base import Warehouse

STEPS = {"read": 3.0, "weight": 0.5, "factorize": 3.0, "normalize": 0.2, "cluster": 1.0,
         "neighbours": 3.0, "markets": 1.0}
CLUSTERINGS = {"kmeans": KMeansClusters, "seed-mixture": SeedMixtureClusters}
SIMILARITIES = ("hybrid", "cosine")


@dataclass(frozen=True)
class TrainingParams:
    num_features: int = 128
    num_clusters: int = 10
    min_listeners: int = 2
    top_k: int = 100
    market_peers: int = 10
    clustering: str = "kmeans"
    similarity: str = "hybrid"
    rp3_beta: float = 0.3
    svd_weight: float = 2.0
    bm25_weight: float = 0.3
    #: evidence: a pair's score is multiplied by shared / (shared + shrinkage)
    shrinkage: float = 0.5
    #: audience: by listeners / (listeners + listener_prior) of the other artist, unless it
    #: has market data
    listener_prior: float = 1.0
    #: the SVD's input: log1p(streams) with each listener's column at unit L2 norm (False:
    #: log1p alone)
    normalize_listeners: bool = True
    #: a listener's most-streamed artists that count for co-listening (0: all)
    listener_cap: int = 500
    #: candidates per artist re-ranked with the feature cosine (at least TOP_K), and extra ones
    #: among artists with market data (the map's peers)
    candidates: int = 100
    market_candidates: int = 50
    #: the randomized SVD's power iterations, in both executions (2 * n + 3 passes over the
    #: listens pushed down; fewer trade neighbour stability for time on huge tables)
    power_iterations: int = N_ITER
    random_state: int = 0
    batch_rows: int = 1_000_000
    #: "memory" reads the listens into this process; "pushdown" runs the passes over them in
    #: the warehouse (memory independent of rows, the same similarity); "auto" picks by row
    #: count and available memory
    mode: str = "auto"

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> TrainingParams:
        values = dict(
            num_features=settings.num_features, num_clusters=settings.num_clusters,
            min_listeners=settings.min_listeners, top_k=settings.top_k,
            listener_cap=settings.listener_cap, random_state=settings.random_state,
        )
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def check(self) -> None:
        if self.num_features < 1 or self.num_clusters < 1 or self.top_k < 1:
            raise InsightsError("NUM_FEATURES, NUM_CLUSTERS and TOP_K must be at least 1")
        if self.min_listeners < 1:
            raise InsightsError("MIN_LISTENERS must be at least 1")
        if self.power_iterations < 0:
            raise InsightsError("power_iterations must be at least 0")
        if self.clustering not in CLUSTERINGS:
            raise InsightsError(f"clustering must be one of {', '.join(CLUSTERINGS)}")
        if self.similarity not in SIMILARITIES:
            raise InsightsError(f"similarity must be one of {', '.join(SIMILARITIES)}")
        if self.mode not in MODES:
            raise InsightsError(f"training mode must be one of {', '.join(MODES)}")
        if (self.shrinkage < 0 or self.listener_prior < 0 or self.listener_cap < 0
                or self.candidates < 1):
            raise InsightsError("shrinkage, listener prior and LISTENER_CAP must be at least 0, "
                                "candidates at least 1")

    def similarity_method(self) -> SimilarityMethod:
        """The configured similarity, unfitted."""
        if self.similarity == "cosine":
            return FeatureCosine()
        return HybridSimilarity(
            beta=self.rp3_beta, svd_weight=self.svd_weight, bm25_weight=self.bm25_weight,
            shrinkage=self.shrinkage, listener_prior=self.listener_prior,
            listener_cap=self.listener_cap or None,
            n_candidates=max(self.candidates, self.top_k),
            n_market_candidates=max(self.market_candidates, self.market_peers),
            n_components=self.num_features, random_state=self.random_state,
            normalize_listeners=self.normalize_listeners,
        )

    def describe_similarity(self) -> str:
        if self.similarity == "cosine":
            return "cosine of features, clipped to [0, 1]"
        candidates = self.similarity_method().n_candidates
        return (
            f"hybrid: (RP3beta(beta={self.rp3_beta}) + {self.bm25_weight} x BM25 overlap + "
            f"{self.svd_weight} x cosine of features, each scaled to a row max of 1) x "
            f"shared / (shared + {self.shrinkage:g}) x listeners / (listeners + "
            f"{self.listener_prior:g}) of the other artist unless it charts, over co-listened "
            f"pairs (each listener's "
            f"top {self.listener_cap or 'all'} artists), best {candidates} re-ranked"
        )


def _weighting(params: TrainingParams) -> str:
    return ("log1p(streams), each listener at unit L2 norm" if params.normalize_listeners
            else "log1p(streams)")


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
        stats = warehouse.listen_stats(count_pairs=False)
        report("read", 0.2, "reading listens")
        listens = build_listen_matrix(warehouse.iter_listens(params.batch_rows))
        # the matrix holds each (listener, artist) pair once: its entries are the pairs
        counts.update(replace(stats, pairs=int(listens.streams.nnz)).as_dict())
        tables = _SideTables.read(warehouse)
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
    excluded = pd.DataFrame({"artistnum": listens.artist_ids[~kept_mask],
                             "listeners": listens.listeners[~kept_mask]})
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
        weighted = LogWeighting(params.normalize_listeners, np.float32).fit_transform(
            listens.streams)
    report("weight", 1.0)

    with timer.step("factorize"):
        report("factorize", 0.0, f"factorizing {weighted.shape[0]:,} x {weighted.shape[1]:,}")
        svd = SVDFeatures(params.num_features, n_iter=params.power_iterations,
                          random_state=params.random_state, keep_components=False)
        raw_features = svd.fit_transform(weighted, listener_ids=listens.user_ids)
        del weighted
    report("factorize", 1.0)

    learned = _Learned(
        artist_ids=listens.artist_ids, listeners=listens.listeners.astype(np.int64),
        streams=np.asarray(listens.streams.sum(axis=1)).ravel(), raw_features=raw_features,
        explained_variance_ratio=svd.explained_variance_ratio_, n_components=svd.n_components_,
        excluded=excluded,
    )
    features, has_markets, markets, dropped = _features_clusters_markets(
        learned, tables, params, report, timer)
    with timer.step("neighbours"):
        report("neighbours", 0.0, f"similarity: {params.similarity}")
        method = params.similarity_method()
        if isinstance(method, HybridSimilarity):
            method.fit(listens.streams, features=features, market=has_markets)
        else:
            method.fit(None, features=features)
        report("neighbours", 0.5, "ranking similar artists")
        _rank(learned, method, has_markets, params,
              lambda idx: shared_listeners(listens.streams, idx))
    report("neighbours", 1.0)
    fingerprint = _fingerprint((listens.artist_ids, listens.user_ids, listens.streams.indptr,
                                listens.streams.indices, listens.streams.data), markets, tables)
    steps = {
        "weighting": _weighting(params),
        "factorization": f"randomized SVD({svd.n_components_})",
    }
    return _assemble(warehouse, params, learned, tables, markets, dropped, counts, timer,
                     "memory", steps, fingerprint, report)


@dataclass
class _SideTables:
    """The small tables read whole: names, genres and streams per country and store."""

    names: pd.DataFrame
    genres: pd.DataFrame
    country: pd.DataFrame

    @classmethod
    def read(cls, warehouse: Warehouse) -> _SideTables:
        return cls(warehouse.artist_names(), warehouse.artist_genres(), warehouse.country_streams())


@dataclass
class _Learned:
    """What either execution learned, one entry per kept artist (ascending id)."""

    artist_ids: np.ndarray
    listeners: np.ndarray
    streams: np.ndarray
    raw_features: np.ndarray
    explained_variance_ratio: np.ndarray
    n_components: int
    excluded: pd.DataFrame  # artistnum, listeners
    features: np.ndarray | None = None  # L2-normalized
    labels: np.ndarray | None = None
    neighbours: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # idx, sim, shared
    peers: tuple[np.ndarray, np.ndarray] | None = None  # idx, sim
    lonely: int = 0


def _features_clusters_markets(
    learned: _Learned, tables: _SideTables, params: TrainingParams, report: StepProgress,
    timer: _Timer,
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame, int]:
    """L2-normalized features, cluster labels (into ``learned``), the markets table and
    which artists have market data: the steps both executions share."""
    with timer.step("normalize"):
        features = Normalizer().fit_transform(learned.raw_features).astype(np.float32)
        learned.features = features
    report("normalize", 1.0)
    with timer.step("cluster"):
        clustering = CLUSTERINGS[params.clustering](params.num_clusters, params.random_state)
        learned.labels = clustering.fit(features).labels_
    report("cluster", 1.0)
    markets, dropped = _markets(tables.country, learned.artist_ids)
    has_markets = np.zeros(len(learned.artist_ids), bool)
    has_markets[markets["row"].unique()] = True
    return features, has_markets, markets, dropped


def _rank(learned: _Learned, method: SimilarityMethod, has_markets: np.ndarray,
          params: TrainingParams, count_shared: Any) -> None:
    """Every artist's neighbours with their shared listeners, and its market peers."""
    if isinstance(method, HybridSimilarity):
        learned.neighbours = method.neighbours(params.top_k)
    else:
        idx, sim = method.similar(params.top_k)
        learned.neighbours = (idx, sim, count_shared(idx))
    peer_idx, peer_sim, learned.lonely = _market_peers(method, learned.features, has_markets,
                                                       params.market_peers)
    learned.peers = (peer_idx, peer_sim)


def _assemble(
    warehouse: Warehouse, params: TrainingParams, learned: _Learned, tables: _SideTables,
    markets: pd.DataFrame, dropped_market_rows: int, counts: dict[str, Any], timer: _Timer,
    mode: str, steps: dict[str, str], fingerprint: str, report: StepProgress,
    extra: dict[str, Any] | None = None,
) -> Model:
    """The model both executions end in: artists with names, genres and clusters, counts,
    manifest."""
    with timer.step("markets"):
        artists = _named_artists(learned.artist_ids, learned.listeners, learned.streams,
                                 tables.names)
        artists = _attach_genres(artists, tables.genres)
        artists["cluster"] = learned.labels
        lookup = tables.names.drop_duplicates("artistnum").set_index("artistnum")["artistname"]
        excluded = learned.excluded.assign(
            artistname=learned.excluded["artistnum"].map(lookup).fillna(
                "#" + learned.excluded["artistnum"].astype(str)))[["artistname", "listeners"]]
    report("markets", 1.0)
    counts.update(
        artists_with_market_data=int(markets["row"].nunique()),
        market_rows=len(markets),
        market_rows_unknown_artist=dropped_market_rows,
        artists_with_genre=int(artists["genre"].notna().sum()),
        artists_market_peers_from_features=learned.lonely,
    )
    manifest = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "package_version": core.__version__,
        "warehouse": warehouse.description,
        "params": asdict(params),
        "data_fingerprint": fingerprint,
        "counts": counts,
        "timings_seconds": timer.seconds,
        "explained_variance": float(np.sum(learned.explained_variance_ratio)),
        "num_features": int(learned.n_components),
        "mode": mode,
        "steps": {
            **steps,
            "normalization": "L2",
            "clustering": params.clustering,
            "similarity": params.describe_similarity(),
        },
        **(extra or {}),
    }
    idx, sim, shared = learned.neighbours
    return Model(
        artists=artists,
        features=learned.features,
        neighbour_idx=idx,
        neighbour_sim=sim,
        neighbour_shared=shared,
        geo_peer_idx=learned.peers[0],
        geo_peer_sim=learned.peers[1],
        markets=markets,
        excluded=excluded.reset_index(drop=True),
        explained_variance_ratio=np.asarray(learned.explained_variance_ratio, np.float64),
        manifest=manifest,
    )


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
    out = artists.copy()
    columns = (("genreid", "genre"), ("countrylist", "countrylist"))
    for column, target in columns:
        out[target] = out["artistname"].map(exact[column])
    # names are normalized (slow: Unicode decomposition per name) only where the exact
    # spelling found nothing
    missing = out["genre"].isna() | out["countrylist"].isna()
    if missing.any():
        genres["key"] = genres["artistname"].map(normalize_name)
        loose = genres.drop_duplicates("key").set_index("key")
        keys = out.loc[missing, "artistname"].map(normalize_name)
        for column, target in columns:
            out.loc[missing, target] = out.loc[missing, target].fillna(keys.map(loose[column]))
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


def _fingerprint(arrays: tuple[np.ndarray, ...], markets: pd.DataFrame,
                 tables: _SideTables) -> str:
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update(pd.util.hash_pandas_object(markets, index=False).to_numpy().tobytes())
    digest.update(pd.util.hash_pandas_object(tables.genres, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def _train_pushdown(
    warehouse: Warehouse, params: TrainingParams, report: StepProgress, timer: _Timer,
    counts: dict[str, Any],
) -> Model:
    """``train`` with the passes over the listens run in the warehouse: the listens are
    cleaned and weighted once into temporary tables that the SVD and the similarity read,
    and only artist-side numbers come back (``core.training.pushdown``)."""
    with timer.step("read"):
        report("read", 0.0, "checking source tables")
        warehouse.check_contract()
        stats = warehouse.listen_stats(count_pairs=False)
        tables = _SideTables.read(warehouse)
    counts.update(warehouse.ingest_counts())
    report("read", 1.0)
    with warehouse.pushdown_runner() as runner:
        try:
            with timer.step("factorize"):
                listens = prepare_listens(runner, params.min_listeners,
                                          params.normalize_listeners)
                counts.update(replace(stats, pairs=listens.pairs).as_dict())
                svd = PushdownSVD(params.num_features, params.min_listeners,
                                  n_iter=params.power_iterations,
                                  random_state=params.random_state).fit_prepared(
                    runner, listens, lambda message, f: report("factorize", f, message))
            counts.update({k: svd.counts_[k] for k in (
                "users", "artists_total", "artists_excluded_min_listeners", "artists")})
            counts["bytes_fetched_factorize"] = svd.counts_["bytes_fetched"]
            report("factorize", 1.0)
            learned = _Learned(
                artist_ids=listens.artist_ids, listeners=listens.listeners,
                streams=listens.streams, raw_features=svd.features_,
                explained_variance_ratio=svd.explained_variance_ratio_,
                n_components=svd.n_components_, excluded=listens.excluded,
            )
            features, has_markets, markets, dropped = _features_clusters_markets(
                learned, tables, params, report, timer)
            with timer.step("neighbours"):
                method = params.similarity_method()
                if isinstance(method, HybridSimilarity):
                    rows, others, s1, shared, capped_listeners, found = pushdown_candidates(
                        runner, listens, method, np.flatnonzero(has_markets),
                        lambda message, f: report("neighbours", 0.8 * f, message),
                        keep_weighted=False)  # the hybrid counts shared listeners itself
                    counts.update({f"{k}_similarity" if k == "bytes_fetched" else k: v
                                   for k, v in found.items() if k != "seconds"})
                    method.fit_candidates(len(listens.artist_ids), rows, others, s1, shared,
                                          features, capped_listeners, has_markets)
                else:
                    method.fit(None, features=features)
                _rank(learned, method, has_markets, params,
                      lambda idx: shared_listeners_prepared(runner, listens.artist_ids, idx))
            report("neighbours", 1.0)
            counts["bytes_fetched"] = runner.bytes_fetched
            counts["statements"] = runner.statements
            counts.update(runner.scan_summary())
            scans = runner.scans
        finally:
            runner.drop(*pushdown_sql.ALL_TABLES)
    fingerprint = _fingerprint((listens.artist_ids, listens.listeners, listens.streams),
                               markets, tables)
    steps = {
        "weighting": f"{_weighting(params)}, in the warehouse",
        "factorization": f"randomized SVD({svd.n_components_}) pushed down as SQL "
                         f"({svd.counts_['passes']} passes)",
    }
    return _assemble(warehouse, params, learned, tables, markets, dropped, counts, timer,
                     "pushdown", steps, fingerprint, report, {"scans": scans})
