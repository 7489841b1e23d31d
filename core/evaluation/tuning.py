"""Tuning without peeking: parameters are chosen on data the final report never judges on.

* Listens: an inner hold-out split of the outer *train* matrix (same rule, another seed), so
  the outer test listens are never seen while choosing.
* Tags and geography have no "test listens"; there, methods are fitted on the outer train
  matrix and judged on a fixed random half of the eligible artists (the "dev" half). The final
  report uses every artist, and ``dev_and_rest`` shows whether the other half agrees.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.evaluation.data import EvaluationData
from core.evaluation.harness import (
    DEFAULT_PROTOCOL,
    Protocol,
    fit_on_all,
    geo_predictions,
    holdout_metrics,
    tag_rows,
)
from core.evaluation.methods import SimilarityMethod
from core.evaluation.metrics import coverage, geo_scores, tag_agreement
from core.evaluation.split import HoldoutSplit, holdout_split


@dataclass
class TuningSet:
    """The inner split plus the dev halves of tag and chart artists."""

    outer: HoldoutSplit
    inner: HoldoutSplit
    tag_dev: np.ndarray  # artist rows
    tag_rest: np.ndarray
    geo_dev: np.ndarray  # positions in data.country_rows
    geo_rest: np.ndarray


def tuning_set(data: EvaluationData, outer: HoldoutSplit, protocol: Protocol = DEFAULT_PROTOCOL) -> TuningSet:
    """Inner split with seed ``random_state + 1``; dev halves drawn with ``random_state + 2``."""
    inner = holdout_split(outer.train, protocol.test_fraction, protocol.min_user_artists,
                          protocol.random_state + 1)
    rng = np.random.default_rng(protocol.random_state + 2)
    tags = tag_rows(data, protocol)
    tag_pick = rng.random(len(tags)) < 0.5
    geo_pick = rng.random(len(data.country_rows)) < 0.5
    return TuningSet(outer, inner, tags[tag_pick], tags[~tag_pick],
                     np.flatnonzero(geo_pick), np.flatnonzero(~geo_pick))


def tuning_metrics(
    method: SimilarityMethod,
    data: EvaluationData,
    tuning: TuningSet,
    protocol: Protocol = DEFAULT_PROTOCOL,
    halves: tuple[str, ...] = ("dev",),
) -> dict[str, float]:
    """Inner-split recall/nDCG, and tag/geo of a fit on the outer train matrix, per half."""
    out = holdout_metrics(method, tuning.inner, protocol)
    fitted = fit_on_all(method, data, tuning.outer.train)
    modelled = np.flatnonzero(data.listeners >= protocol.coverage_min_listeners)
    lists = np.full((data.n_artists, protocol.k), -1, np.int64)
    lists[modelled] = fitted.similar(protocol.k, rows=modelled)[0]
    out["coverage@10"] = coverage(lists, modelled, protocol.k)
    for half in halves:
        tag_set = tuning.tag_dev if half == "dev" else tuning.tag_rest
        geo_set = tuning.geo_dev if half == "dev" else tuning.geo_rest
        idx = np.full((data.n_artists, protocol.k), -1, np.int32)
        idx[tag_set] = fitted.similar(protocol.k, rows=tag_set)[0]
        out[f"tag@10_{half}"] = tag_agreement(idx, data.genres, tag_set, protocol.k)
        predicted, _, _ = geo_predictions(fitted, data, protocol, judged=geo_set)
        out[f"geo_ndcg@10_{half}"] = geo_scores(predicted, data.country_shares[geo_set], protocol.k)[0]
    return out


def tuning_table(
    methods: dict[str, SimilarityMethod],
    data: EvaluationData,
    tuning: TuningSet,
    protocol: Protocol = DEFAULT_PROTOCOL,
    log: bool = False,
) -> pd.DataFrame:
    """``tuning_metrics`` for each candidate, one row each."""
    rows = {}
    for name, method in methods.items():
        rows[name] = tuning_metrics(method, data, tuning, protocol)
        if log:
            print(f"{name}: " + ", ".join(f"{k}={v:.4f}" for k, v in rows[name].items()), flush=True)
    return pd.DataFrame.from_dict(rows, orient="index")
