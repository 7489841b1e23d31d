"""Where a pushed-down training's peak RSS goes: per SQL statement, the process's peak RSS and
DuckDB's own accounting (``duckdb_memory()``: bytes by tag, and bytes spilled) at that peak.

    python benchmarks/pushdown_memory.py var/bench/gen-10M/warehouse.duckdb 3GB var/tmp out.json

A sampler thread reads the RSS every 0.25 s and, from a second cursor on the same database,
``duckdb_memory()`` whenever the RSS reaches a new peak within the statement; the runner's
``execute``, ``fetch`` and ``upload`` are wrapped to close one row per statement (and one per
stretch of Python between statements). Prints a summary (``ru_maxrss``, RSS at the end and
after ``malloc_trim``); the JSON holds every row. Findings: benchmarks/README.md, *Where the
pushed-down RSS goes*.
"""

from __future__ import annotations

import ctypes
import json
import re
import resource
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.warehouse import pushdown_sql as q

PROC = psutil.Process()
LOCK = threading.Lock()
ROWS: list[dict[str, Any]] = []
CUR: dict[str, Any] = {"peak": 0, "db": None, "db_at_peak": None, "want": False, "con": None}


def duck_memory(con: Any) -> dict[str, Any]:
    got = con.execute("SELECT tag, memory_usage_bytes, temporary_storage_bytes "
                      "FROM duckdb_memory()").fetchall()
    top = sorted(((tag, used) for tag, used, _ in got if used > 0), key=lambda t: -t[1])[:4]
    return {"used_mb": round(sum(r[1] for r in got) / 2**20),
            "spilled_mb": round(sum(r[2] for r in got) / 2**20),
            "top_mb": {tag: round(used / 2**20) for tag, used in top}}


def sample() -> None:
    n = 0
    while True:
        rss = PROC.memory_info().rss
        with LOCK:
            if rss > CUR["peak"]:
                CUR["peak"], CUR["want"] = rss, True
        n += 1
        if CUR["con"] is not None and (CUR["want"] or n % 4 == 0):
            try:
                m = duck_memory(CUR["con"])
            except Exception:  # a sample may race a statement: skip it
                m = None
            with LOCK:
                if m is not None:
                    if CUR["want"]:
                        CUR["db_at_peak"], CUR["want"] = m, False
                    if CUR["db"] is None or m["used_mb"] > CUR["db"]["used_mb"]:
                        CUR["db"] = m
        time.sleep(0.25)


def close(label: str, seconds: float | None = None) -> None:
    with LOCK:
        rss = PROC.memory_info().rss
        ROWS.append({"label": label, "seconds": None if seconds is None else round(seconds, 1),
                     "peak_mb": round(max(CUR["peak"], rss) / 2**20),
                     "after_mb": round(rss / 2**20),
                     "duckdb_max": CUR["db"], "duckdb_at_peak": CUR["db_at_peak"]})
        CUR.update(peak=rss, db=None, db_at_peak=None)


def label_of(sql: str) -> str:
    text = " ".join(sql.split())[:240]
    table = re.search(r"(?:CREATE OR REPLACE TEMPORARY TABLE|INSERT INTO) (\w+)", text)
    if table:
        part = re.search(r"MOD\(\w+\.\w+, (\d+)\) = (\d+)", text)
        return table.group(1) + (f" part {part.group(2)}/{part.group(1)}" if part else "")
    return "drop" if text.startswith("DROP") else "fetch " + text[7:60]


def wrap(name: str) -> None:
    original = getattr(q.DuckDBRunner, name)

    def wrapped(self: Any, first: Any, *args: Any) -> Any:
        if CUR["con"] is None:
            CUR["con"] = self.con.cursor()
        label = label_of(first) if name != "upload" else f"upload {first}"
        close(f"python before {label}")
        start = time.perf_counter()
        try:
            return original(self, first, *args)
        finally:
            close(label, time.perf_counter() - start)

    setattr(q.DuckDBRunner, name, wrapped)


def main() -> int:
    db, memory, temp, out = sys.argv[1:5]
    for name in ("execute", "_fetch", "upload"):
        wrap(name)
    threading.Thread(target=sample, daemon=True).start()
    from core.training import TrainingParams, train
    from core.warehouse.duckdb import DuckDBWarehouse

    start = time.perf_counter()
    model = train(DuckDBWarehouse(db, memory_limit=memory, temp_directory=temp),
                  TrainingParams(mode="pushdown", similarity="hybrid"))
    close("python after the last statement")
    end = PROC.memory_info().rss
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    counts = model.manifest["counts"]
    summary = {"wall": round(time.perf_counter() - start),
               "ru_maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
               "end_rss_mb": round(end / 2**20),
               "after_malloc_trim_mb": round(PROC.memory_info().rss / 2**20),
               "timings": model.manifest["timings_seconds"],
               **{k: counts.get(k) for k in ("pairs", "users", "co_listening_parts",
                                             "co_listening_join_rows", "candidate_rows")}}
    Path(out).write_text(json.dumps({"summary": summary, "rows": ROWS}, indent=1))
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
