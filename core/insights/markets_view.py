"""Market answers shaped for a map and for tables: per-country totals, gaps, store splits.

The page's source is ``core.insights.opportunity_table``: one row per (territory,
store) plus a ``store == "total"`` row per territory, with

* actual streams (the chart table),
* modeled streams: the seed's similarity-weighted average of the peers' *absolute* streams,
  kept because analysts know it, but a global hit among the peers dominates it;
* expected streams: the artist's own total spread like its peers' streams (their weighted
  *shares*), so a small artist is compared with what its size allows;
* gap = expected − actual (positive: room to grow), lift and the number of peers behind it.

Expected streams need the artist's own total: an artist without chart streams has none, so
every function here says which metrics carry information (``map_metrics``) and the page falls
back to the modeled view. Nothing here draws or touches Streamlit: ``dashboard.market_charts``
draws these frames and the page lays them out.

Country names become map shapes through ``core.geo``; names that cannot be drawn are returned
(split into "too small for the world map" and "unknown name") so the page can list them
instead of leaving the reader to wonder why a country is grey.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core import geo
from core.insights.geographic import territory_summary
from core.insights.market_tables import store_rows, territory_rows
from core.insights.markets import MIN_PEERS, TOTAL, MarketMatrices, has_market_data, market_peers
from core.insights.opportunities import ranked_opportunities
from core.model import Model

__all__ = ["METRICS", "PEER_COLUMNS", "MapData", "biggest_markets", "compact_number",
           "default_metric", "describe_thin", "gap_extent", "has_market_data", "map_data",
           "map_metrics", "market_peer_table", "modeled_territories",
           "opportunities", "own_total", "store_breakdown", "territory_choices",
           "territory_figures", "territory_peers", "territory_totals", "thin_evidence"]

#: map metrics: column -> label shown to the analyst
METRICS: dict[str, str] = {
    "actual_streams": "Actual streams",
    "modeled_streams": "Modeled streams (peers' average)",
    "expected_streams": "Expected streams (peers' shares)",
    "gap": "Gap (expected − actual)",
}
#: metrics that are zero by construction when the artist has no streams of its own
NEEDS_OWN_STREAMS = ("expected_streams", "gap")
STREAM_COLUMNS = ("actual_streams", "modeled_streams", "expected_streams", "gap")
TOTAL_COLUMNS = ("territory", *STREAM_COLUMNS, "lift", "peers_with_data", "evidence")
MAP_COLUMNS = ("id", "country", "territory", *STREAM_COLUMNS)
OPPORTUNITY_COLUMNS = ("territory", "actual", "expected", "gap", "lift", "peers_with_data")
MEASURES = {"actual_streams": "Actual", "modeled_streams": "Modeled", "expected_streams": "Expected"}
PEER_COLUMNS = ("name", "similarity", "weight", "streams", "share", "modeled", "expected",
                "expected_weight")
MODELED_COLUMNS = ("territory", "modeled", "peers_with_data")
BIGGEST_COLUMNS = ("territory", "actual")


def own_total(table: pd.DataFrame) -> float:
    """The artist's own chart streams over every territory and store (0 without chart data)."""
    return float(territory_rows(table)["actual_streams"].sum()) if not table.empty else 0.0


def map_metrics(table: pd.DataFrame) -> list[str]:
    """The metrics worth offering for this artist: expected streams and the gap are all zero
    without the artist's own total, so they are left out then rather than drawn as an empty map."""
    if own_total(table) > 0:
        return list(METRICS)
    return [m for m in METRICS if m not in NEEDS_OWN_STREAMS]


def default_metric(table: pd.DataFrame) -> str:
    """The gap when it can be computed (the question the page answers), else modeled streams."""
    return "gap" if own_total(table) > 0 else "modeled_streams"


def territory_totals(table: pd.DataFrame) -> pd.DataFrame:
    """One row per territory (all stores summed), biggest gap first. Columns ``TOTAL_COLUMNS``."""
    if table.empty:
        return pd.DataFrame(columns=list(TOTAL_COLUMNS))
    totals = territory_rows(table).sort_values(["gap", "territory"], ascending=[False, True], kind="stable")
    return totals.reset_index(drop=True)[list(TOTAL_COLUMNS)]


@dataclass(frozen=True)
class MapData:
    """Per-country values keyed by world-atlas id, and the names that could not be drawn."""

    frame: pd.DataFrame
    too_small: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    @property
    def unmapped(self) -> list[str]:
        return [*self.too_small, *self.unknown]


def map_data(table: pd.DataFrame) -> MapData:
    """Territory totals joined to map shapes.

    Two spellings of one country ("UK", "United Kingdom") land on the same shape, so values
    are summed per shape (every metric is a stream count, so sums stay meaningful; lift is a
    ratio and is not mapped) and ``territory`` lists the spellings found.
    """
    totals = territory_totals(table)
    mapping, unmapped = geo.map_countries(totals["territory"].tolist())
    too_small = [n for n in unmapped if geo.country_code(n) is not None]
    unknown = [n for n in unmapped if geo.country_code(n) is None]
    placed = totals[totals["territory"].isin(list(mapping))].copy()
    if placed.empty:
        return MapData(pd.DataFrame(columns=list(MAP_COLUMNS)), too_small, unknown)
    placed["id"] = placed["territory"].map(mapping)
    frame = placed.groupby("id", as_index=False).agg(
        territory=("territory", lambda s: ", ".join(sorted(s))),
        **{column: (column, "sum") for column in STREAM_COLUMNS},
    )
    frame["country"] = [geo.country_display_name(i) or t for i, t in zip(frame["id"], frame["territory"],
                                                                          strict=True)]
    return MapData(frame[list(MAP_COLUMNS)], too_small, unknown)


def opportunities(table: pd.DataFrame, top_n: int = 10) -> pd.DataFrame:
    """Territories where the artist under-performs its peers, biggest gap first.

    Only territories with enough evidence (``evidence == "ok"``: at least ``min_peers`` market
    peers stream there) and a positive gap; streams rounded as shown. Columns
    ``OPPORTUNITY_COLUMNS``.
    """
    if table.empty or own_total(table) <= 0:
        return pd.DataFrame(columns=list(OPPORTUNITY_COLUMNS))
    ok, _ = ranked_opportunities(table, top_n)
    return _opportunity_frame(ok)


def thin_evidence(table: pd.DataFrame) -> pd.DataFrame:
    """Territories with a positive gap that too few peers back to be recommended, biggest gap
    first (all of them: the page lists every one it leaves out). Columns ``OPPORTUNITY_COLUMNS``."""
    if table.empty or own_total(table) <= 0:
        return pd.DataFrame(columns=list(OPPORTUNITY_COLUMNS))
    _, thin = ranked_opportunities(table, top_n=len(table))
    return _opportunity_frame(thin)


def _opportunity_frame(totals: pd.DataFrame) -> pd.DataFrame:
    actual = totals["actual_streams"].round().astype(np.int64)
    expected = totals["expected_streams"].round().astype(np.int64)
    return pd.DataFrame({
        "territory": totals["territory"].to_numpy(),
        "actual": actual.to_numpy(),
        "expected": expected.to_numpy(),
        "gap": (expected - actual).to_numpy(),
        "lift": totals["lift"].astype(float).to_numpy(),
        "peers_with_data": totals["peers_with_data"].astype(np.int64).to_numpy(),
    }, columns=list(OPPORTUNITY_COLUMNS))


def describe_thin(thin: pd.DataFrame, min_peers: int = MIN_PEERS, limit: int = 12) -> str | None:
    """One sentence naming the territories deliberately not recommended, or None if there are
    none. Spelled out because a reader who sees a big gap on the map will ask why it is not
    in the table."""
    if thin.empty:
        return None
    named = [f"{t} ({n} peer{'s' if n != 1 else ''})"
             for t, n in zip(thin["territory"], thin["peers_with_data"], strict=True)]
    more = len(named) - limit
    listed = ", ".join(named[:limit]) + (f" and {more} more" if more > 0 else "")
    return (f"Not recommended, too little evidence (fewer than {min_peers} peers stream there): "
            f"{listed}.")


def store_breakdown(table: pd.DataFrame, territory: str) -> pd.DataFrame:
    """Streams per store in one territory, long format for a bar chart.

    Columns: store, measure ("Actual" / "Modeled" / "Expected"), streams. "Expected" only when
    the artist has streams of its own (see ``map_metrics``).
    """
    part = store_rows(table)
    part = part[part["territory"] == territory]
    measures = [m for m in MEASURES if m != "expected_streams" or own_total(table) > 0]
    long = part.melt(id_vars=["store"], value_vars=measures, var_name="measure", value_name="streams")
    long["measure"] = long["measure"].map(MEASURES)
    order = {label: i for i, label in enumerate(MEASURES.values())}
    long = long.assign(_order=long["measure"].map(order)).sort_values(["store", "_order"])
    return long.reset_index(drop=True)[["store", "measure", "streams"]]


def market_peer_table(model: Model, row: int) -> pd.DataFrame:
    """The artists whose chart streams model this artist's markets, with their weight.

    Columns: name, similarity, weight (share of the modeled streams), listeners, genre.
    """
    peers, sims = market_peers(model, row)
    artists = model.artists
    total = float(sims.sum())
    return pd.DataFrame({
        "name": artists["artistname"].to_numpy()[peers],
        "similarity": sims,
        "weight": sims / total if total > 0 else np.zeros(len(sims)),
        "listeners": artists["listeners"].to_numpy()[peers].astype(np.int64),
        "genre": artists["genre"].to_numpy()[peers],
    })


def compact_number(value: float, signed: bool = False) -> str:
    """A stream count as people say it (13.5M, 250k, 870), with "+"/"−" when ``signed``:
    one spelling for the page's figures and the map legend's ends."""
    rounded = float(f"{abs(float(value)):.3g}")  # three significant digits
    text = f"{rounded:.0f}"
    for limit, suffix in ((1e3, "k"), (1e6, "M"), (1e9, "B")):
        if rounded >= limit:
            text = f"{rounded / limit:g}{suffix}"
    if text == "0":
        return text
    return ("−" if value < 0 else "+" if signed else "") + text


def gap_extent(data: MapData) -> float:
    """The largest |gap| on the map (0 without gaps): the diverging legend runs from minus to
    plus this value, so 0 sits in the middle and the biggest gap at one end."""
    gaps = pd.to_numeric(data.frame["gap"], errors="coerce").abs().dropna()
    return float(gaps.max()) if len(gaps) else 0.0


def biggest_markets(table: pd.DataFrame, top_n: int = 5) -> pd.DataFrame:
    """Where the artist streams most now (the seed's ``top_markets``: highest actual totals),
    as context for the opportunities, not a second recommendation. Columns ``BIGGEST_COLUMNS``."""
    summary = territory_summary(store_rows(table), top_n)
    return pd.DataFrame(
        [(entry["territory"], dict(entry["actual_streams"]).get(TOTAL, 0))  # type: ignore[call-overload]
         for entry in summary["top_markets"]],
        columns=list(BIGGEST_COLUMNS))


def modeled_territories(table: pd.DataFrame) -> pd.DataFrame:
    """For an artist without streams of its own: every territory by its peers' average streams
    (modeled), most first, with how many peers stream there. Columns ``MODELED_COLUMNS``."""
    totals = territory_rows(table)
    totals = totals[totals["modeled_streams"] > 0].sort_values(
        ["modeled_streams", "territory"], ascending=[False, True], kind="stable")
    return pd.DataFrame({
        "territory": totals["territory"].to_numpy(),
        "modeled": totals["modeled_streams"].round().astype(np.int64).to_numpy(),
        "peers_with_data": totals["peers_with_data"].astype(np.int64).to_numpy(),
    }, columns=list(MODELED_COLUMNS))


def territory_choices(table: pd.DataFrame) -> list[str]:
    """The territories a drill-down offers, in the page's order: the opportunities (biggest gap
    first), then the other territories by actual streams, then by modeled streams."""
    if table.empty:
        return []
    totals = territory_rows(table).sort_values(
        ["actual_streams", "modeled_streams", "territory"], ascending=[False, False, True],
        kind="stable")
    return list(dict.fromkeys([*opportunities(table, top_n=len(totals))["territory"],
                               *totals["territory"]]))


def territory_figures(table: pd.DataFrame, territory: str) -> dict[str, float]:
    """One territory's totals: actual, modeled, expected, gap, lift and peers_with_data (the
    numbers the drill-down explains)."""
    totals = territory_rows(table)
    part = totals[totals["territory"] == territory]
    if part.empty:
        raise KeyError(territory)
    first = part.iloc[0]
    return {
        "actual": float(first["actual_streams"]), "modeled": float(first["modeled_streams"]),
        "expected": float(first["expected_streams"]), "gap": float(first["gap"]),
        "lift": float(first["lift"]) if "lift" in part and pd.notna(first["lift"]) else float("nan"),
        "peers_with_data": int(first.get("peers_with_data", 0)),
    }


def territory_peers(model: Model, row: int, territory: str) -> pd.DataFrame:
    """The market peers behind one territory's figures: who streams there, how much, and what
    each adds, read from ``core.insights.markets.MarketMatrices`` (the numbers every market
    answer uses, not a second spelling of them).

    Columns ``PEER_COLUMNS``: similarity, weight (similarity ÷ the peers' sum), streams (the
    peer's streams there, all stores), share (of the peer's own streams), modeled (weight ×
    streams; the rows sum to the modeled figure), expected (the artist's total × weight ×
    share; the rows sum to the expected figure) and expected_weight (its part of expected).
    Only peers that stream there, so the row count is ``peers_with_data``; biggest part first.
    """
    peers, sims = market_peers(model, row)
    empty = pd.DataFrame(columns=list(PEER_COLUMNS))
    if len(peers) == 0 or model.markets.empty:
        return empty
    matrices = MarketMatrices(model, np.array([row]))  # the numbers markets.py computes
    charts = matrices.charts
    column = int(np.searchsorted(charts.territories, territory))
    if column == len(charts.territories) or charts.territories[column] != territory:
        return empty
    peer_weights = matrices.weights[0]
    peer_rows = peer_weights.indices.astype(np.int64)
    in_territory = charts.to_territory[:, column]
    there = np.asarray((charts.streams[peer_rows] @ in_territory).todense()).ravel()
    peer_share = np.asarray((charts.shares[peer_rows] @ in_territory).todense()).ravel()
    keep = there > 0
    if not keep.any():
        return empty
    rows = peer_rows[keep]
    weight = peer_weights.data[keep]
    streams = there[keep]
    share = peer_share[keep]
    similarity = pd.Series(sims, index=peers).groupby(level=0).max()
    artist_total = float(charts.totals[row])
    expected = artist_total * weight * share
    expected_sum = float(expected.sum())
    frame = pd.DataFrame({
        "name": model.artists["artistname"].to_numpy(dtype=object)[rows],
        "similarity": similarity.reindex(rows).to_numpy(np.float64),
        "weight": weight,
        "streams": streams,
        "share": share,
        "modeled": weight * streams,
        "expected": expected,
        "expected_weight": expected / expected_sum if expected_sum > 0 else np.zeros(len(rows)),
    })
    key = "expected" if artist_total > 0 else "modeled"
    frame = frame.sort_values([key, "similarity", "name"], ascending=[False, False, True],
                              kind="stable")
    return frame.reset_index(drop=True)[list(PEER_COLUMNS)]
