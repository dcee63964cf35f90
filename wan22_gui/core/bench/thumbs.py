"""Poster images for the report's clips: one JPEG per cell, written with OpenCV."""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger("wan22.bench")

POSTER_WIDTH = 320


def write_poster(clip: Path, dest: Path, width: int = POSTER_WIDTH) -> Path | None:
    """Save the middle frame of `clip` as a JPEG `width` pixels wide; None if it is unreadable.

    The middle frame, because the first frame of an image-to-video clip is the input image.
    """
    import cv2  # imported here so that CLI commands without a report do not pay for it

    capture = cv2.VideoCapture(str(clip))
    try:
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        if count > 2:
            capture.set(cv2.CAP_PROP_POS_FRAMES, count // 2)
        ok, frame = capture.read()
        if not ok:  # some containers do not seek; fall back to the first frame
            capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, frame = capture.read()
    finally:
        capture.release()
    if not ok or frame is None:
        log.warning("no frame could be read from %s; the report shows it without a poster", clip)
        return None
    h, w = frame.shape[:2]
    if w > width:
        frame = cv2.resize(frame, (width, max(1, round(h * width / w))),
                           interpolation=cv2.INTER_AREA)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(dest), frame, [cv2.IMWRITE_JPEG_QUALITY, 85]):
        log.warning("could not write the poster %s", dest)
        return None
    return dest
