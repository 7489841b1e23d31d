"""The bundled world-atlas shapes as altair data, inlined so the map needs no network.

``core.geo`` resolves country names to the shapes' ids; this module hands the shapes
themselves to the charts.
"""

from __future__ import annotations

import copy
from typing import Any

import altair as alt

from core.geo import TOPO_OBJECT, world_atlas


def load_world_shapes() -> dict[str, Any]:
    """The world-atlas TopoJSON (countries + land) as a dict, ready to inline.

    Each call returns a deep copy so that a caller editing the dict (for example to add
    properties) cannot corrupt the map for every later chart. Shapes that have no ISO code
    carry their ``properties.name`` as ``id``.
    """
    return copy.deepcopy(world_atlas())


def countries_layer() -> alt.InlineData:
    """Altair data for the country shapes, inlined so the chart needs no network.

    Use it as ``alt.Chart(countries_layer()).mark_geoshape()`` and join values with
    ``transform_lookup(lookup="id", from_=alt.LookupData(df, "id", [...]))`` where ``df["id"]``
    comes from ``core.geo.map_countries``. Inlining adds ~110 kB to the spec, the price of
    working offline; the alternative (``alt.topo_feature(url, ...)``) fetches from a CDN.
    """
    return alt.InlineData(
        values=load_world_shapes(),
        format=alt.DataFormat(feature=TOPO_OBJECT, type="topojson"),
    )
