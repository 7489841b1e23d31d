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
        total = sum(weights.values())
        self._start: dict[str, float] = {}
        self._share: dict[str, float] = {}
        acc = 0.0
        for step, weight in weights.items():
            self._start[step] = acc / total
            self._share[step] = weight / total
            acc += weight

    def __call__(self, step: str, fraction: float = 0.0, message: str | None = None) -> None:
        done = self._start[step] + self._share[step] * min(max(fraction, 0.0), 1.0)
        self.callback(message or step, min(done, 1.0))
