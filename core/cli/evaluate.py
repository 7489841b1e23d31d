"""``artist_listener_evaluate``: how good is the current model's similarity, measured?

Runs the evaluation harness (``core.evaluation``) on the configured warehouse for the method
the current model uses, beside the baselines, plus the quality of its clusters; prints one
table and stores it next to the model as ``evaluation.json`` / ``evaluation.csv`` (the
dashboard's "Model quality" page shows that file). About a minute on the demo data.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from core.cli.common import ProgressBar, run
from core.config import Settings
from core.evaluation.report import evaluate_and_store, format_evaluation, to_json


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="artist_listener_evaluate", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, metavar="DIR",
                   help="write evaluation.json and evaluation.csv to DIR "
                        "(default: the current model's folder)")
    parser.add_argument("--with-ease", action="store_true",
                   help="also run EASE (a dense artists x artists inverse: memory grows with the "
                        "square of the number of artists)")
    parser.add_argument("--with-seed", action="store_true",
                   help="also run the seed design and the seed's Bayesian mixture clustering "
                        "(about 3 minutes more on the demo)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--json", action="store_true", help="print the stored JSON instead of the table")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)

    def go() -> int:
        bar = None if args.quiet else ProgressBar()
        try:
            result, paths = evaluate_and_store(Settings.from_env(), out=args.out,
                                               with_ease=args.with_ease, with_seed=args.with_seed,
                                               progress=bar)
        finally:
            if bar:
                bar.close()
        print(json.dumps(to_json(result), indent=2, ensure_ascii=False) if args.json
              else format_evaluation(result))
        for path in paths:
            print(f"wrote {path}", file=sys.stderr)
        return 0

    return run(go)


if __name__ == "__main__":
    raise SystemExit(main())
