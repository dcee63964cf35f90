"""On a machine with a real NVIDIA datacenter GPU: `pytest -m gpu tests/core/test_gpu*.py`."""

from __future__ import annotations

import pytest

from wan22_gui.core.gpu import detect_gpus
from wan22_gui.core.presets import load_presets

pytestmark = pytest.mark.gpu


def test_real_datacenter_gpu_is_detected_and_gets_the_hopper_preset():
    report = detect_gpus()
    if not report.gpus:
        pytest.skip(f"NVML reports no GPU here: {report.problem}")
    hopper = [g for g in report.gpus if any(n in g.name for n in ("H100", "H200"))]
    if not hopper:
        pytest.skip(f"no H100/H200 here (found {[g.name for g in report.gpus]})")
    gpu = hopper[0]
    assert gpu.vram_total > 70 * 1024**3
    assert gpu.compute_capability is not None and gpu.compute_capability[0] >= 9
    assert report.driver_version and report.cuda_version
    preset = load_presets().choose(gpu)
    assert preset.name == "h100-h200", preset.name
    print(f"{gpu.summary()} driver {report.driver_version} CUDA {report.cuda_version}"
          f" -> preset {preset.name}: {' '.join(preset.argv())}")
