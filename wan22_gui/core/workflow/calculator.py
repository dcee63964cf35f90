"""Frame, duration, size and latent arithmetic for Wan 2.2 (pure functions).

Conventions (the official template's): a clip of `n` frames at `fps` lasts `(n - 1) / fps`
seconds, measured from the first frame to the last (`length = duration * fps + 1`); the file
plays one frame longer (`playback_seconds`). With this convention frame interpolation keeps the
duration exactly: n frames at fps become (n - 1) * m + 1 frames at fps * m.

What the app *shows* follows one rule everywhere (form, queue, gallery, player, benchmark, CLI,
file names): a clip lasts frames / fps, what a video player shows, with two decimals and the
frame count: `describe_duration(25)` -> "1.56 s (25 frames)".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from wan22_gui.core.workflow import limits
from wan22_gui.core.workflow.estimate import Estimate, estimate, estimate_text

__all__ = [
    "FPS_14B", "FPS_5B", "QUICK_PICK_SECONDS", "INTERPOLATION_MULTIPLIERS", "MAX_FRAMES",
    "snap_frames", "frames_for_seconds", "seconds_for_frames", "playback_seconds",
    "quick_picks", "interpolated", "LatentShape", "latent_shape", "snap_size", "fit_to_aspect",
    "ClipMath", "clip_math", "Estimate", "estimate", "estimate_text",
    "clip_duration", "frames_for_duration", "format_seconds", "describe_duration",
]

FPS_14B = 16  # Wan 2.2 14B (and 2.1) generate at 16 fps
FPS_5B = 24  # Wan 2.2 TI2V 5B generates at 24 fps
QUICK_PICK_SECONDS = (1.6, 3.0, 5.0, 10.0)
INTERPOLATION_MULTIPLIERS = (2, 3, 4)
MAX_FRAMES = limits.MAX_FRAMES  # the largest 4n+1 that WanImageToVideo.length accepts
SIZE_MULTIPLE = 16  # Wan needs width and height in multiples of 16 (VAE /8, patch 2x2)
LATENT_CHANNELS = 16


def snap_frames(n: float, maximum: int = MAX_FRAMES) -> int:
    """The nearest valid frame count (4k + 1, at least 1); halfway cases go up."""
    if not math.isfinite(n):
        raise ValueError(f"frame count must be a number, not {n!r}")
    k = math.floor((n - 1) / 4 + 0.5)
    top = (maximum - 1) // 4
    return 4 * min(max(k, 0), top) + 1


def frames_for_seconds(seconds: float, fps: float = FPS_14B) -> int:
    """Frames for a clip of about `seconds` (5 s at 16 fps -> 81)."""
    _check_fps(fps)
    return snap_frames(seconds * fps + 1)


def seconds_for_frames(frames: int, fps: float = FPS_14B) -> float:
    """Duration of `frames` frames at `fps`, first frame to last (81 at 16 fps -> 5.0)."""
    _check_fps(fps)
    return max(frames - 1, 0) / fps


def playback_seconds(frames: int, fps: float = FPS_14B) -> float:
    """How long the file plays in a video player (81 at 16 fps -> 5.0625)."""
    _check_fps(fps)
    return frames / fps


def clip_duration(frames: int, fps: float = FPS_14B) -> float:
    """The length the app shows for a clip: frames / fps (25 at 16 fps -> 1.5625)."""
    return playback_seconds(max(frames, 0), fps)


def frames_for_duration(seconds: float, fps: float = FPS_14B) -> int:
    """The valid frame count whose shown length is nearest `seconds` (5.06 -> 81)."""
    _check_fps(fps)
    return snap_frames(seconds * fps)


def format_seconds(seconds: float) -> str:
    """A clip length as text: two decimals and " s" (1.5625 -> "1.56 s")."""
    return f"{seconds:.2f} s"


def describe_duration(frames: int, fps: float = FPS_14B) -> str:
    """The one way the app writes a clip's length: "1.56 s (25 frames)" (25 at 16 fps)."""
    count = "1 frame" if frames == 1 else f"{frames} frames"
    return f"{format_seconds(clip_duration(frames, fps))} ({count})"


def quick_picks(fps: float = FPS_14B) -> list[tuple[float, int]]:
    """(label seconds, frames) for the quick-pick buttons: 1.6 s, 3 s, 5 s, 10 s."""
    return [(s, frames_for_seconds(s, fps)) for s in QUICK_PICK_SECONDS]


def interpolated(frames: int, fps: float, multiplier: int) -> tuple[int, float]:
    """Frames and fps after ×m frame interpolation: ((n-1)·m + 1, fps·m); same duration."""
    if multiplier < 1:
        raise ValueError(f"multiplier must be at least 1, not {multiplier}")
    return (max(frames - 1, 0) * multiplier + 1, fps * multiplier)


@dataclass(frozen=True)
class LatentShape:
    """Size of the Wan VAE latent: 16 channels, (n-1)//4+1 frames, h/8 × w/8."""

    frames: int
    height: int
    width: int
    channels: int = LATENT_CHANNELS

    @property
    def tokens(self) -> int:
        """Transformer tokens per step (the model patchifies the latent 2×2)."""
        return self.frames * (self.height // 2) * (self.width // 2)


def latent_shape(width: int, height: int, frames: int) -> LatentShape:
    """The latent WanImageToVideo makes for this size and length."""
    return LatentShape(frames=(max(frames, 1) - 1) // 4 + 1, height=height // 8, width=width // 8)


def snap_size(value: float, multiple: int = SIZE_MULTIPLE) -> int:
    """The nearest multiple of 16 (at least 16); halfway cases go up."""
    if not math.isfinite(value):
        raise ValueError(f"size must be a number, not {value!r}")
    return max(multiple, int(math.floor(value / multiple + 0.5)) * multiple)


def fit_to_aspect(image_width: int, image_height: int, max_side: int,
                  multiple: int = SIZE_MULTIPLE) -> tuple[int, int]:
    """Width and height with the image's aspect ratio, the longer side about `max_side`.

    Both sides are multiples of 16; the longer one never exceeds `max_side` (snapped down to a
    multiple of 16), so a 1024×1536 image with max side 1216 gives 816×1216 → (816, 1216).
    """
    if image_width <= 0 or image_height <= 0:
        raise ValueError(f"image size must be positive, not {image_width}×{image_height}")
    longest = max(multiple, (int(max_side) // multiple) * multiple)
    scale = longest / max(image_width, image_height)
    width = min(longest, snap_size(image_width * scale, multiple))
    height = min(longest, snap_size(image_height * scale, multiple))
    return width, height


@dataclass(frozen=True)
class ClipMath:
    """Everything the calculator panel shows for one setting."""

    frames: int
    fps: float
    seconds: float
    latent: LatentShape
    interpolated_frames: int | None
    interpolated_fps: float | None


def clip_math(width: int, height: int, frames: int, fps: float = FPS_14B,
              multiplier: int | None = None) -> ClipMath:
    """Duration, latent and (when `multiplier` is given) the interpolated frames and fps."""
    inter = interpolated(frames, fps, multiplier) if multiplier else (None, None)
    return ClipMath(frames=frames, fps=fps, seconds=seconds_for_frames(frames, fps),
                    latent=latent_shape(width, height, frames),
                    interpolated_frames=inter[0], interpolated_fps=inter[1])


def _check_fps(fps: float) -> None:
    if not fps > 0:
        raise ValueError(f"fps must be positive, not {fps!r}")
