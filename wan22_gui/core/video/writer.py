"""Writing mp4 files safely: into a temporary name, renamed only when complete.

A crash or a cancel therefore never leaves a half-written clip under the final name (the gallery
would show it as broken). OpenCV's pip wheels encode MPEG-4 Part 2 ('mp4v'), which every player
and OpenCV itself can read; H.264 is not available in them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wan22_gui.core.base.errors import Wan22Error

if TYPE_CHECKING:
    import numpy as np

FOURCC = "mp4v"


class ClipWriter:
    """Context manager: `with ClipWriter(dest, fps, (w, h)) as out: out.write(frame)`.

    The file appears at `dest` only when the block ends without an exception.
    """

    def __init__(self, dest: Path, fps: float, size: tuple[int, int]) -> None:
        self.dest = Path(dest)
        self.fps = fps
        self.size = (int(size[0]), int(size[1]))
        self.frames_written = 0
        self._tmp = self.dest.with_name(f".{self.dest.stem}.{os.getpid()}.partial{self.dest.suffix}")
        self._writer: Any = None  # a cv2.VideoWriter while open

    def __enter__(self) -> "ClipWriter":
        import cv2

        self.dest.parent.mkdir(parents=True, exist_ok=True)
        self._writer = cv2.VideoWriter(
            str(self._tmp), cv2.VideoWriter_fourcc(*FOURCC), float(self.fps), self.size
        )
        if not self._writer.isOpened():
            self._writer.release()
            self._tmp.unlink(missing_ok=True)
            raise Wan22Error(
                f"Cannot write video {self.dest.name} ({self.size[0]}×{self.size[1]}).",
                f"Check that {self.dest.parent} exists, is writable and has free space.",
            )
        return self

    def write(self, frame: "np.ndarray") -> None:
        """Append one BGR (or BGRA) frame; it is resized if it does not match the size."""
        import cv2

        if frame.shape[2] == 4:
            frame = cv2.cvtColor(frame, cv2.COLOR_BGRA2BGR)
        if (frame.shape[1], frame.shape[0]) != self.size:
            frame = cv2.resize(frame, self.size, interpolation=cv2.INTER_AREA)
        self._writer.write(frame)
        self.frames_written += 1

    def __exit__(self, exc_type, exc, tb) -> None:
        self._writer.release()
        if exc_type is None and self.frames_written:
            os.replace(self._tmp, self.dest)
        else:
            self._tmp.unlink(missing_ok=True)


def unique_path(folder: Path, stem: str, suffix: str = ".mp4") -> Path:
    """`folder/stem.mp4`, or `stem_2.mp4`, `stem_3.mp4`... so nothing is overwritten."""
    candidate = Path(folder) / f"{stem}{suffix}"
    counter = 2
    while candidate.exists():
        candidate = Path(folder) / f"{stem}_{counter}{suffix}"
        counter += 1
    return candidate
