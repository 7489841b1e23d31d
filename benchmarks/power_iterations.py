"""Power iterations: how much the default similarity's top 10 moves with fewer SVD passes.

    .venv/bin/python benchmarks/power_iterations.py var/warehouse.duckdb [0,1,2]

Trains the product's default model (in memory) at each number of power iterations with random
states 0 and 1 and prints the seconds, the mean top-10 overlap between the two seeds (the
stability of the answers) and the overlap with the default's answers at seed 0. Pushed down the
SVD reads the listens 2·N + 3 times, so this is what ``--power-iterations`` trades for time.
Findings: benchmarks/README.md, *Power iterations*.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.evaluation.metrics import neighbour_overlap
from core.training import TrainingParams, train
from core.training.factorization import N_ITER
from core.warehouse.duckdb import DuckDBWarehouse


def main(db: str, iterations: list[int]) -> None:
    warehouse = DuckDBWarehouse(db)
    lists: dict[tuple[int, int], np.ndarray] = {}
    iterations = sorted(set(iterations) | {N_ITER})
    for n in iterations:
        for seed in (0, 1):
            start = time.perf_counter()
            model = train(warehouse, TrainingParams(mode="memory", power_iterations=n,
                                                    random_state=seed))
            lists[n, seed] = model.neighbour_idx
            print(f"trained power_iterations={n} seed={seed} in "
                  f"{time.perf_counter() - start:.1f} s", flush=True)
    print(f"\npower_iterations  passes pushed down  top-10 overlap seed 0 vs 1  "
          f"overlap with default ({N_ITER}, seed 0)")
    for n in iterations:
        print(f"{n:>16}  {2 * n + 3:>19}  {neighbour_overlap(lists[n, 0], lists[n, 1]):>26.3f}  "
              f"{neighbour_overlap(lists[n, 0], lists[N_ITER, 0]):>33.3f}")


if __name__ == "__main__":
    main(sys.argv[1], [int(n) for n in (sys.argv[2] if len(sys.argv) > 2 else "0,1,2").split(",")])
