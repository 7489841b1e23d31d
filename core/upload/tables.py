"""The result tables, built for all artists at once.

``ARTIST_SIMILARITY`` and ``ARTIST_GEOGRAPHIC_RECOMMENDATIONS`` are the seed's result tables
(same names, the seed's columns first; ``ARTIST_EMERGING_PEERS`` is ours, see
``core.upload.scouting_table``), widened with artist ids, ranks, shared listeners and the
model version so that a table can be joined back to the source tables and traced to a model.

They hold the very answers ``core.insights`` gives for one artist: both read the numbers of
``core.insights.markets`` (sparse products over all artists, block by block) and the order of
``core.insights.market_ranking``; this module only names and flattens them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.insights.market_ranking import KINDS as RANKING_KINDS
from core.insights.market_ranking import OPPORTUNITY, RECOMMENDATION, TOP_MARKET, rank_territories
from core.insights.markets import MIN_PEERS, MarketBlock, MarketMatrices
from core.model import Model
from core.upload.scouting_table import EMERGING_TABLE, emerging_table

SIMILARITY_TABLE = "ARTIST_SIMILARITY"
GEOGRAPHIC_TABLE = "ARTIST_GEOGRAPHIC_RECOMMENDATIONS"
#: every result table, in the order they are written
RESULT_TABLES = (SIMILARITY_TABLE, GEOGRAPHIC_TABLE, EMERGING_TABLE)

SIMILARITY_COLUMNS = (
    "artist", "similar_artist", "similarity",  # the seed's columns
    "artistnum", "similar_artistnum", "rank", "shared_listeners", "model_version",
)
GEOGRAPHIC_COLUMNS = (
    "artist", "territory", "store", "actual_streams", "modeled_streams",  # the seed's columns
    "artistnum", "kind", "rank", "expected_streams", "gap", "peers_with_data", "model_version",
)

#: the ``kind`` values this table holds (``rank_territories`` codes index market_ranking.KINDS)
KINDS = (TOP_MARKET, RECOMMENDATION, OPPORTUNITY)
#: each artist's rows list opportunities (ranked by gap, with enough peers streaming there)
#: first, as the Markets page does; the seed's two lists follow
ROW_ORDER = (OPPORTUNITY, TOP_MARKET, RECOMMENDATION)
_ROW_ORDER_OF_CODE = np.array([ROW_ORDER.index(k) if k in ROW_ORDER else len(ROW_ORDER)
                               for k in RANKING_KINDS])

#: answers per artist when the caller does not say (the CLI's and the dashboard's defaults)
DEFAULT_SIMILAR = 10
DEFAULT_MARKETS = 5


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


def _chosen_cells(matrices: MarketMatrices, block: MarketBlock, top_n: int) -> pd.DataFrame:
    """A block's rows of the table: the cells of each artist's ranked territories."""
    totals = block.territories
    ranking = rank_territories(
        totals["row"].to_numpy(), totals["territory_code"].to_numpy(),
        totals["actual_streams"].to_numpy(), totals["modeled_streams"].to_numpy(),
        totals["gap"].to_numpy(), totals["peers_with_data"].to_numpy() >= MIN_PEERS, top_n,
        kinds=KINDS)
    chosen = totals.iloc[ranking["position"].to_numpy()][["row", "territory_code", "peers_with_data"]]
    codes = ranking["kind"].to_numpy()
    chosen = chosen.assign(kind=np.asarray(RANKING_KINDS, dtype=object)[codes],
                           kind_order=_ROW_ORDER_OF_CODE[codes], rank=ranking["rank"].to_numpy())
    cells = block.cells[["row", "territory_code", "cell", "actual_streams", "modeled_streams",
                         "expected_streams", "gap"]]
    out = chosen.merge(cells, on=["row", "territory_code"], how="inner")
    out["store"] = matrices.charts.stores[out["cell"].to_numpy()]
    return out.sort_values(["row", "kind_order", "rank", "store"], kind="stable", ignore_index=True)


def geographic_table(model: Model, top_n: int = DEFAULT_MARKETS) -> pd.DataFrame:
    """Opportunities, top markets and recommended territories of every artist, one row per
    (territory, store).

    ``kind`` is ``opportunity`` (the largest gaps between expected and actual streams where at
    least ``MIN_PEERS`` peers stream; listed first), ``top_market`` (territories with the most
    actual streams) or ``recommendation`` (the other territories with the most modeled
    streams), ``rank``
    the territory's place in that list: ``territory_summary`` and ``opportunity_summary`` of
    every artist, flattened, with expected streams and gap on every row.
    """
    top_n = max(0, int(top_n))
    n = len(model.artists)
    if n == 0 or top_n == 0 or model.markets.empty:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in _GEOGRAPHIC_DTYPES.items()})
    matrices = MarketMatrices(model)
    out = pd.concat([_chosen_cells(matrices, block, top_n) for block in matrices.blocks()],
                    ignore_index=True)
    rows = out["row"].to_numpy()
    return pd.DataFrame({
        "artist": model.artists["artistname"].to_numpy(dtype=object)[rows],
        "territory": matrices.charts.territories[out["territory_code"].to_numpy()],
        "store": out["store"].to_numpy(dtype=object),
        "actual_streams": out["actual_streams"].to_numpy(np.float64),
        "modeled_streams": out["modeled_streams"].to_numpy(np.float64),
        "artistnum": model.artists["artistnum"].to_numpy(np.int64)[rows],
        "kind": out["kind"].to_numpy(dtype=object),
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
    """Every result table by name, in the order they are written."""
    return {
        SIMILARITY_TABLE: similarity_table(model, similar_n),
        GEOGRAPHIC_TABLE: geographic_table(model, markets_n),
        EMERGING_TABLE: emerging_table(model),
    }
