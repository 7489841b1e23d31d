"""Shared fixtures: the real demo warehouse and model, and tiny hand-made warehouses."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import fakesnow
import pandas as pd
import pytest

from core.config import PROJECT_ROOT
from core.model import Model, ModelStore
from core.tables import ARTIST_GENRES, COUNTRY_STREAMS, USER_ARTIST_STREAMS
from core.training import TrainingParams, train
from core.warehouse.duckdb import DuckDBWarehouse, build_from_parquet

DEMO_DIR = PROJECT_ROOT / "data" / "demo"

#: fakesnow's ``server()`` context manager, captured before its first call: that call runs
#: ``import fakesnow.server``, which rebinds the package attribute ``fakesnow.server`` to the
#: submodule, so a second test module calling ``fakesnow.server()`` would get "module object is
#: not callable". Every test that needs a fakesnow server starts it through this name.
start_fakesnow = fakesnow.server

#: fakesnow's login hands out no master token, so the connector's logout on close fails and
#: leaves the connection open; its query-cancel timers then fire against the stopped server and
#: print tracebacks after the test summary. Keeping the server-side session alive skips that
#: logout, so closing the session really closes the connection.
FAKESNOW_ONLY = {"server_session_keep_alive": True}


@contextlib.contextmanager
def fakesnow_session(server: dict[str, Any], database: str) -> Iterator[Any]:
    """A Snowpark session on a running fakesnow server, in its own empty database, closed
    before the server stops (start the server with ``start_fakesnow``)."""
    from snowflake.snowpark import Session
    from snowflake.snowpark.exceptions import SnowparkSessionException

    isolated = {**server["session_parameters"], "FAKESNOW_DB_PATH": ":isolated:"}
    session = Session.builder.configs({**server, **FAKESNOW_ONLY, "database": database,
                                       "schema": "PUBLIC", "session_parameters": isolated}).create()
    try:
        yield session
    finally:
        # fakesnow lacks SYSTEM$CANCEL_ALL_QUERIES, which Session.close calls before closing
        with contextlib.suppress(SnowparkSessionException):
            session.close()
VENV_BIN = Path(os.environ.get("VIRTUAL_ENV", PROJECT_ROOT / ".venv")) / "bin"


@pytest.fixture(scope="session")
def demo_warehouse_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "warehouse.duckdb"
    build_from_parquet(DEMO_DIR, path)
    return path


@pytest.fixture(scope="session")
def demo_model(demo_warehouse_path: Path) -> Model:
    return train(DuckDBWarehouse(demo_warehouse_path), TrainingParams())


@pytest.fixture(scope="session")
def demo_model_dir(demo_model: Model, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("models")
    ModelStore(root).save(demo_model)
    return root


def listens_frame(rows: list[tuple]) -> pd.DataFrame:
    """(artistname, artistnum, userid, usernum, total_streams) tuples as a source-table frame."""
    return pd.DataFrame(rows, columns=list(USER_ARTIST_STREAMS.columns))


@pytest.fixture
def make_warehouse(tmp_path: Path) -> Callable[..., DuckDBWarehouse]:
    """Build a DuckDB warehouse from frames; tables left out get empty contract frames."""

    def make(
        listens: pd.DataFrame,
        genres: pd.DataFrame | None = None,
        country: pd.DataFrame | None = None,
        name: str = "tiny.duckdb",
    ) -> DuckDBWarehouse:
        warehouse = DuckDBWarehouse(tmp_path / name)
        warehouse.write_table(USER_ARTIST_STREAMS.name, listens)
        warehouse.write_table(
            ARTIST_GENRES.name,
            genres if genres is not None else pd.DataFrame(
                {"artistname": pd.Series(dtype=str), "countrylist": pd.Series(dtype=str),
                 "genreid": pd.Series(dtype=str)}),
        )
        warehouse.write_table(
            COUNTRY_STREAMS.name,
            country if country is not None else pd.DataFrame(
                {"artistnum": pd.Series(dtype="int64"), "artistname": pd.Series(dtype=str),
                 "countryname": pd.Series(dtype=str), "storename": pd.Series(dtype=str),
                 "total_streams": pd.Series(dtype="float64")}),
        )
        return warehouse

    return make


def community_listens(n_groups: int = 3, artists_per_group: int = 4, users_per_group: int = 6,
                      ) -> pd.DataFrame:
    """Listeners who each stream every artist of their own group: an easy, known structure."""
    rows = []
    for g in range(n_groups):
        for u in range(users_per_group):
            user = g * users_per_group + u
            for a in range(artists_per_group):
                artist = g * artists_per_group + a
                rows.append((f"G{g} Artist {a}", artist, f"user{user}", user, 10 + u + a))
    return listens_frame(rows)
