"""Helpers for the telemetry tests: a fake clock that NVML calls can advance, and builders."""

from __future__ import annotations

from wan22_gui.core.telemetry.nvml import Nvml
from wan22_gui.core.telemetry.sampler import GpuSampler
from wan22_gui.core.telemetry.system import RamReading

WALL_OFFSET = 1_760_000_000.0  # wall clock = monotonic + this, so `t` looks like a real date


class FakeTime:
    """A monotonic clock that only moves when the sampler waits or a fake NVML read "costs" time.

    `wait(seconds)` advances it (the sampler's sleep); `cost` seconds pass on each temperature
    read, standing in for a slow NVML pass.
    """

    def __init__(self, cost: float = 0.0) -> None:
        self.now = 1000.0
        self.cost = cost
        self.waits: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.now + WALL_OFFSET

    def wait(self, seconds: float) -> bool:
        self.waits.append(seconds)
        self.now += seconds
        return False

    def temperature(self) -> int:
        self.now += self.cost
        return 60


def make_sampler(fake_nvml, time_: FakeTime | None = None, **kw) -> GpuSampler:
    """A sampler over `fake_nvml` driven by `time_` (NVML retries follow the same clock)."""
    time_ = time_ or FakeTime()
    nvml = Nvml(fake_nvml, clock=time_.monotonic, register_atexit=False)
    kw.setdefault("ram_reader", lambda: RamReading(8 * 1024**3, 64 * 1024**3))
    return GpuSampler(nvml, clock=time_.wall, monotonic=time_.monotonic, wait=time_.wait, **kw)
