"""Python's cyclic garbage collector, run on the GUI thread only.

Qt objects caught in reference cycles must be deleted on the thread that owns them. With
automatic collection on, a collection can start on whichever thread happens to allocate (an
image decode, an HTTP call) and delete widgets there, which crashes the interpreter. So the
automatic collector is switched off and this timer collects on the GUI thread instead, by the
same thresholds Python would use.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

CHECK_INTERVAL_MS = 500


class MainThreadGarbageCollector(QObject):
    """Disables automatic GC while alive; `stop()` turns it back on."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = CHECK_INTERVAL_MS) -> None:
        super().__init__(parent)
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.check)
        self._timer.start(interval_ms)

    def check(self) -> None:
        """Collect the generations whose allocation counts passed their thresholds."""
        counts = gc.get_count()
        thresholds = gc.get_threshold()
        for generation in (2, 1, 0):
            if counts[generation] > thresholds[generation]:
                gc.collect(generation)
                return

    def stop(self) -> None:
        self._timer.stop()
        if self._was_enabled:
            gc.enable()
