"""Clusters of artists that share listeners, described in words an analyst can read.

A cluster number ("cluster 7") means nothing to someone who never saw the model, so every face
shows a cluster by a name built from its members: its most common genre and its best-known
artists ("pop · Lady Gaga, Britney Spears"). The name is derived from the data, so it changes
with a retrain, and it is made unique so that two clusters never read the same.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.errors import UnknownArtistError
from core.model import Model
from core.names import normalize_name

#: shown where a cluster's artists carry no genre at all
NO_GENRE = "mixed genres"

SUMMARY_COLUMNS = ("cluster", "name", "size", "share", "listeners", "top_genres", "best_known")
ARTIST_COLUMNS = ("row", "name", "listeners", "genre", "cluster", "cluster_name", "has_markets")


def _top_genres(genres: pd.Series, limit: int) -> list[tuple[str, float]]:
    """The ``limit`` most frequent genres with their share of the cluster's artists.

    Shares are of all members (untagged ones included) so "pop 40%" means 40% of the cluster.
    Ties are broken alphabetically so the name does not flip between runs.
    """
    total = len(genres)
    counts = genres.dropna().value_counts()
    if counts.empty or total == 0:
        return []
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return [(str(genre), count / total) for genre, count in ordered]


def cluster_summary(model: Model, top_genres: int = 3, top_artists: int = 3) -> pd.DataFrame:
    """One row per cluster, largest first.

    Columns: cluster (the model's label), name (readable, unique), size (artists), share (of
    all modelled artists), listeners (sum over members: a cluster's reach), top_genres
    ("pop 40%, rock 12%"), best_known (most-listened members, comma separated).
    """
    artists = model.artists
    if artists.empty:
        return pd.DataFrame(columns=list(SUMMARY_COLUMNS))
    ranked = artists.sort_values(["listeners", "artistname"], ascending=[False, True], kind="stable")
    rows: list[dict[str, object]] = []
    for cluster, members in ranked.groupby("cluster", sort=True):
        genres = _top_genres(members["genre"], top_genres)
        best = members["artistname"].head(top_artists).tolist()
        lead_genre = genres[0][0] if genres else NO_GENRE
        rows.append({
            "cluster": int(cluster),
            "name": f"{lead_genre} · {', '.join(best[:2])}",
            "size": len(members),
            "share": len(members) / len(artists),
            "listeners": int(members["listeners"].sum()),
            "top_genres": ", ".join(f"{g} {s:.0%}" for g, s in genres) or NO_GENRE,
            "best_known": ", ".join(best),
        })
    summary = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    summary["name"] = _make_unique(summary["name"].tolist(), summary["cluster"].tolist())
    return summary.sort_values(["size", "cluster"], ascending=[False, True], ignore_index=True)


def _make_unique(names: list[str], clusters: list[int]) -> list[str]:
    """Append the cluster number to names that would otherwise be shown twice."""
    counts = pd.Series(names).value_counts()
    return [f"{n} (#{c})" if counts[n] > 1 else n for n, c in zip(names, clusters, strict=True)]


def cluster_names(model: Model) -> dict[int, str]:
    """Cluster label -> readable name, for every cluster in the model."""
    summary = cluster_summary(model)
    return dict(zip(summary["cluster"].astype(int), summary["name"], strict=True))


def with_cluster_names(frame: pd.DataFrame, names: dict[int, str], column: str = "cluster") -> pd.DataFrame:
    """A copy of ``frame`` with a ``cluster_name`` column next to its cluster numbers.

    Used on ``similar_artists`` output so a table says "pop · Lady Gaga, …" instead of "2".
    """
    out = frame.copy()
    position = out.columns.get_loc(column) + 1 if column in out.columns else len(out.columns)
    labels = out[column].map(lambda c: names.get(int(c), f"cluster {c}")) if len(out) else []
    out.insert(position, "cluster_name", labels)
    return out


def _charting(model: Model) -> set[int]:
    """Rows of the artists with chart streams of their own."""
    return set(np.unique(model.markets["row"].to_numpy()).tolist())


def artist_rows(model: Model, rows: Sequence[int], names: dict[int, str] | None = None) -> pd.DataFrame:
    """Artists as a search result or profile: listeners, genre, cluster and whether they chart.

    ``rows`` keeps its order (the search's ranking). ``has_markets`` tells the analyst up front
    whether the Markets page will show actual chart streams or only modeled ones.
    """
    names = names if names is not None else cluster_names(model)
    index = np.asarray(list(rows), dtype=np.int64)
    artists = model.artists
    with_markets = _charting(model)
    clusters = artists["cluster"].to_numpy()[index]
    return pd.DataFrame({
        "row": index,
        "name": artists["artistname"].to_numpy()[index],
        "listeners": artists["listeners"].to_numpy()[index].astype(np.int64),
        "genre": artists["genre"].to_numpy()[index],
        "cluster": clusters.astype(np.int64),
        "cluster_name": [names.get(int(c), f"cluster {c}") for c in clusters],
        "has_markets": [int(r) in with_markets for r in index],
    }, columns=list(ARTIST_COLUMNS))


def search_artists(model: Model, query: str, limit: int = 20, names: dict[int, str] | None = None,
                   exact_only: bool = False) -> pd.DataFrame:
    """Artists matching what has been typed so far (prefix, then substring, then fuzzy).

    ``exact_only``: a query that names an artist exactly (case and accents aside, "radiohead")
    returns that artist alone, so the analyst is not shown loose matches for a name they typed
    in full; other queries are unaffected.
    """
    if exact_only and query.strip():
        row = model.names.find(query.strip())
        if row is not None:
            return artist_rows(model, [row], names)
    return artist_rows(model, model.names.search(query, limit=limit), names)


def suggest_names(model: Model, query: str, limit: int = 5) -> list[str]:
    """Names to offer when a search finds nothing, so the analyst never hits a dead end.

    ``search_artists`` already tries prefix, substring and close spelling, so when it comes back
    empty the model's own suggestions are usually empty too. This looks further: artists whose
    name has a word starting with one of the typed words ("the sigur band" -> "Sigur Rós"),
    longest match then most listened first, then looser spelling matches.
    """
    found = list(model.names.suggest(query, limit))
    words = [w for w in normalize_name(query).split() if len(w) >= 3]
    if len(found) < limit and words:
        normalized = model.names.normalized
        popularity = model.artists["listeners"].to_numpy()

        def matched(name: str) -> int:
            """Letters of the typed words found as words of ``name``: "sigur" beats "the"."""
            parts = name.split()
            return sum(len(w) for w in words if any(p.startswith(w) for p in parts))

        scores = {row: matched(name) for row, name in enumerate(normalized)}
        hits = [row for row, score in scores.items() if score > 0]
        hits.sort(key=lambda r: (-scores[r], -popularity[r], normalized[r]))
        found += [model.names.names[r] for r in hits if model.names.names[r] not in found]
    if len(found) < limit:
        close = difflib.get_close_matches(normalize_name(query), model.names.normalized,
                                          n=limit, cutoff=0.45)
        found += [model.names.names[model.names.normalized.index(c)] for c in close]
    return list(dict.fromkeys(found))[:limit]


@dataclass(frozen=True)
class NoMatch:
    """Why a search found nothing, and what to offer instead."""

    reason: str | None  # e.g. "left out of training: 1 listener, below the minimum"
    suggestions: list[str]


def no_match(model: Model, query: str) -> NoMatch:
    """The reason the model knows (an artist left out of training) and names to try instead."""
    try:
        model.resolve(query)
        reason = None
    except UnknownArtistError as exc:
        reason = exc.reason
    return NoMatch(reason, suggest_names(model, query))


def by_popularity(model: Model) -> list[str]:
    """All artist names, most listened first (ties by name): the order a picker offers them in."""
    artists = model.artists
    return artists.sort_values(["listeners", "artistname"], ascending=[False, True])["artistname"].tolist()


def default_artist(model: Model, *, with_chart_data: bool = False, among: int | None = None,
                   popular: Sequence[str] | None = None) -> str:
    """The artist a page starts on when none is selected, so it is never empty.

    Parameters
    ----------
    with_chart_data
        Prefer the most listened artist with chart streams of its own (the Markets page);
        the most listened of all when none of the candidates has any.
    among
        Look only at this many of the most listened (what a picker lists); default all.
    popular
        ``by_popularity(model)``, when the caller has it cached.
    """
    popular = by_popularity(model) if popular is None else popular
    if with_chart_data:
        charting = _charting(model)
        for name in popular[:among]:
            if model.names.find(name) in charting:
                return str(name)
    return str(popular[0])
