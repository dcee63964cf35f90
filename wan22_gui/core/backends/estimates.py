"""What the history teaches the scheduler: how long a job takes on each backend, and how much
VRAM a job of that size needed.

"Similar" jobs have the same width, height and frame count. A backend's own figures count
once it has MIN_SAMPLES of them; before, every backend's median for similar jobs stands in,
then DEFAULT_S. So one slow first job (models loading) does not starve a backend forever.
"""

from __future__ import annotations

import statistics
import threading
from typing import Any

from wan22_gui.core.history import HistoryStore, JobRecord

DEFAULT_S = 120.0
MIN_SAMPLES = 3  # a backend's own median counts from this many finished jobs on
RECENT = 500  # finished jobs read per refresh: enough to learn, cheap to read


def size_key(params: dict[str, Any]) -> tuple:
    return (params.get("width"), params.get("height"), params.get("frames"))


class Estimates:
    """Learned seconds per (backend, size) and peak VRAM per size; `refresh` re-reads them."""

    def __init__(self, history: HistoryStore) -> None:
        self.history = history
        self._lock = threading.Lock()
        self._by_backend: dict[tuple[str, tuple], list[float]] = {}
        self._backend_all: dict[str, list[float]] = {}
        self._by_size: dict[tuple, list[float]] = {}
        self._vram: dict[tuple, int] = {}
        self.refresh()

    def refresh(self) -> None:
        by_backend: dict[tuple[str, tuple], list[float]] = {}
        backend_all: dict[str, list[float]] = {}
        by_size: dict[tuple, list[float]] = {}
        vram: dict[tuple, int] = {}
        with self._lock:
            self._by_backend, self._backend_all = by_backend, backend_all
            self._by_size, self._vram = by_size, vram
        for rec in self.history.list(kind="generate", status="succeeded", limit=RECENT):
            self.learn(rec)

    def learn(self, rec: JobRecord) -> None:
        """Add one finished job (cheap: the scheduler calls it after every job)."""
        if rec.status != "succeeded":
            return
        key = size_key(rec.params)
        peak = (rec.metrics or {}).get("peak_vram_bytes")
        with self._lock:
            if isinstance(peak, (int, float)):
                self._vram[key] = max(self._vram.get(key, 0), int(peak))
            if rec.duration is None or not rec.backend:
                return
            self._by_backend.setdefault((rec.backend, key), []).append(rec.duration)
            self._backend_all.setdefault(rec.backend, []).append(rec.duration)
            self._by_size.setdefault(key, []).append(rec.duration)

    def seconds(self, backend: str, params: dict[str, Any]) -> float:
        """The expected run time of a job like `params` on `backend`."""
        key = size_key(params)
        with self._lock:
            for samples in (self._by_backend.get((backend, key)), self._backend_all.get(backend),
                            self._by_size.get(key), self._all()):
                if samples and len(samples) >= MIN_SAMPLES:
                    return float(statistics.median(samples))
        return DEFAULT_S

    def _all(self) -> list[float]:
        return [d for samples in self._backend_all.values() for d in samples]

    def vram_bytes(self, params: dict[str, Any]) -> int | None:
        """The largest peak VRAM a job of this size needed, or None if never measured."""
        with self._lock:
            return self._vram.get(size_key(params))
