"""Emerging peers and the evidence behind a similarity: known answers on a tiny warehouse and
a hand-made model, properties on the demo and a generated model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.errors import InsightsError
from core.insights.evidence import (
    MIN_SHARED_LISTENERS,
    pair_evidence,
    similar_with_evidence,
)
from core.insights.scouting import emerging_answers, emerging_pairs, emerging_peers
from core.model import Model
from core.training import TrainingParams, train
from core.upload.scouting_table import EMERGING_COLUMNS, emerging_table
from testkit.generated import generated_model
from tests.conftest import listens_frame


def _listens(audiences: dict[str, list[int]]) -> pd.DataFrame:
    rows = [(name, num, f"user{u}", u, 5)
            for num, (name, users) in enumerate(audiences.items()) for u in users]
    return listens_frame(rows)


#: Big has 20 listeners; the others' audiences overlap it by design
AUDIENCES = {
    "Big": list(range(20)),
    "Inner": [0, 1, 2, 3],                        # all 4 inside Big: concentration 1
    "Half": [4, 5, 6, 20, 21, 22],                # 3 of 6: 0.5
    "Loner": [23, 24, 25],                        # nobody shared
    "Mid": [*range(10), *range(26, 46)],          # 10 of 30: too big for a 25 ceiling
    "Single": [7, 46, 47],                        # 1 shared: below the evidence minimum
}


@pytest.fixture
def tiny_model(make_warehouse) -> Model:
    return train(make_warehouse(_listens(AUDIENCES)),
                 TrainingParams(num_features=2, num_clusters=2, top_k=5))


def test_known_emerging_peers(tiny_model):
    frame = emerging_peers(tiny_model, "Big", max_listeners=25)
    assert frame["name"].tolist() == ["Inner", "Half"]
    assert frame["concentration"].tolist() == pytest.approx([1.0, 0.5])
    assert frame["shared_listeners"].tolist() == [4, 3]
    assert frame["listeners"].tolist() == [4, 6]
    wider = emerging_peers(tiny_model, "big", max_listeners=50, min_shared=1)
    # Mid and Single tie at 1/3; more shared listeners first
    assert wider["name"].tolist() == ["Inner", "Half", "Mid", "Single"]
    assert wider["concentration"].tolist() == pytest.approx([1.0, 0.5, 1 / 3, 1 / 3])
    assert wider["rank"].tolist() == [1, 2, 3, 4]


def test_report_shape_and_unknown_names(tiny_model):
    report = emerging_answers(tiny_model, ["Big", "Nobody"], max_listeners=25, top_n=1)
    assert report.answers == {"Big": [{
        "name": "Inner", "listeners": 4, "similarity": pytest.approx(
            report.answers["Big"][0]["similarity"]), "shared_listeners": 4,
        "concentration": 1.0, "similarity_from": report.answers["Big"][0]["similarity_from"]}]}
    assert [e.name for e in report.unknown] == ["Nobody"]
    with pytest.raises(InsightsError):
        emerging_answers(tiny_model, ["Big"], max_listeners=0)


@pytest.fixture
def one_way_model() -> Model:
    """A (big) lists only B; C (small) lists A: C's peer entry can come only from C's list."""
    artists = pd.DataFrame({
        "artistnum": [1, 2, 3, 4], "artistname": ["A", "B", "C", "D"],
        "listeners": [100, 10, 4, 8], "streams": [1.0] * 4, "genre": [None] * 4,
        "countrylist": [None] * 4, "cluster": [0] * 4})
    idx = np.array([[1, -1], [0, 2], [0, 1], [2, -1]], np.int32)
    sim = np.array([[0.8, 0], [0.7, 0.3], [0.6, 0.2], [0.9, 0]], np.float32)
    shared = np.array([[5, 0], [5, 2], [4, 2], [2, 0]], np.int32)
    empty = np.full((4, 1), -1, np.int32)
    return Model(artists=artists, features=np.eye(4, dtype=np.float32), neighbour_idx=idx,
                 neighbour_sim=sim, neighbour_shared=shared, geo_peer_idx=empty,
                 geo_peer_sim=np.zeros((4, 1), np.float32),
                 markets=pd.DataFrame({"row": pd.Series(dtype="int64"),
                                       "countryname": pd.Series(dtype=str),
                                       "storename": pd.Series(dtype=str),
                                       "streams": pd.Series(dtype="float64")}),
                 excluded=pd.DataFrame({"artistname": [], "listeners": []}),
                 explained_variance_ratio=np.ones(1))


def test_both_directions_are_read(one_way_model):
    frame = emerging_peers(one_way_model, "A", max_listeners=50)
    assert frame["name"].tolist() == ["C", "B"]  # 4/4 before 5/10
    assert frame["similarity_from"].tolist() == ["emerging", "artist"]
    assert frame["similarity"].tolist() == pytest.approx([0.6, 0.8])
    # B lists C and C lists B with the same count: one entry, B's own score
    (entry,) = emerging_peers(one_way_model, "B", max_listeners=5).itertuples(index=False)
    assert (entry.name, entry.similarity_from, entry.concentration) == ("C", "artist", 0.5)


def test_pair_evidence_in_both_directions(one_way_model):
    ev = pair_evidence(one_way_model, "A", "C")
    assert ev["shared_listeners"] == 4 and ev["direction"] == "b->a"
    assert ev["share_of_artist_listeners"] == pytest.approx(0.04)
    assert ev["share_of_other_listeners"] == pytest.approx(1.0)
    assert ev["similarity"] == pytest.approx(0.6)
    assert ev["evidence"] == "ok"
    assert pair_evidence(one_way_model, "D", "C")["evidence"] == "thin"  # 2 < 3
    none = pair_evidence(one_way_model, "A", "D")
    assert none["shared_listeners"] is None and none["direction"] is None


def test_similar_with_evidence(one_way_model):
    frame = similar_with_evidence(one_way_model, "B")
    assert frame["name"].tolist() == ["A", "C"]
    assert frame["listeners"].tolist() == [100, 4]
    assert frame["artist_listeners"].tolist() == [10, 10]
    assert frame["share_of_artist_listeners"].tolist() == pytest.approx([0.5, 0.2])
    assert frame["share_of_similar_listeners"].tolist() == pytest.approx([0.05, 0.5])
    assert frame["evidence"].tolist() == ["ok", "thin"]
    assert MIN_SHARED_LISTENERS == 3


def test_demo_properties(demo_model):
    pairs = emerging_pairs(demo_model, max_listeners=30, min_shared=2, top_n=None)
    listeners = demo_model.artists["listeners"].to_numpy()
    assert len(pairs) > 1000
    assert pairs["concentration"].between(0, 1).all()
    assert (pairs["listeners"] <= 30).all()
    assert (listeners[pairs["emerging_row"]] == pairs["listeners"]).all()
    assert (pairs["shared_listeners"] >= 2).all()
    assert not (pairs["row"] == pairs["emerging_row"]).any()
    assert not pairs.duplicated(["row", "emerging_row"]).any()
    for _, group in pairs.groupby("row"):
        assert group["rank"].tolist() == list(range(1, len(group) + 1))
        keys = list(zip(-group["concentration"], -group["shared_listeners"], -group["similarity"],
                        strict=True))
        assert keys == sorted(keys)


def test_upload_table_is_the_single_artist_answer(demo_model):
    table = emerging_table(demo_model, top_n=5)
    assert list(table.columns) == list(EMERGING_COLUMNS)
    for name in ["Radiohead", "Lady Gaga", "Sigur Rós", "Muse"]:
        one = emerging_peers(demo_model, name, top_n=5)
        rows = table[table["artist"] == demo_model.artists["artistname"].iat[
            demo_model.resolve(name)]]
        assert rows["emerging_artist"].tolist() == one["name"].tolist()
        assert rows["concentration"].tolist() == pytest.approx(one["concentration"].tolist())


def test_generated_model_bulk_matches_single():
    model = generated_model(3000, top_k=20)
    bulk = emerging_pairs(model, max_listeners=500, top_n=10)
    for row in (0, 7, 1234, 2999):
        single = emerging_pairs(model, [row], max_listeners=500, top_n=10)
        part = bulk[bulk["row"] == row].reset_index(drop=True)
        pd.testing.assert_frame_equal(part, single)
