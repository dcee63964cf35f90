"""Bad-input corpus: numbers and options on the command line (`generate`, `workflow build`,
`workflow calc`, `interpolate`, `history`). One rule (core/workflow/limits.py) refuses them
with the value and the allowed range, never clamping 1e9 s to 16381 frames or sending NaN."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from tests.faults.bad_inputs import (  # noqa: F401 (fixtures)
    CASE_TIMEOUT_S, DEAD_URL, _corpus_summary, assert_nothing_lost, expect, run_cli,
    seeded_history,
)

pytestmark = pytest.mark.timeout(CASE_TIMEOUT_S)


@pytest.fixture
def picture(tmp_path) -> Path:
    path = tmp_path / "start.png"
    Image.new("RGB", (640, 448), (40, 90, 160)).save(path)
    return path


GENERATE = [
    # --seconds
    (["--seconds", "nan"], "must be a finite number, not nan"),
    (["--seconds", "inf"], "must be a finite number, not inf"),
    (["--seconds=-inf"], "must be a finite number, not -inf"),
    (["--seconds", "-1"], "more than 0 seconds"),
    (["--seconds", "0"], "more than 0 seconds"),
    (["--seconds", "0.01"], "too short"),
    (["--seconds", "1e9"], "too long: Wan makes at most 16381 frames"),
    (["--seconds", "1e308"], "too long"),
    (["--seconds", "1024"], "too long"),
    (["--seconds", "five"], "invalid float value"),
    (["--seconds", "3", "--frames", "81"], "disagree"),
    # --frames
    (["--frames", "0"], "between 1 and 16381, not 0"),
    (["--frames", "-1"], "between 1 and 16381, not -1"),
    (["--frames", "80"], "4n+1"),
    (["--frames", "100001"], "between 1 and 16381, not 100001"),
    (["--frames", "16385"], "between 1 and 16381"),
    (["--frames", str(2**63)], "between 1 and 16381"),
    (["--frames", "many"], "invalid int value"),
    # --cfg
    (["--cfg", "nan"], "CFG must be a finite number, not nan"),
    (["--cfg", "inf"], "CFG must be a finite number"),
    (["--cfg", "-1"], "CFG must be between 0 and 100, not -1"),
    (["--cfg", "101"], "CFG must be between 0 and 100"),
    (["--cfg", "1e9"], "CFG must be between 0 and 100"),
    # --steps / --split
    (["--steps", "0"], "number of steps must be between 1 and 100, not 0"),
    (["--steps", "-4"], "number of steps must be between 1 and 100"),
    (["--steps", "101"], "number of steps must be between 1 and 100"),
    (["--steps", "1000000"], "number of steps must be between 1 and 100"),
    (["--steps", "4", "--split", "9"], "split step must be between 0 and 4"),
    (["--split", "-1"], "split step must be between 0"),
    # --shift
    (["--shift", "nan"], "shift must be a finite number"),
    (["--shift", "-1"], "shift must be between 0 and 100"),
    (["--shift", "1000"], "shift must be between 0 and 100"),
    # --seed
    (["--seed", "-1"], "seed must be between 0 and 18446744073709551615, not -1"),
    (["--seed", str(2**64)], "seed must be between 0 and 18446744073709551615"),
    (["--seed", str(2**70)], "seed must be between 0"),
    (["--seed", "lucky"], "invalid int value"),
    # --width / --height
    (["--width", "0"], "width must be between 16 and 4096, not 0"),
    (["--width", "-16"], "width must be between 16 and 4096"),
    (["--width", "15"], "width must be between 16 and 4096"),
    (["--width", "830"], "width must be a multiple of 16"),
    (["--width", "4112"], "width must be between 16 and 4096, not 4112"),
    (["--width", "99999"], "width must be between 16 and 4096"),
    (["--height", "0"], "height must be between 16 and 4096"),
    (["--height", "481"], "height must be a multiple of 16"),
    (["--height", "1000000"], "height must be between 16 and 4096"),
    # interpolation and names
    (["--multiplier", "2"], "--multiplier only applies with --interpolate"),
    (["--interpolate", "rife", "--multiplier", "5"], "invalid choice"),
    (["--interpolate", "dain"], "invalid choice"),
]


@pytest.mark.parametrize("args, phrase", GENERATE, ids=[" ".join(a) for a, _ in GENERATE])
def test_generate_refuses_the_argument(args, phrase, picture, seeded_history):
    outcome = run_cli(["generate", picture, *args, "--server", DEAD_URL])
    expect(outcome, phrase, code=2)
    assert "No ComfyUI" not in outcome.err  # refused before any server was asked
    assert_nothing_lost(seeded_history)


OTHER = [
    (["workflow", "calc", "--seconds", "nan"], "must be a finite number"),
    (["workflow", "calc", "--seconds", "-3"], "more than 0 seconds"),
    (["workflow", "calc", "--seconds", "1e9"], "too long"),
    (["workflow", "calc", "--frames", "-5"], "between 1 and 16381"),
    (["workflow", "calc", "--frames", "100001"], "between 1 and 16381"),
    (["workflow", "calc", "--fps", "0"], "frames per second must be between 1 and 120"),
    (["workflow", "calc", "--fps", "nan"], "frames per second must be a finite number"),
    (["workflow", "calc", "--width", "0"], "width must be between 16 and 4096"),
    (["workflow", "build", "--frames", "100001"], "between 1 and 16381"),
    (["workflow", "build", "--frames", "80"], "4n+1"),
    (["workflow", "build", "--width", "15"], "width must be between 16 and 4096"),
    (["workflow", "build", "--fps", "0"], "frames per second must be between 1 and 120"),
    (["workflow", "build", "--fps", "inf"], "frames per second must be a finite number"),
    (["workflow", "build", "--seed", "-1"], "seed must be between 0"),
    (["interpolate", "--job", "20990101-000000-deadbeef"], "History has no job"),
    (["interpolate"], "Name a clip or a --job"),
    (["interpolate", "clip.mp4", "-m", "5"], "invalid choice"),
    (["interpolate", "clip.mp4", "--method", "dain"], "invalid choice"),
    (["history", "--status", "exploded"], "invalid choice"),
    (["history", "--limit", "many"], "invalid int value"),
    (["history", "delete"], "the following arguments are required"),
    (["no-such-command"], "invalid choice"),
]


@pytest.mark.parametrize("argv, phrase", OTHER, ids=[" ".join(a) for a, _ in OTHER])
def test_other_commands_refuse_the_argument(argv, phrase, seeded_history):
    expect(run_cli(argv), phrase)
    assert_nothing_lost(seeded_history)


def test_bench_with_a_missing_spec(tmp_path, seeded_history):
    expect(run_cli(["bench", tmp_path / "no_such_spec.toml", "--out", tmp_path / "out"]),
           "Cannot read the benchmark spec")
    assert_nothing_lost(seeded_history)


def test_interpolate_negative_workers_are_refused(tmp_path, seeded_history):
    from wan22_gui.core.video.testclip import write_test_clip

    clip = write_test_clip(tmp_path / "clip.mp4", frames=5, fps=16, size=(32, 32))
    expect(run_cli(["interpolate", clip, "--workers=-2"]), "--workers must be 0")
    assert_nothing_lost(seeded_history)
