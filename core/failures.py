"""The one place that turns OS and engine errors into messages a user can act on.

``explain(exc)`` returns an ``InsightsError`` for the failures a user can fix (a busy or
damaged DuckDB file, a folder where a file should be, a read-only or full disk, a file that is
not UTF-8) and None for anything else, which is a bug. The console scripts print its message
as one line and exit 2; the dashboard shows it in an error box.
"""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path

from core.errors import InsightsError
from core.secrets import message

_DUCKDB_LOCK = re.compile(r"Could not set lock on file \"(?P<path>[^\"]+)\"(?:.*?\(PID (?P<pid>\d+)\))?",
                          re.S)
_DUCKDB_NOT_DB = re.compile(r"The file \"(?P<path>[^\"]+)\" exists, but it is not a valid DuckDB")
_DUCKDB_DIRECTORY = re.compile(r"file \"(?P<path>[^\"]+)\": Is a directory")

#: what to say for an OS error, by errno; {path} is the file or folder concerned
_OS_HINTS = {
    errno.ENOSPC: "no space left on the device holding {path}; free some space and try again",
    errno.EDQUOT: "disk quota exceeded for {path}; free some space and try again",
    errno.EROFS: "{path} is on a read-only file system; point the setting at a writable folder",
    errno.EACCES: "permission denied for {path}; check its owner and permissions",
    errno.EPERM: "operation not permitted on {path}; check its owner and permissions",
    errno.EISDIR: "{path} is a folder, where a file was expected",
    errno.ENOTDIR: "{path} (or a folder on its way) is a file, where a folder was expected",
    errno.EEXIST: "{path} is a file, not a folder",
    errno.ENOENT: "{path} does not exist",
}



class BusyWarehouseError(InsightsError):
    """Another process holds the DuckDB file's write lock (not ``BusyError``: that one means
    this program's own task is already running)."""


def duckdb_error(exc: Exception, path: object) -> InsightsError | None:
    """A DuckDB connection error as a message naming ``path`` and ``DUCKDB_PATH``."""
    text = str(exc)
    lock = _DUCKDB_LOCK.search(text)
    if lock:
        holder = f" (process {lock['pid']})" if lock["pid"] else ""
        return BusyWarehouseError(
            f"the DuckDB warehouse {path} is in use by another program{holder}; DuckDB lets one "
            "process write to a file at a time, so wait for it to finish (or close it) and try again"
        )
    if _DUCKDB_NOT_DB.search(text):
        return InsightsError(
            f"DUCKDB_PATH {path} is not a DuckDB database file; point DUCKDB_PATH at a warehouse "
            "(`python -m core.cli.warehouse build-demo` builds the demo one)"
        )
    if _DUCKDB_DIRECTORY.search(text):
        return InsightsError(f"DUCKDB_PATH {path} is a folder; point it at a .duckdb file")
    return None


def os_error(exc: OSError, setting: str | None = None, where: object = None) -> InsightsError:
    """An OS error as one line naming the path (or ``where`` when the error names none) and
    the setting, when known."""
    path = exc.filename if exc.filename is not None else where if where is not None else "a file"
    hint = _OS_HINTS.get(exc.errno or -1)
    text = hint.format(path=path) if hint else f"{exc.strerror or exc or type(exc).__name__}: {path}"
    if setting is None and isinstance(path, str | os.PathLike):
        setting = _setting_for(Path(path))
    return InsightsError(f"{text} ({setting})" if setting else text)


def _setting_for(path: Path) -> str | None:
    """The path setting ``path`` belongs to (MODEL_DIR, DUCKDB_PATH), if any."""
    from core.config import Settings

    try:
        settings = Settings.from_env()
    except InsightsError:
        return None
    target = path.absolute()
    for name, value in (("DUCKDB_PATH", settings.duckdb_path), ("MODEL_DIR", settings.model_dir)):
        root = Path(value).absolute()
        if target == root or root in target.parents or target.name.startswith(root.name + "."):
            return name
    return None


def explain(exc: BaseException) -> InsightsError | None:
    """The user-facing form of ``exc``, or None when it is not a failure a user can fix."""
    if isinstance(exc, InsightsError):
        return exc
    if isinstance(exc, UnicodeDecodeError):
        return InsightsError(
            f"the file is not UTF-8 text (byte {exc.start} cannot be decoded); save it as UTF-8"
        )
    if isinstance(exc, OSError):
        return os_error(exc)
    try:
        import duckdb
    except ImportError:  # pragma: no cover - duckdb is a runtime dependency
        return None
    if isinstance(exc, duckdb.Error):
        path = re.search(r"\"([^\"]+)\"", str(exc))
        found = duckdb_error(exc, path.group(1) if path else "(DUCKDB_PATH)")
        if found is not None:
            return found
        if isinstance(exc, duckdb.IOException | duckdb.OutOfMemoryException):
            return InsightsError(f"DuckDB could not finish: {message(exc)}")
    return None
