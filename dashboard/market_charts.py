"""The market page's charts: a world choropleth and per-store bars, drawn with altair from the
frames of ``core.insights.markets_view``."""

from __future__ import annotations

import altair as alt
import pandas as pd

from core.insights.markets_view import METRICS, MapData, compact_number, gap_extent
from dashboard.world_shapes import countries_layer

MEASURE_COLOURS = {"Actual": "#4e79a7", "Modeled": "#f28e2b", "Expected": "#59a14f"}
NO_DATA_COLOUR = "#e6e9ed"
#: an axis label for a stream count: "0", "500k", "1.5M"
STREAMS_LABEL = "datum.value == 0 ? '0' : format(datum.value, '.3~s')"


def world_map_chart(data: MapData, metric: str, metrics: list[str] | None = None,
                    height: int = 430) -> alt.LayerChart:
    """Choropleth of ``metric`` over the bundled world shapes; needs no network.

    Stream counts span orders of magnitude (one hit country dwarfs the rest) so they use a log
    scale, and countries with no streams stay grey rather than the palette's lightest blue.
    The gap uses a diverging symlog scale symmetric around zero (from minus to plus the largest
    |gap|, so 0 is the middle of the legend and the biggest gap one of its labelled, signed
    ends): blue where the artist streams less than its peers' shares predict (room to grow),
    red where it already does better. ``metrics`` (default: all) are the values shown in the
    tooltip.
    Returns a layer chart: grey shapes for every country, coloured ones where there is a value.
    """
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {', '.join(METRICS)}")
    shown = [m for m in (metrics or list(METRICS)) if m in METRICS]
    label = METRICS[metric]
    fields = ["country", "territory", *METRICS]
    # labels get room: the ends of a bottom legend are aligned to the gradient's ends, and a
    # short label limit clipped the minus sign of "−13.5M"
    legend = {"orient": "bottom", "gradientLength": 360, "titleLimit": 400, "labelLimit": 200,
              "labelFontSize": 12, "padding": 8}
    if metric == "gap":
        extent = gap_extent(data) or 1.0
        scale = alt.Scale(type="symlog", scheme="redyellowblue", domain=[-extent, extent],
                          domainMid=0)
        low, high = compact_number(-extent, signed=True), compact_number(extent, signed=True)
        legend.update(values=[-extent, 0.0, extent],
                      labelExpr=f"datum.value < 0 ? '{low}' : datum.value > 0 ? '{high}' : '0'")
        has_value = "isValid(datum.gap) && datum.gap != 0"
    else:
        scale = alt.Scale(type="log", scheme="blues")
        legend.update(format=".2~s")
        has_value = f"isValid(datum.{metric}) && datum.{metric} > 0"
    colour = alt.Color(f"{metric}:Q", title=label, scale=scale,
                       legend=alt.Legend(**legend))
    outline = {"stroke": "white", "strokeWidth": 0.5}
    # Every country in grey first, then the countries with a value on top: one inlined copy of
    # the shapes serves both layers. (A lookup drops unmatched shapes, so a single layer would
    # leave countries without streams out of the map instead of grey.)
    no_data = alt.Chart().mark_geoshape(fill=NO_DATA_COLOUR, **outline).encode(
        tooltip=[alt.Tooltip("properties.name:N", title="Country")]
    )
    tooltip = [alt.Tooltip("country:N", title="Country")] + [
        alt.Tooltip(f"{m}:Q", title=METRICS[m], format="+,.0f" if m == "gap" else ",.0f")
        for m in shown
    ]
    with_data = (
        alt.Chart()
        .mark_geoshape(**outline)
        .transform_lookup(lookup="id", from_=alt.LookupData(data.frame, "id", fields))
        .transform_filter(has_value)
        .encode(color=colour, tooltip=tooltip)
    )
    return (
        alt.layer(no_data, with_data, data=countries_layer())
        .transform_filter("datum.id != '010'")  # Antarctica: large, never a market
        .project("equalEarth")
        .properties(height=height)
    )


def store_chart(breakdown: pd.DataFrame, territory: str) -> alt.Chart:
    """Horizontal grouped bars: actual beside modeled (and expected) streams for each store."""
    present = [m for m in MEASURE_COLOURS if m in set(breakdown["measure"])]
    return (
        alt.Chart(breakdown, title=f"Streams per store in {territory}")
        .mark_bar()
        .encode(
            y=alt.Y("store:N", title=None),
            yOffset=alt.YOffset("measure:N", sort=present),
            # "~s" with whole-number ticks: 0, 500k, 1M (never "0M" or "0.5M")
            x=alt.X("streams:Q", title="Streams",
                    axis=alt.Axis(format="~s", tickMinStep=1, tickCount=6,
                                  labelExpr=STREAMS_LABEL)),
            color=alt.Color("measure:N", title=None, sort=present,
                            scale=alt.Scale(domain=present,
                                            range=[MEASURE_COLOURS[m] for m in present]),
                            legend=alt.Legend(orient="top")),
            tooltip=["store:N", "measure:N", alt.Tooltip("streams:Q", format=",.0f")],
        )
    )  # no fixed height: with yOffset, the height follows the number of bars
