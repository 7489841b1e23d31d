"""Similarity quality benchmark: every method through the same protocol, one table.

Run by hand (it is not part of the test suite; the seed design alone takes ~90 s)::

    .venv/bin/pip install -r benchmarks/requirements-bench.txt
    .venv/bin/python benchmarks/quality.py [--skip-seed] [--explore] [--out var/benchmarks/quality]

The protocol (held-out listens, tag agreement, geography) is described in
``core/evaluation/harness.py``. The table is printed next to the product owner's reference
numbers, so a drift in either shows up at once.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.config import Settings
from core.evaluation import evaluate_methods, load_evaluation_data, write_report
from core.evaluation.methods import (
    SEED_DESIGN,
    BM25ItemKNN,
    HybridSimilarity,
    PushedDownHybrid,
    RP3beta,
    SimilarityMethod,
    exploration_methods,
    reference_methods,
)
from core.evaluation.split import holdout_split
from core.evaluation.tuning import tuning_set, tuning_table
from core.training import TrainingParams
from core.warehouse.duckdb import DuckDBWarehouse

#: measured by the product owner on 2 cores with this protocol: recall@10, nDCG@10, tag@10, geo
REFERENCE: dict[str, tuple[float | None, ...]] = {
    SEED_DESIGN: (0.123, 0.152, 0.185, 0.480),
    "log1p, SVD(128), cosine": (0.090, 0.109, 0.222, 0.522),
    "implicit ALS(64), BM25": (0.137, 0.158, 0.213, 0.515),
    "BM25 item-kNN (K1=100, B=0.8)": (0.150, 0.180, 0.270, 0.530),
    "RP3beta (α=1, β=0.25)": (0.176, 0.214, 0.274, 0.530),
    "EASE (λ=100, artists ≥ 2 listeners)": (0.180, 0.219, 0.252, 0.514),
    "popularity": (0.071, 0.080, None, None),
    # the reference's "popularity / mean-share baseline" row: its geography number is this one's
    "mean-share baseline": (None, None, None, 0.259),
}
SHOWN = ["recall@10", "ndcg@10", "tag@10", "geo_ndcg@10", "geo_spearman", "geo_no_peers", "fit_s",
         "neighbours_s"]


def with_reference(report: pd.DataFrame) -> pd.DataFrame:
    """The report's main columns plus ``ref`` columns for the methods the reference measured."""
    table = report[[c for c in SHOWN if c in report.columns]].copy()
    for i, column in enumerate(("recall@10", "ndcg@10", "tag@10", "geo_ndcg@10")):
        table[f"ref {column}"] = [
            REFERENCE[m][i] if m in REFERENCE else None for m in table.index
        ]
    return table


PUSHED_DOWN = "the same default, pushed down (SVD and co-listening in DuckDB)"


def tuning_grid(has_implicit: bool) -> dict[str, SimilarityMethod]:
    """The grid the default's parameters were chosen from (inner split and dev artists only):
    the previous default, the SVD's input and size, the weight of the feature cosine, the walk's
    popularity penalty and the audience prior, and a few neighbours of the chosen point."""
    grid: dict[str, SimilarityMethod] = {"RP3beta (β=0.25)": RP3beta()}
    if has_implicit:
        grid["BM25 item-kNN"] = BM25ItemKNN()
    previous = {"beta": 0.2, "svd_weight": 1.0, "listener_prior": 0.0, "n_components": 64,
                "normalize_listeners": False}
    grid["previous default (log1p SVD(64), β=0.2, svd=1.0, no prior)"] = HybridSimilarity(
        **previous)
    grid["previous + listener-normalized SVD input"] = HybridSimilarity(
        **{**previous, "normalize_listeners": True})
    for prior in (0.0, 0.5, 1.0, 2.0):
        for beta in (0.2, 0.3):
            for svd_weight in (1.0, 2.0, 3.0):
                grid[f"normalized SVD(128) prior={prior} β={beta} svd={svd_weight}"] = (
                    HybridSimilarity(listener_prior=prior, beta=beta, svd_weight=svd_weight))
    for name, extra in {"SVD(64)": {"n_components": 64},
                        "log1p SVD input": {"normalize_listeners": False},
                        "β=0.25": {"beta": 0.25}, "β=0.4": {"beta": 0.4},
                        "bm25=0.6": {"bm25_weight": 0.6}, "shrinkage=1": {"shrinkage": 1.0},
                        "200 candidates": {"n_candidates": 200}}.items():
        grid[f"default, {name}"] = HybridSimilarity(**extra)
    return grid


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, default=Settings().duckdb_path,
                        help="DuckDB warehouse file (default: the demo warehouse)")
    parser.add_argument("--skip-seed", action="store_true", help="skip the ~90 s seed design")
    parser.add_argument("--explore", action="store_true",
                        help="also run the hybrid's ablations and variants")
    parser.add_argument("--tune", action="store_true",
                        help="print the tuning table (inner split, dev artists) instead")
    parser.add_argument("--only", default="",
                        help="comma-separated substrings: run only methods whose name contains one")
    parser.add_argument("--out", type=Path, default=None,
                        help="write the report as OUT.csv and OUT.json")
    args = parser.parse_args(argv)

    has_implicit = importlib.util.find_spec("implicit") is not None
    if not has_implicit:
        print("implicit is not installed: skipping ALS and BM25 item-kNN "
              "(pip install -r benchmarks/requirements-bench.txt)", file=sys.stderr)
    methods = reference_methods(include_seed=not args.skip_seed, include_implicit=has_implicit)
    methods[PUSHED_DOWN] = PushedDownHybrid(**TrainingParams().similarity_method().get_params())
    if args.explore:
        methods.update(exploration_methods())
    if args.only:
        wanted = [w.strip().lower() for w in args.only.split(",") if w.strip()]
        methods = {n: m for n, m in methods.items() if any(w in n.lower() for w in wanted)}

    data = load_evaluation_data(DuckDBWarehouse(args.warehouse))
    print(f"{data.n_artists:,} artists, {data.streams.shape[1]:,} listeners, "
          f"{data.streams.nnz:,} listens; {len(data.country_rows)} artists with chart data",
          file=sys.stderr)
    if args.tune:
        tuning = tuning_set(data, holdout_split(data.streams))
        table = tuning_table(tuning_grid(has_implicit), data, tuning, log=True)
        print(table.drop(columns="holdout_fit_s").round(4).to_string())
        return 0
    report = evaluate_methods(methods, data, log=True)
    with pd.option_context("display.width", 250, "display.max_columns", 30,
                           "display.max_colwidth", 60):
        print(with_reference(report).round(3).to_string(na_rep="—"))
    if args.out:
        for path in write_report(report, args.out):
            print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
