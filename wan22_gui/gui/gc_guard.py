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
- A full collection runs at most once per `full_every_s`, only over what was made since
  start-up, and only when the user has not touched the keyboard or mouse for `idle_for_full_s`
  (it can still take tens of ms on a large heap; a pause nobody is interacting with is not
  felt). After `full_at_latest_s` without such a moment it runs anyway, so memory stays bounded.
`longest_pause_s` is the longest collection run here so far (for the benchmark).
"""

from __future__ import annotations

import gc
import time

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer

CHECK_INTERVAL_MS = 100  # often enough that generation 0 stays small
# Generation 0: allocations (minus frees) of tracked objects before a pass; generations 1 and 2:
# passes of the generation below. Python's default is (700, 10, 10), counted by the interpreter.
THRESHOLDS = (5000, 10, 10)
FULL_EVERY_S = 120.0  # a full collection at most this often
IDLE_FOR_FULL_S = 5.0  # ... when there was no keyboard or mouse input for this long
FULL_AT_LATEST_S = 900.0  # ... or when the last one is this old, whatever the user does
INPUT_EVENTS = frozenset({
    QEvent.Type.KeyPress, QEvent.Type.KeyRelease, QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseButtonRelease, QEvent.Type.MouseMove, QEvent.Type.Wheel,
    QEvent.Type.TouchBegin, QEvent.Type.TouchUpdate,
})


class MainThreadGarbageCollector(QObject):
    """Disables automatic GC while alive; `stop()` turns it back on (and unfreezes)."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = CHECK_INTERVAL_MS,
                 *, thresholds: tuple[int, int, int] = THRESHOLDS,
                 full_every_s: float = FULL_EVERY_S, idle_for_full_s: float = IDLE_FOR_FULL_S,
                 full_at_latest_s: float = FULL_AT_LATEST_S) -> None:
        super().__init__(parent)
        self.idle_for_full_s = idle_for_full_s
        self.full_at_latest_s = full_at_latest_s
        self._last_input = time.monotonic()
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
        app = QCoreApplication.instance()
        if app is not None:
            app.installEventFilter(self)  # sees every input event, to find the quiet moments

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() in INPUT_EVENTS:
            self._last_input = time.monotonic()
        return False  # only watching

    def after_startup(self) -> int:
        """Freeze what start-up made (it lives until quit); returns how many objects."""
        gc.freeze()
        self.frozen = gc.get_freeze_count()
        return self.frozen

    def check(self) -> None:
        """Collect the oldest generation whose count passed its threshold (a full collection
        only when it is due and the user is idle, see the module's docstring)."""
        counts = gc.get_count()
        thresholds = gc.get_threshold()
        full_due = self._full_due(time.monotonic())
        for generation in (2, 1, 0):
            if generation == 2 and not full_due:
                continue
            if counts[generation] > thresholds[generation]:
                self._collect(generation)
                return

    def _full_due(self, now: float) -> bool:
        since_full = now - self._last_full
        if since_full >= self.full_at_latest_s:
            return True
        return since_full >= self.full_every_s and now - self._last_input >= self.idle_for_full_s

    def _collect(self, generation: int) -> None:
        start = time.perf_counter()
        gc.collect(generation)
        pause = time.perf_counter() - start
        self.longest_pause_s = max(self.longest_pause_s, pause)
        if generation == 2:
            self._last_full = time.monotonic()

    def stop(self) -> None:
        self._timer.stop()
        app = QCoreApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        if self.frozen:
            gc.unfreeze()  # back into the oldest generation, collectable again
            self.frozen = 0
        gc.set_threshold(*self._old_thresholds)
        if self._was_enabled:
            gc.enable()
