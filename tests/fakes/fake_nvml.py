"""A scriptable stand-in for the `pynvml` module (nvidia-ml-py), for tests without a GPU.

Pass a `FakeNvml` wherever the code takes an injectable `nvml` module object. It offers the
functions GPU detection and telemetry sampling use, with the real module's names, units and
error class, so code written against `pynvml` runs unchanged:

    nvml = FakeNvml([rtx_4090()])
    nvml.nvmlInit()
    handle = nvml.nvmlDeviceGetHandleByIndex(0)
    nvml.nvmlDeviceGetMemoryInfo(handle).total      # bytes, like pynvml

Scripting:
- Every `FakeGpu` field can be changed between calls (`nvml.gpus[0].temp_c = 81`).
- A field may hold a list (one value per read, the last one repeats) or a zero-argument
  callable (called on each read), so a test can script a VRAM ramp or a temperature spike.
- `nvml.fail("nvmlDeviceGetPowerUsage", NOT_SUPPORTED)` makes a function raise NVMLError with
  that code (for every GPU, or one with `index=`); `nvml.fail(..., None)` clears it.
- `driver_not_loaded()` gives a module whose `nvmlInit` raises like a machine without the
  NVIDIA driver; `library_not_found()` like one without libnvidia-ml.
- `nvml.calls` records the function names called; `init_count`/`shutdown_count` count the
  pairs, so a test can check that the code under test shuts NVML down.

Errors are the real `pynvml.NVMLError` subclasses, so `except pynvml.NVMLError` and
`except nvml.NVMLError` both catch them, and `str(err)` reads like the real one
("Driver Not Loaded", "Not Supported").
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pynvml

NVMLError = pynvml.NVMLError
UNINITIALIZED = pynvml.NVML_ERROR_UNINITIALIZED
INVALID_ARGUMENT = pynvml.NVML_ERROR_INVALID_ARGUMENT
NOT_SUPPORTED = pynvml.NVML_ERROR_NOT_SUPPORTED
NO_PERMISSION = pynvml.NVML_ERROR_NO_PERMISSION
DRIVER_NOT_LOADED = pynvml.NVML_ERROR_DRIVER_NOT_LOADED
LIBRARY_NOT_FOUND = pynvml.NVML_ERROR_LIBRARY_NOT_FOUND
GPU_IS_LOST = pynvml.NVML_ERROR_GPU_IS_LOST
UNKNOWN = pynvml.NVML_ERROR_UNKNOWN

MIB = 1024 * 1024


@dataclass
class FakeGpu:
    """One GPU's readings, in pynvml's units (bytes, %, °C, milliwatts, MHz, KB/s)."""

    name: str
    memory_total: int
    compute_capability: tuple[int, int]
    uuid: str = ""
    memory_used: Any = 0
    util_gpu: Any = 0
    util_mem: Any = 0
    temp_c: Any = 35
    power_mw: Any = 30_000
    power_limit_mw: Any = 450_000
    sm_clock_mhz: Any = 210
    mem_clock_mhz: Any = 405
    pcie_rx_kbs: Any = 0
    pcie_tx_kbs: Any = 0
    # (pid, used bytes or None when the driver does not say) per compute process
    processes: Any = field(default_factory=list)


@dataclass(frozen=True)
class FakeHandle:
    """What `nvmlDeviceGetHandleByIndex` returns (opaque to callers, like the real one)."""

    index: int


class FakeNvml:
    """A module-like object with pynvml's function names; see the module docstring."""

    NVMLError = NVMLError

    def __init__(
        self,
        gpus: list[FakeGpu] | None = None,
        *,
        driver_version: str = "570.86.10",
        cuda_version: int = 12080,
        init_error: int | None = None,
    ) -> None:
        self.gpus: list[FakeGpu] = list(gpus or [])
        for index, gpu in enumerate(self.gpus):
            if not gpu.uuid:
                gpu.uuid = f"GPU-fake{index:04d}-0000-0000-0000-000000000000"
        self.driver_version = driver_version
        self.cuda_version = cuda_version
        self.init_error = init_error
        self.calls: list[str] = []
        self.init_count = 0
        self.shutdown_count = 0
        self._refcount = 0
        self._failures: dict[tuple[str, int | None], int] = {}
        self._lock = threading.Lock()
        # pynvml constants the callers pass as arguments
        self.NVML_TEMPERATURE_GPU = pynvml.NVML_TEMPERATURE_GPU
        self.NVML_CLOCK_SM = pynvml.NVML_CLOCK_SM
        self.NVML_CLOCK_MEM = pynvml.NVML_CLOCK_MEM
        self.NVML_CLOCK_GRAPHICS = pynvml.NVML_CLOCK_GRAPHICS
        self.NVML_PCIE_UTIL_TX_BYTES = pynvml.NVML_PCIE_UTIL_TX_BYTES
        self.NVML_PCIE_UTIL_RX_BYTES = pynvml.NVML_PCIE_UTIL_RX_BYTES
        for name in dir(pynvml):
            if name.startswith("NVML_ERROR_") or name.startswith("NVMLError_"):
                setattr(self, name, getattr(pynvml, name))

    # -- scripting -------------------------------------------------------------------------
    def fail(self, function: str, code: int | None, *, index: int | None = None) -> None:
        """Make `function` raise NVMLError(code) (for one GPU index, or all); None clears it."""
        with self._lock:
            if code is None:
                self._failures.pop((function, index), None)
            else:
                self._failures[(function, index)] = code

    @property
    def initialized(self) -> bool:
        return self._refcount > 0

    # -- library ---------------------------------------------------------------------------
    def nvmlInit(self) -> None:
        self._record("nvmlInit")
        if self.init_error is not None:
            raise NVMLError(self.init_error)
        with self._lock:
            self._refcount += 1
            self.init_count += 1

    def nvmlShutdown(self) -> None:
        self._record("nvmlShutdown")
        with self._lock:
            if self._refcount == 0:
                raise NVMLError(UNINITIALIZED)
            self._refcount -= 1
            self.shutdown_count += 1

    def nvmlSystemGetDriverVersion(self) -> str:
        self._check("nvmlSystemGetDriverVersion")
        return self.driver_version

    def nvmlSystemGetCudaDriverVersion(self) -> int:
        self._check("nvmlSystemGetCudaDriverVersion")
        return self.cuda_version

    def nvmlSystemGetCudaDriverVersion_v2(self) -> int:
        self._check("nvmlSystemGetCudaDriverVersion_v2")
        return self.cuda_version

    def nvmlDeviceGetCount(self) -> int:
        self._check("nvmlDeviceGetCount")
        return len(self.gpus)

    def nvmlDeviceGetHandleByIndex(self, index: int) -> FakeHandle:
        self._check("nvmlDeviceGetHandleByIndex", index)
        if not 0 <= index < len(self.gpus):
            raise NVMLError(INVALID_ARGUMENT)
        return FakeHandle(index)

    # -- device identity -------------------------------------------------------------------
    def nvmlDeviceGetName(self, handle: FakeHandle) -> str:
        return self._gpu("nvmlDeviceGetName", handle).name

    def nvmlDeviceGetUUID(self, handle: FakeHandle) -> str:
        return self._gpu("nvmlDeviceGetUUID", handle).uuid

    def nvmlDeviceGetCudaComputeCapability(self, handle: FakeHandle) -> tuple[int, int]:
        return tuple(self._gpu("nvmlDeviceGetCudaComputeCapability", handle).compute_capability)

    # -- readings --------------------------------------------------------------------------
    def nvmlDeviceGetMemoryInfo(self, handle: FakeHandle, version: Any = None) -> SimpleNamespace:
        gpu = self._gpu("nvmlDeviceGetMemoryInfo", handle)
        total = int(_read(gpu.memory_total))
        used = int(_read(gpu.memory_used))
        return SimpleNamespace(total=total, used=used, free=max(0, total - used))

    def nvmlDeviceGetUtilizationRates(self, handle: FakeHandle) -> SimpleNamespace:
        gpu = self._gpu("nvmlDeviceGetUtilizationRates", handle)
        return SimpleNamespace(gpu=int(_read(gpu.util_gpu)), memory=int(_read(gpu.util_mem)))

    def nvmlDeviceGetTemperature(self, handle: FakeHandle, sensor: int) -> int:
        gpu = self._gpu("nvmlDeviceGetTemperature", handle)
        if sensor != pynvml.NVML_TEMPERATURE_GPU:
            raise NVMLError(INVALID_ARGUMENT)
        return int(_read(gpu.temp_c))

    def nvmlDeviceGetPowerUsage(self, handle: FakeHandle) -> int:
        return int(_read(self._gpu("nvmlDeviceGetPowerUsage", handle).power_mw))

    def nvmlDeviceGetEnforcedPowerLimit(self, handle: FakeHandle) -> int:
        return int(_read(self._gpu("nvmlDeviceGetEnforcedPowerLimit", handle).power_limit_mw))

    def nvmlDeviceGetClockInfo(self, handle: FakeHandle, clock_type: int) -> int:
        gpu = self._gpu("nvmlDeviceGetClockInfo", handle)
        if clock_type in (pynvml.NVML_CLOCK_SM, pynvml.NVML_CLOCK_GRAPHICS):
            return int(_read(gpu.sm_clock_mhz))
        if clock_type == pynvml.NVML_CLOCK_MEM:
            return int(_read(gpu.mem_clock_mhz))
        raise NVMLError(INVALID_ARGUMENT)

    def nvmlDeviceGetPcieThroughput(self, handle: FakeHandle, counter: int) -> int:
        gpu = self._gpu("nvmlDeviceGetPcieThroughput", handle)
        if counter == pynvml.NVML_PCIE_UTIL_RX_BYTES:
            return int(_read(gpu.pcie_rx_kbs))
        if counter == pynvml.NVML_PCIE_UTIL_TX_BYTES:
            return int(_read(gpu.pcie_tx_kbs))
        raise NVMLError(INVALID_ARGUMENT)

    def nvmlDeviceGetComputeRunningProcesses(self, handle: FakeHandle) -> list[SimpleNamespace]:
        gpu = self._gpu("nvmlDeviceGetComputeRunningProcesses", handle)
        return [
            SimpleNamespace(pid=pid, usedGpuMemory=used) for pid, used in _read(gpu.processes)
        ]

    # -- internals -------------------------------------------------------------------------
    def _record(self, name: str) -> None:
        with self._lock:
            self.calls.append(name)

    def _check(self, name: str, index: int | None = None) -> None:
        self._record(name)
        with self._lock:
            if self._refcount == 0:
                raise NVMLError(UNINITIALIZED)
            code = self._failures.get((name, index), self._failures.get((name, None)))
        if code is not None:
            raise NVMLError(code)

    def _gpu(self, name: str, handle: FakeHandle) -> FakeGpu:
        if not isinstance(handle, FakeHandle) or not 0 <= handle.index < len(self.gpus):
            self._record(name)
            raise NVMLError(INVALID_ARGUMENT)
        self._check(name, handle.index)
        return self.gpus[handle.index]


def _read(value: Any) -> Any:
    """A scripted value: a callable is called, a non-empty list is consumed (last one repeats)."""
    if callable(value):
        return value()
    if isinstance(value, list) and value and not isinstance(value[0], tuple):
        return value.pop(0) if len(value) > 1 else value[0]
    return value


# -- ready-made cards (memory totals as NVML reports them on real boards) ------------------
def rtx_5090(**kw: Any) -> FakeGpu:
    return FakeGpu("NVIDIA GeForce RTX 5090", 32607 * MIB, (12, 0), power_limit_mw=575_000, **kw)


def rtx_4090(**kw: Any) -> FakeGpu:
    return FakeGpu("NVIDIA GeForce RTX 4090", 24564 * MIB, (8, 9), power_limit_mw=450_000, **kw)


def a100_40gb(**kw: Any) -> FakeGpu:
    return FakeGpu("NVIDIA A100-SXM4-40GB", 40960 * MIB, (8, 0), power_limit_mw=400_000, **kw)


def a100_80gb(**kw: Any) -> FakeGpu:
    return FakeGpu("NVIDIA A100-SXM4-80GB", 81920 * MIB, (8, 0), power_limit_mw=400_000, **kw)


def h100(**kw: Any) -> FakeGpu:
    return FakeGpu("NVIDIA H100 80GB HBM3", 81559 * MIB, (9, 0), power_limit_mw=700_000, **kw)


def h200(**kw: Any) -> FakeGpu:
    return FakeGpu("NVIDIA H200", 143771 * MIB, (9, 0), power_limit_mw=700_000, **kw)


def unknown_16gb(**kw: Any) -> FakeGpu:
    """A card no preset names (so the VRAM tier decides)."""
    return FakeGpu("NVIDIA RTX A4000", 16376 * MIB, (8, 6), power_limit_mw=140_000, **kw)


def driver_not_loaded() -> FakeNvml:
    """A machine with the NVML library but no NVIDIA driver running (nvmlInit fails)."""
    return FakeNvml([], init_error=DRIVER_NOT_LOADED)


def library_not_found() -> FakeNvml:
    """A machine without libnvidia-ml at all (no NVIDIA driver installed)."""
    return FakeNvml([], init_error=LIBRARY_NOT_FOUND)


def make_nvml(*gpus: FakeGpu, **kw: Any) -> FakeNvml:
    """Shorthand: `make_nvml(rtx_4090(), h100())`."""
    return FakeNvml(list(gpus), **kw)


