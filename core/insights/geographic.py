"""Where should this artist grow: actual streams beside streams modeled from listener-peers.

Modeled streams (the seed's definition, kept for compatibility): for each country and store,
the similarity-weighted average of the streams of the artist's ``market_peers`` most similar
artists that have market data. A peer without streams in a (country, store) counts as 0 there.
The numbers come from ``core.insights.markets``, the order from ``core.insights.market_ranking``.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from core.errors import InsightsError
from core.insights import opportunities as opp
from core.insights.batch import AnswersByName, for_each_name
from core.insights.market_ranking import KINDS, RECOMMENDATION, TOP_MARKET, rank_territories
from core.insights.market_tables import (
    market_table,
    opportunity_tables,
    store_values,
    territory_rows,
)
from core.insights.markets import TOTAL
from core.model import Model

__all__ = ["TOTAL", "geographic_answers", "market_table", "territory_summary"]


def territory_summary(table: pd.DataFrame, top_n: int = 5) -> dict[str, list[dict[str, object]]]:
    """The seed's ``top_markets`` (highest actual totals) and ``recommendations`` (highest
    modeled totals among the other territories), from a ``market_table`` or
    ``opportunity_table``."""
    totals = territory_rows(table)
    none = np.zeros(len(totals))
    ranking = rank_territories(none, pd.factorize(totals["territory"], sort=True)[0],
                               totals["actual_streams"], totals["modeled_streams"], none, none,
                               top_n, kinds=(TOP_MARKET, RECOMMENDATION))
    names = totals["territory"].to_numpy()

    def entry(territory: str) -> dict[str, object]:
        part = table[table["territory"] == territory]
        return {
            "territory": territory,
            "actual_streams": store_values(part, "actual_streams"),
            "modeled_streams": store_values(part, "modeled_streams"),
        }

    kinds = ranking["kind"].to_numpy()
    return {key: [entry(t) for t in names[ranking["position"].to_numpy()[kinds == code]]]
            for key, code in (("top_markets", KINDS.index(TOP_MARKET)),
                              ("recommendations", KINDS.index(RECOMMENDATION)))}


def geographic_answers(
    model: Model, names: Iterable[str], top_n: int = 5, opportunities: bool = True,
    min_peers: int | None = None,
) -> AnswersByName:
    """The seed's JSON shape: ``{name: {"top_markets": [...], "recommendations": [...]}}``.

    With ``opportunities`` (the default) each artist also gets the market-opportunity keys of
    ``core.insights.opportunities`` (``opportunities``, ``thin_evidence``, ``market_model``);
    the seed's keys are unchanged. Every name's table comes from one computation.
    """
    peers = opp.MIN_PEERS if min_peers is None else min_peers
    if top_n < 1 or peers < 1:
        raise InsightsError(f"top-n and min-peers must be at least 1, not {top_n} and {peers}")
    asked = for_each_name(model, names, lambda row: row)
    tables = opportunity_tables(model, asked.answers.values(), peers)
    for name, row in asked.answers.items():
        out: dict[str, object] = territory_summary(tables[row], top_n)
        if opportunities:
            out.update(opp.opportunity_summary(tables[row], top_n, peers))
        asked.answers[name] = out
    return asked
