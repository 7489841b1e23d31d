"""The market-opportunity model: where this artist under-performs artists with its audience.

The seed's modeled streams average the peers' *absolute* streams, so a peer that is a global
hit dominates and a small artist's "modeled" numbers are far above anything it could reach.
Here each peer contributes its *share* of streams per country and store, the shares are
averaged with similarity weights, and the artist's own total is spread by that mix:

    expected(c, s) = artist total × peers' weighted share(c, s)
    gap(c, s)      = expected − actual          (positive: room to grow; ranked by this)
    lift(c)        = artist's share ÷ peers' share   (1 = in line with peers, 0.5 = half)

Evaluated with ``core.evaluation`` (geographic accuracy): predicting an artist's country shares
from its peers' shares beats averaging absolute streams (see the README's figures).

Thin evidence is flagged, not recommended: a territory counts as an opportunity only when at
least ``min_peers`` of the artist's market peers stream there.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from core.insights.batch import Report, for_each_name
from core.insights.geographic import TOTAL, market_peers, market_table, rows_markets
from core.model import Model

MIN_PEERS = 3
RANKING = "gap = expected − actual streams, where expected = artist total × peers' weighted share"
COLUMNS = ["territory", "store", "actual_streams", "modeled_streams", "artist_share", "peer_share",
           "expected_streams", "gap", "lift", "peers_with_data", "evidence"]


def opportunity_table(model: Model, artist: str | int, min_peers: int = MIN_PEERS) -> pd.DataFrame:
    """One row per (territory, store) plus a ``store == "total"`` row per territory.

    Columns: ``COLUMNS``. ``evidence`` is "ok" when at least ``min_peers`` peers stream in the
    territory, "thin" otherwise; ``lift`` is NaN where the peers have no share.
    """
    row = model.resolve(artist) if isinstance(artist, str) else int(artist)
    table = market_table(model, row)
    if table.empty:
        return pd.DataFrame(columns=COLUMNS)
    own_total = float(table["actual_streams"].sum())

    peers, weights = market_peers(model, row)
    peer_rows = rows_markets(model, np.sort(peers))
    if len(peer_rows) and weights.sum() > 0:
        peer_totals = peer_rows.groupby("row")["streams"].transform("sum")
        weight_of = pd.Series(weights / weights.sum(), index=peers)
        share = peer_rows["streams"] / peer_totals * peer_rows["row"].map(weight_of)
        peer_share = share.groupby([peer_rows["countryname"], peer_rows["storename"]]).sum()
        evidence = peer_rows.groupby("countryname")["row"].nunique()
    else:
        peer_share = pd.Series(dtype=float)
        evidence = pd.Series(dtype=int)

    keys = pd.MultiIndex.from_frame(table[["territory", "store"]])
    table["peer_share"] = peer_share.reindex(keys).fillna(0.0).to_numpy()
    table["peers_with_data"] = table["territory"].map(evidence).fillna(0).astype(int)

    totals = table.groupby("territory", as_index=False)[
        ["actual_streams", "modeled_streams", "peer_share"]].sum()
    totals["store"] = TOTAL
    totals["peers_with_data"] = totals["territory"].map(evidence).fillna(0).astype(int)
    out = pd.concat([table, totals], ignore_index=True)

    out["artist_share"] = out["actual_streams"] / own_total if own_total else 0.0
    out["expected_streams"] = own_total * out["peer_share"]
    out["gap"] = out["expected_streams"] - out["actual_streams"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["lift"] = np.where(out["peer_share"] > 0, out["artist_share"] / out["peer_share"], np.nan)
    out["evidence"] = np.where(out["peers_with_data"] >= min_peers, "ok", "thin")
    out["_total"] = out["store"] == TOTAL
    out = out.sort_values(["territory", "_total", "store"], ignore_index=True)
    return out[COLUMNS]


def ranked_opportunities(table: pd.DataFrame, top_n: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(opportunities, thin): territory totals with a positive gap, biggest first, split by
    whether enough peers back them."""
    totals = table[(table["store"] == TOTAL) & (table["gap"] > 0)]
    totals = totals.sort_values(["gap", "territory"], ascending=[False, True], kind="stable")
    ok = totals[totals["evidence"] == "ok"].head(top_n)
    thin = totals[totals["evidence"] == "thin"].head(top_n)
    return ok.reset_index(drop=True), thin.reset_index(drop=True)


def _by_store(part: pd.DataFrame, column: str) -> dict[str, int]:
    stores = part[part["store"] != TOTAL]
    values = {s: int(round(v)) for s, v in zip(stores["store"], stores[column], strict=True) if v}
    out = dict(sorted(values.items()))
    out[TOTAL] = int(round(float(part.loc[part["store"] == TOTAL, column].sum())))
    return out


def opportunity_summary(table: pd.DataFrame, top_n: int = 5, min_peers: int = MIN_PEERS) -> dict[str, Any]:
    """The extra keys of the ``geographic`` JSON: ``opportunities``, ``thin_evidence`` and
    ``market_model`` (how they were computed)."""
    own_total = float(table.loc[table["store"] == TOTAL, "actual_streams"].sum())
    ok, thin = ranked_opportunities(table, top_n)

    def entry(territory_total: pd.Series) -> dict[str, Any]:
        part = table[table["territory"] == territory_total["territory"]]
        lift = territory_total["lift"]
        return {
            "territory": territory_total["territory"],
            "actual_streams": _by_store(part, "actual_streams"),
            "expected_streams": _by_store(part, "expected_streams"),
            "gap": _by_store(part, "gap"),
            "artist_share": round(float(territory_total["artist_share"]), 6),
            "peer_share": round(float(territory_total["peer_share"]), 6),
            "lift": None if pd.isna(lift) else round(float(lift), 4),
            "peers_with_data": int(territory_total["peers_with_data"]),
        }

    return {
        "opportunities": [entry(r) for _, r in ok.iterrows()],
        "thin_evidence": [entry(r) for _, r in thin.iterrows()],
        "market_model": {
            "ranked_by": RANKING,
            "artist_total_streams": int(round(own_total)),
            "min_peers_with_data": min_peers,
            "note": None if own_total else
            "no streams of its own: expected streams need the artist's total; "
            "see recommendations (modeled streams) instead",
        },
    }


def opportunity_report(model: Model, names: Iterable[str], top_n: int = 5,
                       min_peers: int = MIN_PEERS) -> Report:
    return for_each_name(
        model, names, lambda row: opportunity_summary(opportunity_table(model, row, min_peers),
                                                      top_n, min_peers))
