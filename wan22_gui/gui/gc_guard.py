"""Python's cyclic garbage collector, run on the GUI thread only, in short steps.

Qt objects caught in reference cycles must be deleted on the thread that owns them. With
automatic collection on, a collection can start on whichever thread happens to allocate (an
image decode, an HTTP call) and delete widgets there, which crashes the interpreter. So the
automatic collector is switched off and this timer collects on the GUI thread instead.

A collection's pause grows with the objects it examines. A full (generation 2) collection walks
the whole heap, which with Qt, pyqtgraph and numpy loaded took 0.1-0.9 s on a busy 2-core machine.
Hence the policy:
- `after_startup()` (called once the window is up) moves everything alive then into the
  permanent generation (`gc.freeze()`): modules, widgets and services live until quit, so no
  later collection walks them again. Cyclic garbage made during start-up stays; it is small.
- The young generations are collected often (every `interval_ms` when enough was allocated),
  so each holds few objects and a pass takes a few ms.
- A full collection runs at most once per `full_every_s`, and only over what was made since
  start-up.
`longest_pause_s` is the longest collection run here so far (for the benchmark).
"""

from __future__ import annotations

import gc
import time

from PySide6.QtCore import QObject, QTimer

CHECK_INTERVAL_MS = 100  # often enough that generation 0 stays small
# Generation 0: allocations (minus frees) of tracked objects before a pass; generations 1 and 2:
# passes of the generation below. Python's default is (700, 10, 10), counted by the interpreter.
THRESHOLDS = (5000, 10, 10)
FULL_EVERY_S = 120.0  # a full collection at most this often


class MainThreadGarbageCollector(QObject):
    """Disables automatic GC while alive; `stop()` turns it back on (and unfreezes)."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = CHECK_INTERVAL_MS,
                 *, thresholds: tuple[int, int, int] = THRESHOLDS,
                 full_every_s: float = FULL_EVERY_S) -> None:
        super().__init__(parent)
        self._was_enabled = gc.isenabled()
        self._old_thresholds = gc.get_threshold()
        self.full_every_s = full_every_s
        self.frozen = 0  # objects moved to the permanent generation by after_startup()
        self.longest_pause_s = 0.0
        self._last_full = time.monotonic()
        gc.disable()
        gc.set_threshold(*thresholds)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.check)
        self._timer.start(interval_ms)

    def after_startup(self) -> int:
        """Freeze what start-up made (it lives until quit); returns how many objects."""
        gc.freeze()
        self.frozen = gc.get_freeze_count()
        return self.frozen

    def check(self) -> None:
        """Collect the oldest generation whose count passed its threshold (a full collection
        only when the last one is `full_every_s` old)."""
        counts = gc.get_count()
        thresholds = gc.get_threshold()
        full_due = time.monotonic() - self._last_full >= self.full_every_s
        for generation in (2, 1, 0):
            if generation == 2 and not full_due:
                continue
            if counts[generation] > thresholds[generation]:
                self._collect(generation)
                return

    def _collect(self, generation: int) -> None:
        start = time.perf_counter()
        gc.collect(generation)
        pause = time.perf_counter() - start
        self.longest_pause_s = max(self.longest_pause_s, pause)
        if generation == 2:
            self._last_full = time.monotonic()

    def stop(self) -> None:
        self._timer.stop()
        if self.frozen:
            gc.unfreeze()  # back into the oldest generation, collectable again
            self.frozen = 0
        gc.set_threshold(*self._old_thresholds)
        if self._was_enabled:
            gc.enable()
