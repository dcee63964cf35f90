"""Which decoded frames of a clip stay in memory: a window around the playhead.

A clip longer than the player's memory budget is not decoded whole. A fixed number of full-size
frame slots holds the frames around the playhead: most of them ahead of it in playing order
(wrapping to the start, since the player loops), a quarter behind it (so stepping back is
instant). When a slot is needed, the frame farthest from the playhead in that sense gives it up.
This module is the bookkeeping only (no decoding, no locking: the frame cache holds the lock).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

BEHIND_SHARE = 4  # a quarter of the slots keep frames behind the playhead


class FrameWindow:
    """Slots for `capacity` frames of a clip of `frame_count` frames.

    Attributes:
        playhead: the frame the user is at (the last one the player asked for).
        ahead / behind: how many frames after / before the playhead the window keeps.
    """

    def __init__(self, capacity: int, frame_count: int, *, wrap: bool = True) -> None:
        import numpy as np

        self.frame_count = frame_count
        self.capacity = max(1, min(capacity, frame_count))
        self.wrap = wrap
        self.behind = 0 if self.capacity >= frame_count else self.capacity // BEHIND_SHARE
        self.ahead = self.capacity - self.behind - 1
        self.playhead = 0
        self._slot_of = np.full(frame_count, -1, np.int64)
        self._frame_in = np.full(self.capacity, -1, np.int64)

    @property
    def holds_everything(self) -> bool:
        """The whole clip fits: nothing is ever evicted."""
        return self.capacity >= self.frame_count

    def slot(self, index: int) -> int:
        """The slot holding frame `index`, or -1."""
        return int(self._slot_of[index]) if 0 <= index < self.frame_count else -1

    def resident_count(self) -> int:
        return int((self._frame_in >= 0).sum())

    def shrink(self, frame_count: int) -> None:
        """The file holds fewer frames than its header said: forget what lies past the end."""
        for slot, index in enumerate(self._frame_in):
            if index >= frame_count:
                self._frame_in[slot] = -1
        self._slot_of = self._slot_of[:frame_count].copy()
        self.frame_count = frame_count

    def claim(self, index: int) -> int:
        """A slot for frame `index` (which must not be resident): a free one, else the one whose
        frame is farthest from the playhead. Returns -1 when every resident frame is nearer
        than `index` (decoding it would throw away something more useful)."""
        import numpy as np

        free = np.flatnonzero(self._frame_in < 0)
        if len(free):
            slot = int(free[0])
        else:
            scores = self._scores(self._frame_in)
            slot = int(np.argmax(scores))
            if scores[slot] <= self._scores(np.array([index]))[0]:
                return -1
            self._slot_of[self._frame_in[slot]] = -1
        self._frame_in[slot] = index
        self._slot_of[index] = slot
        return slot

    def release(self, index: int) -> None:
        """Frame `index` could not be decoded after all: free its slot."""
        slot = self.slot(index)
        if slot >= 0:
            self._frame_in[slot] = -1
            self._slot_of[index] = -1

    def next_missing(self) -> int | None:
        """The first frame of the window, in playing order from the playhead, not in memory;
        None when the window is full."""
        for step in range(self.ahead + 1):
            index = self.playhead + step
            if index >= self.frame_count:
                if not self.wrap:
                    break
                index -= self.frame_count
            if self._slot_of[index] < 0:
                return index
        for step in range(1, self.behind + 1):
            index = self.playhead - step
            if index < 0:
                break
            if self._slot_of[index] < 0:
                return index
        return None

    def _scores(self, frames: "np.ndarray") -> "np.ndarray":
        """How far each frame is from the playhead: frames ahead count their distance, frames
        behind count theirs times ahead/behind (so a quarter of the slots stay behind); free
        slots (-1) score highest."""
        import numpy as np

        n, p = self.frame_count, self.playhead
        forward = (frames - p) % n if self.wrap else np.where(frames >= p, frames - p, n * 4)
        back = np.where(frames <= p, p - frames, n * 4)
        weight = self.ahead / max(1, self.behind)
        scores = np.minimum(forward, back * weight).astype(float)
        scores[frames < 0] = np.inf
        return scores
