"""People type names in every case, with or without accents, and with typos."""

from __future__ import annotations

import pytest

from core.errors import UnknownArtistError
from core.names import NameIndex, normalize_name


def test_normalize():
    assert normalize_name("  Beyoncé \t Knowles ") == "beyonce knowles"
    assert normalize_name("MOTÖRHEAD") == "motorhead"
    assert normalize_name("Sigur Rós") == normalize_name("sigur ros")


def test_duplicate_spellings_resolve_to_most_listened():
    index = NameIndex(["Michel Teló", "MICHEL TELÓ", "Other"], [3, 10, 1])
    assert index.find("michel telo") == 1
    assert index.find("Michel Teló") == 0  # an exact spelling is honoured


def test_search_prefix_before_substring_then_fuzzy():
    index = NameIndex(["The Beatles", "Beach House", "Beat Happening", "Bea"], [100, 50, 10, 1])
    assert [index.names[r] for r in index.search("bea")][:3] == ["Beach House", "Beat Happening", "Bea"]
    assert index.names[index.search("beatles")[0]] == "The Beatles"
    assert index.names[index.search("beetles")[0]] == "The Beatles"
    assert index.search("   ") == []


@pytest.mark.parametrize("typed", ["britney spears", "  BRITNEY SPEARS  ", "Britney  Spears"])
def test_demo_lookup_ignores_case_and_spaces(demo_model, typed):
    assert demo_model.artists["artistname"][demo_model.resolve(typed)] == "Britney Spears"


def test_demo_accents_optional(demo_model):
    assert demo_model.artists["artistname"][demo_model.resolve("beyonce")] == "Beyoncé"


def test_demo_typo_suggests(demo_model):
    with pytest.raises(UnknownArtistError) as err:
        demo_model.resolve("Radiohed")
    assert err.value.suggestions[0] == "Radiohead"
    assert "did you mean: 'Radiohead'" in str(err.value)
