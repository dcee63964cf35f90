"""A remote backend's GPU lane: VRAM and host RAM from its `/system_stats`, gaps (not zeros)
for what ComfyUI does not report, and a dead server is a gap with words, not a crash."""

from __future__ import annotations

import math
import threading

from wan22_gui.core.comfy.client import ComfyClient
from wan22_gui.core.telemetry.remote import RemoteGpuSampler, row_from_stats
from wan22_gui.core.telemetry.sampler import COLUMNS

GIB = 1024**3
# the shape of a real ComfyUI 0.3.64 reply (transcript 14, numbers of an H200)
STATS = {
    "system": {"os": "posix", "ram_total": 128 * GIB, "ram_free": 100 * GIB,
               "comfyui_version": "0.3.64"},
    "devices": [{"name": "cuda:0 NVIDIA H200 : cudaMallocAsync", "type": "cuda", "index": 0,
                 "vram_total": 140 * GIB, "vram_free": 40 * GIB,
                 "torch_vram_total": 90 * GIB, "torch_vram_free": 5 * GIB}],
}


def test_a_system_stats_reply_becomes_one_row_of_the_graph():
    row = dict(zip(COLUMNS, row_from_stats(STATS, 1000.0)))
    assert row["t"] == 1000.0
    assert row["vram_used"] == 100 * GIB and row["vram_total"] == 140 * GIB
    assert row["proc_vram"] == 90 * GIB  # what ComfyUI's allocator holds
    assert row["ram_used"] == 28 * GIB
    assert math.isnan(row["gpu_util"]) and math.isnan(row["power_w"])  # never measured
    assert row_from_stats(STATS, 1.0, device=1) is None


def test_the_sampler_reads_a_running_server_and_says_when_it_is_gone(standin):
    client = ComfyClient(standin.url, timeout=2.0)
    sampler = RemoteGpuSampler("h100", client.system_stats)
    try:
        assert sampler.sample_once()
        latest = sampler.latest()
        assert latest is not None and latest["vram_total"] > 0
        assert sampler.problem == ""
        standin.stop()
        assert not sampler.sample_once()
        assert standin.url in sampler.problem
        assert len(sampler.snapshot()["t"]) == 1  # the gap added no row
    finally:
        client.close()


def test_the_sampler_thread_samples_until_stopped():
    calls = []
    third = threading.Event()

    def stats():
        calls.append(1)
        if len(calls) >= 3:
            third.set()
        return STATS

    sampler = RemoteGpuSampler("lan-4090", stats, interval_s=0.01)
    sampler.start()
    try:
        assert third.wait(30)
    finally:
        sampler.stop()
    count = len(sampler.snapshot()["t"])
    assert count >= 3
    assert len(sampler.snapshot()["t"]) == count  # stopped: no more rows
