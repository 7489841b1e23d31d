"""The upload service: where a model's results can go (``targets``) and sending them there
(``publish``), under one lock per model folder so two uploads never run at once.

A ``neo4j-export`` first removes the ``.*.partial`` files an interrupted export left. The lock
lives in the system's temporary folder, so uploading needs only read access to the models.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from core.config import NEO4J_REQUIRED, Settings
from core.errors import ConfigError
from core.graph.upload import DEFAULT_BATCH_SIZE, CypherRunner
from core.litter import remove
from core.locking import exclusive
from core.model import Model
from core.progress import ProgressCallback, no_progress
from core.upload.tables import (
    DEFAULT_MARKETS,
    DEFAULT_SIMILAR,
    GEOGRAPHIC_TABLE,
    SIMILARITY_TABLE,
)
from core.warehouse import open_warehouse
from core.warehouse.base import Warehouse

TARGETS = ("duckdb", "snowflake", "neo4j", "neo4j-export")
#: what an export killed mid-write leaves in its folder (``core.graph.export``)
EXPORT_LITTER = (".*." + "[0-9a-f]" * 32 + ".partial",)


@dataclass(frozen=True)
class TargetStatus:
    """One destination as the dashboard lists it; holds no secret."""

    name: str
    label: str
    configured: bool
    missing: list[str]
    description: str


@dataclass(frozen=True)
class UploadOptions:
    """How much to upload and in what pieces.

    ``top_n`` (when given) sets both the similar artists per artist and the territories per
    list (top markets, recommendations); by default 10 and 5, as the CLI's answers.
    """

    top_n: int | None = None
    batch_size: int = DEFAULT_BATCH_SIZE
    out_dir: Path | None = None

    @property
    def similar_n(self) -> int:
        return self.top_n if self.top_n is not None else DEFAULT_SIMILAR

    @property
    def markets_n(self) -> int:
        return self.top_n if self.top_n is not None else DEFAULT_MARKETS

    def check(self) -> None:
        if self.top_n is not None and self.top_n < 1:
            raise ConfigError("top-n must be at least 1")
        if self.batch_size < 1:
            raise ConfigError("batch size must be at least 1")


@dataclass(frozen=True)
class UploadResult:
    """What an upload wrote: rows per table, nodes per label and relationships per type, or
    files; where to (no secret) and how long it took."""

    target: str
    destination: str
    counts: dict[str, int]
    seconds: float
    model_version: str
    files: list[Path] = field(default_factory=list)


def default_export_dir(settings: Settings) -> Path:
    """Where ``neo4j-export`` writes when no folder is given: beside the model folder."""
    return settings.model_dir.parent / "neo4j-export"


def upload_lock(settings: Settings) -> Path:
    """The uploads' lock file: one per model folder, outside it (the models may be read-only)."""
    key = hashlib.sha256(str(Path(settings.model_dir).resolve()).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"artist-listener-insights-upload-{key}.lock"


def default_target(settings: Settings) -> str:
    """The dashboard's preselected target: Snowflake when configured, else embedded DuckDB."""
    return "snowflake" if _snowflake_missing(settings) == [] else "duckdb"


def _snowflake_missing(settings: Settings) -> list[str]:
    """Settings still needed for Snowflake; none inside Snowflake (the app's own session)."""
    from core.warehouse import active_session
    from core.warehouse.snowflake_auth import missing_settings

    return [] if active_session.enabled() else missing_settings(settings)


def targets(settings: Settings) -> list[TargetStatus]:
    """Every target, whether it is ready, and which settings it still needs."""
    from core.graph.driver import describe as describe_neo4j

    sf_missing = _snowflake_missing(settings)
    neo_missing = settings.missing(NEO4J_REQUIRED)
    where = (f"{settings.snowflake_account}/{settings.snowflake_database}.{settings.snowflake_schema}"
             if settings.snowflake_account else settings.source_description.removeprefix("Snowflake "))
    snowflake = (
        f"tables {SIMILARITY_TABLE} and {GEOGRAPHIC_TABLE} in Snowflake {where}"
        if not sf_missing else "Snowflake tables; set " + ", ".join(sf_missing)
    )
    neo4j = (
        f"the similarity graph in {describe_neo4j(settings)}"
        if not neo_missing else "the similarity graph in neo4j; set " + ", ".join(neo_missing)
    )
    return [
        TargetStatus("duckdb", "DuckDB (embedded)", True, [],
                     f"tables {SIMILARITY_TABLE} and {GEOGRAPHIC_TABLE} in {settings.duckdb_path}"),
        TargetStatus("snowflake", "Snowflake", not sf_missing, sf_missing, snowflake),
        TargetStatus("neo4j", "neo4j", not neo_missing, neo_missing, neo4j),
        TargetStatus("neo4j-export", "neo4j import files", True, [],
                     "CSV files for neo4j-admin and a cypher-shell script "
                     f"(in {default_export_dir(settings)}, or as a zip download)"),
    ]


def neo4j_export_zip(model: Model, options: UploadOptions | None = None) -> bytes:
    """The graph's import files as one zip (for a download button); needs no server."""
    from core.graph import export_zip, graph_data

    options = options or UploadOptions()
    options.check()
    return export_zip(graph_data(model, options.similar_n), options.batch_size)


def publish(
    target: str,
    settings: Settings,
    model: Model,
    progress: ProgressCallback | None = None,
    *,
    options: UploadOptions | None = None,
    warehouse: Warehouse | None = None,
    runner: CypherRunner | None = None,
) -> UploadResult:
    """Upload ``model``'s results to ``target`` under the upload lock.

    ``warehouse`` (duckdb, snowflake) or ``runner`` (neo4j; any ``CypherRunner``) replace the
    connection made from ``settings``; tests and the benchmark pass their own.
    """
    if target not in TARGETS:
        raise ConfigError(f"unknown upload target {target!r}; choose one of {', '.join(TARGETS)}")
    options = options or UploadOptions()
    options.check()
    progress = progress or no_progress
    started = time.perf_counter()
    with exclusive(upload_lock(settings), "an upload"):
        destination, counts, files = _dispatch(target, settings, model, progress, options,
                                               warehouse, runner)
    return UploadResult(target, destination, counts, time.perf_counter() - started,
                        model.version, files)


def _dispatch(target: str, settings: Settings, model: Model, progress: ProgressCallback,
              options: UploadOptions, warehouse: Warehouse | None, runner: CypherRunner | None
              ) -> tuple[str, dict[str, int], list[Path]]:
    if target in ("duckdb", "snowflake"):
        from core.upload.warehouse import upload_tables

        own = warehouse is None
        if own:
            warehouse = _open_warehouse(target, settings)
        assert warehouse is not None
        try:
            counts = upload_tables(warehouse, model, similar_n=options.similar_n,
                                   markets_n=options.markets_n, progress=progress)
            return warehouse.description, counts, []
        finally:
            if own:
                warehouse.close()

    from core.graph import export_files, graph_data, upload_graph

    if target == "neo4j-export":
        progress("building the graph", 0.0)
        graph = graph_data(model, options.similar_n)
        out = Path(options.out_dir) if options.out_dir else default_export_dir(settings)
        remove(out, EXPORT_LITTER)  # under the upload lock: no export is writing there now
        files = export_files(graph, out, options.batch_size)
        progress("files written", 1.0)
        return str(out), graph.counts(), files

    if runner is not None:
        graph = graph_data(model, options.similar_n)
        uploaded = upload_graph(runner, graph, batch_size=options.batch_size, progress=progress)
        return type(runner).__name__, uploaded.counts, []
    from core.graph.driver import connect, describe

    with connect(settings) as neo4j_runner:  # settings and server checked before any work
        progress("building the graph", 0.0)
        graph = graph_data(model, options.similar_n)
        uploaded = upload_graph(neo4j_runner, graph, batch_size=options.batch_size, progress=progress)
    return describe(settings), uploaded.counts, []


def _open_warehouse(target: str, settings: Settings) -> Warehouse:
    """The warehouse ``target`` names, opened as ``core.warehouse.open_warehouse`` opens it."""
    warehouse = open_warehouse(replace(settings, warehouse=target))
    if target == "snowflake":
        try:  # a missing grant fails here, before any table is built
            warehouse.check_write_privileges([SIMILARITY_TABLE, GEOGRAPHIC_TABLE])
        except BaseException:
            warehouse.close()
            raise
    return warehouse
