"""``python -m core.cli.warehouse build-demo``: the embedded warehouse from the bundled demo data."""

from __future__ import annotations

import argparse

from core.cli.common import run
from core.config import Settings
from core.warehouse.duckdb import build_from_parquet


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.cli.warehouse", description=__doc__)
    parser.add_argument("command", choices=["build-demo"])
    parser.add_argument("--source", help="folder of the demo Parquet files (default data/demo)")
    parser.add_argument("--out", help="DuckDB file to write (default DUCKDB_PATH)")
    args = parser.parse_args(argv)

    def build() -> int:
        settings = Settings.from_env()
        source = args.source or settings.demo_data_dir
        out = args.out or settings.duckdb_path
        counts = build_from_parquet(source, out)
        print(f"built {out}")
        for table, n in counts.items():
            print(f"  {table}: {n:,} rows")
        return 0

    return run(build)


if __name__ == "__main__":
    raise SystemExit(main())
