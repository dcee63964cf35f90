"""GPU detection over (fake) NVML, and which GPU ComfyUI will use."""

from __future__ import annotations

import pytest

from wan22_gui.core.gpu import comfy_gpu_index, detect_gpus, gpu_for_comfy
from tests.fakes.fake_nvml import (
    GPU_IS_LOST,
    a100_80gb,
    driver_not_loaded,
    h100,
    library_not_found,
    make_nvml,
    rtx_4090,
    rtx_5090,
)


def test_detects_name_vram_driver_cuda_and_compute_capability():
    nvml = make_nvml(rtx_5090(), rtx_4090(), driver_version="575.51.03", cuda_version=12090)
    report = detect_gpus(nvml)
    assert report.problem is None
    assert [g.name for g in report.gpus] == ["NVIDIA GeForce RTX 5090", "NVIDIA GeForce RTX 4090"]
    assert report.gpus[0].compute_capability == (12, 0)
    assert report.gpus[1].summary() == "1: NVIDIA GeForce RTX 4090, 24.0 GiB, compute 8.9"
    assert (report.driver_version, report.cuda_version) == ("575.51.03", "12.9")
    assert nvml.init_count == nvml.shutdown_count == 1  # detection does not leave NVML open


@pytest.mark.parametrize("nvml,words", [
    (driver_not_loaded(), "driver is not loaded"),
    (library_not_found(), "No NVIDIA driver found"),
    (make_nvml(), "No NVIDIA GPU found"),
])
def test_no_gpu_gives_a_clear_message_not_an_error(nvml, words):
    report = detect_gpus(nvml)
    assert report.gpus == []
    assert "No NVIDIA GPU found" in report.problem and words in report.problem


def test_a_card_whose_readings_fail_still_appears_with_unknowns():
    nvml = make_nvml(h100())
    nvml.fail("nvmlDeviceGetCudaComputeCapability", 3)  # NOT_SUPPORTED
    report = detect_gpus(nvml)
    assert report.gpus[0].name == "NVIDIA H100 80GB HBM3"
    assert report.gpus[0].compute_capability_text == "unknown"


def test_a_lost_gpu_is_reported_in_words():
    nvml = make_nvml(a100_80gb())
    nvml.fail("nvmlDeviceGetCount", GPU_IS_LOST)
    report = detect_gpus(nvml)
    assert report.gpus == [] and "GPU" in report.problem


@pytest.mark.parametrize("args,env,expected", [
    ([], {}, 0),
    (["--cuda-device", "1"], {}, 1),
    (["--cuda-device=2"], {"CUDA_VISIBLE_DEVICES": "0"}, 2),  # ComfyUI overwrites the variable
    ([], {"CUDA_VISIBLE_DEVICES": "1,0"}, 1),
    ([], {"CUDA_VISIBLE_DEVICES": ""}, None),
    (["--default-device", "1"], {}, 1),
    (["--cpu"], {}, None),
])
def test_which_gpu_comfyui_will_use(args, env, expected):
    assert comfy_gpu_index(args, env) == expected


def test_gpu_for_comfy_picks_the_detected_card():
    report = detect_gpus(make_nvml(rtx_4090(), h100()))
    assert gpu_for_comfy(report, ["--cuda-device", "1"], {}).name.startswith("NVIDIA H100")
    assert gpu_for_comfy(report, ["--cuda-device", "5"], {}) is None
