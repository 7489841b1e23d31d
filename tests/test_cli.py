"""The installed console scripts, run as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import VENV_BIN, community_listens


def run(command: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(VENV_BIN / command), *args], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=120, check=False)


@pytest.fixture
def demo_env(demo_model_dir: Path, demo_warehouse_path: Path) -> dict[str, str]:
    return {"MODEL_DIR": str(demo_model_dir), "DUCKDB_PATH": str(demo_warehouse_path),
            "WAREHOUSE": "duckdb"}


def test_similarity_prints_the_seed_json(demo_env):
    out = run("artist_listener_insights", "similarity", "Britney Spears, coldplay", "--top-n", "3",
              env=demo_env)
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    assert list(answer) == ["Britney Spears", "coldplay"]
    for entries in answer.values():
        assert len(entries) == 3
        for entry in entries:
            assert set(entry) == {"name", "similarity"}
            assert 0 <= entry["similarity"] <= 1


def test_explain_adds_shared_listeners(demo_env):
    out = run("artist_listener_insights", "similarity", "Coldplay", "--top-n", "2", "--explain",
              env=demo_env)
    entry = json.loads(out.stdout)["Coldplay"][0]
    assert entry["shared_listeners"] > 0


def test_geographic_prints_the_seed_json(demo_env):
    out = run("artist_listener_insights", "geographic", "Lady Gaga", env=demo_env)
    assert out.returncode == 0, out.stderr
    gaga = json.loads(out.stdout)["Lady Gaga"]
    assert {"top_markets", "recommendations"} <= set(gaga)  # the seed's keys, then ours
    assert set(gaga) - {"top_markets", "recommendations"} == {
        "opportunities", "thin_evidence", "market_model"}
    market = gaga["top_markets"][0]
    assert set(market) == {"territory", "actual_streams", "modeled_streams"}
    assert market["actual_streams"]["total"] == sum(
        v for k, v in market["actual_streams"].items() if k != "total")


def test_unknown_name_suggests_and_keeps_other_answers(demo_env):
    out = run("artist_listener_insights", "similarity", "Radiohed,Muse", env=demo_env)
    assert out.returncode == 3
    assert list(json.loads(out.stdout)) == ["Muse"]
    assert "unknown artist 'Radiohed'" in out.stderr
    assert "Radiohead" in out.stderr
    assert "Traceback" not in out.stderr


def test_names_file_allows_commas_and_unicode(demo_env, tmp_path):
    names = tmp_path / "names.txt"
    names.write_text("Tyler, The Creator\nBeyoncé\n\n  sigur rós \n", encoding="utf-8")
    out = run("artist_listener_insights", "similarity", "--names-file", str(names), "--top-n", "1",
              env=demo_env)
    answer = json.loads(out.stdout)
    assert list(answer) == ["Tyler, The Creator", "Beyoncé", "sigur rós"]  # not split at the comma
    assert out.returncode == 0, out.stderr


def test_missing_model_is_a_clear_error(tmp_path):
    out = run("artist_listener_insights", "similarity", "Muse",
              env={"MODEL_DIR": str(tmp_path / "none")})
    assert out.returncode == 2
    assert "artist_listener_train" in out.stderr
    assert "Traceback" not in out.stderr


def test_train_reports_counts_and_writes_a_model(make_warehouse, tmp_path):
    warehouse = make_warehouse(community_listens())
    env = {"DUCKDB_PATH": str(warehouse.path), "MODEL_DIR": str(tmp_path / "models"),
           "NUM_FEATURES": "4", "NUM_CLUSTERS": "3"}
    out = run("artist_listener_train", "--quiet", env=env)
    assert out.returncode == 0, out.stderr
    assert "artists in model" in out.stdout and "explained variance" in out.stdout
    assert (tmp_path / "models" / "CURRENT").exists()
    again = run("artist_listener_train", "--if-missing", env=env)
    assert "not retraining" in again.stdout
    answer = run("artist_listener_insights", "similarity", "G1 Artist 0", "--top-n", "3", env=env)
    assert {e["name"][:2] for e in json.loads(answer.stdout)["G1 Artist 0"]} == {"G1"}


def test_train_takes_the_power_iterations(make_warehouse, tmp_path):
    env = {"DUCKDB_PATH": str(make_warehouse(community_listens()).path),
           "MODEL_DIR": str(tmp_path / "models"), "NUM_FEATURES": "4", "NUM_CLUSTERS": "3"}
    out = run("artist_listener_train", "--quiet", "--json", "--power-iterations", "0", env=env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["params"]["power_iterations"] == 0
    bad = run("artist_listener_train", "--quiet", "--power-iterations", "-1", env=env)
    assert bad.returncode == 2 and "power_iterations must be at least 0" in bad.stderr


def test_train_on_broken_table_names_the_column(make_warehouse, tmp_path):
    warehouse = make_warehouse(community_listens().drop(columns=["total_streams"]))
    out = run("artist_listener_train", "--quiet",
              env={"DUCKDB_PATH": str(warehouse.path), "MODEL_DIR": str(tmp_path / "m")})
    assert out.returncode == 2
    assert "USER_ARTIST_STREAMS_FILTERED_WITH_IDS is missing column(s) total_streams" in out.stderr


def test_bad_setting_is_a_clear_error(tmp_path):
    out = run("artist_listener_train", env={"NUM_FEATURES": "many", "MODEL_DIR": str(tmp_path)})
    assert out.returncode == 2
    assert "NUM_FEATURES must be a whole number" in out.stderr
