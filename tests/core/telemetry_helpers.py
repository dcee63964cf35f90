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


# --- a Wan 2.2 14B i2v job on a 24 GB card, for the GUI tests, the screenshot and the bench ---

# (seconds from job start, phase, state): text encode, the high-noise expert loads and samples,
# the experts swap, the low-noise pass, VAE decode (the memory spike), save, RIFE interpolation.
WAN_JOB_EVENTS: tuple[tuple[float, str, str], ...] = (
    (0.0, "job_start", "mark"),
    (0.5, "text_encode", "start"), (9.0, "text_encode", "end"),
    (9.0, "model_load", "start"), (21.0, "model_load", "end"),
    (21.0, "high_noise", "start"), (81.0, "high_noise", "end"),
    (81.0, "model_load", "start"), (93.0, "model_load", "end"),
    (93.0, "low_noise", "start"), (150.0, "low_noise", "end"),
    (150.0, "vae_decode", "start"), (166.0, "vae_decode", "end"),
    (166.0, "save", "start"), (171.0, "save", "end"),
    (171.0, "interpolate", "start"), (191.0, "interpolate", "end"),
    (191.5, "job_end", "mark"),
)


def _wan_profile(s: float) -> tuple[float, float, float, float, float]:
    """(VRAM GiB, GPU util %, power W, PCIe rx GB/s, RAM GiB) at `s` seconds into the job."""
    import math

    wobble = 0.25 * math.sin(s * 2.1) + 0.15 * math.sin(s * 5.3)
    if s < 0 or s >= 195:
        return 1.3, 0.0, 68.0, 0.0, 14.0 if s < 0 else 31.0
    if s < 9:  # umt5 text encoder
        return 1.3 + min(s / 3, 1) * 6.4, 35 + 10 * wobble, 180.0, 6.0 if s < 3 else 0.2, 26.0
    if s < 21:  # high-noise expert streams in over PCIe
        return 1.6 + (s - 9) / 12 * 13.9, 8.0, 120.0, 12.5, 41.0
    if s < 81:  # sampling: weights + activations
        return 18.2 + 0.6 * wobble + 0.4 * ((s * 0.25) % 1), 98 + 2 * wobble, 431 + 15 * wobble, 0.1, 41.0
    if s < 93:  # swap experts (through RAM)
        return (15.5 - (s - 81) * 1.2) if s < 87 else (8.3 + (s - 87) / 6 * 7.2), 10.0, 140.0, 12.0, 52.0
    if s < 150:
        return 18.0 + 0.6 * wobble + 0.4 * ((s * 0.25) % 1), 98 + 2 * wobble, 425 + 15 * wobble, 0.1, 52.0
    if s < 166:  # VAE decode: the spike that OOMs long clips
        peak = 21.9 if 153 < s < 161 else 17.0
        return peak + 0.2 * wobble, 88 + 6 * wobble, 360 + 20 * wobble, 0.3, 52.0
    if s < 171:
        return 3.1, 12.0, 110.0, 0.05, 52.0
    return 4.6 + 0.2 * wobble, 62 + 8 * wobble, 260 + 20 * wobble, 0.4, 52.0


def wan_job_gpu(time_: FakeTime, job_start: float):
    """An RTX 4090 whose readings follow `_wan_profile` on the fake clock; ComfyUI is PID 4242."""
    from tests.fakes.fake_nvml import rtx_4090

    def at() -> float:
        return time_.now - job_start

    def vram() -> int:
        return int(_wan_profile(at())[0] * GIB)

    return rtx_4090(
        memory_used=vram,
        util_gpu=lambda: int(max(0, min(100, _wan_profile(at())[1]))),
        util_mem=lambda: int(max(0, min(100, _wan_profile(at())[1] * 0.62))),
        power_mw=lambda: int(_wan_profile(at())[2] * 1000),
        temp_c=lambda: int(38 + min(36, max(0.0, at()) * 0.35) if at() < 195 else 60),
        sm_clock_mhz=lambda: 2520 if _wan_profile(at())[1] > 50 else 1200,
        pcie_rx_kbs=lambda: int(_wan_profile(at())[3] * 1e9 / 1024),
        pcie_tx_kbs=lambda: int(_wan_profile(at())[3] * 0.05e9 / 1024),
        processes=lambda: [(4242, max(0, vram() - int(0.45 * GIB)))],
    )


def play_wan_job(sampler, time_: FakeTime, job_start: float, on_event, *, until: float = 200.0,
                 job_id: str = "job-1") -> None:
    """Sample the fake GPU from now until `until` s into the job, sending phase events on time."""
    from wan22_gui.core.jobs.phases import PhaseEvent

    pending = list(WAN_JOB_EVENTS)
    step = 1.0 / sampler.rate_hz
    while time_.now - job_start <= until:
        while pending and pending[0][0] <= time_.now - job_start:
            offset, phase, state = pending.pop(0)
            on_event(PhaseEvent(job_id, phase, state, job_start + offset + WALL_OFFSET))
        sampler.sample_once()
        time_.now += step


def wan_ram(time_: FakeTime, job_start: float):
    """System RAM following the same job (64 GiB machine)."""
    return lambda: RamReading(_wan_profile(time_.now - job_start)[4] * GIB, 64 * GIB)


GIB = 1024**3


class PhaseDrivenGpu:
    """A fake GPU whose readings follow the phase a real job runner reports (real clock).

    Connect `on_phase` to the runner's (or queue's) `phase` signal; each read moves VRAM a step
    toward the level typical of that phase, so the curve ramps like a real card's.
    """

    LEVELS = {  # phase -> (VRAM GiB, GPU util %, power W)
        None: (1.3, 0.0, 70.0), "upload": (1.3, 0.0, 70.0), "queued": (1.3, 0.0, 70.0),
        "text_encode": (7.6, 35.0, 180.0), "model_load": (15.4, 8.0, 120.0),
        "high_noise": (18.4, 98.0, 430.0), "low_noise": (18.1, 98.0, 425.0),
        "vae_decode": (21.8, 90.0, 360.0), "save": (3.1, 12.0, 110.0),
        "interpolate": (4.6, 62.0, 260.0), "download": (1.4, 0.0, 75.0),
    }

    def __init__(self) -> None:
        self.phase: str | None = None
        self.vram = 1.3

    def on_phase(self, event) -> None:
        if event.state == "start":
            self.phase = event.phase
        elif event.state == "end" and event.phase == self.phase or event.phase == "job_end":
            self.phase = None

    def _level(self) -> tuple[float, float, float]:
        return self.LEVELS.get(self.phase, self.LEVELS[None])

    def _vram_bytes(self) -> int:
        self.vram += (self._level()[0] - self.vram) * 0.25
        return int(self.vram * GIB)

    def gpu(self):
        from tests.fakes.fake_nvml import rtx_4090

        return rtx_4090(
            memory_used=self._vram_bytes,
            util_gpu=lambda: int(self._level()[1]),
            util_mem=lambda: int(self._level()[1] * 0.6),
            power_mw=lambda: int(self._level()[2] * 1000),
            temp_c=lambda: 40 + int(self._level()[1] * 0.3),
            processes=lambda: [(4242, max(0, int((self.vram - 0.45) * GIB)))],
        )


class CounterNvml:
    """Adds the PCIe byte counters (nvmlDeviceGetFieldValues 197/198) to a FakeNvml, which
    lacks them: `rx_bytes`/`tx_bytes` are cumulative, stamped with the fake clock."""

    def __init__(self, fake, time_: FakeTime) -> None:
        self._fake = fake
        self._time = time_
        self.rx_bytes = 0
        self.tx_bytes = 0

    def __getattr__(self, name):
        return getattr(self._fake, name)

    def nvmlDeviceGetFieldValues(self, handle, field_ids):
        from types import SimpleNamespace

        self._fake._check("nvmlDeviceGetFieldValues", handle.index)
        counters = {197: self.tx_bytes, 198: self.rx_bytes}
        return [SimpleNamespace(fieldId=f, nvmlReturn=0, valueType=3,
                                timestamp=int(self._time.now * 1e6),
                                value=SimpleNamespace(ullVal=counters[f])) for f in field_ids]
