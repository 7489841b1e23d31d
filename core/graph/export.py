"""The graph as files, for when no neo4j server is reachable from here.

Two independent routes into neo4j, both in one folder (or one zip for a download button):

* CSV files for ``neo4j-admin database import full`` (fastest; it replaces a whole database:
  ``--overwrite-destination`` with that database stopped, or a new database), with neo4j's
  header syntax (``:ID(Artist)``, ``:START_ID(Artist)``, ``:END_ID(Artist)``, ``:LABEL``,
  ``:TYPE``, typed properties) and an ``IMPORT.txt`` with the exact commands;
* ``graph.cypher`` for ``cypher-shell -f`` (into any database, also a non-empty one): the
  very statements of ``core.graph.cypher``, each preceded by ``:param`` lines that carry the
  batch as a Cypher literal, and the stale-data deletes committed in batches.

Literals are written in pure ASCII: quotes and backslashes are escaped, everything outside
printable ASCII becomes a ``\\uXXXX`` escape (a UTF-16 surrogate pair above U+FFFF: Cypher
has no longer escape, and Java strings are UTF-16, so the pair is the character). The script
thus means the same whatever encoding the Java runtime of ``cypher-shell`` assumes, a
newline or carriage return in a name cannot split a ``:param`` line, and no name can end a
string early or inject a statement.

In the CSV files every string is quoted (so an empty string stays an empty string, while an
absent value is an empty unquoted field, which neo4j-admin imports as no property), quotes
are doubled, and ``--multiline-fields=true`` is asked for only when a value holds a line
break (the manual warns it slows the import).
"""

from __future__ import annotations

import io
import math
import re
import uuid
import zipfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from core.graph import cypher
from core.graph.data import GraphData
from core.graph.upload import DEFAULT_BATCH_SIZE, batches, new_upload_id, steps

SCRIPT = "graph.cypher"
CONSTRAINTS_SCRIPT = "constraints.cypher"
INSTRUCTIONS = "IMPORT.txt"

#: rows per transaction of the script's stale-data deletes (``IN TRANSACTIONS OF $limit ROWS``)
SCRIPT_DELETE_BATCH = 10_000

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


# ---- Cypher literals --------------------------------------------------------------------------


def _string_literal(text: str) -> str:
    out = ["'"]
    for ch in text:
        code = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch == "'":
            out.append("\\'")
        elif 0x20 <= code < 0x7F:
            out.append(ch)
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04X}")
        else:  # a UTF-16 surrogate pair: Cypher's only escape is \uXXXX
            high, low = divmod(code - 0x10000, 0x400)
            out.append(f"\\u{0xD800 + high:04X}\\u{0xDC00 + low:04X}")
    out.append("'")
    return "".join(out)


def _key_literal(key: str) -> str:
    if _IDENTIFIER.match(key):
        return key
    if "`" in key:
        raise ValueError(f"map key {key!r} contains a backtick")
    return f"`{key}`"


def cypher_literal(value: Any) -> str:
    """``value`` as a Cypher expression that evaluates back to it (ASCII only).

    Supports what the graph rows hold: None, bool, int, float (finite), str, lists and maps.
    """
    if isinstance(value, np.generic):
        value = value.item()
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot write {value!r} as a Cypher literal")
        return repr(value)
    if isinstance(value, str):
        return _string_literal(value)
    if isinstance(value, Mapping):
        items = ", ".join(f"{_key_literal(str(k))}: {cypher_literal(v)}" for k, v in value.items())
        return "{" + items + "}"
    if isinstance(value, list | tuple | np.ndarray):
        return "[" + ", ".join(cypher_literal(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as a Cypher literal")


def _param(name: str, value: Any) -> str:
    return f":param {name} => {cypher_literal(value)}\n"


def _statement(query: str) -> str:
    return query.rstrip().rstrip(";") + ";\n"


def cypher_script(graph: GraphData, batch_size: int = DEFAULT_BATCH_SIZE,
                  upload_id: int | None = None) -> Iterable[str]:
    """The ``cypher-shell`` script, piece by piece (a large graph need not fit in one string)."""
    upload_id = new_upload_id() if upload_id is None else int(upload_id)
    yield (
        "// Artist Listener Insights: similarity graph of model "
        f"{_ascii_comment(graph.model_version)}\n"
        "// Run with:  cypher-shell -a neo4j://HOST:7687 -u USER -d DATABASE -f graph.cypher\n"
        "// Safe to run again: every write is a MERGE; what an older upload wrote (an older\n"
        "// model's nodes and relationships) is deleted at the end, in batches.\n"
        "// Needs Neo4j 5.23 or later (CALL (r) { ... } IN TRANSACTIONS).\n\n"
    )
    for schema in cypher.SCHEMA:
        yield _statement(schema)
    yield "\n"
    yield _param("model_version", graph.model_version)
    yield _param("upload_id", upload_id)
    for step in steps(graph):
        yield f"\n// {step.name} ({len(step.rows)})\n"
        for rows in batches(step.rows, batch_size):
            yield _param("rows", rows)
            yield _statement(step.query)
    yield "\n// remove what an older upload wrote and this one did not\n"
    yield _param("limit", SCRIPT_DELETE_BATCH)
    for query in cypher.DELETE_STALE_IN_TRANSACTIONS:
        yield _statement(query)


def _ascii_comment(text: str) -> str:
    return "".join(ch if 0x20 <= ord(ch) < 0x7F else "?" for ch in text)


# ---- neo4j-admin CSV ----------------------------------------------------------------------


def _array_delimiter(values: Iterable[list[str] | None]) -> str:
    """``;`` (neo4j-admin's default) unless a value contains it; then a character none uses."""
    used = {ch for items in values if items for item in items for ch in item}
    for candidate in (";", "|", "\u001f"):
        if candidate not in used:
            return candidate
    raise ValueError("country names use every candidate array delimiter")


def _csv_files(graph: GraphData, upload_id: int, delimiter: str
               ) -> dict[str, tuple[list[str], list[Any]]]:
    """File name -> (header, columns in header order) in neo4j-admin's format.

    Node ids go in an unnamed ``:ID(Group)`` column plus a typed ``id:long`` property, so the
    imported ``id`` is an integer exactly as the Cypher upload writes it (a named ``id:ID``
    column would store it as a string, and ``MATCH (a:Artist {id: 42})`` would miss it).
    """
    v = graph.model_version
    c, g, a = graph.clusters, graph.genres, graph.artists
    countries = [delimiter.join(items) if items else None for items in a["countries"]]
    return {
        "nodes_clusters.csv": (
            [":ID(Cluster)", "id:long", "name", "size:long", "model_version", "upload_id:long", ":LABEL"],
            [c["id"], c["id"], c["name"], c["size"], v, upload_id, "Cluster"],
        ),
        "nodes_genres.csv": (
            [":ID(Genre)", "name", "model_version", "upload_id:long", ":LABEL"],
            [g["name"], g["name"], v, upload_id, "Genre"],
        ),
        "nodes_artists.csv": (
            [":ID(Artist)", "id:long", "name", "genre", "countries:string[]", "listeners:long",
             "model_version", "upload_id:long", ":LABEL"],
            [a["id"], a["id"], a["name"], a["genre"], countries, a["listeners"], v, upload_id,
             "Artist"],
        ),
        "rels_in.csv": (
            [":START_ID(Artist)", ":END_ID(Cluster)", "model_version", "upload_id:long", ":TYPE"],
            [graph.in_cluster["artist"], graph.in_cluster["cluster"], v, upload_id, "IN"],
        ),
        "rels_has_genre.csv": (
            [":START_ID(Artist)", ":END_ID(Genre)", "model_version", "upload_id:long", ":TYPE"],
            [graph.has_genre["artist"], graph.has_genre["genre"], v, upload_id, "HAS_GENRE"],
        ),
        "rels_similar_to.csv": (
            [":START_ID(Artist)", ":END_ID(Artist)", "similarity:double", "rank:int",
             "shared_listeners:long", "model_version", "upload_id:long", ":TYPE"],
            [graph.similar_to[k] for k in ("source", "target", "similarity", "rank",
                                            "shared_listeners")] + [v, upload_id, "SIMILAR_TO"],
        ),
    }


def _csv_field(value: Any) -> str:
    """One CSV field as neo4j-admin reads it: strings always quoted (quotes doubled), numbers
    bare, and a missing value (None, NaN) as an empty unquoted field, i.e. no property.

    Python 3.11's ``csv`` cannot write this (QUOTE_NONNUMERIC quotes None as ``""``, which
    neo4j-admin imports as an empty string; QUOTE_NOTNULL arrived in 3.12)."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, str):
        return '"' + value.replace('"', '""') + '"'
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"cannot write {type(value).__name__} to a neo4j-admin CSV file")
    return repr(value) if isinstance(value, float) else str(value)


def _write_csv(handle: io.TextIOBase, header: list[str], columns: list[Any]) -> bool:
    """RFC 4180 CSV with neo4j-admin's default quoting; a scalar in ``columns`` (not a
    sequence) repeats on every row. Returns whether any field holds a line break."""
    lengths = {len(col) for col in columns if not _is_scalar(col)}
    n = lengths.pop() if lengths else 0
    if lengths:
        raise ValueError("columns of one CSV file differ in length")
    values = [[col] * n if _is_scalar(col) else list(col) for col in columns]
    handle.write(",".join(_csv_field(name) for name in header) + "\n")
    multiline = False
    for row in zip(*values, strict=True):
        line = ",".join(_csv_field(v) for v in row)
        multiline = multiline or "\n" in line or "\r" in line
        handle.write(line + "\n")
    return multiline


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | np.generic)


def _instructions(files: list[str], delimiter: str, multiline: bool) -> str:
    inputs = " \\\n      ".join(
        [f"--nodes={f}" for f in files if f.startswith("nodes_")]
        + [f"--relationships={f}" for f in files if f.startswith("rels_")]
    )
    delim = "U+001F" if delimiter == "\u001f" else delimiter
    options = f"--array-delimiter='{delim}'" + (" --multiline-fields=true" if multiline else "")
    cypher_shell = "cypher-shell -a neo4j://HOST:7687 -u USER"
    return f"""Artist Listener Insights: the similarity graph as files for neo4j
========================================================================

Route 1: neo4j-admin (fastest; it REPLACES the whole target database, also anything else in it)

  a) the default database `neo4j` (any edition): stop the server, import over it, start it

    neo4j stop
    neo4j-admin database import full --overwrite-destination {options} \\
      {inputs} \\
      neo4j
    neo4j start
    {cypher_shell} -d neo4j -f {CONSTRAINTS_SCRIPT}

  b) a new database, e.g. `music` (Enterprise Edition; the server keeps running)

    neo4j-admin database import full {options} \\
      {inputs} \\
      music
    {cypher_shell} -d system "CREATE DATABASE music WAIT"
    {cypher_shell} -d music -f {CONSTRAINTS_SCRIPT}

  (On Enterprise, `STOP DATABASE name` in the system database instead of `neo4j stop`, then
  `START DATABASE name` after the import, also works for an existing database.)

Route 2: cypher-shell (any database, also one that holds an older upload; safe to re-run;
Neo4j 5.23 or later)

  {cypher_shell} -d DATABASE -f {SCRIPT}

Both give (:Artist)-[:SIMILAR_TO]->(:Artist), (:Artist)-[:IN]->(:Cluster) and
(:Artist)-[:HAS_GENRE]->(:Genre); ids are integers (property `id`), genres are keyed by name.
{CONSTRAINTS_SCRIPT} creates the uniqueness constraints and upload-id indexes that later
uploads (`artist_listener_upload neo4j` or {SCRIPT}) rely on.
"""


# ---- folders and zips -------------------------------------------------------------------------


def _write_all(graph: GraphData, open_text: Callable[[str], io.TextIOBase], batch_size: int,
               upload_id: int) -> list[str]:
    delimiter = _array_delimiter(graph.artists["countries"])
    names = []
    multiline = False
    for name, (header, rows) in _csv_files(graph, upload_id, delimiter).items():
        with open_text(name) as handle:
            multiline = _write_csv(handle, header, rows) or multiline
        names.append(name)
    with open_text(CONSTRAINTS_SCRIPT) as handle:
        handle.writelines(_statement(statement) for statement in cypher.SCHEMA)
    with open_text(SCRIPT) as handle:
        handle.writelines(cypher_script(graph, batch_size, upload_id))
    with open_text(INSTRUCTIONS) as handle:
        handle.write(_instructions(names, delimiter, multiline))
    return [*names, CONSTRAINTS_SCRIPT, SCRIPT, INSTRUCTIONS]


def export_files(graph: GraphData, out_dir: str | Path, batch_size: int = DEFAULT_BATCH_SIZE,
                 upload_id: int | None = None) -> list[Path]:
    """Write every file into ``out_dir`` (created if needed); returns the paths written.

    Each file is written under a temporary name and renamed when complete, so an interrupted
    export never leaves a truncated file that looks finished.
    """
    if batch_size < 1:
        raise ValueError("batch size must be at least 1")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    upload_id = new_upload_id() if upload_id is None else int(upload_id)
    partial: list[tuple[Path, Path]] = []

    def open_text(name: str) -> io.TextIOBase:
        final = out / name
        tmp = out / f".{name}.{uuid.uuid4().hex}.partial"
        partial.append((tmp, final))
        return open(tmp, "w", encoding="utf-8", newline="")

    try:
        names = _write_all(graph, open_text, batch_size, upload_id)
    except BaseException:
        for tmp, _ in partial:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, final in partial:
        tmp.replace(final)
    return [out / name for name in names]


def export_zip(graph: GraphData, batch_size: int = DEFAULT_BATCH_SIZE,
               upload_id: int | None = None) -> bytes:
    """The same files as one zip, in memory: what the dashboard's download button serves."""
    if batch_size < 1:
        raise ValueError("batch size must be at least 1")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:

        def open_text(name: str) -> io.TextIOBase:
            return io.TextIOWrapper(archive.open(name, "w"), encoding="utf-8", newline="")

        _write_all(graph, open_text, batch_size,
                   new_upload_id() if upload_id is None else int(upload_id))
    return buffer.getvalue()
