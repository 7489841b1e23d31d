"""Errors a user can act on.

Every error raised on purpose by this package derives from ``InsightsError`` so that the command
line and the dashboard can show its message as it is, instead of a traceback.
"""

from __future__ import annotations


class InsightsError(Exception):
    """A problem the user can fix; the message says how."""


class ContractError(InsightsError):
    """A source table does not match the documented contract (missing table or column)."""


class ConfigError(InsightsError):
    """A setting is missing or invalid."""


class ModelNotFoundError(InsightsError):
    """No trained model exists yet where one is expected."""


class UnknownArtistError(InsightsError, KeyError):
    """An artist name is not in the model; carries the closest known names."""

    def __init__(self, name: str, suggestions: list[str], reason: str | None = None) -> None:
        self.name = name
        self.suggestions = suggestions
        self.reason = reason
        super().__init__(name)

    def __str__(self) -> str:
        text = f"unknown artist {self.name!r}"
        if self.reason:
            text += f" ({self.reason})"
        if self.suggestions:
            text += "; did you mean: " + ", ".join(repr(s) for s in self.suggestions)
        return text
