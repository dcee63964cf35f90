"""A contact sheet: one PNG grid of the first frames of several clips, each with a few lines of
text under it (a batch's results, with the image and sweep values that made each)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from wan22_gui.core.base.errors import StorageError, storage_reason

CELL_WIDTH = 256
LINE_HEIGHT = 18


@dataclass(frozen=True)
class SheetCell:
    """One clip of the sheet: `video` None (or unreadable) draws a grey cell with `note`."""

    video: Path | None
    lines: list[str]
    note: str | None = None


def contact_sheet(cells: list[SheetCell], dest: Path, *, title: str = "", columns: int | None = None,
                  cell_width: int = CELL_WIDTH) -> Path:
    """Write the sheet to `dest` (PNG) and return its path.

    Raises:
        StorageError: `dest` cannot be written.
    """
    import cv2
    import numpy as np

    from wan22_gui.core.video.compose import fit

    if not cells:
        raise ValueError("a contact sheet needs at least one cell")
    columns = columns or min(len(cells), max(1, math.ceil(math.sqrt(len(cells)))))
    rows = math.ceil(len(cells) / columns)
    pictures = [_first_frame(c.video) for c in cells]
    aspect = next((p.shape[0] / p.shape[1] for p in pictures if p is not None), 9 / 16)
    pic_h = max(16, round(cell_width * aspect))
    text_lines = max(len(c.lines) for c in cells) + 1
    cell_h = pic_h + text_lines * LINE_HEIGHT + 6
    top = 34 if title else 0
    sheet = np.full((top + rows * cell_h, columns * cell_width, 3), 24, np.uint8)
    if title:
        _text(sheet, _ascii(title), (8, 23), 0.6)
    for i, (cell, picture) in enumerate(zip(cells, pictures)):
        x, y = (i % columns) * cell_width, top + (i // columns) * cell_h
        if picture is not None:
            sheet[y:y + pic_h, x:x + cell_width] = fit(picture, (cell_width, pic_h))
        else:
            sheet[y:y + pic_h, x:x + cell_width] = 70
            _text(sheet, _ascii(cell.note or "no video"), (x + 8, y + pic_h // 2), 0.55)
        for n, line in enumerate(cell.lines):
            _text(sheet, _ascii(line), (x + 6, y + pic_h + (n + 1) * LINE_HEIGHT), 0.45)
        cv2.rectangle(sheet, (x, y), (x + cell_width - 1, y + cell_h - 1), (60, 60, 60), 1)
    dest = Path(dest)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        ok, data = cv2.imencode(".png", sheet)
        if not ok:
            raise OSError("PNG encoding failed")
        dest.write_bytes(data.tobytes())
    except OSError as exc:
        raise StorageError(f"Cannot write the contact sheet {dest}: {storage_reason(exc)}.",
                           "Choose a folder you can write to.") from None
    return dest


def _first_frame(video: Path | None):
    from wan22_gui.core.base.errors import InputError
    from wan22_gui.core.video.reader import read_frames

    if video is None:
        return None
    try:
        return next(read_frames(video, count=1), None)
    except InputError:
        return None


def _text(image, text: str, origin: tuple[int, int], scale: float) -> None:
    import cv2

    cv2.putText(image, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, (235, 235, 235), 1, cv2.LINE_AA)


def _ascii(text: str) -> str:
    # OpenCV's fonts have no '×' or '·'
    return text.replace("×", "x").replace("·", "|").encode("ascii", "replace").decode("ascii")
