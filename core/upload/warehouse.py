"""The result tables into a warehouse, through ``Warehouse.write_table`` only.

``write_table`` replaces a table atomically (DuckDB: one transaction; Snowflake: a staging
table swapped in with one statement), so a reader sees each table either before or after an
upload, and a failure or an interrupt leaves the previous table whole. The tables are
written one after the other: between them, the similarity table may already be new while the
geographic one is still old; their ``model_version`` column tells them apart.
"""

from __future__ import annotations

from core.errors import InsightsError
from core.model import Model
from core.progress import ProgressCallback, StepProgress
from core.upload.scouting_table import EMERGING_TABLE
from core.upload.tables import (
    DEFAULT_MARKETS,
    DEFAULT_SIMILAR,
    GEOGRAPHIC_TABLE,
    SIMILARITY_TABLE,
    result_tables,
)
from core.warehouse.base import Warehouse


def upload_tables(
    warehouse: Warehouse,
    model: Model,
    *,
    similar_n: int = DEFAULT_SIMILAR,
    markets_n: int = DEFAULT_MARKETS,
    progress: ProgressCallback | None = None,
) -> dict[str, int]:
    """Build the tables in memory, then replace each in ``warehouse``; rows per table."""
    step = StepProgress(progress, {"build": 1.0, SIMILARITY_TABLE: 1.0, GEOGRAPHIC_TABLE: 2.0,
                                    EMERGING_TABLE: 0.5})
    step("build", 0.0, "building result tables")
    tables = result_tables(model, similar_n, markets_n)
    step("build", 1.0, "result tables built")
    counts: dict[str, int] = {}
    for name, frame in tables.items():
        step(name, 0.0, f"writing {name} ({len(frame):,} rows)")
        try:
            warehouse.write_table(name, frame)
        except InsightsError:
            raise
        except Exception as exc:  # an engine error: say which table and that the old one stays
            first = (str(exc).strip().splitlines() or [""])[0]
            raise InsightsError(
                f"writing {name} to {warehouse.description} failed ({type(exc).__name__}: "
                f"{first}); the previous {name} (if any) is unchanged"
            ) from exc
        counts[name] = len(frame)
        step(name, 1.0, f"{name} written")
    return counts
