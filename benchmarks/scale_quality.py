"""Quality at scale (generated data): do the methods find the planted listener communities?

The quality harness (``benchmarks/quality.py``) needs real tags and charts, so it runs on the
demo only. On generated data the truth is known instead: every artist was drawn from one of 40
planted communities (``generate_data.py``), so a similar-artist list is better the more of it
shares the artist's community. For each method: precision@10 (share of the top-10 neighbours
in the artist's own community, chance 1/40) over every artist, and wall seconds: for ours the
whole training (warehouse read to model), for ``implicit`` weighting + ALS + neighbour search
(its read is left out, so the comparison favours it).

* ``hybrid``  - the product default, trained by ``core.training.train`` (mode memory);
* ``cosine``  - ``--similarity cosine`` (cosine of the log1p-SVD features);
* ``hybrid-capN`` / ``hybrid-nocap`` - the default with ``LISTENER_CAP=N`` / without the cap
  (choosing the cap on heavy-tailed generated data, ``gen-10M-heavy``);
* ``pushdown`` - the warehouse-pushed-down training (DuckDB; the same hybrid similarity);
* ``implicit`` - ``implicit`` ALS (64 factors, 15 iterations, BM25 K1=100 B=0.8), neighbours by
  the cosine of its item factors (what ``implicit``'s ``similar_items`` ranks by).

Usage::

    .venv/bin/python benchmarks/scale_quality.py --sizes 1M,10M [--methods hybrid,cosine,implicit]
    .venv/bin/python benchmarks/scale_quality.py --sizes 10M-heavy \
        --methods hybrid-cap100,hybrid-cap200,hybrid,hybrid-cap1000,hybrid-nocap --tag cap

Prints one table; writes ``benchmarks/results/scale_quality[-TAG].{txt,csv,png}``.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path

import numpy as np

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from core.training import TrainingParams, train  # noqa: E402
from core.training.similarity import FeatureCosine  # noqa: E402
from core.warehouse.duckdb import DuckDBWarehouse  # noqa: E402

RESULTS = PROJECT_ROOT / "benchmarks" / "results"
DATA = PROJECT_ROOT / "var" / "bench"
K = 10


def precision_at_k(community: np.ndarray, artist_ids: np.ndarray, neighbours: np.ndarray) -> float:
    """Share of each artist's top-K neighbours in its planted community, averaged."""
    own = community[artist_ids]
    top = neighbours[:, :K]
    valid = top >= 0
    same = (community[artist_ids[np.maximum(top, 0)]] == own[:, None]) & valid
    return float(same.sum() / max(valid.sum(), 1))


def ours(db: Path, **params: str) -> tuple[np.ndarray, np.ndarray, float]:
    start = time.perf_counter()
    model = train(DuckDBWarehouse(db), TrainingParams(**params))
    seconds = time.perf_counter() - start
    return model.artists["artistnum"].to_numpy(), model.neighbour_idx, seconds


def implicit_als(db: Path) -> tuple[np.ndarray, np.ndarray, float]:
    """The harness's ``ImplicitALS`` (BM25, ALS with BLAS on one thread as implicit asks,
    normalized item factors), neighbours by the same cosine search as ours."""
    from core.evaluation.methods import ImplicitALS
    from core.training.matrix import build_listen_matrix

    listens = build_listen_matrix(DuckDBWarehouse(db).iter_listens())
    listens = listens.keep_artists(listens.listeners >= 2)
    start = time.perf_counter()
    factors = ImplicitALS().fit(listens.streams).features_
    idx, _ = FeatureCosine().fit(None, features=factors).similar(K)
    return listens.artist_ids, idx, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="1M,10M")
    p.add_argument("--methods", default="hybrid,cosine,pushdown,implicit")
    p.add_argument("--data", type=Path, default=DATA)
    p.add_argument("--tag", default="")
    args = p.parse_args(argv)
    runs = {
        "hybrid": lambda db: ours(db, mode="memory"),
        "cosine": lambda db: ours(db, mode="memory", similarity="cosine"),
        "pushdown": lambda db: ours(db, mode="pushdown"),
        "implicit": implicit_als,
    }
    rows = []
    header = (f"generated data; precision@{K} of the planted community (chance 1/40); "
              f"load {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(header, flush=True)
    for size in args.sizes.split(","):
        folder = args.data / f"gen-{size}"
        community = np.load(folder / "communities.npy")
        for method in args.methods.split(","):
            if method.startswith("hybrid-cap") or method == "hybrid-nocap":
                cap = 0 if method == "hybrid-nocap" else int(method[len("hybrid-cap"):])
                ids, idx, seconds = ours(folder / "warehouse.duckdb", mode="memory",
                                         listener_cap=cap)
            else:
                ids, idx, seconds = runs[method](folder / "warehouse.duckdb")
            score = precision_at_k(community, ids, idx)
            rows.append((size, method, len(ids), score, seconds))
            print(f"{size:>5} {method:<9} artists {len(ids):>7,}  precision@{K} {score:.3f}  "
                  f"{seconds:7.1f} s", flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "scale_quality" + (f"-{args.tag}" if args.tag else "")
    with open(RESULTS / f"{name}.csv", "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["data", "size", "method", "artists", f"precision_at_{K}", "seconds"])
        out.writerows(("generated", *row) for row in rows)
    lines = [header, f"{'size':>5} {'method':<9} {'artists':>8} {'precision@10':>12} {'seconds':>8}"]
    lines += [f"{s:>5} {m:<9} {n:>8,} {p:>12.3f} {t:>8.1f}" for s, m, n, p, t in rows]
    (RESULTS / f"{name}.txt").write_text("\n".join(lines) + "\n")
    plot(rows, header, RESULTS / f"{name}.png")
    print("\n".join(lines))
    return 0


def plot(rows: list[tuple], title: str, path: Path) -> None:
    """Precision against seconds, one point per (size, method)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2))
    for method in dict.fromkeys(r[1] for r in rows):
        mine = [r for r in rows if r[1] == method]
        ax.plot([r[4] for r in mine], [r[3] for r in mine], "o-", label=method)
        for size, _, _, score, seconds in mine:
            ax.annotate(size, (seconds, score), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.set_xscale("log")
    ax.set_xlabel("wall seconds (generated data)")
    ax.set_ylabel(f"precision@{K} of the planted community")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    raise SystemExit(main())
