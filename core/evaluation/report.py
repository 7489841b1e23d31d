"""The evaluation of one model, run, stored and read the same way by the CLI and the dashboard,
so both show the same numbers.

The method judged is rebuilt from the current model's manifest, so the table judges what is
shipped. The result is added next to the model as ``evaluation.json`` / ``evaluation.csv`` (a
model folder is otherwise immutable), each file moved into place whole.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import math
import os
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.config import Settings
from core.errors import InsightsError
from core.evaluation.clusters import model_cluster_quality
from core.evaluation.data import load_evaluation_data
from core.evaluation.harness import DEFAULT_PROTOCOL, evaluate_methods
from core.evaluation.methods import (
    EASE,
    SEED_DESIGN,
    BM25ItemKNN,
    ImplicitALS,
    Popularity,
    RandomSimilarity,
    RP3beta,
    SeedDesign,
    SimilarityMethod,
    SVDCosine,
)
from core.locking import exclusive
from core.model import Model, ModelStore
from core.progress import ProgressCallback, StepProgress
from core.training.pipeline import TrainingParams, train
from core.warehouse import open_warehouse

EVALUATION_JSON = "evaluation.json"
EVALUATION_CSV = "evaluation.csv"
LOCK_FILE = ".evaluate.lock"
FORMAT = 1

#: the metrics an analyst reads, with a label and what they mean in plain words
METRICS: dict[str, tuple[str, str]] = {
    "recall@10": (
        "Recall@10",
        "Hide a fifth of every listener's artists, then suggest 10 artists from the similar "
        "artists of the rest: the share of the hidden artists among the 10. Higher is better."),
    "ndcg@10": (
        "nDCG@10",
        "The same test as recall@10, but a hidden artist found first counts more than one found "
        "tenth. 1 would be every hidden artist found, at the top."),
    "tag@10": (
        "Tag agreement@10",
        "Share of an artist's 10 most similar artists that carry its top tag (tags are never "
        "used in training, so they are an outside check)."),
    "geo_ndcg@10": (
        "Geographic nDCG@10",
        "Predict each charting artist's countries from its 10 most similar charting artists: "
        "do the predicted top countries match its real biggest ones, in order? 1 = perfect."),
    "geo_spearman": (
        "Spearman (countries)",
        "Rank correlation between predicted and real country shares over all countries: "
        "1 = same order, 0 = unrelated."),
    "coverage@10": (
        "Coverage@10",
        "Share of the modelled artists (at least 2 listeners) that appear in at least one other "
        "artist's 10 most similar: how much of the long tail browsing can reach. Higher is "
        "better; popularity lists reach almost none."),
}
#: standard errors of the means above (listeners or artists as the units), where defined
STANDARD_ERRORS = ("recall@10_se", "ndcg@10_se", "tag@10_se", "geo_ndcg@10_se", "coverage@10_se")
TABLE_COLUMNS = (*METRICS, "fit_s", *STANDARD_ERRORS)
#: rows that use no similarity at all: the bar every method has to clear
BASELINES = ("popularity", "random", "mean-share baseline", "mean-absolute-streams baseline")
SVD_BASELINE = "log1p, SVD(64), cosine"
RP3_BASELINE = "RP3beta (α=1, β=0.25)"
ALS_BASELINE = "implicit ALS(64), BM25"
BM25_BASELINE = "BM25 item-kNN (K1=100, B=0.8)"
EASE_BASELINE = "EASE (λ=100, artists ≥ 2 listeners)"


@dataclass
class EvaluationResult:
    """Methods x metrics (``core.evaluation.harness.COLUMNS``), clusterings x cluster metrics
    (``core.evaluation.clusters.COLUMNS``), which method is the model's, and what was judged."""

    methods: pd.DataFrame
    clusters: pd.DataFrame
    default_method: str
    meta: dict[str, Any] = field(default_factory=dict)


def model_params(manifest: dict[str, Any]) -> TrainingParams:
    """The training parameters a model was built with (unknown keys from other versions are
    ignored, missing ones take today's defaults, except the settings that came later and were
    off before them)."""
    stored = manifest.get("params", {})
    if stored:
        stored = {"listener_prior": 0.0, "normalize_listeners": False, **stored}
    known = {f.name for f in dataclasses.fields(TrainingParams)}
    return TrainingParams(**{k: v for k, v in stored.items() if k in known})


def default_method_name(params: TrainingParams, from_model: bool = True) -> str:
    """A row label that says what the default is *with its parameters*, so a table from an
    older model cannot be mistaken for today's default."""
    owner = "this model" if from_model else "product default"
    if params.similarity == "cosine":
        return f"{owner}: cosine of SVD({params.num_features}) features"
    return (f"{owner}: hybrid (RP3beta(β={params.rp3_beta:g}) + {params.bm25_weight:g}·BM25 + "
            f"{params.svd_weight:g}·cos SVD({params.num_features})) x shared / (shared + "
            f"{params.shrinkage:g})" + (f" x listeners / (listeners + {params.listener_prior:g})"
                                         if params.listener_prior else ""))


def evaluation_methods(
    params: TrainingParams, *, from_model: bool = True, with_ease: bool = False,
    with_seed: bool = False, with_implicit: bool | None = None,
) -> tuple[dict[str, SimilarityMethod], str]:
    """(methods in table order, the default's name); the optional or slow methods only when
    they can run or are asked for.

    Parameters
    ----------
    with_implicit
        ALS and BM25 item-kNN (the optional ``implicit`` package); ``None``: when importable.
    with_ease, with_seed
        EASE (a dense artists x artists inverse) and the seed design, both slow.
    """
    if with_implicit is None:
        with_implicit = importlib.util.find_spec("implicit") is not None
    name = default_method_name(params, from_model)
    methods: dict[str, SimilarityMethod] = {name: params.similarity_method()}
    methods["popularity"] = Popularity()
    methods["random"] = RandomSimilarity(random_state=params.random_state)
    methods[SVD_BASELINE] = SVDCosine(64, random_state=params.random_state)
    methods[RP3_BASELINE] = RP3beta()
    if with_implicit:
        methods[BM25_BASELINE] = BM25ItemKNN()
        methods[ALS_BASELINE] = ImplicitALS(random_state=params.random_state)
    if with_ease:
        methods[EASE_BASELINE] = EASE()
    if with_seed:
        methods[SEED_DESIGN] = SeedDesign(random_state=params.random_state)
    return methods, name


def run_evaluation(
    settings: Settings, *, with_ease: bool = False, with_seed: bool = False,
    with_implicit: bool | None = None, progress: ProgressCallback | None = None,
) -> EvaluationResult:
    """The current model's method (or the default, without a model) beside the baselines on
    the configured warehouse, and its clusters as saved.

    Without a model the features and clusters are trained in memory, as
    ``artist_listener_train`` would, and not saved; ``with_seed`` also judges the seed's
    Bayesian mixture on the same features.
    """
    started = time.perf_counter()
    store = ModelStore(settings.model_dir)
    version = store.current_version()
    model: Model | None = store.load(version) if version else None
    params = model_params(model.manifest) if model else TrainingParams.from_settings(settings)
    params.check()
    methods, default = evaluation_methods(params, from_model=model is not None, with_ease=with_ease,
                                          with_seed=with_seed, with_implicit=with_implicit)
    step = StepProgress(progress, {"read": 1.0, "methods": 2.0 * len(methods),
                                   "clusters": 8.0 if with_seed else 1.0})

    step("read", 0.0, "reading listens, tags and charts")
    with open_warehouse(settings) as warehouse:
        warehouse.check_contract()
        data = load_evaluation_data(warehouse, params.batch_rows)
        if model is None:
            step("read", 0.5, "training features and clusters in memory (no model saved yet)")
            model = train(warehouse, params)
    if data.streams.nnz == 0 or data.n_artists < 3:
        raise InsightsError("too few listens to evaluate: the listens table has fewer than 3 "
                            "artists with streams")
    step("read", 1.0)

    table = evaluate_methods(methods, data, DEFAULT_PROTOCOL,
                             progress=lambda message, fraction: step("methods", fraction, message))
    used = str(params.clustering)
    # the model's own clustering first; with_seed compares k-means and the seed's mixture
    clusterings = tuple(dict.fromkeys([used, "kmeans", "seed-mixture"])) if with_seed else (used,)
    clusters = model_cluster_quality(
        model, clusterings=clusterings,
        progress=lambda message, fraction: step("clusters", fraction, message))

    meta = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "model_version": version,
        "warehouse": settings.source_description,
        "params": dataclasses.asdict(params),
        "protocol": dataclasses.asdict(DEFAULT_PROTOCOL),
        "data": {"artists": data.n_artists, "listeners": int(data.streams.shape[1]),
                 "listens": int(data.streams.nnz), "artists_with_chart_data": len(data.country_rows),
                 "artists_with_tag": int(sum(g is not None for g in data.genres)),
                 "model_artists": len(model.artists)},
        "options": {"with_ease": with_ease, "with_seed": with_seed,
                    "with_implicit": BM25_BASELINE in methods},
        "elapsed_s": round(time.perf_counter() - started, 2),
    }
    return EvaluationResult(table, clusters, default, meta)


# -- storage -------------------------------------------------------------------------------------


def _clean(value: Any) -> Any:
    """JSON-safe: NaN -> None (JSON has no NaN), numpy scalars -> Python numbers."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 6)
    return value


def _frame_records(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    return {str(index): {str(k): _clean(v) for k, v in row.items()} for index, row in frame.iterrows()}


def to_json(result: EvaluationResult) -> dict[str, Any]:
    """``{"meta", "default_method", "methods": {name: {metric: v}}, "clusters": {...}}``."""
    return {"meta": result.meta, "default_method": result.default_method,
            "methods": _frame_records(result.methods), "clusters": _frame_records(result.clusters)}


def from_json(payload: dict[str, Any]) -> EvaluationResult:
    """The inverse of ``to_json``; ``InsightsError`` for a file this version cannot read."""
    try:
        methods = pd.DataFrame.from_dict(payload["methods"], orient="index").astype(float)
        clusters = pd.DataFrame.from_dict(payload["clusters"], orient="index").astype(float)
        default = str(payload["default_method"])
        meta = dict(payload.get("meta", {}))
    except (KeyError, TypeError, ValueError) as exc:
        raise InsightsError(f"the stored evaluation cannot be read ({exc}); run it again") from None
    methods.index.name, clusters.index.name = "method", "clustering"
    return EvaluationResult(methods, clusters, default, meta)


def _replace(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and an atomic
    rename, so a reader (the dashboard) never sees a half-written file."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_evaluation(result: EvaluationResult, directory: str | Path) -> list[Path]:
    """``evaluation.json`` (everything) and ``evaluation.csv`` (the methods table) in
    ``directory``; nothing else in the folder is touched."""
    folder = Path(directory)
    if not folder.is_dir():
        raise InsightsError(f"cannot write the evaluation: {folder} is not a folder (was the "
                            "model version removed by a newer training?)")
    json_path, csv_path = folder / EVALUATION_JSON, folder / EVALUATION_CSV
    _replace(csv_path, result.methods.to_csv(float_format="%.4f"))
    _replace(json_path, json.dumps(to_json(result), indent=2, ensure_ascii=False) + "\n")
    return [json_path, csv_path]


def read_evaluation(directory: str | Path) -> EvaluationResult | None:
    """The stored evaluation of a model folder, or None when it has not been run."""
    path = Path(directory) / EVALUATION_JSON
    if not path.exists():
        return None
    try:
        payload = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise InsightsError(f"{path} cannot be read ({exc}); run the evaluation again") from None
    return from_json(payload)


def evaluate_and_store(
    settings: Settings, *, out: str | Path | None = None, version: str | None = None,
    with_ease: bool = False, with_seed: bool = False, progress: ProgressCallback | None = None,
) -> tuple[EvaluationResult, list[Path]]:
    """``run_evaluation`` under the evaluation lock, stored where it belongs: the CLI and the
    Model quality page call this, so neither can store a table beside a model it did not judge.

    Parameters
    ----------
    out
        A folder to write to instead of the model's (locked on its own, not checked against
        any model).
    version
        The model folder to store into (the one a page shows); default the current model. A
        retrain while evaluating makes the judged model a different one: an ``InsightsError``.
    """
    if out is not None:
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        lock, expected = folder / LOCK_FILE, None
    else:
        expected = version or ModelStore(settings.model_dir).current_version()
        if expected is None:
            raise InsightsError(
                f"no trained model in {settings.model_dir} to store the evaluation with; "
                "run artist_listener_train first, or pass --out DIR")
        folder, lock = settings.model_dir / expected, settings.model_dir / LOCK_FILE
    with exclusive(lock, "an evaluation of this model"):
        result = run_evaluation(settings, with_ease=with_ease, with_seed=with_seed, progress=progress)
        if expected is not None and result.meta.get("model_version") != expected:
            raise InsightsError("a new model was trained while evaluating; evaluate the new model")
        return result, write_evaluation(result, folder)


# -- text and chart data -----------------------------------------------------------------------------


def method_role(name: str, default: str) -> str:
    """How a row is drawn: the model's method, a no-similarity baseline, or another method."""
    if name == default:
        return "this model" if default.startswith("this model") else "product default"
    return "baseline" if name in BASELINES else "other method"


def data_judged(result: EvaluationResult) -> str:
    """What the evaluation ran on and how long it took, as the CLI and the page both say it."""
    data = result.meta.get("data", {})
    return (f"{data.get('artists', 0):,} artists, {data.get('listeners', 0):,} listeners, "
            f"{data.get('listens', 0):,} listens, {data.get('artists_with_chart_data', 0):,} "
            f"artists with chart data ({float(result.meta.get('elapsed_s', 0)):.0f} s)")


def format_evaluation(result: EvaluationResult) -> str:
    """The console table: methods x metrics (the default marked ``*``), then cluster quality."""
    table = result.methods.reindex(columns=list(TABLE_COLUMNS)).copy()
    table.index = [("* " if m == result.default_method else "  ") + m for m in table.index]
    lines = [
        f"evaluated {result.meta.get('model_version') or 'the default (no model saved yet)'} on "
        f"{result.meta.get('warehouse', '?')}: {data_judged(result)}",
        "",
    ]
    with pd.option_context("display.width", 250, "display.max_columns", 30,
                           "display.max_colwidth", 80):
        lines.append(table.round(3).to_string(na_rep="—"))
        marked = ("the current model's method" if result.meta.get("model_version")
                  else "the product default (no model saved yet)")
        lines += ["", f"marked *: {marked}; fit_s: seconds to fit on all listens; "
                  "geography baselines use no similarity; _se: standard error of the mean",
                  "", "cluster quality (silhouette: cosine, on a fixed sample of ≤ 3000 artists)"]
        clusters = result.clusters.copy()
        for column in ("clusters", "size_min", "size_max", "tagged_artists"):
            if column in clusters:
                clusters[column] = clusters[column].astype("Int64")
        lines.append(clusters.round(3).to_string(na_rep="—"))
    return "\n".join(lines)


def metric_frame(result: EvaluationResult, metric: str) -> pd.DataFrame:
    """One metric as (method, value, role) rows, best first, methods without a value left out
    (the geography baselines have no listen or tag score)."""
    values = result.methods[metric].dropna() if metric in result.methods else pd.Series(dtype=float)
    frame = pd.DataFrame({"method": values.index.astype(str), "value": values.to_numpy(float)})
    frame["role"] = [method_role(m, result.default_method) for m in frame["method"]]
    # the default's full name (all its parameters) would squeeze every bar: the axis says
    # "this model", the tooltip and the page's summary line give the full name
    frame["label"] = [r if m == result.default_method else m
                      for m, r in zip(frame["method"], frame["role"], strict=True)]
    return frame.sort_values(["value", "method"], ascending=[False, True], ignore_index=True)


def headline(result: EvaluationResult) -> pd.DataFrame:
    """Per metric: the model's value and the best other row's (method or baseline), so a page
    can say "0.182, +0.012 over the next best" without the reader scanning the table.

    Columns: metric, label, value, best_other, best_other_value (NaN where nothing compares).
    """
    rows = []
    for metric, (label, _) in METRICS.items():
        values = result.methods[metric].dropna() if metric in result.methods else pd.Series(dtype=float)
        own = values.get(result.default_method, np.nan)
        others = values.drop(index=result.default_method, errors="ignore")
        best = others.idxmax() if len(others) else None
        rows.append({"metric": metric, "label": label, "value": float(own),
                     "best_other": best, "best_other_value": float(others.max()) if best else np.nan})
    return pd.DataFrame(rows, columns=["metric", "label", "value", "best_other", "best_other_value"])


#: labels of the extra chart the page draws beside the metrics
FIT_SECONDS = ("Fit seconds", "Seconds to fit on all listens on the machine that ran the "
               "evaluation; lower is faster. Popularity and random need no fitting.")
#: every chart the page draws, in order: the metrics, then fit seconds
CHARTED: dict[str, tuple[str, str]] = {**METRICS, "fit_s": FIT_SECONDS}
