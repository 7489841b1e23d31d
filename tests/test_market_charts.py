"""The market page's charts: the world map colours the chosen metric from inlined shapes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.insights import markets_view, opportunity_table
from core.model import Model, ModelStore
from dashboard.market_charts import NO_DATA_COLOUR, store_chart, world_map_chart
from tests.dashboard_fixtures import NO_CHARTS, tiny_env


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Model:
    env = tiny_env(tmp_path_factory.mktemp("charts"))
    return ModelStore(Path(env["MODEL_DIR"])).load()


@pytest.mark.parametrize("metric", list(markets_view.METRICS))
def test_world_map_chart_colours_the_chosen_metric_from_inlined_shapes(model: Model, metric: str) -> None:
    data = markets_view.map_data(opportunity_table(model, "Lady Gaga"))
    spec = world_map_chart(data, metric).to_dict()
    text = json.dumps(spec)
    assert '"url"' not in text  # shapes are inlined: no fetch, works offline
    no_data, with_data = spec["layer"]
    assert no_data["mark"]["fill"] == NO_DATA_COLOUR  # every country drawn, grey
    assert with_data["encoding"]["color"]["field"] == metric
    assert with_data["encoding"]["color"]["title"] == markets_view.METRICS[metric]
    scale = with_data["encoding"]["color"]["scale"]
    assert (scale.get("domainMid") == 0) == (metric == "gap")  # only the gap diverges
    joined = with_data["transform"][0]["from"]["data"]["name"]  # values joined by country id
    assert len(spec["datasets"][joined]) == len(data.frame) > 0
    with pytest.raises(ValueError, match="metric"):
        world_map_chart(data, "listeners")


def test_world_map_tooltip_shows_only_the_offered_metrics(model: Model) -> None:
    data = markets_view.map_data(opportunity_table(model, NO_CHARTS))
    spec = world_map_chart(data, "modeled_streams",
                                        ["actual_streams", "modeled_streams"]).to_dict()
    fields = [t["field"] for t in spec["layer"][1]["encoding"]["tooltip"]]
    assert fields == ["country", "actual_streams", "modeled_streams"]


def test_store_chart_colours_only_the_measures_present(model: Model) -> None:
    table = opportunity_table(model, NO_CHARTS)
    territory = table["territory"].iloc[0]
    spec = store_chart(markets_view.store_breakdown(table, territory), territory).to_dict()
    assert spec["encoding"]["color"]["scale"]["domain"] == ["Actual", "Modeled"]  # no own total
    assert spec["title"] == f"Streams per store in {territory}"


def test_market_answers_load_no_chart_or_ui_library() -> None:
    """Core returns data and the dashboard draws it: the CLI must not pay for altair."""
    code = ("import sys, core.insights, core.insights.markets_view, core.geo, core.upload.tables, "
            "core.cli.insights; print(sorted(m for m in ('altair', 'streamlit', 'pyvis', "
            "'dashboard') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parent.parent)
    assert out.stdout.strip() == "[]"


def test_gap_legend_is_symmetric_around_zero_with_signed_labelled_ends(model: Model) -> None:
    data = markets_view.map_data(opportunity_table(model, "Metallica"))
    extent = markets_view.gap_extent(data)
    assert extent > 0
    colour = world_map_chart(data, "gap").to_dict()["layer"][1]["encoding"]["color"]
    assert colour["scale"]["domain"] == [-extent, extent] and colour["scale"]["domainMid"] == 0
    legend = colour["legend"]
    assert legend["values"] == [-extent, 0.0, extent]  # both ends and 0 are labelled
    low, high = (markets_view.compact_number(v, signed=True) for v in (-extent, extent))
    assert low.startswith("−") and high.startswith("+") and low[1:] == high[1:]
    assert f"'{low}'" in legend["labelExpr"] and f"'{high}'" in legend["labelExpr"]
    assert legend["labelLimit"] >= 100  # the minus sign is not clipped


def test_store_axis_labels_whole_numbers_without_a_0m_tick(model: Model) -> None:
    table = opportunity_table(model, "Metallica")
    territory = table["territory"].iloc[0]
    axis = store_chart(markets_view.store_breakdown(table, territory), territory).to_dict()[
        "encoding"]["x"]["axis"]
    assert axis["tickMinStep"] == 1 and "datum.value == 0 ? '0'" in axis["labelExpr"]
