"""The ComfyUI server the app talks to right now: launched by us, attached by URL, or none.

When a ComfyUI the app launched exits, the launcher reports it here (`report_exit`) the moment
the process ends, so the sessions following prompts on it fail their jobs at once instead of
waiting for the server to stop answering.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from wan22_gui.core.base.signals import Signal


@dataclass(frozen=True)
class ServerInfo:
    """A reachable ComfyUI. `pid` is set only when we launched it (the telemetry watches it)."""

    url: str
    source: str  # "launched" or "attached"
    pid: int | None = None
    reserve_vram_gb: float | None = None  # from the launch preset, drawn on the VRAM graph


@dataclass(frozen=True)
class ServerExit:
    """A launched ComfyUI ended: where it ran, when (wall clock) and why, in words."""

    url: str
    pid: int | None
    at: float  # time.time() when the process ended: the jobs on it stopped then
    message: str  # "ComfyUI was killed (signal 9, SIGKILL). ..."
    hint: str = ""


class ServerConnection:
    """Holds the current server; panels subscribe to `changed`.

    Signals:
        changed(ServerInfo | None): emitted on the thread that called `set`.
        exited(ServerExit): a launched ComfyUI ended (crashed or stopped); emitted on the
            launcher's thread.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._info: ServerInfo | None = None
        self.changed = Signal("connection.changed")
        self.exited = Signal("connection.exited")

    @property
    def info(self) -> ServerInfo | None:
        with self._lock:
            return self._info

    @property
    def url(self) -> str | None:
        info = self.info
        return info.url if info else None

    def set(self, info: ServerInfo | None) -> None:
        with self._lock:
            if info == self._info:
                return
            self._info = info
        self.changed.emit(info)

    def report_exit(self, exit: ServerExit) -> None:
        """Tell the sessions on `exit.url` that its process has ended (the launcher calls it)."""
        self.exited.emit(exit)
