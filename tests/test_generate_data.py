"""The benchmark data generator: shaped like the demo tables, with communities a model can find.

If the generated shape drifted from the demo's, or the planted structure were too weak or too
strong to find, every benchmark figure made on it would mislead; these tests would catch it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.config import PROJECT_ROOT
from core.training import TrainingParams, train
from core.warehouse.duckdb import DuckDBWarehouse

sys.path.insert(0, str(PROJECT_ROOT / "benchmarks"))
import generate_data as gen


@pytest.fixture(scope="module")
def demo() -> tuple[gen.Shape, dict[str, float]]:
    raw = pd.read_parquet(gen.DEMO_PARQUET).rename(columns={"total_streams": "streams"})
    return gen.demo_shape(), gen.shape_stats(raw)


def test_generated_shape_follows_the_demo(demo: tuple[gen.Shape, dict[str, float]]) -> None:
    shape, want = demo
    spec = gen.Spec(rows=150_000, artists=8_000, communities=8, chunk_rows=40_000)
    frame = pd.concat(list(gen.listen_chunks(spec, shape)), ignore_index=True)
    assert len(frame) == spec.rows
    assert not frame.duplicated(["usernum", "artistnum"]).any()
    assert frame["artistnum"].between(0, spec.artists - 1).all()
    got = gen.shape_stats(frame)
    assert got["artists_per_listener_mean"] == pytest.approx(want["artists_per_listener_mean"], rel=0.03)
    assert got["top_1pct_artists_share"] == pytest.approx(want["top_1pct_artists_share"], abs=0.05)
    assert got["top_10pct_artists_share"] == pytest.approx(want["top_10pct_artists_share"], abs=0.05)
    for key in ("plays_p25", "plays_median", "plays_p90"):
        assert got[key] == pytest.approx(want[key], rel=0.08), key


def test_chunks_are_bounded_and_reproducible(demo: tuple[gen.Shape, dict[str, float]]) -> None:
    shape, _ = demo
    spec = gen.Spec(rows=60_000, artists=2_000, communities=5, chunk_rows=10_000)
    cat = gen.catalogue(spec, shape, calibrate=False)
    first = list(gen.listen_chunks(spec, shape, cat))
    assert len(first) >= 6 and max(len(c) for c in first) <= 11_000  # streamed, not whole
    again = pd.concat(list(gen.listen_chunks(spec, shape, cat)), ignore_index=True)
    pd.testing.assert_frame_equal(pd.concat(first, ignore_index=True), again)


def test_planted_communities_are_found_by_training(tmp_path: Path) -> None:
    spec = gen.Spec(rows=100_000, artists=2_000, communities=8, chunk_rows=50_000)
    info = gen.write(spec, tmp_path, formats=("duckdb", "parquet"), progress=False)
    assert info["rows"] == spec.rows
    assert sorted(p.name for p in tmp_path.glob("*.parquet")) == [
        "artist_ids_single_genre.parquet", "country_artist_streams_by_store.parquet",
        "user_artist_streams_filtered_with_ids.parquet"]
    warehouse = DuckDBWarehouse(tmp_path / "warehouse.duckdb")
    warehouse.check_contract()
    model = train(warehouse, TrainingParams(top_k=10))
    community = np.load(tmp_path / "communities.npy")
    own = community[model.artists["artistnum"].to_numpy()]
    same = community[model.artists["artistnum"].to_numpy()[model.neighbour_idx]] == own[:, None]
    # 1 in 8 would be chance; a model that finds the planted structure gets most of them
    assert same.mean() > 0.8
    assert model.manifest["counts"]["artists_with_market_data"] > 0
    assert model.artists["genre"].notna().mean() > 0.5
