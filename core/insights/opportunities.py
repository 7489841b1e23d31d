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

from core.insights.batch import AnswersByName, for_each_name
from core.insights.market_ranking import KINDS, OPPORTUNITY, THIN_EVIDENCE, rank_territories
from core.insights.market_tables import (
    COLUMNS,
    opportunity_table,
    opportunity_tables,
    store_values,
)
from core.insights.markets import MIN_PEERS, TOTAL
from core.model import Model

__all__ = ["COLUMNS", "MIN_PEERS", "RANKING", "opportunity_answers", "opportunity_summary",
           "opportunity_table", "ranked_opportunities"]

RANKING = "gap = expected − actual streams, where expected = artist total × peers' weighted share"


def ranked_opportunities(table: pd.DataFrame, top_n: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(opportunities, thin): territory totals with a positive gap, biggest first, split by
    whether enough peers back them."""
    totals = table[table["store"] == TOTAL]
    none = np.zeros(len(totals))
    ranking = rank_territories(none, pd.factorize(totals["territory"], sort=True)[0], none, none,
                               totals["gap"], totals["evidence"] == "ok", top_n,
                               kinds=(OPPORTUNITY, THIN_EVIDENCE))
    kinds = ranking["kind"].to_numpy()
    positions = ranking["position"].to_numpy()
    ok = totals.iloc[positions[kinds == KINDS.index(OPPORTUNITY)]]
    thin = totals.iloc[positions[kinds == KINDS.index(THIN_EVIDENCE)]]
    return ok.reset_index(drop=True), thin.reset_index(drop=True)


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
            "actual_streams": store_values(part, "actual_streams"),
            "expected_streams": store_values(part, "expected_streams"),
            "gap": store_values(part, "gap"),
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


def opportunity_answers(model: Model, names: Iterable[str], top_n: int = 5,
                        min_peers: int = MIN_PEERS) -> AnswersByName:
    """``opportunity_summary`` by name, every name's table from one computation."""
    asked = for_each_name(model, names, lambda row: row)
    tables = opportunity_tables(model, asked.answers.values(), min_peers)
    asked.answers = {name: opportunity_summary(tables[row], top_n, min_peers)
                      for name, row in asked.answers.items()}
    return asked
