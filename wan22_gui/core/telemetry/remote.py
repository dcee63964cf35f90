"""A remote backend's GPU, sampled from its `/system_stats` (NVML cannot see another machine).

`/system_stats` gives VRAM (the device's and what ComfyUI's torch allocator reserved) and the
host's RAM, nothing about load, clocks or power: those columns stay NaN, so the graph draws a
gap rather than a zero it never measured. One HTTP call every couple of seconds is cheap for
the server and enough for memory, which moves slowly; a failed call is a gap, not an error per
sample (the backend's health loop reports a dead server).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from typing import Any, Callable

import numpy as np

from wan22_gui.core.base.errors import Wan22Error
from wan22_gui.core.base.messages import MessageBus
from wan22_gui.core.base.supervise import Supervisor
from wan22_gui.core.telemetry.ring import RingBuffer
from wan22_gui.core.telemetry.sampler import COLUMNS

log = logging.getLogger("wan22.telemetry")

DEFAULT_INTERVAL_S = 2.0
DEFAULT_CAPACITY = 4 * 3600 // 2  # four hours at one sample every 2 s

StatsFn = Callable[[], dict]  # one backend's `/system_stats` (ComfyClient.system_stats)


def row_from_stats(stats: dict, t: float, device: int = 0) -> list[float] | None:
    """One COLUMNS row from a `/system_stats` reply (None when it has no such device)."""
    devices = [d for d in stats.get("devices") or [] if isinstance(d, dict)]
    if device >= len(devices):
        return None
    gpu, system = devices[device], stats.get("system") or {}
    total, free = _number(gpu.get("vram_total")), _number(gpu.get("vram_free"))
    ram_total, ram_free = _number(system.get("ram_total")), _number(system.get("ram_free"))
    values = {
        "t": t, "vram_total": total, "vram_used": max(0.0, total - free),
        # what ComfyUI's torch allocator holds: the server process's share of the card
        "proc_vram": _number(gpu.get("torch_vram_total")),
        "ram_total": ram_total, "ram_used": max(0.0, ram_total - ram_free),
    }
    return [values.get(column, math.nan) for column in COLUMNS]


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


class RemoteGpuSampler:
    """Polls one backend's `/system_stats` every `interval_s` on a daemon thread into a ring
    with the local sampler's columns, so the graph draws both kinds of lane the same way."""

    def __init__(self, name: str, stats: StatsFn, *, device: int = 0,
                 interval_s: float = DEFAULT_INTERVAL_S, capacity: int = DEFAULT_CAPACITY,
                 clock: Callable[[], float] = time.time,
                 bus: MessageBus | None = None) -> None:
        self.name = name  # the backend's name: the lane's label
        self.ring = RingBuffer(COLUMNS, capacity)
        self.problem = ""  # the last failure in words ("" while samples arrive)
        self._stats = stats
        self._device = device
        self._interval_s = interval_s
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._supervisor = Supervisor(f"the GPU sampler of backend {name}", bus=bus)

    def sample_once(self) -> bool:
        """Take one sample now (True when a row was added)."""
        try:
            row = row_from_stats(self._stats(), self._clock(), self._device)
        except Exception as exc:  # unreachable, 401, not ComfyUI: a gap in the lane
            text = exc.user_text() if isinstance(exc, Wan22Error) else str(exc)
            if text != self.problem:
                log.info("backend %s: no GPU sample: %s", self.name, text)
            self.problem = text
            return False
        if row is None:
            self.problem = f"backend {self.name} reports no GPU {self._device}"
            return False
        self.problem = ""
        self.ring.append(row)
        return True

    def snapshot(self, since_t: float | None = None) -> dict[str, np.ndarray]:
        return self.ring.snapshot(since_t)

    def latest(self) -> dict[str, float] | None:
        return self.ring.latest()

    def start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._supervised, daemon=True,
                                            name=f"remote-gpu-{self.name}")
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _supervised(self) -> None:
        self._supervisor.run(self._loop, wait=self._stop.wait)

    def _loop(self) -> bool:
        while not self._stop.is_set():
            self.sample_once()
            self._stop.wait(self._interval_s)
        return False
