"""A label's roster at once: each artist's top market opportunities, and the territories
where the roster as a whole has the most room to grow.

Per artist: ``core.insights.opportunities`` (gap = expected − actual streams, territories
backed by at least ``min_peers`` market peers). For the roster: every artist's backed
opportunities (all of them, not only its top ``top_n``) summed by territory, ranked by summed
gap, with the artists contributing and the ISO code the map needs. Names not in the model are
reported with suggestions; they do not stop the others.

``roster_view`` shapes the answer for the dashboard (tables with plain columns and the map's
per-country frame); ``decode_names`` and ``roster_names`` read what was pasted or uploaded, the
same rules as the CLI's ``--names-file``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from core.errors import InsightsError, UnknownArtistError
from core.insights.batch import for_each_name
from core.insights.markets import TOTAL
from core.insights.markets_view import MapData, map_data
from core.insights.opportunities import MIN_PEERS, opportunity_table, ranked_opportunities
from core.model import Model

TOP_N = 5
#: header names (normalized: case and spacing ignored) of the CSV column holding the names
NAME_COLUMNS = ("artist", "artistname", "artist_name", "artist name", "name")
TERRITORY_COLUMNS = ["territory", "gap", "artists", "artist_names", "expected_streams",
                     "actual_streams", "country_code"]
#: the dashboard's sample: demo artists, as a label's CSV export (a name with a comma, quoted)
SAMPLE_ROSTER = ('artist,label\nRadiohead,XL\n"Tyler, The Creator",Columbia\nBeyoncé,Parkwood\n'
                 "Arcade Fire,Merge\nMuse,Warner\n")
#: the dashboard's tables: one row per (roster artist, opportunity) and per territory
OPPORTUNITY_COLUMNS = ["artist", "territory", "gap", "expected", "actual", "peers"]
TERRITORY_TABLE_COLUMNS = ["territory", "gap", "artists", "artist_names", "expected", "actual"]
#: every backed opportunity of an artist counts towards the roster's territories
_ALL = 1_000_000


@dataclass
class RosterAnswer:
    """``artists``: name as asked -> its top opportunities; ``territories``: the roster's
    territories by summed gap; ``unknown``: names not in the model, with suggestions."""

    artists: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    territories: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=TERRITORY_COLUMNS))
    unknown: list[UnknownArtistError] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The CLI's shape: ``{"artists": {name: [...]}, "territories": [...], "unknown": [...]}``."""
        territories = [
            {"territory": r.territory, "gap": int(round(r.gap)), "artists": int(r.artists),
             "artist_names": list(r.artist_names),
             "expected_streams": int(round(r.expected_streams)),
             "actual_streams": int(round(r.actual_streams)), "country_code": r.country_code}
            for r in self.territories.itertuples(index=False)
        ]
        unknown = [{"name": e.name, "suggestions": e.suggestions, "reason": e.reason}
                   for e in self.unknown]
        return {"artists": self.artists, "territories": territories, "unknown": unknown}


def parse_names(text: str) -> list[str]:
    """Names from pasted text or an uploaded file: one per line, or a CSV whose header has a
    column named artist / artistname / name (any case). Blank lines and duplicates dropped."""
    text = text.lstrip("\ufeff")
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return []
    try:
        header = next(csv.reader([lines[0]]))
    except csv.Error:
        header = []
    keys = [" ".join(h.strip().casefold().split()) for h in header]
    column = next((keys.index(k) for k in NAME_COLUMNS if k in keys), None)
    names = lines
    if column is not None:  # a CSV with a header: read the name column, quotes and all
        names = [row[column] for row in csv.reader(io.StringIO("\n".join(lines[1:])))
                 if len(row) > column]
    seen: dict[str, None] = {}
    for name in (n.strip() for n in names):
        if name:
            seen.setdefault(name, None)
    return list(seen)


def decode_names(data: bytes, source: str = "names file") -> str:
    """The text of an uploaded or named file: UTF-8 (a byte-order mark is fine); anything else
    is an error that says so, since guessing an encoding would silently garble accents."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InsightsError(f"{source} is not UTF-8 text (byte {exc.start} cannot be decoded); "
                            "save it as UTF-8") from None


def roster_names(pasted: str = "", uploaded: bytes | None = None, source: str = "the file") -> list[str]:
    """The pasted names, then the uploaded file's, each name once (as first written)."""
    names = parse_names(pasted)
    if uploaded is not None:
        names += parse_names(decode_names(uploaded, source))
    return list(dict.fromkeys(names))


def _entry(row: pd.Series) -> dict[str, Any]:
    lift = row["lift"]
    return {
        "territory": row["territory"],
        "gap": int(round(float(row["gap"]))),
        "expected_streams": int(round(float(row["expected_streams"]))),
        "actual_streams": int(round(float(row["actual_streams"]))),
        "lift": None if pd.isna(lift) else round(float(lift), 4),
        "peers_with_data": int(row["peers_with_data"]),
    }


def roster_answers(model: Model, names: Iterable[str], *, top_n: int = TOP_N,
                   min_peers: int = MIN_PEERS) -> RosterAnswer:
    """Top ``top_n`` opportunities per roster artist and the roster's territories."""
    if top_n < 1 or min_peers < 1:
        raise InsightsError(f"top-n and min-peers must be at least 1, not {top_n} and {min_peers}")
    from core.geo import country_code

    backed: dict[int, pd.DataFrame] = {}  # by row: an artist asked twice counts once

    def answer(row: int) -> list[dict[str, Any]]:
        ok, _thin = ranked_opportunities(opportunity_table(model, row, min_peers), _ALL)
        backed[row] = ok.assign(artist=str(model.artists["artistname"].iat[row]))
        return [_entry(r) for _, r in ok.head(top_n).iterrows()]

    batch = for_each_name(model, names, answer)
    roster = RosterAnswer(artists=batch.answers, unknown=batch.unknown)
    rows = pd.concat(list(backed.values()), ignore_index=True) if backed else pd.DataFrame()
    if len(rows):
        grouped = rows.groupby("territory")
        table = pd.DataFrame({
            "gap": grouped["gap"].sum(),
            "artists": grouped["artist"].nunique(),
            "artist_names": grouped["artist"].agg(lambda s: sorted(set(s))),
            "expected_streams": grouped["expected_streams"].sum(),
            "actual_streams": grouped["actual_streams"].sum(),
        }).reset_index()
        table["country_code"] = table["territory"].map(country_code)
        table = table.sort_values(["gap", "territory"], ascending=[False, True], kind="stable")
        roster.territories = table[TERRITORY_COLUMNS].reset_index(drop=True)
    return roster


@dataclass(frozen=True)
class RosterView:
    """The roster as the dashboard shows it; plain frames and lists, so it can be cached."""

    opportunities: pd.DataFrame
    territories: pd.DataFrame
    map: MapData
    unknown: list[tuple[str, list[str]]]
    answered: list[str]
    without_opportunities: list[str]


def opportunity_rows(roster: RosterAnswer, model: Model) -> pd.DataFrame:
    """Every roster artist's top opportunities in one table, artists in roster order, each
    named as the model spells it. Columns ``OPPORTUNITY_COLUMNS``."""
    records = [
        {"artist": _spelling(model, asked), "territory": e["territory"], "gap": e["gap"],
         "expected": e["expected_streams"], "actual": e["actual_streams"],
         "peers": e["peers_with_data"]}
        for asked, entries in roster.artists.items() for e in entries
    ]
    return pd.DataFrame(records, columns=OPPORTUNITY_COLUMNS).astype(
        {"gap": "int64", "expected": "int64", "actual": "int64", "peers": "int64"})


def territory_table(roster: RosterAnswer) -> pd.DataFrame:
    """The roster's territories, biggest summed gap first, streams rounded, the contributing
    artists as one comma-separated string (as a CSV cell should read).
    Columns ``TERRITORY_TABLE_COLUMNS``."""
    territories = roster.territories
    return pd.DataFrame({
        "territory": territories["territory"].astype(str),
        "gap": territories["gap"].astype(float).round().astype("int64"),
        "artists": territories["artists"].astype("int64"),
        "artist_names": territories["artist_names"].map(", ".join),
        "expected": territories["expected_streams"].astype(float).round().astype("int64"),
        "actual": territories["actual_streams"].astype(float).round().astype("int64"),
    }, columns=TERRITORY_TABLE_COLUMNS)


def roster_map(roster: RosterAnswer) -> MapData:
    """The roster's territories on the world map: ``markets_view.map_data`` of a table shaped
    like one artist's (a "total" row per territory), so spellings and small or unknown
    countries are handled as on the Markets page. Metrics: gap, expected and actual streams."""
    territories = roster.territories
    table = pd.DataFrame({
        "territory": territories["territory"], "store": TOTAL,
        "actual_streams": territories["actual_streams"].astype(float),
        "modeled_streams": float("nan"),  # an average of peers' streams: not summed for a roster
        "expected_streams": territories["expected_streams"].astype(float),
        "gap": territories["gap"].astype(float),
        "lift": float("nan"), "peers_with_data": territories["artists"], "evidence": "ok",
    })
    return map_data(table)


def roster_view(model: Model, names: Iterable[str], *, top_n: int = TOP_N,
                min_peers: int = MIN_PEERS) -> RosterView:
    """``roster_answers`` as tables, the map's frame and the names to report."""
    roster = roster_answers(model, names, top_n=top_n, min_peers=min_peers)
    return RosterView(
        opportunities=opportunity_rows(roster, model),
        territories=territory_table(roster),
        map=roster_map(roster),
        unknown=[(e.name, list(e.suggestions)) for e in roster.unknown],
        answered=[_spelling(model, n) for n in roster.artists],
        without_opportunities=[_spelling(model, n) for n, e in roster.artists.items() if not e],
    )


def _spelling(model: Model, name: str) -> str:
    return str(model.artists["artistname"].iat[model.resolve(name)])
