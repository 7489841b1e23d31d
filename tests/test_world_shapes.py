"""The bundled world shapes as the map draws them: every country once, inlined, no network."""

from __future__ import annotations

import re

import pandas as pd

from core.geo import map_countries
from dashboard.world_shapes import countries_layer, load_world_shapes
from tests.test_geo import _bundled_shape_ids


def test_shapes_have_unique_ids_and_idless_shapes_use_their_name() -> None:
    geometries = load_world_shapes()["objects"]["countries"]["geometries"]
    ids = [g["id"] for g in geometries]
    assert len(ids) == len(set(ids)) == 177
    assert all(isinstance(i, str) and i for i in ids)
    assert {"Kosovo", "N. Cyprus", "Somaliland"} <= set(ids)
    assert set(ids) == _bundled_shape_ids()


def test_load_world_shapes_returns_an_independent_copy() -> None:
    first = load_world_shapes()
    first["objects"]["countries"]["geometries"].clear()
    assert len(load_world_shapes()["objects"]["countries"]["geometries"]) == 177


def _strings(node: object) -> list[str]:
    """Every string (keys and values) in a JSON-like structure."""
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in [str(k), *_strings(v)]]
    if isinstance(node, list):
        return [s for item in node for s in _strings(item)]
    return [node] if isinstance(node, str) else []


def test_chart_spec_has_no_network_url() -> None:
    import altair as alt

    mapped, _ = map_countries(["United States", "Germany", "Kosovo"])
    values = pd.DataFrame({"id": list(mapped.values()), "streams": [10, 20, 30]})
    chart = (
        alt.Chart(countries_layer())
        .mark_geoshape(stroke="white")
        .encode(color=alt.Color("streams:Q"))
        .transform_lookup(lookup="id", from_=alt.LookupData(values, "id", ["streams"]))
        .project("equalEarth")
    )
    spec = chart.to_dict()  # also validates against the Vega-Lite schema
    # "$schema" is an identifier for the spec's version, never fetched when rendering.
    spec.pop("$schema", None)
    assert "url" not in _strings(spec)
    urls = [s for s in _strings(spec) if re.search(r"https?://", s)]
    assert urls == []
    assert spec["data"]["format"] == {"feature": "countries", "type": "topojson"}
    (inlined,) = [v for k, v in spec["datasets"].items() if k == spec["data"]["name"]]
    assert inlined["type"] == "Topology"
