"""The NVML choke point: lazy init, NA instead of errors, readable reasons, recovery."""

from __future__ import annotations

import math

import pytest

from wan22_gui.core.telemetry.nvml import NA, Nvml, is_na


class NVMLError(Exception):
    def __init__(self, value: int) -> None:
        super().__init__(f"NVML error {value}")
        self.value = value


class TinyNvml:
    """The smallest pynvml-like module: counts init calls and fails on demand."""

    NVMLError = NVMLError

    def __init__(self, init_error: int | None = None) -> None:
        self.init_error = init_error
        self.inits = 0
        self.shutdowns = 0
        self.temp_error: int | None = None

    def nvmlInit(self) -> None:
        self.inits += 1
        if self.init_error is not None:
            raise NVMLError(self.init_error)

    def nvmlShutdown(self) -> None:
        self.shutdowns += 1

    def nvmlDeviceGetCount(self) -> int:
        return 1

    def nvmlDeviceGetHandleByIndex(self, index: int) -> str:
        if index != 0:
            raise NVMLError(2)  # invalid argument
        return "gpu0"

    def nvmlDeviceGetTemperature(self, handle: str, sensor: int) -> int:
        if self.temp_error is not None:
            raise NVMLError(self.temp_error)
        return 61


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def make(module, clock=None) -> Nvml:
    return Nvml(module, clock=clock or Clock(), register_atexit=False)


def test_init_is_lazy_and_happens_once():
    fake = TinyNvml()
    nvml = make(fake)
    assert fake.inits == 0
    assert nvml.query("nvmlDeviceGetTemperature", nvml.handle(0), 0) == 61
    assert nvml.query("nvmlDeviceGetCount") == 1
    assert fake.inits == 1
    assert nvml.problem is None


def test_unsupported_value_is_na_not_an_error():
    fake = TinyNvml()
    fake.temp_error = 3  # NOT_SUPPORTED
    nvml = make(fake)
    value = nvml.query("nvmlDeviceGetTemperature", nvml.handle(0), 0)
    assert value is NA and is_na(value)
    assert nvml.query("nvmlDeviceGetTemperature", "gpu0", 0, default=-1) == -1
    assert nvml.problem is None, "one unsupported value must not make NVML unavailable"
    assert nvml.query("nvmlNoSuchFunction") is NA


def test_na_behaves_as_missing_number():
    assert str(NA) == "N/A" and f"{NA:.1f}" == "N/A"
    assert not NA
    assert math.isnan(float(NA))


@pytest.mark.parametrize(
    "code, words",
    [(12, "No NVIDIA driver found"), (9, "not loaded"), (4, "No permission"), (999, "could not start")],
)
def test_init_failure_explains_why(code, words):
    nvml = make(TinyNvml(init_error=code))
    assert not nvml.available()
    assert nvml.query("nvmlDeviceGetCount") is NA
    assert nvml.device_count() == 0
    assert words in str(nvml.problem)
    assert nvml.problem.hint, "the user must be told what to do"
    assert words in nvml.why_unavailable()


def test_missing_bindings_explained(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pynvml(name, *args, **kwargs):
        if name == "pynvml":
            raise ImportError("No module named 'pynvml'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pynvml)
    nvml = Nvml(None, register_atexit=False)
    assert not nvml.available()
    assert "nvidia-ml-py" in str(nvml.problem)


def test_driver_lost_mid_run_then_recovers_after_retry_interval():
    fake = TinyNvml()
    clock = Clock()
    nvml = Nvml(fake, clock=clock, retry_s=5.0, register_atexit=False)
    assert nvml.query("nvmlDeviceGetTemperature", nvml.handle(0), 0) == 61
    fake.temp_error = 15  # GPU is lost
    assert nvml.query("nvmlDeviceGetTemperature", "gpu0", 0) is NA
    assert "GPU stopped answering" in str(nvml.problem)
    assert fake.shutdowns == 1
    # While lost: no hammering of the driver, just NA.
    fake.temp_error = None
    fake.init_error = 9
    clock.now += 1
    assert nvml.query("nvmlDeviceGetTemperature", "gpu0", 0) is NA
    assert fake.inits == 1
    clock.now += 5  # retry: driver still not loaded
    assert nvml.query("nvmlDeviceGetCount") is NA
    assert fake.inits == 2 and "not loaded" in str(nvml.problem)
    fake.init_error = None
    clock.now += 5  # retry succeeds: values come back, handle is fetched again
    assert nvml.query("nvmlDeviceGetTemperature", nvml.handle(0), 0) == 61
    assert nvml.problem is None


def test_shutdown_is_idempotent():
    fake = TinyNvml()
    nvml = make(fake)
    nvml.available()
    nvml.shutdown()
    nvml.shutdown()
    assert fake.shutdowns == 1
