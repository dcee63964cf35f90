"""Pure image composition for comparing clips: side by side, grid, wipe, difference, labels.

Used by the exporter and by the compare view's difference mode. Frames are numpy arrays (BGR or
BGRA, uint8); every function returns a new array and leaves its inputs alone.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    import numpy as np

LAYOUTS = ("side_by_side", "grid", "wipe", "difference")
DEFAULT_DIFF_GAIN = 4.0
_WIPE_LINE = 2  # pixels
_LABEL_FONT_SCALE = 0.5


def fit(frame: "np.ndarray", size: tuple[int, int]) -> "np.ndarray":
    """`frame` scaled to fit (width, height), centred on black (letterbox)."""
    import cv2
    import numpy as np

    width, height = size
    scale = min(width / frame.shape[1], height / frame.shape[0])
    new = (max(1, round(frame.shape[1] * scale)), max(1, round(frame.shape[0] * scale)))
    canvas = np.zeros((height, width, frame.shape[2]), np.uint8)
    scaled = frame if new == (frame.shape[1], frame.shape[0]) else cv2.resize(
        frame, new, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    x, y = (width - new[0]) // 2, (height - new[1]) // 2
    canvas[y:y + new[1], x:x + new[0]] = scaled
    return canvas


def shrink(frame: "np.ndarray", size: tuple[int, int]) -> "np.ndarray":
    """`frame` scaled down to exactly `size` (width, height) for the screen, as fast as OpenCV
    does it (bilinear, like a smooth QPainter transform; it releases the interpreter meanwhile)."""
    import cv2

    from wan22_gui.core.video.reader import resize_method

    return cv2.resize(frame, size, interpolation=resize_method(frame.shape, size))


def grid_shape(count: int, layout: str) -> tuple[int, int]:
    """(columns, rows) of panels for `count` clips in `layout`."""
    if layout in ("wipe", "difference"):
        return 1, 1
    if layout == "grid" and count > 2:
        columns = math.ceil(math.sqrt(count))
        return columns, math.ceil(count / columns)
    return count, 1


def tile(frames: Sequence["np.ndarray"], cell: tuple[int, int], columns: int) -> "np.ndarray":
    """Frames fitted into equal cells, left to right, top to bottom (empty cells black)."""
    import numpy as np

    rows = math.ceil(len(frames) / columns)
    width, height = cell
    out = np.zeros((rows * height, columns * width, frames[0].shape[2]), np.uint8)
    for i, frame in enumerate(frames):
        row, column = divmod(i, columns)
        out[row * height:(row + 1) * height, column * width:(column + 1) * width] = fit(frame, cell)
    return out


def wipe(a: "np.ndarray", b: "np.ndarray", split: float, *, line: bool = True) -> "np.ndarray":
    """`a` left of the split (0..1 of the width), `b` right of it, at `a`'s size."""
    out = a.copy()
    b = fit(b, (a.shape[1], a.shape[0]))
    x = round(min(max(split, 0.0), 1.0) * a.shape[1])
    out[:, x:] = b[:, x:]
    if line:
        left = max(0, min(x - _WIPE_LINE // 2, a.shape[1] - _WIPE_LINE))
        out[:, left:left + _WIPE_LINE] = 255
    return out


def difference(a: "np.ndarray", b: "np.ndarray", gain: float = DEFAULT_DIFF_GAIN) -> "np.ndarray":
    """|a - b| per channel, multiplied by `gain` and clipped, at `a`'s size (alpha kept opaque)."""
    import cv2

    b = fit(b, (a.shape[1], a.shape[0]))
    diff = cv2.convertScaleAbs(cv2.absdiff(a, b), alpha=gain)
    if diff.shape[2] == 4:
        diff[..., 3] = 255
    return diff


def label(frame: "np.ndarray", text: str, *, right: bool = False) -> "np.ndarray":
    """`frame` with `text` on a dark strip at the top left (or right); ASCII only, because
    OpenCV's fonts have no '×'."""
    import cv2

    out = frame.copy()
    text = text.replace("×", "x").replace("·", "|").encode("ascii", "replace").decode("ascii")
    (w, h), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, _LABEL_FONT_SCALE, 1)
    strip_w, strip_h = min(out.shape[1], w + 12), h + base + 8
    x0 = out.shape[1] - strip_w if right else 0
    region = out[:strip_h, x0:x0 + strip_w]
    region[...] = (region * 0.35).astype(region.dtype)
    color = (255, 255, 255, 255)[: out.shape[2]]
    cv2.putText(out, text, (x0 + 6, h + 4), cv2.FONT_HERSHEY_SIMPLEX, _LABEL_FONT_SCALE, color, 1,
                cv2.LINE_AA)
    return out


def compose(
    frames: Sequence["np.ndarray"], layout: str, cell: tuple[int, int], *,
    labels: Sequence[str] = (), split: float = 0.5, gain: float = DEFAULT_DIFF_GAIN,
) -> "np.ndarray":
    """One picture of `frames` in `layout` (wipe/difference use the first two frames)."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; expected one of {LAYOUTS}")
    if layout in ("wipe", "difference"):
        if len(frames) < 2:
            raise ValueError(f"{layout} needs two clips")
        a, b = fit(frames[0], cell), fit(frames[1], cell)
        if layout == "difference":
            title = f"|{labels[0]} - {labels[1]}| x{gain:g}" if len(labels) > 1 else ""
            return label(difference(a, b, gain), title) if title else difference(a, b, gain)
        if len(labels) > 1:
            a, b = label(a, labels[0]), label(b, labels[1], right=True)
        return wipe(a, b, split)
    labelled = [label(fit(f, cell), t) for f, t in zip(frames, labels)] or [fit(f, cell) for f in frames]
    columns, _ = grid_shape(len(frames), layout)
    return tile(labelled, cell, columns)
