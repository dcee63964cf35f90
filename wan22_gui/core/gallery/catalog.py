"""The gallery's rows, kept in step with the history one change at a time.

The first `load()` reads the light summaries of every generation and interpolation; after that
`refresh(ids)` re-reads only the rows a history change named and says whether anything the
gallery shows changed, so a running job (which writes its row several times) costs one small
query per write and no work at all in the window. Blocking (database): call it off the GUI
thread. Thread-safe.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from wan22_gui.core.base.settings import Settings
from wan22_gui.core.history import SUMMARY_FIELDS, HistoryChange, HistoryStore, JobSummary
from wan22_gui.core.video import library


def shown_in_gallery(row: JobSummary) -> bool:
    """Rows that become tiles: finished generations and interpolations."""
    return row.kind in ("generate", "interpolate") and row.status in library.FINISHED


def concerns_gallery(change: HistoryChange) -> bool:
    """Whether a history write may change a tile (a queue reorder or a graph never does)."""
    return change.touches(SUMMARY_FIELDS)


class GalleryCatalog:
    """The finished jobs the gallery shows, by job id, plus the clips the user added."""

    def __init__(self, history: HistoryStore, settings: Settings) -> None:
        self.history = history
        self.settings = settings
        self._lock = threading.Lock()
        self._rows: dict[str, JobSummary] = {}
        self._last: dict[str, library.Clip] = {}

    def load(self) -> list[library.Clip]:
        """Read every row anew; the clips, newest first."""
        rows = {r.job_id: r for r in self.history.summaries() if shown_in_gallery(r)}
        with self._lock:
            self._rows = rows
        return self.clips()

    def refresh(self, ids: Iterable[str]) -> list[library.Clip] | None:
        """Re-read the rows `ids`; the clips when a tile changed, else None."""
        wanted = set(ids)
        fresh = {r.job_id: r for r in self.history.summaries(wanted) if shown_in_gallery(r)}
        with self._lock:
            if all(self._rows.get(job_id) == fresh.get(job_id) for job_id in wanted):
                return None
            for job_id in wanted:
                self._rows.pop(job_id, None)
            self._rows.update(fresh)
        return self.clips()

    def clips(self) -> list[library.Clip]:
        """The gallery's clips from the rows held and the added files, newest first. A clip
        equal to one handed out before is that same object, so the window's list model tells
        unchanged rows by identity instead of comparing thousands of them on its thread."""
        with self._lock:
            rows = list(self._rows.values())
        fresh = library.collect(rows, library.added_clips(self.settings))
        with self._lock:
            last = self._last
            clips = [_same(last.get(c.key), c) for c in fresh]
            self._last = {c.key: c for c in clips}
        return clips


def _same(before: library.Clip | None, now: library.Clip) -> library.Clip:
    return before if before is not None and before == now else now
