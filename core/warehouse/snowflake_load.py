"""Bulk loads of pandas frames into Snowflake: Parquet files, ``PUT`` to a stage, ``COPY INTO``.

No value ever travels inside SQL text: rows go as Parquet files through a temporary internal
stage and Snowflake's bulk loader reads them, which is what ``write_pandas`` does too. The
statements are written here rather than left to ``write_pandas`` because its ``COPY`` reads
``FROM '@"stage"'`` (a quoted literal location) and its table creation uses ``INFER_SCHEMA``,
neither of which the fakesnow server can follow, so the tested path would not be the shipped
one; the types are also chosen here, per column, instead of inferred.

Privileges (granted to the role in use):

* ``USAGE`` on the database and the schema;
* ``CREATE STAGE`` on the schema (the temporary stage, one per session, dropped by Snowflake
  when the session ends; files are purged after each load);
* ``CREATE TABLE`` on the schema (the staging table, and the result table when it is new);
* ``OWNERSHIP`` of a result table that already exists (``CREATE OR REPLACE`` needs it).

``check_privileges`` proves the first three by creating the stage and a probe table at connect,
and looks up the owner of every existing result table, so a missing grant fails at once with
the ``GRANT`` that fixes it, not halfway through an upload.
"""

from __future__ import annotations

import re
import tempfile
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from core.errors import ConfigError, InsightsError

_SIMPLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")

#: rows per Parquet file: several files load in parallel, each well under Snowflake's
#: recommended 100-250 MB compressed
FILE_ROWS = 1_000_000

#: Snowflake type, pyarrow type and Python conversion per kind of pandas column
_TYPES = {
    "bool": ("BOOLEAN", pa.bool_(), bool),
    "int": ("BIGINT", pa.int64(), int),
    "float": ("DOUBLE", pa.float64(), float),
    "timestamp": ("TIMESTAMP_NTZ", pa.timestamp("us"), pd.Timestamp.to_pydatetime),
    "text": ("VARCHAR", pa.string(), str),
}


def column_identifier(name: str) -> str:
    """Quoted identifier for a result column: plain names upper-cased as Snowflake would.

    Upper-casing keeps result tables queryable without quotes (``SELECT artistnum FROM ...``);
    names that are not plain identifiers keep their spelling inside quotes.
    """
    if _SIMPLE_NAME.match(name):
        return f'"{name.upper()}"'
    return '"' + name.replace('"', '""') + '"'


def _bare(identifier: str) -> str:
    return identifier[1:-1].replace('""', '"')


@dataclass(frozen=True)
class ColumnSpec:
    """One column: its identifier, kind (a key of ``_TYPES``) and plain Python values."""

    identifier: str
    kind: str
    values: list[Any]

    @property
    def sql_type(self) -> str:
        return _TYPES[self.kind][0]


def column_specs(frame: pd.DataFrame) -> list[ColumnSpec]:
    """Snowflake types and plain Python values for each column of ``frame``.

    Types are chosen explicitly rather than inferred by the loader so a result table gets the
    same column types in every mode, and missing values (NaN, NA, NaT) become SQL NULL.
    """
    if frame.shape[1] == 0:
        raise InsightsError("cannot write a table without columns")
    identifiers = [column_identifier(str(name)) for name in frame.columns]
    clashes = sorted({i for i in identifiers if identifiers.count(i) > 1})
    if clashes:
        raise InsightsError(f"column names clash once upper-cased as Snowflake does: {', '.join(clashes)}")
    specs = []
    for identifier, name in zip(identifiers, frame.columns, strict=True):
        series = frame[name]
        missing = series.isna().tolist()
        if pd.api.types.is_bool_dtype(series):
            kind = "bool"
        elif pd.api.types.is_integer_dtype(series):
            kind = "int"
        elif pd.api.types.is_float_dtype(series):
            kind = "float"
        elif pd.api.types.is_datetime64_any_dtype(series):
            if getattr(series.dt, "tz", None) is not None:
                series = series.dt.tz_convert("UTC").dt.tz_localize(None)
            kind = "timestamp"
        else:
            kind = "text"
        convert = _TYPES[kind][2]
        values = [None if gone else convert(v) for v, gone in zip(series.tolist(), missing, strict=True)]
        specs.append(ColumnSpec(identifier, kind, values))
    return specs


def rows(specs: Sequence[ColumnSpec]) -> list[tuple[Any, ...]]:
    return list(zip(*(spec.values for spec in specs), strict=True))


def create_table_sql(table: str, specs: Sequence[ColumnSpec], kind: str = "TRANSIENT") -> str:
    columns = ", ".join(f"{s.identifier} {s.sql_type}" for s in specs)
    return f"CREATE {kind} TABLE {table} ({columns})"


def copy_sql(table: str, stage: str, prefix: str) -> str:
    """``COPY INTO`` the table from one load's files; columns matched by exact name."""
    return (f"COPY INTO {table} FROM @{stage}/{prefix}/ "
            "FILE_FORMAT = (TYPE = PARQUET USE_LOGICAL_TYPE = TRUE) "
            "MATCH_BY_COLUMN_NAME = CASE_SENSITIVE ON_ERROR = ABORT_STATEMENT PURGE = TRUE")


def put_sql(path: Path, stage: str, prefix: str) -> str:
    """``PUT`` of one local file; the path is quoted (it may hold spaces), not URL-encoded,
    as Snowflake reads it literally (forward slashes also on Windows)."""
    local = path.resolve().as_posix()
    if "'" in local:
        raise InsightsError(f"cannot stage a file whose path holds a quote: {local}")
    return f"PUT 'file://{local}' @{stage}/{prefix}/ AUTO_COMPRESS = FALSE OVERWRITE = TRUE"


def write_parquet(specs: Sequence[ColumnSpec], folder: Path, file_rows: int = FILE_ROWS) -> list[Path]:
    """The columns as Parquet files of at most ``file_rows`` rows, typed as the table is."""
    schema = pa.schema([pa.field(_bare(s.identifier), _TYPES[s.kind][1]) for s in specs])
    table = pa.Table.from_arrays([pa.array(s.values, type=f.type) for s, f in zip(specs, schema,
                                                                                 strict=True)],
                                 schema=schema)
    paths = []
    for number, start in enumerate(range(0, max(table.num_rows, 1), file_rows)):
        if table.num_rows == 0:
            break
        path = folder / f"part-{number:05d}.parquet"
        pq.write_table(table.slice(start, file_rows), path, compression="snappy")
        paths.append(path)
    return paths


Execute = Callable[[str], list[Mapping[str, Any]]]


class StageLoader:
    """Bulk loads over one session, through one temporary stage created on first use.

    ``execute(sql)`` runs one statement and returns its rows as mappings; the warehouse passes
    a cursor-backed function, so PUT (a client-side file transfer) works on every connector.
    """

    def __init__(self, execute: Execute, stage: str | None = None) -> None:
        self._execute = execute
        self.stage = stage or f"ALI_LOAD_{uuid.uuid4().hex[:12].upper()}"
        self._stage_ready = False

    def ensure_stage(self) -> None:
        if not self._stage_ready:
            self._execute(f"CREATE TEMPORARY STAGE IF NOT EXISTS {self.stage}")
            self._stage_ready = True

    def load(self, table: str, frame: pd.DataFrame, file_rows: int = FILE_ROWS) -> int:
        """Create ``table`` (a fresh name, TRANSIENT) holding ``frame``; returns rows loaded."""
        specs = column_specs(frame)
        self._execute(create_table_sql(table, specs))
        if len(frame) == 0:
            return 0
        self.ensure_stage()
        prefix = uuid.uuid4().hex
        with tempfile.TemporaryDirectory(prefix="ali-load-") as folder:
            files = write_parquet(specs, Path(folder), file_rows)
            for path in files:
                self._execute(put_sql(path, self.stage, prefix))
            result = self._execute(copy_sql(table, self.stage, prefix))
        loaded = _rows_loaded(result)
        if loaded != len(frame):
            raise InsightsError(f"the bulk load into {table} reported {loaded:,} rows of "
                                f"{len(frame):,}: {list(result)[:3]}")
        return loaded


def _rows_loaded(result: Iterable[Mapping[str, Any]]) -> int:
    total = 0
    for row in result:
        lowered = {str(k).lower(): v for k, v in row.items()}
        if str(lowered.get("status", "")).upper() not in ("LOADED", "PARTIALLY_LOADED"):
            raise InsightsError(f"the bulk load failed: {lowered}")
        total += int(lowered.get("rows_loaded") or 0)
    return total


# ---- privileges ------------------------------------------------------------------------------


def privilege_error(exc: Exception, what: str, grant: str, where: str) -> ConfigError:
    """A missing privilege, with the statement that grants it."""
    return ConfigError(f"the role in use cannot {what} in {where} ({first_line(exc)}); "
                       f"an administrator can run: {grant}")


def first_line(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 200 else text[:197] + "..."


def owner_problems(owners: Mapping[str, str], in_session: Callable[[str], bool],
                   role: str | None) -> list[str]:
    """Existing result tables whose owner role is not one the session holds.

    ``CREATE OR REPLACE`` of a table needs OWNERSHIP of it, held by the role in use or one it
    inherits (``IS_ROLE_IN_SESSION``).
    """
    problems = []
    for table, owner in owners.items():
        if owner and not in_session(owner):
            problems.append(
                f"{table} is owned by role {owner}, which the role in use ({role or '?'}) does "
                f"not hold; replacing it needs OWNERSHIP: GRANT OWNERSHIP ON TABLE {table} TO "
                f"ROLE {role or '<role>'} COPY CURRENT GRANTS (or GRANT ROLE {owner} TO ROLE "
                f"{role or '<role>'})")
    return problems
