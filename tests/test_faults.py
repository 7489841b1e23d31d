"""Faults a user meets: kill -9 mid-write, a full disk, a busy or wrong DuckDB file, damaged
models and hostile arguments. Each must leave the previous model and tables whole and end in
one line (exit 2), never a traceback, a secret or a wrong answer.

The kills are real ``SIGKILL``s of a child process, sent by the child itself at the moment
that matters (after the model files are written, before the rename; inside the result
table's transaction; after an export's first file), so they hit the same spot every run.
The full disk is a 256 KiB tmpfs, mounted where the tests run as root and skipped elsewhere.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.cli.insights import main as insights_main
from core.cli.train import main as train_main
from core.cli.upload import main as upload_main
from core.config import PROJECT_ROOT, Settings
from core.errors import InsightsError, ModelNotFoundError
from core.failures import BusyWarehouseError
from core.locking import exclusive
from core.model import TRAIN_LOCK, DamagedModelError, ModelStore
from core.tables import ARTIST_GENRES, COUNTRY_STREAMS, USER_ARTIST_STREAMS
from core.upload import SIMILARITY_TABLE, publish, upload_lock
from core.warehouse.duckdb import DuckDBWarehouse
from testkit.generated import generated_model
from tests.conftest import community_listens

PASSWORD = "pw-Fau1t-do-not-print"


def child(script: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``script`` in a fresh interpreter on this tree (it may SIGKILL itself)."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True,
                          text=True, timeout=180, check=False, cwd=PROJECT_ROOT,
                          env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), **(env or {})})


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err, err
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


@pytest.fixture
def store(tmp_path: Path) -> ModelStore:
    store = ModelStore(tmp_path / "models")
    store.save(generated_model(30, seed=1))
    return store


# --------------------------------------------------------------------------------------------
# kill -9
# --------------------------------------------------------------------------------------------


def test_kill_during_model_save_keeps_the_previous_model_and_the_next_run_cleans_up(
    store: ModelStore,
) -> None:
    before = store.current_version()
    out = child(f"""
        import os, signal
        import core.model as m
        from testkit.generated import generated_model
        m._fsync_tree = lambda d: os.kill(os.getpid(), signal.SIGKILL)  # files written, not renamed
        m.ModelStore({str(store.root)!r}).save(generated_model(30, seed=2))
    """)
    assert out.returncode == -signal.SIGKILL, out.stderr
    assert list(store.root.glob(".incoming-*")), "the kill left a staging folder"
    assert store.current_version() == before
    assert store.load().version == before  # and it verifies
    store.save(generated_model(30, seed=3))  # the next run
    assert not list(store.root.glob(".incoming-*"))


def test_litter_of_a_running_training_is_kept(store: ModelStore) -> None:
    """Only stale leftovers go: while another process trains, its staging folder stays."""
    (store.root / ".incoming-inprogress").mkdir()
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from core.locking import exclusive
        with exclusive(Path({str(store.root / TRAIN_LOCK)!r}), "training"):
            print("locked", flush=True)
            time.sleep(60)
    """)], stdout=subprocess.PIPE, text=True, cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        assert store.clean_litter() == []
        assert (store.root / ".incoming-inprogress").exists()
    finally:
        holder.kill()
        holder.wait()
    assert [p.name for p in store.clean_litter()] == [".incoming-inprogress"]


def test_kill_during_training_cli_keeps_the_previous_model(tmp_path: Path) -> None:
    """The real console script, killed in the middle of its work at several moments."""
    warehouse = DuckDBWarehouse(tmp_path / "w.duckdb")
    for name, frame in _tiny_tables().items():
        warehouse.write_table(name, frame)
    store = ModelStore(tmp_path / "models")
    store.save(generated_model(30, seed=1))
    before = store.current_version()
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "DUCKDB_PATH": str(warehouse.path),
           "MODEL_DIR": str(store.root), "NUM_FEATURES": "4", "NUM_CLUSTERS": "2"}
    for delay in (0.5, 1.5, 2.5):
        process = subprocess.Popen([sys.executable, "-m", "core.cli.train", "--quiet"],
                                   cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        current = store.load()  # whatever the moment, CURRENT names a whole model
        assert current.version == store.current_version()
        assert not current.warnings
    assert before in store.versions()


def test_kill_during_duckdb_upload_keeps_the_previous_tables(tmp_path: Path) -> None:
    settings = Settings(duckdb_path=tmp_path / "w.duckdb", model_dir=tmp_path / "models")
    publish("duckdb", settings, generated_model(20, seed=1, version="v-old"))
    out = child(f"""
        import os, signal
        import core.warehouse.duckdb as d
        from core.config import Settings
        from core.upload import publish
        from testkit.generated import generated_model
        from pathlib import Path
        real = d.duckdb.DuckDBPyConnection.execute
        class Dying:
            def __init__(self, con): self.con = con
            def __getattr__(self, name): return getattr(self.con, name)
            def execute(self, sql, *a):
                if sql == "COMMIT":  # the new table is written, not committed
                    os.kill(os.getpid(), signal.SIGKILL)
                return self.con.execute(sql, *a)
        opened = d.DuckDBWarehouse._open
        d.DuckDBWarehouse._open = lambda self, ro: Dying(opened(self, ro))
        settings = Settings(duckdb_path=Path({str(settings.duckdb_path)!r}),
                            model_dir=Path({str(settings.model_dir)!r}))
        publish("duckdb", settings, generated_model(20, seed=2, version="v-new"))
    """)
    assert out.returncode == -signal.SIGKILL, out.stderr
    table = DuckDBWarehouse(settings.duckdb_path).read_table(SIMILARITY_TABLE)
    assert set(table["model_version"]) == {"v-old"} and len(table) > 0
    publish("duckdb", settings, generated_model(20, seed=2, version="v-new"))  # lock released
    assert set(DuckDBWarehouse(settings.duckdb_path).read_table(SIMILARITY_TABLE)["model_version"]) \
        == {"v-new"}


def test_kill_during_export_keeps_the_previous_files_and_the_next_export_cleans_up(
    tmp_path: Path,
) -> None:
    settings = Settings(model_dir=tmp_path / "models")
    out_dir = tmp_path / "export"
    from core.upload import UploadOptions

    publish("neo4j-export", settings, generated_model(20, seed=1),
            options=UploadOptions(out_dir=out_dir))
    before = {p.name: p.read_bytes() for p in out_dir.iterdir()}
    out = child(f"""
        import os, signal
        from pathlib import Path
        from core.config import Settings
        from core.upload import UploadOptions, publish
        from testkit.generated import generated_model
        Path.replace = lambda self, target: os.kill(os.getpid(), signal.SIGKILL)
        publish("neo4j-export", Settings(model_dir=Path({str(settings.model_dir)!r})),
                generated_model(25, seed=2), options=UploadOptions(out_dir=Path({str(out_dir)!r})))
    """)
    assert out.returncode == -signal.SIGKILL, out.stderr
    partial = sorted(p.name for p in out_dir.glob(".*.partial"))
    assert partial, "the kill left partial files"
    assert {p.name: p.read_bytes() for p in out_dir.iterdir() if not p.name.endswith(".partial")} \
        == before
    publish("neo4j-export", settings, generated_model(25, seed=2), options=UploadOptions(out_dir=out_dir))
    assert not list(out_dir.glob(".*.partial"))


# --------------------------------------------------------------------------------------------
# A full disk (tmpfs) and a read-only model folder
# --------------------------------------------------------------------------------------------


@contextlib.contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    path.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root; a full disk is tested where the tests run as root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def _fill(folder: Path) -> None:
    with contextlib.suppress(OSError), open(folder / "filler", "wb") as fh:
        while True:
            fh.write(b"\0" * 4096)
            fh.flush()


def test_full_model_folder_is_one_line_and_keeps_the_previous_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    with tmpfs(tmp_path / "small", "256k") as disk:
        store = ModelStore(disk / "models")
        store.save(generated_model(20, seed=1))
        before = store.current_version()
        _fill(disk)
        with pytest.raises(InsightsError, match=r"no space left.*MODEL_DIR"):
            store.save(generated_model(20, seed=2))
        assert store.current_version() == before and store.load().version == before
        assert not list(store.root.glob(".incoming-*"))  # the failed save cleaned up

        warehouse = DuckDBWarehouse(tmp_path / "w.duckdb")
        for name, frame in _tiny_tables().items():
            warehouse.write_table(name, frame)
        monkeypatch.setenv("DUCKDB_PATH", str(warehouse.path))
        monkeypatch.setenv("MODEL_DIR", str(store.root))
        monkeypatch.setenv("NUM_FEATURES", "4")
        monkeypatch.setenv("NUM_CLUSTERS", "2")
        assert train_main(["--quiet"]) == 2
        line = one_error_line(capsys.readouterr().err)
        assert "no space left" in line and "MODEL_DIR" in line
        assert store.load().version == before


def test_read_only_model_folder_still_answers_and_uploads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    with tmpfs(tmp_path / "ro", "4m") as disk:
        ModelStore(disk).save(generated_model(20, seed=1, names=[f"Artist {i}" for i in range(20)]))
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        settings = Settings(duckdb_path=tmp_path / "w.duckdb", model_dir=disk)
        assert upload_lock(settings).parent != disk
        monkeypatch.setenv("MODEL_DIR", str(disk))
        monkeypatch.setenv("DUCKDB_PATH", str(settings.duckdb_path))
        assert upload_main(["duckdb", "--quiet"]) == 0
        assert insights_main(["similarity", "Artist 1", "--compact"]) == 0
        capsys.readouterr()
        assert train_main(["--quiet"]) == 2  # training needs to write: one line saying so
        assert "read-only" in one_error_line(capsys.readouterr().err)


# --------------------------------------------------------------------------------------------
# Busy and wrong DuckDB files, a wrong MODEL_DIR
# --------------------------------------------------------------------------------------------


def _tiny_tables() -> dict[str, pd.DataFrame]:
    return {
        USER_ARTIST_STREAMS.name: community_listens(),
        ARTIST_GENRES.name: pd.DataFrame({"artistname": ["G0 Artist 0"], "countrylist": ["France"],
                                          "genreid": ["1"]}),
        COUNTRY_STREAMS.name: pd.DataFrame({"artistnum": [0, 1], "artistname": ["x", "y"],
                                            "countryname": ["France", " france "],
                                            "storename": ["spotify", "Spotify"],
                                            "total_streams": [3.0, 4.0]}),
    }


@contextlib.contextmanager
def held(path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process with a write connection on the DuckDB file at ``path``."""
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import duckdb, time
        con = duckdb.connect({str(path)!r})
        print("held", flush=True)
        time.sleep(60)
    """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        yield holder
    finally:
        holder.kill()
        holder.wait()


def test_busy_duckdb_is_retried_then_one_line(tmp_path: Path) -> None:
    warehouse = DuckDBWarehouse(tmp_path / "w.duckdb", busy_timeout=0.5)
    for name, frame in _tiny_tables().items():
        warehouse.write_table(name, frame)
    with held(warehouse.path) as holder:
        started = time.monotonic()
        with pytest.raises(BusyWarehouseError, match=rf"in use by another program \(process {holder.pid}\)"):
            warehouse.listen_stats()
        assert time.monotonic() - started >= 0.4  # it waited before giving up


def test_busy_duckdb_that_frees_up_is_read(tmp_path: Path) -> None:
    warehouse = DuckDBWarehouse(tmp_path / "w.duckdb", busy_timeout=30)
    for name, frame in _tiny_tables().items():
        warehouse.write_table(name, frame)
    with held(warehouse.path) as holder:
        subprocess.Popen(["sh", "-c", f"sleep 0.7; kill {holder.pid}"])
        assert warehouse.listen_stats().rows_total == len(_tiny_tables()[USER_ARTIST_STREAMS.name])


@pytest.mark.parametrize("kind", ["folder", "text file", "model dir is a file", "busy"])
def test_wrong_or_busy_resources_are_one_line_exit_2(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    db, models = tmp_path / "w.duckdb", tmp_path / "models"
    if kind == "folder":
        db.mkdir()
    elif kind == "text file":
        db.write_text("not a database\n")
    else:
        warehouse = DuckDBWarehouse(db)
        for name, frame in _tiny_tables().items():
            warehouse.write_table(name, frame)
    if kind == "model dir is a file":
        models.write_text("oops")
    monkeypatch.setenv("DUCKDB_PATH", str(db))
    monkeypatch.setenv("MODEL_DIR", str(models))
    monkeypatch.setattr("core.warehouse.duckdb.BUSY_TIMEOUT", 0.3)
    context = held(db) if kind == "busy" else contextlib.nullcontext()
    with context:
        assert train_main(["--quiet"]) == 2
    line = one_error_line(capsys.readouterr().err)
    expected = {"folder": "is a folder", "text file": "not a DuckDB database file",
                "model dir is a file": "is a file, not a folder", "busy": "in use by another program"}
    assert expected[kind] in line and str(tmp_path) in line


# --------------------------------------------------------------------------------------------
# Damaged models, CURRENT pointers and arguments
# --------------------------------------------------------------------------------------------


def _two_versions(root: Path) -> tuple[ModelStore, str, str]:
    store = ModelStore(root)
    names = [f"Artist {i}" for i in range(20)]
    old = store.save(generated_model(20, seed=1, names=names))
    time.sleep(0.01)
    new = store.save(generated_model(20, seed=2, names=names))
    return store, old, new


@pytest.mark.parametrize("damage", ["truncate", "flip a byte", "delete", "NaN", "bad manifest"])
def test_damaged_model_falls_back_with_a_warning(damage: str, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    store, old, new = _two_versions(tmp_path / "models")
    target = store.root / new / ("manifest.json" if damage == "bad manifest" else "neighbour_sim.npy")
    if damage == "truncate":
        target.write_bytes(target.read_bytes()[:100])
    elif damage == "flip a byte":
        data = bytearray(target.read_bytes())
        data[-3] ^= 0xFF
        target.write_bytes(bytes(data))
    elif damage == "delete":
        target.unlink()
    elif damage == "NaN":  # rewritten whole (valid .npy) but not what was saved
        array = np.load(target)
        array[0, 0] = np.nan
        np.save(target, array)
    else:
        target.write_text('{"format_version": 1, "files": ')
    with pytest.raises(DamagedModelError, match=str(target)):
        store.load(new)  # an explicit version is never swapped
    model = store.load()
    assert model.version == old and "damaged" in model.warnings[0] and target.name in model.warnings[0]

    monkeypatch.setenv("MODEL_DIR", str(store.root))
    assert insights_main(["similarity", "Artist 1", "--compact"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["Artist 1"] and "Traceback" not in err
    assert err.startswith("warning: ") and target.name in err and old in err


def test_damaged_only_model_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    store = ModelStore(tmp_path / "models")
    version = store.save(generated_model(20, seed=1))
    features = store.root / version / "features.npy"
    features.write_bytes(features.read_bytes()[:64])
    monkeypatch.setenv("MODEL_DIR", str(store.root))
    assert insights_main(["similarity", "x"]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "features.npy" in line and "damaged" in line


@pytest.mark.parametrize("pointer", ["../../etc", "/etc", "..", "a/b", "nope\x00"])
def test_current_pointer_leaving_the_folder_is_refused(pointer: str, tmp_path: Path) -> None:
    store, _, _ = _two_versions(tmp_path / "models")
    (store.root / "CURRENT").write_text(pointer + "\n")
    with pytest.raises(ModelNotFoundError, match="CURRENT"):
        store.load()


def test_current_pointer_through_a_symlink_is_refused(tmp_path: Path) -> None:
    store, old, _ = _two_versions(tmp_path / "models")
    outside = tmp_path / "elsewhere"
    shutil.copytree(store.root / old, outside)
    (store.root / "sneaky").symlink_to(outside)
    (store.root / "CURRENT").write_text("sneaky\n")
    with pytest.raises(ModelNotFoundError, match="leaves the model folder"):
        store.load()


@pytest.mark.parametrize(("argv", "message"), [
    (["similarity", "Artist 1", "--model-version", "nope"], "unknown model version 'nope'"),
    (["similarity", "Artist 1", "--model-version", "../x"], "not a version"),
    (["geographic", "Artist 1", "--min-peers", "-1"], "--min-peers must be at least 1"),
    (["similarity", "Artist 1", "--top-n", "-5"], "--top-n must be at least 1"),
    (["similarity", "--names-file", "NAMES"], "not UTF-8"),
    (["similarity", "--names-file", "MISSING"], "cannot read names file"),
])
def test_bad_arguments_are_one_line(argv: list[str], message: str, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    store, old, _ = _two_versions(tmp_path / "models")
    names = tmp_path / "names.txt"
    names.write_bytes(b"Artist 1\n" + b"Caf\xe9\n")  # Latin-1, not UTF-8
    argv = [str(names) if a == "NAMES" else str(tmp_path / "missing") if a == "MISSING" else a
            for a in argv]
    monkeypatch.setenv("MODEL_DIR", str(store.root))
    assert insights_main(argv) == 2
    line = one_error_line(capsys.readouterr().err)
    assert message in line
    if "unknown model version" in message:
        assert old in line  # the versions that do exist are listed


# --------------------------------------------------------------------------------------------
# Secrets
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("uri", [f"bolt://ana:{PASSWORD}@127.0.0.1:1",
                                 f"neo4j://ana:{PASSWORD.replace('-', '%2D')}@127.0.0.1:1"])
def test_password_in_neo4j_uri_is_never_printed(uri: str, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    store = ModelStore(tmp_path / "models")
    store.save(generated_model(10, seed=1))
    for name, value in {"NEO4J_URI": uri, "NEO4J_USER": "ana", "NEO4J_PASSWORD": "other-secret",
                        "MODEL_DIR": str(store.root)}.items():
        monkeypatch.setenv(name, value)
    assert upload_main(["neo4j", "--quiet"]) == 2
    out, err = capsys.readouterr()
    line = one_error_line(err)
    assert "neo4j upload failed" in line
    for secret in (PASSWORD, PASSWORD.replace("-", "%2D"), "other-secret"):
        assert secret not in out + err


def test_scrubber_covers_messages_logs_and_uris(monkeypatch: pytest.MonkeyPatch,
                                                caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from core.secrets import install_log_scrubber, scrub

    monkeypatch.setenv("SNOWFLAKE_PASSWORD", PASSWORD)
    assert PASSWORD not in scrub(f"login failed for password {PASSWORD}")
    assert scrub("snowflake://u:x@acct/db and bolt://me@h:7687") == \
        "snowflake://********@acct/db and bolt://********@h:7687"
    install_log_scrubber()
    with caplog.at_level(logging.WARNING):
        logging.getLogger("snowflake.connector").warning("retrying with %s", PASSWORD)
        try:
            raise RuntimeError(f"bolt://ana:{PASSWORD}@db")
        except RuntimeError:
            logging.getLogger("neo4j").exception("failed")
    assert PASSWORD not in caplog.text


def test_upload_lock_is_outside_the_model_folder(tmp_path: Path) -> None:
    settings = Settings(model_dir=tmp_path / "models")
    lock = upload_lock(settings)
    assert tmp_path not in lock.parents
    assert lock == upload_lock(Settings(model_dir=tmp_path / "models" / ".." / "models"))
    with exclusive(lock, "an upload"), pytest.raises(InsightsError, match="already running"):
        publish("duckdb", Settings(duckdb_path=tmp_path / "w.duckdb", model_dir=settings.model_dir),
                generated_model(5, seed=1))


def test_dashboard_warns_and_serves_the_previous_model(tmp_path: Path) -> None:
    from streamlit.testing.v1 import AppTest

    from tests.dashboard_fixtures import APP, environment

    store, old, new = _two_versions(tmp_path / "models")
    damaged = store.root / new / "features.npy"
    damaged.write_bytes(damaged.read_bytes()[:80])
    env = {"MODEL_DIR": str(store.root), "DUCKDB_PATH": str(tmp_path / "w.duckdb"),
           "WAREHOUSE": "duckdb"}
    with environment(env):
        at = AppTest.from_file(str(APP), default_timeout=60)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    warnings = [w.value for w in at.warning]
    assert any("damaged" in w and "features.npy" in w and old in w for w in warnings), warnings
    assert not at.error


def test_model_without_checksums_is_still_checked(tmp_path: Path) -> None:
    """A model saved before checksums existed: NaN streams and bad shapes are still caught."""
    store, old, new = _two_versions(tmp_path / "models")
    manifest_path = store.root / new / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    del manifest["files"]
    manifest_path.write_text(json.dumps(manifest))
    assert store.load(new).version == new  # still loads while whole
    markets = pd.read_parquet(store.root / new / "markets.parquet")
    markets.loc[0, "streams"] = float("inf")
    markets.to_parquet(store.root / new / "markets.parquet", index=False)
    with pytest.raises(DamagedModelError, match=r"markets\.parquet.*NaN or infinite"):
        store.load(new)
    assert store.load().version == old
