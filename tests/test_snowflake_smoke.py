"""benchmarks/snowflake_smoke.py (run by hand against an account) run end to end on fakesnow.

On a real account the same steps run; here they prove the script is sound: it creates and
drops its scratch schema, loads the sample, trains pushed down on both engines, uploads, and
reports agreement. fakesnow's HASH is DuckDB's, so here the two engines agree exactly.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
from typing import Any

from snowflake.snowpark import Session
from snowflake.snowpark.exceptions import SnowparkSessionException

from core.config import PROJECT_ROOT
from core.training import TrainingParams
from core.warehouse.snowflake import SnowparkWarehouse
from tests.conftest import start_fakesnow


def load_smoke() -> Any:
    spec = importlib.util.spec_from_file_location(
        "snowflake_smoke", PROJECT_ROOT / "benchmarks" / "snowflake_smoke.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_smoke_runs_every_step_and_cleans_up() -> None:
    smoke = load_smoke()
    lines: list[str] = []
    with start_fakesnow() as server:
        isolated = {**server["session_parameters"], "FAKESNOW_DB_PATH": ":isolated:"}
        session = Session.builder.configs({**server, "database": "SMOKE", "schema": "PUBLIC",
                                           "session_parameters": isolated,
                                           "server_session_keep_alive": True}).create()
        try:
            warehouse = SnowparkWarehouse(session)
            answers = smoke.run(warehouse, "SMOKE", artists=40, log=smoke.Log(out=lines.append),
                                params=TrainingParams(num_features=4, num_clusters=3, top_k=10,
                                                      mode="pushdown"))
            schemas = [r["name"] for r in session.sql("SHOW SCHEMAS IN DATABASE SMOKE").collect()]
            tables = session.sql("SHOW TABLES").collect()
        finally:
            with contextlib.suppress(SnowparkSessionException):  # fakesnow: no CANCEL_ALL_QUERIES
                session.close()
    steps = [line.split("  ")[0].strip() for line in lines]
    assert steps == ["demo sample (DuckDB)", "create scratch schema", "load sample into Snowflake",
                     "train pushed down (Snowflake)", "train pushed down (DuckDB)",
                     "upload results (Snowflake)", "compare with DuckDB", "drop scratch schema"]
    assert all(" s  " in line for line in lines)  # every step timed
    assert answers["same artists"] and answers["top-10 overlap"] == 1.0
    assert not [s for s in schemas if str(s).upper().startswith("ALI_SMOKE_")]
    assert not [t for t in tables if "ARTIST_SIMILARITY" in str(t["name"]).upper()]
