"""The evaluation's view of the warehouse: one listen matrix plus the two outside truths.

Similarity has no ground truth of its own, so the harness checks it against three things the
model never trains on: held-out listens, the artists' top tags and their country charts. They
are loaded once here, aligned to the rows of the artist x listener matrix, so every method is
judged on exactly the same arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from core.names import normalize_name
from core.training.matrix import build_listen_matrix
from core.warehouse.base import Warehouse


@dataclass
class EvaluationData:
    """Raw streams (artists x listeners) with each artist's top tag and country shares.

    ``genres[i]`` is artist ``i``'s top tag or None. ``country_rows`` are the artist rows with
    chart data and ``country_streams[j]`` their streams per country (columns named by
    ``countries``), summed over stores.
    """

    streams: sp.csr_matrix
    artist_ids: np.ndarray
    artist_names: np.ndarray
    genres: np.ndarray
    countries: np.ndarray
    country_rows: np.ndarray
    country_streams: np.ndarray

    @property
    def n_artists(self) -> int:
        return int(self.streams.shape[0])

    @property
    def listeners(self) -> np.ndarray:
        """Listeners per artist (stored entries per row)."""
        return np.diff(self.streams.indptr)

    @property
    def country_shares(self) -> np.ndarray:
        """Each charting artist's streams as shares of its own total, rows summing to 1.

        Shares, not absolute streams, because the question asked of the map is "where is this
        artist big relative to itself", which absolute streams answer with "the US" for everyone.
        """
        totals = self.country_streams.sum(axis=1, keepdims=True)
        return np.divide(self.country_streams, totals, out=np.zeros_like(self.country_streams),
                         where=totals > 0)


def load_evaluation_data(warehouse: Warehouse, batch_rows: int = 1_000_000) -> EvaluationData:
    """Read listens, names, top tags and country streams, aligned to listen-matrix rows.

    Tags are joined by artist name the way training does (exact spelling, then normalized),
    because ARTIST_IDS_SINGLE_GENRE carries names, not ids.
    """
    listens = build_listen_matrix(warehouse.iter_listens(batch_rows))
    names = warehouse.artist_names().drop_duplicates("artistnum").set_index("artistnum")["artistname"]
    artist_names = (
        pd.Series(listens.artist_ids).map(names)
        .fillna(pd.Series(listens.artist_ids).map(lambda i: f"#{i}"))
        .astype(str).to_numpy()
    )
    genres = _genres_by_name(artist_names, warehouse.artist_genres())
    countries, rows, matrix = _country_matrix(warehouse.country_streams(), listens.artist_ids)
    return EvaluationData(
        streams=listens.streams.tocsr(),
        artist_ids=listens.artist_ids,
        artist_names=artist_names,
        genres=genres,
        countries=countries,
        country_rows=rows,
        country_streams=matrix,
    )


def _genres_by_name(names: np.ndarray, table: pd.DataFrame) -> np.ndarray:
    table = table.dropna(subset=["artistname", "genreid"]).copy()
    table["genreid"] = table["genreid"].astype(str).str.strip()
    table = table[table["genreid"] != ""]
    exact = table.drop_duplicates("artistname").set_index("artistname")["genreid"]
    table["key"] = table["artistname"].map(normalize_name)
    loose = table.drop_duplicates("key").set_index("key")["genreid"]
    series = pd.Series(names)
    out = series.map(exact).fillna(series.map(normalize_name).map(loose))
    return np.array([g if isinstance(g, str) else None for g in out], dtype=object)


def _country_matrix(
    country: pd.DataFrame, artist_ids: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    row_of = pd.Series(np.arange(len(artist_ids)), index=artist_ids)
    frame = country.assign(row=country["artistnum"].map(row_of)).dropna(subset=["row"])
    frame = frame[frame["total_streams"] > 0]
    if frame.empty:
        return np.empty(0, object), np.empty(0, np.int64), np.empty((0, 0))
    table = frame.pivot_table(index="row", columns="countryname", values="total_streams",
                              aggfunc="sum", fill_value=0.0).sort_index()
    return (table.columns.to_numpy(dtype=object), table.index.to_numpy(np.int64),
            table.to_numpy(np.float64))
