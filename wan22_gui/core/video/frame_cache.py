"""A clip's decoded frames for the player: all of them when they fit, else a window around the
playhead, decoded by a background thread.

Measured on a 2-core machine: decoding 832×1216 H.264 runs at ~120 frames/s on one thread, and
playing from memory costs ~0.3 core for three streams. So a clip that fits the memory budget is
decoded whole, once, as BGRA (QImage.Format_RGB32 on little-endian: the cheapest format to paint).
A longer one (4 clips × 321 frames at 832×1216 are 5 GiB) streams at full size: a fixed set of
frame slots (`frame_window.FrameWindow`) holds the frames around the playhead — mostly ahead of
it, wrapping to the start since the player loops — and the decoder keeps them filled as the
playhead moves. The frame the player asks for last (`frame(i)`) is the playhead. For scrubbing a
long clip, a small preview of every frame (`preview(i)`, a few percent of the budget) is filled
by a second, low-priority pass, so a jump shows the right picture at once, sharpened when its
full frame arrives.

A frame the user asks for before the decoder has it (stepping, scrubbing) is decoded next:
`request(i)` makes the worker go there (reading on when it is just ahead, seeking otherwise), and
`frame_ready` says when it is in. While the user steps, the player calls `pause_background(s,
near=i)`: for a moment only requested frames and the few after frame i are decoded, so those and
the repaint get the CPU.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from wan22_gui.core.base.errors import InputError
from wan22_gui.core.base.signals import Signal
from wan22_gui.core.video.frame_store import frame_store
from wan22_gui.core.video.frame_window import FrameWindow
from wan22_gui.core.video.reader import VideoInfo, convert, open_capture, probe, seek

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger("wan22.video")

BYTES_PER_PIXEL = 4  # BGRA
# A wanted frame at most this far ahead is reached by reading on: a seek decodes from the
# previous keyframe anyway, and what is read on the way is kept.
READ_AHEAD_FRAMES = 4
PREFETCH_FRAMES = 3  # decoded after the user's frame while background decoding is paused
MIN_WINDOW = 16  # full-size frames kept even when the budget is smaller (1 s at 16 fps)
PREVIEW_SHARE = 8  # previews of a streamed clip use at most 1/8 of its budget
PREVIEW_MAX_SIDE = 320


def window_capacity(info: VideoInfo, budget_bytes: int) -> int:
    """How many full-size frames of the clip the budget holds (all of them when it fits)."""
    frame_bytes = max(1, info.width * info.height * BYTES_PER_PIXEL)
    if frame_bytes * info.frame_count <= budget_bytes:
        return info.frame_count
    width, height = preview_size(info, budget_bytes)
    previews = width * height * BYTES_PER_PIXEL * info.frame_count
    frames = (budget_bytes - previews) // frame_bytes
    return int(min(info.frame_count, max(MIN_WINDOW, frames)))


def preview_size(info: VideoInfo, budget_bytes: int) -> tuple[int, int]:
    """(width, height) of a streamed clip's scrub previews: a share of the budget for all frames."""
    per_frame = budget_bytes // PREVIEW_SHARE / max(1, info.frame_count) / BYTES_PER_PIXEL
    scale = math.sqrt(per_frame / max(1, info.width * info.height))
    scale = min(scale, PREVIEW_MAX_SIDE / max(info.width, info.height), 1.0)
    return max(16, int(info.width * scale) // 2 * 2), max(16, int(info.height * scale) // 2 * 2)


class FrameCache:
    """The frames of one clip the player can paint now, filled by daemon threads.

    Attributes:
        info: the probed clip.
        size: (width, height) of the frames (always the clip's own size).
        frame_count: frames actually available (shrinks if the file ends early).
        error: an InputError when decoding failed part-way (frames so far stay usable).

    Signals:
        frame_ready(int): a frame passed to `request` is decoded (on the decoder thread).
    """

    def __init__(self, path: Path, *, budget_bytes: int = 1 << 30,
                 info: VideoInfo | None = None) -> None:
        import numpy as np

        self.info = info or probe(path)
        self.size = (self.info.width, self.info.height)
        self.frame_count = self.info.frame_count
        self.error: InputError | None = None
        self._window = FrameWindow(window_capacity(self.info, budget_bytes), self.frame_count)
        width, height = self.size
        self._frames = frame_store((self._window.capacity, height, width, BYTES_PER_PIXEL))
        self.streaming = not self._window.holds_everything
        self.preview_size = preview_size(self.info, budget_bytes) if self.streaming else (0, 0)
        pw, ph = self.preview_size
        self._previews = np.empty((self.frame_count if self.streaming else 0, ph, pw, 4), np.uint8)
        self._has_preview = np.zeros(self.frame_count, dtype=bool)
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._wanted: int | None = None
        self._announce: set[int] = set()  # requested frames whose arrival frame_ready tells
        self._background_after = 0.0  # monotonic time before which only requests are decoded
        self._near = 0  # ... and the PREFETCH_FRAMES frames after this one
        self._stop = False
        self._filling: int | None = None  # the frame being converted into its slot right now
        self._idle = False  # the window is full (streaming): nothing to decode until it moves
        self._previews_done = not self.streaming
        self.frame_ready = Signal("frame_ready")
        name = Path(path).name
        self._thread = threading.Thread(target=self._run, name=f"decode-{name}", daemon=True)
        self._thread.start()
        self._scrub: threading.Thread | None = None
        if self.streaming:
            self._scrub = threading.Thread(target=self._run_previews, name=f"preview-{name}",
                                           daemon=True)
            self._scrub.start()

    @property
    def scaled(self) -> bool:
        """Frames are never cached below the clip's own size (kept for the player's status)."""
        return False

    @property
    def nbytes(self) -> int:
        return int(self._frames.nbytes + self._previews.nbytes)

    @property
    def capacity(self) -> int:
        """How many full-size frames are kept at most."""
        return self._window.capacity

    @property
    def ready_count(self) -> int:
        """Full-size frames in memory now."""
        with self._lock:
            return self._window.resident_count()

    @property
    def complete(self) -> bool:
        """Nothing is left to decode: every frame is in (or the decoder stopped: end of a
        truncated file, error), or for a streamed clip the window is full and every preview made."""
        if not self._thread.is_alive():
            return True
        with self._lock:
            return self._idle and self._previews_done

    def frame(self, index: int) -> "np.ndarray | None":
        """Frame `index` (clamped) as a read-only BGRA view, or None while not decoded yet.
        The frame asked for becomes the playhead the window follows."""
        with self._lock:
            index = min(max(index, 0), self.frame_count - 1)
            self._move_playhead(index)
            slot = self._window.slot(index)
            if slot < 0 or index == self._filling:
                return None
            view = self._frames[slot]
        view.flags.writeable = False
        return view

    def preview(self, index: int) -> "np.ndarray | None":
        """A small BGRA picture of frame `index` for a streamed clip (None when there is none
        yet, or the clip is held whole)."""
        with self._lock:
            index = min(max(index, 0), self.frame_count - 1)
            if not self.streaming or not self._has_preview[index]:
                return None
            view = self._previews[index]
        view.flags.writeable = False
        return view

    def request(self, index: int) -> None:
        """Decode `index` as soon as possible (the worker seeks to it if it has to);
        `frame_ready(index)` follows when it is in."""
        with self._wake:
            index = min(max(index, 0), self.frame_count - 1)
            self._move_playhead(index)
            if self._window.slot(index) < 0 or index == self._filling:
                self._wanted = index
                self._announce.add(index)
                self._wake.notify()

    def pause_background(self, seconds: float, *, near: int = 0) -> None:
        """For the next `seconds` decode only requested frames and the few after `near` (the
        user is stepping at `near`: those are the next steps)."""
        with self._wake:
            self._background_after = max(self._background_after, time.monotonic() + seconds)
            self._near = near
            self._wake.notify()

    def wait_for(self, index: int, timeout: float = 5.0) -> "np.ndarray | None":
        """Request frame `index` and block until it is decoded (for the exporter and tests)."""
        self.request(index)
        with self._wake:
            index = min(max(index, 0), self.frame_count - 1)
            self._wake.wait_for(
                lambda: (self._window.slot(index) >= 0 and self._filling != index)
                or not self._thread.is_alive(), timeout)
        return self.frame(index)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until there is nothing left to decode (see `complete`); True when so."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._wake:
            while not (self._idle and self._previews_done) and self._thread.is_alive():
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    break
                self._wake.wait(0.05 if left is None else min(left, 0.05))
        return self.complete

    def close(self) -> None:
        """Stop decoding and wait for the threads (frames decoded so far stay readable)."""
        with self._wake:
            self._stop = True
            self._wake.notify_all()
        self._thread.join(timeout=10)
        if self._scrub is not None:
            self._scrub.join(timeout=10)

    # -- the decoder thread -------------------------------------------------------------------

    def _move_playhead(self, index: int) -> None:
        """(Lock held.) Follow the user; wake the decoder when the window has moved."""
        if index != self._window.playhead:
            self._window.playhead = index
            if self._idle:
                self._idle = False
                self._wake.notify_all()

    def _run(self) -> None:
        try:
            cap = open_capture(self.info.path)
        except InputError as exc:
            self._finish(exc)
            return
        try:
            self._decode(cap)
            self._finish(None)
        except Exception as exc:  # OpenCV can raise on damaged streams
            log.warning("decoding %s stopped: %s", self.info.path, exc)
            self._finish(InputError(f"Decoding {self.info.path.name} failed part-way: {exc}"))
        finally:
            cap.release()

    def _decode(self, cap) -> None:
        position = 0  # index of the frame the next cap.read() returns
        while True:
            target = self._wait_for_target(position)
            if target is None:
                return
            if not position <= target <= position + READ_AHEAD_FRAMES:
                seek(cap, target)
                position = target
            ok, bgr = cap.read()
            if not ok or bgr is None:
                if self._end_of_file(position):
                    return
                continue
            self._store(position, bgr)
            position += 1

    def _store(self, index: int, bgr: "np.ndarray") -> None:
        """Put a decoded frame in its slot (when the window wants it) and its preview."""
        with self._wake:
            slot = self._window.slot(index)
            fresh = slot < 0
            if fresh:
                slot = self._window.claim(index)
                self._filling = index if slot >= 0 else None
        if slot >= 0 and fresh:  # converting outside the lock: frame() says "not yet" meanwhile
            convert(bgr, size=self.size, bgra=True, out=self._frames[slot])
        if self.streaming and not self._has_preview[index]:
            convert(bgr, size=self.preview_size, bgra=True, out=self._previews[index])
        with self._wake:
            self._filling = None
            self._has_preview[index] = self.streaming
            announce = index in self._announce and self._window.slot(index) >= 0
            self._announce.discard(index)
            self._wake.notify_all()
        if announce:
            self.frame_ready.emit(index)

    def _wait_for_target(self, position: int) -> int | None:
        """The next frame to decode (None: stop); waits while background decoding is paused
        and while the window is full."""
        with self._wake:
            while not self._stop:
                target, requested = self._next_target()
                if requested:
                    return target
                hold = self._background_after - time.monotonic()
                if target is not None and hold <= 0:
                    return target
                if target is None:
                    if self._window.holds_everything:
                        return None  # every frame is in: the thread's work is done
                    self._idle = True
                    self._wake.notify_all()
                    self._wake.wait(0.5)
                    continue
                first = self._near + 1
                ahead = [i for i in range(first, min(first + PREFETCH_FRAMES, self.frame_count))
                         if self._window.slot(i) < 0]
                if ahead:  # the next steps' frames first
                    return ahead[0]
                self._wake.wait(hold)  # a request or close() wakes it early
            return None

    def _next_target(self) -> tuple[int | None, bool]:
        """Where to decode next and whether it was requested: a requested frame first, else
        the first frame of the window not in memory. A request stays pending until read."""
        wanted = self._wanted
        if wanted is not None and wanted < self.frame_count and self._window.slot(wanted) < 0:
            self._idle = False
            return wanted, True
        self._wanted = None
        target = self._window.next_missing()
        if target is not None:
            self._idle = False
        return target, False

    def _end_of_file(self, position: int) -> bool:
        """A read failed at `position`: the file holds fewer frames than its header said
        (truncated or still being written). Shrink the clip to `position` frames; True when
        nothing before it is left to decode."""
        with self._wake:
            if position == 0:
                self.error = InputError(f"{self.info.path.name} has no decodable frames.")
                return True
            if position < self.frame_count:
                self.frame_count = position
                self._window.shrink(position)
                self._window.playhead = min(self._window.playhead, position - 1)
            self._wake.notify_all()
            return self._window.next_missing() is None and self._window.holds_everything

    def _finish(self, error: InputError | None) -> None:
        with self._wake:
            self.error = error or self.error
            self._idle = True
            self._wake.notify_all()

    # -- the preview thread (streamed clips only) ---------------------------------------------

    def _run_previews(self) -> None:
        """One sequential pass over the clip at low priority, in the playing decoder's spare
        time, making the frames' previews it has not made yet."""
        _lower_priority()
        try:
            cap = open_capture(self.info.path)
        except InputError:
            self._previews_finished()
            return
        try:
            index = 0
            while index < self.frame_count:
                if not self._wait_for_spare_time():
                    return
                with self._lock:
                    done = bool(self._has_preview[index])
                ok, bgr = cap.read()  # read on even where a preview exists: a seek costs more
                if not ok or bgr is None:
                    break
                if not done:
                    convert(bgr, size=self.preview_size, bgra=True, out=self._previews[index])
                    with self._lock:
                        self._has_preview[index] = True
                index += 1
        except Exception as exc:  # a damaged stream: the previews made so far stay
            log.warning("previews of %s stopped: %s", self.info.path, exc)
        finally:
            cap.release()
            self._previews_finished()

    def _wait_for_spare_time(self) -> bool:
        """Block while the playing decoder needs the CPU: the window around the playhead is
        not full yet, or the user is stepping. False when the cache is closing."""
        with self._wake:
            while not self._stop:
                hold = self._background_after - time.monotonic()
                if self._idle and hold <= 0:
                    return True
                self._wake.wait(max(0.01, min(hold, 0.5)) if hold > 0 else 0.5)
            return False

    def _previews_finished(self) -> None:
        with self._wake:
            self._previews_done = True
            self._wake.notify_all()


def _lower_priority() -> None:
    """Let the playing decoders and the repaint go first (Linux: threads have their own nice)."""
    if hasattr(os, "setpriority") and hasattr(threading, "get_native_id"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
        except OSError:
            pass
