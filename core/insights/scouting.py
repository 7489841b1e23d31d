"""Scouting: emerging peers, smaller artists whose audience sits inside this artist's audience.

For artist A and a smaller artist B (at most ``max_listeners`` listeners)::

    concentration(A, B) = shared listeners(A, B) / listeners(B)

is the share of B's audience that also plays A: 1.0 means every listener of B is a fan of A.
Ranked by concentration, then shared listeners, then similarity; pairs sharing fewer than
``min_shared`` listeners are left out (two listeners of a two-listener artist would otherwise
tie every real find at 1.0 on the strength of one person).

Shared listeners are known for the pairs in the model's candidate lists (``neighbour_idx``,
top ``TOP_K`` per artist). A small artist rarely makes a big artist's list, but the big artist
is often in the small one's, so both directions are read: B in A's list, and A in B's list.
``similarity_from`` says whose score is shown ("artist": A's score for B, else "emerging").

``emerging_pairs`` answers for any set of artists at once; the CLI's single-artist answer and
the upload table (``core.upload.scouting_table``) are slices of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from core.errors import InsightsError
from core.insights.batch import AnswersByName, for_each_name
from core.model import Model

#: "emerging" on the demo's scale: its biggest artists have ~400-600 listeners, half of all
#: artists 4 or fewer; 50 keeps artists below a tenth of the biggest. Set it for real data.
MAX_LISTENERS = 50
#: the evidence minimum: at least this many shared listeners
MIN_SHARED = 2
TOP_N = 10
FROM_ARTIST, FROM_EMERGING = "artist", "emerging"
PAIR_COLUMNS = ["row", "emerging_row", "rank", "listeners", "shared_listeners", "concentration",
                "similarity", "similarity_from"]


def _check(max_listeners: int, min_shared: int, top_n: int | None) -> None:
    if max_listeners < 1 or min_shared < 1 or (top_n is not None and top_n < 1):
        raise InsightsError("max-listeners, the shared-listener minimum and top-n must each be "
                            f"at least 1, not {max_listeners}, {min_shared} and {top_n}")


def emerging_pairs(model: Model, rows: Sequence[int] | np.ndarray | None = None, *,
                   max_listeners: int = MAX_LISTENERS, min_shared: int = MIN_SHARED,
                   top_n: int | None = TOP_N) -> pd.DataFrame:
    """Emerging peers of ``rows`` (default: every artist), vectorised, best first per artist.

    Columns ``PAIR_COLUMNS``: ``row`` the asked artist, ``emerging_row`` the peer, ``rank``
    from 1 within ``row``, ``listeners`` the peer's. ``top_n=None`` keeps every peer.
    """
    _check(max_listeners, min_shared, top_n)
    idx_all, sim_all, shared_all = model.neighbour_idx, model.neighbour_sim, model.neighbour_shared
    n = idx_all.shape[0]
    listeners = model.artists["listeners"].to_numpy(np.int64)
    small = listeners <= max_listeners
    if rows is None:
        is_source = np.ones(n, dtype=bool)
        sources = np.arange(n)
    else:
        sources = np.unique(np.asarray(rows, dtype=np.int64))
        is_source = np.zeros(n, dtype=bool)
        is_source[sources] = True

    # B in A's list
    idx = idx_all[sources]
    present = idx >= 0
    safe = np.where(present, idx, 0)
    keep = present & small[safe] & (shared_all[sources] >= min_shared)
    fa, fj = np.nonzero(keep)
    fwd_a, fwd_b = sources[fa], idx[fa, fj].astype(np.int64)
    fwd_sim, fwd_shared = sim_all[sources][fa, fj], shared_all[sources][fa, fj]

    # A in B's list (only small artists' lists can hold an emerging peer of A this way)
    smalls = np.flatnonzero(small)
    idx = idx_all[smalls]
    present = idx >= 0
    safe = np.where(present, idx, 0)
    keep = present & is_source[safe] & (shared_all[smalls] >= min_shared)
    rb, rj = np.nonzero(keep)
    rev_a, rev_b = idx[rb, rj].astype(np.int64), smalls[rb]
    rev_sim, rev_shared = sim_all[smalls][rb, rj], shared_all[smalls][rb, rj]

    a = np.concatenate([fwd_a, rev_a])
    b = np.concatenate([fwd_b, rev_b])
    sim = np.concatenate([fwd_sim, rev_sim]).astype(np.float64)
    shared = np.concatenate([fwd_shared, rev_shared]).astype(np.int64)
    reverse = np.concatenate([np.zeros(len(fwd_a), bool), np.ones(len(rev_a), bool)])
    keep = a != b
    a, b, sim, shared, reverse = (x[keep] for x in (a, b, sim, shared, reverse))

    # one entry per pair, A's own score first
    order = np.lexsort((reverse, b, a))
    a, b, sim, shared, reverse = (x[order] for x in (a, b, sim, shared, reverse))
    first = np.ones(len(a), dtype=bool)
    first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    a, b, sim, shared, reverse = (x[first] for x in (a, b, sim, shared, reverse))

    concentration = shared / np.maximum(listeners[b], 1)
    order = np.lexsort((b, -sim, -shared, -concentration, a))
    a, b, sim, shared, reverse, concentration = (
        x[order] for x in (a, b, sim, shared, reverse, concentration))
    starts = np.flatnonzero(np.r_[True, a[1:] != a[:-1]]) if len(a) else np.array([], np.int64)
    group_start = np.repeat(starts, np.diff(np.r_[starts, len(a)]))
    rank = np.arange(len(a)) - group_start + 1
    keep = rank <= top_n if top_n is not None else np.ones(len(a), dtype=bool)
    return pd.DataFrame({
        "row": a[keep], "emerging_row": b[keep], "rank": rank[keep].astype(np.int64),
        "listeners": listeners[b[keep]], "shared_listeners": shared[keep],
        "concentration": concentration[keep], "similarity": sim[keep],
        "similarity_from": np.where(reverse[keep], FROM_EMERGING, FROM_ARTIST),
    }, columns=PAIR_COLUMNS)


def emerging_peers(model: Model, artist: str | int, *, max_listeners: int = MAX_LISTENERS,
                   min_shared: int = MIN_SHARED, top_n: int = TOP_N) -> pd.DataFrame:
    """One artist's emerging peers: ``emerging_pairs`` for its row, with names.

    Columns: rank, artistnum, name, listeners, shared_listeners, concentration, similarity,
    similarity_from.
    """
    row = model.resolve(artist) if isinstance(artist, str) else int(artist)
    pairs = emerging_pairs(model, [row], max_listeners=max_listeners, min_shared=min_shared,
                           top_n=top_n)
    artists = model.artists
    peer = pairs["emerging_row"].to_numpy()
    return pd.DataFrame({
        "rank": pairs["rank"].to_numpy(),
        "artistnum": artists["artistnum"].to_numpy()[peer],
        "name": artists["artistname"].to_numpy(dtype=object)[peer],
        **{c: pairs[c].to_numpy() for c in ("listeners", "shared_listeners", "concentration",
                                            "similarity", "similarity_from")},
    })


def emerging_answers(model: Model, names: Iterable[str], *, max_listeners: int = MAX_LISTENERS,
                     min_shared: int = MIN_SHARED, top_n: int = TOP_N) -> AnswersByName:
    """The CLI's shape: ``{name: [{"name", "listeners", "similarity", "shared_listeners",
    "concentration", "similarity_from"}, ...]}``."""
    _check(max_listeners, min_shared, top_n)

    def answer(row: int) -> list[dict[str, object]]:
        frame = emerging_peers(model, row, max_listeners=max_listeners, min_shared=min_shared,
                               top_n=top_n)
        return [{"name": r.name, "listeners": int(r.listeners),
                 "similarity": round(float(r.similarity), 6),
                 "shared_listeners": int(r.shared_listeners),
                 "concentration": round(float(r.concentration), 4),
                 "similarity_from": r.similarity_from}
                for r in frame.itertuples(index=False)]

    return for_each_name(model, names, answer)
