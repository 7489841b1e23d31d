"""The graph of a model as plain tables: one per node label and per relationship type.

The neo4j upload and the import-file export both start from ``graph_data(model)``, so the
graph in a live database and the graph in the files are the same graph.

* ``(:Cluster {id, name, size})`` — id is the model's cluster label, name a readable one
  (``core.insights.clusters``: top genre and best-known artists), size the number of artists;
* ``(:Artist {id, name, genre, countries, listeners})`` — id is ``artistnum``;
* ``(:Genre {name})`` — a node rather than a dynamic label, so Browser can colour by it and
  every Cypher engine can write it;
* ``(:Artist)-[:IN]->(:Cluster)``, ``(:Artist)-[:HAS_GENRE]->(:Genre)``,
  ``(:Artist)-[:SIMILAR_TO {similarity, rank, shared_listeners}]->(:Artist)`` (top-n per artist).

Keys are made unique here (last row wins, as neo4j's ``MERGE ... SET`` would end), because
FalkorDB resolves duplicate keys inside one ``UNWIND`` batch differently from neo4j.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.insights.clusters import cluster_summary
from core.model import Model

#: similar artists per artist in the graph (as in the ``ARTIST_SIMILARITY`` table)
DEFAULT_TOP_N = 10


@dataclass(frozen=True)
class GraphData:
    """Rows for every node label and relationship type, ready to send or to write as CSV."""

    model_version: str
    clusters: pd.DataFrame  # id, name, size
    genres: pd.DataFrame  # name
    artists: pd.DataFrame  # id, name, genre, countries (list or None), listeners
    in_cluster: pd.DataFrame  # artist, cluster
    has_genre: pd.DataFrame  # artist, genre
    similar_to: pd.DataFrame  # source, target, similarity, rank, shared_listeners

    def counts(self) -> dict[str, int]:
        """Expected node and relationship counts, named as ``cypher.COUNTS``."""
        return {
            "Artist": len(self.artists), "Cluster": len(self.clusters), "Genre": len(self.genres),
            "IN": len(self.in_cluster), "HAS_GENRE": len(self.has_genre),
            "SIMILAR_TO": len(self.similar_to),
        }


def _countries(value: object) -> list[str] | None:
    """``"France, Belgium"`` -> ``["France", "Belgium"]``; None when there are none (neo4j
    stores no property for null, and an empty list has no element type to store)."""
    if not isinstance(value, str):
        return None
    names = list(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    return names or None


#: C0 control characters (and DEL) other than tab, newline and carriage return
_CONTROL = dict.fromkeys([*(c for c in range(32) if chr(c) not in "\t\n\r"), 0x7F])


def genre_key(value: object) -> str | None:
    """A genre name as a node key: control characters dropped, surrounding white space
    removed (" pop" is "pop"); None for a missing or blank genre.

    Keys must also survive FalkorDB 4.22, whose server exits when a value under a unique
    constraint starts or ends with white space or holds a control character. Artist names,
    which are not keys, are sent exactly as they are.
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return str(value).translate(_CONTROL).strip() or None


def graph_data(model: Model, top_n: int = DEFAULT_TOP_N) -> GraphData:
    """The model's graph with the ``top_n`` most similar artists of every artist."""
    artists = model.artists
    ids = artists["artistnum"].to_numpy(np.int64)
    genre = artists["genre"].map(genre_key).astype(object)

    summary = cluster_summary(model)
    clusters = pd.DataFrame({
        "id": summary["cluster"].astype(np.int64),
        "name": summary["name"].astype(str),
        "size": summary["size"].astype(np.int64),
    }).sort_values("id", ignore_index=True)

    nodes = pd.DataFrame({
        "id": ids,
        "name": artists["artistname"].astype(str).to_numpy(dtype=object),
        "genre": genre.to_numpy(dtype=object),
        "countries": artists["countrylist"].map(_countries).astype(object).to_numpy(),
        "listeners": artists["listeners"].to_numpy(np.int64),
    })
    nodes = nodes.drop_duplicates("id", keep="last", ignore_index=True)

    genres = pd.DataFrame({"name": sorted(set(genre.dropna()))}, dtype=object)

    in_cluster = pd.DataFrame({
        "artist": ids, "cluster": artists["cluster"].to_numpy(np.int64),
    }).drop_duplicates("artist", keep="last", ignore_index=True)

    tagged = genre.notna().to_numpy()
    has_genre = pd.DataFrame({
        "artist": ids[tagged], "genre": genre.to_numpy(dtype=object)[tagged],
    }).drop_duplicates(["artist", "genre"], keep="last", ignore_index=True)

    k = max(0, min(int(top_n), model.neighbour_idx.shape[1]))
    n = len(artists)
    target_rows = model.neighbour_idx[:, :k].astype(np.int64).ravel()
    keep = target_rows >= 0
    source_rows = np.repeat(np.arange(n, dtype=np.int64), k)[keep]
    similar_to = pd.DataFrame({
        "source": ids[source_rows],
        "target": ids[target_rows[keep]],
        "similarity": model.neighbour_sim[:, :k].astype(np.float64).ravel()[keep],
        "rank": np.tile(np.arange(1, k + 1, dtype=np.int64), n)[keep],
        "shared_listeners": model.neighbour_shared[:, :k].astype(np.int64).ravel()[keep],
    })
    similar_to = similar_to.drop_duplicates(["source", "target"], keep="last", ignore_index=True)

    return GraphData(model.version, clusters, genres, nodes, in_cluster, has_genre, similar_to)
