"""The sampler on a real NVIDIA GPU: `python -m pytest -m gpu tests/gpu`.

Checks that the sampler's readings agree with `nvidia-smi` taken at the same moments, and that
a known allocation made by a child process shows up as a step of that size in the series.
Every test skips, with the reason, on a machine without a usable NVIDIA GPU.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from wan22_gui.core.telemetry.nvml import Nvml
from wan22_gui.core.telemetry.sampler import GpuSampler, device_of_pid

pytestmark = pytest.mark.gpu

MIB = 1024**2
GIB = 1024**3
CHILD = Path(__file__).with_name("alloc_child.py")
STEP_BYTES = 10 * GIB


@pytest.fixture(scope="module")
def nvml():
    reader = Nvml(register_atexit=False)
    if not reader.available():
        pytest.skip(f"no usable NVIDIA GPU: {reader.why_unavailable()}")
    if reader.device_count() == 0:
        pytest.skip("NVML works but reports no NVIDIA GPU")
    yield reader
    reader.shutdown()


def smi(index: int, fields: str) -> list[float]:
    """One `nvidia-smi --query-gpu` reading of GPU `index` (nvidia-smi's index = NVML's)."""
    out = subprocess.run(
        ["nvidia-smi", f"--id={index}", f"--query-gpu={fields}", "--format=csv,noheader,nounits"],
        capture_output=True, text=True, timeout=30, check=True,
    ).stdout
    return [float(v) if v.strip() not in ("[N/A]", "N/A") else float("nan")
            for v in out.strip().splitlines()[0].split(",")]


def test_memory_agrees_with_nvidia_smi_at_the_same_moments(nvml):
    if shutil.which("nvidia-smi") is None:
        pytest.skip("nvidia-smi is not on PATH")
    sampler = GpuSampler(nvml, device_index=0)
    for _ in range(5):
        before = smi(0, "memory.used,memory.total")
        row = dict(zip(sampler.ring.columns, sampler.sample_once()))
        after = smi(0, "memory.used,memory.total")
        used_mib, total_mib = row["vram_used"] / MIB, row["vram_total"] / MIB
        print(f"nvidia-smi used {before[0]:.0f}/{after[0]:.0f} MiB of {before[1]:.0f}; "
              f"sampler {used_mib:.0f} of {total_mib:.0f} MiB")
        assert total_mib == pytest.approx(before[1], rel=0.01)
        # memory within 1%: of the reading, or of the card when the GPU is nearly idle
        tolerance = max(0.01 * max(before[0], after[0]), 0.01 * before[1])
        assert min(before[0], after[0]) - tolerance <= used_mib <= max(before[0], after[0]) + tolerance


def test_other_readings_agree_with_nvidia_smi(nvml):
    if shutil.which("nvidia-smi") is None:
        pytest.skip("nvidia-smi is not on PATH")
    sampler = GpuSampler(nvml, device_index=0)
    temp, power_limit, sm_clock = smi(0, "temperature.gpu,power.limit,clocks.sm")
    row = dict(zip(sampler.ring.columns, sampler.sample_once()))
    print(f"nvidia-smi: {temp} C, limit {power_limit} W, SM {sm_clock} MHz; sampler: "
          f"{row['temp_c']} C, {row['power_w']:.0f}/{row['power_limit_w']:.0f} W, "
          f"SM {row['sm_clock_mhz']} MHz, util {row['gpu_util']}%, RAM {row['ram_used'] / GIB:.1f} GiB")
    assert abs(row["temp_c"] - temp) <= 3
    assert row["power_limit_w"] == pytest.approx(power_limit, rel=0.01)
    assert 0 < row["power_w"] <= row["power_limit_w"] * 1.2
    assert 0 <= row["gpu_util"] <= 100 and 0 <= row["mem_util"] <= 100
    assert row["ram_used"] > 0
    pcie = GpuSampler(nvml, device_index=0, pcie_interval_s=0.0)  # read PCIe on every pass
    pcie.sample_once()
    time.sleep(0.3)
    pcie.sample_once()  # a rate from the byte counters needs two readings
    row = pcie.latest()
    print(f"PCIe rx {row['pcie_rx']:.0f} B/s, tx {row['pcie_tx']:.0f} B/s"
          f" (byte counters: {pcie._pcie_counters})")
    assert row["pcie_rx"] >= 0 and row["pcie_tx"] >= 0


class Child:
    """The allocating child process, driven line by line."""

    def __init__(self, size: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(CHILD), str(size)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )

    def expect(self, word: str, timeout: float = 120.0) -> str:
        result: list[str] = []
        reader = threading.Thread(target=lambda: result.append(self.proc.stdout.readline()),
                                  daemon=True)
        reader.start()
        reader.join(timeout)
        line = result[0].strip() if result else ""
        if line.startswith("ERROR"):
            self.close()
            pytest.skip(f"cannot allocate GPU memory in a child process: {line[6:]}")
        assert line.startswith(word), f"child said {line!r}, expected {word}"
        return line

    def send(self, word: str) -> None:
        self.proc.stdin.write(word + "\n")
        self.proc.stdin.flush()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(30)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            stream.close()


def window(snap: dict, t0: float, t1: float, key: str) -> np.ndarray:
    values = snap[key][(snap["t"] >= t0) & (snap["t"] <= t1)]
    return values[np.isfinite(values)]


def test_a_known_allocation_shows_up_as_a_step_of_its_size(nvml):
    free = nvml.query("nvmlDeviceGetMemoryInfo", nvml.handle(0))
    if free.free < STEP_BYTES + 4 * GIB:
        pytest.skip(f"GPU 0 has only {free.free / GIB:.1f} GiB free; the test needs 14 GiB")
    sampler = GpuSampler(nvml, device_index=None, rate_hz=10)
    child = Child(STEP_BYTES)
    try:
        method = child.expect("CONTEXT").split()[1]
        sampler.set_pid(child.proc.pid)
        sampler.start()
        time.sleep(3.0)  # auto mode finds the child's GPU and records a baseline
        t_before = time.time()
        time.sleep(2.0)
        child.send("alloc")
        child.expect("ALLOCATED")
        time.sleep(0.5)
        t_held = time.time()
        smi_before = smi(sampler.device_index, "memory.used")[0] if shutil.which("nvidia-smi") else None
        row = sampler.latest()
        smi_after = smi(sampler.device_index, "memory.used")[0] if shutil.which("nvidia-smi") else None
        time.sleep(3.0)  # hold it for a few seconds
        t_held_end = time.time()
        child.send("free")
        child.expect("FREED")
        time.sleep(0.5)
        t_freed = time.time()
        time.sleep(2.0)
        child.send("exit")  # only now does the child's CUDA context go
    finally:
        sampler.stop()
        child.close()
    snap = sampler.snapshot()
    base = window(snap, t_before, t_before + 2.0, "vram_used")
    held = window(snap, t_held, t_held_end, "vram_used")
    after = window(snap, t_freed, t_freed + 2.0, "vram_used")
    assert base.size >= 10 and held.size >= 15 and after.size >= 10, "about 10 samples a second"
    step = np.median(held) - np.median(base)
    drop = np.median(held) - np.median(after)
    print(f"allocated {STEP_BYTES / GIB:.2f} GiB with {method} on GPU {sampler.device_index}: "
          f"step up {step / GIB:.3f} GiB, step down {drop / GIB:.3f} GiB, "
          f"{snap['t'].size} samples in {snap['t'][-1] - snap['t'][0]:.1f} s, missed {sampler.missed}")
    if smi_before is not None:  # under load, too: the sampler and nvidia-smi agree within 1%
        print(f"while held: nvidia-smi {smi_before:.0f}/{smi_after:.0f} MiB,"
              f" sampler {row['vram_used'] / MIB:.0f} MiB")
        assert row["vram_used"] / MIB == pytest.approx((smi_before + smi_after) / 2, rel=0.01)
    assert step == pytest.approx(STEP_BYTES, rel=0.03)
    assert drop == pytest.approx(STEP_BYTES, rel=0.03)
    assert np.ptp(held) < 0.02 * STEP_BYTES, "flat while held"
    proc_held = window(snap, t_held, t_held_end, "proc_vram")
    if proc_held.size == 0:
        print("per-process memory not visible here (PID namespace or WDDM): not checked")
    else:
        assert np.median(proc_held) >= STEP_BYTES
        assert device_of_pid(nvml, child.proc.pid) is None, "child has exited"


def test_sampling_at_10_hz_keeps_its_rate_on_real_nvml(nvml):
    sampler = GpuSampler(nvml, device_index=0, rate_hz=10)
    sampler.start()
    time.sleep(5.0)
    sampler.stop()
    t = sampler.snapshot()["t"]
    steps = np.diff(t)
    print(f"{t.size} samples in {t[-1] - t[0]:.2f} s, median step {np.median(steps) * 1000:.1f} ms,"
          f" max {steps.max() * 1000:.1f} ms, missed {sampler.missed}")
    assert 45 <= t.size <= 52
    assert np.median(steps) == pytest.approx(0.1, abs=0.005)
