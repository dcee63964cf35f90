"""Keeping long-lived worker threads alive: an exception is logged, reported, and the loop
goes on after a short back-off (longer while the same failure repeats, so it never spins).

    supervisor = Supervisor("the job queue", bus=bus, on_error=self._on_worker_error)
    supervisor.run(self._step, wait=self._pause)     # step() returns False to end the loop
    supervisor.guard(self.sample_once)               # one pass; True when it did not raise
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable

from wan22_gui.core.base.messages import MessageBus

log = logging.getLogger("wan22.supervise")

ErrorFn = Callable[[BaseException], Any]
WaitFn = Callable[[float], Any]


@dataclass(frozen=True)
class Backoff:
    """The pause after the n-th consecutive failure: initial_s, doubling up to max_s."""

    initial_s: float = 0.5
    max_s: float = 10.0

    def delay(self, failures: int) -> float:
        if failures <= 0:
            return 0.0
        return min(self.max_s, self.initial_s * 2 ** min(failures - 1, 30))


class Supervisor:
    """Guards the body of one worker loop.

    The first failure of a streak is logged with its traceback and reported (to the bus, as
    an error message, and to `on_error`); repeats of a streak are logged in one line each, so
    a persistent error tells the user once and does not flood the log.
    """

    def __init__(self, where: str, *, bus: MessageBus | None = None,
                 on_error: ErrorFn | None = None, backoff: Backoff | None = None) -> None:
        self.where = where
        self.failures = 0  # consecutive failures; 0 after a step that succeeded
        self._bus = bus
        self._on_error = on_error
        self._backoff = backoff or Backoff()

    def guard(self, step: Callable[..., Any], *args: Any) -> bool:
        """Call `step(*args)`; True when it returned, False when it raised (reported)."""
        try:
            step(*args)
        except Exception as exc:
            self.failed(exc)
            return False
        self.failures = 0
        return True

    def run(self, step: Callable[[], bool], wait: WaitFn) -> None:
        """Call `step()` until it returns False; after a failure, `wait(back-off)` first."""
        while True:
            try:
                go_on = step()
            except Exception as exc:
                self.failed(exc)
                wait(self.delay())
                continue
            self.failures = 0
            if not go_on:
                return

    def delay(self) -> float:
        """The back-off after the current streak of failures."""
        return self._backoff.delay(self.failures)

    def failed(self, exc: BaseException) -> None:
        """Record and report one failure of the loop body."""
        self.failures += 1
        if self.failures > 1:
            log.error("%s failed again (%d times in a row): %s: %s", self.where, self.failures,
                      type(exc).__name__, exc)
        elif self._bus is not None:
            self._bus.report_exception(exc, self.where)
        else:
            log.error("unexpected error in %s", self.where,
                      exc_info=(type(exc), exc, exc.__traceback__))
        if self._on_error is not None:
            try:
                self._on_error(exc)
            except Exception:  # the error handler must not end the worker either
                log.exception("handling an error of %s failed", self.where)
