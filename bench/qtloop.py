"""What the Qt benchmarks share: running the event loop for a while or until a condition, and
reading the process's resident memory. Imported by the scripts in this folder (run as
`python bench/<script>.py`, which puts this folder on the path)."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication


def spin(ms: int) -> None:
    """Run the event loop for `ms` milliseconds."""
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def spin_until(condition, timeout_s: float, *, wake_ms: int = 20) -> bool:
    """Run the event loop until `condition()` holds; False after `timeout_s`. Between events
    the thread sleeps, as the app's own loop does: a busy loop here took one of the two cores
    from the decoders whose frame it was waiting for. A timer wakes the loop every `wake_ms`
    to look at the condition even when nothing else happens."""
    deadline = time.perf_counter() + timeout_s
    guard = QTimer()
    guard.start(wake_ms)
    try:
        while not condition():
            if time.perf_counter() > deadline:
                return False
            QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents
                                       | QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
    finally:
        guard.stop()
    return True


def rss_bytes() -> int:
    """Resident memory of this process now (Linux /proc; else the peak from getrusage)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
