"""Export the compare view as a video: clips side by side, in a grid, wiped or differenced,
each labelled, on the common clock at the highest frame rate among them."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from wan22_gui.core.base.errors import InputError
from wan22_gui.core.video.compose import LAYOUTS, compose, grid_shape
from wan22_gui.core.video.reader import VideoInfo, probe, read_frames
from wan22_gui.core.video.timeline import Timeline
from wan22_gui.core.video.writer import ClipWriter

DEFAULT_MAX_WIDTH = 2560


@dataclass(frozen=True)
class ExportClip:
    """One panel of an export: the clip and the text written on it."""

    path: Path
    label: str = ""


def export_compare(
    clips: list[ExportClip], dest: Path, *, layout: str = "side_by_side", split: float = 0.5,
    max_width: int = DEFAULT_MAX_WIDTH, progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
) -> Path:
    """Write the comparison of `clips` to `dest` (mp4) and return its path.

    Raises:
        InputError: a clip is unreadable, too few clips for the layout, or an unknown layout.
    """
    if layout not in LAYOUTS:
        raise InputError(f"Unknown layout {layout!r}.", f"Use one of: {', '.join(LAYOUTS)}.")
    if not 1 <= len(clips) <= 4 or (layout in ("wipe", "difference") and len(clips) < 2):
        raise InputError(f"The {layout.replace('_', ' ')} export needs 2–4 clips (1 for side by side).")
    infos = [probe(c.path) for c in clips]
    timeline = Timeline.for_clips(
        [i.fps for i in infos], [i.frame_count for i in infos], tick_fps=max(i.fps for i in infos)
    )
    cell = cell_size(infos, layout, max_width)
    columns, rows = grid_shape(len(clips), layout)
    readers = [_ClipFrames(info) for info in infos]
    labels = [c.label for c in clips]
    # An export is made to be shared: 4:2:0, which every player and browser plays.
    size = (cell[0] * columns, cell[1] * rows)
    with ClipWriter(dest, timeline.tick_fps, size, full_chroma=False) as out:
        for tick in range(timeline.tick_count):
            if cancel is not None and cancel.is_set():
                raise InputError("Export cancelled.")
            frames = [r.get(timeline.frame_at(i, tick)) for i, r in enumerate(readers)]
            out.write(compose(frames, layout, cell, labels=labels, split=split))
            if progress is not None:
                progress(tick + 1, timeline.tick_count)
    return Path(dest)


def cell_size(infos: list[VideoInfo], layout: str, max_width: int) -> tuple[int, int]:
    """Size of one panel: the largest clip, scaled down so the whole picture fits max_width."""
    width = max(i.width for i in infos)
    height = max(i.height for i in infos)
    columns, _ = grid_shape(len(infos), layout)
    scale = min(1.0, max_width / (width * columns))
    return max(16, int(width * scale) // 2 * 2), max(16, int(height * scale) // 2 * 2)


class _ClipFrames:
    """Sequential access to a clip's frames for a clock that never goes backwards."""

    def __init__(self, info: VideoInfo) -> None:
        self._frames: Iterator = read_frames(info.path)
        self._index = -1
        self._current = None

    def get(self, index: int):
        while self._index < index:
            try:
                self._current = next(self._frames)
            except StopIteration:  # shorter than announced: hold the last frame
                break
            self._index += 1
        if self._current is None:
            raise InputError("A clip has no decodable frames.")
        return self._current
