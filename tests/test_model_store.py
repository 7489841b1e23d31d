"""Models are plain files, published atomically, never pickles."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from core.errors import InsightsError, ModelNotFoundError, UnknownArtistError
from core.locking import BusyError, exclusive
from core.model import KEEP_VERSIONS, Model, ModelStore


def test_round_trip_keeps_everything(demo_model, tmp_path):
    store = ModelStore(tmp_path)
    version = store.save(demo_model)
    loaded = store.load()
    assert loaded.version == version == store.current_version()
    np.testing.assert_array_equal(loaded.neighbour_idx, demo_model.neighbour_idx)
    np.testing.assert_array_equal(loaded.features, demo_model.features)
    assert loaded.artists.equals(demo_model.artists)
    assert loaded.manifest["counts"] == demo_model.manifest["counts"]


def test_no_pickles_on_disk(demo_model_dir):
    files = [p for p in demo_model_dir.rglob("*") if p.is_file() and p.suffix != ".lock"]
    assert {p.suffix for p in files} <= {".npy", ".parquet", ".json", ".csv", ""}
    for npy in demo_model_dir.rglob("*.npy"):
        np.load(npy, allow_pickle=False)  # raises if an object array slipped in


def test_crash_mid_write_keeps_previous_model(demo_model, tmp_path, monkeypatch):
    store = ModelStore(tmp_path)
    first = store.save(demo_model)

    def broken_save(self, directory):
        directory.mkdir(parents=True)
        (directory / "features.npy").write_bytes(b"half")
        raise OSError("disk full (injected)")

    monkeypatch.setattr(Model, "save", broken_save)
    with pytest.raises(InsightsError, match=r"injected.*MODEL_DIR"):  # one line, no traceback
        store.save(demo_model)
    monkeypatch.undo()
    assert store.current_version() == first
    assert store.load().version == first
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".incoming")]


def test_old_versions_are_pruned(demo_model, tmp_path):
    store = ModelStore(tmp_path)
    versions = [store.save(demo_model) for _ in range(KEEP_VERSIONS + 2)]
    assert store.versions() == versions[-KEEP_VERSIONS:]
    assert store.current_version() == versions[-1]


def test_missing_model_says_how_to_train(tmp_path):
    with pytest.raises(ModelNotFoundError, match="artist_listener_train"):
        ModelStore(tmp_path / "none").load()


def test_second_writer_is_told_to_wait(tmp_path):
    lock = tmp_path / ".train.lock"
    entered, release = threading.Event(), threading.Event()

    def hold():
        with exclusive(lock, "training"):
            entered.set()
            release.wait(5)

    thread = threading.Thread(target=hold)
    thread.start()
    entered.wait(5)
    try:
        with pytest.raises(BusyError, match="already running"), exclusive(lock, "training"):
            pass
    finally:
        release.set()
        thread.join()
    with exclusive(lock, "training"):
        pass


def test_excluded_artist_says_why(demo_model):
    name = demo_model.excluded["artistname"].iloc[0]
    with pytest.raises(UnknownArtistError, match="below the minimum of 2"):
        demo_model.resolve(name)
