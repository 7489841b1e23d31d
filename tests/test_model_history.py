"""Model history: kept versions and what changed between two (core, CLI)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core.cli.models import main as models_main
from core.errors import InsightsError
from core.model import Model, ModelStore
from core.model_history import compare, compare_versions, history, resolve_version
from testkit.generated import generated_model


def base_model() -> Model:
    model = generated_model(30, seed=4, top_k=12)
    model.manifest |= {"params": {"num_features": 64, "min_listeners": 2},
                       "counts": {"artists": 30, "users": 99, "pairs": 500},
                       "created_at": "2026-12-01T10:00:00+00:00", "warehouse": "DuckDB x"}
    return model


def changed_copy(model: Model, row: int, replaced: int) -> Model:
    """The same model with ``replaced`` of artist ``row``'s top 10 swapped for others."""
    idx = model.neighbour_idx.copy()
    outside = [j for j in range(len(model.artists))
               if j != row and j not in set(idx[row, :10])]
    idx[row, 10 - replaced:10] = outside[:replaced]
    return Model(**{**model.__dict__, "neighbour_idx": idx,
                    "manifest": {**model.manifest,
                                 "params": {"num_features": 32, "min_listeners": 2}}})


def test_compare_finds_the_artists_whose_top_10_changed() -> None:
    old = base_model()
    new = changed_copy(changed_copy(old, 5, 4), 9, 1)
    diff = compare(old, new)
    top = diff.most_changed(3)
    assert top["artistnum"].tolist()[:2] == [int(old.artists["artistnum"][5]),
                                             int(old.artists["artistnum"][9])]
    assert top["changed"].tolist()[:3] == [4, 1, 0]
    assert len(top["entered"][0].split(", ")) == 4 and len(top["left"][0].split(", ")) == 4
    assert diff.mean_overlap == pytest.approx(1 - 5 / (30 * 10))
    assert diff.params == {"num_features": (64, 32)}
    assert diff.added == [] and diff.removed == []
    assert compare(old, old).mean_overlap == 1.0


def test_artists_entering_and_leaving_the_model() -> None:
    old = base_model()
    new = generated_model(25, seed=4, top_k=12)  # the last five artists are gone
    diff = compare(old, new)
    assert sorted(diff.removed) == sorted(old.artists["artistname"][25:])
    assert len(diff.artists) == 25 and not diff.added


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModelStore:
    monkeypatch.setenv("MODEL_DIR", str(tmp_path / "models"))
    store = ModelStore(tmp_path / "models")
    old = base_model()
    store.save(old)
    store.save(changed_copy(old, 2, 3))
    return store


def test_history_lists_kept_versions_and_marks_the_current(store: ModelStore) -> None:
    table = history(store)
    assert table["version"].tolist() == store.versions()
    assert table["current"].tolist() == [False, True]
    assert table["artists"].tolist() == [30, 30] and set(table["warehouse"]) == {"DuckDB x"}
    assert resolve_version(store, "previous") == store.versions()[0]
    assert resolve_version(store, "current") == store.current_version()
    assert resolve_version(store, store.versions()[0][:-3]) == store.versions()[0]
    with pytest.raises(InsightsError, match=r"not kept.*kept: "):
        resolve_version(store, "20990101")
    diff = compare_versions(store)
    assert diff.old == store.versions()[0] and diff.new == store.current_version()
    assert diff.most_changed(1)["changed"].item() == 3


def test_cli_history_and_diff(store: ModelStore, capsys: pytest.CaptureFixture[str]) -> None:
    assert models_main(["history"]) == 0
    out = capsys.readouterr().out
    assert all(v in out for v in store.versions())
    assert models_main(["diff", "--limit", "2"]) == 0
    out = capsys.readouterr().out
    assert "->" in out and "most changed" in out and "3 changed" in out
    assert "parameter num_features: 64 -> 32" in out
    assert models_main(["diff", "previous", "current", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["most_changed"][0]["changed"] == 3 and 0 < data["mean_overlap"] < 1
    assert models_main(["diff", "nope"]) == 2
    assert "not kept" in capsys.readouterr().err
    assert np.isfinite(data["mean_overlap"])


def test_train_page_shows_history_and_what_changed(tmp_path: Path) -> None:
    from streamlit.testing.v1 import AppTest

    from core.config import Settings
    from core.training import train_and_save
    from tests.dashboard_fixtures import TRAIN_PARAMS, environment, tiny_env

    env = tiny_env(tmp_path)
    settings = Settings(duckdb_path=Path(env["DUCKDB_PATH"]), model_dir=Path(env["MODEL_DIR"]))
    train_and_save(settings, TRAIN_PARAMS.__class__(**{**TRAIN_PARAMS.__dict__,
                                                       "num_features": TRAIN_PARAMS.num_features - 1}))
    app = Path(__file__).resolve().parent.parent / "app.py"
    with environment(env):
        at = AppTest.from_file(str(app), default_timeout=60)
        at.run()
        at.switch_page("dashboard/pages/train.py").run()
        assert not at.exception, [e.value for e in at.exception]
        assert "Model history" in [h.value for h in at.subheader]
        old, new = at.selectbox(key="diff_old"), at.selectbox(key="diff_new")
        versions = ModelStore(settings.model_dir).versions()
        assert (old.value, new.value) == (versions[0], versions[1])
        text = "\n".join(m.value for m in at.markdown)
        assert "is unchanged on average" in text
        assert any("Parameters changed" in c.value and "features" in c.value for c in at.caption)
