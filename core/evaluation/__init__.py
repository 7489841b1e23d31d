"""Offline evaluation of artist similarity: held-out listens, tag agreement and geography.

Used by ``benchmarks/quality.py``, ``artist_listener_evaluate`` and the dashboard's "Model
quality" page; training does not import it. The protocol is in ``harness``, the metric
definitions in ``metrics``, the methods in ``methods``, the no-peeking tuning helpers in
``tuning``, cluster quality in ``clusters``, and running, storing and showing one model's
evaluation in ``report``.
"""

from core.evaluation.data import EvaluationData, load_evaluation_data
from core.evaluation.harness import (
    DEFAULT_PROTOCOL,
    Protocol,
    evaluate_methods,
    geo_baselines,
    write_report,
)
from core.evaluation.methods import HybridSimilarity, SimilarityMethod, reference_methods
from core.evaluation.split import HoldoutSplit, holdout_split

__all__ = [
    "DEFAULT_PROTOCOL",
    "EvaluationData",
    "HoldoutSplit",
    "HybridSimilarity",
    "Protocol",
    "SimilarityMethod",
    "evaluate_methods",
    "geo_baselines",
    "holdout_split",
    "load_evaluation_data",
    "reference_methods",
    "write_report",
]
