"""Extending a clip: the start frames of the next part, and joining the parts into one clip.

The next part starts from the finished clip's last N frames (N = 4k+1: Wan's VAE packs the
first frame alone and then groups of four, so N frames pin exactly k+1 latent frames).
`WanImageToVideo` takes a *batch* of start images, and ComfyUI's LoadImage turns a multi-frame
PNG into such a batch, so the N frames travel as one animated PNG (lossless).

Joining keeps every frame of part A but its last N, crossfades those N with part B's first N
(the same moment, made twice), then appends the rest of B: len(A) + len(B) - N frames. An
optional colour match moves B's Lab mean/std per channel onto A's, measured on the overlap,
so a drift in colour does not jump at the seam.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator, Sequence

from wan22_gui.core.base.errors import InputError
from wan22_gui.core.video.reader import probe, read_frames
from wan22_gui.core.video.writer import ClipWriter

if TYPE_CHECKING:
    import numpy as np

def joined_length(first: int, second: int, overlap: int) -> int:
    """Frames of the joined clip: the overlap is shown once."""
    return max(0, first + second - overlap)


def last_frames(clip: Path, count: int) -> list["np.ndarray"]:
    """The clip's last `count` frames (BGR), decoded in one pass.

    Raises:
        InputError: the clip is unreadable or shorter than `count` frames.
    """
    tail: deque = deque(maxlen=count)
    tail.extend(read_frames(Path(clip)))
    if len(tail) < count:
        raise InputError(f"{Path(clip).name} has {len(tail)} frames, fewer than the overlap "
                         f"of {count}.", "Choose a smaller overlap or a longer clip.")
    return list(tail)


def write_start_frames(clip: Path, overlap: int, dest: Path) -> tuple[Path, Path]:
    """Write the next part's start: (a PNG of the first overlap frame, the file to upload).

    With one frame both are the same PNG; with more, the upload is an animated PNG holding
    all of them (LoadImage makes it a batch of `overlap` start images).
    """
    from PIL import Image

    frames = last_frames(clip, overlap)
    dest.parent.mkdir(parents=True, exist_ok=True)
    pictures = [Image.fromarray(f[:, :, ::-1].copy()) for f in frames]
    still = dest.with_name(f"{dest.name}.png")  # its stem names the new part (naming.py)
    pictures[0].save(still)
    if overlap == 1:
        return still, still
    upload = dest.with_name(f"{dest.name}_last{overlap}.png")
    pictures[0].save(upload, save_all=True, append_images=pictures[1:], duration=62, loop=0)
    return still, upload


@dataclass(frozen=True)
class ColorMatch:
    """Per-channel Lab gain and offset that move part B's statistics onto part A's."""

    gain: tuple[float, float, float]
    offset: tuple[float, float, float]

    @classmethod
    def between(cls, reference: Sequence["np.ndarray"], moved: Sequence["np.ndarray"]) -> "ColorMatch":
        """Fitted on the overlap: `reference` (A's tail) and `moved` (B's head), BGR frames."""
        import numpy as np

        ref = np.concatenate([_lab(f).reshape(-1, 3) for f in reference])
        mov = np.concatenate([_lab(f).reshape(-1, 3) for f in moved])
        gain = ref.std(axis=0) / np.maximum(mov.std(axis=0), 1e-3)
        offset = ref.mean(axis=0) - mov.mean(axis=0) * gain
        return cls(tuple(map(float, gain)), tuple(map(float, offset)))  # type: ignore[arg-type]

    def apply(self, frame: "np.ndarray") -> "np.ndarray":
        """The BGR frame with the Lab transform applied."""
        import cv2
        import numpy as np

        lab = _lab(frame) * np.asarray(self.gain, np.float32) + np.asarray(self.offset, np.float32)
        lab[..., 0] = np.clip(lab[..., 0], 0, 100)
        bgr = cv2.cvtColor(lab.astype(np.float32), cv2.COLOR_Lab2BGR)
        return np.clip(bgr * 255.0 + 0.5, 0, 255).astype(np.uint8)


def _lab(frame: "np.ndarray") -> "np.ndarray":
    import cv2
    import numpy as np

    return cv2.cvtColor(frame.astype(np.float32) / 255.0, cv2.COLOR_BGR2Lab)


def crossfade(tail: Sequence["np.ndarray"], head: Sequence["np.ndarray"]) -> list["np.ndarray"]:
    """Blend A's last frames into B's first: B's weight rises evenly across the overlap."""
    import numpy as np

    out = []
    for i, (a, b) in enumerate(zip(tail, head)):
        w = (i + 1) / (len(tail) + 1)
        out.append(np.clip(a * (1.0 - w) + b * w + 0.5, 0, 255).astype(np.uint8))
    return out


def join_frames(first: Iterable["np.ndarray"], second: Iterable["np.ndarray"], overlap: int, *,
                color_match: bool = False) -> Iterator["np.ndarray"]:
    """The joined frames, streamed: A without its tail, the blended overlap, the rest of B."""
    tail: deque = deque(maxlen=overlap)
    for frame in first:
        if len(tail) == overlap:
            yield tail[0]
        tail.append(frame)
    rest = iter(second)
    head = [f for _, f in zip(range(overlap), rest)]
    if len(tail) < overlap or len(head) < overlap:
        raise InputError(f"Both parts need at least {overlap} frames to overlap.",
                         "Choose a smaller overlap.")
    match = ColorMatch.between(list(tail), head) if color_match else None
    fix = match.apply if match else (lambda f: f)
    yield from crossfade(list(tail), [fix(f) for f in head])
    for frame in rest:
        yield fix(frame)


@dataclass(frozen=True)
class JoinResult:
    """The joined clip and its frame counts."""

    path: Path
    first_frames: int
    second_frames: int
    overlap: int
    frames: int


def join_clips(first: Path, second: Path, dest: Path, overlap: int, *,
               color_match: bool = False) -> JoinResult:
    """Write the joined clip to `dest` (H.264, the first part's rate and size).

    Raises:
        InputError: a part is unreadable or shorter than the overlap.
        Wan22Error: the file cannot be written.
    """
    info = probe(Path(first))
    size = (info.width, info.height)
    counts = [0, 0]

    def counted(frames: Iterable["np.ndarray"], part: int) -> Iterator["np.ndarray"]:
        for frame in frames:
            counts[part] += 1
            yield frame

    with ClipWriter(Path(dest), info.fps, size) as out:
        for frame in join_frames(counted(read_frames(Path(first)), 0),
                                 counted(read_frames(Path(second), size=size), 1),
                                 overlap, color_match=color_match):
            out.write(frame)
    return JoinResult(Path(dest), counts[0], counts[1], overlap, out.frames_written)


@dataclass(frozen=True)
class Seam:
    """Mean absolute difference (0-255) between neighbouring frames across the join and
    within the parts; `ratio` near 1 means the join moves no more than the clip does."""

    across: float
    within: float

    @property
    def ratio(self) -> float:
        return self.across / self.within if self.within > 0 else float("inf")


def seam_measure(frames: Iterable["np.ndarray"], first_frames: int, overlap: int) -> Seam:
    """Steps touching the overlap region (frames first_frames-overlap .. first_frames-1 of
    the joined clip, and the step into and out of it) against every other step."""
    import numpy as np

    start, end = first_frames - overlap, first_frames - 1  # the blended frames
    across: list[float] = []
    within: list[float] = []
    previous = None
    for index, frame in enumerate(frames):
        current = frame.astype(np.int16)
        if previous is not None:
            step = float(np.abs(current - previous).mean())
            (across if start <= index <= end + 1 else within).append(step)
        previous = current
    if not across:
        raise InputError("The clip is shorter than the join.", "Measure the joined clip.")
    return Seam(float(np.mean(across)), float(np.mean(within)) if within else 0.0)
