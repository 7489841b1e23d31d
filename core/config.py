"""Settings from the environment and an optional ``.env`` file, in one typed object.

Secrets are kept out of ``repr`` and out of every message, so that a settings object can be
logged or shown in the dashboard without leaking a password.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

from core.errors import ConfigError
from core.memory import is_memory_size

PROJECT_ROOT = Path(__file__).resolve().parent.parent

SNOWFLAKE_REQUIRED = ("SNOWFLAKE_ACCOUNT", "SNOWFLAKE_USER", "SNOWFLAKE_DATABASE", "SNOWFLAKE_SCHEMA")
NEO4J_REQUIRED = ("NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD")


def _secret() -> str | None:
    return field(default=None, repr=False)


@dataclass(frozen=True)
class Settings:
    warehouse: str = "duckdb"
    duckdb_path: Path = PROJECT_ROOT / "var" / "warehouse.duckdb"
    #: DuckDB's memory during a pushed-down training (e.g. "4GB"); None: half of MemAvailable,
    #: at most a quarter of an address-space cap. DuckDB spills to disk past it.
    duckdb_memory_limit: str | None = None
    #: where DuckDB spills during a pushed-down training; None: DuckDB's default
    #: (``<database>.tmp`` beside the file)
    duckdb_temp_directory: Path | None = None
    demo_data_dir: Path = PROJECT_ROOT / "data" / "demo"
    model_dir: Path = PROJECT_ROOT / "var" / "models"
    num_features: int = 128
    num_clusters: int = 10
    min_listeners: int = 2
    top_k: int = 100
    #: a listener's most-streamed artists that count for co-listening (0: all)
    listener_cap: int = 500
    random_state: int = 0
    snowflake_account: str | None = None
    snowflake_user: str | None = None
    snowflake_password: str | None = _secret()
    snowflake_role: str | None = None
    snowflake_warehouse: str | None = None
    snowflake_database: str | None = None
    snowflake_schema: str | None = None
    snowflake_authenticator: str | None = None
    snowflake_private_key_file: str | None = None
    #: passphrase of an encrypted private key
    snowflake_private_key_file_pwd: str | None = _secret()
    #: a named connection of the Snowflake CLI's connections.toml
    snowflake_connection_name: str | None = None
    #: OAuth access token or programmatic access token (or a file holding one)
    snowflake_token: str | None = _secret()
    snowflake_token_file_path: str | None = None
    snowflake_host: str | None = None
    snowflake_port: int | None = None
    snowflake_protocol: str | None = None
    neo4j_uri: str | None = None
    neo4j_user: str | None = None
    neo4j_password: str | None = _secret()
    neo4j_database: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, dotenv: bool = True) -> Settings:
        """Read ``NAME`` variables (upper case of each field); ``.env`` fills what is unset."""
        if env is None:
            if dotenv:
                load_dotenv_files()
            env = os.environ
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = env.get(f.name.upper())
            if raw is None or raw.strip() == "":
                continue
            values[f.name] = _convert(f.name, raw.strip(), f.default)
        settings = cls(**values)  # type: ignore[arg-type]
        if settings.warehouse not in ("duckdb", "snowflake"):
            raise ConfigError(f"WAREHOUSE must be 'duckdb' or 'snowflake', not {settings.warehouse!r}")
        limit = settings.duckdb_memory_limit
        if limit is not None and not is_memory_size(limit):
            raise ConfigError(f"DUCKDB_MEMORY_LIMIT must be a size such as 4GB or 512MiB, not {limit!r}")
        return settings

    def missing(self, required: tuple[str, ...]) -> list[str]:
        """Names of required variables that are not set (never their values)."""
        return [name for name in required if not getattr(self, name.lower())]

    @property
    def source_description(self) -> str:
        """Where the data comes from, in words, without any secret (no user, no password).

        Built from settings alone, so the dashboard's sidebar never waits on (or fails with) a
        remote warehouse just to say which one is in use.
        """
        if self.warehouse == "snowflake":
            from core.warehouse.active_session import enabled

            if enabled():  # Streamlit in Snowflake: the app's own session
                return "Snowflake (this app's session)"
            if self.snowflake_account or not self.snowflake_connection_name:
                head = f"Snowflake account {self.snowflake_account or '(account not set)'}"
            else:
                head = f"Snowflake connection {self.snowflake_connection_name}"
            where = ".".join(p for p in (self.snowflake_database, self.snowflake_schema) if p)
            return head + (f" · {where}" if where else "")
        return f"DuckDB {Path(self.duckdb_path).name}"

    @property
    def snowflake_configured(self) -> bool:
        from core.warehouse.snowflake_auth import missing_settings

        return not missing_settings(self)

    @property
    def neo4j_configured(self) -> bool:
        return not self.missing(NEO4J_REQUIRED)


def _convert(name: str, raw: str, default: object) -> object:
    if isinstance(default, Path):
        path = Path(raw).expanduser()
        return path if path.is_absolute() else PROJECT_ROOT / path
    if isinstance(default, int) or name == "snowflake_port":
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"{name.upper()} must be a whole number, not {raw!r}") from None
        if value < 0:
            raise ConfigError(f"{name.upper()} must not be negative")
        return value
    if name == "warehouse":
        return raw.lower()
    return raw


def load_dotenv_files() -> None:
    """The project's and the working folder's ``.env`` into ``os.environ``; set values win."""
    from dotenv import load_dotenv

    load_dotenv(PROJECT_ROOT / ".env", override=False)
    load_dotenv(Path.cwd() / ".env", override=False)
