"""Finding an artist by the name a person types: case, accents and spacing do not matter.

Exact (normalized) matches win; otherwise the closest names are offered, so a typo gets a
useful answer instead of a dead end.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Sequence

import numpy as np


def normalize_name(name: str) -> str:
    """Case-fold, drop accents and collapse white space: "  Beyoncé " -> "beyonce"."""
    decomposed = unicodedata.normalize("NFKD", str(name))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


class NameIndex:
    """Normalized name -> row; among artists sharing a normalized name the most listened wins."""

    def __init__(self, names: Sequence[str], popularity: Sequence[float]) -> None:
        self.names = list(names)
        self.normalized = [normalize_name(n) for n in self.names]
        popularity = np.asarray(popularity, dtype=np.float64)
        order = np.lexsort((np.arange(len(self.names)), -popularity))
        self._by_name: dict[str, int] = {}
        for row in order:
            self._by_name.setdefault(self.normalized[row], int(row))
        self._exact = {name: row for row, name in enumerate(self.names)}
        self._popularity = popularity
        self._unique = list(self._by_name)

    def find(self, name: str) -> int | None:
        """The row for ``name`` (exact spelling first, then normalized), or None."""
        if name in self._exact:
            return self._exact[name]
        return self._by_name.get(normalize_name(name))

    def suggest(self, name: str, limit: int = 5) -> list[str]:
        """Closest known names, for "did you mean" messages."""
        key = normalize_name(name)
        close = difflib.get_close_matches(key, self._unique, n=limit, cutoff=0.6)
        rows = [self._by_name[c] for c in close]
        if len(rows) < limit and key:
            contains = [
                r for n, r in self._by_name.items() if key in n and r not in rows
            ]
            contains.sort(key=lambda r: -self._popularity[r])
            rows += contains[: limit - len(rows)]
        return [self.names[r] for r in rows]

    def search(self, query: str, limit: int = 20) -> list[int]:
        """Rows for a search box: prefix matches, then substring, then fuzzy; popular first."""
        key = normalize_name(query)
        if not key:
            return []
        scored: list[tuple[int, float, int]] = []
        for n, row in self._by_name.items():
            if n.startswith(key):
                scored.append((0, -self._popularity[row], row))
            elif key in n:
                scored.append((1, -self._popularity[row], row))
        scored.sort()
        rows = [row for _, _, row in scored[:limit]]
        if len(rows) < limit:
            fuzzy = difflib.get_close_matches(key, self._unique, n=limit, cutoff=0.6)
            rows += [self._by_name[f] for f in fuzzy if self._by_name[f] not in rows]
        return rows[:limit]
