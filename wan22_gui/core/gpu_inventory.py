"""The app's GPU list: detected once through the shared NVML reader, on whichever thread asks.

Detection blocks (NVML init, one query per card), so it is never done at build time nor on
the GUI thread: a panel asks `report()` from a background task; the CLI asks it directly.
"""

from __future__ import annotations

import threading

from wan22_gui.core.gpu import GpuReport, detect_gpus
from wan22_gui.core.telemetry.nvml import Nvml


class GpuInventory:
    """A thread-safe, cached `detect_gpus(nvml)`: the first `report()` detects, later ones reuse."""

    def __init__(self, nvml: Nvml) -> None:
        self._nvml = nvml
        self._lock = threading.Lock()
        self._report: GpuReport | None = None

    def report(self) -> GpuReport:
        """The GPUs, driver and CUDA versions (blocking on the first call; never raises)."""
        with self._lock:
            if self._report is None:
                self._report = detect_gpus(self._nvml)
            return self._report
