"""Ad targeting: whose fans to target for an artist in one country ("fans of" lists).

Ad platforms (Spotify's Ad Studio among them) let a marketer target the fans of chosen
artists but leave the choice to them. For artist A and country C we take A's ``CANDIDATES``
most similar artists and score each::

    score(B) = similarity(A, B) × streams of B in C   (summed over stores)

so a close match that nobody streams in C ranks below a slightly less close one with a big
audience there. Similar artists without streams in C cannot be reached there and are left
out. Reach is B's streams in C and B's listeners (the model's sample).

Country names match like artist names (case, accents and spacing do not matter, plus common
short forms such as "USA" and "UK"); an unknown country is an error that lists the closest
countries in the model's markets.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import numpy as np
import pandas as pd

from core.errors import InsightsError
from core.insights.batch import AnswersByName, for_each_name
from core.insights.similarity import similar_artists
from core.model import Model
from core.names import NameIndex, normalize_name

#: similar artists considered per artist (of the model's top ``TOP_K`` candidates)
CANDIDATES = 50
TOP_N = 10
#: short forms people type, normalized -> the market tables' spelling
COUNTRY_ALIASES = {
    "us": "United States", "usa": "United States", "u.s.": "United States",
    "u.s.a.": "United States", "united states of america": "United States", "america": "United States",
    "uk": "United Kingdom", "u.k.": "United Kingdom", "great britain": "United Kingdom",
    "britain": "United Kingdom", "england": "United Kingdom",
    "czech republic": "Czechia", "holland": "Netherlands", "the netherlands": "Netherlands",
    "turkiye": "Turkey", "korea": "South Korea", "republic of korea": "South Korea",
    "deutschland": "Germany", "espana": "Spain", "brasil": "Brazil", "italia": "Italy",
    "osterreich": "Austria", "schweiz": "Switzerland", "suisse": "Switzerland",
}
COLUMNS = ["rank", "artistnum", "name", "similarity", "streams_in_country", "listeners", "score",
           "similarity_rank"]


class UnknownCountryError(InsightsError, KeyError):
    """A country that has no market data in the model; carries the closest known ones."""

    def __init__(self, country: str, suggestions: list[str]) -> None:
        self.country = country
        self.suggestions = suggestions
        super().__init__(country)

    def __str__(self) -> str:
        text = f"unknown country {self.country!r}: no market data for it in this model"
        if self.suggestions:
            text += "; did you mean: " + ", ".join(repr(s) for s in self.suggestions)
        return text


def market_countries(model: Model) -> list[str]:
    """The countries with market data, most streamed first."""
    totals = model.markets.groupby("countryname")["streams"].sum()
    return [str(c) for c in totals.sort_values(ascending=False, kind="stable").index]


@lru_cache(maxsize=8)
def _country_index(countries: tuple[str, ...]) -> NameIndex:
    return NameIndex(list(countries), np.arange(len(countries), 0, -1))


def resolve_country(model: Model, country: str) -> str:
    """The model's spelling of ``country``; ``UnknownCountryError`` with suggestions otherwise."""
    countries = market_countries(model)
    index = _country_index(tuple(countries))
    row = index.find(country)
    if row is None:
        alias = COUNTRY_ALIASES.get(normalize_name(country))
        row = index.find(alias) if alias else None
    if row is None:
        raise UnknownCountryError(country.strip(), index.suggest(country))
    return countries[row]


def targeting_table(model: Model, artist: str | int, country: str, *, top_n: int = TOP_N,
                    candidates: int = CANDIDATES) -> pd.DataFrame:
    """The similar artists whose fans to target in ``country``, best score first.

    Columns ``COLUMNS``: ``similarity_rank`` is B's place in A's similar-artists list,
    ``listeners`` B's, ``score`` similarity × streams_in_country.
    """
    if top_n < 1 or candidates < 1:
        raise InsightsError(f"top-n and candidates must be at least 1, not {top_n} and {candidates}")
    row = model.resolve(artist) if isinstance(artist, str) else int(artist)
    place = resolve_country(model, country)
    similar = similar_artists(model, row, candidates)
    markets = model.markets
    in_country = markets[markets["countryname"] == place].groupby("row")["streams"].sum()
    num_to_row = pd.Series(np.arange(len(model.artists)), index=model.artists["artistnum"].to_numpy())
    rows = num_to_row.reindex(similar["artistnum"].to_numpy()).to_numpy()
    streams = in_country.reindex(rows).fillna(0.0).to_numpy(np.float64)
    frame = pd.DataFrame({
        "artistnum": similar["artistnum"].to_numpy(),
        "name": similar["name"].to_numpy(),
        "similarity": similar["similarity"].to_numpy(np.float64),
        "streams_in_country": streams,
        "listeners": model.artists["listeners"].to_numpy(np.int64)[rows],
        "similarity_rank": similar["rank"].to_numpy(),
    })
    frame["score"] = frame["similarity"] * frame["streams_in_country"]
    frame = frame[frame["streams_in_country"] > 0]
    frame = frame.sort_values(["score", "similarity_rank"], ascending=[False, True], kind="stable")
    frame = frame.head(top_n).reset_index(drop=True)
    frame["rank"] = np.arange(1, len(frame) + 1)
    return frame[COLUMNS]


def targeting_answers(model: Model, names: Iterable[str], country: str, *, top_n: int = TOP_N,
                      candidates: int = CANDIDATES) -> AnswersByName:
    """The CLI's shape: ``{name: [{"name", "similarity", "streams_in_country", "listeners",
    "score"}, ...]}``; an unknown country fails the whole call before any artist is answered."""
    place = resolve_country(model, country)

    def answer(row: int) -> list[dict[str, object]]:
        frame = targeting_table(model, row, place, top_n=top_n, candidates=candidates)
        return [{"name": r.name, "similarity": round(float(r.similarity), 6),
                 "streams_in_country": int(round(r.streams_in_country)),
                 "listeners": int(r.listeners), "score": round(float(r.score), 2)}
                for r in frame.itertuples(index=False)]

    return for_each_name(model, names, answer)
