"""Upload speed per target, for the demo model and a generated 100,000-artist model.

    .venv/bin/python benchmarks/upload.py                      # demo + generated 100,000
    .venv/bin/python benchmarks/upload.py --artists 20000 --targets duckdb,export

Targets:
  tables     building both result tables in memory (no I/O), the part every warehouse shares
  duckdb     both tables into a fresh DuckDB file (core.upload.publish, the real path)
  falkordb   the neo4j upload's Cypher on embedded FalkorDB (stand-in for a neo4j server)
  export     neo4j-admin CSV files + cypher-shell script (core.upload.publish "neo4j-export")
  snowflake  both tables through Snowpark local testing (in-process emulator), and through a
             fakesnow server (the real bulk-load path: Parquet, PUT, COPY INTO) for a small
             generated model only: fakesnow's speed says nothing about real Snowflake

The "generated" model is built directly as a Model (testkit.generated): random but
well-formed, 20 neighbours and 10 market peers per artist, 20% of artists with market data.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.config import Settings
from core.graph import graph_data, upload_graph
from core.model import Model, ModelStore
from core.upload import UploadOptions, publish
from core.upload.tables import result_tables
from testkit.generated import generated_model

ALL_TARGETS = ("tables", "duckdb", "falkordb", "export", "snowflake")


def _timed(fn: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


@contextlib.contextmanager
def _local_session() -> Iterator[object]:
    from snowflake.snowpark import Session

    session = Session.builder.config("local_testing", True).create()
    try:
        yield session
    finally:
        session.close()


@contextlib.contextmanager
def _fakesnow_session() -> Iterator[object]:
    import logging

    import fakesnow
    from snowflake.snowpark import Session

    logging.getLogger("uvicorn").setLevel(logging.WARNING)
    logging.getLogger("fakesnow").setLevel(logging.WARNING)
    with fakesnow.server() as kwargs:
        params = {**kwargs["session_parameters"], "FAKESNOW_DB_PATH": ":isolated:"}
        session = Session.builder.configs(
            {**kwargs, "database": "BENCH", "schema": "PUBLIC", "session_parameters": params}
        ).create()
        try:
            yield session
        finally:
            with contextlib.suppress(Exception):  # fakesnow lacks SYSTEM$CANCEL_ALL_QUERIES
                session.close()


Row = tuple[str, str, int, str, float]


def bench_model(label: str, model: Model, targets: tuple[str, ...], work: Path) -> list[Row]:
    """(model, target, artists, what was written, seconds) rows."""
    rows: list[tuple[str, str, int, str, float]] = []
    n = len(model.artists)
    settings = Settings(duckdb_path=work / f"{label}.duckdb", model_dir=work / "models")
    options = UploadOptions()

    if "tables" in targets:
        seconds, tables = _timed(lambda: result_tables(model))
        sizes = ", ".join(f"{len(f):,}" for f in tables.values())  # type: ignore[union-attr]
        rows.append((label, "tables (in memory)", n, f"{sizes} rows", seconds))
        seconds, graph = _timed(lambda: graph_data(model))
        rows.append((label, "graph rows (in memory)", n,
                     f"{sum(graph.counts().values()):,} nodes+rels", seconds))  # type: ignore[union-attr]

    if "duckdb" in targets:
        seconds, result = _timed(lambda: publish("duckdb", settings, model, options=options))
        rows.append((label, "duckdb", n, _rows(result), seconds))
        seconds, result = _timed(lambda: publish("duckdb", settings, model, options=options))
        rows.append((label, "duckdb (replace)", n, _rows(result), seconds))

    if "export" in targets:
        out = work / f"{label}-export"
        seconds, result = _timed(lambda: publish("neo4j-export", settings, model,
                                                 options=UploadOptions(out_dir=out)))
        size = sum(p.stat().st_size for p in result.files) / 1e6  # type: ignore[union-attr]
        rows.append((label, "neo4j-export files", n, f"{_entities(result)}, {size:,.0f} MB", seconds))

    if "falkordb" in targets:
        from testkit.falkordb import open_falkordb

        graph = graph_data(model)
        with open_falkordb(work / f"{label}.falkordb") as runner:
            seconds, report = _timed(lambda: upload_graph(runner, graph))
            rows.append((label, "falkordb (neo4j Cypher)", n,
                         f"{sum(report.counts.values()):,} nodes+rels", seconds))  # type: ignore[union-attr]
            seconds, report = _timed(lambda: upload_graph(runner, graph))
            rows.append((label, "falkordb (re-upload)", n,
                         f"{sum(report.counts.values()):,} nodes+rels", seconds))  # type: ignore[union-attr]

    if "snowflake" in targets:
        from core.warehouse.snowflake import SnowparkWarehouse

        with _local_session() as session:
            warehouse = SnowparkWarehouse(session)  # type: ignore[arg-type]
            seconds, result = _timed(lambda: publish("snowflake", settings, model, warehouse=warehouse))
            rows.append((label, "snowflake (local testing)", n, _rows(result), seconds))
    return rows


def bench_fakesnow(artists: int, work: Path) -> list[tuple[str, str, int, str, float]]:
    """Once per run: fakesnow's server can be started once per process."""
    from core.warehouse.snowflake import SnowparkWarehouse

    model = generated_model(artists, seed=1)
    settings = Settings(model_dir=work / "models")
    with _fakesnow_session() as session:
        warehouse = SnowparkWarehouse(session)  # type: ignore[arg-type]
        seconds, result = _timed(lambda: publish("snowflake", settings, model, warehouse=warehouse))
    return [(f"generated {artists:,}", "snowflake (fakesnow server)", artists, _rows(result), seconds)]


def _rows(result: object) -> str:
    return f"{sum(result.counts.values()):,} rows"  # type: ignore[attr-defined]


def _entities(result: object) -> str:
    return f"{sum(result.counts.values()):,} nodes+rels"  # type: ignore[attr-defined]


def print_table(rows: list[tuple[str, str, int, str, float]]) -> None:
    headers = ("model", "target", "artists", "written", "seconds")
    cells = [(m, t, f"{a:,}", w, f"{s:,.2f}") for m, t, a, w, s in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line)
    print("-" * len(line))
    for c in cells:
        print("  ".join(v.rjust(w) if i >= 2 and i != 3 else v.ljust(w)
                        for i, (v, w) in enumerate(zip(c, widths, strict=True))))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--artists", type=int, default=100_000, help="size of the generated model")
    p.add_argument("--targets", default=",".join(ALL_TARGETS))
    p.add_argument("--generated-targets", default=None,
                   help="targets for the generated model (default: the same as --targets)")
    p.add_argument("--fakesnow-artists", type=int, default=300)
    p.add_argument("--no-demo", action="store_true")
    args = p.parse_args()
    targets = tuple(t for t in args.targets.split(",") if t)
    generated_targets = tuple(t for t in (args.generated_targets or args.targets).split(",") if t)
    unknown = set(targets + generated_targets) - set(ALL_TARGETS)
    if unknown:
        p.error(f"unknown targets: {', '.join(sorted(unknown))}")

    rows: list[tuple[str, str, int, str, float]] = []
    with tempfile.TemporaryDirectory(prefix="upload-bench-") as tmp:
        work = Path(tmp)
        if not args.no_demo:
            demo = ModelStore(Settings.from_env().model_dir).load()
            rows += bench_model("demo", demo, targets, work)
            print_table(rows)
            print(flush=True)
        if args.artists:
            seconds, model = _timed(lambda: generated_model(args.artists, seed=0))
            label = f"generated {args.artists:,}"
            rows.append((label, "building the generated model", args.artists, "", seconds))
            rows += bench_model(label, model, generated_targets, work)  # type: ignore[arg-type]
        if "snowflake" in targets + generated_targets and args.fakesnow_artists:
            rows += bench_fakesnow(args.fakesnow_artists, work)
    print_table(rows)


if __name__ == "__main__":
    main()
