"""A small Qt-free signal: the core publishes, the GUI (or a test) subscribes.

Callbacks run on the thread that calls `emit`. The GUI marshals them onto its own thread
(`wan22_gui.gui.bridge.subscribe`); tests may simply collect them.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable

log = logging.getLogger("wan22.signals")


class Signal:
    """A list of callbacks. `emit` calls each; one failing callback does not stop the rest."""

    def __init__(self, name: str = "signal") -> None:
        self.name = name
        self._lock = threading.Lock()
        self._callbacks: list[Callable[..., Any]] = []

    def connect(self, callback: Callable[..., Any]) -> Callable[..., Any]:
        with self._lock:
            if callback not in self._callbacks:
                self._callbacks.append(callback)
        return callback

    def disconnect(self, callback: Callable[..., Any]) -> None:
        with self._lock:
            if callback in self._callbacks:
                self._callbacks.remove(callback)

    def emit(self, *args: Any) -> None:
        with self._lock:
            callbacks = list(self._callbacks)
        for callback in callbacks:
            try:
                callback(*args)
            except Exception:  # a broken subscriber must not break the publisher
                log.exception("subscriber of %s failed", self.name)

    def __len__(self) -> int:
        with self._lock:
            return len(self._callbacks)
