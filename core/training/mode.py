"""Where to train: in this process ("memory") or inside the warehouse ("pushdown").

In memory is several times faster on one machine; pushdown is the only way a table larger
than the machine trains at all, since its memory depends on the number of artists, not rows.
"auto" decides from the listens table's row count (one ``COUNT(*)``, answered from metadata by
both warehouses) and the memory available when training starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.errors import InsightsError
from core.memory import usable_memory

#: in-memory training's peak memory: a fixed part (the artist-side arrays, neighbour blocks,
#: libraries) plus a part per listens row (ids, streams, weighted copies, SVD work arrays),
#: fitted on generated data by benchmarks/train_scale.py (see benchmarks/README.md)
MEMORY_FIXED_BYTES = 1_000_000_000
MEMORY_BYTES_PER_ROW = 90
#: in-memory training may use at most this share of the memory available when it starts
MEMORY_SHARE = 0.5
MODES = ("auto", "memory", "pushdown")
#: where each mode trains, as a sentence says it ("trained in memory")
WHERE = {"memory": "in memory", "pushdown": "in the warehouse (pushdown)"}


def where_trained(mode: str | None) -> str:
    """The words for a mode; a manifest from before pushdown existed was trained in memory."""
    return WHERE["pushdown"] if mode == "pushdown" else WHERE["memory"]


def memory_needed(rows: int) -> int:
    """Estimated peak bytes of in-memory training on ``rows`` listens."""
    return MEMORY_FIXED_BYTES + rows * MEMORY_BYTES_PER_ROW


def choose_mode(rows: int, available: int | None = None) -> str:
    """``"memory"`` while the estimated in-memory peak fits ``MEMORY_SHARE`` of the available
    memory, else ``"pushdown"``."""
    available = usable_memory() if available is None else available
    return "memory" if memory_needed(rows) <= MEMORY_SHARE * available else "pushdown"


@dataclass(frozen=True)
class ModePlan:
    """What "auto" would do on a warehouse, and why, for the Train page and the CLI."""

    rows: int | None  # None: the listens table could not be counted (missing)
    available_bytes: int

    @property
    def auto(self) -> str:
        return "memory" if self.rows is None else choose_mode(self.rows, self.available_bytes)

    @property
    def need_bytes(self) -> int | None:
        return None if self.rows is None else memory_needed(self.rows)

    def label(self, mode: str) -> str:
        """How a choice of ``mode`` is offered: "Automatic (in memory)", "In memory", ..."""
        if mode == "auto":
            return f"Automatic ({where_trained(self.auto).removesuffix(' (pushdown)')})"
        return where_trained(mode)[0].upper() + where_trained(mode)[1:]

    def explain(self) -> str:
        if self.rows is None:
            return "the listens table could not be counted; training reads it in memory"
        return (f"{self.rows:,} listen rows need about {self.need_bytes / 2**30:.1f} GiB in memory; "
                f"{self.available_bytes / 2**30:.1f} GiB available (at most "
                f"{MEMORY_SHARE:.0%} is used), so automatic trains {where_trained(self.auto)}")


def plan_mode(warehouse: Any, available: int | None = None) -> ModePlan:
    from core.tables import USER_ARTIST_STREAMS

    available = usable_memory() if available is None else available
    try:
        rows = warehouse.row_count(USER_ARTIST_STREAMS.name)
    except InsightsError:
        rows = None  # a missing table: the contract check then names what is wrong
    return ModePlan(rows, available)


def training_mode(warehouse: Any, mode: str = "auto", available: int | None = None) -> str:
    """The mode to train in: ``mode`` itself unless it is ``"auto"``."""
    if mode not in MODES:
        raise InsightsError(f"training mode must be one of {', '.join(MODES)}, not {mode!r}")
    if mode != "auto":
        return mode
    return plan_mode(warehouse, available).auto
