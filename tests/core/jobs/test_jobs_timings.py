"""Phase and step tracking from a scripted event stream (the order a real Wan run sends)."""

from __future__ import annotations

import pytest

from wan22_gui.core.comfy import events as ev
from wan22_gui.core.jobs.timings import PhaseTracker, eta_seconds
from tests.core.jobs.test_jobs_phases import WAN_GRAPH

ROLES = {"sampler_high": "86", "sampler_low": "85", "text_encode": "84"}


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


@pytest.fixture
def tracked():
    clock = Clock()
    phases, progress = [], []
    tracker = PhaseTracker("job1", phases.append, lambda *a: progress.append(a), clock=clock)
    tracker.set_graph(WAN_GRAPH, ROLES)
    return tracker, clock, phases, progress


def _run(tracker, clock, script):
    for dt, event in script:
        clock.t += dt
        tracker.feed(event)


def _wan_script(pid="p1"):
    node = lambda n: ev.Executing(pid, n, n)  # noqa: E731
    return [
        (0.5, ev.ExecutionStart(pid)),
        (0.0, ev.ExecutionCached(pid, ("90",))),
        (0.0, node("84")), (2.0, node("93")), (1.0, node("89")),
        (1.0, node("95")), (3.0, node("101")), (1.0, node("104")),
        (0.5, node("97")), (0.5, node("98")),
        (1.0, node("86")), (10.0, ev.Progress(pid, "86", 1, 2)), (8.0, ev.Progress(pid, "86", 2, 2)),
        (0.0, node("96")), (2.0, node("85")),
        (9.0, ev.Progress(pid, "85", 1, 2)), (8.0, ev.Progress(pid, "85", 2, 2)),
        (0.0, node("87")), (4.0, node("94")), (0.5, node("108")),
        (1.0, ev.ExecutionSuccess(pid)), (0.0, ev.Executing(pid, None)),
    ]


def test_a_wan_run_yields_per_pass_timings(tracked):
    tracker, clock, phases, _ = tracked
    tracker.begin("queued")
    _run(tracker, clock, _wan_script())
    t = tracker.timings
    assert t["queued"] == pytest.approx(0.5)
    assert t["high_noise"] == pytest.approx(18.0)
    assert t["low_noise"] == pytest.approx(17.0)
    assert t["vae_decode"] == pytest.approx(4.0)
    assert t["save"] == pytest.approx(1.5)
    assert t["text_encode"] == pytest.approx(4.0)
    # model_load occurs twice (high path, then low path) and is summed
    assert t["model_load"] == pytest.approx(5.0 + 2.0)
    # WanImageToVideo (98) encodes the start image: its own phase, not the one before it
    assert t["vae_encode"] == pytest.approx(1.0)
    starts = [e.phase for e in phases if e.state == "start"]
    assert starts == ["queued", "text_encode", "model_load", "vae_encode", "high_noise",
                      "model_load", "low_noise", "vae_decode", "save"]
    assert all(e.state in ("start", "end") for e in phases)
    assert sum(1 for e in phases if e.state == "start") == sum(1 for e in phases if e.state == "end")


def test_node_timings_include_steps_and_cached_nodes(tracked):
    tracker, clock, _, _ = tracked
    _run(tracker, clock, _wan_script())
    by_id = {n["node_id"]: n for n in tracker.node_timings}
    assert by_id["90"]["cached"] is True
    assert by_id["86"]["steps"] == 2 and by_id["86"]["seconds"] == pytest.approx(18.0)
    assert by_id["86"]["phase"] == "high_noise" and by_id["85"]["phase"] == "low_noise"
    # LoadImage has no phase of its own; it counts towards the phase it ran in
    assert by_id["97"]["phase"] == "model_load"


def test_progress_reports_step_of_each_pass_with_eta(tracked):
    tracker, clock, _, progress = tracked
    _run(tracker, clock, _wan_script())
    assert [(p[1], p[2], p[3]) for p in progress] == [
        ("high_noise", 1, 2), ("high_noise", 2, 2), ("low_noise", 1, 2), ("low_noise", 2, 2)]
    assert progress[0][4] == pytest.approx(10.0)  # 10 s for step 1 -> about 10 s left
    assert progress[1][4] == 0.0


def test_eta_uses_the_step_rate_once_two_steps_are_known():
    # step 1 at t=10 (after a 10 s model transfer), step 3 at t=14: 2 s per step, 7 steps left
    assert eta_seconds(0.0, 10.0, 1, 14.0, 3, 10) == pytest.approx(14.0)
    assert eta_seconds(0.0, None, 0, 5.0, 0, 10) is None


def test_error_closes_the_open_phase(tracked):
    tracker, clock, phases, _ = tracked
    _run(tracker, clock, _wan_script()[:12])  # into the high-noise pass
    assert tracker.current_phase == "high_noise"
    clock.t += 3
    tracker.feed(ev.ExecutionError.from_data({
        "prompt_id": "p1", "node_id": "86", "node_type": "KSamplerAdvanced",
        "exception_type": "torch.OutOfMemoryError", "exception_message": "CUDA out of memory"}))
    assert tracker.current_phase is None
    assert tracker.timings["high_noise"] == pytest.approx(13.0)
    assert phases[-1].phase == "high_noise" and phases[-1].state == "end"
    assert tracker.phase_of_node("86") == "high_noise"
