"""The embedded warehouse applies the input rules in SQL and replaces tables atomically."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from core.errors import ConfigError, ContractError
from core.tables import USER_ARTIST_STREAMS
from core.training.matrix import build_listen_matrix
from core.warehouse.duckdb import DuckDBWarehouse, build_from_parquet
from tests.conftest import DEMO_DIR, listens_frame

BAD_ROWS = [
    ("A", 0, "u0", 0, 5),
    ("A", 0, "u0", 0, 7),          # duplicate pair: summed with the row above
    ("A", 0, "u1", 1, None),       # NULL streams
    ("A", 0, "u2", 2, 0),          # zero
    ("A", 0, "u3", 3, -4),         # negative
    ("B", None, "u1", 1, 3),       # unknown artist id
    ("B", 1, "u9", None, 3),       # unknown user id
    ("B", 1, "u1", 1, 2.5),
    ("O'Brien \"Quote\" \\ Ünïcode", 2, "u1", 1, 1),
]


def test_listen_stats_count_every_rule(make_warehouse):
    warehouse = make_warehouse(listens_frame(BAD_ROWS))
    stats = warehouse.listen_stats()
    assert stats.rows_total == 9
    assert stats.rows_null_streams == 1
    assert stats.rows_nonpositive_streams == 2
    assert stats.rows_unknown_ids == 2
    assert stats.rows_kept == 4
    assert stats.pairs == 3
    assert stats.rows_duplicate == 1


def test_pairs_are_left_to_the_caller_when_asked(make_warehouse):
    stats = make_warehouse(listens_frame(BAD_ROWS)).listen_stats(count_pairs=False)
    assert stats.pairs is None and stats.rows_duplicate is None and stats.rows_kept == 4


def test_listens_are_cleaned_and_summed_into_the_matrix(make_warehouse):
    warehouse = make_warehouse(listens_frame(BAD_ROWS))
    listens = pd.concat(warehouse.iter_listens(batch_rows=2))
    assert list(listens.columns) == ["usernum", "artistnum", "streams"]
    # only usable rows arrive; a pair's two rows (5 + 7 streams) may arrive apart
    assert sorted(listens["streams"]) == [1.0, 2.5, 5.0, 7.0]
    matrix = build_listen_matrix(warehouse.iter_listens(batch_rows=2))
    coo = matrix.streams.tocoo()
    got = {(int(matrix.user_ids[c]), int(matrix.artist_ids[r])): v
           for r, c, v in zip(coo.row, coo.col, coo.data, strict=True)}
    assert got == {(0, 0): 12.0, (1, 1): 2.5, (1, 2): 1.0}


def test_streams_stored_as_text_are_read_and_garbage_counts_as_null(make_warehouse):
    frame = listens_frame([("A", 0, "u0", 0, "12"), ("A", 0, "u1", 1, "twelve")])
    frame["total_streams"] = frame["total_streams"].astype(str)
    warehouse = make_warehouse(frame)
    assert warehouse.listen_stats().rows_null_streams == 1
    assert pd.concat(warehouse.iter_listens())["streams"].tolist() == [12.0]


def test_artist_names_keep_quotes_and_unicode(make_warehouse):
    names = make_warehouse(listens_frame(BAD_ROWS)).artist_names()
    assert names.set_index("artistnum")["artistname"][2] == "O'Brien \"Quote\" \\ Ünïcode"


def test_missing_column_names_table_and_column(make_warehouse):
    frame = listens_frame(BAD_ROWS).drop(columns=["usernum"])
    warehouse = make_warehouse(frame)
    with pytest.raises(ContractError, match=r"USER_ARTIST_STREAMS_FILTERED_WITH_IDS.*usernum"):
        warehouse.check_contract()
    with pytest.raises(ContractError, match="usernum"):
        warehouse.listen_stats()


def test_missing_table_is_named(tmp_path):
    warehouse = DuckDBWarehouse(tmp_path / "empty.duckdb")
    warehouse.write_table("OTHER", pd.DataFrame({"x": [1]}))
    with pytest.raises(ContractError, match="USER_ARTIST_STREAMS_FILTERED_WITH_IDS not found"):
        warehouse.check_contract()


def test_upper_case_columns_are_accepted(make_warehouse):
    frame = listens_frame(BAD_ROWS).rename(columns=str.upper)
    assert make_warehouse(frame).listen_stats().pairs == 3


def test_write_table_replaces_whole(tmp_path):
    warehouse = DuckDBWarehouse(tmp_path / "w.duckdb")
    warehouse.write_table("RESULT", pd.DataFrame({"a": [1, 2, 3]}))
    warehouse.write_table("RESULT", pd.DataFrame({"a": [9], "b": ["x"]}))
    assert warehouse.read_table("RESULT").to_dict("list") == {"a": [9], "b": ["x"]}


class _FailingCommit:
    """A connection that breaks at COMMIT: the worst moment for a replace to fail."""

    def __init__(self, con):
        self._con = con

    def execute(self, query, *args):
        if query.strip().upper() == "COMMIT":
            raise duckdb.IOException("disk full (injected)")
        return self._con.execute(query, *args)

    def __getattr__(self, name):
        return getattr(self._con, name)


def test_failed_write_leaves_previous_table(tmp_path, monkeypatch):
    warehouse = DuckDBWarehouse(tmp_path / "w.duckdb")
    warehouse.write_table("RESULT", pd.DataFrame({"a": [1, 2, 3]}))
    real_connect = duckdb.connect
    monkeypatch.setattr(duckdb, "connect", lambda *a, **k: _FailingCommit(real_connect(*a, **k)))
    with pytest.raises(duckdb.IOException, match="injected"):
        warehouse.write_table("RESULT", pd.DataFrame({"a": [7, 8]}))
    monkeypatch.undo()
    assert warehouse.read_table("RESULT")["a"].tolist() == [1, 2, 3]


def test_table_names_cannot_inject(tmp_path):
    warehouse = DuckDBWarehouse(tmp_path / "w.duckdb")
    with pytest.raises(Exception, match="not a valid table name"):
        warehouse.write_table('x"; DROP TABLE y; --', pd.DataFrame({"a": [1]}))


def test_build_demo_warehouse_counts(tmp_path):
    counts = build_from_parquet(DEMO_DIR, tmp_path / "demo.duckdb")
    direct = len(pd.read_parquet(DEMO_DIR / "user_artist_streams_filtered_with_ids.parquet"))
    assert counts[USER_ARTIST_STREAMS.name] == direct
    DuckDBWarehouse(tmp_path / "demo.duckdb").check_contract()


def test_interrupted_build_leaves_no_warehouse(tmp_path):
    source = tmp_path / "parquet"
    source.mkdir()
    pd.read_parquet(DEMO_DIR / "user_artist_streams_filtered_with_ids.parquet").head(5).to_parquet(
        source / "user_artist_streams_filtered_with_ids.parquet")
    with pytest.raises(ContractError, match="ARTIST_IDS_SINGLE_GENRE"):
        build_from_parquet(source, tmp_path / "w.duckdb")
    assert not (tmp_path / "w.duckdb").exists()


def test_reads_do_not_block_another_reader(demo_warehouse_path):
    first = DuckDBWarehouse(demo_warehouse_path)
    with duckdb.connect(str(demo_warehouse_path), read_only=True):
        assert first.row_count(USER_ARTIST_STREAMS.name) > 0
    assert np.all(first.country_streams()["total_streams"] > 0)


def test_memory_limit_applies_to_every_connection(tmp_path):
    warehouse = DuckDBWarehouse(tmp_path / "w.duckdb", memory_limit="300MB")
    warehouse.write_table("OTHER", pd.DataFrame({"x": [1]}))
    limit = warehouse._query("SELECT current_setting('memory_limit') AS m")["m"][0]
    assert limit.endswith("MiB") and 280 <= float(limit.split()[0]) <= 300
    with pytest.raises(ConfigError, match="not a size"):
        DuckDBWarehouse(tmp_path / "w.duckdb", memory_limit="1GB'; DROP TABLE x; --")
