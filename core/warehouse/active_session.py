"""Streamlit in Snowflake: use the session the app already runs in, instead of signing in.

Inside Snowflake, the app runs under its owner's role with a ready Snowpark session
(``snowflake.snowpark.context.get_active_session``), so no credentials are configured and the
data never leaves the account. ``streamlit_app.py`` (the entry point ``snow streamlit deploy``
uses) calls ``use_active_session()``; from then on ``WAREHOUSE=snowflake`` means that session.
Nothing changes for anyone else: unless it is called, every warehouse is opened from settings
as before and the embedded DuckDB stays the default.
"""

from __future__ import annotations

from typing import Any

_enabled = False


def use_active_session(enabled: bool = True) -> None:
    """Make ``WAREHOUSE=snowflake`` use the active Snowpark session (Streamlit in Snowflake)."""
    global _enabled
    _enabled = enabled


def enabled() -> bool:
    """Whether ``use_active_session`` was called (the app runs inside Snowflake)."""
    return _enabled


def active_session() -> Any | None:
    """The active Snowpark session when enabled, else None; raises if enabled but absent."""
    if not _enabled:
        return None
    from snowflake.snowpark.context import get_active_session

    from core.errors import ConfigError

    try:
        return get_active_session()
    except Exception as exc:  # SnowparkSessionException: no (or more than one) session
        raise ConfigError(f"running as Streamlit in Snowflake, but no active session: {exc}") from None


def active_warehouse() -> Any | None:
    """A warehouse over the active session (never closed by us), or None when not enabled."""
    session = active_session()
    if session is None:
        return None
    from core.warehouse.snowflake import SnowparkWarehouse

    return SnowparkWarehouse(session)
