"""Capture every SQL text the Snowflake connector sends (Snowpark's ``session.sql`` and
DataFrames go through the same cursor base class as DictCursor), for tests that inspect or
parse them."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from snowflake.connector.cursor import SnowflakeCursorBase as SnowflakeCursor


@contextlib.contextmanager
def capture_sql() -> Iterator[list[str]]:
    sent: list[str] = []
    execute, executemany = SnowflakeCursor.execute, SnowflakeCursor.executemany

    def recording_execute(self: SnowflakeCursor, command: str, *args: Any, **kwargs: Any) -> Any:
        sent.append(command)
        return execute(self, command, *args, **kwargs)

    def recording_executemany(self: SnowflakeCursor, command: str, *args: Any,
                              **kwargs: Any) -> Any:
        sent.append(command)
        return executemany(self, command, *args, **kwargs)

    SnowflakeCursor.execute = recording_execute  # type: ignore[method-assign]
    SnowflakeCursor.executemany = recording_executemany  # type: ignore[method-assign]
    try:
        yield sent
    finally:
        SnowflakeCursor.execute = execute  # type: ignore[method-assign]
        SnowflakeCursor.executemany = executemany  # type: ignore[method-assign]
