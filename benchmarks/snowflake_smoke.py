"""Smoke test against a real Snowflake account (run by hand; never in CI).

    WAREHOUSE=snowflake SNOWFLAKE_CONNECTION_NAME=dev .venv/bin/python benchmarks/snowflake_smoke.py
    .venv/bin/python benchmarks/snowflake_smoke.py --artists 300 --keep   # leave the schema

With the ``SNOWFLAKE_*`` settings (any sign-in the README lists), it:

1. creates a scratch schema ``ALI_SMOKE_<random>`` in ``SNOWFLAKE_DATABASE`` and uses it;
2. loads a small sample of the bundled demo data (the listeners of the first ``--artists``
   artists) into the three source tables, through the product's bulk load;
3. trains pushed down into Snowflake, and the same sample pushed down into an embedded DuckDB;
4. uploads the Snowflake model's result tables (bulk load + atomic replace);
5. compares the answers: the same artists, singular values, and how much of each artist's top
   10 the two engines share (they differ only by the hash behind the random test matrix);
6. drops the scratch schema (unless ``--keep``), and prints each step with its time.

Needs USAGE on the database, CREATE SCHEMA on it, and a warehouse. Costs a few seconds of an
X-Small warehouse.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import pandas as pd

from core.config import PROJECT_ROOT, Settings
from core.model import Model
from core.model_history import compare
from core.tables import ARTIST_GENRES, COUNTRY_STREAMS, USER_ARTIST_STREAMS
from core.training import TrainingParams, train
from core.upload import GEOGRAPHIC_TABLE, SIMILARITY_TABLE, UploadOptions, publish
from core.warehouse.duckdb import DuckDBWarehouse, build_from_parquet

DEMO = PROJECT_ROOT / "data" / "demo"


@dataclass
class Log:
    """Each step, what it did and how long it took; printed as it goes."""

    steps: list[tuple[str, float, str]] = field(default_factory=list)
    out: Callable[[str], None] = print

    @contextmanager
    def step(self, name: str) -> Iterator[list[str]]:
        notes: list[str] = []
        started = time.perf_counter()
        try:
            yield notes
        finally:
            seconds = time.perf_counter() - started
            self.steps.append((name, seconds, "; ".join(notes)))
            self.out(f"{name:<34} {seconds:8.2f} s  {'; '.join(notes)}")


def sample_tables(artists: int, source: DuckDBWarehouse) -> dict[str, pd.DataFrame]:
    """The listeners of the ``artists`` most-streamed artists, and those artists' other rows."""
    listens = source.read_table(USER_ARTIST_STREAMS.name)
    top = (listens.groupby("artistnum")["total_streams"].sum()
           .sort_values(ascending=False).index[:artists])
    kept = listens[listens["artistnum"].isin(top)]
    names = set(kept["artistname"])
    genres = source.read_table(ARTIST_GENRES.name)
    country = source.read_table(COUNTRY_STREAMS.name)
    return {
        USER_ARTIST_STREAMS.name: kept.reset_index(drop=True),
        ARTIST_GENRES.name: genres[genres["artistname"].isin(names)].reset_index(drop=True),
        COUNTRY_STREAMS.name: country[country["artistnum"].isin(top)].reset_index(drop=True),
    }


def agreement(snow: Model, duck: Model) -> dict[str, Any]:
    """How far two models of the same data agree (artists, variance, top-10 lists)."""
    same_artists = set(snow.artists["artistnum"]) == set(duck.artists["artistnum"])
    diff = compare(duck, snow, top_n=10)
    return {
        "same artists": same_artists,
        "explained variance": (round(float(snow.manifest.get("explained_variance", np.nan)), 4),
                               round(float(duck.manifest.get("explained_variance", np.nan)), 4)),
        "top-10 overlap": round(diff.mean_overlap, 4),
    }


def run(warehouse: Any, database: str | None, artists: int = 200, keep: bool = False,
        log: Log | None = None, params: TrainingParams | None = None) -> dict[str, Any]:
    """Every step on an open ``SnowparkWarehouse``; returns the comparison."""
    log = log or Log()
    params = params or TrainingParams(mode="pushdown")
    session = warehouse.session
    schema = f"ALI_SMOKE_{uuid.uuid4().hex[:8].upper()}"
    qualified = f"{database}.{schema}" if database else schema
    with tempfile.TemporaryDirectory() as scratch:
        with log.step("demo sample (DuckDB)") as notes:
            duck = DuckDBWarehouse(Path(scratch) / "demo.duckdb")
            build_from_parquet(DEMO, duck.path)
            tables = sample_tables(artists, duck)
            sample = DuckDBWarehouse(Path(scratch) / "sample.duckdb")
            for name, frame in tables.items():
                sample.write_table(name, frame)
            notes.append(", ".join(f"{k} {len(v):,} rows" for k, v in tables.items()))
        previous = session.get_current_schema()
        with log.step("create scratch schema") as notes:
            session.sql(f"CREATE SCHEMA {qualified}").collect()
            session.use_schema(qualified)
            notes.append(qualified)
        try:
            with log.step("load sample into Snowflake") as notes:
                for name, frame in tables.items():
                    warehouse.write_table(name, frame)
                notes.append("bulk load (PUT + COPY INTO)")
            with log.step("train pushed down (Snowflake)") as notes:
                snow_model = train(warehouse, params)
                notes.append(f"{len(snow_model.artists):,} artists")
            with log.step("train pushed down (DuckDB)") as notes:
                duck_model = train(sample, params)
                notes.append(f"{len(duck_model.artists):,} artists")
            with log.step("upload results (Snowflake)") as notes, \
                    tempfile.TemporaryDirectory() as models:
                warehouse.check_write_privileges([SIMILARITY_TABLE, GEOGRAPHIC_TABLE])
                result = publish("snowflake", Settings(model_dir=Path(models)), snow_model,
                                 warehouse=warehouse, options=UploadOptions())
                back = warehouse.row_count(SIMILARITY_TABLE)
                notes.append(", ".join(f"{k} {v:,}" for k, v in result.counts.items()))
                if back != result.counts[SIMILARITY_TABLE]:
                    raise RuntimeError(f"{SIMILARITY_TABLE} holds {back} rows, expected "
                                       f"{result.counts[SIMILARITY_TABLE]}")
            with log.step("compare with DuckDB") as notes:
                answers = agreement(snow_model, duck_model)
                notes.append(", ".join(f"{k} {v}" for k, v in answers.items()))
        finally:
            if not keep:
                with log.step("drop scratch schema") as notes:
                    session.sql(f"DROP SCHEMA IF EXISTS {qualified} CASCADE").collect()
                    notes.append(qualified)
            if previous:
                session.use_schema(previous)
    return answers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--artists", type=int, default=200, help="artists in the sample")
    parser.add_argument("--keep", action="store_true", help="do not drop the scratch schema")
    args = parser.parse_args(argv)
    from core.warehouse.snowflake import SnowparkWarehouse

    settings = Settings.from_env()
    warehouse = SnowparkWarehouse.from_settings(settings)
    try:
        database = warehouse.session.get_current_database()
        answers = run(warehouse, database, args.artists, args.keep)
    finally:
        warehouse.close()
    print("result:", answers)
    return 0 if answers["same artists"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
