"""What killed writers leave behind, removed at the next run.

A training writes its model into ``.incoming-*`` and an export its files as ``.*.partial``
before renaming them into place; a ``kill -9`` leaves those. They are removed only while
holding the lock of that kind of writer, so a training or export running right now keeps its
own work in progress.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterable
from pathlib import Path

from core.locking import BusyError, exclusive, holds

log = logging.getLogger(__name__)


def remove(folder: Path, patterns: Iterable[str]) -> list[Path]:
    """Delete the entries of ``folder`` matching ``patterns``; the caller holds the writers' lock.

    Errors are logged, not raised: leftovers must never stop the run that finds them.
    """
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for pattern in patterns:
        for path in sorted(folder.glob(pattern)):
            try:
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                else:
                    path.unlink()
            except OSError as exc:
                log.warning("could not remove leftover %s: %s", path, exc.strerror or exc)
                continue
            removed.append(path)
    if removed:
        log.info("removed %d leftover(s) of interrupted runs in %s", len(removed), folder)
    return removed


def remove_unless_busy(folder: Path, patterns: Iterable[str], lock: Path, what: str) -> list[Path]:
    """``remove`` when nobody else holds ``lock`` (no other ``what`` is running); otherwise nothing.

    When this process holds ``lock`` it is the one writer, and what it finds is stale. A
    folder that cannot take a lock file (read-only, missing) is left as it is.
    """
    if not folder.is_dir():
        return []
    if holds(lock):
        return remove(folder, patterns)
    try:
        with exclusive(lock, what):
            return remove(folder, patterns)
    except BusyError:
        return []
    except OSError as exc:
        log.debug("not cleaning %s: %s", folder, exc)
        return []
