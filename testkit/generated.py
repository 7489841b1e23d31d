"""A "generated" model: random but well-formed, of any size, built directly as a ``Model``.

Training a 100,000-artist model would need a 100,000-artist warehouse; the uploads only need
the model's arrays and tables, so the benchmark and the tests build them here instead. The
shapes follow what training produces: neighbours sorted by similarity, market peers drawn
from the artists that have market data, markets sorted by row, several stores per country.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.model import Model

COUNTRIES = (
    "Argentina", "Australia", "Austria", "Belgium", "Brazil", "Canada", "Chile", "Colombia",
    "Côte d'Ivoire", "Czechia", "Denmark", "Finland", "France", "Germany", "Greece", "Iceland",
    "India", "Indonesia", "Ireland", "Italy", "Japan", "Malaysia", "Mexico", "Netherlands",
    "New Zealand", "Norway", "Peru", "Philippines", "Poland", "Portugal", "Singapore", "Spain",
    "Sweden", "Switzerland", "Taiwan", "Turkey", "United Kingdom", "United States",
)
STORES = ("spotify", "itunes", "deezer")
GENRES = ("pop", "rock", "hip-hop", "electronic", "indie", "jazz", "metal", "folk", "soul",
          "classical", "country", "reggae", "punk", "ambient", "k-pop", "latin")


def generated_model(
    n_artists: int,
    *,
    seed: int = 0,
    top_k: int = 20,
    market_peers: int = 10,
    market_share: float = 0.2,
    countries_per_artist: int = 6,
    n_clusters: int = 12,
    names: list[str] | None = None,
    version: str | None = None,
) -> Model:
    """A model with ``n_artists`` artists; ``names`` (optional) replaces the generated names."""
    rng = np.random.default_rng(seed)
    size = int(n_artists)
    if size < 2:
        raise ValueError("a generated model needs at least 2 artists")
    if names is not None and len(names) != size:
        raise ValueError("names must have one entry per artist")
    ids = np.arange(size, dtype=np.int64) * 3 + 7  # ids that are not row numbers, on purpose

    listeners = rng.integers(2, 5000, size)
    genre_codes = rng.integers(-1, len(GENRES), size)  # -1: no genre
    genres = np.array([None, *GENRES], dtype=object)[genre_codes + 1]
    country_lists = [
        ",".join(rng.choice(COUNTRIES, size=rng.integers(1, 4), replace=False))
        if rng.random() < 0.3 else None
        for _ in range(size)
    ]
    artists = pd.DataFrame({
        "artistnum": ids,
        "artistname": names if names is not None else [f"Generated Artist {i}" for i in range(size)],
        "listeners": listeners.astype(np.int64),
        "streams": (listeners * rng.integers(1, 50, size)).astype(np.float64),
        "genre": genres,
        "countrylist": country_lists,
        "cluster": (np.arange(size) % n_clusters).astype(np.int32),
    })

    neighbours = min(top_k, size - 1)
    # that many distinct other artists per row (offsets 1..size-1 from the row, no self)
    offsets = np.stack([rng.choice(np.arange(1, size), size=neighbours, replace=False)
                        for _ in range(min(size, 64))])
    neighbour_idx = (np.arange(size)[:, None] + offsets[np.arange(size) % len(offsets)]) % size
    neighbour_sim = np.sort(rng.uniform(0.05, 0.99, (size, neighbours)), axis=1)[:, ::-1].astype(np.float32)
    neighbour_shared = rng.integers(1, 200, (size, neighbours)).astype(np.int32)

    with_markets = np.flatnonzero(rng.random(size) < market_share)
    if len(with_markets) < 2:
        with_markets = np.arange(min(size, 2))
    peers = min(market_peers, len(with_markets))
    geo_peer_idx = with_markets[rng.integers(0, len(with_markets), (size, peers))]
    geo_peer_idx = np.sort(geo_peer_idx, axis=1)
    duplicate = np.zeros_like(geo_peer_idx, dtype=bool)
    duplicate[:, 1:] = geo_peer_idx[:, 1:] == geo_peer_idx[:, :-1]
    geo_peer_idx[duplicate] = -1  # training pads with -1 when fewer peers exist
    geo_peer_sim = np.where(geo_peer_idx >= 0, rng.uniform(0.05, 0.99, (size, peers)), 0.0).astype(np.float32)

    per_artist = min(countries_per_artist, len(COUNTRIES))
    rows = np.repeat(with_markets, per_artist)
    countries = np.concatenate([rng.choice(len(COUNTRIES), per_artist, replace=False) for _ in with_markets])
    stores = rng.integers(0, len(STORES), len(rows))
    markets = pd.DataFrame({
        "row": rows.astype(np.int64),
        "countryname": np.array(COUNTRIES, dtype=object)[countries],
        "storename": np.array(STORES, dtype=object)[stores],
        "streams": rng.integers(1_000, 5_000_000, len(rows)).astype(np.float64),
    })
    markets = (markets.groupby(["row", "countryname", "storename"], as_index=False)["streams"].sum()
               .sort_values(["row", "countryname", "storename"], ignore_index=True))

    return Model(
        artists=artists,
        features=np.zeros((size, 2), dtype=np.float32),
        neighbour_idx=neighbour_idx.astype(np.int32),
        neighbour_sim=neighbour_sim,
        neighbour_shared=neighbour_shared,
        geo_peer_idx=geo_peer_idx.astype(np.int32),
        geo_peer_sim=geo_peer_sim,
        markets=markets,
        excluded=pd.DataFrame({"artistname": pd.Series(dtype=object),
                               "listeners": pd.Series(dtype=np.int64)}),
        explained_variance_ratio=np.zeros(2),
        manifest={"version": version or f"generated-{size}-seed{seed}"},
    )
