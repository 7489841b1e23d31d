"""The emerging, targeting and roster answers through the installed console script."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_cli import run


@pytest.fixture
def env(demo_model_dir: Path) -> dict[str, str]:
    return {"MODEL_DIR": str(demo_model_dir)}


def insights(*args: str, env: dict[str, str]):
    return run("artist_listener_insights", *args, env=env)


def test_emerging_prints_smaller_artists(env):
    out = insights("emerging", "Radiohead", "--max-listeners", "20", "--top-n", "5", env=env)
    assert out.returncode == 0, out.stderr
    (entries,) = json.loads(out.stdout).values()
    assert len(entries) == 5
    for e in entries:
        assert set(e) == {"name", "listeners", "similarity", "shared_listeners", "concentration",
                          "similarity_from"}
        assert e["listeners"] <= 20 and 0 < e["concentration"] <= 1 and e["shared_listeners"] >= 2
    assert [e["concentration"] for e in entries] == sorted(
        (e["concentration"] for e in entries), reverse=True)


def test_compact_is_one_line_and_the_same_answer(env):
    pretty = insights("emerging", "Muse", env=env)
    compact = insights("emerging", "Muse", "--compact", env=env)
    assert compact.stdout.count("\n") == 1
    assert json.loads(compact.stdout) == json.loads(pretty.stdout)


def test_targeting_ranks_by_similarity_times_streams(env):
    out = insights("targeting", "--name", "Lady Gaga", "--country", "usa", "--top-n", "4",
                   "--compact", env=env)
    assert out.returncode == 0, out.stderr
    entries = json.loads(out.stdout)["Lady Gaga"]
    assert len(entries) == 4
    assert {"name", "similarity", "streams_in_country"} <= set(entries[0])
    scores = [e["similarity"] * e["streams_in_country"] for e in entries]
    assert scores == sorted(scores, reverse=True)


def test_unknown_country_suggests_and_fails(env):
    out = insights("targeting", "Muse", "--country", "Germny", env=env)
    assert out.returncode == 2
    assert "unknown country 'Germny'" in out.stderr and "'Germany'" in out.stderr
    assert out.stdout == "" and "Traceback" not in out.stderr
    missing = insights("targeting", "Muse", env=env)
    assert missing.returncode == 2 and "--country" in missing.stderr


def test_unknown_artist_keeps_the_others(env):
    out = insights("targeting", "Radiohed,Muse", "--country", "United Kingdom", env=env)
    assert out.returncode == 3
    assert list(json.loads(out.stdout)) == ["Muse"]
    assert "unknown artist 'Radiohed'" in out.stderr and "Radiohead" in out.stderr


def test_roster_from_a_csv_with_quotes_and_unicode(env, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text('label,artist\nXL,Radiohead\nColumbia,"Tyler, The Creator"\n'
                      'Parlophone,"Sigur Rós"\nNone,"The ""Unknown"" Band"\n', encoding="utf-8")
    out = insights("roster", "--names-file", str(roster), "--name", "Beyoncé", "--top-n", "2",
                   env=env)
    assert out.returncode == 3, out.stderr
    answer = json.loads(out.stdout)
    assert list(answer["artists"]) == ["Beyoncé", "Radiohead", "Tyler, The Creator", "Sigur Rós"]
    assert all(len(v) <= 2 for v in answer["artists"].values())
    territories = answer["territories"]
    assert territories and {"territory", "gap", "artists"} <= set(territories[0])
    gaps = [t["gap"] for t in territories]
    assert gaps == sorted(gaps, reverse=True)
    assert answer["unknown"][0]["name"] == 'The "Unknown" Band'
    assert "unknown artist 'The \"Unknown\" Band'" in out.stderr


def test_roster_from_one_name_per_line(env, tmp_path):
    roster = tmp_path / "roster.txt"
    roster.write_text("Coldplay\nMuse\n\nmuse\n", encoding="utf-8")
    out = insights("roster", "--names-file", str(roster), "--compact", env=env)
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    assert list(answer["artists"]) == ["Coldplay", "Muse", "muse"]
    assert answer["unknown"] == []


def test_help_names_the_new_kinds():
    out = run("artist_listener_insights", "--help", env={})
    for word in ("emerging", "targeting", "roster", "--max-listeners", "--country"):
        assert word in out.stdout
