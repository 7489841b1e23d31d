"""The ingest rules for names, written once for every warehouse.

The warehouses push the row filters (usable streams, valid ids; ``core.warehouse.sql``) down
and return small, aggregated frames; this module then turns names into keys the same way for
all of them, so a country spelled ``" united states "`` in some rows and ``"United States"``
in others is one territory, and duplicate genre rows resolve by a fixed rule:

* text: Unicode NFC, every run of white space (tabs, newlines, no-break spaces) one space,
  trimmed; empty text is a missing name;
* countries: rows whose names are equal ignoring case are one country, spelled as the variant
  with the most streams (ties: the smallest string), so the choice does not depend on row order;
* stores: lower case;
* genre rows of one artist name: one row, the most frequent genre (ties: the smallest) and the
  union of their country lists.

Each function returns the cleaned frame and counts of what it dropped or merged, which the
training report shows.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import pandas as pd

COUNTRY_COLUMNS = ("artistnum", "artistname", "countryname", "storename", "total_streams")
GENRE_COLUMNS = ("artistname", "countrylist", "genreid")


def clean_text(value: object) -> str | None:
    """``value`` as canonical text (NFC, single spaces, trimmed), or None when empty/missing."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    text = " ".join(unicodedata.normalize("NFC", str(value)).split())
    return text or None


def clean_text_column(series: pd.Series) -> pd.Series:
    """``clean_text`` over a column (object dtype, None for missing), once per distinct value:
    country, store and genre names repeat over hundreds of thousands of rows."""
    codes, uniques = pd.factorize(series.astype(object), use_na_sentinel=True)
    cleaned = np.array([clean_text(u) for u in uniques] + [None], dtype=object)
    return pd.Series(cleaned[codes], index=series.index, dtype=object)


def _canonical_spelling(keys: pd.Series, spellings: pd.Series, weights: pd.Series) -> pd.Series:
    """Per key, the spelling with the largest weight, ties to the smallest spelling."""
    table = pd.DataFrame({"key": keys, "spelling": spellings, "weight": weights})
    totals = table.groupby(["key", "spelling"], as_index=False)["weight"].sum()
    totals = totals.sort_values(["key", "weight", "spelling"], ascending=[True, False, True],
                                kind="mergesort")
    best = totals.drop_duplicates("key").set_index("key")["spelling"]
    return keys.map(best)


def clean_country_streams(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Country streams with canonical country and store names, summed again per key.

    ``frame`` holds usable rows already summed per raw spelling (``COUNTRY_COLUMNS``).
    Returns the frame and ``country_rows_blank_name`` (groups without a country or store
    name) and ``country_spellings_merged`` (raw spellings folded into another).
    """
    country = clean_text_column(frame["countryname"])
    store = clean_text_column(frame["storename"]).map(lambda s: s.lower() if s else None)
    blank = country.isna() | store.isna()
    kept = frame.loc[~blank].copy()
    kept["countryname"] = country[~blank]
    kept["storename"] = store[~blank]
    kept["artistname"] = clean_text_column(kept["artistname"])
    raw_spellings = frame.loc[~blank, "countryname"].astype(str).nunique()
    if not kept.empty:
        keys = kept["countryname"].str.casefold()
        kept["countryname"] = _canonical_spelling(keys, kept["countryname"], kept["total_streams"])
    keys = ["artistnum", "countryname", "storename"]
    streams = kept.groupby(keys, sort=True)["total_streams"].sum()
    # the smallest name per key (pandas' object "min" is a Python loop: 10 s at 200k rows)
    names = (kept.sort_values([*keys, "artistname"], kind="mergesort", na_position="last")
             .drop_duplicates(keys).set_index(keys)["artistname"])
    summed = streams.to_frame().join(names).reset_index()
    summed = summed[list(COUNTRY_COLUMNS)].astype({"artistnum": "int64", "total_streams": "float64"})
    counts = {
        "country_rows_blank_name": int(blank.sum()),
        "country_spellings_merged": int(raw_spellings - summed["countryname"].nunique()),
    }
    return summed.reset_index(drop=True), counts


def clean_artist_names(spellings: pd.DataFrame) -> pd.DataFrame:
    """One name per artist id from ``(artistnum, artistname, n)`` counts of raw spellings.

    The most frequent spelling wins, counted after cleaning (so ``" Muse"`` and ``"Muse"``
    add up), ties to the smallest; ids whose every spelling is blank get none.
    """
    frame = spellings.assign(artistname=clean_text_column(spellings["artistname"]))
    frame = frame.dropna(subset=["artistname"])
    frame = frame.groupby(["artistnum", "artistname"], as_index=False)["n"].sum()
    frame = frame.sort_values(["artistnum", "n", "artistname"], ascending=[True, False, True],
                              kind="mergesort")
    best = frame.drop_duplicates("artistnum")[["artistnum", "artistname"]]
    return best.astype({"artistnum": "int64"}).reset_index(drop=True)


def _merge_countrylists(values: pd.Series) -> str | None:
    parts = {clean_text(p) for v in values.dropna() for p in str(v).split(",")}
    parts.discard(None)
    return ",".join(sorted(parts)) or None  # type: ignore[arg-type]


def clean_genres(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """One genre row per (cleaned) artist name, chosen by a rule that ignores row order.

    Returns the rows sorted by name and ``genre_rows_blank_name``, ``genre_rows_duplicate``
    (rows merged into another of the same name) and ``genre_names_conflicting`` (names whose
    rows disagree on the genre; the most frequent genre wins, ties to the smallest).
    """
    names = clean_text_column(frame["artistname"])
    blank = names.isna()
    rows = pd.DataFrame({
        "artistname": names[~blank],
        "countrylist": frame.loc[~blank, "countrylist"].astype(object),
        "genreid": clean_text_column(frame.loc[~blank, "genreid"]),
    })
    genre_counts = (
        rows.dropna(subset=["genreid"]).groupby(["artistname", "genreid"]).size()
        .rename("n").reset_index()
        .sort_values(["artistname", "n", "genreid"], ascending=[True, False, True], kind="mergesort")
    )
    conflicting = int((genre_counts.groupby("artistname").size() > 1).sum())
    genre = genre_counts.drop_duplicates("artistname").set_index("artistname")["genreid"]
    # most names have one row: their list is cleaned once per distinct list, not per group
    repeated = rows["artistname"].duplicated(keep=False)
    single = rows.loc[~repeated]
    lists = single["countrylist"]
    codes, uniques = pd.factorize(lists, use_na_sentinel=True)
    cleaned = np.array([_merge_countrylists(pd.Series([u])) for u in uniques] + [None], dtype=object)
    countries = pd.concat([
        pd.Series(cleaned[codes], index=single["artistname"].to_numpy(), dtype=object),
        rows.loc[repeated].groupby("artistname")["countrylist"].agg(_merge_countrylists),
    ])
    out = pd.DataFrame({"artistname": sorted(rows["artistname"].unique())})
    out["countrylist"] = out["artistname"].map(countries).astype(object)
    out["genreid"] = out["artistname"].map(genre).astype(object)
    out = out.where(out.notna(), None)
    counts = {
        "genre_rows_blank_name": int(blank.sum()),
        "genre_rows_duplicate": int(len(rows) - len(out)),
        "genre_names_conflicting": conflicting,
    }
    return out[list(GENRE_COLUMNS)].reset_index(drop=True), counts
