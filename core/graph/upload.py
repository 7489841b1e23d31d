"""Write a model's graph through any Cypher "runner": the neo4j driver or embedded FalkorDB.

The uploader knows nothing about connections. It hands ``(cypher, params)`` pairs, always the
constants of ``core.graph.cypher``, to a runner; ``Neo4jRunner`` sends them with the driver's
managed transactions, ``FalkorDBRunner`` to an embedded FalkorDB in the tests and benchmarks.
One code path therefore drives both, and only constraint creation differs (in the runners).

Safe to repeat: every write is a ``MERGE`` on a unique key. Safe to interrupt: nothing is
deleted until every batch has been written; an interrupted upload leaves the previous graph
plus part of the new one, and the next complete upload removes what older uploads wrote
(``upload_id`` smaller than its own, found through an index).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from core.graph import cypher
from core.graph.cypher import UniqueConstraint, UploadIndex
from core.graph.data import GraphData
from core.progress import ProgressCallback, no_progress

DEFAULT_BATCH_SIZE = 5000

_id_lock = threading.Lock()
_previous_id = 0


def new_upload_id() -> int:
    """A fresh upload id: microseconds since 1970, and always larger than the previous one
    handed out by this process, so a later upload's id is larger and "older" is ``<``."""
    global _previous_id
    with _id_lock:
        _previous_id = max(time.time_ns() // 1000, _previous_id + 1)
        return _previous_id


class CypherRunner(Protocol):
    """Runs one parameterized Cypher statement in its own (retried) write transaction."""

    def run(self, query: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Execute ``query`` with ``params``; the result rows as dicts keyed by column."""
        ...

    def create_constraints(self, constraints: Sequence[UniqueConstraint]) -> None:
        """Make sure every constraint exists (idempotent) before any data is written."""
        ...

    def create_indexes(self, indexes: Sequence[UploadIndex]) -> None:
        """Make sure every ``upload_id`` index exists (idempotent) before any data is written."""
        ...


@dataclass(frozen=True)
class Step:
    """One kind of row (a node label or relationship type) and the statement that writes it."""

    name: str
    query: str
    rows: pd.DataFrame


def steps(graph: GraphData) -> list[Step]:
    """Nodes before the relationships that ``MATCH`` them."""
    return [
        Step("Cluster nodes", cypher.MERGE_CLUSTERS, graph.clusters),
        Step("Genre nodes", cypher.MERGE_GENRES, graph.genres),
        Step("Artist nodes", cypher.MERGE_ARTISTS, graph.artists),
        Step("IN relationships", cypher.MERGE_IN, graph.in_cluster),
        Step("HAS_GENRE relationships", cypher.MERGE_HAS_GENRE, graph.has_genre),
        Step("SIMILAR_TO relationships", cypher.MERGE_SIMILAR_TO, graph.similar_to),
    ]


def _native(value: Any) -> Any:
    """Plain Python values: drivers and literal writers know ``int``, not ``numpy.int64``."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, list | tuple | np.ndarray):
        return [_native(v) for v in value]
    return value


def batches(rows: pd.DataFrame, size: int) -> Iterator[list[dict[str, Any]]]:
    """Rows as lists of maps, ``size`` at a time (the ``$rows`` parameter of one statement)."""
    if size < 1:
        raise ValueError("batch size must be at least 1")
    columns = list(rows.columns)
    for start in range(0, len(rows), size):
        part = rows.iloc[start : start + size]
        values = zip(*(part[c].tolist() for c in columns), strict=True)
        yield [{c: _native(v) for c, v in zip(columns, row, strict=True)} for row in values]


def batch_count(graph: GraphData, size: int) -> int:
    return sum(-(-len(step.rows) // size) for step in steps(graph))


@dataclass
class GraphUploadReport:
    """What the database holds after the upload, and what it took."""

    upload_id: int
    counts: dict[str, int] = field(default_factory=dict)
    deleted: int = 0
    batches: int = 0
    seconds: float = 0.0


def upload_graph(
    runner: CypherRunner,
    graph: GraphData,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: ProgressCallback | None = None,
    upload_id: int | None = None,
) -> GraphUploadReport:
    """Constraints and indexes, then every batch of nodes and relationships, then stale data
    removed.

    ``progress`` is called after each batch with the share of batches done.
    """
    if batch_size < 1:
        raise ValueError("batch size must be at least 1")
    progress = progress or no_progress
    started = time.perf_counter()
    report = GraphUploadReport(new_upload_id() if upload_id is None else int(upload_id))
    common = {"model_version": graph.model_version, "upload_id": report.upload_id}
    # stale clean-up and the final counts count as a few batches' worth of work each
    total = batch_count(graph, batch_size) + len(cypher.DELETE_STALE) + 1

    progress("creating constraints and indexes", 0.0)
    runner.create_constraints(cypher.CONSTRAINTS)
    runner.create_indexes(cypher.INDEXES)
    for step in steps(graph):
        n = -(-len(step.rows) // batch_size)
        for i, rows in enumerate(batches(step.rows, batch_size), start=1):
            runner.run(step.query, {**common, "rows": rows})
            report.batches += 1
            progress(f"{step.name}: batch {i}/{n}", report.batches / total)

    for done, query in enumerate(cypher.DELETE_STALE, start=1):
        while True:  # bounded deletes, so no single transaction holds a whole old graph;
            # each repetition seeks the index from scratch, finding only what is still stale
            result = runner.run(query, {"upload_id": report.upload_id, "limit": batch_size})
            deleted = int(result[0]["deleted"]) if result else 0
            report.deleted += deleted
            if deleted < batch_size:
                break
        progress("removing stale nodes and relationships", (report.batches + done) / total)

    report.counts = count_graph(runner)
    report.seconds = time.perf_counter() - started
    progress("graph uploaded", 1.0)
    return report


def count_graph(runner: CypherRunner) -> dict[str, int]:
    """Nodes per label and relationships per type, as the database reports them."""
    counts = {}
    for name, query in cypher.COUNTS.items():
        result = runner.run(query, {})
        counts[name] = int(result[0]["n"]) if result else 0
    return counts
