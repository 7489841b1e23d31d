"""``artist_listener_train``: learn listener features from the configured warehouse."""

from __future__ import annotations

import argparse
import json
import sys

from core.cli.common import ProgressBar, run
from core.config import Settings
from core.model import ModelStore
from core.training import TrainingParams, train_and_save
from core.training.factorization import N_ITER
from core.training.mode import MODES
from core.training.pipeline import CLUSTERINGS, SIMILARITIES
from core.training.summary import format_manifest


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="artist_listener_train", description=__doc__)
    parser.add_argument("--features", type=int, help="number of listener features (NUM_FEATURES)")
    parser.add_argument("--clusters", type=int, help="number of artist clusters (NUM_CLUSTERS)")
    parser.add_argument("--min-listeners", type=int, help="leave out artists with fewer listeners")
    parser.add_argument("--top-k", type=int, help="similar artists kept per artist (TOP_K)")
    parser.add_argument("--listener-cap", type=int,
                   help="a listener's most-streamed artists that count for co-listening, 0 for "
                        "all (LISTENER_CAP, default 500)")
    parser.add_argument("--power-iterations", type=int,
                   help=f"the SVD's power iterations (default {N_ITER}; fewer passes over a huge table, "
                        "at some cost in neighbour stability)")
    parser.add_argument("--clustering", choices=sorted(CLUSTERINGS), help="clustering method")
    parser.add_argument("--similarity", choices=SIMILARITIES,
                   help="similar-artist method: hybrid (default, chosen by benchmarks/quality.py) "
                        "or cosine of listener features")
    parser.add_argument("--mode", choices=MODES,
                   help="train in this process (memory), inside the warehouse (pushdown: memory "
                        "independent of table size), or choose by row count (auto, default)")
    parser.add_argument("--seed", type=int, help="random state (RANDOM_STATE)")
    parser.add_argument("--if-missing", action="store_true", help="do nothing when a model exists")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--json", action="store_true", help="print the manifest as JSON")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)

    def go() -> int:
        settings = Settings.from_env()
        store = ModelStore(settings.model_dir)
        for path in store.clean_litter():
            print(f"removed {path.name}, left by an interrupted training", file=sys.stderr)
        if args.if_missing and store.current_version():
            print(f"model {store.current_version()} exists in {settings.model_dir}; not retraining")
            return 0
        params = TrainingParams.from_settings(
            settings, num_features=args.features, num_clusters=args.clusters,
            min_listeners=args.min_listeners, top_k=args.top_k, clustering=args.clustering,
            similarity=args.similarity, listener_cap=args.listener_cap,
            random_state=args.seed, mode=args.mode, power_iterations=args.power_iterations,
        )
        bar = None if args.quiet else ProgressBar()
        try:
            _, model = train_and_save(settings, params, bar)
        finally:
            if bar:
                bar.close()
        print(json.dumps(model.manifest, indent=2) if args.json else format_manifest(model.manifest))
        return 0

    return run(go)


if __name__ == "__main__":
    raise SystemExit(main())
