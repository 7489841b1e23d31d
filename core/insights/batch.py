"""Which artist a question is about: one name or row, or several names at once without letting
one unknown name hide the others."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from core.errors import UnknownArtistError
from core.model import Model


@dataclass
class AnswersByName:
    """Answers by the name as asked, plus the names that could not be answered and why."""

    answers: dict[str, Any] = field(default_factory=dict)
    unknown: list[UnknownArtistError] = field(default_factory=list)


def artist_row(model: Model, artist: str | int) -> int:
    """The model row of ``artist``: a name (resolved as the CLI resolves it) or a row already."""
    return model.resolve(artist) if isinstance(artist, str) else int(artist)


def for_each_name(model: Model, names: Iterable[str], answer: Callable[[int], Any]) -> AnswersByName:
    result = AnswersByName()
    for raw in names:
        name = raw.strip()
        if not name:
            continue
        try:
            row = model.resolve(name)
        except UnknownArtistError as exc:
            result.unknown.append(exc)
            continue
        result.answers[name] = answer(row)
    return result
