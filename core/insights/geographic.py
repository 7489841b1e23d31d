"""Where should this artist grow: actual streams beside streams modeled from listener-peers.

Modeled streams (the seed's definition, kept for compatibility): for each country and store,
the similarity-weighted average of the streams of the artist's ``market_peers`` most similar
artists that have market data. A peer without streams in a (country, store) counts as 0 there.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from core.errors import InsightsError
from core.insights.batch import Report, for_each_name
from core.model import Model

TOTAL = "total"


def rows_markets(model: Model, rows: np.ndarray) -> pd.DataFrame:
    markets = model.markets
    positions = np.searchsorted(markets["row"].to_numpy(), [rows, rows + 1])
    parts = [markets.iloc[a:b] for a, b in zip(positions[0], positions[1], strict=True)]
    return pd.concat(parts) if parts else markets.iloc[:0]


def market_peers(model: Model, row: int) -> tuple[np.ndarray, np.ndarray]:
    """The peers (rows) whose markets model this artist's, and their similarity weights."""
    idx, sim = model.geo_peer_idx[row], model.geo_peer_sim[row]
    keep = (idx >= 0) & (sim > 0)
    return idx[keep], sim[keep].astype(np.float64)


def market_table(model: Model, artist: str | int) -> pd.DataFrame:
    """One row per (territory, store): actual and modeled streams, for every territory where
    the artist or any of its peers streams. Columns: territory, store, actual_streams,
    modeled_streams."""
    row = model.resolve(artist) if isinstance(artist, str) else int(artist)
    own = rows_markets(model, np.array([row]))
    actual = own.groupby(["countryname", "storename"])["streams"].sum().rename("actual_streams")

    peers, weights = market_peers(model, row)
    if len(peers) and weights.sum() > 0:
        peer_rows = rows_markets(model, np.sort(peers))
        weight_of = pd.Series(weights / weights.sum(), index=peers)
        weighted = peer_rows["streams"] * peer_rows["row"].map(weight_of)
        modeled = weighted.groupby([peer_rows["countryname"], peer_rows["storename"]]).sum()
        modeled = modeled.rename("modeled_streams")
    else:
        modeled = pd.Series(dtype=float, name="modeled_streams")
    table = pd.concat([actual, modeled], axis=1).fillna(0.0)
    table.index = table.index.set_names(["territory", "store"])
    table = table.reset_index()
    return table.sort_values(["territory", "store"], ignore_index=True)


def _streams_by_store(frame: pd.DataFrame, column: str) -> dict[str, int]:
    values = {store: int(round(v)) for store, v in zip(frame["store"], frame[column], strict=True)
              if v > 0}
    out = dict(sorted(values.items()))
    out[TOTAL] = int(round(frame[column].sum()))
    return out


def territory_summary(table: pd.DataFrame, top_n: int = 5) -> dict[str, list[dict[str, object]]]:
    """The seed's ``top_markets`` (highest actual totals) and ``recommendations`` (highest
    modeled totals among the other territories)."""
    totals = table.groupby("territory")[["actual_streams", "modeled_streams"]].sum()
    ranked_actual = totals[totals["actual_streams"] > 0].sort_values(
        ["actual_streams", "modeled_streams"], ascending=False, kind="stable"
    )
    top = list(ranked_actual.index[:top_n])
    rest = totals.drop(index=top)
    rest = rest[rest["modeled_streams"] > 0].sort_values(
        ["modeled_streams", "actual_streams"], ascending=False, kind="stable"
    )
    recommended = list(rest.index[:top_n])

    def entry(territory: str) -> dict[str, object]:
        part = table[table["territory"] == territory]
        return {
            "territory": territory,
            "actual_streams": _streams_by_store(part, "actual_streams"),
            "modeled_streams": _streams_by_store(part, "modeled_streams"),
        }

    return {"top_markets": [entry(t) for t in top],
            "recommendations": [entry(t) for t in recommended]}


def geographic_report(
    model: Model, names: Iterable[str], top_n: int = 5, opportunities: bool = True,
    min_peers: int | None = None,
) -> Report:
    """The seed's JSON shape: ``{name: {"top_markets": [...], "recommendations": [...]}}``.

    With ``opportunities`` (the default) each artist also gets the market-opportunity keys of
    ``core.insights.opportunities`` (``opportunities``, ``thin_evidence``, ``market_model``);
    the seed's keys are unchanged.
    """
    from core.insights import opportunities as opp

    peers = opp.MIN_PEERS if min_peers is None else min_peers
    if top_n < 1 or peers < 1:
        raise InsightsError(f"top-n and min-peers must be at least 1, not {top_n} and {peers}")

    def answer(row: int) -> dict[str, object]:
        table = market_table(model, row)
        out: dict[str, object] = territory_summary(table, top_n)
        if opportunities:
            out.update(opp.opportunity_summary(opp.opportunity_table(model, row, peers), top_n, peers))
        return out

    return for_each_name(model, names, answer)
