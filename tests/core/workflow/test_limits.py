"""One rule for what a job may ask for: the CLI, the form and the builder refuse the same
values with the same words (core/workflow/limits.py)."""

from __future__ import annotations

import math

import pytest

from wan22_gui.core.base.errors import WorkflowError
from wan22_gui.core.workflow import limits
from wan22_gui.core.workflow.builder import build_wan_i2v
from wan22_gui.core.workflow.spec import JobSpec


@pytest.mark.parametrize("change, words", [
    ({"frames": 100001}, "between 1 and 16381, not 100001"),
    ({"cfg": math.nan}, "CFG must be a finite number"),
    ({"cfg": 101.0}, "CFG must be between 0 and 100"),
    ({"shift": math.inf}, "shift must be a finite number"),
    ({"steps": 0}, "number of steps must be between 1 and 100"),
    ({"width": 8192}, "width must be between 16 and 4096"),
    ({"seed": -1}, "seed must be between 0"),
    ({"fps": 0.0}, "Frames per second must be between 1 and 120"),
])
def test_the_builder_refuses_what_the_cli_and_form_refuse(change, words):
    spec = JobSpec(image="x.png").replace(**change)
    assert any(words in p for p in spec.problems())
    with pytest.raises(WorkflowError, match="cannot be run"):
        build_wan_i2v(spec, "x.png")  # so NaN never reaches the JSON sent to ComfyUI


@pytest.mark.parametrize("seconds, words", [
    (math.nan, "finite"), (math.inf, "finite"), (0, "more than 0"), (-2, "more than 0"),
    (0.05, "too short"), (1e9, "too long"), (1023.76, "too long"),
])
def test_seconds_that_cannot_be_made(seconds, words):
    assert words in limits.seconds_problem(seconds)


def test_the_longest_and_shortest_lengths_pass():
    assert limits.seconds_problem(limits.SECONDS.high) is None
    assert limits.seconds_problem(0.25) is None
    assert limits.frames_problem(limits.MAX_FRAMES) is None
