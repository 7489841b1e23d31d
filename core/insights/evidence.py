"""The evidence behind a similarity: how many listeners it rests on, and in which direction.

A similarity score alone hides how much data stands behind it. For a pair (A, B) we show
both listener counts, the listeners they share, the share of A's listeners who also play B
(``share_of_artist_listeners``) and the reverse (``share_of_similar_listeners``, out of B's
listeners): a small artist can be "mostly inside" a big one's audience while the big one is
barely inside the small one's.

Shared listeners are exact counts kept by training for each artist's candidate list
(``Model.neighbour_shared``, the top ``TOP_K`` candidates); a pair that is in neither artist's
list has no count, and ``pair_evidence`` says so instead of guessing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from core.insights.similarity import similar_artists
from core.model import Model

#: fewer shared listeners than this -> "thin": the shares then rest on one or two people, so
#: one listener more or less moves them by a third or more
MIN_SHARED_LISTENERS = 3
OK, THIN = "ok", "thin"
EVIDENCE_COLUMNS = ["rank", "artistnum", "name", "similarity", "listeners", "artist_listeners",
                    "shared_listeners", "share_of_artist_listeners",
                    "share_of_similar_listeners", "evidence", "genre", "cluster"]


def evidence_label(shared: np.ndarray | int, minimum: int = MIN_SHARED_LISTENERS) -> np.ndarray:
    """"ok" where at least ``minimum`` listeners are shared, "thin" elsewhere."""
    return np.where(np.asarray(shared) >= minimum, OK, THIN)


def similar_with_evidence(model: Model, artist: str | int, top_n: int = 10,
                          min_shared: int = MIN_SHARED_LISTENERS) -> pd.DataFrame:
    """``similar_artists`` with both listener counts, both shares and an evidence flag.

    Columns: ``EVIDENCE_COLUMNS``; ``listeners`` are the similar artist's,
    ``artist_listeners`` the asked artist's.
    """
    row = model.resolve(artist) if isinstance(artist, str) else int(artist)
    frame = similar_artists(model, row, top_n)
    listeners = model.artists["listeners"].to_numpy(np.int64)
    by_num = pd.Series(listeners, index=model.artists["artistnum"].to_numpy())
    frame["listeners"] = by_num.reindex(frame["artistnum"].to_numpy()).to_numpy(np.int64)
    frame["artist_listeners"] = int(listeners[row])
    frame = frame.rename(columns={"shared_share": "share_of_artist_listeners",
                                  "other_share": "share_of_similar_listeners"})
    frame["evidence"] = evidence_label(frame["shared_listeners"].to_numpy(), min_shared)
    return frame[EVIDENCE_COLUMNS]


def shared_count(model: Model, a: int, b: int) -> tuple[int | None, str | None]:
    """Listeners shared by rows ``a`` and ``b`` and where the count was found ("a->b" when b is
    in a's candidate list, "b->a" when only a is in b's), or (None, None)."""
    for source, target, direction in ((a, b, "a->b"), (b, a, "b->a")):
        hit = np.flatnonzero(model.neighbour_idx[source] == target)
        if hit.size:
            return int(model.neighbour_shared[source, hit[0]]), direction
    return None, None


def pair_evidence(model: Model, a: str | int, b: str | int,
                  min_shared: int = MIN_SHARED_LISTENERS) -> dict[str, Any]:
    """Evidence for one pair: listeners of both, shared listeners, both shares, the flag.

    ``similarity`` is A's score for B when B is among A's candidates, else B's score for A
    (``direction`` says which); both are None when neither lists the other.
    """
    ra = model.resolve(a) if isinstance(a, str) else int(a)
    rb = model.resolve(b) if isinstance(b, str) else int(b)
    artists = model.artists
    la, lb = int(artists["listeners"].iat[ra]), int(artists["listeners"].iat[rb])
    shared, direction = shared_count(model, ra, rb)
    similarity = None
    if direction is not None:
        source, target = (ra, rb) if direction == "a->b" else (rb, ra)
        pos = np.flatnonzero(model.neighbour_idx[source] == target)[0]
        similarity = float(model.neighbour_sim[source, pos])
    return {
        "artist": str(artists["artistname"].iat[ra]),
        "other": str(artists["artistname"].iat[rb]),
        "artist_listeners": la,
        "other_listeners": lb,
        "shared_listeners": shared,
        "share_of_artist_listeners": None if shared is None or not la else shared / la,
        "share_of_other_listeners": None if shared is None or not lb else shared / lb,
        "similarity": similarity,
        "direction": direction,
        "evidence": None if shared is None else str(evidence_label(shared, min_shared)),
    }


def has_chart_data(model: Model, artistnums: np.ndarray | pd.Series) -> np.ndarray:
    """True for artists with their own streams per country (the Markets page's actual data)."""
    charting = model.artists["artistnum"].to_numpy()[np.unique(model.markets["row"].to_numpy())]
    return np.isin(np.asarray(artistnums), charting)


def filter_similar(model: Model, table: pd.DataFrame, *, genres: Sequence[str] = (),
                   min_listeners: int = 0, charting_only: bool = False) -> pd.DataFrame:
    """The rows of a ``similar_with_evidence`` table an analyst narrowed down to, ranks kept.

    ``genres``: keep artists of these genres (none given: every genre, including artists
    without one); ``min_listeners``: keep artists with at least that many listeners of their
    own; ``charting_only``: keep artists with chart data (streams per country).
    """
    keep = np.ones(len(table), dtype=bool)
    if genres:
        keep &= table["genre"].isin(list(genres)).to_numpy()
    if min_listeners > 0:
        keep &= table["listeners"].to_numpy() >= min_listeners
    if charting_only:
        keep &= has_chart_data(model, table["artistnum"].to_numpy())
    return table[keep].reset_index(drop=True)


def genres_present(table: pd.DataFrame) -> list[str]:
    """The genres of a similar-artists table, most frequent first: the options of a filter."""
    counts = table["genre"].dropna().astype(str).value_counts()
    return sorted(counts.index, key=lambda g: (-counts[g], g))
