"""One connection state for the whole app: is the ComfyUI in use there, and since when.

`ServerHealth` follows `ServerConnection` (which server the app uses) and says what is true
about it right now:

    not set -> connecting -> connected (version, GPU) -> lost (since, reason) -> connected ...

It is fed by the connection changing, by `mark_lost` (the launcher's process exited, the job
session's websocket closed) and by a cheap `/system_stats` probe every `interval_s` seconds on
its own supervised thread. A server that stops answering shows as lost after `misses_before_lost`
failed probes (about 3 s with the defaults), and as connected again when it answers.

The status bar, the launcher panel, the Generate tab and the Live GPU panel all show
`Health.words`, so they can never disagree.

Signals:
    changed(Health): the state, server, version, GPU or reason changed (on the probe thread,
        or the thread that changed the connection).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from wan22_gui.core.base.errors import Wan22Error
from wan22_gui.core.base.messages import MessageBus
from wan22_gui.core.base.signals import Signal
from wan22_gui.core.base.supervise import Supervisor
from wan22_gui.core.comfy.connection import ServerConnection, ServerInfo

log = logging.getLogger("wan22.comfy")

NOT_SET = "not set"
CONNECTING = "connecting"
CONNECTED = "connected"
LOST = "lost"
GIB = 1024**3

StatsFn = Callable[[str, float], dict]


@dataclass(frozen=True)
class RemoteGpu:
    """One device of `/system_stats`: the server's own view of its GPU (bytes)."""

    name: str
    vram_total: int
    vram_free: int

    @property
    def vram_used(self) -> int:
        return max(0, self.vram_total - self.vram_free)

    @property
    def line(self) -> str:
        """'NVIDIA H200 — VRAM 12.3 / 139.8 GiB used'."""
        return (f"{self.name} — VRAM {self.vram_used / GIB:.1f} / "
                f"{self.vram_total / GIB:.1f} GiB used")


@dataclass(frozen=True)
class Health:
    """What the app knows about its ComfyUI at one moment. `since` is wall-clock time."""

    state: str = NOT_SET
    url: str | None = None
    source: str | None = None  # "launched" / "attached" (ServerInfo.source)
    version: str | None = None
    gpus: tuple[RemoteGpu, ...] = ()
    since: float | None = None
    reason: str = ""

    @property
    def gpu(self) -> RemoteGpu | None:
        return self.gpus[0] if self.gpus else None

    @property
    def words(self) -> str:
        """The one sentence every view shows for this state."""
        where = f"{self.url} ({_how(self.source)})" if self.url else ""
        if self.state == CONNECTING:
            return f"ComfyUI: connecting to {where}..."
        if self.state == CONNECTED:
            about = ", ".join(p for p in (self.version and f"ComfyUI {self.version}",
                                          self.gpu and self.gpu.name) if p)
            return f"ComfyUI: connected to {where}" + (f" — {about}" if about else "")
        if self.state == LOST:
            at = time.strftime("%H:%M:%S", time.localtime(self.since or time.time()))
            head = f"ComfyUI: lost since {at}" + (f" — {where}" if where else "")
            return head + (f": {self.reason}" if self.reason else "")
        return "ComfyUI: not connected"

    @property
    def usable(self) -> bool:
        return self.state == CONNECTED


def _how(source: str | None) -> str:
    return "started by the app" if source == "launched" else "attached"


def gpus_of(stats: dict) -> tuple[RemoteGpu, ...]:
    """The devices of a `/system_stats` reply ("cuda:0 NVIDIA H200 : cudaMallocAsync" ->
    "NVIDIA H200"); malformed entries are skipped."""
    found = []
    for device in stats.get("devices") or []:
        if not isinstance(device, dict):
            continue
        name = str(device.get("name") or device.get("type") or "?")
        if device.get("type") == "cpu" or name == "cpu":
            name = "CPU (no GPU)"
        else:
            name = name.split(" : ")[0]
            head, _, rest = name.partition(" ")
            name = rest if ":" in head and rest else name
        try:
            total, free = int(device.get("vram_total") or 0), int(device.get("vram_free") or 0)
        except (TypeError, ValueError):
            continue
        found.append(RemoteGpu(name, total, free))
    return tuple(found)


def _default_stats(url: str, timeout: float) -> dict:
    from wan22_gui.core.comfy.client import ComfyClient

    client = ComfyClient(url, timeout=timeout)
    try:
        return client.system_stats()
    finally:
        client.close()


class ServerHealth:
    """See the module docstring.

    Args:
        connection: the app's ServerConnection (followed from construction on).
        stats: `(url, timeout) -> /system_stats reply`, raising Wan22Error when there is none
            (tests pass a fake; default: ComfyClient).
        interval_s: seconds between probes while a server is set.
        timeout_s: how long one probe may take.
        misses_before_lost: failed probes in a row before a connected server counts as lost.
    """

    def __init__(self, connection: ServerConnection, *, stats: StatsFn | None = None,
                 interval_s: float = 1.5, timeout_s: float = 2.0, misses_before_lost: int = 2,
                 bus: MessageBus | None = None) -> None:
        self.connection = connection
        self.changed = Signal("health.changed")
        self._stats = stats or _default_stats
        self._interval_s, self._timeout_s = interval_s, timeout_s
        self._misses_before_lost = max(1, misses_before_lost)
        self._lock = threading.Lock()
        self._health = Health()
        self._misses = 0
        self._wake = threading.Event()
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None
        self._supervisor = Supervisor("the ComfyUI connection check", bus=bus)
        connection.changed.connect(self._on_connection)
        self._on_connection(connection.info)

    @property
    def current(self) -> Health:
        with self._lock:
            return self._health

    # -- feeding -------------------------------------------------------------------------------
    def _on_connection(self, info: ServerInfo | None) -> None:
        if info is None:
            self._set(Health(since=time.time()), misses=0)
            return
        self._set(Health(CONNECTING, info.url, info.source, since=time.time()), misses=0)
        self.check_now()

    def mark_lost(self, reason: str, *, url: str | None = None,
                  source: str | None = None) -> None:
        """Something outside the probe saw the server go (the launched process exited): show
        it as lost at once, naming the server it was (`url`/`source`, else the current one)."""
        with self._lock:
            current = self._health
        url, source = url or current.url, source or current.source
        if current.state == LOST and (current.url, current.reason) == (url, reason):
            return
        self._set(Health(LOST, url, source, current.version, current.gpus, time.time(), reason),
                  misses=self._misses_before_lost)
        self.check_now()  # if it still answers (a false alarm) the probe says so

    def check_now(self) -> None:
        """Probe right away (e.g. after the job session's websocket dropped)."""
        self._wake.set()

    def follow_stream(self, stream: Any) -> None:
        """Probe at once whenever this event stream (a job session's websocket) drops."""
        stream.events.connect(self._on_stream_event)

    def _on_stream_event(self, event: Any) -> None:
        from wan22_gui.core.comfy.events import ConnectionLost

        if isinstance(event, ConnectionLost):
            self.check_now()

    # -- the probe thread ---------------------------------------------------------------------
    def start(self) -> None:
        with self._lock:
            if self._thread is not None or self._closed.is_set():
                return
            self._thread = threading.Thread(target=self._loop, name="comfy-health", daemon=True)
            self._thread.start()

    def close(self, timeout: float = 5.0) -> None:
        self.connection.changed.disconnect(self._on_connection)
        self._closed.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _loop(self) -> None:
        while not self._closed.is_set():
            self._supervisor.guard(self.probe_once)
            self._wake.wait(self._interval_s)
            self._wake.clear()

    def probe_once(self) -> Health:
        """Ask the current server's /system_stats once and update the state (blocking)."""
        info = self.connection.info
        if info is None:
            return self.current
        try:
            stats = self._stats(info.url, self._timeout_s)
        except Wan22Error as exc:
            self._failed(info, str(exc))
        else:
            self._answered(info, stats)
        return self.current

    def _answered(self, info: ServerInfo, stats: dict[str, Any]) -> None:
        system = stats.get("system") if isinstance(stats.get("system"), dict) else {}
        version = system.get("comfyui_version") if isinstance(system, dict) else None
        with self._lock:
            if self.connection.info != info:
                return  # the server changed while we asked the old one
            was = self._health
        fresh = was.state != CONNECTED or was.url != info.url
        self._set(Health(CONNECTED, info.url, info.source, str(version) if version else None,
                         gpus_of(stats), time.time() if fresh else was.since), misses=0)

    def _failed(self, info: ServerInfo, reason: str) -> None:
        with self._lock:
            if self.connection.info != info:
                return  # the server changed while we asked the old one
            self._misses += 1
            was, misses = self._health, self._misses
        if was.state == LOST or (was.state == CONNECTED and misses < self._misses_before_lost):
            return
        self._set(Health(LOST, info.url, info.source, was.version, was.gpus, time.time(),
                         reason), misses=misses)

    def _set(self, health: Health, *, misses: int) -> None:
        with self._lock:
            self._misses = misses
            before, self._health = self._health, health
        if _shown(before) != _shown(health):
            log.info("%s", health.words)
            self.changed.emit(health)  # VRAM figures alone are no change: views read `current`


def _shown(health: Health) -> tuple:
    """What the views show (a probe that only refreshed VRAM figures is not a change)."""
    return (health.state, health.url, health.source, health.version,
            health.gpu.name if health.gpu else None, health.since, health.reason)
