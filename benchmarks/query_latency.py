"""How fast a question is answered from a 100,000-artist model (generated data).

* in process: ``core.insights.similar_artists`` and ``core.insights.market_table`` for 10,000
  random artists (asked by name, as a user does), p50/p99/max per call;
* cold start: ``artist_listener_insights similarity NAME`` as a fresh subprocess, from launch to
  answer (import, model load, answer, print), and what dominates it (``-X importtime`` and the
  model load timed on its own).

The model is trained once on ``var/bench/gen-10M`` (100,000 artists) and kept in
``var/bench/model-10M``; pass ``--model-dir`` to use another one.

Usage::

    .venv/bin/python benchmarks/query_latency.py [--queries 10000] [--cold 10]
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from core.insights import market_table, similar_artists  # noqa: E402
from core.model import Model, ModelStore  # noqa: E402

RESULTS = PROJECT_ROOT / "benchmarks" / "results"
TARGETS_MS = {"similar_artists": 1.0, "market_table": 10.0}
COLD_TARGET_S = 1.5
CLI = Path(sys.executable).parent / "artist_listener_insights"


def ensure_model(model_dir: Path, db: Path) -> None:
    """Train and save the benchmark model (the product's defaults, in memory) unless one is
    there already; only its size matters to query latency, so it is trained once and kept."""
    if ModelStore(model_dir).current_version():
        return
    print(f"training the benchmark model on {db} (once) ...", flush=True)
    from core.training import TrainingParams, train
    from core.warehouse.duckdb import DuckDBWarehouse

    ModelStore(model_dir).save(train(DuckDBWarehouse(db), TrainingParams(mode="memory")))


def percentiles(samples_ns: list[int]) -> dict[str, float]:
    ms = np.asarray(samples_ns) / 1e6
    return {"p50_ms": float(np.percentile(ms, 50)), "p99_ms": float(np.percentile(ms, 99)),
            "max_ms": float(ms.max()), "mean_ms": float(ms.mean())}


def in_process(model: Model, queries: int, seed: int = 0) -> dict[str, dict[str, float]]:
    rng = np.random.default_rng(seed)
    names = model.artists["artistname"].to_numpy()[rng.integers(0, len(model.artists), queries)]
    for name in names[:50]:  # warm caches (name index, pandas paths) as a running service has
        similar_artists(model, name)
        market_table(model, name)
    out = {}
    for label, fn in (("similar_artists", similar_artists), ("market_table", market_table)):
        samples = []
        for name in names:
            start = time.perf_counter_ns()
            fn(model, name)
            samples.append(time.perf_counter_ns() - start)
        out[label] = percentiles(samples)
    return out


def cold_start(model_dir: Path, name: str, runs: int) -> dict[str, object]:
    env = {**os.environ, "MODEL_DIR": str(model_dir), "PYTHONWARNINGS": "ignore"}
    walls = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run([str(CLI), "similarity", name, "--compact"], env=env,
                              capture_output=True, text=True)
        walls.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise RuntimeError(f"CLI failed: {done.stderr.strip()[-300:]}")
    # what dominates: imports (self-reported by -X importtime) and the model load
    imp = subprocess.run([sys.executable, "-X", "importtime", "-c", "import core.cli.insights"],
                         env=env, capture_output=True, text=True, cwd=PROJECT_ROOT).stderr
    cumulative: dict[str, int] = {}
    for line in imp.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", line)
        if m and len(m.group(2)) <= 3:  # top-level packages only
            cumulative[m.group(3)] = int(m.group(1))
    top = sorted(cumulative.items(), key=lambda kv: -kv[1])[:6]
    load = subprocess.run(
        [sys.executable, "-c",
         "import time,sys; from core.model import ModelStore; t=time.perf_counter(); "
         f"ModelStore({str(model_dir)!r}).load(); print(time.perf_counter()-t)"],
        env=env, capture_output=True, text=True, cwd=PROJECT_ROOT)
    return {"p50_s": statistics.median(walls), "min_s": min(walls), "max_s": max(walls),
            "imports_ms": {k: round(v / 1000) for k, v in top},
            "model_load_s": float(load.stdout.strip() or "nan")}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model-dir", type=Path, default=PROJECT_ROOT / "var" / "bench" / "model-10M")
    p.add_argument("--db", type=Path,
                   default=PROJECT_ROOT / "var" / "bench" / "gen-10M" / "warehouse.duckdb")
    p.add_argument("--queries", type=int, default=10_000)
    p.add_argument("--cold", type=int, default=10)
    args = p.parse_args(argv)
    ensure_model(args.model_dir, args.db)
    start = time.perf_counter()
    model = ModelStore(args.model_dir).load()
    load_s = time.perf_counter() - start
    warm = in_process(model, args.queries)
    name = str(model.artists["artistname"].iat[len(model.artists) // 2])
    cold = cold_start(args.model_dir, name, args.cold)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    lines = [
        f"generated data; model of {len(model.artists):,} artists (top {model.neighbour_idx.shape[1]} "
        f"neighbours, {model.manifest['params']['similarity']} similarity, "
        f"{len(model.markets):,} market rows); load {load}",
        f"model load in process: {load_s:.2f} s",
        f"{'query':<16} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}  target p99",
    ]
    for label, stats in warm.items():
        ok = stats["p99_ms"] <= TARGETS_MS[label]
        lines.append(f"{label:<16} {stats['p50_ms']:>8.3f} {stats['p99_ms']:>8.3f} "
                     f"{stats['max_ms']:>8.2f}  <= {TARGETS_MS[label]:g} ms: {'MET' if ok else 'MISSED'}")
    ok = cold["p50_s"] <= COLD_TARGET_S
    lines.append(f"CLI cold start to answer: p50 {cold['p50_s']:.2f} s (min {cold['min_s']:.2f}, "
                 f"max {cold['max_s']:.2f}) over {args.cold} runs; target <= {COLD_TARGET_S} s: "
                 f"{'MET' if ok else 'MISSED'}")
    lines.append(f"  of which model load {cold['model_load_s']:.2f} s; heaviest imports (ms, "
                 f"cumulative): {cold['imports_ms']}")
    text = "\n".join(lines)
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "query_latency.txt").write_text(text + "\n")
    with open(RESULTS / "query_latency.csv", "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["data", "query", "p50_ms", "p99_ms", "max_ms", "mean_ms"])
        for label, stats in warm.items():
            out.writerow(["generated", label, *(round(stats[k], 4) for k in
                                                ("p50_ms", "p99_ms", "max_ms", "mean_ms"))])
        out.writerow(["generated", "cli_cold_start", round(cold["p50_s"] * 1000, 1), "",
                      round(cold["max_s"] * 1000, 1), ""])
    _plot(warm, cold, RESULTS / "query_latency.png")
    return 0


def _plot(warm: dict[str, dict[str, float]], cold: dict[str, object], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.4))
    labels = [*warm, "CLI cold start"]
    p50 = [warm[k]["p50_ms"] for k in warm] + [float(cold["p50_s"]) * 1000]
    p99 = [warm[k]["p99_ms"] for k in warm] + [float(cold["max_s"]) * 1000]
    x = np.arange(len(labels))
    ax.bar(x - 0.2, p50, 0.4, label="p50")
    ax.bar(x + 0.2, p99, 0.4, label="p99 (CLI: max)")
    for i, target in enumerate([*TARGETS_MS.values(), COLD_TARGET_S * 1000]):
        ax.hlines(target, i - 0.45, i + 0.45, colors="red", linestyles="--", lw=1)
    ax.set_xticks(x, labels)
    ax.set_yscale("log")
    ax.set_ylabel("milliseconds (red: target)")
    ax.set_title("Query latency, 100,000-artist model — generated data", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    raise SystemExit(main())
