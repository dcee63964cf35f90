"""Running work off the GUI thread and bringing results back to it.

Rule: never touch a widget inside a background function; hand the result to `on_success`, which
runs on the GUI thread. Core signals reach views through `wan22_gui.gui.bridge.subscribe`.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable

from PySide6.QtCore import QObject, QTimer

from wan22_gui.gui import bridge

# Background work a panel starts at construction but nobody waits for (GPU detection, the
# sampler's first rows) begins this long after: in a Python thread it would hold the
# interpreter while the window is built and painted for the first time.
AFTER_WINDOW_MS = 300

log = logging.getLogger("wan22.gui")


class TaskRunner(QObject):
    """Two executors (one serialized for the history database); results come back through the
    bridge, so a failing `on_success` reaches the crash dialog like any other GUI slot."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="wan22-bg")
        self._serial = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wan22-db")
        self._shut = False

    def run_in_background(
        self,
        fn: Callable[[], Any],
        on_success: Callable[[Any], None] | None = None,
        on_failure: Callable[[BaseException], None] | None = None,
        *,
        serial: bool = False,
    ) -> Future:
        """Run `fn` on a worker; deliver its result or exception on the GUI thread."""
        future = (self._serial if serial else self._pool).submit(fn)

        def _done(fut: Future) -> None:
            if fut.cancelled():
                return
            exc = fut.exception()
            if exc is not None:
                if on_failure is not None:
                    bridge.post(on_failure, exc)
                else:
                    log.error("background task failed", exc_info=exc)
            elif on_success is not None:
                bridge.post(on_success, fut.result())

        future.add_done_callback(_done)
        return future

    def run_after_window(
        self,
        owner: QObject,
        fn: Callable[[], Any],
        on_success: Callable[[Any], None] | None = None,
        on_failure: Callable[[BaseException], None] | None = None,
    ) -> None:
        """`run_in_background`, `AFTER_WINDOW_MS` from now (while `owner` lives): for start-up
        work nobody waits for, which would otherwise hold the interpreter during the first paint."""
        def start() -> None:
            if not self._shut:  # the app quit first: nobody is left to want the result
                self.run_in_background(fn, on_success, on_failure)

        QTimer.singleShot(AFTER_WINDOW_MS, owner, start)

    def shutdown(self) -> None:
        """Drop queued work, wait for running work (history writes always finish)."""
        self._shut = True
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._serial.shutdown(wait=True, cancel_futures=False)
