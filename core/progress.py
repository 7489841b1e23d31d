"""A progress callback shared by the CLI's progress bar and the dashboard's ``st.progress``."""

from __future__ import annotations

from collections.abc import Callable

#: called with (what is happening now, overall fraction done in [0, 1])
ProgressCallback = Callable[[str, float], None]


def no_progress(message: str, fraction: float) -> None:
    """Default callback: training and uploads stay silent unless a face asks for progress."""


class StepProgress:
    """Turns per-step progress into overall progress, given each step's share of the work."""

    def __init__(self, callback: ProgressCallback | None, weights: dict[str, float]) -> None:
        self.callback = callback or no_progress
        self._total = sum(weights.values())
        self._weights = dict(weights)
        self._before: dict[str, float] = {}
        acc = 0.0
        for step, weight in weights.items():
            self._before[step] = acc
            acc += weight

    def __call__(self, step: str, fraction: float = 0.0, message: str | None = None) -> None:
        # One division per call, so the end of a step and the start of the next are equal.
        fraction = min(max(fraction, 0.0), 1.0)
        done = (self._before[step] + self._weights[step] * fraction) / self._total
        self.callback(message or step, min(done, 1.0))
