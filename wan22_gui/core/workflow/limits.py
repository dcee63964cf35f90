"""The one rule for what a job may ask for: frames, seconds, size, steps, CFG, shift, seed, fps.

The generation form sets its spin-box ranges from these, the CLI refuses arguments with these
sentences, and `JobSpec.problems()` (which the workflow builder runs) applies them again, so a
value can never pass one door and be clamped or mangled behind another. Ranges follow the
nodes the app drives (WanImageToVideo.length ≤ 16384, KSamplerAdvanced.cfg 0–100,
ModelSamplingSD3.shift 0–100, noise_seed 0–2⁶⁴−1, CreateVideo.fps 1–120), narrowed where the
app knows better (steps and sides: nothing useful comes out beyond these).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

FPS = 16  # Wan 2.2 14B generates at 16 fps (calculator.FPS_14B)


@dataclass(frozen=True)
class Limit:
    """A closed range of numbers with the words to explain it."""

    name: str
    low: float
    high: float
    integer: bool = False

    def problem(self, value: Any) -> str | None:
        """Why `value` is not allowed (None when it is)."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"{self.title} must be a number, not {value!r}."
        if not math.isfinite(value):
            return f"{self.title} must be a finite number, not {value}."
        if self.integer and not float(value).is_integer():
            return f"{self.title} must be a whole number, not {value:g}."
        if not self.low <= value <= self.high:
            return f"{self.title} must be between {_num(self.low)} and {_num(self.high)}, " \
                   f"not {_num(value)}."
        return None

    @property
    def title(self) -> str:
        return self.name[:1].upper() + self.name[1:]


MAX_FRAMES = 16381  # the largest 4n+1 WanImageToVideo.length (max 16384) accepts
FRAMES = Limit("the frame count", 1, MAX_FRAMES, integer=True)
MIN_CLIP_FRAMES = 5  # the shortest clip a length in seconds can ask for (0.25 s at 16 fps)
SECONDS = Limit("the length in seconds", (MIN_CLIP_FRAMES - 1) / FPS / 2,
                (MAX_FRAMES - 1) / FPS)
SIDE = Limit("the width and height", 16, 4096, integer=True)
STEPS = Limit("the number of steps", 1, 100, integer=True)
CFG = Limit("CFG", 0.0, 100.0)
SHIFT = Limit("the shift", 0.0, 100.0)
SEED = Limit("the seed", 0, 2**64 - 1, integer=True)
FPS_RANGE = Limit("frames per second", 1.0, 120.0)
LORA_STRENGTH = Limit("the LoRA strength", -100.0, 100.0)


def frames_problem(frames: Any) -> str | None:
    """Why `frames` cannot be a Wan clip length (4n+1, 1..16381), or None."""
    problem = FRAMES.problem(frames)
    if problem:
        return problem
    if (int(frames) - 1) % 4:
        return f"Frames must be 4n+1 (for example 77 or 81), not {int(frames)}."
    return None


MAX_OVERLAP = 33  # more overlap frames repeat much of the clip instead of extending it


def overlap_problem(overlap: Any, frames: int | None = None) -> str | None:
    """Why `overlap` frames cannot start a new part of `frames` frames (None when fine).

    4k+1: Wan's VAE packs the first frame alone and then groups of four, so such a count pins
    whole latent frames (`WanImageToVideo` masks ((N-1)//4)+1 of them)."""
    if isinstance(overlap, bool) or not isinstance(overlap, int) or overlap < 1 \
            or (overlap - 1) % 4 or overlap > MAX_OVERLAP:
        return f"The overlap must be 1, 5, 9 … {MAX_OVERLAP} frames (4k+1), not {overlap!r}."
    if frames is not None and overlap >= frames:
        return f"The overlap ({overlap}) must be shorter than the new part ({frames} frames)."
    return None


def side_problem(name: str, value: Any) -> str | None:
    """Why `value` cannot be the clip's `name` ("width"/"height"): range, then ×16."""
    problem = SIDE.problem(value)
    if problem:
        return problem.replace("The width and height", f"The {name}")
    if int(value) % 16:
        return f"The {name} must be a multiple of 16 (at least 16), not {int(value)}."
    return None


def seconds_problem(seconds: Any) -> str | None:
    """Why a length in seconds cannot be made (not a number, too short, too long), or None."""
    problem = SECONDS.problem(seconds)
    if problem and (isinstance(seconds, bool) or not isinstance(seconds, (int, float))
                    or not math.isfinite(seconds)):
        return problem
    if seconds <= 0:
        return f"The length must be more than 0 seconds, not {_num(seconds)}."
    if problem and seconds < SECONDS.low:
        return (f"{_num(seconds)} s is too short: the shortest clip is {MIN_CLIP_FRAMES} "
                f"frames ({(MIN_CLIP_FRAMES - 1) / FPS:g} s).")
    if problem and seconds > SECONDS.high:
        return (f"{_num(seconds)} s is too long: Wan makes at most {MAX_FRAMES} frames "
                f"({SECONDS.high:g} s at {FPS} fps).")
    return problem


def _num(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
