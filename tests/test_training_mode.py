"""Choosing where to train (memory or pushdown) and which similarity fits the data's size."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.errors import InsightsError
from core.tables import USER_ARTIST_STREAMS
from core.training import TrainingParams, train
from core.training.matrix import build_listen_matrix
from core.training.mode import MEMORY_BYTES_PER_ROW, choose_mode, plan_mode, training_mode
from core.training.neighbours import shared_listeners
from core.warehouse.duckdb import DuckDBWarehouse
from tests.conftest import community_listens
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


def test_pushdown_mode_trains_a_whole_model_with_cosine(demo_warehouse_path: Path,
                                                        demo_model) -> None:
    model = train(DuckDBWarehouse(demo_warehouse_path), TrainingParams(mode="pushdown"))
    manifest = model.manifest
    assert manifest["mode"] == "pushdown" and manifest["params"]["similarity"] == "cosine"
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


def test_cli_mode_flag_trains_in_the_warehouse(make_warehouse, tmp_path: Path) -> None:
    warehouse = make_warehouse(community_listens())
    env = {"DUCKDB_PATH": str(warehouse.path), "MODEL_DIR": str(tmp_path / "models"),
           "NUM_FEATURES": "4", "NUM_CLUSTERS": "3"}
    out = run("artist_listener_train", "--quiet", "--mode", "pushdown", env=env)
    assert out.returncode == 0, out.stderr
    assert "trained in the warehouse (pushdown); similarity: cosine" in out.stdout
    memory = run("artist_listener_train", "--quiet", "--mode", "memory", env=env)
    assert "trained in memory; similarity: hybrid" in memory.stdout
    bad = run("artist_listener_train", "--mode", "gpu", env=env)
    assert bad.returncode != 0 and "invalid choice" in bad.stderr
