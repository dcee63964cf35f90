"""Delete with Undo: a clip leaves the gallery at once, its files go to the trash a few seconds
later, and Undo in between puts it back exactly as it was.

Why a pending delete rather than restoring from the trash afterwards: the system trash has no
portable "put back" (the freedesktop `.trashinfo` files exist only on Linux; Windows' recycle
bin and the macOS Trash restore only through their shells), while a delete that has not
happened yet undoes the same everywhere, history row and thumbnails included. Nothing is lost
if the app stops meanwhile: the files simply stay (and `flush` runs the deletes on a normal close).
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from wan22_gui.core.base.signals import Signal
from wan22_gui.core.gallery.actions import GalleryActions
from wan22_gui.core.gallery.trash import TrashError
from wan22_gui.core.video.library import Clip

log = logging.getLogger("wan22.gallery")
UNDO_SECONDS = 8.0


@dataclass(frozen=True)
class Pending:
    token: int
    clips: tuple[Clip, ...]

    @property
    def title(self) -> str:
        first = self.clips[0]
        name = getattr(first, "title", None) or (first.path.name if first.path else first.key)
        return name if len(self.clips) == 1 else f"{name} and {len(self.clips) - 1} more"


class PendingDeletes:
    """Deletes waiting for an Undo.

    Signals (emitted on the caller's or the timer's thread):
        changed(): clips became pending, were put back, or went.
        failed(Exception): a delete that ran could not finish (a TrashError says which files
            stayed; their rows are kept).
    """

    def __init__(self, actions: GalleryActions, *, delay_s: float = UNDO_SECONDS) -> None:
        self.actions = actions
        self.delay_s = delay_s
        self.changed = Signal("gallery.pending_changed")
        self.failed = Signal("gallery.pending_failed")
        self._lock = threading.Lock()
        self._pending: dict[int, tuple[Pending, threading.Timer]] = {}
        self._tokens = itertools.count(1)

    def delete_later(self, clips: Sequence[Clip]) -> Pending:
        """Hide `clips` now and delete them after `delay_s` unless undone."""
        pending = Pending(next(self._tokens), tuple(clips))
        timer = threading.Timer(self.delay_s, self._run, args=(pending.token,))
        timer.daemon = True  # a quit without flush leaves the files: safe
        timer.name = "gallery-delete"
        with self._lock:
            self._pending[pending.token] = (pending, timer)
        timer.start()
        self.changed.emit()
        return pending

    def undo(self, token: int | None = None) -> Pending | None:
        """Put back one pending delete (the newest when `token` is None); None if it went."""
        with self._lock:
            if token is None and self._pending:
                token = max(self._pending)
            entry = self._pending.pop(token, None) if token is not None else None
        if entry is None:
            return None
        entry[1].cancel()
        self.changed.emit()
        return entry[0]

    def is_pending(self, clip: Clip) -> bool:
        return clip.key in self.pending_keys()

    def pending_keys(self) -> set[str]:
        with self._lock:
            return {c.key for p, _t in self._pending.values() for c in p.clips}

    def flush(self) -> None:
        """Run every pending delete now (the app is closing). Blocks."""
        with self._lock:
            tokens = list(self._pending)
        for token in tokens:
            self._run(token)

    def _run(self, token: int) -> None:
        with self._lock:
            entry = self._pending.pop(token, None)
        if entry is None:
            return  # undone meanwhile
        pending, timer = entry
        timer.cancel()
        try:
            self.actions.delete(list(pending.clips))
        except TrashError as exc:
            self.failed.emit(exc)  # some files stayed: their rows are kept, say which
        except Exception as exc:  # noqa: BLE001 - a timer thread must not die in silence
            log.exception("deleting %s failed", pending.title)
            self.failed.emit(exc)
        finally:
            self.changed.emit()
