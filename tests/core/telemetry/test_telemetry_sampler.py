"""The GPU sampler against the fake NVML: rates, drift, bounds, missing values, driver loss."""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest

from tests.core.telemetry_helpers import WALL_OFFSET, FakeTime, make_sampler
from tests.fakes.fake_nvml import (
    GPU_IS_LOST,
    MIB,
    NOT_SUPPORTED,
    h100,
    library_not_found,
    make_nvml,
    rtx_4090,
)
from wan22_gui.core.telemetry.sampler import COLUMNS, device_of_pid, list_devices

GIB = 1024**3


def test_readings_in_core_units():
    gpu = rtx_4090(
        memory_used=10 * GIB, util_gpu=97, util_mem=40, temp_c=71, power_mw=431_500,
        sm_clock_mhz=2520, pcie_rx_kbs=2_000, pcie_tx_kbs=500, processes=[(4242, 9 * GIB)],
    )
    sampler = make_sampler(make_nvml(gpu))
    sampler.set_pid(4242)
    sampler.sample_once()
    row = sampler.latest()
    assert set(row) == set(COLUMNS)
    assert row["t"] == pytest.approx(1000.0 + WALL_OFFSET)
    assert row["vram_used"] == 10 * GIB
    assert row["vram_total"] == 24564 * MIB
    assert row["proc_vram"] == 9 * GIB
    assert (row["gpu_util"], row["mem_util"], row["temp_c"]) == (97, 40, 71)
    assert row["power_w"] == pytest.approx(431.5)
    assert row["power_limit_w"] == pytest.approx(450.0)
    assert row["sm_clock_mhz"] == 2520
    assert row["pcie_rx"] == 2_000 * 1024 and row["pcie_tx"] == 500 * 1024
    assert row["ram_used"] == 8 * GIB and row["ram_total"] == 64 * GIB


@pytest.mark.parametrize("rate", [1.0, 5.0, 10.0, 20.0])
def test_rate_sets_the_spacing_of_samples(rate):
    time_ = FakeTime()
    sampler = make_sampler(make_nvml(h100()), time_, rate_hz=rate)
    sampler.run_blocking(max_samples=21)
    t = sampler.snapshot()["t"]
    assert t.size == 21
    np.testing.assert_allclose(np.diff(t), 1.0 / rate, atol=1e-6)


def test_rate_outside_1_to_20_hz_is_refused():
    sampler = make_sampler(make_nvml(h100()))
    for bad in (0.5, 0.0, 25.0):
        with pytest.raises(ValueError, match="1 to 20 Hz"):
            sampler.set_rate(bad)
    assert sampler.rate_hz == 10.0


def test_slow_nvml_passes_do_not_make_the_timeline_drift():
    # Each pass costs 30 ms of the 100 ms period. A loop that sleeps a full period after each
    # pass would end 100 x 30 ms = 3 s late; this one stays on the 0.1 s grid.
    time_ = FakeTime(cost=0.03)
    sampler = make_sampler(make_nvml(h100(temp_c=time_.temperature)), time_, rate_hz=10)
    sampler.run_blocking(max_samples=101)
    t = sampler.snapshot()["t"] - sampler.snapshot()["t"][0]
    np.testing.assert_allclose(t, np.arange(101) * 0.1, atol=1e-6)
    assert sampler.missed == 0
    assert max(time_.waits) == pytest.approx(0.07)


def test_an_overrunning_pass_skips_samples_instead_of_bursting():
    time_ = FakeTime(cost=0.25)  # every pass takes 2.5 periods
    sampler = make_sampler(make_nvml(h100(temp_c=time_.temperature)), time_, rate_hz=10)
    sampler.run_blocking(max_samples=10)
    t = sampler.snapshot()["t"]
    steps = np.diff(t)
    assert np.all(steps >= 0.25 - 1e-9), "no burst of back-to-back samples to catch up"
    on_grid = (t - t[0]) / 0.1
    np.testing.assert_allclose(on_grid, np.round(on_grid), atol=1e-6)
    assert sampler.missed >= 10


def test_rate_change_takes_effect_at_once():
    time_ = FakeTime()
    sampler = make_sampler(make_nvml(h100()), time_, rate_hz=1)
    sampler.run_blocking(max_samples=3)
    sampler.set_rate(20)
    sampler.run_blocking(max_samples=3)
    steps = np.diff(sampler.snapshot()["t"])
    assert steps[0] == pytest.approx(1.0)
    assert steps[-1] == pytest.approx(0.05)


def test_ring_buffer_bounds_memory_over_a_long_session():
    sampler = make_sampler(make_nvml(h100()), capacity=500)
    sampler.run_blocking(max_samples=1)
    size = sampler.ring.nbytes
    sampler.run_blocking(max_samples=2000)
    snap = sampler.snapshot()
    assert snap["t"].size == 500 and sampler.ring.nbytes == size
    assert np.all(np.diff(snap["t"]) > 0), "oldest rows dropped, order kept"


def test_an_unsupported_value_is_missing_and_the_rest_still_read():
    fake = make_nvml(rtx_4090(memory_used=3 * GIB))
    fake.fail("nvmlDeviceGetPowerUsage", NOT_SUPPORTED)
    fake.fail("nvmlDeviceGetPcieThroughput", NOT_SUPPORTED)
    sampler = make_sampler(fake)
    sampler.sample_once()
    row = sampler.latest()
    assert math.isnan(row["power_w"]) and math.isnan(row["pcie_rx"])
    assert row["vram_used"] == 3 * GIB and row["temp_c"] == 35
    assert sampler.problem is None


def test_driver_loss_mid_run_gives_gaps_a_reason_and_then_recovers():
    time_ = FakeTime()
    fake = make_nvml(h100(memory_used=20 * GIB))
    sampler = make_sampler(fake, time_, rate_hz=10)
    sampler.run_blocking(max_samples=5)
    fake.fail("nvmlDeviceGetMemoryInfo", GPU_IS_LOST)
    sampler.run_blocking(max_samples=5)
    assert "GPU stopped answering" in str(sampler.problem)
    fake.fail("nvmlDeviceGetMemoryInfo", None)  # the driver came back
    sampler.run_blocking(max_samples=80)  # 8 s: past the 5 s retry interval
    snap = sampler.snapshot()
    vram = snap["vram_used"]
    assert snap["t"].size == 90, "the timeline keeps going through the outage"
    assert np.all(vram[:5] == 20 * GIB)
    assert np.all(np.isnan(vram[5:10])) and np.all(np.isnan(snap["temp_c"][6:10]))
    assert np.all(snap["ram_used"] == 8 * GIB), "system RAM is still recorded"
    assert np.all(vram[-20:] == 20 * GIB), "values return once NVML answers again"
    assert sampler.problem is None


def test_no_driver_still_records_ram_and_says_why():
    sampler = make_sampler(library_not_found())
    sampler.sample_once()
    row = sampler.latest()
    assert math.isnan(row["vram_used"]) and row["ram_used"] == 8 * GIB
    assert "No NVIDIA driver" in str(sampler.problem)
    assert list_devices(sampler.reader) == []


def test_auto_device_follows_comfyui_to_its_gpu():
    fake = make_nvml(
        rtx_4090(memory_used=1 * GIB), h100(memory_used=40 * GIB, processes=[(77, 38 * GIB)])
    )
    sampler = make_sampler(fake)
    changes = []
    sampler.device_changed.connect(changes.append)
    assert sampler.auto_device and sampler.device_index == 0
    sampler.sample_once()
    sampler.set_pid(77)
    sampler.sample_once()  # not on GPU 0: looks on the others and switches
    sampler.sample_once()
    assert changes == [1] and sampler.device_index == 1
    snap = sampler.snapshot()
    assert list(snap["vram_used"]) == [40 * GIB], "the other GPU's rows were cleared"
    assert snap["proc_vram"][-1] == 38 * GIB
    assert list_devices(sampler.reader) == [(0, "NVIDIA GeForce RTX 4090"), (1, "NVIDIA H100 80GB HBM3")]
    assert device_of_pid(sampler.reader, 12345) is None


def test_a_chosen_device_is_kept_even_when_comfyui_runs_elsewhere():
    fake = make_nvml(rtx_4090(), h100(processes=[(77, GIB)]))
    sampler = make_sampler(fake, device_index=0)
    sampler.set_pid(77)
    sampler.sample_once()
    assert sampler.device_index == 0 and not sampler.auto_device
    sampler.set_device(None)
    sampler.sample_once()
    assert sampler.device_index == 1


def test_thread_starts_samples_and_stops():
    fake = make_nvml(h100())
    sampler = make_sampler(fake)  # fake time: waits return at once, so rows come quickly
    got_rows = threading.Event()
    sampler.ring.append = _wrap(sampler.ring.append, got_rows)
    sampler.start()
    sampler.start()  # a second start is a no-op
    assert got_rows.wait(10), "the sampler thread produced no row"
    assert sampler.running
    sampler.stop()
    assert not sampler.running
    count = len(sampler.ring)
    assert count > 0 and len(sampler.ring) == count, "no rows after stop"


def _wrap(append, event):
    def wrapped(row):
        append(row)
        event.set()

    return wrapped


def test_slow_pcie_counters_are_read_once_a_second_and_held_between():
    time_ = FakeTime()
    fake = make_nvml(h100(pcie_rx_kbs=[100, 200, 300, 400]))
    sampler = make_sampler(fake, time_, rate_hz=10)
    sampler.run_blocking(max_samples=25)  # 2.4 s
    rx = sampler.snapshot()["pcie_rx"] / 1024
    assert fake.calls.count("nvmlDeviceGetPcieThroughput") == 2 * 3
    assert list(rx[:10]) == [100] * 10 and list(rx[10:20]) == [200] * 10 and rx[20] == 300


def test_pcie_byte_counters_give_the_mean_rate_when_the_driver_has_them():
    from tests.core.telemetry_helpers import CounterNvml

    time_ = FakeTime()
    fake = CounterNvml(make_nvml(h100()), time_)
    sampler = make_sampler(fake, time_, rate_hz=10, pcie_interval_s=0.1)
    for step in range(5):
        fake.rx_bytes += 1_000_000_000 * step  # 0, 10, 20, 30 GB/s over the 0.1 s steps
        fake.tx_bytes += 5_000_000
        sampler.sample_once()
        time_.now += 0.1
    snap = sampler.snapshot()
    assert math.isnan(snap["pcie_rx"][0]), "a rate needs two readings"
    np.testing.assert_allclose(snap["pcie_rx"][1:], [10e9, 20e9, 30e9, 40e9], rtol=1e-9)
    np.testing.assert_allclose(snap["pcie_tx"][1:], 50e6, rtol=1e-9)
    assert "nvmlDeviceGetPcieThroughput" not in fake.calls, "the slow call is not needed"
