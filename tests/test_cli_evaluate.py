"""``artist_listener_evaluate``, the installed console script, on the tiny dashboard warehouse."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest

from core.evaluation.report import EVALUATION_CSV, EVALUATION_JSON, LOCK_FILE
from core.locking import exclusive
from core.model import ModelStore
from tests.conftest import VENV_BIN
from tests.dashboard_fixtures import tiny_env


def evaluate(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(VENV_BIN / "artist_listener_evaluate"), *args], capture_output=True,
                          text=True, env={**os.environ, **env}, timeout=300, check=False)


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return tiny_env(tmp_path_factory.mktemp("cli-evaluate"))


def model_folder(env: dict[str, str]) -> Path:
    store = ModelStore(env["MODEL_DIR"])
    return store.root / str(store.current_version())


def test_default_run_prints_one_table_and_adds_two_files_to_the_model(env: dict[str, str]) -> None:
    folder = model_folder(env)
    before = digests(folder)
    out = evaluate(env=env)
    assert out.returncode == 0, out.stderr
    after = digests(folder)
    assert set(after) - set(before) == {EVALUATION_JSON, EVALUATION_CSV}
    assert {k: v for k, v in after.items() if k in before} == before  # nothing else touched

    stored = json.loads((folder / EVALUATION_JSON).read_text())
    assert stored["meta"]["model_version"] == folder.name
    lines = out.stdout.splitlines()
    marked = [line for line in lines if line.startswith("* ")]
    assert len(marked) == 1 and marked[0][2:].startswith(stored["default_method"])
    header = next(line for line in lines if "recall@10" in line)
    assert all(c in header for c in ("ndcg@10", "tag@10", "geo_ndcg@10", "geo_spearman", "fit_s"))
    for method in stored["methods"]:
        assert any(line[2:].startswith(method) for line in lines), method
    assert "cluster quality" in out.stdout and "k-means (product default)" in out.stdout
    csv_rows = (folder / EVALUATION_CSV).read_text().splitlines()
    assert csv_rows[0].startswith("method,recall@10") and len(csv_rows) == len(stored["methods"]) + 1
    assert "100%" in out.stderr and f"wrote {folder / EVALUATION_JSON}" in out.stderr


def test_out_dir_and_json_leave_the_model_alone(env: dict[str, str], tmp_path: Path) -> None:
    folder = model_folder(env)
    before = digests(folder)
    out = evaluate("--out", str(tmp_path / "report"), "--quiet", "--json", env=env)
    assert out.returncode == 0, out.stderr
    payload = json.loads(out.stdout)
    assert payload["default_method"] in payload["methods"]
    assert sorted(p.name for p in (tmp_path / "report").iterdir() if not p.name.startswith(".")) == [
        EVALUATION_CSV, EVALUATION_JSON]
    assert digests(folder) == before
    assert "%" not in out.stderr  # --quiet: no progress bar


def test_without_a_model_it_says_what_to_do(tmp_path: Path) -> None:
    out = evaluate(env=tiny_env(tmp_path, trained=False))
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0  # one line, no traceback
    assert out.stderr.startswith("error: no trained model") and "--out DIR" in out.stderr


def test_a_second_evaluation_is_told_to_wait(env: dict[str, str]) -> None:
    with exclusive(Path(env["MODEL_DIR"]) / LOCK_FILE, "evaluation"):
        out = evaluate("--quiet", env=env)
    assert out.returncode == 2
    assert "already running" in out.stderr and "Traceback" not in out.stderr


def test_a_bad_setting_is_one_line(env: dict[str, str]) -> None:
    out = evaluate("--quiet", env={**env, "DUCKDB_PATH": str(Path(env["DUCKDB_PATH"]) / "missing")})
    assert out.returncode == 2 and out.stderr.startswith("error: no DuckDB warehouse")
