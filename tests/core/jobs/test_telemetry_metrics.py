"""Per-job metrics: what the history stores and the job details show."""

from __future__ import annotations

import json

import numpy as np
import pytest

from wan22_gui.core.jobs.phases import PhaseEvent
from wan22_gui.core.jobs.metrics import job_metrics, phase_spans, summary_lines

GIB = 1024**3
T0 = 1_760_000_000.0


def series(seconds: int = 100) -> dict[str, np.ndarray]:
    """1 Hz samples from T0-10 to T0+seconds+10 (the job is T0..T0+seconds)."""
    t = T0 + np.arange(-10, seconds + 11, dtype=float)
    n = t.size
    vram = np.full(n, 2.0 * GIB)
    vram[(t >= T0 + 60) & (t <= T0 + 70)] = 30 * GIB  # VAE decode spike
    vram[t > T0 + seconds] = 40 * GIB  # after the job: must not count
    return {
        "t": t,
        "vram_used": vram,
        "proc_vram": vram - GIB,
        "gpu_util": np.where(t <= T0 + seconds, 80.0, 0.0),
        "power_w": np.full(n, 360.0),
        "temp_c": np.where(t == T0 + 50, 83.0, 60.0),
        "ram_used": np.full(n, 20.0 * GIB),
    }


def events() -> list[PhaseEvent]:
    return [
        PhaseEvent("j", "job_start", "mark", T0),
        PhaseEvent("j", "model_load", "start", T0 + 0),
        PhaseEvent("j", "model_load", "end", T0 + 10),
        PhaseEvent("j", "high_noise", "start", T0 + 10),
        PhaseEvent("j", "high_noise", "end", T0 + 30),
        PhaseEvent("j", "model_load", "start", T0 + 30),  # second expert
        PhaseEvent("j", "model_load", "end", T0 + 35),
        PhaseEvent("j", "low_noise", "start", T0 + 35),
        PhaseEvent("j", "low_noise", "end", T0 + 60),
        PhaseEvent("j", "vae_decode", "start", T0 + 60),  # never ends: the job failed here
    ]


def test_job_metrics_cover_only_the_job_window():
    m = job_metrics(series(), T0, T0 + 100, events())
    assert m["peak_vram_bytes"] == 30 * GIB
    assert m["peak_process_vram_bytes"] == 29 * GIB
    assert m["mean_gpu_util"] == 80.0
    assert m["peak_temp_c"] == 83.0
    assert m["peak_ram_bytes"] == 20 * GIB
    assert m["energy_wh"] == pytest.approx(360.0 * 100 / 3600)  # 360 W for 100 s = 10 Wh
    assert m["sample_count"] == 101 and m["duration_s"] == 100


def test_phase_seconds_sum_repeats_and_close_an_unfinished_phase_at_the_end():
    m = job_metrics(series(), T0, T0 + 100, events())
    assert m["phase_seconds"] == {
        "model_load": 15.0, "high_noise": 20.0, "low_noise": 25.0, "vae_decode": 40.0,
    }
    assert list(m["phase_seconds"]) == ["model_load", "high_noise", "low_noise", "vae_decode"]
    assert m["phase_peak_vram_bytes"]["vae_decode"] == 30 * GIB
    assert m["phase_peak_vram_bytes"]["high_noise"] == 2 * GIB


def test_missing_power_is_not_guessed_and_nothing_is_nan_in_the_record():
    data = series()
    data["power_w"][(data["t"] > T0 + 50)] = np.nan  # driver lost halfway
    data["proc_vram"][:] = np.nan  # attached server: no PID
    del data["temp_c"]
    m = job_metrics(data, T0, T0 + 100, [])
    assert m["energy_wh"] == pytest.approx(360.0 * 50 / 3600)
    assert m["peak_process_vram_bytes"] is None and m["peak_temp_c"] is None
    assert m["phase_seconds"] == {}
    json.loads(json.dumps(m, allow_nan=False))  # storable as strict JSON


def test_no_samples_at_all():
    m = job_metrics({"t": np.array([])}, T0, T0 + 5, [])
    assert m["peak_vram_bytes"] is None and m["energy_wh"] is None and m["sample_count"] == 0


def test_phase_events_may_be_dicts_and_unmatched_ends_are_ignored():
    spans = phase_spans(
        [
            {"phase": "save", "state": "end", "t": T0 + 1},
            {"phase": "save", "state": "start", "t": T0 + 2},
            {"phase": "save", "state": "end", "t": T0 + 5},
            {"phase": "oom", "state": "mark", "t": T0 + 6},
        ],
        T0 + 10,
    )
    assert spans == [("save", T0 + 2, T0 + 5)]


def test_summary_lines_read_well():
    m = job_metrics(series(), T0, T0 + 100, events())
    rows = dict(summary_lines(m))
    assert rows["Peak VRAM (GPU)"] == "30.00 GiB"
    assert rows["Energy"] == "10.00 Wh"
    assert rows["High-noise pass"] == "20.0 s"
    assert dict(summary_lines({}))["Peak VRAM (GPU)"] == "not measured"
