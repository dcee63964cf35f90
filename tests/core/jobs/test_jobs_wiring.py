"""The queue's links to telemetry and the launcher: used when present, harmless when not."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from wan22_gui.core.comfy.connection import ServerConnection, ServerInfo
from wan22_gui.core.jobs.phases import PhaseEvent
from wan22_gui.core.jobs.wiring import log_tail_fn, metrics_fn, preset_name


def test_job_metrics_come_from_a_running_sampler_only():
    assert metrics_fn(None)(0.0, 10.0, []) == {}  # no sampler: no figures, no error
    t = np.arange(0.0, 10.0, 0.5)
    sampler = SimpleNamespace(running=True, snapshot=lambda since_t=None: {
        "t": t, "vram_used": np.where(t > 5, 20 * 2**30, 8 * 2**30).astype(float)})
    phases = [PhaseEvent("j", "high_noise", "start", 5.0), PhaseEvent("j", "high_noise", "end", 9.0)]
    figures = metrics_fn(sampler)(1.0, 9.5, phases)
    assert figures["peak_vram_bytes"] == 20 * 2**30
    sampler.running = False
    assert metrics_fn(sampler)(1.0, 9.5, phases) == {}


def test_log_tail_reads_the_launched_process_or_its_crash_report():
    assert log_tail_fn(None)() == []
    server = SimpleNamespace(process=SimpleNamespace(lines=lambda n: [f"l{i}" for i in range(n)]))
    assert log_tail_fn(server)()[-1] == "l39"
    server = SimpleNamespace(process=None, last_crash=SimpleNamespace(last_lines=["Killed"]))
    assert log_tail_fn(server)() == ["Killed"]


def test_preset_is_named_only_for_a_server_we_launched():
    connection = ServerConnection()
    server = SimpleNamespace(plan=SimpleNamespace(preset=SimpleNamespace(name="rtx4090")))
    connection.set(ServerInfo("http://127.0.0.1:8188", "launched", pid=42))
    assert preset_name(connection, server) == "rtx4090"
    connection.set(ServerInfo("http://127.0.0.1:8188", "attached"))
    assert preset_name(connection, server) is None
