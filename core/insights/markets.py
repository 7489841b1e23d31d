"""Actual, modeled and expected streams of any set of artists, computed once as sparse products.

Every market answer (the CLI's JSON, the dashboard's market page, the upload tables) is a slice
of these numbers, so the arithmetic exists once. For artists ``a``, their market peers ``p`` and
(country, store) cells ``c``::

    W[a, p]  = similarity of peer p / sum of a's peer similarities   (a's market peers only)
    S[p, c]  = streams of artist p in cell c
    modeled  = W @ S                             (the seed's modeled streams)
    share    = W @ diag(1 / peer totals) @ S     (the peers' weighted share of their streams)
    expected = artist total × share;  gap = expected − actual
    peers with data in a territory = (W > 0) @ (S @ T > 0)

Territory totals are the same products summed over a country's stores (``@ T``). A peer without
streams in a cell counts as 0 there; an artist is answered only where it or a peer streams.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from core.model import Model

#: a territory is recommended only when at least this many market peers stream there
MIN_PEERS = 3
#: the ``store`` of a territory's all-stores row
TOTAL = "total"
#: artists per block; bounds memory on large models (a block's modeled-streams matrix has at
#: most block x peers x cells-per-peer entries)
BLOCK_ARTISTS = 25_000

Entries = tuple[np.ndarray, np.ndarray, np.ndarray]


def market_peers(model: Model, row: int) -> tuple[np.ndarray, np.ndarray]:
    """The peers (rows) whose markets model this artist's, and their similarity weights."""
    idx, sim = model.geo_peer_idx[row], model.geo_peer_sim[row]
    keep = (idx >= 0) & (sim > 0)
    return idx[keep], sim[keep].astype(np.float64)


def has_market_data(model: Model, row: int) -> bool:
    """Whether the artist has any chart streams of its own (COUNTRY_ARTIST_STREAMS_BY_STORE)."""
    rows = model.markets["row"].to_numpy()
    i = np.searchsorted(rows, row)
    return bool(i < len(rows) and rows[i] == row)


@dataclass(frozen=True)
class MarketBlock:
    """The numbers of a block of artists, by model row and territory / cell code.

    ``territories``: row, territory_code, actual_streams, modeled_streams, peer_share,
    expected_streams, gap, peers_with_data. ``cells``: row, territory_code, cell and the same
    stream columns. One entry wherever the artist or one of its peers streams.
    """

    territories: pd.DataFrame
    cells: pd.DataFrame


class MarketMatrices:
    """The chart streams of some artists (all by default) and of their market peers, as sparse
    matrices over (country, store) cells, read block by block. The chart matrices are the
    model's (``charts``, built once per model); only the peer weights are per question."""

    def __init__(self, model: Model, rows: np.ndarray | None = None) -> None:
        n = len(model.artists)
        self.rows = np.arange(n, dtype=np.int64) if rows is None else np.unique(
            np.asarray(rows, dtype=np.int64))
        self.weights = _peer_weights(model, self.rows)
        self.charts = charts_of(model)

    def blocks(self, size: int = BLOCK_ARTISTS) -> Iterator[MarketBlock]:
        """The asked artists' numbers, ``size`` artists at a time, in row order."""
        for start in range(0, len(self.rows), size):
            yield self.block(start, min(start + size, len(self.rows)))

    def block(self, start: int, stop: int) -> MarketBlock:
        """The numbers of the asked artists at positions ``start:stop`` of ``rows``."""
        rows = self.rows[start:stop]
        weights = self.weights[start:stop]
        charts = self.charts
        actual = charts.streams[rows]
        modeled = weights @ charts.streams
        share = weights @ charts.shares
        evidence = (weights > 0).astype(np.float64) @ charts.in_territory
        to_territory = charts.to_territory
        territories = _numbers(rows, actual @ to_territory, modeled @ to_territory,
                               share @ to_territory, charts.totals)
        territories["peers_with_data"] = _values_at(
            _entries(evidence), territories["position"].to_numpy(),
            territories["column"].to_numpy(), len(charts.territories)).astype(np.int64)
        territories = territories.rename(columns={"column": "territory_code"})
        cells = _numbers(rows, actual, modeled, share, charts.totals).rename(columns={"column": "cell"})
        cells.insert(2, "territory_code", charts.cell_territory[cells["cell"].to_numpy()])
        return MarketBlock(territories.drop(columns="position"), cells.drop(columns="position"))


class ChartMatrices:
    """Every artist's chart streams over (country, store) cells, and what the products read
    from them: the same for every question to one model, so built once (a one-artist answer
    spent most of its time here)."""

    def __init__(self, model: Model) -> None:
        markets = model.markets
        cells = pd.MultiIndex.from_frame(markets[["countryname", "storename"]].astype(str))
        # sorted, so codes follow names and ties between territories break by name
        self.cells = cells.unique().sort_values()
        cell_of_row = self.cells.get_indexer(cells)
        self.territories, cell_territory = np.unique(
            self.cells.get_level_values(0).to_numpy(dtype=object), return_inverse=True)
        self.cell_territory = cell_territory.astype(np.int64)
        self.stores = self.cells.get_level_values(1).to_numpy(dtype=object)
        n, n_cells, n_territories = len(model.artists), len(self.cells), len(self.territories)
        # duplicates (same artist, country, store) are summed
        self.streams = sparse.csr_matrix(
            (markets["streams"].to_numpy(np.float64),
             (markets["row"].to_numpy(np.int64), cell_of_row)),
            shape=(n, n_cells),
        )
        self.streams.sum_duplicates()
        self.to_territory = sparse.csr_matrix(
            (np.ones(n_cells), (np.arange(n_cells), self.cell_territory)),
            shape=(n_cells, n_territories),
        )
        self.totals = np.asarray(self.streams.sum(axis=1)).ravel()
        inverse = np.divide(1.0, self.totals, out=np.zeros_like(self.totals), where=self.totals > 0)
        self.shares = sparse.diags(inverse) @ self.streams
        self.in_territory = sparse.csr_matrix(
            ((self.streams @ self.to_territory) > 0).astype(np.float64))


#: ``ChartMatrices`` by model, dropped with the model (a model is not hashable: keyed by id, checked
#: against a weak reference)
_CHARTS: dict[int, tuple[weakref.ref, ChartMatrices]] = {}


def charts_of(model: Model) -> ChartMatrices:
    key = id(model)
    hit = _CHARTS.get(key)
    if hit is not None and hit[0]() is model:
        return hit[1]
    charts = ChartMatrices(model)
    _CHARTS[key] = (weakref.ref(model, lambda _, key=key: _CHARTS.pop(key, None)), charts)
    return charts


def _peer_weights(model: Model, rows: np.ndarray) -> sparse.csr_matrix:
    """Row-normalized similarity weights of the given artists' market peers (``market_peers``):
    one matrix row per artist in ``rows``, one column per model row."""
    idx = model.geo_peer_idx[rows].astype(np.int64)
    sim = model.geo_peer_sim[rows].astype(np.float64)
    keep = (idx >= 0) & (sim > 0)
    totals = np.where(keep, sim, 0.0).sum(axis=1)
    positions = np.broadcast_to(np.arange(len(rows))[:, None], idx.shape)[keep]
    data = sim[keep] / totals[positions]
    return sparse.csr_matrix((data, (positions, idx[keep])), shape=(len(rows), len(model.artists)))


def _numbers(rows: np.ndarray, actual: sparse.spmatrix, modeled: sparse.spmatrix,
             share: sparse.spmatrix, totals: np.ndarray) -> pd.DataFrame:
    """Actual, modeled, share, expected and gap wherever actual or modeled is non-zero.

    ``column`` is the matrices' column (a territory or a cell), ``position`` the artist's place
    in ``rows``.
    """
    width = actual.shape[1]
    position, column, actual_values, modeled_values = _union(_entries(actual), _entries(modeled),
                                                             width)
    peer_share = _values_at(_entries(share), position, column, width)
    own_total = totals[rows[position]]
    expected = own_total * peer_share
    return pd.DataFrame({
        "row": rows[position], "position": position, "column": column,
        "actual_streams": actual_values, "modeled_streams": modeled_values,
        "peer_share": peer_share, "expected_streams": expected, "gap": expected - actual_values,
    })


def _entries(matrix: sparse.spmatrix) -> Entries:
    """Rows, columns and values of the stored non-zero entries."""
    coo = sparse.coo_matrix(matrix)
    coo.sum_duplicates()
    nonzero = coo.data != 0
    return coo.row[nonzero].astype(np.int64), coo.col[nonzero].astype(np.int64), coo.data[nonzero]


def _union(a: Entries, b: Entries, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Entries present in ``a`` or ``b`` (two sparse matrices' ``_entries``), with both values,
    sorted by row then column."""
    key_a, key_b = a[0] * width + a[1], b[0] * width + b[1]
    keys = np.concatenate([key_a, key_b])
    keys.sort(kind="stable")  # sort-based union: faster here than np.union1d's hashing
    keys = keys[np.r_[True, keys[1:] != keys[:-1]]] if len(keys) else keys
    values_a, values_b = np.zeros(len(keys)), np.zeros(len(keys))
    values_a[np.searchsorted(keys, key_a)] = a[2]
    values_b[np.searchsorted(keys, key_b)] = b[2]
    return keys // width, keys % width, values_a, values_b


def _values_at(entries: Entries, rows: np.ndarray, columns: np.ndarray, width: int) -> np.ndarray:
    """Values of a sparse matrix's ``_entries`` at the given (row, column) keys, 0 where absent."""
    keys = entries[0] * width + entries[1]
    if len(keys) == 0:
        return np.zeros(len(rows))
    order = np.argsort(keys, kind="stable")
    keys, values = keys[order], entries[2][order]
    wanted = rows * width + columns
    pos = np.clip(np.searchsorted(keys, wanted), 0, len(keys) - 1)
    return np.where(keys[pos] == wanted, values[pos], 0.0)
