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
    """A block's numbers as named rows: its cells, then a total row per territory."""
    territories = block.territories
    cells = block.cells.merge(territories[["row", "territory_code", "peers_with_data"]],
                              on=["row", "territory_code"], how="left")
    stores = cells.assign(store=matrices.stores[cells["cell"].to_numpy()], is_total=False)
    totals = territories.assign(store=TOTAL, is_total=True)
    out = pd.concat([stores.drop(columns="cell"), totals], ignore_index=True)
    out["territory"] = matrices.territories[out["territory_code"].to_numpy()]
    own_total = matrices.totals[out["row"].to_numpy()]
    out["artist_share"] = np.divide(out["actual_streams"].to_numpy(), own_total,
                                    out=np.zeros(len(out)), where=own_total > 0)
    peer_share = out["peer_share"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["lift"] = np.where(peer_share > 0, out["artist_share"] / peer_share, np.nan)
    out["peers_with_data"] = out["peers_with_data"].fillna(0).astype(np.int64)
    out["evidence"] = np.where(out["peers_with_data"] >= min_peers, "ok", "thin").astype(object)
    out = out.sort_values(["row", "territory", "is_total", "store"], ignore_index=True)
    return out[["row", *COLUMNS]]
