"""What every console script shares: settings, friendly errors, exit codes."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from core.errors import InsightsError

EXIT_OK = 0
EXIT_USER_ERROR = 2
EXIT_PARTIAL = 3


def run(main: Callable[[], int]) -> int:
    """Run a command, turning ``InsightsError`` into a one-line message instead of a traceback."""
    try:
        return main()
    except InsightsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except BrokenPipeError:
        # The reader (e.g. `| head`) stopped early; that is not an error of ours.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        return EXIT_OK
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


class ProgressBar:
    """A one-line text progress bar on stderr, fed by the shared progress callback."""

    def __init__(self, width: int = 30, stream=sys.stderr) -> None:
        self.width = width
        self.stream = stream
        self._last = ""

    def __call__(self, message: str, fraction: float) -> None:
        filled = int(round(self.width * fraction))
        line = f"\r[{'#' * filled}{'.' * (self.width - filled)}] {fraction:4.0%} {message[:50]:<50}"
        if line != self._last:
            self.stream.write(line)
            self.stream.flush()
            self._last = line

    def close(self) -> None:
        if self._last:
            self.stream.write("\n")
            self.stream.flush()
