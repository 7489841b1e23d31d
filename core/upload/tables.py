"""The two result tables, built for all artists at once.

``ARTIST_SIMILARITY`` and ``ARTIST_GEOGRAPHIC_RECOMMENDATIONS`` are the seed's result tables
(same names, the seed's columns first), widened with artist ids, ranks, shared listeners and the
model version so that a table can be joined back to the source tables and traced to a model.

They hold the very answers ``core.insights`` gives for one artist, but computed in bulk: a loop
over 100,000 artists calling ``market_table`` would take minutes, while the same arithmetic as
sparse matrix products takes seconds. ``tests/test_upload_tables.py`` checks artist by artist
that both ways agree.

Modeled streams for every artist at once::

    W[a, p] = similarity of peer p / sum of a's peer similarities   (a's market peers only)
    S[p, c] = streams of artist p in cell c = (country, store)
    M = W @ S                                                       (modeled streams)

Territory totals are the same matrices summed over the stores of a country (``@ T``).

The market-opportunity model (``core.insights.opportunities``) is the same product on shares::

    E = diag(artist totals) @ W @ diag(1 / peer totals) @ S      (expected streams)
    gap = E - actual;  peers with data = (W > 0) @ (S @ T > 0)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from core.insights.opportunities import MIN_PEERS
from core.model import Model

SIMILARITY_TABLE = "ARTIST_SIMILARITY"
GEOGRAPHIC_TABLE = "ARTIST_GEOGRAPHIC_RECOMMENDATIONS"

SIMILARITY_COLUMNS = (
    "artist", "similar_artist", "similarity",  # the seed's columns
    "artistnum", "similar_artistnum", "rank", "shared_listeners", "model_version",
)
GEOGRAPHIC_COLUMNS = (
    "artist", "territory", "store", "actual_streams", "modeled_streams",  # the seed's columns
    "artistnum", "kind", "rank", "expected_streams", "gap", "peers_with_data", "model_version",
)

#: ``kind`` values, in the order the seed's JSON lists them
TOP_MARKET = "top_market"
RECOMMENDATION = "recommendation"
#: territories ranked by gap (expected − actual) with enough peers streaming there
OPPORTUNITY = "opportunity"
KINDS = (TOP_MARKET, RECOMMENDATION, OPPORTUNITY)

#: answers per artist when the caller does not say (the CLI's and the dashboard's defaults)
DEFAULT_SIMILAR = 10
DEFAULT_MARKETS = 5

#: artists per block when building the geographic table; bounds memory on large models
#: (a block's modeled-streams matrix has at most block x peers x cells-per-peer entries)
_BLOCK_ARTISTS = 25_000


def similarity_table(model: Model, top_n: int = DEFAULT_SIMILAR) -> pd.DataFrame:
    """The ``top_n`` most similar artists of every artist, best first.

    Row for row what ``core.insights.similar_artists`` returns; padding entries (-1, left by
    training when an artist has fewer than ``TOP_K`` neighbours) are dropped.
    """
    artists = model.artists
    k = max(0, min(int(top_n), model.neighbour_idx.shape[1]))
    n = len(artists)
    source = np.repeat(np.arange(n, dtype=np.int64), k)
    target = model.neighbour_idx[:, :k].astype(np.int64).ravel()
    rank = np.tile(np.arange(1, k + 1, dtype=np.int64), n)
    similarity = model.neighbour_sim[:, :k].astype(np.float64).ravel()
    shared = model.neighbour_shared[:, :k].astype(np.int64).ravel()
    keep = target >= 0
    source, target, rank, similarity, shared = (
        a[keep] for a in (source, target, rank, similarity, shared)
    )
    names = artists["artistname"].to_numpy(dtype=object)
    ids = artists["artistnum"].to_numpy(dtype=np.int64)
    return pd.DataFrame({
        "artist": names[source],
        "similar_artist": names[target],
        "similarity": similarity,
        "artistnum": ids[source],
        "similar_artistnum": ids[target],
        "rank": rank,
        "shared_listeners": shared,
        "model_version": model.version,
    }, columns=list(SIMILARITY_COLUMNS))


class _Markets:
    """The model's markets as sparse matrices over (country, store) cells, built once."""

    def __init__(self, model: Model) -> None:
        n = len(model.artists)
        markets = model.markets
        cells = pd.MultiIndex.from_frame(markets[["countryname", "storename"]].astype(str))
        # sorted like the groupby in market_table, so ties between territories break the same way
        self.cells = cells.unique().sort_values()
        cell_of_row = self.cells.get_indexer(cells)
        self.territories, cell_territory = np.unique(
            self.cells.get_level_values(0).to_numpy(dtype=object), return_inverse=True
        )
        self.cell_territory = cell_territory.astype(np.int64)
        self.stores = self.cells.get_level_values(1).to_numpy(dtype=object)
        n_cells, n_terr = len(self.cells), len(self.territories)
        # duplicates (same artist, country, store) are summed, as market_table's groupby does
        self.streams = sparse.csr_matrix(
            (markets["streams"].to_numpy(np.float64),
             (markets["row"].to_numpy(np.int64), cell_of_row)),
            shape=(n, n_cells),
        )
        self.streams.sum_duplicates()
        self.to_territory = sparse.csr_matrix(
            (np.ones(n_cells), (np.arange(n_cells), self.cell_territory)), shape=(n_cells, n_terr)
        )
        self.weights = _peer_weights(model)
        self.totals = np.asarray(self.streams.sum(axis=1)).ravel()
        inverse = np.divide(1.0, self.totals, out=np.zeros_like(self.totals), where=self.totals > 0)
        self.shares = sparse.diags(inverse) @ self.streams
        self.in_territory = sparse.csr_matrix(((self.streams @ self.to_territory) > 0).astype(np.float64))


def _peer_weights(model: Model) -> sparse.csr_matrix:
    """Row-normalized similarity weights of every artist's market peers (``market_peers``)."""
    idx = model.geo_peer_idx.astype(np.int64)
    sim = model.geo_peer_sim.astype(np.float64)
    keep = (idx >= 0) & (sim > 0)
    totals = np.where(keep, sim, 0.0).sum(axis=1)
    rows = np.broadcast_to(np.arange(idx.shape[0])[:, None], idx.shape)[keep]
    data = sim[keep] / totals[rows]
    n = len(model.artists)
    return sparse.csr_matrix((data, (rows, idx[keep])), shape=(n, n))


def _entries(matrix: sparse.spmatrix, offset: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows (shifted by ``offset``), columns and values of the stored non-zero entries."""
    coo = sparse.coo_matrix(matrix)
    coo.sum_duplicates()
    nonzero = coo.data != 0
    return (coo.row[nonzero].astype(np.int64) + offset, coo.col[nonzero].astype(np.int64),
            coo.data[nonzero])


def _union(a: tuple[np.ndarray, np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray, np.ndarray],
           width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Entries present in ``a`` or ``b`` (two sparse matrices' ``_entries``), with both values."""
    key_a, key_b = a[0] * width + a[1], b[0] * width + b[1]
    keys = np.concatenate([key_a, key_b])
    keys.sort(kind="stable")  # sort-based union: faster here than np.union1d's hashing
    keys = keys[np.r_[True, keys[1:] != keys[:-1]]] if len(keys) else keys
    va, vb = np.zeros(len(keys)), np.zeros(len(keys))
    va[np.searchsorted(keys, key_a)] = a[2]
    vb[np.searchsorted(keys, key_b)] = b[2]
    return keys // width, keys % width, va, vb


def _values_at(entries: tuple[np.ndarray, np.ndarray, np.ndarray], rows: np.ndarray,
               cols: np.ndarray, width: int) -> np.ndarray:
    """Values of a sparse matrix's ``_entries`` at the given (row, col) keys, 0 where absent."""
    keys = entries[0] * width + entries[1]
    order = np.argsort(keys, kind="stable")
    keys, values = keys[order], entries[2][order]
    wanted = rows * width + cols
    pos = np.clip(np.searchsorted(keys, wanted), 0, max(len(keys) - 1, 0))
    found = (pos < len(keys)) & (keys[pos] == wanted) if len(keys) else np.zeros(len(wanted), bool)
    return np.where(found, values[pos] if len(keys) else 0.0, 0.0)


def _rank_in_group(group: np.ndarray) -> np.ndarray:
    """1-based position of each element within its run of equal values in sorted ``group``."""
    if len(group) == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.r_[0, np.flatnonzero(group[1:] != group[:-1]) + 1]
    run_start = np.repeat(starts, np.diff(np.r_[starts, len(group)]))
    return np.arange(len(group)) - run_start + 1


def _block(m: _Markets, start: int, stop: int, top_n: int) -> pd.DataFrame:
    """Geographic rows for artists ``start:stop`` (row numbers), as in ``territory_summary``
    and ``opportunity_summary``."""
    actual = m.streams[start:stop]
    weights = m.weights[start:stop]
    modeled = weights @ m.streams
    expected = sparse.diags(m.totals[start:stop]) @ (weights @ m.shares)
    evidence = (weights > 0).astype(np.float64) @ m.in_territory
    n_terr = len(m.territories)

    # territory totals: the ranking of top markets, recommendations and opportunities
    rows, terr, tot_actual, tot_modeled = _union(
        _entries(actual @ m.to_territory, start), _entries(modeled @ m.to_territory, start), n_terr
    )
    tot_expected = _values_at(_entries(expected @ m.to_territory, start), rows, terr, n_terr)
    peers = _values_at(_entries(evidence, start), rows, terr, n_terr)
    # top markets: actual > 0, by actual, then modeled, then territory name (codes are sorted)
    cand = np.flatnonzero(tot_actual > 0)
    order = cand[np.lexsort((terr[cand], -tot_modeled[cand], -tot_actual[cand], rows[cand]))]
    top = order[_rank_in_group(rows[order]) <= top_n]
    is_top = np.zeros(len(rows), dtype=bool)
    is_top[top] = True
    # recommendations: the other territories with modeled > 0, by modeled, then actual, then name
    cand = np.flatnonzero(~is_top & (tot_modeled > 0))
    order = cand[np.lexsort((terr[cand], -tot_actual[cand], -tot_modeled[cand], rows[cand]))]
    rec = order[_rank_in_group(rows[order]) <= top_n]
    # opportunities: positive gap, enough peers streaming there; by gap, then territory name
    gap = tot_expected - tot_actual
    cand = np.flatnonzero((gap > 0) & (peers >= MIN_PEERS))
    order = cand[np.lexsort((terr[cand], -gap[cand], rows[cand]))]
    opp = order[_rank_in_group(rows[order]) <= top_n]

    chosen = pd.DataFrame({
        "row": np.r_[rows[top], rows[rec], rows[opp]],
        "territory_code": np.r_[terr[top], terr[rec], terr[opp]],
        "kind_order": np.r_[np.zeros(len(top), np.int8), np.ones(len(rec), np.int8),
                            np.full(len(opp), 2, np.int8)],
        "rank": np.r_[_rank_in_group(rows[top]), _rank_in_group(rows[rec]),
                      _rank_in_group(rows[opp])],
        "peers_with_data": np.r_[peers[top], peers[rec], peers[opp]].astype(np.int64),
    })

    # the (country, store) cells of the chosen territories: one output row each
    n_cells = len(m.cells)
    c_rows, c_cells, c_actual, c_modeled = _union(
        _entries(actual, start), _entries(modeled, start), n_cells
    )
    cells = pd.DataFrame({
        "row": c_rows, "territory_code": m.cell_territory[c_cells], "cell": c_cells,
        "actual_streams": c_actual, "modeled_streams": c_modeled,
        "expected_streams": _values_at(_entries(expected, start), c_rows, c_cells, n_cells),
    })
    out = chosen.merge(cells, on=["row", "territory_code"], how="inner")
    out["store"] = m.stores[out["cell"].to_numpy()]
    out["gap"] = out["expected_streams"] - out["actual_streams"]
    return out.sort_values(["row", "kind_order", "rank", "store"], kind="stable", ignore_index=True)


def geographic_table(model: Model, top_n: int = DEFAULT_MARKETS) -> pd.DataFrame:
    """Top markets and recommended territories of every artist, one row per (territory, store).

    ``kind`` is ``top_market`` (territories with the most actual streams), ``recommendation``
    (the other territories with the most modeled streams) or ``opportunity`` (the largest gaps
    between expected and actual streams where at least ``MIN_PEERS`` peers stream), ``rank``
    the territory's place in that list: exactly ``territory_summary`` and
    ``opportunity_summary`` of one artist, flattened, with expected streams and gap on every row.
    """
    top_n = max(0, int(top_n))
    n = len(model.artists)
    if n == 0 or top_n == 0 or model.markets.empty:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in _GEOGRAPHIC_DTYPES.items()})
    markets = _Markets(model)
    parts = [_block(markets, start, min(start + _BLOCK_ARTISTS, n), top_n)
             for start in range(0, n, _BLOCK_ARTISTS)]
    out = pd.concat(parts, ignore_index=True)
    rows = out["row"].to_numpy()
    return pd.DataFrame({
        "artist": model.artists["artistname"].to_numpy(dtype=object)[rows],
        "territory": markets.territories[out["territory_code"].to_numpy()],
        "store": out["store"].to_numpy(dtype=object),
        "actual_streams": out["actual_streams"].to_numpy(np.float64),
        "modeled_streams": out["modeled_streams"].to_numpy(np.float64),
        "artistnum": model.artists["artistnum"].to_numpy(np.int64)[rows],
        "kind": np.asarray(KINDS, dtype=object)[out["kind_order"].to_numpy()],
        "rank": out["rank"].to_numpy(np.int64),
        "expected_streams": out["expected_streams"].to_numpy(np.float64),
        "gap": out["gap"].to_numpy(np.float64),
        "peers_with_data": out["peers_with_data"].to_numpy(np.int64),
        "model_version": model.version,
    }, columns=list(GEOGRAPHIC_COLUMNS))


_GEOGRAPHIC_DTYPES = {
    "artist": object, "territory": object, "store": object, "actual_streams": np.float64,
    "modeled_streams": np.float64, "artistnum": np.int64, "kind": object, "rank": np.int64,
    "expected_streams": np.float64, "gap": np.float64, "peers_with_data": np.int64,
    "model_version": object,
}


def result_tables(model: Model, similar_n: int = DEFAULT_SIMILAR,
                  markets_n: int = DEFAULT_MARKETS) -> dict[str, pd.DataFrame]:
    """Both result tables by name, in the order they are written."""
    return {
        SIMILARITY_TABLE: similarity_table(model, similar_n),
        GEOGRAPHIC_TABLE: geographic_table(model, markets_n),
    }
