"""Run every similarity method through the same three checks and collect one table.

1. Held-out listens (fit on the train split): recall@10 and nDCG@10 of "sum of similarities
   from the listener's train artists".
2. Tag agreement@10 (fit on all data): how often an artist's top-10 share its top tag.
3. Geography (fit on all data): predict each charting artist's country shares from its 10
   most similar charting artists and compare with the real shares (nDCG@10, Spearman).

Every method gets fresh clones, the same split and the same seeds, so differences in the table
are differences between methods and nothing else.
"""

from __future__ import annotations

import inspect
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import clone

from core.evaluation.data import EvaluationData
from core.evaluation.methods import SimilarityMethod
from core.evaluation.metrics import (
    coverage,
    geo_ndcgs,
    geo_scores,
    leave_one_out_mean,
    ndcg_at_k,
    predict_shares,
    recall_at_k,
    recommend,
    standard_error,
    tag_agreements,
)
from core.evaluation.split import HoldoutSplit, holdout_split
from core.progress import ProgressCallback, no_progress

COLUMNS = ("recall@10", "ndcg@10", "tag@10", "geo_ndcg@10", "coverage@10", "geo_spearman",
           "geo_ndcg@10_abs", "geo_no_peers", "recall@10_se", "ndcg@10_se", "tag@10_se",
           "geo_ndcg@10_se", "coverage@10_se", "fit_s", "neighbours_s", "holdout_fit_s")


@dataclass(frozen=True)
class Protocol:
    """The fixed protocol; change it only for all methods at once."""

    test_fraction: float = 0.2
    min_user_artists: int = 5
    list_length: int = 50
    k: int = 10
    tag_min_listeners: int = 5
    #: coverage counts the artists training models by default (MIN_LISTENERS)
    coverage_min_listeners: int = 2
    geo_peers: int = 10
    random_state: int = 0


DEFAULT_PROTOCOL = Protocol()


def holdout_metrics(
    method: SimilarityMethod, split: HoldoutSplit, protocol: Protocol = DEFAULT_PROTOCOL
) -> dict[str, float]:
    """Fit on the train split; mean recall@k and nDCG@k over listeners with hidden artists."""
    start = time.perf_counter()
    fitted = clone(method).fit(split.train)
    fit_s = time.perf_counter() - start
    idx, sim = fitted.similar(protocol.list_length)
    recs = recommend(split.train.T.tocsr(), idx, sim, split.users, protocol.k)
    recall = [recall_at_k(r, split.test_items(u), protocol.k) for u, r in zip(split.users, recs,
                                                                              strict=True)]
    ndcg = [ndcg_at_k(r, split.test_items(u), protocol.k) for u, r in zip(split.users, recs,
                                                                          strict=True)]
    return {"recall@10": float(np.mean(recall)), "ndcg@10": float(np.mean(ndcg)),
            "recall@10_se": standard_error(recall), "ndcg@10_se": standard_error(ndcg),
            "holdout_fit_s": fit_s}


def tag_rows(data: EvaluationData, protocol: Protocol = DEFAULT_PROTOCOL) -> np.ndarray:
    """Artists judged on tags: enough listeners for a stable list, and a top tag to compare."""
    has_tag = np.array([g is not None for g in data.genres])
    return np.flatnonzero((data.listeners >= protocol.tag_min_listeners) & has_tag)


def geo_predictions(
    fitted: SimilarityMethod,
    data: EvaluationData,
    protocol: Protocol = DEFAULT_PROTOCOL,
    judged: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Predicted shares (similarity-weighted) and the seed's absolute-stream average, per
    charting artist, from its ``geo_peers`` most similar charting artists.

    Peers are searched among all charting artists, as the product's map does, so a method is
    not punished for neighbours that simply have no chart data. An artist with no peer at all
    gets the mean-share prediction; how many did is returned third. ``judged`` (positions in
    ``data.country_rows``) limits the artists predicted, for tuning on a subset.
    """
    rows = data.country_rows
    judged = np.arange(len(rows)) if judged is None else np.asarray(judged)
    idx, sim = fitted.similar(protocol.geo_peers, rows=rows[judged], candidates=rows)
    position = np.full(data.n_artists, -1, np.int64)
    position[rows] = np.arange(len(rows))
    peers = np.where(idx >= 0, position[np.maximum(idx, 0)], -1)
    predicted = predict_shares(peers, sim, data.country_shares)
    absolute = predict_shares(peers, np.where(peers >= 0, 1.0, 0.0), data.country_streams)
    no_peers = ~(peers >= 0).any(axis=1)
    predicted[no_peers] = leave_one_out_mean(data.country_shares)[judged][no_peers]
    absolute[no_peers] = leave_one_out_mean(data.country_streams)[judged][no_peers]
    return predicted, absolute, int(no_peers.sum())


def full_data_metrics(
    method: SimilarityMethod, data: EvaluationData, protocol: Protocol = DEFAULT_PROTOCOL
) -> dict[str, float]:
    """Fit on all listens; tag agreement, geography and the time a product training would take.

    Neighbour lists are computed only for the artists judged on tags (on the demo 2,818 of
    17,632: the rest have too few listeners or no tag), which gives the same score as listing
    everyone and saves most of a dense method's time; ``neighbours_s`` times those lists.
    """
    start = time.perf_counter()
    fitted = fit_on_all(method, data)
    fit_s = time.perf_counter() - start
    judged = tag_rows(data, protocol)
    start = time.perf_counter()
    idx = np.full((data.n_artists, protocol.k), -1, np.int64)
    if len(judged):
        idx[judged] = fitted.similar(protocol.k, rows=judged)[0]
    neighbours_s = time.perf_counter() - start
    tags = tag_agreements(idx, data.genres, judged, protocol.k)
    out: dict[str, float] = {"tag@10": float(np.mean(tags)) if len(tags) else float("nan"),
                             "tag@10_se": standard_error(tags), "fit_s": fit_s,
                             "neighbours_s": neighbours_s}
    modelled = np.flatnonzero(data.listeners >= protocol.coverage_min_listeners)
    lists = np.full((data.n_artists, protocol.k), -1, np.int64)
    if len(modelled):
        lists[modelled] = fitted.similar(protocol.k, rows=modelled)[0]
    reach = coverage(lists, modelled, protocol.k)
    out["coverage@10"] = reach
    out["coverage@10_se"] = float(np.sqrt(reach * (1 - reach) / max(len(modelled), 1)))
    if len(data.country_rows) > 1:
        predicted, absolute, no_peers = geo_predictions(fitted, data, protocol)
        ndcgs = geo_ndcgs(predicted, data.country_shares, protocol.k)
        _, rho = geo_scores(predicted, data.country_shares, protocol.k)
        ndcg_abs, _ = geo_scores(absolute, data.country_shares, protocol.k)
        out.update({"geo_ndcg@10": float(np.mean(ndcgs)), "geo_ndcg@10_se": standard_error(ndcgs),
                    "geo_spearman": rho, "geo_ndcg@10_abs": ndcg_abs,
                    "geo_no_peers": float(no_peers)})
    return out


def fit_on_all(method: SimilarityMethod, data: EvaluationData,
               streams: sp.spmatrix | None = None) -> SimilarityMethod:
    """A fresh clone fitted on all listens (or ``streams``); a method that keeps extra
    candidates among the artists with market data (the product's default does) is told which
    they are, as training tells it, so the map is judged on what the product serves."""
    fitted = clone(method)
    streams = data.streams if streams is None else streams
    if "market" in inspect.signature(fitted.fit).parameters:
        return fitted.fit(streams, market=data.country_rows)
    return fitted.fit(streams)


def geo_baselines(data: EvaluationData, protocol: Protocol = DEFAULT_PROTOCOL) -> pd.DataFrame:
    """Map predictions that use no similarity at all: the bar for the geography columns.

    "mean share" averages every other artist's share vector; "mean absolute streams" averages
    their raw streams, which is what the seed effectively did and why its maps all looked alike.
    """
    shares = data.country_shares
    rows = {}
    for name, values in (("mean-share baseline", shares),
                         ("mean-absolute-streams baseline", data.country_streams)):
        ndcg, rho = geo_scores(leave_one_out_mean(values), shares, protocol.k)
        rows[name] = {"geo_ndcg@10": ndcg, "geo_spearman": rho}
    return pd.DataFrame.from_dict(rows, orient="index")


def evaluate_methods(
    methods: Mapping[str, SimilarityMethod],
    data: EvaluationData,
    protocol: Protocol = DEFAULT_PROTOCOL,
    split: HoldoutSplit | None = None,
    baselines: bool = True,
    log: bool = False,
    progress: ProgressCallback | None = None,
) -> pd.DataFrame:
    """One row per method (plus the geography baselines), columns as in ``COLUMNS``.

    ``progress`` is told (what, fraction done) before each method's two fits, for the CLI's
    progress bar and the dashboard's ``st.progress``.
    """
    report_progress = progress or no_progress
    split = split or holdout_split(data.streams, protocol.test_fraction, protocol.min_user_artists,
                                   protocol.random_state)
    rows: dict[str, dict[str, float]] = {}
    steps = max(1, 2 * len(methods))
    for i, (name, method) in enumerate(methods.items()):
        report_progress(f"{name}: held-out listens", (2 * i) / steps)
        row = holdout_metrics(method, split, protocol)
        report_progress(f"{name}: tags and geography", (2 * i + 1) / steps)
        row.update(full_data_metrics(method, data, protocol))
        rows[name] = row
        if log:
            print(f"{name}: " + ", ".join(f"{k}={v:.3f}" for k, v in row.items()), flush=True)
    report_progress("methods done", 1.0)
    report = pd.DataFrame.from_dict(rows, orient="index")
    if baselines and len(data.country_rows) > 1:
        report = pd.concat([report, geo_baselines(data, protocol)])
    report = report.reindex(columns=[c for c in COLUMNS if c in report.columns])
    report.index.name = "method"
    return report


def write_report(report: pd.DataFrame, path: str | Path) -> list[Path]:
    """Write ``path`` with ``.csv`` and ``.json`` suffixes (JSON: ``{method: {metric: value}}``)."""
    base = Path(path)
    base.parent.mkdir(parents=True, exist_ok=True)
    csv_path, json_path = base.with_suffix(".csv"), base.with_suffix(".json")
    report.to_csv(csv_path, float_format="%.4f")
    records = {
        str(method): {k: (None if pd.isna(v) else round(float(v), 6)) for k, v in row.items()}
        for method, row in report.iterrows()
    }
    json_path.write_text(json.dumps(records, indent=2) + "\n")
    return [csv_path, json_path]
