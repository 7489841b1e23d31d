"""Build the bundled demo warehouse: the three source tables as small Parquet files.

Run by hand, never by the app (the app reads only the Parquet files it writes)::

    python -m core.demo_data --source ../shared/data --out data/demo

Inputs (all real public data, see ``../shared/data/README.md`` for sources and attribution):

* ``hetrec2011-lastfm-2k/``: ``user_artists.dat`` (user, artist, play count), ``artists.dat``
  (names, UTF-8), ``tags.dat`` (Latin-1, not UTF-8) and ``user_taggedartists.dat``.
* ``spotify-charts-2017/*.csv.gz``: weekly Top-200 per region with stream counts.
* ``lastfm-geo-top-artists-2020/*.csv``: Last.fm top 101 artists per country (2020).

Outputs (``<out>/<table name lower case>.parquet``, zstd, rows sorted, int64 / string columns):

* ``USER_ARTIST_STREAMS_FILTERED_WITH_IDS``: one row per HetRec (user, artist);
  ``artistnum`` / ``usernum`` are dense 0-based ids in the order of the HetRec ids, ``userid`` is
  the HetRec user id as text, ``total_streams`` the HetRec play count.
* ``ARTIST_IDS_SINGLE_GENRE``: one row per HetRec artist in ``user_artists.dat``; ``genreid`` is
  the text of the artist's most used HetRec tag (ties: lowest tagID; NULL when untagged);
  ``countrylist`` the sorted countries, joined by "," without spaces, where the artist is in the
  2017 Spotify weekly charts or the 2020 Last.fm geo top artists (NULL when none).
* ``COUNTRY_ARTIST_STREAMS_BY_STORE``: 2017 Spotify weekly chart streams summed per HetRec artist
  and country, store ``spotify`` (region ``global`` skipped).

Artist name matching: a chart / Last.fm artist matches a HetRec artist when the whole artist
field equals the HetRec name after Unicode NFC normalisation, stripping whitespace and lower
casing. Nothing is split: the 2017 chart ``artist`` field holds the primary artist only (no
"feat." lists; the few commas and "&" are parts of real names such as "Tyler, The Creator" or
"Zion & Lennox"), so splitting would only create false matches. Chart rows with an empty artist
are dropped. HetRec has a few names differing only in case ("Michel Teló" / "MICHEL TELÓ");
such a name is attributed to one HetRec artist only, the one with the most HetRec plays (ties:
lowest HetRec id), so streams are never counted twice.

Country names: every country is resolved to its ISO 3166-1 code and named
``COUNTRY_NAME_BY_ALPHA2[code]``: pycountry's ``common_name`` if present else ``name``, except a
few overrides (names containing a comma, which is the ``countrylist`` separator, and "Russia" /
"Turkey"). Last.fm spellings are resolved with ``pycountry.countries.lookup`` and
``LASTFM_COUNTRY_ALIASES``; "Sark" (no ISO code) is dropped.
"""

from __future__ import annotations

import argparse
import csv
import html
import sys
import unicodedata
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pycountry

from core.tables import ARTIST_GENRES, COUNTRY_STREAMS, USER_ARTIST_STREAMS, TableContract

STORE = "spotify"
COUNTRY_SEPARATOR = ","

#: display names replacing pycountry's where it has a comma or an unusual spelling
COUNTRY_NAME_OVERRIDES: dict[str, str] = {
    "BQ": "Caribbean Netherlands",
    "CD": "Democratic Republic of the Congo",
    "FM": "Micronesia",
    "KP": "North Korea",
    "KR": "South Korea",
    "PS": "Palestine",
    "RU": "Russia",
    "SH": "Saint Helena",
    "TR": "Turkey",
    "VG": "British Virgin Islands",
    "VI": "United States Virgin Islands",
}

#: ISO 3166-1 alpha-2 code -> the one English name used in every demo table
COUNTRY_NAME_BY_ALPHA2: dict[str, str] = {
    c.alpha_2: COUNTRY_NAME_OVERRIDES.get(c.alpha_2, getattr(c, "common_name", None) or c.name)
    for c in pycountry.countries
}

#: Last.fm 2020 country spellings pycountry.countries.lookup does not resolve (None = drop)
LASTFM_COUNTRY_ALIASES: dict[str, str | None] = {
    "Cote d'Ivoire": "CI",
    "Saint Helena": "SH",
    "Swaziland": "SZ",
    "The former Yugoslav Republic of Macedonia": "MK",
    "Turkey": "TR",
    "United States Virgin Islands": "VI",
    "Venezuela (Bolivarian Republic of)": "VE",
    "Wallis and Futuna Islands": "WF",
    "Sark": None,  # part of the Bailiwick of Guernsey, no ISO 3166-1 code
}

HETREC = "hetrec2011-lastfm-2k"
SPOTIFY_2017 = "spotify-charts-2017"
LASTFM_GEO = "lastfm-geo-top-artists-2020"


def name_key(names: pd.Series) -> pd.Series:
    """The artist-name join key: NFC-normalised, stripped, lower case."""
    return names.map(lambda n: unicodedata.normalize("NFC", n).strip().lower())


def country_from_alpha2(code: str) -> str:
    """The display name of an ISO 3166-1 alpha-2 code (any case)."""
    try:
        return COUNTRY_NAME_BY_ALPHA2[code.upper()]
    except KeyError:
        raise ValueError(f"unknown ISO 3166-1 alpha-2 country code {code!r}") from None


def country_from_lastfm(name: str) -> str | None:
    """The display name of a Last.fm country spelling; None for places without an ISO code."""
    if name in LASTFM_COUNTRY_ALIASES:
        code = LASTFM_COUNTRY_ALIASES[name]
        return None if code is None else country_from_alpha2(code)
    try:
        return country_from_alpha2(pycountry.countries.lookup(name).alpha_2)
    except LookupError:
        raise ValueError(
            f"Last.fm country {name!r} is not known to pycountry; add it to LASTFM_COUNTRY_ALIASES"
        ) from None


# --------------------------------------------------------------------------------------- readers


def _read_tsv(path: Path, encoding: str = "utf-8") -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", quoting=csv.QUOTE_NONE, encoding=encoding, keep_default_na=False)


def read_hetrec(source: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``(user_artists, artists, tags, user_taggedartists)`` with typed columns."""
    root = source / HETREC
    user_artists = _read_tsv(root / "user_artists.dat").astype("int64")
    artists = _read_tsv(root / "artists.dat")[["id", "name"]]
    artists = artists.astype({"id": "int64", "name": str})
    artists["name"] = artists["name"].map(html.unescape)
    tags = _read_tsv(root / "tags.dat", encoding="latin-1").astype({"tagID": "int64"})
    tagged = _read_tsv(root / "user_taggedartists.dat")[["userID", "artistID", "tagID"]]
    return user_artists, artists, tags, tagged.astype("int64")


def read_spotify_2017(source: Path) -> pd.DataFrame:
    """``(country, artist, streams)`` chart rows, ``global`` and empty artists dropped."""
    frames = [
        pd.read_csv(path, usecols=["region", "artist", "streams"], dtype={"region": str})
        for path in sorted((source / SPOTIFY_2017).glob("*.csv.gz"))
    ]
    if not frames:
        raise FileNotFoundError(f"no *.csv.gz in {source / SPOTIFY_2017}")
    charts = pd.concat(frames, ignore_index=True)
    charts = charts[(charts["region"] != "global") & charts["artist"].notna()]
    charts = charts.assign(
        country=charts["region"].map(country_from_alpha2),
        streams=charts["streams"].astype("int64"),
    )
    return charts[["country", "artist", "streams"]]


def read_lastfm_geo(source: Path) -> pd.DataFrame:
    """``(country, artist)`` pairs from the Last.fm 2020 geo top artists."""
    frames = [
        pd.read_csv(path, usecols=["Country", "Artist"])
        for path in sorted((source / LASTFM_GEO).glob("*.csv"))
    ]
    if not frames:
        raise FileNotFoundError(f"no *.csv in {source / LASTFM_GEO}")
    geo = pd.concat(frames, ignore_index=True).dropna()
    names = {c: country_from_lastfm(c) for c in geo["Country"].unique()}
    geo = geo.assign(country=geo["Country"].map(names)).dropna(subset=["country"])
    return geo.rename(columns={"Artist": "artist"})[["country", "artist"]].drop_duplicates()


# -------------------------------------------------------------------------------------- builders


def build_tables(source: Path) -> dict[str, pd.DataFrame]:
    """The three source tables, keyed by table name."""
    user_artists, artists, tags, tagged = read_hetrec(source)

    # dense ids in the order of the HetRec ids
    artist_ids = pd.Series(sorted(user_artists["artistID"].unique()))
    user_ids = pd.Series(sorted(user_artists["userID"].unique()))
    artist_num = pd.Series(range(len(artist_ids)), index=artist_ids, dtype="int64")
    user_num = pd.Series(range(len(user_ids)), index=user_ids, dtype="int64")
    names = artists.set_index("id")["name"]
    missing = set(artist_ids) - set(names.index)
    if missing:
        raise ValueError(f"{len(missing)} artist ids in user_artists.dat have no name")

    streams = pd.DataFrame(
        {
            "artistname": user_artists["artistID"].map(names),
            "artistnum": user_artists["artistID"].map(artist_num),
            "userid": user_artists["userID"].astype(str),
            "usernum": user_artists["userID"].map(user_num),
            "total_streams": user_artists["weight"],
        }
    )
    streams = streams.groupby(["usernum", "artistnum", "userid", "artistname"], as_index=False, sort=True)[
        "total_streams"
    ].sum()
    streams = streams[streams["total_streams"] > 0]

    # one row per HetRec artist, in artistnum order
    catalogue = pd.DataFrame({"artistid": artist_ids, "artistnum": artist_num.to_numpy()})
    catalogue["artistname"] = catalogue["artistid"].map(names)
    plays = user_artists.groupby("artistID")["weight"].sum()
    catalogue["plays"] = catalogue["artistid"].map(plays)
    catalogue["key"] = name_key(catalogue["artistname"])
    # a name key shared by several HetRec artists goes to the most played one (ties: lowest id)
    canonical = (
        catalogue.sort_values(["key", "plays", "artistid"], ascending=[True, False, True])
        .drop_duplicates("key")
        .set_index("key")[["artistnum", "artistname"]]
    )

    # genre = most used tag, ties broken by lowest tagID
    tag_counts = tagged.groupby(["artistID", "tagID"], as_index=False).size()
    top_tag = tag_counts.sort_values(
        ["artistID", "size", "tagID"], ascending=[True, False, True]
    ).drop_duplicates("artistID")
    tag_text = tags.set_index("tagID")["tagValue"]
    genre = top_tag.set_index("artistID")["tagID"].map(tag_text)
    catalogue["genreid"] = catalogue["artistid"].map(genre)

    # chart streams per HetRec artist and country
    charts = read_spotify_2017(source)
    charts = charts.assign(key=name_key(charts["artist"]))
    charts = charts.join(canonical, on="key", how="inner")
    country_streams = charts.groupby(["artistnum", "artistname", "country"], as_index=False, sort=True)[
        "streams"
    ].sum()
    country_streams = country_streams.rename(
        columns={"country": "countryname", "streams": "total_streams"}
    ).assign(storename=STORE)
    country_streams = country_streams[list(COUNTRY_STREAMS.columns)]

    # countries per HetRec artist: chart countries plus Last.fm geo top artists
    geo = read_lastfm_geo(source)
    geo = geo.assign(key=name_key(geo["artist"])).join(canonical, on="key", how="inner")
    pairs = pd.concat(
        [
            country_streams[["artistnum", "countryname"]],
            geo[["artistnum", "country"]].rename(columns={"country": "countryname"}),
        ]
    ).drop_duplicates()
    country_list = pairs.groupby("artistnum")["countryname"].agg(lambda c: COUNTRY_SEPARATOR.join(sorted(c)))
    catalogue["countrylist"] = catalogue["artistnum"].map(country_list)

    genres = catalogue[list(ARTIST_GENRES.columns)]
    return {
        USER_ARTIST_STREAMS.name: streams[list(USER_ARTIST_STREAMS.columns)],
        ARTIST_GENRES.name: genres,
        COUNTRY_STREAMS.name: country_streams,
    }


# --------------------------------------------------------------------------------------- writing

_INT_COLUMNS = {"artistnum", "usernum", "total_streams"}


def _schema(contract: TableContract) -> pa.Schema:
    return pa.schema([(c, pa.int64() if c in _INT_COLUMNS else pa.string()) for c in contract.columns])


def parquet_path(out: Path, contract: TableContract) -> Path:
    return out / f"{contract.name.lower()}.parquet"


def write_tables(tables: dict[str, pd.DataFrame], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for contract in (USER_ARTIST_STREAMS, ARTIST_GENRES, COUNTRY_STREAMS):
        frame = tables[contract.name].reset_index(drop=True)
        frame = frame.astype(object).where(frame.notna(), None)
        table = pa.Table.from_pandas(frame, schema=_schema(contract), preserve_index=False)
        pq.write_table(
            table,
            parquet_path(out, contract),
            compression="zstd",
            compression_level=9,
            use_dictionary=True,
        )


def summary(tables: dict[str, pd.DataFrame]) -> list[str]:
    streams = tables[USER_ARTIST_STREAMS.name]
    genres = tables[ARTIST_GENRES.name]
    countries = tables[COUNTRY_STREAMS.name]
    listed = {name for value in genres["countrylist"].dropna() for name in value.split(COUNTRY_SEPARATOR)}
    return [
        *(f"{name}: {len(frame):,} rows" for name, frame in tables.items()),
        f"listens: {streams['usernum'].nunique():,} users, {streams['artistnum'].nunique():,} artists",
        f"artists: {len(genres):,}, with genre {genres['genreid'].notna().sum():,}, "
        f"with country data {genres['countrylist'].notna().sum():,}",
        f"countrylist: {len(listed)} distinct countries",
        f"country streams: {countries['artistnum'].nunique():,} artists, "
        f"{countries['countryname'].nunique()} countries, "
        f"stores {', '.join(sorted(countries['storename'].unique()))}",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, default=Path("data/demo"))
    args = parser.parse_args(argv)
    tables = build_tables(args.source)
    write_tables(tables, args.out)
    for line in summary(tables):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
