"""Telling a full disk apart from other failures, and saying so with the free space left.

SQLite says "database or disk is full" (also when the database hit its size limit), a file
write says ENOSPC; either may sit under another exception as its cause. The job queue pauses
on such a failure instead of running the next job into the same full disk.
"""

from __future__ import annotations

import errno
import shutil
import sqlite3
from pathlib import Path

from wan22_gui.core.base.errors import Wan22Error

DISK_FULL_TEXT = "the disk holding the app's data is full"


class DiskFull(Wan22Error):
    """The disk holding the app's data (history, outputs) has no room left."""


def is_disk_full(exc: BaseException | None) -> bool:
    """Whether `exc`, or an exception it came from, is a full disk."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, DiskFull):
            return True
        if isinstance(exc, sqlite3.OperationalError) and "is full" in str(exc).lower():
            return True
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def free_bytes(path: Path) -> int | None:
    """Free bytes on the disk holding `path` (its nearest existing parent); None if unknown."""
    path = Path(path)
    for candidate in (path, *path.parents):
        try:
            return shutil.disk_usage(candidate).free
        except OSError:
            continue
    return None


def format_bytes(size: int | None) -> str:
    """1536 -> "1.5 KB" (decimal units, as file managers show them)."""
    if size is None:
        return "unknown"
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{int(value)} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"  # pragma: no cover - the loop always returns


def disk_full_error(path: Path) -> DiskFull:
    """The error a user reads: which disk, how much is free, what to do."""
    free = format_bytes(free_bytes(path))
    return DiskFull(f"{DISK_FULL_TEXT} ({free} free at {Path(path).parent}).",
                    "Free some space on that disk; files already made are kept.")
