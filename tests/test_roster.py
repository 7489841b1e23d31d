"""Roster answers: per artist the opportunities of core.insights.opportunities, summed by
territory for the roster; names parsed from pasted text or CSV files."""

from __future__ import annotations

import pytest

from core.errors import InsightsError
from core.insights.opportunities import opportunity_table, ranked_opportunities
from core.insights.roster import (
    OPPORTUNITY_COLUMNS,
    SAMPLE_ROSTER,
    TERRITORY_COLUMNS,
    TERRITORY_TABLE_COLUMNS,
    decode_names,
    parse_names,
    roster_answers,
    roster_names,
    roster_view,
)
from tests import test_insights

hand_model = test_insights.hand_model  # the hand-made model, arithmetic checked by hand


def test_one_artist_roster_is_its_opportunities(hand_model):
    report = roster_answers(hand_model, ["Target", "Nobody"], min_peers=2)
    (france,) = report.artists["Target"]
    share_fr = 0.8 * 300 / 1300 + 0.2 * 100 / 350  # by hand, as in test_insights
    assert france["territory"] == "France"
    assert france["gap"] == round(160 * share_fr)
    assert france["peers_with_data"] == 2
    assert report.territories["territory"].tolist() == ["France"]
    assert report.territories["gap"].iat[0] == pytest.approx(160 * share_fr)
    assert report.territories["country_code"].iat[0] == "250"
    assert [e.name for e in report.unknown] == ["Nobody"]
    shape = report.as_json()
    assert set(shape) == {"artists", "territories", "unknown"}
    assert set(shape["territories"][0]) == set(TERRITORY_COLUMNS)
    assert shape["unknown"][0]["name"] == "Nobody"


def test_territories_sum_every_artists_backed_gap(hand_model):
    names = ["Target", "Peer One", "Peer Two", "No Data", "peer one"]  # one artist asked twice
    report = roster_answers(hand_model, names, top_n=1, min_peers=1)
    assert all(len(v) <= 1 for v in report.artists.values())
    expected: dict[str, float] = {}
    contributors: dict[str, set[str]] = {}
    for name in ["Target", "Peer One", "Peer Two", "No Data"]:
        ok, _ = ranked_opportunities(opportunity_table(hand_model, name, 1), 100)
        for territory, gap in zip(ok["territory"], ok["gap"], strict=True):
            expected[territory] = expected.get(territory, 0.0) + gap
            contributors.setdefault(territory, set()).add(name)
    table = report.territories.set_index("territory")
    assert dict(table["gap"]) == pytest.approx(expected)
    assert {t: set(n) for t, n in table["artist_names"].items()} == contributors
    assert table["gap"].is_monotonic_decreasing
    assert (table["artists"] == table["artist_names"].map(len)).all()


def test_nobody_known_is_an_empty_answer(hand_model):
    report = roster_answers(hand_model, ["Nobody"])
    assert report.as_json()["artists"] == {} and report.as_json()["territories"] == []
    with pytest.raises(InsightsError):
        roster_answers(hand_model, ["Target"], top_n=0)


@pytest.mark.parametrize(("text", "names"), [
    ("Radiohead\nTyler, The Creator\n\n  Beyoncé \nRadiohead\n",
     ["Radiohead", "Tyler, The Creator", "Beyoncé"]),
    ("artist,label\nRadiohead,XL\n\"Tyler, The Creator\",Columbia\n",
     ["Radiohead", "Tyler, The Creator"]),
    ("\ufeffLabel;x\n", ["Label;x"]),
    ("Label,Artist Name\nXL,\"Sigur Rós\"\nXL,\"The \"\"Quoted\"\" Band\"\n",
     ["Sigur Rós", 'The "Quoted" Band']),
    ("Name\nMuse\n", ["Muse"]),
    ("", []),
])
def test_parse_names(text, names):
    assert parse_names(text) == names


def test_decode_names_reads_utf8_and_says_when_a_file_is_not() -> None:
    assert decode_names("\ufeffSigur Rós\n".encode()) == "Sigur Rós\n"  # a BOM is not a name
    with pytest.raises(InsightsError, match=r"roster\.csv is not UTF-8 text \(byte 3 "):
        decode_names(b"Caf\xe9\n", "roster.csv")  # Latin-1


def test_roster_names_joins_pasted_and_uploaded_names_once() -> None:
    uploaded = b'artist,label\n"Tyler, The Creator",Columbia\nMuse,Warner\n'
    assert roster_names("Muse\nBeyoncé\n", uploaded) == ["Muse", "Beyoncé", "Tyler, The Creator"]
    assert roster_names("", None) == []
    assert parse_names(SAMPLE_ROSTER)[1] == "Tyler, The Creator"


def test_roster_view_tables_and_map(hand_model):
    view = roster_view(hand_model, ["target", "Nobody", "No Data"], min_peers=2)
    assert view.answered == ["Target", "No Data"]  # the model's spelling
    assert view.without_opportunities == ["No Data"]
    assert view.unknown[0][0] == "Nobody"
    assert list(view.opportunities.columns) == OPPORTUNITY_COLUMNS
    assert view.opportunities[["artist", "territory"]].values.tolist() == [["Target", "France"]]
    row = view.opportunities.iloc[0]
    assert row["gap"] == row["expected"] - row["actual"] and row["peers"] == 2
    assert list(view.territories.columns) == TERRITORY_TABLE_COLUMNS
    assert view.territories["artist_names"].tolist() == ["Target"]
    assert view.territories["gap"].iat[0] == row["gap"]
    assert view.map.frame[["id", "gap"]].values.tolist() == [["250", pytest.approx(row["gap"], abs=1)]]


def test_roster_view_of_nobody_known_is_empty_not_an_error(hand_model):
    view = roster_view(hand_model, ["Nobody"])
    assert view.opportunities.empty and view.territories.empty and view.map.frame.empty
    assert view.answered == []
