"""System RAM in use, without extra dependencies (ComfyUI swaps the 14B experts through RAM).

Linux reads `/proc/meminfo` (used = MemTotal - MemAvailable, as `free` reports it); Windows asks
`GlobalMemoryStatusEx` through ctypes. Elsewhere, or when reading fails, the values are NaN.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path

MEMINFO = Path("/proc/meminfo")


@dataclass(frozen=True)
class RamReading:
    """Bytes; NaN when unknown."""

    used: float
    total: float


NO_READING = RamReading(math.nan, math.nan)


def read_ram(meminfo: Path = MEMINFO) -> RamReading:
    """System RAM used and total right now (never raises)."""
    if sys.platform.startswith("win"):
        return _read_windows()
    return _read_meminfo(meminfo)


def _read_meminfo(path: Path) -> RamReading:
    fields: dict[str, int] = {}
    try:
        with open(path, "rb") as handle:
            for line in handle:
                name, _, rest = line.partition(b":")
                if name in (b"MemTotal", b"MemAvailable", b"MemFree", b"Buffers", b"Cached"):
                    fields[name.decode()] = int(rest.split()[0]) * 1024  # kB -> bytes
    except (OSError, ValueError, IndexError):
        return NO_READING
    total = fields.get("MemTotal")
    if total is None:
        return NO_READING
    available = fields.get("MemAvailable")
    if available is None:  # kernels before 3.14
        available = fields.get("MemFree", 0) + fields.get("Buffers", 0) + fields.get("Cached", 0)
    return RamReading(float(total - available), float(total))


def _read_windows() -> RamReading:  # pragma: no cover - exercised on Windows only
    import ctypes

    class MemoryStatusEx(ctypes.Structure):
        _fields_ = [
            ("dwLength", ctypes.c_ulong),
            ("dwMemoryLoad", ctypes.c_ulong),
            ("ullTotalPhys", ctypes.c_ulonglong),
            ("ullAvailPhys", ctypes.c_ulonglong),
            ("ullTotalPageFile", ctypes.c_ulonglong),
            ("ullAvailPageFile", ctypes.c_ulonglong),
            ("ullTotalVirtual", ctypes.c_ulonglong),
            ("ullAvailVirtual", ctypes.c_ulonglong),
            ("ullAvailExtendedVirtual", ctypes.c_ulonglong),
        ]

    status = MemoryStatusEx()
    status.dwLength = ctypes.sizeof(MemoryStatusEx)
    try:
        if not ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status)):  # type: ignore[attr-defined]
            return NO_READING
    except (AttributeError, OSError):
        return NO_READING
    return RamReading(float(status.ullTotalPhys - status.ullAvailPhys), float(status.ullTotalPhys))
