"""What every console script shares: settings, friendly errors, exit codes."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable

from core.failures import explain
from core.secrets import install_log_scrubber, message, scrub

EXIT_OK = 0
EXIT_BUG = 1
EXIT_USER_ERROR = 2
EXIT_PARTIAL = 3
#: set to 1 to see the (scrubbed) traceback of an unexpected error
DEBUG_VARIABLE = "ARTIST_LISTENER_DEBUG"


def run(main: Callable[[], int], what: str | None = None) -> int:
    """Run a command; every failure ends as one scrubbed line on stderr, never a traceback.

    Problems a user can fix (``core.failures.explain``: bad settings and input, busy, damaged
    or read-only files, a full disk) exit 2; anything else is a bug and exits 1, with the
    traceback only when ``ARTIST_LISTENER_DEBUG=1``. ``what`` prefixes the message
    (e.g. "snowflake upload failed").
    """
    install_log_scrubber()
    prefix = f"{what}: " if what else ""
    try:
        return main()
    except BrokenPipeError:
        # The reader (e.g. `| head`) stopped early; that is not an error of ours.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        return EXIT_OK
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        problem = explain(exc)
        if problem is not None:
            print(f"error: {prefix}{message(problem)}", file=sys.stderr)
            return EXIT_USER_ERROR
        if os.environ.get(DEBUG_VARIABLE) == "1":
            print(scrub("".join(traceback.format_exception(exc))), file=sys.stderr, end="")
        print(f"error: {prefix}unexpected {type(exc).__name__}: {message(exc)} (a bug; set "
              f"{DEBUG_VARIABLE}=1 for the traceback)", file=sys.stderr)
        return EXIT_BUG


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
