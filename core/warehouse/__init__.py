"""Where the source tables are read from and result tables written to."""

from __future__ import annotations

from core.config import Settings
from core.warehouse.base import ListenStats, Warehouse

__all__ = ["ListenStats", "Warehouse", "open_warehouse"]


def open_warehouse(settings: Settings) -> Warehouse:
    """The warehouse chosen by ``WAREHOUSE`` (default: the embedded DuckDB file); inside
    Snowflake (``core.warehouse.active_session``) the app's own session."""
    if settings.warehouse == "snowflake":
        from core.warehouse.active_session import active_warehouse

        inside = active_warehouse()
        if inside is not None:
            return inside
        from core.warehouse.snowflake import SnowparkWarehouse

        return SnowparkWarehouse.from_settings(settings)
    from core.warehouse.duckdb import DuckDBWarehouse

    return DuckDBWarehouse(settings.duckdb_path, memory_limit=settings.duckdb_memory_limit,
                           temp_directory=settings.duckdb_temp_directory)
