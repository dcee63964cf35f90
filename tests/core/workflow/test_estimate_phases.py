"""The estimate for the 3-phase split (its first phase at CFG 3.5 costs two evaluations a step)
and for GGUF experts (a peak measured with fp8 carries over with the weights' difference)."""

from __future__ import annotations

import pytest

from wan22_gui.core.workflow import experts
from wan22_gui.core.workflow.estimate import estimate_for_spec, evaluations
from wan22_gui.core.workflow.spec import JobSpec, ModelFiles

GIB = 2**30
Q4 = ModelFiles(unet_high="Wan2.2-I2V-A14B-HighNoise-Q4_K_M.gguf",
                unet_low="Wan2.2-I2V-A14B-LowNoise-Q4_K_M.gguf")


def _row(spec: JobSpec, seconds_per_eval: float, vram: int) -> dict:
    sampling = evaluations(spec.to_dict()) * seconds_per_eval
    return {"kind": "generate", "status": "succeeded", "params": spec.resolved().to_dict(),
            "timings": {"high_noise": sampling / 2, "low_noise": sampling / 2},
            "metrics": {"peak_vram_bytes": vram}}


def test_three_phases_count_the_first_phase_twice_per_step():
    assert evaluations(JobSpec().to_dict()) == 4
    assert evaluations(JobSpec(phases=3).to_dict()) == 2 * 2 + 4  # 2 steps at CFG 3.5, 4 at 1
    assert evaluations(JobSpec(use_lora=False).to_dict()) == 40


def test_a_three_phase_job_is_estimated_from_two_phase_runs():
    runs = [_row(JobSpec(width=640, height=640), 10.0, 20 * GIB) for _ in range(3)]
    est = estimate_for_spec(runs, JobSpec(width=640, height=640, phases=3))
    assert est.phases["sampling"] == pytest.approx(80.0)  # 8 evaluations × 10 s


def test_a_gguf_job_takes_the_fp8_peak_less_the_lighter_weights():
    runs = [_row(JobSpec(width=640, height=640), 10.0, 20 * GIB) for _ in range(3)]
    est = estimate_for_spec(runs, JobSpec(width=640, height=640, models=Q4))
    lighter = experts.expert_bytes(ModelFiles().unet_high) - experts.expert_bytes(Q4.unet_high)
    assert est.peak_vram_bytes == pytest.approx(20 * GIB - lighter, rel=1e-6)
