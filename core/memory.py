"""How much memory this process may really use, for the choices that depend on it.

The kernel's ``MemAvailable`` is not the whole story: a process can be capped below it by an
address-space limit (``ulimit -v``, a job scheduler). DuckDB sizes its own memory limit from
the machine's RAM (80% by default), so under such a cap a pushed-down training failed with
"Out of Memory" at 10 million rows instead of spilling to disk; both the training mode rule
and the pushdown's DuckDB limit now start from what is usable.
"""

from __future__ import annotations

import os
import re

#: a memory size as DuckDB takes it: 4GB, 512MiB, 1.5 GB, 1000000B
MEMORY_SIZE = re.compile(r"\d+(\.\d+)?\s*([KMGT]i?B|B)", re.IGNORECASE)


def available_memory() -> int:
    """Bytes the kernel reports as available (``MemAvailable``), or total RAM as a fallback."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))


def address_space_cap() -> int | None:
    """This process's address-space limit in bytes (``RLIMIT_AS``), None when unlimited."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not POSIX
        return None
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    return None if soft == resource.RLIM_INFINITY else int(soft)


def usable_memory() -> int:
    """Available memory, capped by the address-space limit when there is one."""
    cap = address_space_cap()
    available = available_memory()
    return available if cap is None else min(available, cap)


def is_memory_size(text: str) -> bool:
    """Whether ``text`` is a plain memory size (``MEMORY_SIZE``); such a size is spliced into
    DuckDB's ``SET memory_limit``, which takes no bound parameter, so nothing else may be."""
    return MEMORY_SIZE.fullmatch(text.strip()) is not None
