"""The bulk result tables give, artist by artist, the answers of ``core.insights``.

Both read ``core.insights.markets`` and ``core.insights.market_ranking``, but along different
paths: the tables build the matrices of every artist once and read them block by block, one
artist's answer builds them for that artist and its peers only. Both are run here and compared:
on the demo model (one store, real data) for a sample of artists, and on generated models
(several stores per country, padded peer lists, hand-made ties) for every artist.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from core.insights import similar_artists
from core.insights.geographic import market_table, territory_summary
from core.insights.opportunities import opportunity_table, ranked_opportunities
from core.model import Model
from core.upload.tables import (
    GEOGRAPHIC_COLUMNS,
    OPPORTUNITY,
    RECOMMENDATION,
    SIMILARITY_COLUMNS,
    TOP_MARKET,
    geographic_table,
    similarity_table,
)
from testkit.generated import generated_model


def expected_rows(model: Model, row: int, top_n: int) -> list[tuple]:
    """What the geographic table must hold for one artist, from core.insights alone."""
    table = market_table(model, row)
    summary = territory_summary(table, top_n)
    out = []
    for kind, key in ((TOP_MARKET, "top_markets"), (RECOMMENDATION, "recommendations")):
        for rank, entry in enumerate(summary[key], start=1):
            part = table[table["territory"] == entry["territory"]].sort_values("store")
            for rec in part.itertuples(index=False):
                out.append((kind, rank, rec.territory, rec.store, rec.actual_streams,
                            rec.modeled_streams))
    return out


def table_rows(geo: pd.DataFrame, artistnum: int) -> list[tuple]:
    part = geo[(geo["artistnum"] == artistnum) & geo["kind"].isin([TOP_MARKET, RECOMMENDATION])]
    return [(r.kind, r.rank, r.territory, r.store, r.actual_streams, r.modeled_streams)
            for r in part.itertuples(index=False)]


def assert_same(got: list[tuple], want: list[tuple], row: int) -> None:
    assert [g[:4] for g in got] == [w[:4] for w in want], f"artist row {row}"
    for g, w in zip(got, want, strict=True):
        assert g[4] == pytest.approx(w[4], rel=1e-12, abs=1e-9), f"actual, artist row {row}"
        assert g[5] == pytest.approx(w[5], rel=1e-9, abs=1e-6), f"modeled, artist row {row}"


def test_geographic_table_agrees_with_insights_on_demo_sample(demo_model: Model) -> None:
    geo = geographic_table(demo_model, top_n=5)
    assert list(geo.columns) == list(GEOGRAPHIC_COLUMNS)
    rng = np.random.default_rng(7)
    with_markets = np.unique(demo_model.markets["row"].to_numpy())
    sample = np.unique(np.r_[
        rng.choice(len(demo_model.artists), 60, replace=False),
        rng.choice(with_markets, 40, replace=False),
        demo_model.resolve("Lady Gaga"),
    ])
    ids = demo_model.artists["artistnum"].to_numpy()
    for row in sample:
        assert_same(table_rows(geo, ids[row]), expected_rows(demo_model, int(row), 5), int(row))
    assert set(geo["model_version"]) == {demo_model.version}


def test_rounded_streams_match_the_seed_json(demo_model: Model) -> None:
    """The JSON answer rounds per store; the table keeps exact values that round the same."""
    geo = geographic_table(demo_model, top_n=3)
    row = demo_model.resolve("Lady Gaga")
    summary = territory_summary(market_table(demo_model, row), 3)
    part = geo[geo["artistnum"] == demo_model.artists["artistnum"].iat[row]]
    for kind, key in ((TOP_MARKET, "top_markets"), (RECOMMENDATION, "recommendations")):
        for rank, entry in enumerate(summary[key], start=1):
            rows = part[(part["kind"] == kind) & (part["rank"] == rank)]
            assert set(rows["territory"]) == {entry["territory"]}
            for column in ("actual_streams", "modeled_streams"):
                assert int(round(rows[column].sum())) == entry[column]["total"]


@pytest.mark.parametrize(("seed", "artists"), [(1, 80), (2, 40)])
def test_geographic_table_agrees_for_every_generated_artist(seed: int, artists: int) -> None:
    model = generated_model(artists, seed=seed, market_share=0.3)
    assert model.markets["storename"].nunique() > 1  # several stores per country
    assert (model.geo_peer_idx < 0).any()  # padded peer lists
    geo = geographic_table(model, top_n=4)
    ids = model.artists["artistnum"].to_numpy()
    for row in range(len(model.artists)):
        assert_same(table_rows(geo, ids[row]), expected_rows(model, row, 4), row)


def test_ties_break_like_insights() -> None:
    """Equal totals: territory name decides, and an artist without peers gets no recommendation."""
    base = generated_model(3, seed=0, market_peers=2)
    markets = pd.DataFrame({
        "row": [0, 0, 0, 0, 1, 1, 1],
        "countryname": ["Brazil", "Austria", "Chile", "Chile", "Denmark", "Egypt", "Austria"],
        "storename": ["spotify", "spotify", "itunes", "spotify", "spotify", "spotify", "deezer"],
        "streams": [100.0, 100.0, 60.0, 40.0, 50.0, 50.0, 7.0],
    }).sort_values(["row", "countryname", "storename"], ignore_index=True)
    model = dataclasses.replace(
        base, markets=markets,
        geo_peer_idx=np.array([[1, -1], [0, -1], [-1, -1]], dtype=np.int32),
        geo_peer_sim=np.array([[0.5, 0.0], [0.9, 0.0], [0.0, 0.0]], dtype=np.float32),
    )
    geo = geographic_table(model, top_n=2)
    ids = model.artists["artistnum"].to_numpy()
    for row in range(3):
        assert_same(table_rows(geo, ids[row]), expected_rows(model, row, 2), row)
    first = geo[(geo["artistnum"] == ids[0]) & (geo["kind"] == TOP_MARKET)]
    # Austria, Brazil and Chile (60 + 40) all have 100 actual: Austria's modeled 7 puts it
    # first, then the name decides
    assert list(dict.fromkeys(first["territory"])) == ["Austria", "Brazil"]
    recommended = geo[(geo["artistnum"] == ids[0]) & (geo["kind"] == RECOMMENDATION)]
    assert recommended["territory"].tolist() == ["Denmark", "Egypt"]  # 50 = 50: by name
    assert geo[geo["artistnum"] == ids[2]].empty


def test_top_n_limits_ranks(demo_model: Model) -> None:
    geo = geographic_table(demo_model, top_n=2)
    assert geo["rank"].max() == 2
    per_artist = geo.groupby(["artistnum", "kind"])["territory"].nunique()
    assert per_artist.max() == 2
    empty = geographic_table(demo_model, top_n=0)
    assert empty.empty and list(empty.columns) == list(GEOGRAPHIC_COLUMNS)


def test_similarity_table_is_similar_artists_for_everyone(demo_model: Model) -> None:
    table = similarity_table(demo_model, top_n=10)
    assert list(table.columns) == list(SIMILARITY_COLUMNS)
    assert len(table) == 10 * len(demo_model.artists)
    for row in (0, 17, demo_model.resolve("Metallica"), len(demo_model.artists) - 1):
        want = similar_artists(demo_model, row, 10)
        got = table[table["artistnum"] == demo_model.artists["artistnum"].iat[row]]
        assert got["artist"].unique().tolist() == [demo_model.artists["artistname"].iat[row]]
        assert got["similar_artist"].tolist() == want["name"].tolist()
        assert got["similar_artistnum"].tolist() == want["artistnum"].tolist()
        assert got["rank"].tolist() == want["rank"].tolist()
        assert got["similarity"].tolist() == want["similarity"].tolist()
        assert got["shared_listeners"].tolist() == want["shared_listeners"].tolist()


def test_similarity_table_drops_padding() -> None:
    model = generated_model(20, seed=3, top_k=5)
    model.neighbour_idx[4, 3:] = -1  # training pads short neighbour lists with -1
    table = similarity_table(model, top_n=5)
    assert len(table) == 20 * 5 - 2
    assert table[table["artistnum"] == model.artists["artistnum"].iat[4]]["rank"].tolist() == [1, 2, 3]
    assert (table["similar_artistnum"].isin(model.artists["artistnum"])).all()


def opportunity_rows_from_insights(model: Model, row: int, top_n: int) -> list[tuple]:
    """The opportunity rows one artist must get, from core.insights.opportunities alone."""
    table = opportunity_table(model, row)
    ok, _thin = ranked_opportunities(table, top_n)
    out = []
    for rank, territory in enumerate(ok["territory"], start=1):
        part = table[(table["territory"] == territory) & (table["store"] != "total")]
        for rec in part.sort_values("store").itertuples(index=False):
            out.append((rank, territory, rec.store, rec.expected_streams, rec.gap,
                        rec.peers_with_data))
    return out


@pytest.mark.parametrize("source", ["demo", "generated"])
def test_opportunity_rows_agree_with_insights(demo_model: Model, source: str) -> None:
    model = demo_model if source == "demo" else generated_model(60, seed=3, market_share=0.4)
    geo = geographic_table(model, top_n=4)
    ids = model.artists["artistnum"].to_numpy()
    with_markets = np.unique(model.markets["row"].to_numpy())
    sample = with_markets[:: max(1, len(with_markets) // 40)]
    checked = 0
    for row in sample:
        part = geo[(geo["artistnum"] == ids[row]) & (geo["kind"] == OPPORTUNITY)]
        got = [(r.rank, r.territory, r.store, r.expected_streams, r.gap, r.peers_with_data)
               for r in part.itertuples(index=False)]
        want = opportunity_rows_from_insights(model, int(row), 4)
        assert [(*g[:3], g[5]) for g in got] == [(*w[:3], w[5]) for w in want], f"row {row}"
        for g, w in zip(got, want, strict=True):
            assert g[3] == pytest.approx(w[3], rel=1e-9) and g[4] == pytest.approx(w[4], rel=1e-9)
        checked += len(got)
    assert checked > 0
    seed_rows = geo[geo["kind"] != OPPORTUNITY]
    assert np.allclose(seed_rows["gap"], seed_rows["expected_streams"] - seed_rows["actual_streams"])


def test_each_artists_rows_lead_with_its_opportunities(demo_model: Model) -> None:
    """The one where-to-grow answer comes first in the upload too; the seed's lists follow."""
    table = geographic_table(demo_model)
    order = {"opportunity": 0, "top_market": 1, "recommendation": 2}
    for _, rows in table.groupby("artistnum", sort=False):
        codes = rows["kind"].map(order).to_numpy()
        assert (np.diff(codes) >= 0).all()
    with_opportunities = table.groupby("artistnum")["kind"].apply(lambda k: "opportunity" in set(k))
    assert with_opportunities.sum() > 50
