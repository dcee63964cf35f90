"""Which NVIDIA GPUs this machine has, and which one ComfyUI will use.

Detection goes through the telemetry's NVML choke point (`wan22_gui.core.telemetry.nvml.Nvml`),
so there is one place that initializes NVML and turns its errors into "not available". Tests
pass a fake pynvml module (`tests/fakes/fake_nvml.py`).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any, Mapping, Sequence

from wan22_gui.core.telemetry.nvml import Nvml, is_na

log = logging.getLogger("wan22.gpu")

GIB = 1024**3


@dataclass(frozen=True)
class GpuInfo:
    """One GPU as NVML reports it. `vram_total` is in bytes; NVML index order (PCI bus order)."""

    index: int
    name: str
    uuid: str
    vram_total: int
    compute_capability: tuple[int, int] | None

    @property
    def vram_gib(self) -> float:
        return self.vram_total / GIB

    @property
    def compute_capability_text(self) -> str:
        cc = self.compute_capability
        return f"{cc[0]}.{cc[1]}" if cc else "unknown"

    def summary(self) -> str:
        """One line for a list: "0: NVIDIA GeForce RTX 4090, 24.0 GiB, compute 8.9"."""
        return (f"{self.index}: {self.name}, {self.vram_gib:.1f} GiB, "
                f"compute {self.compute_capability_text}")


@dataclass(frozen=True)
class GpuReport:
    """What detection found. `problem` says in words why the list is empty (None when fine)."""

    gpus: list[GpuInfo] = field(default_factory=list)
    driver_version: str | None = None
    cuda_version: str | None = None  # highest CUDA the driver supports, e.g. "12.8"
    problem: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for gpu in data["gpus"]:
            cc = gpu["compute_capability"]
            gpu["compute_capability"] = f"{cc[0]}.{cc[1]}" if cc else None
        return data


NO_GPU_TEXT = (
    "No NVIDIA GPU found. ComfyUI can still run on the CPU (the CPU preset), but Wan 2.2 14B "
    "takes hours per clip that way."
)


def detect_gpus(nvml: Any = None) -> GpuReport:
    """Ask NVML for the GPUs, the driver version and the CUDA version the driver supports.

    Args:
        nvml: an `Nvml` reader (shared with the telemetry), a pynvml-like module (tests pass
            `FakeNvml`), or None to use the real pynvml for this one call.

    Never raises for a missing driver or library: the report's `problem` explains it.
    """
    owned = not hasattr(nvml, "query")
    reader = Nvml(nvml, register_atexit=False) if owned else nvml
    try:
        return _read_report(reader)
    finally:
        if owned:
            reader.shutdown()


def _read_report(reader: Any) -> GpuReport:
    if not reader.available():
        problem = reader.problem
        text = problem.user_text() if problem is not None else "NVML is not available."
        return GpuReport(problem=f"{NO_GPU_TEXT}\n{text}")
    driver = reader.query("nvmlSystemGetDriverVersion", default=None)
    cuda = reader.query("nvmlSystemGetCudaDriverVersion_v2", default=None)
    if is_na(cuda):
        cuda = reader.query("nvmlSystemGetCudaDriverVersion", default=None)
    count = reader.query("nvmlDeviceGetCount", default=0)
    gpus = [gpu for gpu in (_read_gpu(reader, i) for i in range(int(count or 0))) if gpu]
    problem = None if gpus else NO_GPU_TEXT
    return GpuReport(gpus, _text(driver), _cuda_text(cuda), problem)


def _read_gpu(reader: Any, index: int) -> GpuInfo | None:
    handle = reader.handle(index)
    if is_na(handle):
        log.warning("NVML lists GPU %d but gives no handle for it", index)
        return None
    memory = reader.query("nvmlDeviceGetMemoryInfo", handle, default=None)
    cc = reader.query("nvmlDeviceGetCudaComputeCapability", handle, default=None)
    return GpuInfo(
        index=index,
        name=_text(reader.query("nvmlDeviceGetName", handle, default=None)) or f"GPU {index}",
        uuid=_text(reader.query("nvmlDeviceGetUUID", handle, default=None)) or "",
        vram_total=int(memory.total) if not is_na(memory) else 0,
        compute_capability=(int(cc[0]), int(cc[1])) if not is_na(cc) else None,
    )


def _text(value: Any) -> str | None:
    if is_na(value):
        return None
    return value.decode() if isinstance(value, bytes) else str(value)


def _cuda_text(value: Any) -> str | None:
    """NVML gives CUDA 12.8 as 12080."""
    if is_na(value):
        return None
    value = int(value)
    return f"{value // 1000}.{(value % 1000) // 10}"


def comfy_gpu_index(args: Sequence[str], env: Mapping[str, str]) -> int | None:
    """The NVML index of the GPU ComfyUI will compute on, given its flags and environment.

    ComfyUI's `--cuda-device N` overwrites CUDA_VISIBLE_DEVICES with N, so N wins; otherwise
    the first id in CUDA_VISIBLE_DEVICES; otherwise GPU 0. `--default-device N` puts N first.
    Returns None with `--cpu`, or when CUDA_VISIBLE_DEVICES hides every GPU (empty or -1).
    Assumes NVML's order (PCI bus) matches CUDA's, which holds when CUDA_DEVICE_ORDER is
    PCI_BUS_ID or the GPUs are alike.
    """
    if "--cpu" in args:
        return None
    for flag in ("--cuda-device", "--default-device"):
        value = _flag_value(args, flag)
        if value is not None and value.strip().isdigit():
            return int(value)
    visible = env.get("CUDA_VISIBLE_DEVICES")
    if visible is None:
        return 0
    first = visible.split(",")[0].strip()
    if not first or first.startswith("-"):
        return None
    return int(first) if first.isdigit() else 0  # UUID/MIG names: assume the first GPU


def _flag_value(args: Sequence[str], flag: str) -> str | None:
    for position, arg in enumerate(args):
        if arg == flag and position + 1 < len(args):
            return args[position + 1]
        if arg.startswith(flag + "="):
            return arg.split("=", 1)[1]
    return None


def gpu_for_comfy(report: GpuReport, args: Sequence[str], env: Mapping[str, str]) -> GpuInfo | None:
    """The detected GpuInfo ComfyUI will use (None for CPU or when that index is missing)."""
    index = comfy_gpu_index(args, env)
    return next((gpu for gpu in report.gpus if gpu.index == index), None)
