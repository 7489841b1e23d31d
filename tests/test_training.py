"""Training on tiny fixtures (input rules, counts) and on the real demo data (quality, determinism)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.errors import InsightsError
from core.training import TrainingParams, train
from core.warehouse.duckdb import DuckDBWarehouse
from tests.conftest import community_listens, listens_frame


def test_communities_are_found(make_warehouse):
    model = train(make_warehouse(community_listens()), TrainingParams(num_features=8, num_clusters=3))
    artists = model.artists
    group = artists["artistname"].str.slice(0, 2).to_numpy()
    for row in range(len(artists)):
        top3 = model.neighbour_idx[row, :3]
        assert set(group[top3]) == {group[row]}, artists["artistname"][row]
    # every community is exactly one cluster
    assert artists.groupby(group)["cluster"].nunique().eq(1).all()
    assert artists["cluster"].nunique() == 3


def test_input_rules_are_counted_in_the_manifest(make_warehouse):
    listens = community_listens()
    extra = listens_frame([
        ("G0 Artist 0", 0, "user0", 0, None),
        ("G0 Artist 0", 0, "user1", 1, -3),
        ("G0 Artist 0", 0, "user1", 1, 0),
        ("Ghost", None, "user1", 1, 5),
        ("G0 Artist 0", 0, "user0", 0, 4),        # duplicate of an existing pair
        ("Lonely", 99, "user0", 0, 50),           # one listener only
    ])
    model = train(make_warehouse(pd.concat([listens, extra])), TrainingParams(num_features=4))
    counts = model.manifest["counts"]
    assert counts["rows_total"] == len(listens) + 6
    assert counts["rows_null_streams"] == 1
    assert counts["rows_nonpositive_streams"] == 2
    assert counts["rows_unknown_ids"] == 1
    assert counts["rows_duplicate"] == 1
    assert counts["artists_excluded_min_listeners"] == 1
    assert counts["artists"] == 12
    assert model.excluded["artistname"].tolist() == ["Lonely"]
    assert set(model.manifest["timings_seconds"]) >= {"read", "factorize", "cluster", "neighbours"}
    assert 0 < model.manifest["explained_variance"] <= 1


def test_duplicate_rows_are_summed_before_weighting(make_warehouse):
    once = community_listens()
    twice = pd.concat([once.assign(total_streams=once.total_streams / 2)] * 2)
    a = train(make_warehouse(once, name="a.duckdb"), TrainingParams(num_features=4))
    b = train(make_warehouse(twice, name="b.duckdb"), TrainingParams(num_features=4))
    np.testing.assert_allclose(a.features, b.features, atol=1e-5)


def test_no_usable_rows_is_a_clear_error(make_warehouse):
    rows = listens_frame([("A", 0, "u0", 0, 0), ("B", 1, "u1", 1, None)])
    with pytest.raises(InsightsError, match=r"no usable listens.*1 NULL streams, 1 zero or negative"):
        train(make_warehouse(rows))


def test_too_few_artists_after_minimum_is_a_clear_error(make_warehouse):
    rows = listens_frame([("A", 0, "u0", 0, 3), ("B", 1, "u1", 1, 4)])
    with pytest.raises(InsightsError, match="MIN_LISTENERS"):
        train(make_warehouse(rows), TrainingParams(min_listeners=2))


def test_progress_is_monotone_and_finishes(make_warehouse):
    seen: list[float] = []
    train(make_warehouse(community_listens()), TrainingParams(num_features=4),
          progress=lambda _msg, f: seen.append(f))
    assert seen == sorted(seen)
    assert seen[-1] == pytest.approx(1.0)
    assert len(seen) >= 7


def test_genre_and_countries_join_by_name_loosely(make_warehouse):
    genres = pd.DataFrame({"artistname": ["g0 artist 0 ", "G1 Artist 1"],
                           "countrylist": ["Sweden, Norway,Sweden", None],
                           "genreid": ["pop", "  "]})
    model = train(make_warehouse(community_listens(), genres=genres), TrainingParams(num_features=4))
    by_name = model.artists.set_index("artistname")
    assert by_name.loc["G0 Artist 0", "genre"] == "pop"
    assert by_name.loc["G0 Artist 0", "countrylist"] == "Norway,Sweden"
    assert by_name.loc["G1 Artist 1", "genre"] is None


# -- the real demo data ---------------------------------------------------------------------------

def _top(model, name, n=10):
    row = model.resolve(name)
    return set(model.artists["artistname"].to_numpy()[model.neighbour_idx[row, :n]])


@pytest.mark.parametrize(("artist", "peers", "at_least"), [
    ("Britney Spears", {"Christina Aguilera", "Rihanna", "Katy Perry", "Lady Gaga", "Beyoncé",
                        "Kylie Minogue", "Madonna"}, 4),
    ("Metallica", {"Megadeth", "Iron Maiden", "Slayer", "Pantera", "Anthrax", "Motörhead",
                   "AC/DC"}, 4),
    ("The Beatles", {"John Lennon", "Paul McCartney", "The Rolling Stones", "Led Zeppelin",
                     "Pink Floyd", "David Bowie", "The Who", "The Kinks", "Bob Dylan"}, 4),
    ("Coldplay", {"Keane", "Snow Patrol", "The Killers", "Muse", "Radiohead", "Travis",
                  "Athlete", "Oasis"}, 4),
])
def test_demo_similar_artists_make_musical_sense(demo_model, artist, peers, at_least):
    found = _top(demo_model, artist) & peers
    assert len(found) >= at_least, found


def test_demo_similarities_are_valid(demo_model):
    sim = demo_model.neighbour_sim
    assert sim.min() >= 0 and sim.max() <= 1
    assert np.all(np.diff(sim, axis=1) <= 1e-6)
    rows = np.arange(len(sim))[:, None]
    assert not np.any(demo_model.neighbour_idx == rows)
    assert demo_model.neighbour_idx.shape[1] >= 50
    shared = demo_model.neighbour_shared
    listeners = demo_model.artists["listeners"].to_numpy()
    assert np.all(shared <= listeners[:, None])


def test_demo_training_is_reproducible(demo_warehouse_path, demo_model):
    again = train(DuckDBWarehouse(demo_warehouse_path), TrainingParams())
    assert again.manifest["data_fingerprint"] == demo_model.manifest["data_fingerprint"]
    np.testing.assert_allclose(again.features, demo_model.features, atol=1e-5)
    top10 = np.mean(again.neighbour_idx[:, :10] == demo_model.neighbour_idx[:, :10])
    assert top10 > 0.999
    assert (again.artists["cluster"] == demo_model.artists["cluster"]).all()


def test_demo_counts_match_the_source_table(demo_model):
    counts = demo_model.manifest["counts"]
    assert counts["rows_total"] == 92_834
    assert counts["artists"] + counts["artists_excluded_min_listeners"] == counts["artists_total"]
    assert counts["artists_with_market_data"] > 300
