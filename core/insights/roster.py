"""A label's roster at once: each artist's top market opportunities, and the territories
where the roster as a whole has the most room to grow.

Per artist: ``core.insights.opportunities`` (gap = expected − actual streams, territories
backed by at least ``min_peers`` market peers). For the roster: every artist's backed
opportunities (all of them, not only its top ``top_n``) summed by territory, ranked by summed
gap, with the artists contributing and the ISO code the map needs. Names not in the model are
reported with suggestions; they do not stop the others.
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
from core.insights.opportunities import MIN_PEERS, opportunity_table, ranked_opportunities
from core.model import Model

TOP_N = 5
#: header names (normalized: case and spacing ignored) of the CSV column holding the names
NAME_COLUMNS = ("artist", "artistname", "artist_name", "artist name", "name")
TERRITORY_COLUMNS = ["territory", "gap", "artists", "artist_names", "expected_streams",
                     "actual_streams", "country_code"]
#: every backed opportunity of an artist counts towards the roster's territories
_ALL = 1_000_000


@dataclass
class RosterReport:
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


def roster_report(model: Model, names: Iterable[str], *, top_n: int = TOP_N,
                  min_peers: int = MIN_PEERS) -> RosterReport:
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
    report = RosterReport(artists=batch.answers, unknown=batch.unknown)
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
        report.territories = table[TERRITORY_COLUMNS].reset_index(drop=True)
    return report
