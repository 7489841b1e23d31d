"""The similarity graph the Clusters page draws: which artists, which links, how highlighted.

Drawing all artists with all their neighbours would put thousands of nodes into a browser
physics simulation, so a graph here is always a bounded selection: the neighbourhood of one
artist (breadth-first along the precomputed neighbour lists) or the best-known artists of the
chosen clusters, with at most ``edges_per_node`` links per artist. ``dashboard.graph_page``
draws it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.model import Model

NODE_COLUMNS = ("row", "name", "cluster", "listeners", "genre", "role", "hops")
EDGE_COLUMNS = ("source", "target", "similarity", "highlight")

#: roles of a node, from the selected artist outwards
SELECTED, NEIGHBOUR, OTHER = "selected", "neighbour", "other"

@dataclass(frozen=True)
class SimilarityGraph:
    """Nodes (artists) and undirected edges (similarity links) ready to draw or to test."""

    nodes: pd.DataFrame
    edges: pd.DataFrame
    focus: int | None

    @property
    def clusters(self) -> list[int]:
        return sorted(int(c) for c in self.nodes["cluster"].unique())


def _allowed_mask(model: Model, clusters: Collection[int] | None) -> np.ndarray:
    labels = model.artists["cluster"].to_numpy()
    if not clusters:
        return np.ones(len(labels), dtype=bool)
    return np.isin(labels, np.asarray(list(clusters), dtype=labels.dtype))


def _neighbourhood(model: Model, focus: int, allowed: np.ndarray, max_nodes: int,
                   fan_out: int) -> dict[int, int]:
    """Breadth-first walk from ``focus``: row -> hops.

    The focus contributes up to half the budget (its closest artists are what the analyst
    asked about); every further artist adds at most ``fan_out`` of its own neighbours, so the
    picture shows how the neighbourhood connects outwards rather than one long list.
    """
    hops = {focus: 0}
    queue: deque[int] = deque([focus])
    while queue and len(hops) < max_nodes:
        node = queue.popleft()
        limit = max(1, max_nodes // 2) if node == focus else fan_out
        added = 0
        for other, sim in zip(model.neighbour_idx[node], model.neighbour_sim[node], strict=True):
            if added >= limit or len(hops) >= max_nodes:
                break
            other = int(other)
            if other < 0 or sim <= 0 or not allowed[other]:
                continue
            if other not in hops:
                hops[other] = hops[node] + 1
                queue.append(other)
            added += 1
    return hops


def similarity_graph(
    model: Model,
    focus: int | None = None,
    *,
    max_nodes: int = 80,
    clusters: Collection[int] | None = None,
    edges_per_node: int = 3,
    neighbourhood: bool = True,
) -> SimilarityGraph:
    """Select at most ``max_nodes`` artists and the links between them.

    With a ``focus`` and ``neighbourhood``: the focus and the artists around it. Otherwise the
    most-listened artists of ``clusters`` (all clusters when empty); the focus is added if it
    belongs to them so it can still be highlighted. The focus is always kept, even when its
    own cluster is filtered out, because the analyst selected it.
    """
    max_nodes = max(1, int(max_nodes))
    allowed = _allowed_mask(model, clusters)
    artists = model.artists
    if focus is not None and neighbourhood:
        hops = _neighbourhood(model, focus, allowed, max_nodes, fan_out=max(2, edges_per_node + 1))
    else:
        candidates = np.flatnonzero(allowed)
        order = np.lexsort((candidates, -artists["listeners"].to_numpy()[candidates]))
        chosen = [int(r) for r in candidates[order][:max_nodes]]
        if focus is not None and focus not in chosen and allowed[focus]:
            chosen = [*chosen[: max_nodes - 1], focus]
        hops = {r: -1 for r in chosen}
        if focus is not None and focus in hops:
            hops[focus] = 0

    rows = list(hops)
    direct: set[int] = set()
    if focus is not None:
        direct = {int(r) for r in model.neighbour_idx[focus] if int(r) in hops and int(r) != focus}
    edges = _edges(model, rows, edges_per_node, focus)
    nodes = pd.DataFrame({
        "row": np.asarray(rows, dtype=np.int64),
        "name": artists["artistname"].to_numpy()[rows] if rows else [],
        "cluster": artists["cluster"].to_numpy()[rows].astype(np.int64) if rows else [],
        "listeners": artists["listeners"].to_numpy()[rows].astype(np.int64) if rows else [],
        "genre": artists["genre"].to_numpy()[rows] if rows else [],
        "role": [SELECTED if r == focus else NEIGHBOUR if r in direct else OTHER for r in rows],
        "hops": [hops[r] if hops[r] >= 0 else (1 if r in direct else -1) for r in rows],
    }, columns=list(NODE_COLUMNS))
    return SimilarityGraph(nodes=nodes, edges=edges, focus=focus)


def _edges(model: Model, rows: Sequence[int], per_node: int, focus: int | None) -> pd.DataFrame:
    """Each node's ``per_node`` strongest links to other shown nodes (all links for the focus).

    Links are undirected: A-B found from both sides is kept once, with its similarity.
    """
    present = set(rows)
    best: dict[tuple[int, int], float] = {}
    for node in rows:
        limit = len(model.neighbour_idx[node]) if node == focus else per_node
        taken = 0
        for other, sim in zip(model.neighbour_idx[node], model.neighbour_sim[node], strict=True):
            if taken >= limit:
                break
            other = int(other)
            if other == node or other not in present or sim <= 0:
                continue
            key = (min(node, other), max(node, other))
            best[key] = max(best.get(key, 0.0), float(sim))
            taken += 1
    frame = pd.DataFrame(
        [(a, b, s, focus is not None and focus in (a, b)) for (a, b), s in best.items()],
        columns=list(EDGE_COLUMNS),
    )
    return frame.astype({"source": "int64", "target": "int64", "similarity": "float64", "highlight": bool})


# -- comparison ----------------------------------------------------------------------------------


def common_neighbours(model: Model, rows: Sequence[int], top_n: int = 20) -> pd.DataFrame:
    """Artists in the top-``top_n`` lists of at least two of ``rows``: shared territory.

    Columns: name, shared_by (how many of the compared artists list it), mean_similarity, then
    one similarity column per compared artist (NaN where it is not in that artist's top
    ``top_n``: no score is known there, which is not a score of 0). ``mean_similarity`` is over
    all compared artists, an absent score counting as 0, so an artist listed by fewer of them
    ranks lower. Sorted by shared_by, then mean similarity. The compared artists are left out.
    """
    rows = [int(r) for r in dict.fromkeys(rows)]
    names = model.artists["artistname"].to_numpy()
    compared = [str(names[r]) for r in rows]
    columns = ["name", "shared_by", "mean_similarity", *compared]
    if len(rows) < 2:
        return pd.DataFrame(columns=columns)
    top_n = max(1, min(top_n, model.neighbour_idx.shape[1]))
    table: dict[int, dict[str, float]] = {}
    for row, label in zip(rows, compared, strict=True):
        for other, sim in zip(model.neighbour_idx[row, :top_n], model.neighbour_sim[row, :top_n],
                              strict=True):
            other = int(other)
            if other >= 0 and other not in rows:
                table.setdefault(other, {})[label] = float(sim)
    records = []
    for other, sims in table.items():
        if len(sims) < 2:
            continue
        records.append({"name": str(names[other]), "shared_by": len(sims),
                        "mean_similarity": sum(sims.values()) / len(rows),
                        **{label: sims.get(label, float("nan")) for label in compared}})
    frame = pd.DataFrame(records, columns=columns)
    return frame.sort_values(["shared_by", "mean_similarity", "name"], ascending=[False, False, True],
                             ignore_index=True)
