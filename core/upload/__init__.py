"""One-click uploads of a model's results, for the CLI and the dashboard.

``targets(settings)`` says where results can go and what each destination still needs (names
of settings, never their values); ``publish(target, settings, model, progress)`` sends them:

* ``duckdb`` — the two result tables into the embedded DuckDB warehouse (always available);
* ``snowflake`` — the same tables through Snowpark;
* ``neo4j`` — the similarity graph through the official driver;
* ``neo4j-export`` — the same graph as files for ``neo4j-admin`` and ``cypher-shell``.

Every upload holds a lock named after the model folder (``upload_lock``), so two dashboard tabs
(or a tab and the CLI) cannot run uploads at the same time; the second is told to wait. The
lock lives in the system's temporary folder, so uploading needs only read access to the
models. A ``neo4j-export`` first removes the ``.*.partial`` files an interrupted export left.
"""

from core.upload.service import (
    TARGETS,
    TargetStatus,
    UploadOptions,
    UploadResult,
    default_export_dir,
    default_target,
    neo4j_export_zip,
    publish,
    targets,
    upload_lock,
)
from core.upload.tables import (
    GEOGRAPHIC_TABLE,
    SIMILARITY_TABLE,
    geographic_table,
    result_tables,
    similarity_table,
)

__all__ = [
    "GEOGRAPHIC_TABLE",
    "SIMILARITY_TABLE",
    "TARGETS",
    "TargetStatus",
    "UploadOptions",
    "UploadResult",
    "default_export_dir",
    "default_target",
    "geographic_table",
    "neo4j_export_zip",
    "publish",
    "result_tables",
    "similarity_table",
    "targets",
    "upload_lock",
]
