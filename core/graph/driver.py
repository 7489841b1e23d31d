"""neo4j through the official driver: connection from Settings, errors a user can act on.

Every statement goes through ``driver.execute_query`` with ``routing_=WRITE`` and the
configured database: a managed transaction, which the driver retries on transient errors
(deadlocks, leader changes, a briefly unavailable cluster member) with back-off, so a batch is
either committed whole or retried whole. Since each batch is an idempotent ``MERGE``, a retried
batch cannot leave duplicates.

Messages name the server and the user, never the password: the password is also scrubbed
from any driver message that would quote it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from core.config import NEO4J_REQUIRED, Settings
from core.errors import ConfigError, InsightsError
from core.graph.cypher import UniqueConstraint, UploadIndex
from core.secrets import configured_secrets, scrub

#: seconds to wait for a TCP connection, and for retries of one transaction
CONNECTION_TIMEOUT = 15.0
MAX_RETRY_SECONDS = 30.0

#: the URI schemes of the Bolt protocol (plain, TLS, TLS with a self-signed certificate)
SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")

EXPORT_HINT = "without a server, `artist_listener_upload neo4j-export --out DIR` writes import files"


def display_uri(uri: str | None) -> str:
    """The URI without any ``user:password@`` part, for messages."""
    if not uri:
        return "(NEO4J_URI not set)"
    try:
        parts = urlsplit(uri)
    except ValueError:
        return "(invalid NEO4J_URI)"
    if parts.username is None and parts.password is None:
        return uri
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def describe(settings: Settings) -> str:
    """Where the graph goes, e.g. ``neo4j bolt://db:7687 (database music)``; no secret."""
    database = settings.neo4j_database or "the default database"
    return f"neo4j {display_uri(settings.neo4j_uri)} ({database})"


def one_line(text: str, limit: int = 300) -> str:
    """A driver message on one line (they often span several), cut to a readable length."""
    flat = " ".join(text.split()).rstrip(":")
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def explain(exc: Exception, settings: Settings) -> InsightsError:
    """A one-line, password-free error for a driver exception."""
    from neo4j import exceptions as ne

    secrets = configured_secrets(settings)
    where = describe(settings)
    detail = one_line(scrub(exc, secrets)) or type(exc).__name__
    if isinstance(exc, ne.AuthError):
        return ConfigError(
            f"{where} refused the credentials of user {settings.neo4j_user!r}; "
            "check NEO4J_USER and NEO4J_PASSWORD"
        )
    if isinstance(exc, ne.ServiceUnavailable | ne.SessionExpired | OSError):
        return ConfigError(
            f"could not reach {where}: {detail}. Is the server running and NEO4J_URI right? "
            f"({EXPORT_HINT})"
        )
    if isinstance(exc, ne.ConfigurationError | ValueError):
        return ConfigError(f"cannot connect to {where}: {detail}; check NEO4J_URI")
    if isinstance(exc, ne.Neo4jError):
        code = getattr(exc, "code", None) or type(exc).__name__
        if code == "Neo.ClientError.Database.DatabaseNotFound":
            return ConfigError(f"{where}: the database does not exist; check NEO4J_DATABASE")
        if code.startswith("Neo.ClientError.Security."):
            return ConfigError(f"{where} refused the upload ({code}): {detail}; check the user's roles")
        message = getattr(exc, "message", None) or detail
        return InsightsError(f"{where} failed ({code}): {one_line(scrub(message, secrets))}")
    return InsightsError(f"{where} failed: {type(exc).__name__}: {detail}")


class Neo4jRunner:
    """The uploader's runner on a neo4j driver; errors come out as ``InsightsError``."""

    def __init__(self, driver: Any, settings: Settings) -> None:
        self.driver = driver
        self.database = settings.neo4j_database or None
        self._settings = settings

    def run(self, query: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        from neo4j import RoutingControl
        from neo4j.exceptions import DriverError, Neo4jError

        try:
            records, _, _ = self.driver.execute_query(
                query, dict(params), database_=self.database, routing_=RoutingControl.WRITE,
            )
        except (Neo4jError, DriverError, OSError) as exc:
            raise explain(exc, self._settings) from None
        return [record.data() for record in records]

    def create_constraints(self, constraints: Sequence[UniqueConstraint]) -> None:
        """neo4j creates constraints in Cypher (``IF NOT EXISTS``: a re-run is a no-op)."""
        for constraint in constraints:
            self.run(constraint.cypher, {})

    def create_indexes(self, indexes: Sequence[UploadIndex]) -> None:
        """neo4j creates range indexes in Cypher (``IF NOT EXISTS``: a re-run is a no-op)."""
        for index in indexes:
            self.run(index.cypher, {})


@contextlib.contextmanager
def connect(settings: Settings) -> Iterator[Neo4jRunner]:
    """A runner on a driver connected with the ``NEO4J_*`` settings; closed on exit.

    Connectivity and credentials are checked up front, so a wrong password or a stopped server
    is reported at once and not after the driver's retries give up.
    """
    missing = settings.missing(NEO4J_REQUIRED)
    if missing:
        raise ConfigError(
            "the neo4j upload needs these settings (environment or .env): " + ", ".join(missing)
            + f"; {EXPORT_HINT}"
        )
    scheme = settings.neo4j_uri.split("://", 1)[0].lower() if "://" in settings.neo4j_uri else ""
    if scheme not in SCHEMES or not settings.neo4j_uri.split("://", 1)[1].strip("/"):
        raise ConfigError(
            f"NEO4J_URI {display_uri(settings.neo4j_uri)!r} is not a neo4j address; expected "
            "e.g. neo4j://host:7687 or neo4j+s://host (schemes: " + ", ".join(SCHEMES) + ")"
        )
    try:
        from neo4j import GraphDatabase
        from neo4j.exceptions import DriverError, Neo4jError
    except ImportError:  # pragma: no cover - depends on the installed extras
        raise ConfigError("the neo4j upload needs the driver: pip install -e '.[neo4j]'") from None
    try:
        driver = GraphDatabase.driver(
            settings.neo4j_uri,
            auth=(settings.neo4j_user, settings.neo4j_password),
            connection_timeout=CONNECTION_TIMEOUT,
            max_transaction_retry_time=MAX_RETRY_SECONDS,
        )
    except (Neo4jError, DriverError, ValueError) as exc:
        raise explain(exc, settings) from None
    try:
        try:
            driver.verify_connectivity()
        except (Neo4jError, DriverError, OSError) as exc:
            raise explain(exc, settings) from None
        yield Neo4jRunner(driver, settings)
    finally:
        driver.close()
