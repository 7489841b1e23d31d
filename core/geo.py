"""Country names from the stream tables -> ids of the bundled, offline world map.

The dashboard draws a world choropleth (``dashboard.world_shapes`` inlines the shapes). Fetching
shapes from a CDN would break offline and air-gapped installs, so the map comes from a copy of
world-atlas 2.0.2 (``data/geo/countries-110m.json``, TopoJSON from Natural Earth) that is
shipped with the code; core reads it only for its ids and names, to tell which countries can be
drawn.

World-atlas identifies each country by its ISO 3166-1 numeric code as a zero-padded string
(``"840"`` for the United States), so every name found in a ``countryname`` column is turned
into that code. The tables hold whatever the source wrote: full English names ("Russia",
"Korea, Republic of"), short or old names ("Turkey", "Swaziland"), ISO alpha-2/alpha-3 codes,
in any case. pycountry's exact lookup (no fuzzy matching: a wrong country on a map is worse
than a missing one) resolves most of them; the rest go through a small explicit alias table.

Three shapes in the 110m file carry no ISO code (Kosovo, N. Cyprus, Somaliland). Their
``properties.name`` is used as their id, both here and in the geometries of ``world_atlas``,
so they can still be coloured.

Names that cannot be placed on the map are returned by ``map_countries`` rather than dropped,
so the dashboard can list them.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import pycountry

GEO_DIR = Path(__file__).resolve().parent.parent / "data" / "geo"
WORLD_SHAPES_PATH = GEO_DIR / "countries-110m.json"
TOPO_OBJECT = "countries"

# ``(name -> world-atlas id, names that could not be placed on the map)``.
CountryMapping = tuple[dict[str, str], list[str]]

# Names pycountry's exact lookup does not resolve, keyed by their normalised form (see
# ``_normalise``). Values are ISO alpha-2 codes, or the ``properties.name`` of a world-atlas
# shape that has no ISO code. Kept small and explicit on purpose: each entry is a decision.
_ALIASES: dict[str, str] = {
    # Also world-atlas shape names, kept here so a renamed shape cannot break them.
    "russia": "RU",
    "turkey": "TR",
    # Short, informal or former English names pycountry does not carry.
    "ivory coast": "CI",
    "uk": "GB",
    "great britain": "GB",
    "uae": "AE",
    "swaziland": "SZ",
    "the former yugoslav republic of macedonia": "MK",
    "former yugoslav republic of macedonia": "MK",
    "cape verde": "CV",
    "micronesia": "FM",
    "vatican": "VA",
    "vatican city": "VA",
    "macau": "MO",
    "burma": "MM",
    "east timor": "TL",
    "dr congo": "CD",
    "democratic republic of the congo": "CD",
    "democratic republic of congo": "CD",
    "congo, democratic republic of the": "CD",
    "congo-kinshasa": "CD",
    "republic of congo": "CG",
    "congo-brazzaville": "CG",
    "korea, south": "KR",
    "korea, north": "KP",
    # UN M49 style "Name (Qualifier)" spellings.
    "venezuela (bolivarian republic of)": "VE",
    "bolivia (plurinational state of)": "BO",
    "iran (islamic republic of)": "IR",
    "micronesia (federated states of)": "FM",
    "united states virgin islands": "VI",
    "us virgin islands": "VI",
    "wallis and futuna islands": "WF",
    "saint helena": "SH",
    # Sark has no ISO 3166-1 entry; it belongs to the Bailiwick of Guernsey.
    "sark": "GG",
    # Shapes without an ISO code in world-atlas: map to their ``properties.name``
    # ("Kosovo" and "Somaliland" already match their shape names).
    "xk": "Kosovo",
    "xkx": "Kosovo",
    "northern cyprus": "N. Cyprus",
    "turkish republic of northern cyprus": "N. Cyprus",
}

# Display names where pycountry's name is the formal "Surname, Given" form a reader would not
# use. Keyed by world-atlas id.
_DISPLAY_NAMES: dict[str, str] = {
    "643": "Russia",
    "180": "DR Congo",
    "583": "Micronesia",
    "275": "Palestine",
    "336": "Vatican City",
    "092": "British Virgin Islands",
    "850": "U.S. Virgin Islands",
    "N. Cyprus": "Northern Cyprus",
}


def _normalise(name: str) -> str:
    """Fold case, accents, apostrophes, '&'/'St.' and a leading/trailing 'the' for matching.

    Stream tables write "Cote d'Ivoire", "Côte d’Ivoire" and "COTE D'IVOIRE" for one country;
    comparing folded keys makes all of them equal without resorting to fuzzy matching.
    """
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    text = text.replace("&", " and ").casefold()
    text = re.sub(r"\bst\b\.?", "saint", text)
    text = " ".join(text.split())
    text = re.sub(r"^the ", "", text)
    text = re.sub(r", the$", "", text)
    return text


@lru_cache(maxsize=1)
def world_atlas() -> dict[str, Any]:
    """The bundled TopoJSON, parsed once, id-less shapes given their name as id. Shared: copy
    it before changing anything (``dashboard.world_shapes.load_world_shapes`` does)."""
    with WORLD_SHAPES_PATH.open(encoding="utf-8") as fh:
        topo: dict[str, Any] = json.load(fh)
    for geometry in topo["objects"][TOPO_OBJECT]["geometries"]:
        if geometry.get("id") is None:
            geometry["id"] = geometry["properties"]["name"]
    return topo


@lru_cache(maxsize=1)
def _shape_names() -> dict[str, str]:
    """world-atlas id -> the shape's ``properties.name``."""
    geometries = world_atlas()["objects"][TOPO_OBJECT]["geometries"]
    return {str(g["id"]): g["properties"]["name"] for g in geometries}


def shape_ids() -> frozenset[str]:
    """Ids of every country shape in the bundled map (ISO numeric, or name for id-less)."""
    return frozenset(_shape_names())


def has_shape(code: str) -> bool:
    """Whether the bundled 110m map has a shape for ``code`` (tiny states often have none)."""
    return code in _shape_names()


@lru_cache(maxsize=1)
def _folded_index() -> dict[str, str]:
    """Normalised name/code -> id, from pycountry, world-atlas shape names and the aliases.

    pycountry's own lookup is exact but sensitive to accents and punctuation; this index is
    the same data with folded keys. Shape names ("Dem. Rep. Congo", "Bosnia and Herz.") are
    included so that names copied from the map itself resolve too.
    """
    index: dict[str, str] = {}
    for shape_id, shape_name in _shape_names().items():
        index[_normalise(shape_name)] = shape_id
    for country in pycountry.countries:
        for attr in ("name", "official_name", "common_name", "alpha_2", "alpha_3"):
            value = getattr(country, attr, None)
            if value:
                index[_normalise(value)] = country.numeric
    for key, target in _ALIASES.items():
        index[key] = _alias_target(target)
    return index


def _alias_target(target: str) -> str:
    """Resolve an alias value (alpha-2 code, or id-less shape name) to a world-atlas id."""
    if target in _shape_names() and not target.isdigit():
        return target
    country = pycountry.countries.get(alpha_2=target)
    if country is None:  # pragma: no cover - guards the alias table itself
        raise ValueError(f"alias target {target!r} is neither an ISO alpha-2 code nor a shape")
    return str(country.numeric)


def country_code(name: str) -> str | None:
    """Return the world-atlas id for a country name or ISO code, or ``None`` if unknown.

    Accepts full English names, common short names, ISO alpha-2/alpha-3/numeric codes, in any
    case and with surrounding spaces. The result is the zero-padded ISO numeric code used as
    ``id`` in world-atlas (``"840"``), or the shape name for the three id-less shapes
    (``"Kosovo"``). A code is returned even when the 110m map has no shape for it (Singapore,
    Hong Kong); use ``has_shape`` or ``map_countries`` to know whether it can be drawn.
    No fuzzy matching: "Austria" must never become "Australia".
    """
    if not isinstance(name, str):
        return None
    text = name.strip()
    if not text:
        return None
    key = _normalise(text)
    if key in _ALIASES:
        return _alias_target(_ALIASES[key])
    if text.isdigit():
        numeric = pycountry.countries.get(numeric=text.zfill(3))
        return str(numeric.numeric) if numeric is not None else None
    try:
        return str(pycountry.countries.lookup(text).numeric)
    except LookupError:
        pass
    return _folded_index().get(key)


def map_countries(names: Iterable[str], *, require_shape: bool = True) -> CountryMapping:
    """Map names to world-atlas ids; return ``(name -> id, unmapped names)``.

    Keys of the mapping are the names exactly as given, so callers can join back on their own
    column. With ``require_shape`` (the default) a name whose country has no shape in the 110m
    map counts as unmapped too: it would otherwise vanish from the choropleth without a word.
    Unmapped names keep their first-seen order, without duplicates, so the dashboard can list
    them. Missing values (``None``/NaN) are not names and are skipped.
    """
    mapped: dict[str, str] = {}
    unmapped: list[str] = []
    seen: set[str] = set()
    for name in names:
        if name is None or (isinstance(name, float) and math.isnan(name)):
            continue
        if name in seen:
            continue
        seen.add(name)
        code = country_code(name)
        if code is None or (require_shape and not has_shape(code)):
            unmapped.append(name)
        else:
            mapped[name] = code
    return mapped, unmapped


def country_display_name(code: str) -> str | None:
    """Readable English name for a world-atlas id ("410" -> "South Korea"), for tooltips.

    Prefers pycountry's common name (short, as people say it), falls back to its name, and
    uses the shape's own name for the id-less shapes. ``None`` if the id is unknown.
    """
    code = str(code).strip()
    if code in _DISPLAY_NAMES:
        return _DISPLAY_NAMES[code]
    if code.isdigit():
        country = pycountry.countries.get(numeric=code.zfill(3))
        if country is not None:
            return getattr(country, "common_name", None) or country.name
    return _shape_names().get(code)
