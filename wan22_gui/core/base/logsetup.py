"""Named loggers, a rotating log file and an in-memory ring of recent records.

The ring feeds the crash dialog and the "recent log" views; the file is what "Reveal log" opens.
Every handler formats through `RedactingFormatter`, so no token reaches a log line.
"""

from __future__ import annotations

import collections
import logging
import logging.handlers
import threading
from pathlib import Path

from wan22_gui.core.base.redact import RedactingFormatter

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


class RingHandler(logging.Handler):
    """Keeps the last `capacity` formatted records in memory."""

    def __init__(self, capacity: int = 2000) -> None:
        super().__init__()
        self._records: collections.deque[str] = collections.deque(maxlen=capacity)
        self._ring_lock = threading.Lock()
        self.setFormatter(RedactingFormatter(LOG_FORMAT))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
        except Exception:  # never let logging raise
            return
        with self._ring_lock:
            self._records.append(text)

    def lines(self, last: int | None = None) -> list[str]:
        with self._ring_lock:
            items = list(self._records)
        return items[-last:] if last else items


def setup_logging(log_file: Path | None, level: int = logging.INFO) -> RingHandler:
    """Configure the `wan22` logger tree once; returns its ring handler (pass it on
    explicitly: to the crash dialog, the log views). Calling it again reuses both handlers."""
    root = logging.getLogger("wan22")
    root.setLevel(level)
    ring = find_ring(root)
    if ring is None:
        ring = RingHandler()
        root.addHandler(ring)
    if log_file is not None and not any(
        isinstance(h, logging.handlers.RotatingFileHandler) for h in root.handlers
    ):
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            log_file, maxBytes=5 * 1024 * 1024, backupCount=3, encoding="utf-8"
        )
        handler.setFormatter(RedactingFormatter(LOG_FORMAT))
        root.addHandler(handler)
    return ring


def find_ring(logger: logging.Logger) -> RingHandler | None:
    """The RingHandler attached to `logger`, if any."""
    return next((h for h in logger.handlers if isinstance(h, RingHandler)), None)


def append_exception(log_file: Path, exc: BaseException, message: str) -> None:
    """Write `message` and `exc`'s traceback to `log_file` (appended, the log's format), without
    going through the logger tree (so nothing reaches the console). Raises OSError."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setFormatter(RedactingFormatter(LOG_FORMAT))
    try:
        record = logging.LogRecord("wan22", logging.ERROR, __file__, 0, message, None,
                                   (type(exc), exc, exc.__traceback__))
        handler.handle(record)
    finally:
        handler.close()
