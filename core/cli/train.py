"""``artist_listener_train``: learn listener features from the configured warehouse."""

from __future__ import annotations

import argparse
import json
import sys

from core.cli.common import ProgressBar, run
from core.config import Settings
from core.model import ModelStore
from core.training import TrainingParams, train_and_save
from core.training.pipeline import CLUSTERINGS, SIMILARITIES


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="artist_listener_train", description=__doc__)
    p.add_argument("--features", type=int, help="number of listener features (NUM_FEATURES)")
    p.add_argument("--clusters", type=int, help="number of artist clusters (NUM_CLUSTERS)")
    p.add_argument("--min-listeners", type=int, help="leave out artists with fewer listeners")
    p.add_argument("--top-k", type=int, help="similar artists kept per artist (TOP_K)")
    p.add_argument("--listener-cap", type=int,
                   help="a listener's most-streamed artists that count for co-listening, 0 for "
                        "all (LISTENER_CAP, default 500)")
    p.add_argument("--clustering", choices=sorted(CLUSTERINGS), help="clustering method")
    p.add_argument("--similarity", choices=SIMILARITIES,
                   help="similar-artist method: hybrid (default, chosen by benchmarks/quality.py) "
                        "or cosine of listener features")
    p.add_argument("--mode", choices=["auto", "memory", "pushdown"],
                   help="train in this process (memory), inside the warehouse (pushdown: memory "
                        "independent of table size), or choose by row count (auto, default)")
    p.add_argument("--seed", type=int, help="random state (RANDOM_STATE)")
    p.add_argument("--if-missing", action="store_true", help="do nothing when a model exists")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print the manifest as JSON")
    return p


def format_report(manifest: dict) -> str:
    c, t = manifest["counts"], manifest["timings_seconds"]
    rows = [
        ("rows read", c["rows_total"]),
        ("dropped: NULL or non-numeric streams", c["rows_null_streams"]),
        ("dropped: NaN or infinite streams", c.get("rows_nonfinite_streams", 0)),
        ("dropped: zero or negative streams", c["rows_nonpositive_streams"]),
        ("dropped: unknown ids", c["rows_unknown_ids"]),
        ("merged duplicate (listener, artist) rows", c["rows_duplicate"]),
        ("(listener, artist) pairs", c["pairs"]),
        ("listeners", c["users"]),
        ("artists seen", c["artists_total"]),
        (f"artists left out (< {manifest['params']['min_listeners']} listeners)",
         c["artists_excluded_min_listeners"]),
        ("artists in model", c["artists"]),
        ("artists with market data", c["artists_with_market_data"]),
        ("artists with a genre", c["artists_with_genre"]),
        ("market rows of unknown or left-out artists", c["market_rows_unknown_artist"]),
        ("market rows dropped (streams, id or NULL name)", c.get("country_rows_unusable", 0)),
        ("market rows without a country or store name", c.get("country_rows_blank_name", 0)),
        ("country spellings merged (case, white space)", c.get("country_spellings_merged", 0)),
        ("genre rows merged (same artist name)", c.get("genre_rows_duplicate", 0)),
        ("artist names with conflicting genres", c.get("genre_names_conflicting", 0)),
    ]
    if manifest.get("mode") == "pushdown":
        rows += [("bytes fetched from the warehouse", c.get("bytes_fetched", 0)),
                 ("  of which similar-artist candidates", c.get("bytes_fetched_similarity", 0)),
                 ("co-listening join rows", c.get("co_listening_join_rows", 0))]
    width = max(len(label) for label, _ in rows)
    lines = [f"model {manifest['version']} trained on {manifest['warehouse']}"]
    lines += [f"  {label:<{width}}  {value:>12,}" for label, value in rows]
    lines.append(
        f"features {manifest['num_features']}, explained variance {manifest['explained_variance']:.1%}"
    )
    steps = manifest.get("steps", {})
    where = "in the warehouse (pushdown)" if manifest.get("mode") == "pushdown" else "in memory"
    lines.append(f"trained {where}; similarity: {steps.get('similarity', '?')}")
    lines.append("seconds per step: " + ", ".join(f"{k} {v:.2f}" for k, v in t.items())
                 + f" (total {sum(t.values()):.2f})")
    return "\n".join(lines)


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
            random_state=args.seed, mode=args.mode,
        )
        bar = None if args.quiet else ProgressBar()
        try:
            _, model = train_and_save(settings, params, bar)
        finally:
            if bar:
                bar.close()
        print(json.dumps(model.manifest, indent=2) if args.json else format_report(model.manifest))
        return 0

    return run(go)


if __name__ == "__main__":
    raise SystemExit(main())
