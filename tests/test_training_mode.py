"""Choosing where to train (memory or pushdown) and which similarity fits the data's size."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.errors import InsightsError
from core.evaluation.metrics import neighbour_overlap
from core.model import Model
from core.tables import USER_ARTIST_STREAMS
from core.training import TrainingParams, train
from core.training.factorization import N_ITER
from core.training.matrix import build_listen_matrix
from core.training.mode import MEMORY_BYTES_PER_ROW, choose_mode, plan_mode, training_mode
from core.training.neighbours import shared_listeners
from core.warehouse import pushdown_sql
from core.warehouse.duckdb import DuckDBWarehouse
from tests.conftest import community_listens, listens_frame
from tests.test_cli import run

GIB = 2**30


def test_mode_choice_by_rows_and_memory(tmp_path: Path) -> None:
    assert choose_mode(10_000_000, available=16 * GIB) == "memory"
    assert choose_mode(int(8 * GIB / MEMORY_BYTES_PER_ROW), available=16 * GIB) == "pushdown"
    warehouse = DuckDBWarehouse(tmp_path / "small.duckdb")
    warehouse.write_table(USER_ARTIST_STREAMS.name, community_listens())
    assert training_mode(warehouse, "auto", available=16 * GIB) == "memory"
    assert training_mode(warehouse, "auto", available=1) == "pushdown"
    assert training_mode(warehouse, "pushdown") == "pushdown"
    with pytest.raises(InsightsError, match="auto, memory, pushdown"):
        training_mode(warehouse, "gpu")
    assert training_mode(DuckDBWarehouse(tmp_path / "empty.duckdb"), "auto") == "memory"


def test_plan_explains_the_automatic_choice(demo_warehouse_path: Path) -> None:
    plan = plan_mode(DuckDBWarehouse(demo_warehouse_path), available=16 * GIB)
    assert plan.rows == 92_834 and plan.auto == "memory"
    assert "92,834 listen rows" in plan.explain() and "in memory" in plan.explain()
    tight = plan_mode(DuckDBWarehouse(demo_warehouse_path), available=GIB)
    assert tight.auto == "pushdown" and "pushdown" in tight.explain()


@pytest.fixture(scope="module")
def pushed_down(demo_warehouse_path: Path) -> Model:
    return train(DuckDBWarehouse(demo_warehouse_path), TrainingParams(mode="pushdown"))


def test_the_random_state_reaches_the_warehouse(demo_warehouse_path: Path,
                                               pushed_down: Model) -> None:
    """``random_state`` draws the pushed-down test matrix as it draws the in-memory one: another
    seed is another basis with the same spectrum."""
    other = train(DuckDBWarehouse(demo_warehouse_path),
                  TrainingParams(mode="pushdown", random_state=1))
    assert not np.array_equal(other.features, pushed_down.features)
    np.testing.assert_allclose(np.cumsum(other.explained_variance_ratio),
                               np.cumsum(pushed_down.explained_variance_ratio), rtol=1e-2)
    assert neighbour_overlap(other.neighbour_idx, pushed_down.neighbour_idx) >= 0.9


def test_pushdown_mode_trains_the_same_similarity(demo_warehouse_path: Path, pushed_down: Model,
                                                  demo_model) -> None:
    model = pushed_down
    manifest = model.manifest
    assert manifest["mode"] == "pushdown" and manifest["params"]["similarity"] == "hybrid"
    assert manifest["steps"]["similarity"] == demo_model.manifest["steps"]["similarity"]
    # parity with the in-memory model: the same test matrix, so the same features up to float
    # rounding (DOUBLE sums against float32 products) and the same lists and scores
    assert neighbour_overlap(model.neighbour_idx, demo_model.neighbour_idx) >= 0.999
    same = model.neighbour_idx == demo_model.neighbour_idx
    assert same.mean() >= 0.99
    np.testing.assert_allclose(model.neighbour_sim[same], demo_model.neighbour_sim[same],
                               atol=1e-5)
    assert "pushed down as SQL" in manifest["steps"]["factorization"]
    assert len(model.artists) == len(demo_model.artists)
    assert list(model.artists["artistname"]) == list(demo_model.artists["artistname"])
    # shared listeners, counted in the warehouse, are the in-memory counts
    listens = build_listen_matrix(DuckDBWarehouse(demo_warehouse_path).iter_listens())
    listens = listens.keep_artists(listens.listeners >= 2)
    assert list(listens.artist_ids) == list(model.artists["artistnum"])
    np.testing.assert_array_equal(model.neighbour_shared,
                                  shared_listeners(listens.streams, model.neighbour_idx))
    assert model.markets["streams"].sum() == pytest.approx(demo_model.markets["streams"].sum())
    assert manifest["counts"]["bytes_fetched"] > 0
    # lean passes: the source is read once; the SVD and the similarity read the one cleaned,
    # weighted table (2 x N_ITER + 3 SVD passes), the self-join its capped copy
    scans = manifest["scans"]
    assert [s["table"] for s in scans].count("source (at least its pairs)") == 1
    assert sum(s["pass"].startswith("SVD") for s in scans) == 2 * N_ITER + 3
    assert {s["table"] for s in scans if s["pass"] == "co-listening self-join"} == {"ALI_PD_C"}
    assert manifest["counts"]["bytes_scanned"] == sum(s["bytes"] for s in scans) > 0


def test_cli_mode_flag_trains_in_the_warehouse(make_warehouse, tmp_path: Path) -> None:
    warehouse = make_warehouse(community_listens())
    env = {"DUCKDB_PATH": str(warehouse.path), "MODEL_DIR": str(tmp_path / "models"),
           "NUM_FEATURES": "4", "NUM_CLUSTERS": "3"}
    out = run("artist_listener_train", "--quiet", "--mode", "pushdown", env=env)
    assert out.returncode == 0, out.stderr
    assert "trained in the warehouse (pushdown); similarity: hybrid" in out.stdout
    memory = run("artist_listener_train", "--quiet", "--mode", "memory", env=env)
    assert "trained in memory; similarity: hybrid" in memory.stdout
    bad = run("artist_listener_train", "--mode", "gpu", env=env)
    assert bad.returncode != 0 and "invalid choice" in bad.stderr


def test_pushdown_sizes_duckdb_to_the_memory_this_process_may_use(monkeypatch) -> None:
    """DuckDB's default (80% of the machine's RAM) failed a pushed-down training under an
    address-space cap; the runner takes half of the available memory, a quarter of a cap."""
    import duckdb

    from core import memory

    monkeypatch.setattr(memory, "available_memory", lambda: 16 * GIB)
    monkeypatch.setattr(memory, "address_space_cap", lambda: None)
    assert memory.usable_memory() == 16 * GIB
    monkeypatch.setattr(memory, "address_space_cap", lambda: 6 * GIB)
    assert memory.usable_memory() == 6 * GIB
    monkeypatch.setattr(pushdown_sql, "available_memory", memory.available_memory)
    monkeypatch.setattr(pushdown_sql, "address_space_cap", memory.address_space_cap)
    with duckdb.connect() as con:
        # capped: a quarter of the cap (it counts virtual memory), not half of what is free
        assert abs(pushdown_sql.DuckDBRunner(con).memory_bytes - 1.5 * GIB) < 0.01 * GIB
        monkeypatch.setattr(pushdown_sql, "address_space_cap", lambda: None)
        assert abs(pushdown_sql.DuckDBRunner(con).memory_bytes - 8 * GIB) < 0.01 * GIB
        # an explicit limit wins; anything but a plain size is refused before it reaches SQL
        assert pushdown_sql.DuckDBRunner(con, "512MB").memory_bytes < GIB
        with pytest.raises(InsightsError, match="memory limit must be a size"):
            pushdown_sql.DuckDBRunner(con, "1GB'; DROP TABLE x; --")


def test_address_space_cap_is_read_from_the_process_limit() -> None:
    """The cap a job scheduler or ``ulimit -v`` sets is what ``usable_memory`` sees."""
    import subprocess
    import sys

    code = ("import resource; resource.setrlimit(resource.RLIMIT_AS, (8 * 2**30, 8 * 2**30));"
            "from core.memory import address_space_cap, usable_memory;"
            "print(address_space_cap(), usable_memory() <= 8 * 2**30)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parent.parent).stdout.split()
    assert out == [str(8 * 2**30), "True"]


def test_duckdb_memory_limit_setting_reaches_the_pushed_down_training(
        demo_warehouse_path: Path) -> None:
    """``DUCKDB_MEMORY_LIMIT`` travels with the warehouse to every pushdown connection."""
    from core.config import Settings
    from core.warehouse import open_warehouse
    from core.warehouse.pushdown_sql import open_runner

    settings = Settings.from_env({"DUCKDB_PATH": str(demo_warehouse_path),
                                  "DUCKDB_MEMORY_LIMIT": "300MiB"})
    warehouse = open_warehouse(settings)
    with open_runner(warehouse) as runner:
        assert runner.memory_bytes == 300 * 2**20
    with open_runner(warehouse, "200MiB") as runner:  # an explicit argument wins
        assert runner.memory_bytes == 200 * 2**20


def test_power_iterations_reach_both_executions(make_warehouse) -> None:
    """``power_iterations`` sets the SVD's passes in memory and in the warehouse alike: at 0 the
    two executions still agree with each other, and differ from the default's features (more
    artists than the sketch's 4 + OVERSAMPLES directions, so that the sketch is not exact)."""
    rng = np.random.default_rng(3)
    rows = [(f"Artist {a}", a, f"user{u}", u, int(rng.integers(1, 50)))
            for u in range(300) for a in rng.choice(300, size=20, replace=False)]
    warehouse = make_warehouse(listens_frame(rows))
    quick = {mode: train(warehouse, TrainingParams(mode=mode, num_features=4, num_clusters=2,
                                                   power_iterations=0))
             for mode in ("memory", "pushdown")}
    default = train(warehouse, TrainingParams(mode="memory", num_features=4, num_clusters=2))
    assert quick["pushdown"].manifest["params"]["power_iterations"] == 0
    assert default.manifest["params"]["power_iterations"] == N_ITER > 0
    np.testing.assert_allclose(quick["pushdown"].features, quick["memory"].features, atol=1e-4)
    assert np.abs(quick["memory"].features - default.features).max() > 1e-3
    with pytest.raises(InsightsError, match="power_iterations"):
        train(warehouse, TrainingParams(power_iterations=-1))
