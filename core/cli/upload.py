"""``artist_listener_upload duckdb|snowflake|neo4j|neo4j-export``: publish the model's results.

  duckdb        ARTIST_SIMILARITY and ARTIST_GEOGRAPHIC_RECOMMENDATIONS in the DuckDB warehouse
  snowflake     the same two tables in Snowflake (SNOWFLAKE_* settings)
  neo4j         the similarity graph in neo4j (NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD)
  neo4j-export  the graph as neo4j-admin CSV files and a cypher-shell script (--out DIR)

Every upload can be repeated (tables are replaced, graph writes are MERGEs) and interrupted
(the previous tables stay whole; the next graph upload removes what an interrupted one left).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.cli.common import ProgressBar, run
from core.config import Settings
from core.errors import InsightsError
from core.graph.upload import DEFAULT_BATCH_SIZE
from core.model import ModelStore
from core.upload import TARGETS, UploadOptions, UploadResult, publish
from core.upload.tables import DEFAULT_MARKETS, DEFAULT_SIMILAR


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="artist_listener_upload", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("target", choices=TARGETS)
    parser.add_argument("--top-n", type=int, metavar="N",
                   help=f"answers per artist (default {DEFAULT_SIMILAR} similar artists, "
                        f"{DEFAULT_MARKETS} top markets and {DEFAULT_MARKETS} recommendations)")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, metavar="N",
                   help=f"rows per neo4j statement (default {DEFAULT_BATCH_SIZE})")
    parser.add_argument("--out", type=Path, metavar="DIR",
                   help="neo4j-export: folder for the files (default var/neo4j-export)")
    parser.add_argument("--model-version", help="a model version other than the current one")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def format_result(result: UploadResult) -> str:
    width = max((len(name) for name in result.counts), default=0)
    lines = [f"model {result.model_version} -> {result.destination} "
             f"({result.target}, {result.seconds:.1f} s)"]
    lines += [f"  {name:<{width}}  {count:>12,}" for name, count in result.counts.items()]
    if result.files:
        lines.append("files: " + ", ".join(path.name for path in result.files))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)

    def go() -> int:
        if args.out is not None and args.target != "neo4j-export":
            raise InsightsError("--out is only for neo4j-export")
        settings = Settings.from_env()
        options = UploadOptions(top_n=args.top_n, batch_size=args.batch_size, out_dir=args.out)
        options.check()
        model = ModelStore(settings.model_dir).load(args.model_version)
        for warning in model.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        bar = None if args.quiet else ProgressBar(stream=sys.stderr)  # the current stderr
        try:
            result = publish(args.target, settings, model, bar, options=options)
        finally:
            if bar:
                bar.close()
        print(format_result(result))
        return 0

    return run(go, f"{args.target} upload failed")


if __name__ == "__main__":
    raise SystemExit(main())
