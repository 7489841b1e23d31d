"""Which artists share this artist's listeners."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from core.errors import InsightsError
from core.insights.batch import AnswersByName, artist_row, for_each_name
from core.model import Model


def similar_artists(model: Model, artist: str | int, top_n: int = 10) -> pd.DataFrame:
    """The ``top_n`` most similar artists, with the evidence behind each score.

    Columns: rank, name, similarity (in [0, 1]), shared_listeners, shared_share (the share of
    this artist's listeners who also listen to the other), genre, cluster.
    """
    row = artist_row(model, artist)
    top_n = max(0, min(top_n, model.neighbour_idx.shape[1]))
    idx = model.neighbour_idx[row, :top_n]
    present = idx >= 0  # lists are padded with -1 when an artist has fewer neighbours
    idx = idx[present]
    sims = model.neighbour_sim[row, :top_n][present]
    artists = model.artists
    listeners = float(artists["listeners"].iat[row])
    shared = model.neighbour_shared[row, :top_n][present].astype(np.int64)
    return pd.DataFrame({
        "rank": np.arange(1, len(idx) + 1),
        "artistnum": artists["artistnum"].to_numpy()[idx],
        "name": artists["artistname"].to_numpy()[idx],
        "similarity": sims.astype(float),
        "shared_listeners": shared,
        "shared_share": shared / listeners if listeners else 0.0,
        "other_share": shared / artists["listeners"].to_numpy()[idx],
        "genre": artists["genre"].to_numpy()[idx],
        "cluster": artists["cluster"].to_numpy()[idx],
    })


def similarity_answers(
    model: Model, names: Iterable[str], top_n: int = 10, explain: bool = False
) -> AnswersByName:
    """The seed's JSON shape: ``{name: [{"name", "similarity"}, ...]}``.

    ``explain`` adds ``shared_listeners`` and the two listener shares to every entry.
    """
    if top_n < 1:
        raise InsightsError(f"top-n must be at least 1, not {top_n}")

    def answer(row: int) -> list[dict[str, object]]:
        frame = similar_artists(model, row, top_n)
        entries = []
        for rec in frame.itertuples(index=False):
            entry: dict[str, object] = {"name": rec.name, "similarity": float(rec.similarity)}
            if explain:
                entry.update(
                    shared_listeners=int(rec.shared_listeners),
                    share_of_artist_listeners=round(float(rec.shared_share), 4),
                    share_of_similar_listeners=round(float(rec.other_share), 4),
                )
            entries.append(entry)
        return entries

    return for_each_name(model, names, answer)
