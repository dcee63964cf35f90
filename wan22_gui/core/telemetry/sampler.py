"""The GPU sampler: a daemon thread that reads NVML at a steady rate into a ring buffer.

Sampling and drawing are independent: the sampler only appends rows; the graph (or job metrics)
reads `snapshot()` whenever it likes. No signal is sent per sample.

The loop does not drift: sample k is due at `start + k / rate` on the monotonic clock, however
long each NVML pass takes. A pass that overruns skips the samples it missed (counted in
`missed`) instead of firing a burst to catch up.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from typing import TYPE_CHECKING, Any, Callable

from wan22_gui.core.base.errors import NvmlUnavailable
from wan22_gui.core.base.messages import MessageBus
from wan22_gui.core.base.settings import declare
from wan22_gui.core.base.signals import Signal
from wan22_gui.core.base.supervise import Supervisor
from wan22_gui.core.telemetry.nvml import NvmlReader, is_na
from wan22_gui.core.telemetry.ring import RingBuffer
from wan22_gui.core.telemetry.system import RamReading, read_ram

if TYPE_CHECKING:  # numpy loads with the first sample (an app without a GPU never needs it)
    import numpy as np

log = logging.getLogger("wan22.telemetry")

COLUMNS: tuple[str, ...] = (
    "t",  # wall clock, time.time() seconds
    "vram_used", "vram_total", "proc_vram",  # bytes
    "gpu_util", "mem_util",  # percent
    "temp_c",
    "power_w", "power_limit_w",
    "sm_clock_mhz",
    "pcie_rx", "pcie_tx",  # bytes per second
    "ram_used", "ram_total",  # bytes (system RAM)
)
MIN_RATE_HZ = 1.0
MAX_RATE_HZ = 20.0
DEFAULT_RATE_HZ = 10.0
DEFAULT_CAPACITY = 4 * 3600 * 10  # four hours at 10 Hz (~15 MB)

# NVML enum values (stable in nvml.h), so a fake module need not define them.
_TEMPERATURE_GPU = 0
_CLOCK_SM = 1
_PCIE_TX_BYTES = 0
_PCIE_RX_BYTES = 1
_MEMORY_V2 = 0x02000028  # nvmlMemory_v2: "used" excludes driver-reserved memory, as nvidia-smi
_DEVICE_SCAN_S = 2.0  # how often "auto" looks for ComfyUI's process on the other GPUs
# PCIe traffic is read once a second and held in between: the byte counters (field values
# 197/198, recent drivers) cost ~0.3 ms of CPU per read on an H200 and give the exact mean rate
# over the second; without them, nvmlDeviceGetPcieThroughput measures for 20 ms inside the call
# (two calls: ~42 ms, ~20 ms of CPU).
DEFAULT_PCIE_INTERVAL_S = 1.0
_FI_PCIE_TX_BYTES = 197
_FI_PCIE_RX_BYTES = 198
_VALUE_FIELDS = {0: "dVal", 1: "uiVal", 2: "ulVal", 3: "ullVal", 4: "sllVal", 5: "siVal",
                 6: "usVal"}  # nvmlValueType_t -> member of the value union
NAN = math.nan

declare("telemetry.rate_hz", DEFAULT_RATE_HZ)
declare("telemetry.device", "auto")  # "auto" (ComfyUI's GPU) or a GPU index


class GpuSampler:
    """Reads one GPU (and system RAM) `rate_hz` times a second on a daemon thread.

    Args:
        reader: the NVML choke point (`Nvml`, or one wrapping a fake module in tests).
        device_index: GPU to watch; None means "auto": the GPU ComfyUI's process (`set_pid`)
            runs on, GPU 0 until it is found.
        rate_hz: samples per second, 1 to 20.
        capacity: rows kept in the ring buffer (older rows are overwritten).
        ram_reader: returns system RAM used/total (injectable for tests).
        clock: wall clock for the `t` column.
        monotonic: clock for scheduling.
        wait: `wait(seconds)` between samples; returns early when woken. Tests pass one that
            advances a fake clock.
        pcie_interval_s: PCIe throughput is read this often (it is slow to read) and the last
            reading is repeated in the rows between.
        bus: where a failing pass is reported (once per streak of failures); None: the log.

    Signals:
        device_changed(int): the watched GPU changed (the buffer was cleared); emitted on the
            thread that made the change (the sampler thread in auto mode).
    """

    def __init__(
        self,
        reader: NvmlReader,
        *,
        device_index: int | None = None,
        rate_hz: float = DEFAULT_RATE_HZ,
        capacity: int = DEFAULT_CAPACITY,
        ram_reader: Callable[[], RamReading] = read_ram,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        wait: Callable[[float], Any] | None = None,
        pcie_interval_s: float = DEFAULT_PCIE_INTERVAL_S,
        bus: MessageBus | None = None,
    ) -> None:
        self.reader = reader
        self.ring = RingBuffer(COLUMNS, capacity)
        self.device_changed = Signal("sampler.device_changed")
        self.missed = 0
        self._ram_reader = ram_reader
        self._clock = clock
        self._monotonic = monotonic
        self._wake = threading.Event()
        self._wait = wait or self._wake.wait
        self._lock = threading.Lock()
        self._rate_hz = _checked_rate(rate_hz)
        self._auto = device_index is None
        self._device = 0 if device_index is None else int(device_index)
        self._generation = 0  # bumped when the device changes; stale passes are dropped
        self._pid: int | None = None
        self._next_scan = 0.0
        self._memory_v2 = True  # until the driver says it lacks nvmlDeviceGetMemoryInfo_v2
        self._pcie_interval_s = pcie_interval_s
        self._pcie_due = 0.0
        self._pcie_last = (NAN, NAN)
        self._pcie_counters: bool | None = None  # None: not tried yet on this GPU
        self._pcie_previous: tuple[float, float, float] | None = None  # t_s, rx, tx counters
        self._stopping = False
        self._reschedule = False
        self._thread: threading.Thread | None = None
        self._supervisor = Supervisor("the GPU sampler", bus=bus)

    # --- settings (any thread) -----------------------------------------------------------------

    @property
    def rate_hz(self) -> float:
        return self._rate_hz

    def set_rate(self, rate_hz: float) -> None:
        """Change the sampling rate (1-20 Hz); takes effect at once."""
        self._rate_hz = _checked_rate(rate_hz)
        self._reschedule = True
        self._wake.set()

    @property
    def pid(self) -> int | None:
        return self._pid

    def set_pid(self, pid: int | None) -> None:
        """ComfyUI's process id (from the launcher); None when we did not launch it."""
        self._pid = int(pid) if pid else None
        self._next_scan = 0.0

    @property
    def device_index(self) -> int:
        return self._device

    @property
    def auto_device(self) -> bool:
        return self._auto

    def set_device(self, index: int | None) -> None:
        """Watch GPU `index`, or None for auto (ComfyUI's GPU). Clears the buffer on a change."""
        self._auto = index is None
        self._next_scan = 0.0
        if index is not None:
            self._switch_device(int(index))

    @property
    def problem(self) -> NvmlUnavailable | None:
        """Why there is no GPU data (no driver, no permission, GPU lost), or None."""
        return self.reader.problem

    # --- data (any thread) ---------------------------------------------------------------------

    def snapshot(self, since_t: float | None = None) -> dict[str, np.ndarray]:
        """All series as numpy arrays in time order (keys: `COLUMNS`)."""
        return self.ring.snapshot(since_t)

    def latest(self) -> dict[str, float] | None:
        return self.ring.latest()

    # --- thread --------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive()

    def start(self) -> None:
        """Start the sampling thread (no-op if it runs already)."""
        with self._lock:
            if self.running:
                return
            self._stopping = False
            self._wake.clear()
            self._thread = threading.Thread(
                target=self.run_blocking, name="wan22-gpu-sampler", daemon=True
            )
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread and wait for it (the NVML pass in flight finishes first)."""
        with self._lock:
            thread, self._thread = self._thread, None
            self._stopping = True
            self._wake.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def run_blocking(self, max_samples: int | None = None) -> None:
        """The sampling loop (the thread's body; tests call it directly with a fake clock)."""
        due = self._monotonic()
        taken = 0
        while not self._stopping:
            # a bug in one pass must not end the graph for the session
            self._supervisor.guard(self.sample_once)
            taken += 1
            if max_samples is not None and taken >= max_samples:
                return
            due = self._next_due(due)
            self._wait(max(0.0, due - self._monotonic()))
            self._wake.clear()

    def _next_due(self, due: float) -> float:
        interval = 1.0 / self._rate_hz
        now = self._monotonic()
        if self._reschedule:
            self._reschedule = False
            return now + interval
        due += interval
        if due < now:  # the pass overran: skip to the next slot on the grid, never burst
            skipped = math.ceil((now - due) / interval)
            self.missed += skipped
            due += skipped * interval
        return due

    # --- one pass ------------------------------------------------------------------------------

    def sample_once(self) -> tuple[float, ...]:
        """Read every series once and append the row; returns it (column order)."""
        generation = self._generation
        t = self._clock()
        gpu = self._read_gpu(self._device)
        if self._auto and self._pid is not None and math.isnan(gpu[2]):
            self._maybe_follow_pid()  # ComfyUI is not on this GPU (yet): look on the others
        ram = self._ram_reader()
        row = (t, *gpu, ram.used, ram.total)
        if generation == self._generation:
            self.ring.append(row)
        return row

    def _read_gpu(self, index: int) -> tuple[float, ...]:
        reader = self.reader
        handle = reader.handle(index)
        if is_na(handle):
            return (NAN,) * (len(COLUMNS) - 3)
        used, total = self._memory(handle)
        util = reader.query("nvmlDeviceGetUtilizationRates", handle)
        return (
            used,
            total,
            self._process_memory(handle),
            _num(getattr(util, "gpu", None)),
            _num(getattr(util, "memory", None)),
            _num(reader.query("nvmlDeviceGetTemperature", handle, _TEMPERATURE_GPU)),
            _num(reader.query("nvmlDeviceGetPowerUsage", handle), 1e-3),
            _num(reader.query("nvmlDeviceGetEnforcedPowerLimit", handle), 1e-3),
            _num(reader.query("nvmlDeviceGetClockInfo", handle, _CLOCK_SM)),
            *self._pcie(handle),
        )

    def _pcie(self, handle: Any) -> tuple[float, float]:
        """(rx, tx) bytes/s, read when due and repeated in between (DEFAULT_PCIE_INTERVAL_S)."""
        now = self._monotonic()
        if now < self._pcie_due:
            return self._pcie_last
        self._pcie_due = now + self._pcie_interval_s
        rates = self._pcie_from_counters(handle) if self._pcie_counters is not False else None
        if rates is None:
            query = self.reader.query
            rates = (
                _num(query("nvmlDeviceGetPcieThroughput", handle, _PCIE_RX_BYTES), 1024.0),
                _num(query("nvmlDeviceGetPcieThroughput", handle, _PCIE_TX_BYTES), 1024.0),
            )
        self._pcie_last = rates
        return rates

    def _pcie_from_counters(self, handle: Any) -> tuple[float, float] | None:
        values = self.reader.query(
            "nvmlDeviceGetFieldValues", handle, [_FI_PCIE_RX_BYTES, _FI_PCIE_TX_BYTES])
        counters = _field_values(values)
        if counters is None:
            if self._pcie_counters is None:
                self._pcie_counters = False  # this driver or card has none: use the slow call
            return None
        self._pcie_counters = True
        previous, self._pcie_previous = self._pcie_previous, counters
        if previous is None or counters[0] <= previous[0]:
            return NAN, NAN
        dt = counters[0] - previous[0]
        rx, tx = counters[1] - previous[1], counters[2] - previous[2]
        return (rx / dt if rx >= 0 else NAN), (tx / dt if tx >= 0 else NAN)  # < 0: wrapped

    def _memory(self, handle: Any) -> tuple[float, float]:
        info = None
        if self._memory_v2:
            info = self.reader.query("nvmlDeviceGetMemoryInfo", handle, _MEMORY_V2)
        if is_na(info):
            info = self.reader.query("nvmlDeviceGetMemoryInfo", handle)
            if self._memory_v2 and not is_na(info):
                self._memory_v2 = False  # old driver: v1 works, v2 does not
        if is_na(info):
            return NAN, NAN
        return _num(getattr(info, "used", None)), _num(getattr(info, "total", None))

    def _process_memory(self, handle: Any) -> float:
        """Bytes ComfyUI's process holds on this GPU; NaN when unknown or not on this GPU."""
        pid = self._pid
        if pid is None:
            return NAN
        processes = self.reader.query("nvmlDeviceGetComputeRunningProcesses", handle)
        if is_na(processes):
            return NAN
        for process in processes:
            if getattr(process, "pid", None) == pid:
                return _num(getattr(process, "usedGpuMemory", None))
        return NAN

    def _maybe_follow_pid(self) -> None:
        now = self._monotonic()
        if now < self._next_scan:
            return
        self._next_scan = now + _DEVICE_SCAN_S
        found = device_of_pid(self.reader, self._pid)
        if found is not None and found != self._device:
            self._switch_device(found)

    def _switch_device(self, index: int) -> None:
        with self._lock:
            if index == self._device:
                return
            self._device = index
            self._generation += 1
            self._pcie_due, self._pcie_last = 0.0, (NAN, NAN)
            self._pcie_counters, self._pcie_previous = None, None
            self.ring.clear()
        log.info("GPU telemetry now watches GPU %d", index)
        self.device_changed.emit(index)


def list_devices(reader: NvmlReader) -> list[tuple[int, str]]:
    """(index, name) of every GPU NVML sees; empty when NVML is unavailable."""
    count = reader.query("nvmlDeviceGetCount", default=0)
    devices = []
    for index in range(int(count) if not is_na(count) else 0):
        name = reader.query("nvmlDeviceGetName", reader.handle(index), default=f"GPU {index}")
        devices.append((index, name.decode() if isinstance(name, bytes) else str(name)))
    return devices


def device_of_pid(reader: NvmlReader, pid: int | None) -> int | None:
    """The index of the GPU on which process `pid` has a CUDA context, or None."""
    if pid is None:
        return None
    count = reader.query("nvmlDeviceGetCount", default=0)
    for index in range(int(count) if not is_na(count) else 0):
        processes = reader.query("nvmlDeviceGetComputeRunningProcesses", reader.handle(index))
        if not is_na(processes) and any(getattr(p, "pid", None) == pid for p in processes):
            return index
    return None


def _field_values(values: Any) -> tuple[float, float, float] | None:
    """(timestamp s, rx bytes, tx bytes) from nvmlDeviceGetFieldValues, or None if unusable."""
    if is_na(values):
        return None
    try:
        rx, tx = values[0], values[1]
        if rx.nvmlReturn != 0 or tx.nvmlReturn != 0:
            return None
        read = [getattr(v.value, _VALUE_FIELDS.get(int(v.valueType), "ullVal")) for v in (rx, tx)]
        return float(rx.timestamp) / 1e6, float(read[0]), float(read[1])  # timestamp in us
    except (AttributeError, IndexError, TypeError, ValueError):
        return None


def _num(value: Any, scale: float = 1.0) -> float:
    """An NVML reading as a float (NaN for NA/None, e.g. usedGpuMemory under Windows WDDM)."""
    if is_na(value):
        return NAN
    try:
        return float(value) * scale
    except (TypeError, ValueError):
        return NAN


def _checked_rate(rate_hz: float) -> float:
    rate = float(rate_hz)
    if not MIN_RATE_HZ <= rate <= MAX_RATE_HZ:
        raise ValueError(f"sampling rate must be {MIN_RATE_HZ:g} to {MAX_RATE_HZ:g} Hz, not {rate:g}")
    return rate
