"""Time / VRAM estimate learned from past runs; "no estimate yet" before there are enough."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from wan22_gui.core.workflow.calculator import estimate, estimate_text, latent_shape

PER_TOKEN_EVAL = 1e-4  # seconds per token per model evaluation in the made-up runs


def _row(width, height, frames, *, use_lora=True, steps=None, cfg=None, status="succeeded",
         vram=None, as_object=False):
    steps = steps or (4 if use_lora else 20)
    cfg = cfg if cfg is not None else (1.0 if use_lora else 3.5)
    evals = steps * (1 if cfg == 1.0 else 2)
    sampling = evals * PER_TOKEN_EVAL * latent_shape(width, height, frames).tokens
    row = {
        "kind": "generate", "status": status,
        "params": {"width": width, "height": height, "frames": frames, "use_lora": use_lora,
                   "steps": steps, "cfg": cfg},
        "timings": {"high_noise": sampling / 2, "low_noise": sampling / 2, "model_load": 30.0,
                    "text_encode": 2.0, "vae_decode": 1e-4 * width * height * frames / 1000,
                    "queued": 500.0},
        "metrics": {"peak_vram_bytes": vram} if vram else {},
    }
    return SimpleNamespace(**row) if as_object else row


def test_no_estimate_before_enough_runs():
    assert estimate([], 640, 640, 81) is None
    assert estimate([_row(640, 640, 81)], 640, 640, 81) is None
    failed = [_row(640, 640, 81, status="failed") for _ in range(5)]
    assert estimate(failed, 640, 640, 81) is None
    assert estimate_text(None) == "no estimate yet"


def test_learns_the_size_dependence_from_several_sizes():
    rows = [_row(w, h, n, vram=int(10e9 + 2e5 * latent_shape(w, h, n).tokens))
            for w, h, n in ((640, 640, 81), (832, 480, 49), (480, 480, 25), (1024, 576, 81))]
    est = estimate(rows, 832, 1216, 81)
    tokens = latent_shape(832, 1216, 81).tokens
    expected_sampling = 4 * PER_TOKEN_EVAL * tokens
    assert est.phases["sampling"] == pytest.approx(expected_sampling, rel=0.02)
    assert est.phases["model_load"] == 30.0 and "queued" not in est.phases
    assert est.peak_vram_bytes == pytest.approx(10e9 + 2e5 * tokens, rel=0.02)
    assert est.runs == 4 and est.extrapolated
    assert "from 4 runs" in estimate_text(est) and "GiB" in estimate_text(est)


def test_cfg_above_one_costs_two_evaluations_per_step():
    rows = [_row(640, 640, 81, as_object=True), _row(640, 640, 49, as_object=True)]
    fast = estimate(rows, 640, 640, 81, use_lora=True)
    slow = estimate(rows, 640, 640, 81, use_lora=False)  # 20 steps at cfg 3.5
    assert slow.phases["sampling"] == pytest.approx(fast.phases["sampling"] * 10, rel=0.01)


def test_one_size_scales_time_but_only_reports_vram_nearby():
    rows = [_row(640, 640, 81, vram=20 * 2**30) for _ in range(3)]
    same = estimate(rows, 640, 640, 81)
    assert same.peak_vram_bytes == 20 * 2**30 and not same.extrapolated
    bigger = estimate(rows, 640, 640, 161)
    assert bigger.phases["sampling"] > same.phases["sampling"] * 1.9
    assert bigger.peak_vram_bytes is None


def test_rows_with_missing_or_broken_fields_are_skipped():
    broken = {"status": "succeeded", "params": {"width": "x"}, "timings": {}}
    rows = [broken, {"status": "succeeded"}, _row(640, 640, 81), _row(640, 640, 49)]
    assert estimate(rows, 640, 640, 81).runs == 2


def test_noisy_runs_never_predict_less_time_for_a_larger_job():
    sizes = [(480, 480, 25), (640, 640, 49), (832, 480, 81), (640, 640, 81), (832, 832, 81)]
    rows = [_row(w, h, n) for w, h, n in sizes]
    # Make the biggest run oddly fast, as a warm cache or a lucky run might.
    rows[-1]["timings"]["high_noise"] *= 0.6
    rows[-1]["timings"]["low_noise"] *= 0.6
    small = estimate(rows, 832, 832, 81).seconds
    larger = estimate(rows, 896, 896, 81).seconds
    assert larger > small > 0
