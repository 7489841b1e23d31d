"""Checks on the committed demo Parquet files in data/demo (built by ``python -m core.demo_data``).

These tests read only the Parquet files, never ../shared/data.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core.tables import ARTIST_GENRES, COUNTRY_STREAMS, SOURCE_TABLES, USER_ARTIST_STREAMS

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
INT_COLUMNS = {"artistnum", "usernum", "total_streams"}


def _path(contract) -> Path:
    return DEMO / f"{contract.name.lower()}.parquet"


@pytest.fixture(scope="module")
def listens() -> pd.DataFrame:
    return pd.read_parquet(_path(USER_ARTIST_STREAMS))


@pytest.fixture(scope="module")
def genres() -> pd.DataFrame:
    return pd.read_parquet(_path(ARTIST_GENRES))


@pytest.fixture(scope="module")
def country() -> pd.DataFrame:
    return pd.read_parquet(_path(COUNTRY_STREAMS))


@pytest.fixture(scope="module")
def known_countries() -> set[str]:
    pytest.importorskip("pycountry")
    from core.demo_data import COUNTRY_NAME_BY_ALPHA2

    return set(COUNTRY_NAME_BY_ALPHA2.values())


def _countries(value: str | None) -> list[str]:
    return [] if value is None else value.split(",")


@pytest.mark.parametrize("contract", SOURCE_TABLES, ids=lambda c: c.name)
def test_exact_contract_columns_and_types(contract):
    schema = pq.read_schema(_path(contract))
    assert tuple(schema.names) == contract.columns
    contract.check_columns(schema.names)
    for field in schema:
        expected = pa.int64() if field.name in INT_COLUMNS else pa.string()
        assert field.type == expected, field.name


def test_listens_ids_dense_and_consistent(listens):
    assert len(listens) == 92_834
    assert listens["usernum"].nunique() == 1_892
    assert listens["artistnum"].nunique() == 17_632
    for column in ("usernum", "artistnum"):
        ids = sorted(listens[column].unique())
        assert ids == list(range(len(ids))), column
    users = listens[["usernum", "userid"]].drop_duplicates()
    assert users["usernum"].is_unique and users["userid"].is_unique
    # usernum follows the order of the HetRec user ids
    users = users.sort_values("usernum")
    assert users["userid"].astype(int).is_monotonic_increasing
    assert users["userid"].iloc[0] == "2"
    artists = listens[["artistnum", "artistname"]].drop_duplicates()
    assert artists["artistnum"].is_unique and artists["artistname"].is_unique
    assert not listens.duplicated(["usernum", "artistnum"]).any()
    assert listens[["usernum", "artistnum"]].equals(
        listens[["usernum", "artistnum"]].sort_values(["usernum", "artistnum"])
    )


@pytest.mark.parametrize("contract", [USER_ARTIST_STREAMS, COUNTRY_STREAMS], ids=lambda c: c.name)
def test_streams_present_and_positive(contract):
    frame = pd.read_parquet(_path(contract))
    assert not frame.isna().any().any()
    assert (frame["total_streams"] > 0).all()


def test_one_genre_row_per_listened_artist(listens, genres):
    assert genres["artistname"].is_unique
    assert set(genres["artistname"]) == set(listens["artistname"])
    assert genres["artistname"].notna().all()
    assert genres["genreid"].notna().sum() > 10_000
    assert (genres["genreid"].dropna() != "").all()


def test_countrylist_format(genres, known_countries):
    lists = genres["countrylist"].dropna()
    assert len(lists) > 1_000
    for value in lists:
        parts = value.split(",")
        assert parts == sorted(set(parts)), value
        assert all(p and p == p.strip() for p in parts), value
        assert set(parts) <= known_countries, set(parts) - known_countries


def test_country_streams_consistent(listens, genres, country, known_countries):
    assert (country["storename"] == "spotify").all()
    assert not country.duplicated(["artistnum", "countryname", "storename"]).any()
    assert set(country["countryname"]) <= known_countries
    assert country["countryname"].nunique() == 39
    names = listens[["artistnum", "artistname"]].drop_duplicates()
    merged = country.merge(names, on="artistnum", how="left", suffixes=("", "_hetrec"))
    assert (merged["artistname"] == merged["artistname_hetrec"]).all()
    # every chart country of an artist is in its countrylist
    lists = genres.set_index("artistname")["countrylist"]
    for name, rows in country.groupby("artistname"):
        assert set(rows["countryname"]) <= set(_countries(lists[name])), name


def test_country_names_are_plain_english(genres, country):
    names = set(country["countryname"])
    names |= {c for value in genres["countrylist"].dropna() for c in value.split(",")}
    assert {"United States", "United Kingdom", "Germany", "Brazil", "Japan"} <= names
    assert not names & {
        "United States of America",
        "Russian Federation",
        "Korea, Republic of",
        "Viet Nam",
        "Czech Republic",
        "us",
        "global",
    }


@pytest.mark.parametrize("artist", ["Britney Spears", "Lady Gaga", "Coldplay", "Rihanna"])
def test_famous_artists_have_country_data(genres, country, artist):
    row = genres.loc[genres["artistname"] == artist]
    assert len(row) == 1
    assert row["countrylist"].notna().all()
    assert (country["artistname"] == artist).sum() > 10


def test_real_facts(genres, country):
    lists = genres.set_index("artistname")["countrylist"]
    assert "United States" in _countries(lists["Lady Gaga"])
    gaga = country[country["artistname"] == "Lady Gaga"].set_index("countryname")
    assert gaga.loc["United States", "total_streams"] > 1_000_000
    assert genres.set_index("artistname").loc["Lady Gaga", "genreid"] == "pop"
    # case variants of one name: only the most played HetRec artist gets the chart data
    assert lists["Michel Teló"] is not None
    assert lists["MICHEL TELÓ"] is None


def test_accents_kept(genres, listens):
    names = set(genres["artistname"])
    assert {"Beyoncé", "Björk", "Sigur Rós", "Mötley Crüe"} <= names
    assert "Beyonce" not in names
    assert "Beyoncé" in set(listens["artistname"])
    assert not any("&amp;" in n for n in names)
