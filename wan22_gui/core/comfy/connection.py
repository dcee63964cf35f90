"""The ComfyUI server the app talks to right now: launched by us, attached by URL, or none."""

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


class ServerConnection:
    """Holds the current server; panels subscribe to `changed`.

    Signals:
        changed(ServerInfo | None): emitted on the thread that called `set`.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._info: ServerInfo | None = None
        self.changed = Signal("connection.changed")

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
