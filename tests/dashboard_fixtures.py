"""A tiny warehouse and model for dashboard tests, built in seconds from hand-made frames.

Three audiences ("scenes") that do not overlap, so similarity and clusters are predictable:
pop artists are similar to pop artists, metal to metal. Some details exist to be tested:

* "Beyoncé" (accent) and "Sigur Rós" for accent-insensitive search;
* "Quiet Pop" has listeners but no chart streams: the Markets page must explain and model it;
* "Lonely Busker" has one listener and is left out at ``min_listeners=2``;
* chart countries include "Singapore" (no shape on the 110m world map) and "Atlantis"
  (not a country), which must be listed under the map, not dropped.

Import the plain functions (not fixtures) so ``tests/conftest.py`` (shared) stays untouched.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from core.config import Settings
from core.tables import ARTIST_GENRES, COUNTRY_STREAMS, USER_ARTIST_STREAMS
from core.training import TrainingParams, train_and_save
from core.warehouse.duckdb import DuckDBWarehouse
from testkit.browser import APP as APP  # tests start the app from here

SCENES: dict[str, list[str]] = {
    "pop": ["Lady Gaga", "Britney Spears", "Beyoncé", "Rihanna", "Katy Perry", "Madonna",
            "Quiet Pop"],
    "metal": ["Metallica", "Iron Maiden", "Slayer", "Megadeth", "Anthrax", "Sepultura"],
    "post-rock": ["Sigur Rós", "Mogwai", "Explosions in the Sky", "Godspeed You! Black Emperor",
                  "Mono"],
}
LONELY = "Lonely Busker"
NO_CHARTS = "Quiet Pop"
COUNTRIES = ("United States", "Germany", "Brazil", "Japan", "Singapore", "Atlantis")
STORES = ("spotify", "apple")
TRAIN_PARAMS = TrainingParams(num_features=6, num_clusters=3, min_listeners=2, top_k=15,
                              market_peers=3)


def source_frames(seed: int = 7) -> dict[str, pd.DataFrame]:
    """The three source tables as DataFrames, deterministic for a given seed."""
    rng = np.random.default_rng(seed)
    names = [n for scene in SCENES.values() for n in scene] + [LONELY]
    artistnum = {name: i for i, name in enumerate(names)}
    listens = []
    user = 0
    for scene in SCENES.values():
        for _ in range(24):
            picks = rng.choice(len(scene), size=min(4, len(scene)), replace=False)
            for p in picks:
                listens.append((scene[p], user, int(rng.integers(5, 400))))
            user += 1
    # Popularity order inside a scene: the first names get extra listeners.
    for scene in SCENES.values():
        for rank, name in enumerate(scene[:3]):
            for _ in range(6 - 2 * rank):
                listens.append((name, user, int(rng.integers(50, 900))))
                user += 1
    listens.append((LONELY, 0, 3))
    streams = pd.DataFrame({
        "artistname": [a for a, _, _ in listens],
        "artistnum": [artistnum[a] for a, _, _ in listens],
        "userid": [f"u{u:03d}" for _, u, _ in listens],
        "usernum": [u for _, u, _ in listens],
        "total_streams": [s for _, _, s in listens],
    })
    streams = streams.groupby(["artistname", "artistnum", "userid", "usernum"], as_index=False).sum()

    genres = pd.DataFrame({
        "artistname": names,
        "countrylist": ["United States,Germany"] * len(names),
        "genreid": [scene for scene, members in SCENES.items() for _ in members] + ["folk"],
    })

    charts = []
    for scene in SCENES.values():
        for name in scene:
            if name == NO_CHARTS:
                continue
            for c, country in enumerate(COUNTRIES):
                for s, store in enumerate(STORES):
                    if rng.random() < 0.25:
                        continue
                    charts.append((artistnum[name], name, country, store,
                                   int(1000 * (len(COUNTRIES) - c) * (s + 1) * rng.integers(1, 9))))
    country = pd.DataFrame(charts, columns=list(COUNTRY_STREAMS.columns))
    return {
        USER_ARTIST_STREAMS.name: streams[list(USER_ARTIST_STREAMS.columns)],
        ARTIST_GENRES.name: genres[list(ARTIST_GENRES.columns)],
        COUNTRY_STREAMS.name: country,
    }


def build_warehouse(path: Path) -> Path:
    """Write the three tables into a new DuckDB file at ``path``."""
    warehouse = DuckDBWarehouse(path)
    for table, frame in source_frames().items():
        warehouse.write_table(table, frame)
    return path


def tiny_env(root: Path, *, trained: bool = True) -> dict[str, str]:
    """A warehouse (and, if ``trained``, a model) under ``root``; returns the env vars to use."""
    root.mkdir(parents=True, exist_ok=True)
    db = root / "warehouse.duckdb"
    if not db.exists():
        build_warehouse(db)
    model_dir = root / "models"
    settings = Settings(duckdb_path=db, model_dir=model_dir)
    if trained and not (model_dir / "CURRENT").exists():
        train_and_save(settings, TRAIN_PARAMS)
    return {"DUCKDB_PATH": str(db), "MODEL_DIR": str(model_dir), "WAREHOUSE": "duckdb",
            "NUM_FEATURES": str(TRAIN_PARAMS.num_features),
            "NUM_CLUSTERS": str(TRAIN_PARAMS.num_clusters),
            "TOP_K": str(TRAIN_PARAMS.top_k)}


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Temporarily set environment variables (for code that reads ``Settings.from_env``)."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old
