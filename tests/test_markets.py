"""The one market computation: any block size and any set of rows give the same numbers, and
the ranking breaks ties as documented."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.insights.market_ranking import KINDS, rank_territories
from core.insights.markets import MarketMatrices
from testkit.generated import generated_model


@pytest.fixture(scope="module")
def matrices() -> MarketMatrices:
    return MarketMatrices(generated_model(300, seed=3))


def _named(matrices: MarketMatrices, block_frames: list[pd.DataFrame]) -> pd.DataFrame:
    frame = pd.concat(block_frames, ignore_index=True)
    frame["territory"] = matrices.charts.territories[frame.pop("territory_code").to_numpy()]
    return frame.sort_values(["row", "territory"], ignore_index=True)


def test_blocks_of_any_size_give_the_same_numbers(matrices: MarketMatrices) -> None:
    whole = _named(matrices, [matrices.block(0, len(matrices.rows)).territories])
    blocks = _named(matrices, [b.territories for b in matrices.blocks(size=7)])
    pd.testing.assert_frame_equal(whole, blocks)


def test_a_few_artists_are_a_slice_of_all_artists(matrices: MarketMatrices) -> None:
    model = generated_model(300, seed=3)
    rows = np.array([0, 5, 42, 299])
    few = MarketMatrices(model, rows)
    every = _named(matrices, [b.territories for b in matrices.blocks()])
    part = _named(few, [b.territories for b in few.blocks()])
    expected = every[every["row"].isin(rows)].reset_index(drop=True)
    pd.testing.assert_frame_equal(part, expected, rtol=1e-12)


def test_ranking_breaks_ties_by_territory_name() -> None:
    # one artist, territories coded in name order; b and c tie on actual and modeled streams
    ranking = rank_territories(
        artist=np.zeros(4), territory=np.array([0, 1, 2, 3]),
        actual=np.array([5.0, 9.0, 9.0, 0.0]), modeled=np.array([1.0, 2.0, 2.0, 7.0]),
        gap=np.array([3.0, -1.0, 3.0, 3.0]), backed=np.array([True, True, False, True]), top_n=2)
    by_kind = {KINDS[k]: list(part["position"]) for k, part in ranking.groupby("kind")}
    assert by_kind == {"top_market": [1, 2], "recommendation": [3, 0],
                       "opportunity": [0, 3], "thin_evidence": [2]}
    assert list(ranking["rank"]) == [1, 2, 1, 2, 1, 2, 1]
