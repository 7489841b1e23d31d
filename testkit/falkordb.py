"""Embedded FalkorDB as a stand-in for neo4j: runs the uploader's Cypher for real, offline.

Used by the tests and the benchmark (``falkordblite`` is a development dependency), never by
users. FalkorDB runs the uploader's statements unchanged; what it cannot run in neo4j's syntax
is ``CREATE CONSTRAINT`` and ``CREATE INDEX name IF NOT EXISTS``, which ``create_constraints``
(client API) and ``create_indexes`` (FalkorDB's own index syntax) below do instead. That is the
only place where the two engines are driven differently.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from core.errors import InsightsError
from core.graph.cypher import UniqueConstraint, UploadIndex

GRAPH_NAME = "artist_listener_insights"


class FalkorDBRunner:
    """Runs ``(cypher, params)`` on a FalkorDB graph; one statement is one atomic query."""

    def __init__(self, graph: Any) -> None:
        self.graph = graph
        #: every statement run, for tests that check only the uploader's constants are sent
        self.statements: list[str] = []

    def run(self, query: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        self.statements.append(query)
        result = self.graph.query(query, dict(params))
        names = [column[1] for column in (result.header or [])]
        return [dict(zip(names, row, strict=True)) for row in result.result_set or []]

    def create_constraints(self, constraints: Sequence[UniqueConstraint]) -> None:
        for constraint in constraints:
            self._ensure_unique(constraint.label, constraint.key)

    def create_indexes(self, indexes: Sequence[UploadIndex]) -> None:
        """The same range indexes in FalkorDB's syntax (no names, no ``IF NOT EXISTS``)."""
        for index in indexes:
            pattern = (f"(n:{index.name})" if index.kind == "node"
                       else f"()-[n:{index.name}]-()")
            try:
                self.graph.query(f"CREATE INDEX FOR {pattern} ON (n.upload_id)")
            except Exception as exc:  # the client raises a plain ResponseError
                if "already indexed" not in str(exc):
                    raise

    def _ensure_unique(self, label: str, key: str, wait_seconds: float = 10.0) -> None:
        """Create the constraint unless it exists, and wait until FalkorDB enforces it.

        FalkorDB builds a constraint in the background (PENDING or UNDER CONSTRUCTION, then
        OPERATIONAL, or FAILED when existing data already breaks it), so MERGE must not start
        before it is ready.
        """
        try:
            self.graph.create_node_unique_constraint(label, key)
        except Exception as exc:  # the client raises a plain ResponseError
            if "already exists" not in str(exc):
                raise
        deadline = time.monotonic() + wait_seconds
        while True:
            status = [c["status"] for c in self.graph.list_constraints()
                      if c["label"] == label and c["properties"] == [key]]
            if status and status[0] == "OPERATIONAL":
                return
            if status and status[0] == "FAILED":  # existing data already breaks it
                raise InsightsError(f"unique constraint on :{label}({key}) failed to build")
            if time.monotonic() > deadline:
                raise InsightsError(f"unique constraint on :{label}({key}) is not ready ({status})")
            time.sleep(0.02)


@contextlib.contextmanager
def open_falkordb(path: str | Path, graph: str = GRAPH_NAME) -> Iterator[FalkorDBRunner]:
    """A runner on an embedded FalkorDB stored in ``path`` (started here, stopped on exit)."""
    from redis.backoff import NoBackoff
    from redis.retry import Retry
    from redislite.falkordb_client import FalkorDB

    # no retries: closing shuts the private server down, and redis-py would otherwise keep
    # retrying the closed socket for seconds
    db = FalkorDB(str(path), retry=Retry(NoBackoff(), 0))
    try:
        yield FalkorDBRunner(db.select_graph(graph))
    finally:
        db.close()
