"""The benchmark data generator: shaped like the demo tables, with communities a model can find.

If the generated shape drifted from the demo's, or the planted structure were too weak or too
strong to find, every benchmark figure made on it would mislead; these tests would catch it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

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


def _digest(frames: list[pd.DataFrame]) -> str:
    h = hashlib.sha256()
    for frame in frames:
        for column in ("usernum", "artistnum", "streams", "community"):
            h.update(frame[column].to_numpy().tobytes())
    return h.hexdigest()


def test_default_output_is_unchanged_by_the_tail_option(
        demo: tuple[gen.Shape, dict[str, float]]) -> None:
    shape, _ = demo
    spec = gen.Spec(rows=100_000, artists=2_000, communities=8, chunk_rows=50_000)
    assert spec.tail is None
    frames = list(gen.listen_chunks(spec, shape))
    degrees = pd.concat(frames).groupby("usernum").size()
    assert degrees.max() <= shape.degree_values.max()
    # made by the generator before the tail option existed (commit 2ea4880): every figure
    # measured on generated data stays reproducible
    assert _digest(frames) == ("402f011e21cef1aa446eb964534bf64a6b08b4764fbd763e30273236d59a8055"
                               ), "the default generated data changed"


def _tail_frame(spec: gen.Spec, shape: gen.Shape, calibrate: bool = False,
                ) -> tuple[pd.DataFrame, gen.Catalogue]:
    cat = gen.catalogue(spec, shape, calibrate=calibrate)
    return pd.concat(list(gen.listen_chunks(spec, shape, cat)), ignore_index=True), cat


def test_lognormal_tail_has_listeners_with_thousands_of_artists(
        demo: tuple[gen.Shape, dict[str, float]]) -> None:
    shape, want = demo
    tail = gen.LogNormalTail(p99=2000, sigma=1.5)
    spec = gen.Spec(rows=400_000, artists=20_000, communities=8, chunk_rows=100_000, tail=tail)
    frame, cat = _tail_frame(spec, shape)
    assert len(frame) == spec.rows
    assert not frame.duplicated(["usernum", "artistnum"]).any()
    got = gen.shape_stats(frame)
    assert want["artists_per_listener_p99"] == 50  # the demo: every listener's top 50
    assert 1_000 <= got["artists_per_listener_p99"] <= 3_000
    assert got["artists_per_listener_p50"] == pytest.approx(tail.median, rel=0.15)
    assert got["artists_per_listener_max"] > 5_000
    # --rows is met with fewer, heavier listeners: about rows / mean of the log-normal
    assert got["artists_per_listener_mean"] == pytest.approx(tail.mean, rel=0.15)
    assert frame["usernum"].nunique() == pytest.approx(spec.rows / tail.mean, rel=0.15)
    # heavy listeners' artists still follow the planted communities and the popularity
    heavy = frame[frame.groupby("usernum")["artistnum"].transform("size") >= 1_000]
    assert heavy["usernum"].nunique() >= 20
    assert (cat.community[heavy["artistnum"]] == heavy["community"]).mean() > 0.3  # chance 1/8
    top_tenth = np.argsort(-cat.popularity)[: spec.artists // 10]
    assert np.isin(heavy["artistnum"], top_tenth).mean() > 0.25  # uniform: 0.10


def test_lognormal_tail_is_capped_at_the_catalogue_and_fills_it(
        demo: tuple[gen.Shape, dict[str, float]]) -> None:
    shape, _ = demo
    tail = gen.LogNormalTail(p99=2000, sigma=1.5)
    spec = gen.Spec(rows=100_000, artists=1_000, communities=4, chunk_rows=50_000, tail=tail)
    frame, _ = _tail_frame(spec, shape, calibrate=True)
    degrees = frame.groupby("usernum").size().iloc[:-1]  # the last listener may be cut off
    assert not frame.duplicated(["usernum", "artistnum"]).any()
    assert degrees.max() == spec.artists
    # a weighted draw alone would leave them short: each gets the whole catalogue it drew
    share = (degrees == spec.artists).mean()
    want = 1 - stats.lognorm.cdf(spec.artists - 0.5, s=tail.sigma, scale=tail.median)
    assert share == pytest.approx(want, rel=0.5)


def test_artists_filled_in_follow_the_home_and_popularity_mixture(
        demo: tuple[gen.Shape, dict[str, float]]) -> None:
    shape, _ = demo
    spec = gen.Spec(rows=10_000, artists=2_000, communities=4, tail=gen.LogNormalTail())
    cat = gen.catalogue(spec, shape, calibrate=False)
    users, home = 4_000, 1
    have = np.flatnonzero(cat.community == home)[:100]  # every listener already has these
    extra_user, extra_artist = gen._fill_short(
        spec, cat, np.full(users, home), np.repeat(np.arange(users), len(have)),
        np.tile(have, users), np.ones(users, np.int64), np.random.default_rng(7))
    np.testing.assert_array_equal(np.sort(extra_user), np.arange(users))
    assert not np.isin(extra_artist, have).any()
    # one artist each: drawn with the mixture the redraws use (affinity home, rest anywhere)
    at_home = cat.community == home
    want = (spec.affinity * cat.weight * at_home / cat.weight[at_home].sum()
            + (1 - spec.affinity) * cat.weight / cat.weight.sum())
    want[have] = 0
    want /= want.sum()
    assert at_home[extra_artist].mean() == pytest.approx(want[at_home].sum(), abs=0.03)
    head = np.argsort(-want)[:100]
    assert np.isin(extra_artist, head).mean() == pytest.approx(want[head].sum(), abs=0.03)


def test_lognormal_tail_is_reproducible(demo: tuple[gen.Shape, dict[str, float]]) -> None:
    shape, _ = demo
    spec = gen.Spec(rows=60_000, artists=5_000, communities=5, chunk_rows=20_000,
                    tail=gen.LogNormalTail())
    first, _ = _tail_frame(spec, shape)
    again, _ = _tail_frame(spec, shape)
    pd.testing.assert_frame_equal(first, again)
    other, _ = _tail_frame(dataclasses.replace(spec, seed=1), shape)
    assert not first.equals(other)


def test_cli_writes_a_heavy_tail_and_stats_show_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    write, specs = gen.write, []

    def small_chunks(spec: gen.Spec, out: Path, formats: tuple[str, ...]) -> dict[str, object]:
        specs.append(spec)  # 2M-row chunks would make this test draw 20 times the rows it keeps
        return write(dataclasses.replace(spec, chunk_rows=50_000), out, formats, progress=False)

    monkeypatch.setattr(gen, "write", small_chunks)
    out = tmp_path / "gen-heavy"
    assert gen.main(["--rows", "100k", "--artists", "10000", "--out", str(out), "--communities", "8",
                     "--listener-tail", "lognormal", "--tail-p99", "1500", "--tail-sigma", "1.2"]) == 0
    assert specs[0].tail == gen.LogNormalTail(p99=1500, sigma=1.2)
    assert "'rows': 100000" in capsys.readouterr().out
    gen.main(["--stats", str(out / "warehouse.duckdb")])
    table = capsys.readouterr().out
    row = {line.split()[0]: [float(v) for v in line.split()[1:]] for line in table.splitlines()[1:]}
    demo_p99, generated_p99 = row["artists_per_listener_p99"]
    assert demo_p99 == 50 and 800 <= generated_p99 <= 3_000
    assert row["artists_per_listener_max"][1] >= generated_p99


@pytest.mark.parametrize("argv, message", [
    (["--tail-p99", "500"], "need --listener-tail lognormal"),
    (["--listener-tail", "lognormal", "--tail-p99", "50000"], "exceeds the catalogue"),
    (["--listener-tail", "lognormal", "--tail-sigma", "0"], "sigma must be a positive"),
])
def test_cli_rejects_bad_tail_options(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      argv: list[str], message: str) -> None:
    with pytest.raises(SystemExit):
        gen.main(["--rows", "10k", "--artists", "5000", "--out", str(tmp_path / "x"), *argv])
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


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
