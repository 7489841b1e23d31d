"""Country names -> ids of the bundled world-map shapes.

The dashboard's choropleth is only as good as this mapping: a name that fails to map silently
leaves a country grey, so every name in the demo tables and in two real-world country lists
(Spotify 2017 chart regions, Last.fm 2020 geo charts) is checked here. The lists are copied
into this file so the tests never read anything outside the repository.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from core import geo
from core.geo import (
    country_code,
    country_display_name,
    has_shape,
    map_countries,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEMO_DIR = PROJECT_ROOT / "data" / "demo"
SHAPES_FILE = PROJECT_ROOT / "data" / "geo" / "countries-110m.json"

# The fixture lists below are kept compact rather than one name per line.
# fmt: off
# Regions of the Spotify 2017 daily charts (ISO alpha-2, lower case as in that data set).
SPOTIFY_2017_REGIONS = (
    "ar", "at", "au", "be", "bo", "br", "ca", "ch", "cl", "co", "cr", "cz", "de", "dk", "do", "ec",
    "ee", "es", "fi", "fr", "gb", "gr", "gt", "hk", "hn", "hu", "id", "ie", "is", "it", "jp", "lt",
    "lu", "lv", "mx", "my", "nl", "no", "nz", "pa", "pe", "ph", "pl", "pt", "py", "se", "sg", "sk",
    "sv", "tr", "tw", "us", "uy",
)

# Every distinct `Country` of the Last.fm 2020 geo top-artists table (UN-style names).
LASTFM_2020_COUNTRIES = (
    "Afghanistan", "Albania", "Algeria", "American Samoa", "Andorra", "Angola", "Anguilla",
    "Antarctica", "Antigua and Barbuda", "Argentina", "Armenia", "Aruba", "Australia", "Austria",
    "Azerbaijan", "Bahamas", "Bahrain", "Bangladesh", "Barbados", "Belarus", "Belgium", "Belize",
    "Benin", "Bermuda", "Bhutan", "Bolivia", "Bosnia and Herzegovina", "Botswana", "Brazil",
    "British Indian Ocean Territory", "British Virgin Islands", "Brunei Darussalam", "Bulgaria",
    "Burkina Faso", "Burundi", "Cabo Verde", "Cambodia", "Cameroon", "Canada", "Cayman Islands",
    "Central African Republic", "Chad", "Chile", "China", "Cocos (Keeling) Islands", "Colombia",
    "Comoros", "Congo", "Cook Islands", "Costa Rica", "Cote d'Ivoire", "Croatia", "Cuba",
    "Curaçao", "Cyprus", "Czechia", "Denmark", "Djibouti", "Dominica", "Dominican Republic",
    "Ecuador", "Egypt", "El Salvador", "Equatorial Guinea", "Eritrea", "Estonia", "Ethiopia",
    "Falkland Islands (Malvinas)", "Faroe Islands", "Fiji", "Finland", "France", "French Guiana",
    "French Polynesia", "French Southern Territories", "Gabon", "Gambia", "Georgia", "Germany",
    "Ghana", "Gibraltar", "Greece", "Greenland", "Grenada", "Guadeloupe", "Guam", "Guatemala",
    "Guernsey", "Guinea", "Guinea-Bissau", "Guyana", "Haiti", "Honduras", "Hong Kong", "Hungary",
    "Iceland", "India", "Indonesia", "Iraq", "Ireland", "Isle of Man", "Israel", "Italy",
    "Jamaica", "Japan", "Jersey", "Jordan", "Kazakhstan", "Kenya", "Kiribati", "Kuwait",
    "Kyrgyzstan", "Lao People's Democratic Republic", "Latvia", "Lebanon", "Lesotho", "Liberia",
    "Libya", "Liechtenstein", "Lithuania", "Luxembourg", "Macao", "Madagascar", "Malawi",
    "Malaysia", "Maldives", "Mali", "Malta", "Marshall Islands", "Martinique", "Mauritania",
    "Mauritius", "Mayotte", "Mexico", "Monaco", "Mongolia", "Montenegro", "Montserrat", "Morocco",
    "Mozambique", "Myanmar", "Namibia", "Nauru", "Nepal", "Netherlands", "New Caledonia",
    "New Zealand", "Nicaragua", "Niger", "Nigeria", "Niue", "Norfolk Island",
    "Northern Mariana Islands", "Norway", "Oman", "Pakistan", "Palau", "Panama",
    "Papua New Guinea", "Paraguay", "Peru", "Philippines", "Pitcairn", "Poland", "Portugal",
    "Puerto Rico", "Qatar", "Republic of Moldova", "Romania", "Russian Federation", "Rwanda",
    "Réunion", "Saint Barthélemy", "Saint Helena", "Saint Kitts and Nevis", "Saint Lucia",
    "Saint Martin (French Part)", "Saint Vincent and the Grenadines", "Samoa", "San Marino",
    "Sao Tome and Principe", "Sark", "Saudi Arabia", "Senegal", "Serbia", "Seychelles",
    "Sierra Leone", "Singapore", "Sint Maarten (Dutch part)", "Slovakia", "Slovenia",
    "Solomon Islands", "Somalia", "South Africa", "South Georgia and the South Sandwich Islands",
    "South Sudan", "Spain", "Sri Lanka", "Sudan", "Suriname", "Swaziland", "Sweden", "Switzerland",
    "Syrian Arab Republic", "Taiwan", "Tajikistan", "Thailand",
    "The former Yugoslav Republic of Macedonia", "Timor-Leste", "Togo", "Tokelau", "Tonga",
    "Trinidad and Tobago", "Tunisia", "Turkey", "Turkmenistan", "Turks and Caicos Islands",
    "Tuvalu", "Uganda", "Ukraine", "United Arab Emirates",
    "United Kingdom of Great Britain and Northern Ireland", "United Republic of Tanzania",
    "United States Minor Outlying Islands", "United States Virgin Islands",
    "United States of America", "Uruguay", "Uzbekistan", "Vanuatu",
    "Venezuela (Bolivarian Republic of)", "Viet Nam", "Wallis and Futuna Islands",
    "Western Sahara", "Yemen", "Zambia", "Zimbabwe",
)
# fmt: on

# Demo/stream-table spellings and the world-atlas id they must land on.
EXPECTED = {
    "United States": "840",
    "United Kingdom": "826",
    "Russia": "643",
    "South Korea": "410",
    "Korea, Republic of": "410",
    "Viet Nam": "704",
    "Vietnam": "704",
    "Czechia": "203",
    "Czech Republic": "203",
    "Türkiye": "792",
    "Turkey": "792",
    "Taiwan": "158",
    "Bolivia": "068",
    "Iran": "364",
    "Ivory Coast": "384",
    "Côte d'Ivoire": "384",
    "Cote d'Ivoire": "384",
    "Côte d’Ivoire": "384",
    "Swaziland": "748",
    "The former Yugoslav Republic of Macedonia": "807",
    "Congo": "178",
    "DR Congo": "180",
    "Kosovo": "Kosovo",
    "XK": "Kosovo",
    "Northern Cyprus": "N. Cyprus",
    "Somaliland": "Somaliland",
    "Dem. Rep. Congo": "180",
    "Bosnia & Herzegovina": "070",
    "St. Lucia": "662",
}


def _bundled_shape_ids() -> set[str]:
    """Ids as the chart sees them, read from the file itself rather than through ``core.geo``."""
    topo = json.loads(SHAPES_FILE.read_text(encoding="utf-8"))
    geometries = topo["objects"]["countries"]["geometries"]
    return {g.get("id") or g["properties"]["name"] for g in geometries}


def _demo_country_names() -> set[str]:
    """Distinct country names in the demo Parquet tables (``countryname``, ``countrylist``)."""
    names: set[str] = set()
    for path in sorted(DEMO_DIR.glob("*.parquet")):
        frame = pd.read_parquet(path)
        columns = {c.lower(): c for c in frame.columns}
        if "countryname" in columns:
            names.update(frame[columns["countryname"]].dropna().astype(str))
        if "countrylist" in columns:
            for value in frame[columns["countrylist"]].dropna().astype(str):
                names.update(part for part in value.split(",") if part.strip())
    return names


@pytest.mark.parametrize(("name", "expected"), sorted(EXPECTED.items()))
def test_known_spellings_map_to_atlas_ids(name: str, expected: str) -> None:
    assert country_code(name) == expected


@pytest.mark.parametrize(
    "variant",
    [
        "united states",
        "UNITED STATES",
        "  United States \t",
        "US",
        "us",
        "USA",
        "usa",
        "840",
        " 840 ",
    ],
)
def test_case_space_and_codes(variant: str) -> None:
    assert country_code(variant) == "840"


def test_numeric_codes_are_zero_padded() -> None:
    assert country_code("32") == "032"
    assert country_code("ar") == "032"
    assert country_code("ARG") == "032"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Austria", "040"),
        ("Niger", "562"),
        ("Nigeria", "566"),
        ("Guinea", "324"),
        ("Dominica", "212"),
        ("Dominican Republic", "214"),
        ("Sudan", "729"),
        ("South Sudan", "728"),
    ],
)
def test_no_fuzzy_confusion_between_similar_names(name: str, expected: str) -> None:
    assert country_code(name) == expected


@pytest.mark.parametrize("name", ["", "   ", "Atlantis", "global", "Austrailia", "Englnd", "ZZ"])
def test_unknown_names_return_none(name: str) -> None:
    assert country_code(name) is None


def test_non_strings_return_none() -> None:
    assert country_code(None) is None  # type: ignore[arg-type]
    assert country_code(float("nan")) is None  # type: ignore[arg-type]


def test_spotify_2017_regions_all_resolve() -> None:
    unresolved = [code for code in SPOTIFY_2017_REGIONS if country_code(code) is None]
    assert unresolved == []
    assert len(set(map(country_code, SPOTIFY_2017_REGIONS))) == len(SPOTIFY_2017_REGIONS)


def test_lastfm_2020_countries_all_resolve() -> None:
    unresolved = [name for name in LASTFM_2020_COUNTRIES if country_code(name) is None]
    assert unresolved == []


def test_demo_country_names_all_resolve() -> None:
    names = _demo_country_names()
    if not names:
        pytest.skip("no demo Parquet tables with country columns under data/demo")
    unresolved = sorted(name for name in names if country_code(name) is None)
    assert unresolved == []


@pytest.mark.parametrize(
    "names",
    [SPOTIFY_2017_REGIONS, LASTFM_2020_COUNTRIES, sorted(EXPECTED)],
    ids=["spotify", "lastfm", "spellings"],
)
def test_every_mapped_id_exists_in_bundled_shapes(names: list[str]) -> None:
    mapped, unmapped = map_countries(names)
    shapes = _bundled_shape_ids()
    assert set(mapped.values()) <= shapes
    assert set(mapped) | set(unmapped) == set(names)
    assert not set(mapped) & set(unmapped)


def test_demo_mapped_ids_exist_in_bundled_shapes() -> None:
    names = _demo_country_names()
    if not names:
        pytest.skip("no demo Parquet tables with country columns under data/demo")
    mapped, unmapped = map_countries(sorted(names))
    assert set(mapped.values()) <= _bundled_shape_ids()
    # Whatever is left out is listed, and only because the 110m map has no shape for it.
    assert set(mapped) | set(unmapped) == names
    assert all(country_code(name) is not None for name in unmapped)


def test_countries_without_a_shape_are_reported_not_dropped() -> None:
    mapped, unmapped = map_countries(["Singapore", "Hong Kong", "Germany"])
    assert mapped == {"Germany": "276"}
    assert unmapped == ["Singapore", "Hong Kong"]
    assert country_code("Singapore") == "702"
    assert not has_shape("702")
    mapped, unmapped = map_countries(["Singapore"], require_shape=False)
    assert mapped == {"Singapore": "702"}
    assert unmapped == []


def test_unknown_names_are_listed_once_in_order() -> None:
    names: list[Any] = ["Narnia", "France", "Atlantis", "Narnia", "France", None, float("nan")]
    mapped, unmapped = map_countries(names)
    assert mapped == {"France": "250"}
    assert unmapped == ["Narnia", "Atlantis"]


def test_mapping_keys_are_the_names_as_given() -> None:
    mapped, _ = map_countries([" united kingdom ", "GB"])
    assert mapped == {" united kingdom ": "826", "GB": "826"}


def test_every_alias_points_at_a_shape_or_an_iso_country() -> None:
    for key in geo._ALIASES:
        code = country_code(key)
        assert code is not None, key
        assert has_shape(code) or code.isdigit(), key


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("410", "South Korea"),
        ("643", "Russia"),
        ("840", "United States"),
        ("158", "Taiwan"),
        ("704", "Vietnam"),
        ("180", "DR Congo"),
        ("Kosovo", "Kosovo"),
        ("N. Cyprus", "Northern Cyprus"),
        ("68", "Bolivia"),
        ("999", None),
        ("Narnia", None),
    ],
)
def test_country_display_name(code: str, expected: str | None) -> None:
    assert country_display_name(code) == expected


def test_every_shape_has_a_display_name() -> None:
    assert all(country_display_name(code) for code in _bundled_shape_ids())


def test_bundled_data_carries_licence_and_provenance() -> None:
    geo_dir = SHAPES_FILE.parent
    assert "Michael Bostock" in (geo_dir / "LICENSE-world-atlas").read_text(encoding="utf-8")
    readme = (geo_dir / "README.md").read_text(encoding="utf-8")
    assert "world-atlas" in readme
    assert "2.0.2" in readme
