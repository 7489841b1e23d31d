"""The Snowflake upload through Snowpark, run for real twice: local testing and a fakesnow server.

Session set-up follows tests/test_snowflake_warehouse.py. fakesnow inserts bound rows one at a
time (milliseconds each), so these tests upload a small generated model; the arithmetic on the
demo model is covered by test_upload_tables.py and test_upload_duckdb.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from snowflake.snowpark import Session

from core.config import Settings
from core.errors import InsightsError
from core.insights import similar_artists
from core.insights.geographic import market_table, territory_summary
from core.upload import GEOGRAPHIC_TABLE, SIMILARITY_TABLE, UploadOptions, publish
from core.upload.tables import GEOGRAPHIC_COLUMNS, SIMILARITY_COLUMNS, result_tables
from core.warehouse.snowflake import SnowparkWarehouse
from testkit.generated import generated_model
from tests.conftest import fakesnow_session, start_fakesnow

MODES = ("local", "fakesnow")
TOP_N = 2
ODD = "O'Brien \"Quote\" \\ Ünïcode {x} MATCH"


@pytest.fixture(scope="module")
def fakesnow_server() -> Iterator[dict[str, Any]]:
    with start_fakesnow() as connection_kwargs:
        yield connection_kwargs


@pytest.fixture(params=MODES)
def warehouse(request: pytest.FixtureRequest) -> Iterator[SnowparkWarehouse]:
    if request.param == "local":
        session = Session.builder.config("local_testing", True).create()
        yield SnowparkWarehouse(session)
        session.close()
        return
    with fakesnow_session(request.getfixturevalue("fakesnow_server"), "UPLOADS") as session:
        yield SnowparkWarehouse(session)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(model_dir=tmp_path / "models")


def small_model(seed: int, artists: int = 12):
    names = [f"Artist {i}" for i in range(artists)]
    names[3] = ODD
    return generated_model(artists, seed=seed, top_k=4, market_peers=3, market_share=0.5,
                           countries_per_artist=3, names=names, version=f"v-{seed}")


def sort(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.sort_values(keys, ignore_index=True)


def test_both_tables_written_and_agree_with_insights(warehouse: SnowparkWarehouse,
                                                     settings: Settings) -> None:
    model = small_model(1)
    result = publish("snowflake", settings, model, warehouse=warehouse,
                     options=UploadOptions(top_n=TOP_N))
    expected = result_tables(model, TOP_N, TOP_N)
    assert result.counts == {name: len(frame) for name, frame in expected.items()}
    assert result.destination == warehouse.description

    similarity = warehouse.read_table(SIMILARITY_TABLE)
    assert list(similarity.columns) == list(SIMILARITY_COLUMNS)
    similarity = sort(similarity, ["artistnum", "rank"])
    pd.testing.assert_frame_equal(similarity, sort(expected[SIMILARITY_TABLE], ["artistnum", "rank"]),
                                  check_dtype=False)
    for row in range(len(model.artists)):
        want = similar_artists(model, row, TOP_N)
        got = similarity[similarity["artistnum"] == model.artists["artistnum"].iat[row]]
        assert got["similar_artist"].tolist() == want["name"].tolist()
        assert np.allclose(got["similarity"], want["similarity"])
    assert ODD in set(similarity["artist"])  # quotes, backslash and Unicode arrive verbatim

    geographic = warehouse.read_table(GEOGRAPHIC_TABLE)
    assert list(geographic.columns) == list(GEOGRAPHIC_COLUMNS)
    assert len(geographic) == len(expected[GEOGRAPHIC_TABLE])
    for row in range(len(model.artists)):
        summary = territory_summary(market_table(model, row), TOP_N)
        mine = geographic[geographic["artistnum"] == model.artists["artistnum"].iat[row]]
        for kind, key in (("top_market", "top_markets"), ("recommendation", "recommendations")):
            ranked = mine[mine["kind"] == kind].sort_values(["rank", "store"])
            assert list(dict.fromkeys(ranked["territory"])) == [e["territory"] for e in summary[key]]
            for entry in summary[key]:
                part = ranked[ranked["territory"] == entry["territory"]]
                assert int(round(part["actual_streams"].sum())) == entry["actual_streams"]["total"]
                assert int(round(part["modeled_streams"].sum())) == entry["modeled_streams"]["total"]


def test_reupload_replaces(warehouse: SnowparkWarehouse, settings: Settings) -> None:
    publish("snowflake", settings, small_model(1), warehouse=warehouse,
            options=UploadOptions(top_n=TOP_N))
    newer = small_model(2, artists=8)
    publish("snowflake", settings, newer, warehouse=warehouse, options=UploadOptions(top_n=1))
    similarity = warehouse.read_table(SIMILARITY_TABLE)
    assert len(similarity) == 8 and set(similarity["model_version"]) == {"v-2"}
    assert set(warehouse.read_table(GEOGRAPHIC_TABLE)["model_version"]) == {"v-2"}


def test_failure_after_the_bulk_load_leaves_previous_table(
    warehouse: SnowparkWarehouse, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish("snowflake", settings, small_model(1), warehouse=warehouse,
            options=UploadOptions(top_n=TOP_N))
    before = sort(warehouse.read_table(SIMILARITY_TABLE), ["artistnum", "rank"])
    staged_rows: list[int] = []

    def loaded_then_fail(session: Session, target: str, staging: str) -> None:
        staged_rows.append(len(warehouse.read_table(staging.strip('"'))))
        raise RuntimeError("injected: connection lost before the swap")

    monkeypatch.setattr(warehouse._dialect, "replace", loaded_then_fail)
    with pytest.raises(InsightsError, match=f"{SIMILARITY_TABLE}.*unchanged"):
        publish("snowflake", settings, small_model(2, artists=8), warehouse=warehouse,
                options=UploadOptions(top_n=1))
    monkeypatch.undo()

    after = sort(warehouse.read_table(SIMILARITY_TABLE), ["artistnum", "rank"])
    pd.testing.assert_frame_equal(after, before)
    assert set(warehouse.read_table(GEOGRAPHIC_TABLE)["model_version"]) == {"v-1"}
    assert staged_rows == [8]  # the new rows were all in Snowflake when the swap failed
    # (that the staging table is dropped afterwards is tests/test_snowflake_warehouse.py's job;
    # probing a missing table here would leave the connector's cancel timers behind)
