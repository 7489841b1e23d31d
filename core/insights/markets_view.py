"""Market answers shaped for a map and for tables: per-country totals, gaps, store splits.

``core.insights.geographic.market_table`` gives one row per (territory, store) with actual and
modeled streams. An analyst reads it as "where does this artist stream less than artists with
the same audience?", so the totals here add ``gap = modeled − actual``: a positive gap is a
territory where peers do better (an opportunity), a negative one a territory where the artist
already over-performs.

Country names become map shapes through ``core.geo``; names that cannot be drawn are returned
(split into "too small for the world map" and "unknown name") so the page can list them
instead of leaving the reader to wonder why a country is grey.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from core import geo
from core.insights.geographic import market_peers, territory_summary
from core.model import Model

if TYPE_CHECKING:
    import altair as alt

#: map metrics: column -> label shown to the analyst
METRICS: dict[str, str] = {
    "actual_streams": "Actual streams",
    "modeled_streams": "Modeled streams",
    "gap": "Gap (modeled − actual)",
}
TOTAL_COLUMNS = ("territory", "actual_streams", "modeled_streams", "gap")
MAP_COLUMNS = ("id", "country", "territory", "actual_streams", "modeled_streams", "gap")
NO_DATA_COLOUR = "#e6e9ed"


def has_market_data(model: Model, row: int) -> bool:
    """Whether the artist has any chart streams of its own (COUNTRY_ARTIST_STREAMS_BY_STORE)."""
    rows = model.markets["row"].to_numpy()
    i = np.searchsorted(rows, row)
    return bool(i < len(rows) and rows[i] == row)


def territory_totals(table: pd.DataFrame) -> pd.DataFrame:
    """Actual, modeled and gap per territory (all stores summed), biggest gap first."""
    if table.empty:
        return pd.DataFrame(columns=list(TOTAL_COLUMNS))
    totals = table.groupby("territory", as_index=False)[["actual_streams", "modeled_streams"]].sum()
    totals["gap"] = totals["modeled_streams"] - totals["actual_streams"]
    return totals.sort_values(["gap", "territory"], ascending=[False, True], ignore_index=True)[
        list(TOTAL_COLUMNS)
    ]


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
    are summed per shape and ``territory`` lists the spellings found.
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
        actual_streams=("actual_streams", "sum"),
        modeled_streams=("modeled_streams", "sum"),
        gap=("gap", "sum"),
    )
    frame["country"] = [geo.country_display_name(i) or t for i, t in zip(frame["id"], frame["territory"],
                                                                          strict=True)]
    return MapData(frame[list(MAP_COLUMNS)], too_small, unknown)


def market_highlights(table: pd.DataFrame, top_n: int = 5) -> pd.DataFrame:
    """Top markets and recommended territories (``territory_summary``) as one flat table.

    Columns: section ("Top market" / "Recommended"), territory, actual, modeled, gap, and,
    when the data holds more than one store, ``<store> actual`` / ``<store> modeled`` pairs so
    the analyst sees where (Spotify, Apple, ...) the difference comes from.
    """
    summary = territory_summary(table, top_n)
    stores = sorted(table["store"].unique()) if not table.empty else []
    split = len(stores) > 1
    records: list[dict[str, object]] = []
    for section, key in (("Top market", "top_markets"), ("Recommended", "recommendations")):
        for entry in summary[key]:
            actual = dict(entry["actual_streams"])  # type: ignore[call-overload]
            modeled = dict(entry["modeled_streams"])  # type: ignore[call-overload]
            record: dict[str, object] = {
                "section": section,
                "territory": entry["territory"],
                "actual": actual.get("total", 0),
                "modeled": modeled.get("total", 0),
            }
            record["gap"] = int(record["modeled"]) - int(record["actual"])  # type: ignore[call-overload]
            if split:
                for store in stores:
                    record[f"{store} actual"] = actual.get(store, 0)
                    record[f"{store} modeled"] = modeled.get(store, 0)
            records.append(record)
    columns = ["section", "territory", "actual", "modeled", "gap"]
    if split:
        columns += [f"{s} {kind}" for s in stores for kind in ("actual", "modeled")]
    return pd.DataFrame(records, columns=columns)


def store_breakdown(table: pd.DataFrame, territory: str) -> pd.DataFrame:
    """Actual and modeled streams per store in one territory, long format for a bar chart.

    Columns: store, measure ("Actual" / "Modeled"), streams.
    """
    part = table[table["territory"] == territory]
    long = part.melt(id_vars=["store"], value_vars=["actual_streams", "modeled_streams"],
                     var_name="measure", value_name="streams")
    long["measure"] = long["measure"].map({"actual_streams": "Actual", "modeled_streams": "Modeled"})
    return long.sort_values(["store", "measure"], ignore_index=True)[["store", "measure", "streams"]]


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


# -- charts (altair, imported lazily: the CLI never needs it) -------------------------------------


def world_map_chart(data: MapData, metric: str, height: int = 430) -> alt.LayerChart:
    """Choropleth of ``metric`` over the bundled world shapes; needs no network.

    Stream counts span orders of magnitude (one hit country dwarfs the rest) so they use a log
    scale, and countries with no streams stay grey rather than the palette's lightest blue.
    The gap uses a diverging scale centred on zero: blue where peers do better.
    Returns a layer chart: grey shapes for every country, coloured ones where there is a value.
    """
    import altair as alt

    if metric not in METRICS:
        raise ValueError(f"metric must be one of {', '.join(METRICS)}")
    label = METRICS[metric]
    fields = ["country", "territory", *METRICS]
    if metric == "gap":
        scale = alt.Scale(type="symlog", scheme="redyellowblue", domainMid=0)
        has_value = "isValid(datum.gap) && datum.gap != 0"
    else:
        scale = alt.Scale(type="log", scheme="blues")
        has_value = f"isValid(datum.{metric}) && datum.{metric} > 0"
    colour = alt.Color(f"{metric}:Q", title=label, scale=scale,
                       legend=alt.Legend(orient="bottom", gradientLength=320, format=".2~s",
                                         titleLimit=400))
    outline = {"stroke": "white", "strokeWidth": 0.5}
    # Every country in grey first, then the countries with a value on top: one inlined copy of
    # the shapes serves both layers. (A lookup drops unmatched shapes, so a single layer would
    # leave countries without streams out of the map instead of grey.)
    no_data = alt.Chart().mark_geoshape(fill=NO_DATA_COLOUR, **outline).encode(
        tooltip=[alt.Tooltip("properties.name:N", title="Country")]
    )
    with_data = (
        alt.Chart()
        .mark_geoshape(**outline)
        .transform_lookup(lookup="id", from_=alt.LookupData(data.frame, "id", fields))
        .transform_filter(has_value)
        .encode(
            color=colour,
            tooltip=[
                alt.Tooltip("country:N", title="Country"),
                alt.Tooltip("actual_streams:Q", title="Actual streams", format=",.0f"),
                alt.Tooltip("modeled_streams:Q", title="Modeled streams", format=",.0f"),
                alt.Tooltip("gap:Q", title="Gap", format="+,.0f"),
            ],
        )
    )
    return (
        alt.layer(no_data, with_data, data=geo.countries_layer())
        .transform_filter("datum.id != '010'")  # Antarctica: large, never a market
        .project("equalEarth")
        .properties(height=height)
    )


def store_chart(breakdown: pd.DataFrame, territory: str) -> alt.Chart:
    """Horizontal grouped bars: actual beside modeled streams for each store."""
    import altair as alt

    return (
        alt.Chart(breakdown, title=f"Streams per store in {territory}")
        .mark_bar()
        .encode(
            y=alt.Y("store:N", title=None),
            yOffset=alt.YOffset("measure:N"),
            x=alt.X("streams:Q", title="Streams", axis=alt.Axis(format="~s")),
            color=alt.Color("measure:N", title=None,
                            scale=alt.Scale(domain=["Actual", "Modeled"], range=["#4e79a7", "#f28e2b"]),
                            legend=alt.Legend(orient="top")),
            tooltip=["store:N", "measure:N", alt.Tooltip("streams:Q", format=",.0f")],
        )
    )  # no fixed height: with yOffset, the height follows the number of bars
