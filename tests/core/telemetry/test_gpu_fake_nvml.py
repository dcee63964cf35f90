"""The fake NVML behaves like pynvml where callers can tell: units, errors, init/shutdown."""

from __future__ import annotations

import pynvml
import pytest

from tests.fakes.fake_nvml import (
    NOT_SUPPORTED,
    driver_not_loaded,
    h100,
    make_nvml,
    rtx_4090,
)


def test_calls_before_init_raise_like_pynvml():
    nvml = make_nvml(rtx_4090())
    with pytest.raises(pynvml.NVMLError_Uninitialized):
        nvml.nvmlDeviceGetCount()


def test_readings_are_scriptable_per_read():
    nvml = make_nvml(rtx_4090(memory_used=[1 << 30, 2 << 30]), h100(temp_c=lambda: 71))
    nvml.nvmlInit()
    first, second = (nvml.nvmlDeviceGetHandleByIndex(i) for i in range(2))
    assert [nvml.nvmlDeviceGetMemoryInfo(first).used for _ in range(3)] == [
        1 << 30, 2 << 30, 2 << 30]
    assert nvml.nvmlDeviceGetTemperature(second, pynvml.NVML_TEMPERATURE_GPU) == 71
    assert nvml.nvmlDeviceGetCudaComputeCapability(second) == (9, 0)
    nvml.nvmlShutdown()
    assert (nvml.init_count, nvml.shutdown_count) == (1, 1)


def test_scripted_failures_use_the_real_error_classes():
    nvml = make_nvml(rtx_4090())
    nvml.nvmlInit()
    handle = nvml.nvmlDeviceGetHandleByIndex(0)
    nvml.fail("nvmlDeviceGetPowerUsage", NOT_SUPPORTED)
    with pytest.raises(pynvml.NVMLError_NotSupported, match="Not Supported"):
        nvml.nvmlDeviceGetPowerUsage(handle)
    nvml.fail("nvmlDeviceGetPowerUsage", None)
    assert nvml.nvmlDeviceGetPowerUsage(handle) == 30_000
    with pytest.raises(pynvml.NVMLError_DriverNotLoaded, match="Driver Not Loaded"):
        driver_not_loaded().nvmlInit()
