"""The stored evaluation of a model: which methods run, the file format, atomic writes, and a
real run on the tiny dashboard warehouse (with and without a saved model)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.config import Settings
from core.errors import InsightsError
from core.evaluation.clusters import CLUSTERING_NAMES
from core.evaluation.methods import SEED_DESIGN, HybridSimilarity
from core.evaluation.report import (
    ALS_BASELINE,
    BM25_BASELINE,
    EASE_BASELINE,
    EVALUATION_CSV,
    EVALUATION_JSON,
    EvaluationResult,
    default_method_name,
    evaluation_methods,
    format_evaluation,
    from_json,
    metric_frame,
    model_params,
    read_evaluation,
    run_evaluation,
    to_json,
    write_evaluation,
)
from core.model import ModelStore
from core.training.pipeline import TrainingParams
from dashboard.quality_charts import ROLE_COLOURS, metric_chart
from tests.dashboard_fixtures import TRAIN_PARAMS, tiny_env

DEFAULT = ("this model: hybrid (RP3beta(β=0.3) + 0.3·BM25 + 2·cos SVD(128)) x shared / (shared + "
           "0.5) x listeners / (listeners + 1)")


def sample_result() -> EvaluationResult:
    """A small hand-made result: the model's method best on listens, a baseline with gaps."""
    methods = pd.DataFrame({
        "recall@10": [0.18, 0.07, np.nan], "ndcg@10": [0.22, 0.08, np.nan],
        "tag@10": [0.28, 0.06, np.nan], "geo_ndcg@10": [0.54, 0.31, 0.37],
        "geo_spearman": [0.26, 0.13, 0.14], "fit_s": [3.0, 0.0, np.nan],
    }, index=pd.Index([DEFAULT, "popularity", "mean-share baseline"], name="method"))
    clusters = pd.DataFrame({"clusters": [10.0], "silhouette": [0.12], "tag_nmi": [0.28]},
                            index=pd.Index([CLUSTERING_NAMES["kmeans"]], name="clustering"))
    meta = {"model_version": "v1", "elapsed_s": 41.0, "created_at": "2026-11-25T04:00:00+00:00",
            "warehouse": "DuckDB warehouse.duckdb",
            "data": {"artists": 17632, "listeners": 1892, "listens": 92834,
                     "artists_with_chart_data": 557}}
    return EvaluationResult(methods, clusters, DEFAULT, meta)


def test_model_params_rebuild_the_shipped_method_and_ignore_unknown_keys() -> None:
    params = model_params({"params": {"num_features": 32, "rp3_beta": 0.3, "from_the_future": 1}})
    assert params.num_features == 32 and params.rp3_beta == 0.3
    assert params.svd_weight == TrainingParams().svd_weight  # missing: today's default
    method = params.similarity_method()
    assert isinstance(method, HybridSimilarity) and method.beta == 0.3 and method.n_components == 32
    assert default_method_name(params) == (
        "this model: hybrid (RP3beta(β=0.3) + 0.3·BM25 + 2·cos SVD(32)) x shared / (shared + 0.5)")
    assert default_method_name(TrainingParams(similarity="cosine"), from_model=False) == (
        "product default: cosine of SVD(128) features")
    # settings added later were off in models trained before them
    assert params.listener_prior == 0.0 and params.normalize_listeners is False
    assert default_method_name(TrainingParams(), from_model=False).endswith(
        "x listeners / (listeners + 1)")


def test_the_line_up_follows_the_flags() -> None:
    methods, name = evaluation_methods(TrainingParams(), with_implicit=False)
    assert name == DEFAULT and next(iter(methods)) == name
    assert {"popularity", "random", "log1p, SVD(64), cosine", "RP3beta (α=1, β=0.25)"} <= set(methods)
    assert not {ALS_BASELINE, BM25_BASELINE, EASE_BASELINE, SEED_DESIGN} & set(methods)
    everything, _ = evaluation_methods(TrainingParams(), with_implicit=True, with_ease=True,
                                       with_seed=True)
    assert {ALS_BASELINE, BM25_BASELINE, EASE_BASELINE, SEED_DESIGN} <= set(everything)


def test_json_round_trip_keeps_missing_values_missing(tmp_path: Path) -> None:
    result = sample_result()
    (tmp_path / "manifest.json").write_text("{}")
    paths = write_evaluation(result, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["manifest.json", EVALUATION_JSON, EVALUATION_CSV])  # no temporary file left behind
    assert [p.name for p in paths] == [EVALUATION_JSON, EVALUATION_CSV]
    stored = json.loads((tmp_path / EVALUATION_JSON).read_text())
    assert stored["methods"]["mean-share baseline"]["recall@10"] is None  # NaN is not JSON
    back = read_evaluation(tmp_path)
    assert back is not None and back.default_method == DEFAULT
    pd.testing.assert_frame_equal(back.methods, result.methods)
    assert pd.read_csv(tmp_path / EVALUATION_CSV, index_col=0).shape == result.methods.shape


def test_missing_and_broken_files(tmp_path: Path) -> None:
    assert read_evaluation(tmp_path) is None
    (tmp_path / EVALUATION_JSON).write_text("{not json")
    with pytest.raises(InsightsError, match="run the evaluation again"):
        read_evaluation(tmp_path)
    with pytest.raises(InsightsError, match="run it again"):
        from_json({"methods": {}})
    with pytest.raises(InsightsError, match="not a folder"):
        write_evaluation(sample_result(), tmp_path / "gone")


def test_console_table_marks_the_model_method_and_lists_clusters() -> None:
    text = format_evaluation(sample_result())
    lines = text.splitlines()
    assert any(line.startswith(f"* {DEFAULT}") for line in lines)
    assert any(line.startswith("  popularity") for line in lines)
    assert "fit_s" in text and "—" in text  # baselines without listen scores show a dash
    assert CLUSTERING_NAMES["kmeans"] in text and "silhouette" in text


def test_metric_frame_is_best_first_with_roles() -> None:
    frame = metric_frame(sample_result(), "geo_ndcg@10")
    assert list(frame["method"]) == [DEFAULT, "mean-share baseline", "popularity"]
    assert list(frame["role"]) == ["this model", "baseline", "baseline"]
    assert list(frame["label"]) == ["this model", "mean-share baseline", "popularity"]
    assert list(metric_frame(sample_result(), "recall@10")["method"]) == [DEFAULT, "popularity"]
    spec = metric_chart(frame, "geo_ndcg@10").to_dict()
    colour = spec["layer"][0]["encoding"]["color"]["scale"]
    assert dict(zip(colour["domain"], colour["range"], strict=True))["this model"] == (
        ROLE_COLOURS["this model"])
    assert spec["title"] == "Geographic nDCG@10"


# -- a real run on the tiny dashboard warehouse --------------------------------------------------


def settings_of(env: dict[str, str]) -> Settings:
    return Settings(duckdb_path=Path(env["DUCKDB_PATH"]), model_dir=Path(env["MODEL_DIR"]))


def test_run_evaluation_judges_the_current_model(tmp_path: Path) -> None:
    env = tiny_env(tmp_path)
    seen: list[float] = []
    result = run_evaluation(settings_of(env), with_implicit=False,
                            progress=lambda _message, fraction: seen.append(fraction))
    store = ModelStore(env["MODEL_DIR"])
    assert result.meta["model_version"] == store.current_version()
    # the tiny model was trained with 6 features: its row says so, and is first
    assert result.default_method == default_method_name(TRAIN_PARAMS)
    assert result.methods.index[0] == result.default_method
    assert {"popularity", "mean-share baseline"} <= set(result.methods.index)
    # three separate scenes: the model's neighbours share the tag far more often than chance
    assert result.methods.loc[result.default_method, "tag@10"] > result.methods.loc["random", "tag@10"]
    kmeans = result.clusters.loc[CLUSTERING_NAMES["kmeans"]]
    assert kmeans["clusters"] == TRAIN_PARAMS.num_clusters and kmeans["tag_purity"] > 0.9
    assert seen == sorted(seen) and seen[-1] == pytest.approx(1.0)
    assert result.meta["data"]["artists"] == 19 and result.meta["options"]["with_implicit"] is False


def test_run_evaluation_without_a_model_trains_in_memory_only(tmp_path: Path) -> None:
    env = tiny_env(tmp_path, trained=False)
    result = run_evaluation(settings_of(env), with_implicit=False)
    assert result.meta["model_version"] is None
    assert result.default_method.startswith("product default: hybrid")
    assert not result.clusters.empty
    assert ModelStore(env["MODEL_DIR"]).current_version() is None  # nothing was saved
    assert to_json(result)["default_method"] == result.default_method


def test_with_seed_adds_the_seed_design_and_its_clustering(tmp_path: Path) -> None:
    env = tiny_env(tmp_path)
    result = run_evaluation(settings_of(env), with_implicit=False, with_seed=True)
    assert SEED_DESIGN in result.methods.index
    assert list(result.clusters.index) == [CLUSTERING_NAMES["kmeans"], CLUSTERING_NAMES["seed-mixture"]]
    mixture = result.clusters.loc[CLUSTERING_NAMES["seed-mixture"]]
    assert mixture["fit_s"] >= 0 and np.isnan(result.clusters.loc[CLUSTERING_NAMES["kmeans"], "fit_s"])
