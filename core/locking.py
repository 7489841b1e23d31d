"""One writer at a time for a model folder, across processes (CLI, dashboard tabs, uploads).

A second caller is told to wait instead of silently interleaving writes.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from core.errors import InsightsError


class BusyError(InsightsError):
    """Another process holds the lock; try again when it has finished."""


#: lock files this process holds now (resolved paths)
_held: set[Path] = set()


def holds(path: Path) -> bool:
    """Whether this process holds ``path``'s lock right now (via ``exclusive``)."""
    return path.resolve() in _held


@contextlib.contextmanager
def exclusive(path: Path, what: str) -> Iterator[None]:
    """Hold an exclusive, non-blocking lock on ``path`` for the duration of ``what``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BusyError(f"{what} is already running; wait for it to finish and try again") from None
        key = path.resolve()
        _held.add(key)
        try:
            yield
        finally:
            _held.discard(key)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
