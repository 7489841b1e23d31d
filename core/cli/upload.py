"""``artist_listener_upload snowflake|neo4j|duckdb``: publish the model's insights."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="artist_listener_upload", description=__doc__)
    parser.add_argument("target", choices=["snowflake", "neo4j", "duckdb"])
    parser.parse_args(argv)
    print("error: uploads are not available in this version yet", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
