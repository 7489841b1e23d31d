"""Property-based tests: generated hostile source tables, the same rules on every warehouse.

``hypothesis`` writes tables full of what users' warehouses hold: text streams such as "NaN",
"Infinity", "1e400", "abc" or " 5 ", ids stored as text ("1.5", "x", "-3", a number past
BIGINT), names that differ only in case and white space, duplicate genre rows. Each table is
loaded into DuckDB (streams as text, and as DOUBLE holding real NaN and infinities), into
Snowpark local testing and into a fakesnow server, and the readers must agree with a plain
Python statement of the rules: every row lands in exactly one counted bucket, only positive
finite streams and whole ids >= 0 are kept, names become one key each, and nothing raises.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import InsightsError
from core.tables import ARTIST_GENRES, COUNTRY_STREAMS, USER_ARTIST_STREAMS
from core.training import TrainingParams, train
from core.training.matrix import build_listen_matrix
from core.warehouse.base import Warehouse
from core.warehouse.duckdb import DuckDBWarehouse
from core.warehouse.validation import clean_text
from tests.conftest import fakesnow_session, start_fakesnow

pytestmark = pytest.mark.filterwarnings("ignore:Arrow output on a DB-API result:UserWarning")
# fakesnow inserts bound rows one by one, so its examples are fewer and smaller
# database=None: no .hypothesis folder in the checkout; failures print their example instead
EXAMPLES = settings(max_examples=25, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])
FEW_EXAMPLES = settings(EXAMPLES, max_examples=8)

STREAM_TEXT = st.one_of(
    st.none(),
    st.sampled_from(["NaN", "nan", "inf", "Infinity", "-inf", "-Infinity", "abc", "", " 5 ",
                     "1e400", "-0", "0", "+3", "1e-300"]),
    st.integers(-3, 50).map(str),
    st.floats(-10, 1e6, allow_nan=False).map(repr),
)
ID_TEXT = st.one_of(
    st.none(),
    st.sampled_from(["1.5", "2.0", "x", "", "-3", "1e1", "9223372036854775808", " 4 "]),
    st.integers(0, 6).map(str),
)


def as_number(text: str | None) -> float | None:
    """What TRY_CAST(text AS DOUBLE) gives: None when it is not a number."""
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def as_id(text: str | None) -> int | None:
    value = as_number(text)
    if value is None or not math.isfinite(value) or value < 0 or value >= 2**63:
        return None
    return int(value) if value == int(value) else None


def expected_listens(rows: list[tuple[Any, ...]]) -> tuple[dict[str, int], dict[tuple[int, int], float]]:
    """The rules in plain Python: bucket counts and summed streams per (user, artist)."""
    counts: Counter[str] = Counter(rows_total=len(rows))
    pairs: dict[tuple[int, int], float] = defaultdict(float)
    for _, artist, _, user, streams in rows:
        value, u, a = as_number(streams), as_id(user), as_id(artist)
        if value is None:
            counts["rows_null_streams"] += 1
        elif not math.isfinite(value):
            counts["rows_nonfinite_streams"] += 1
        elif value <= 0:
            counts["rows_nonpositive_streams"] += 1
        elif u is None or a is None:
            counts["rows_unknown_ids"] += 1
        else:
            counts["rows_kept"] += 1
            pairs[(u, a)] += value
    counts["pairs"] = len(pairs)
    return dict(counts), dict(pairs)


listen_rows = st.lists(
    st.tuples(st.sampled_from(["A", " A", "b", "Ünï", None]), ID_TEXT, st.just("u"), ID_TEXT,
              STREAM_TEXT),
    min_size=0, max_size=25,
)

COUNTRY_BASES = ["United States", "Côte d'Ivoire", "Germany"]


@st.composite
def country_spelling(draw: st.DrawFn) -> str:
    """A country name with random case and white space: " united  STATES\t" and so on."""
    base = draw(st.sampled_from(COUNTRY_BASES))
    chars = [c.upper() if draw(st.booleans()) else c.lower() for c in base]
    spaced = "".join(c if c != " " else draw(st.sampled_from([" ", "  ", "\t", "\u00a0"]))
                     for c in chars)
    return draw(st.sampled_from(["", " ", "\n"])) + spaced + draw(st.sampled_from(["", " ", "  "]))


country_rows = st.lists(
    st.tuples(st.integers(0, 2).map(str), st.just("A"), st.one_of(st.none(), country_spelling()),
              st.sampled_from(["Spotify", " spotify ", "APPLE", "", None]), STREAM_TEXT),
    min_size=0, max_size=20,
)
genre_rows = st.lists(
    st.tuples(st.sampled_from(["A", " A ", "A  B", "A\tB", "", None, "Émile"]),
              st.sampled_from(["France,Belgium", "Belgium", " France ", None, ""]),
              st.sampled_from(["1", "2", "3", None])),
    min_size=0, max_size=15,
)


# --------------------------------------------------------------------------------------------
# Loading one generated table set into each warehouse (every column as text)
# --------------------------------------------------------------------------------------------

TABLES = {
    USER_ARTIST_STREAMS.name: USER_ARTIST_STREAMS.columns,
    COUNTRY_STREAMS.name: COUNTRY_STREAMS.columns,
    ARTIST_GENRES.name: ARTIST_GENRES.columns,
}


def load_duckdb(path: Path, tables: dict[str, list[tuple[Any, ...]]], double_streams: bool) -> Warehouse:
    con = duckdb.connect(str(path))
    try:
        for name, rows in tables.items():
            columns = TABLES[name]
            con.execute(f'CREATE OR REPLACE TABLE "{name}" ({", ".join(f"{c} VARCHAR" for c in columns)})')
            if rows:
                con.executemany(f'INSERT INTO "{name}" VALUES ({", ".join("?" for _ in columns)})', rows)
            if double_streams and "total_streams" in columns:  # real NaN and infinities
                con.execute(f'ALTER TABLE "{name}" ALTER total_streams TYPE DOUBLE '
                            "USING TRY_CAST(total_streams AS DOUBLE)")
    finally:
        con.close()
    return DuckDBWarehouse(path)


def load_snowpark(session: Any, tables: dict[str, list[tuple[Any, ...]]]) -> Warehouse:
    from snowflake.snowpark.types import StringType, StructField, StructType

    from core.warehouse.snowflake import SnowparkWarehouse

    local = session.get_current_database() == '"MOCK_DATABASE"'
    for name, rows in tables.items():
        columns = TABLES[name]
        if local:
            schema = StructType([StructField(c.upper(), StringType()) for c in columns])
            session.create_dataframe(rows or [], schema=schema).write.save_as_table(name, mode="overwrite")
            continue
        cursor = session.connection.cursor()
        try:
            cursor.execute(f"CREATE OR REPLACE TABLE {name} ({', '.join(f'{c} VARCHAR' for c in columns)})")
            if rows:
                cursor.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' for _ in columns)})", rows)
        finally:
            cursor.close()
    return SnowparkWarehouse(session)


@pytest.fixture(scope="module")
def local_session() -> Iterator[Any]:
    from snowflake.snowpark import Session

    session = Session.builder.config("local_testing", True).create()
    yield session
    session.close()


@pytest.fixture(scope="module")
def fakesnow() -> Iterator[Any]:
    with start_fakesnow() as server, fakesnow_session(server, "INGEST") as session:
        yield session


def all_tables(listens: list[tuple[Any, ...]] = (), country: list[tuple[Any, ...]] = (),
               genres: list[tuple[Any, ...]] = ()) -> dict[str, list[tuple[Any, ...]]]:
    return {USER_ARTIST_STREAMS.name: list(listens), COUNTRY_STREAMS.name: list(country),
            ARTIST_GENRES.name: list(genres)}


# --------------------------------------------------------------------------------------------
# The assertions, shared by every warehouse
# --------------------------------------------------------------------------------------------


def check_listens(warehouse: Warehouse, rows: list[tuple[Any, ...]], nan_is_null: bool = False) -> None:
    counts, pairs = expected_listens(rows)
    stats = warehouse.listen_stats().as_dict()
    buckets = ("rows_null_streams", "rows_nonfinite_streams", "rows_nonpositive_streams",
               "rows_unknown_ids", "rows_kept")
    assert sum(stats[b] for b in buckets) == stats["rows_total"] == len(rows)
    for key in ("rows_nonpositive_streams", "rows_unknown_ids", "rows_kept", "pairs"):
        assert stats[key] == counts.get(key, 0), key
    dropped = counts.get("rows_null_streams", 0) + counts.get("rows_nonfinite_streams", 0)
    if nan_is_null:  # local testing turns a failed cast into NaN, so it cannot tell them apart
        assert stats["rows_null_streams"] + stats["rows_nonfinite_streams"] == dropped
    else:
        assert stats["rows_null_streams"] == counts.get("rows_null_streams", 0)
        assert stats["rows_nonfinite_streams"] == counts.get("rows_nonfinite_streams", 0)
    batches = list(warehouse.iter_listens(batch_rows=7))
    got = pd.concat(batches, ignore_index=True) if batches else pd.DataFrame(
        columns=["usernum", "artistnum", "streams"])
    assert got["streams"].map(math.isfinite).all() and (got["streams"] > 0).all()
    # a warehouse may send a pair in several rows; the matrix builder sums them
    found: dict[tuple[int, int], float] = defaultdict(float)
    for r in got.itertuples():
        found[(int(r.usernum), int(r.artistnum))] += float(r.streams)
    assert found.keys() == pairs.keys()
    assert build_listen_matrix(iter(batches)).streams.nnz == len(pairs)
    for key, value in pairs.items():
        assert math.isclose(found[key], value, rel_tol=1e-9), key


def check_country(warehouse: Warehouse, rows: list[tuple[Any, ...]]) -> None:
    frame = warehouse.country_streams()
    expected: dict[tuple[int, str, str], float] = defaultdict(float)
    for artist, _, country, store, streams in rows:
        value, a = as_number(streams), as_id(artist)
        key_country, key_store = clean_text(country), clean_text(store)
        if value is None or not math.isfinite(value) or value <= 0 or a is None:
            continue
        if key_country is None or key_store is None:
            continue
        expected[(a, key_country.casefold(), key_store.lower())] += value
    got = {(int(r.artistnum), r.countryname.casefold(), r.storename): r.total_streams
           for r in frame.itertuples()}
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert math.isclose(got[key], value, rel_tol=1e-9)
    # one spelling per country, already clean
    spellings = frame.groupby(frame["countryname"].str.casefold())["countryname"].nunique()
    assert (spellings == 1).all()
    assert all(name == clean_text(name) for name in frame["countryname"])
    counts = warehouse.ingest_counts()
    assert counts["country_rows_unusable"] + counts["country_rows_blank_name"] <= len(rows)


def check_genres(warehouse: Warehouse, rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    frame = warehouse.artist_genres()
    names = [clean_text(name) for name, _, _ in rows]
    kept = [n for n in names if n is not None]
    assert frame["artistname"].tolist() == sorted(set(kept))
    counts = warehouse.ingest_counts()
    assert counts["genre_rows_duplicate"] == len(kept) - len(set(kept))
    assert counts["genre_rows_blank_name"] == len(names) - len(kept)
    for row in frame.itertuples():
        genres = Counter(clean_text(g) for n, _, g in rows if clean_text(n) == row.artistname
                         and clean_text(g) is not None)
        if genres:
            top = max(genres.values())
            assert row.genreid == min(g for g, n in genres.items() if n == top)
        else:
            assert row.genreid is None
    return frame


# --------------------------------------------------------------------------------------------
# DuckDB
# --------------------------------------------------------------------------------------------


@EXAMPLES
@given(rows=listen_rows, double_streams=st.booleans())
def test_duckdb_listens_follow_the_rules(tmp_path: Path, rows: list[tuple[Any, ...]],
                                         double_streams: bool) -> None:
    warehouse = load_duckdb(tmp_path / "w.duckdb", all_tables(rows), double_streams)
    check_listens(warehouse, rows)
    names = warehouse.artist_names()
    assert all(name == clean_text(name) for name in names["artistname"])
    assert names["artistnum"].is_unique


@EXAMPLES
@given(rows=country_rows, double_streams=st.booleans())
def test_duckdb_countries_are_one_key_each(tmp_path: Path, rows: list[tuple[Any, ...]],
                                           double_streams: bool) -> None:
    check_country(load_duckdb(tmp_path / "w.duckdb", all_tables(country=rows), double_streams), rows)


@EXAMPLES
@given(rows=genre_rows, seed=st.integers(0, 1000))
def test_duckdb_genre_duplicates_resolve_whatever_the_row_order(
    tmp_path: Path, rows: list[tuple[Any, ...]], seed: int
) -> None:
    first = check_genres(load_duckdb(tmp_path / "a.duckdb", all_tables(genres=rows), False), rows)
    shuffled = rows[:]
    random.Random(seed).shuffle(shuffled)
    second = check_genres(load_duckdb(tmp_path / "b.duckdb", all_tables(genres=shuffled), False),
                          shuffled)
    pd.testing.assert_frame_equal(first, second)


# degenerate generated data (one listener pattern) makes the SVD's total variance 0 and k-means
# find fewer clusters; both warn, neither is what this test is about
@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning",
                            "ignore:invalid value:RuntimeWarning",
                            "ignore::sklearn.exceptions.ConvergenceWarning")
@settings(EXAMPLES, max_examples=6)
@given(rows=listen_rows)
def test_training_on_hostile_listens_is_a_model_or_a_message(tmp_path: Path,
                                                             rows: list[tuple[Any, ...]]) -> None:
    """Never a traceback: either an ``InsightsError`` (too little usable data) or finite arrays."""
    filler = [(f"F{a}", str(a), "u", str(u), "3") for a in range(3) for u in range(4)]
    warehouse = load_duckdb(tmp_path / "w.duckdb", all_tables(rows + filler), True)
    try:
        model = train(warehouse, TrainingParams(num_features=2, num_clusters=2, top_k=3,
                                                mode="memory"))
    except InsightsError:
        return
    for name in ("features", "neighbour_sim", "geo_peer_sim"):
        assert pd.notna(getattr(model, name)).all()
    assert model.manifest["counts"]["rows_total"] == len(rows) + len(filler)


# --------------------------------------------------------------------------------------------
# Snowflake: Snowpark local testing and a fakesnow server
# --------------------------------------------------------------------------------------------


@EXAMPLES
@given(rows=listen_rows)
def test_local_testing_listens_follow_the_rules(local_session: Any, rows: list[tuple[Any, ...]]) -> None:
    check_listens(load_snowpark(local_session, all_tables(rows)), rows, nan_is_null=True)


@EXAMPLES
@given(rows=country_rows, genres=genre_rows)
def test_local_testing_names_are_keys(local_session: Any, rows: list[tuple[Any, ...]],
                                      genres: list[tuple[Any, ...]]) -> None:
    warehouse = load_snowpark(local_session, all_tables(country=rows, genres=genres))
    check_country(warehouse, rows)
    check_genres(warehouse, genres)


@FEW_EXAMPLES
@given(rows=listen_rows)
def test_fakesnow_listens_follow_the_rules(fakesnow: Any, rows: list[tuple[Any, ...]]) -> None:
    check_listens(load_snowpark(fakesnow, all_tables(rows)), rows)


@FEW_EXAMPLES
@given(rows=country_rows, genres=genre_rows)
def test_fakesnow_names_are_keys(fakesnow: Any, rows: list[tuple[Any, ...]],
                                 genres: list[tuple[Any, ...]]) -> None:
    warehouse = load_snowpark(fakesnow, all_tables(country=rows, genres=genres))
    check_country(warehouse, rows)
    check_genres(warehouse, genres)


def test_the_named_hostile_rows_on_duckdb(tmp_path: Path) -> None:
    """The issue's examples, spelled out: NaN and Infinity dropped and counted, a VARCHAR id
    column read, " united states " one territory with "United States"."""
    listens = [("A", "0", "u", "0", "NaN"), ("A", "0", "u", "1", "Infinity"),
               ("A", "0", "u", "2", "5"), ("A", "x", "u", "3", "5"), ("A", "0", "u", "1.5", "5")]
    country = [("0", "A", "United States", "Spotify", "5"), ("0", "A", " united states ", "spotify", "2"),
               ("0", "A", "Germany", "Spotify", "inf")]
    warehouse = load_duckdb(tmp_path / "w.duckdb", all_tables(listens, country), False)
    stats = warehouse.listen_stats()
    assert (stats.rows_nonfinite_streams, stats.rows_unknown_ids, stats.rows_kept) == (2, 2, 1)
    frame = warehouse.country_streams()
    assert frame[["countryname", "storename", "total_streams"]].values.tolist() == [
        ["United States", "spotify", 7.0]]
    assert warehouse.ingest_counts()["country_spellings_merged"] == 1
    assert warehouse.ingest_counts()["country_rows_unusable"] == 1


def test_usable_streams_fragment_is_snowflake_sql_with_the_same_meaning(fakesnow: Any) -> None:
    """The fragment the pushed-down training reuses, with Snowflake's casts: parsed as
    Snowflake SQL by sqlglot, and run on fakesnow over the values that used to slip through."""
    import sqlglot

    from core.warehouse.sql import usable_streams, whole_id

    value, as_double, as_number = ("TRY_TO_DOUBLE(TO_VARCHAR(v))", "TRY_TO_DOUBLE(TO_VARCHAR(i))",
                                   "TRY_TO_NUMBER(TO_VARCHAR(i))")
    query = (f"SELECT v, i, {usable_streams(value)} AS usable, {whole_id(as_double, as_number)} AS id "
             "FROM (VALUES ('5', '3'), ('NaN', '1.5'), ('inf', 'x'), ('-inf', '-2'), ('0', NULL), "
             "('abc', '99999999999999999999'), (NULL, '7')) AS t(v, i)")
    sqlglot.parse_one(query, read="snowflake")
    rows = {r["V"]: (bool(r["USABLE"]), r["ID"]) for r in fakesnow.sql(query).collect()}
    assert rows == {"5": (True, 3), "NaN": (False, None), "inf": (False, None), "-inf": (False, None),
                    "0": (False, None), "abc": (False, None), None: (False, 7)}
