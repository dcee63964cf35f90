"""Probing and decoding video files with OpenCV.

Every failure a user can cause (missing file, corrupt or half-written clip) raises `InputError`
with a message naming the file, never a bare OpenCV error.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from wan22_gui.core.base.errors import InputError

if TYPE_CHECKING:
    import cv2
    import numpy as np

log = logging.getLogger("wan22.video")

# Wan 2.2 writes 16 fps; used when a container does not say its rate.
FALLBACK_FPS = 16.0
VIDEO_SUFFIXES = (".mp4", ".mkv", ".webm", ".mov", ".avi", ".m4v", ".gif")


@dataclass(frozen=True)
class VideoInfo:
    """What a clip is: size, rate and length (frame_count as the container reports it)."""

    path: Path
    width: int
    height: int
    fps: float
    frame_count: int

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.frame_count / self.fps if self.fps > 0 else 0.0

    @property
    def resolution(self) -> str:
        return f"{self.width}×{self.height}"


def open_capture(path: Path, *, threads: int | None = 1) -> "cv2.VideoCapture":
    """Open a clip for decoding; raise InputError when it is missing or unreadable.

    Args:
        path: the video file.
        threads: decoder threads (1 keeps several streams from fighting over 2 cores;
            None lets FFmpeg choose).
    """
    import cv2

    path = Path(path)
    if not path.is_file():
        raise InputError(f"Video not found: {path}", "Check the path, or remove the clip from the gallery.")
    params: list[int] = []
    if threads is not None:
        params = [cv2.CAP_PROP_N_THREADS, int(threads)]
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG, params)
    if not cap.isOpened():
        cap.release()
        raise _unreadable(path)
    return cap


def probe(path: Path) -> VideoInfo:
    """Read a clip's size, fps and frame count, and check that its first frame decodes.

    Raises:
        InputError: the file is missing, corrupt, truncated before its first frame, or empty.
    """
    import cv2

    path = Path(path)
    cap = open_capture(path)
    try:
        ok, frame = cap.read()
        if not ok or frame is None:
            raise _unreadable(path)
        height, width = frame.shape[:2]
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    finally:
        cap.release()
    if not math.isfinite(fps) or fps <= 0 or fps > 1000:
        log.warning("%s does not state its frame rate; assuming %s fps", path, FALLBACK_FPS)
        fps = FALLBACK_FPS
    return VideoInfo(path=path, width=width, height=height, fps=fps, frame_count=max(count, 1))


def read_frames(
    path: Path, *, start: int = 0, count: int | None = None, size: tuple[int, int] | None = None,
    bgra: bool = False,
) -> Iterator["np.ndarray"]:
    """Yield decoded frames (BGR, or BGRA when `bgra`), optionally resized to `size` (w, h).

    Stops early, without an error, when the file ends before `count` frames (a truncated clip
    plays as far as it goes).
    """

    cap = open_capture(path)
    try:
        if start > 0:
            seek(cap, start)
        produced = 0
        while count is None or produced < count:
            ok, frame = cap.read()
            if not ok or frame is None:
                return
            yield convert(frame, size=size, bgra=bgra)
            produced += 1
    finally:
        cap.release()


def seek(cap: "cv2.VideoCapture", index: int) -> None:
    """Position `cap` so that the next read returns frame `index`."""
    import cv2

    cap.set(cv2.CAP_PROP_POS_FRAMES, float(index))


def convert(
    frame: "np.ndarray", *, size: tuple[int, int] | None = None, bgra: bool = False,
    out: "np.ndarray | None" = None,
) -> "np.ndarray":
    """Resize (when `size` differs) and convert a decoded BGR frame, into `out` when given."""
    import cv2

    if size is not None and (frame.shape[1], frame.shape[0]) != tuple(size):
        frame = cv2.resize(frame, tuple(size), interpolation=resize_method(frame.shape, size))
    if bgra:
        return cv2.cvtColor(frame, cv2.COLOR_BGR2BGRA, dst=out)
    if out is not None:
        out[...] = frame
        return out
    return frame


def resize_method(shape: tuple[int, ...], size: tuple[int, int]) -> int:
    """INTER_AREA only for whole-number shrink factors (it is ~25x slower otherwise)."""
    import cv2

    height, width = shape[:2]
    whole = width % size[0] == 0 and height % size[1] == 0 and width // size[0] == height // size[1]
    return cv2.INTER_AREA if whole and size[0] < width else cv2.INTER_LINEAR


def is_video_file(path: Path) -> bool:
    """Whether the name looks like a clip the app can play (by suffix)."""
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


def _unreadable(path: Path) -> InputError:
    return InputError(
        f"Cannot read video {path.name}: the file is corrupt, not a video, or not finished "
        "writing.",
        "Wait until the job that writes it has finished, or re-run the job.",
    )
