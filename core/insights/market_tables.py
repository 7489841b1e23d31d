"""One artist's markets as a table: the per-store and per-territory numbers of
``core.insights.markets`` with names, shares, lift and evidence, for one or many artists.

The table (``opportunity_table``) is what the JSON answers, the dashboard's market page and its
tests read: one row per (territory, store) plus a ``store == "total"`` row per territory.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from core.insights.batch import artist_row
from core.insights.markets import MIN_PEERS, TOTAL, MarketBlock, MarketMatrices
from core.model import Model

COLUMNS = ["territory", "store", "actual_streams", "modeled_streams", "artist_share", "peer_share",
           "expected_streams", "gap", "lift", "peers_with_data", "evidence"]
MARKET_COLUMNS = ["territory", "store", "actual_streams", "modeled_streams"]
_STREAMS = ["actual_streams", "modeled_streams", "peer_share", "expected_streams", "gap"]


def opportunity_tables(model: Model, rows: Iterable[int], min_peers: int = MIN_PEERS
                       ) -> dict[int, pd.DataFrame]:
    """``opportunity_table`` of every given row, from one computation over all of them."""
    wanted = np.unique(np.fromiter(rows, dtype=np.int64))
    tables = {row: pd.DataFrame(columns=COLUMNS) for row in wanted.tolist()}
    if len(wanted) == 0 or model.markets.empty:
        return tables
    matrices = MarketMatrices(model, wanted)
    frame = pd.concat([_long(matrices, block, min_peers) for block in matrices.blocks()],
                      ignore_index=True)
    for row, part in frame.groupby("row", sort=False):
        tables[int(row)] = part[COLUMNS].reset_index(drop=True)
    return tables


def opportunity_table(model: Model, artist: str | int, min_peers: int = MIN_PEERS) -> pd.DataFrame:
    """One row per (territory, store) plus a ``store == "total"`` row per territory.

    Columns: ``COLUMNS``. ``evidence`` is "ok" when at least ``min_peers`` peers stream in the
    territory, "thin" otherwise; ``lift`` is NaN where the peers have no share.
    """
    row = artist_row(model, artist)
    return opportunity_tables(model, [row], min_peers)[row]


def market_table(model: Model, artist: str | int) -> pd.DataFrame:
    """One row per (territory, store): actual and modeled streams, for every territory where
    the artist or any of its peers streams. Columns: territory, store, actual_streams,
    modeled_streams."""
    table = opportunity_table(model, artist)
    return store_rows(table)[MARKET_COLUMNS].reset_index(drop=True)


def store_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The (territory, store) rows of a market table, without the territory totals."""
    return table[table["store"] != TOTAL]


def territory_rows(table: pd.DataFrame) -> pd.DataFrame:
    """One row per territory, sorted by name: the table's total rows, or, for a ``market_table``
    (no totals), its stores summed."""
    totals = table[table["store"] == TOTAL]
    if len(totals) or table.empty:
        return totals.sort_values("territory", kind="stable")
    columns = [c for c in _STREAMS if c in table.columns]
    return table.groupby("territory", as_index=False)[columns].sum()


def store_values(part: pd.DataFrame, column: str) -> dict[str, int]:
    """``column`` of one territory's rows as ``{store: rounded value}`` (non-zero values, by
    store name) plus ``"total"``, the JSON's per-store shape."""
    is_total = part["store"] == TOTAL
    stores = part[~is_total]
    values = {store: int(round(v)) for store, v in zip(stores["store"], stores[column], strict=True)
              if v}
    out = dict(sorted(values.items()))
    total = part.loc[is_total, column] if is_total.any() else stores[column]
    out[TOTAL] = int(round(float(total.sum())))
    return out


def _long(matrices: MarketMatrices, block: MarketBlock, min_peers: int) -> pd.DataFrame:
    """A block's numbers as named rows: for each artist and territory (by name) its stores (by
    name), then the territory's total row.

    Assembled as arrays and made a frame once: a one-artist answer is a look-up, and pandas'
    merge, concat and sort cost more than its arithmetic.
    """
    territories, cells = block.territories, block.cells
    n_territories = len(matrices.charts.territories)
    t_row, t_code = territories["row"].to_numpy(), territories["territory_code"].to_numpy()
    c_row, c_code = cells["row"].to_numpy(), cells["territory_code"].to_numpy()
    cell = cells["cell"].to_numpy()
    # each cell's territory row (always there: the territory sums its cells; 0 if not)
    t_key = t_row * n_territories + t_code
    wanted = c_row * n_territories + c_code
    order = np.argsort(t_key, kind="stable")
    at = order[np.minimum(np.searchsorted(t_key, wanted, sorter=order), max(len(t_key) - 1, 0))]
    t_peers = territories["peers_with_data"].to_numpy(np.int64)
    cell_peers = (np.where(t_key[at] == wanted, t_peers[at], 0) if len(t_key)
                  else np.zeros(len(wanted), np.int64))

    def both(column: str) -> np.ndarray:
        return np.concatenate([cells[column].to_numpy(np.float64),
                               territories[column].to_numpy(np.float64)])

    row = np.concatenate([c_row, t_row])
    code = np.concatenate([c_code, t_code])
    is_total = np.concatenate([np.zeros(len(cells), bool), np.ones(len(territories), bool)])
    # within a territory the cell codes follow the store names (cells are sorted by name)
    store_rank = np.concatenate([cell, np.zeros(len(territories), cell.dtype)])
    sort = np.lexsort((store_rank, is_total, code, row))
    row, code, is_total = row[sort], code[sort], is_total[sort]
    store = np.concatenate([matrices.charts.stores[cell], np.full(len(territories), TOTAL, object)])[sort]
    actual = both("actual_streams")[sort]
    peer_share = both("peer_share")[sort]
    own_total = matrices.charts.totals[row]
    artist_share = np.divide(actual, own_total, out=np.zeros(len(row)), where=own_total > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        lift = np.where(peer_share > 0, artist_share / peer_share, np.nan)
    peers = np.concatenate([cell_peers, t_peers])[sort]
    return pd.DataFrame({
        "row": row,
        "territory": matrices.charts.territories[code],
        "store": store,
        "actual_streams": actual,
        "modeled_streams": both("modeled_streams")[sort],
        "artist_share": artist_share,
        "peer_share": peer_share,
        "expected_streams": both("expected_streams")[sort],
        "gap": both("gap")[sort],
        "lift": lift,
        "peers_with_data": peers,
        "evidence": np.where(peers >= min_peers, "ok", "thin").astype(object),
    })
