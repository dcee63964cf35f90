"""A bounded ring buffer of numeric rows, one numpy column per series.

Memory grows with the data, doubling from `INITIAL_ROWS` up to the capacity (amortised O(1)
per row), then stays fixed: at 10 Hz the default sampler capacity of four hours is 144,000
rows, about 16 MB for 14 series, held only once four hours were sampled (an app without a GPU
holds a few kB). Nothing is held before the first row, and numpy itself loads with it: each
function imports it where used, so the app's start-up does not pay for it. Once full, the
newest row overwrites the oldest. Missing values are NaN.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Iterable, Sequence

if TYPE_CHECKING:
    import numpy as np

INITIAL_ROWS = 1024  # about 100 s at 10 Hz


class RingBuffer:
    """Rows of floats under named columns; the first column must be the time `t`.

    Thread-safe: one writer (the sampler thread) and any number of readers (the GUI timer,
    job metrics) may use it at once.

    Args:
        columns: column names; `columns[0]` is the time stamp used by `snapshot(since_t)`.
        capacity: the most rows kept.
    """

    def __init__(self, columns: Sequence[str], capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, not {capacity}")
        self.columns: tuple[str, ...] = tuple(columns)
        self.capacity = int(capacity)
        self._data: np.ndarray | None = None  # made by the first append
        self._next = 0  # index the next row goes to
        self._count = 0  # rows held (<= capacity)
        self._total = 0  # rows ever appended (a cheap "has anything changed" counter)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return self._count

    @property
    def total_appended(self) -> int:
        """How many rows were ever appended (grows past capacity; resets with `clear`)."""
        with self._lock:
            return self._total

    @property
    def nbytes(self) -> int:
        """Memory held for the rows now (grows with them up to the capacity, then fixed)."""
        return 0 if self._data is None else int(self._data.nbytes)

    def append(self, row: Iterable[float]) -> None:
        """Add one row (values in column order; None becomes NaN)."""
        import numpy as np

        values = np.array([np.nan if v is None else v for v in row], dtype=np.float64)
        if values.shape != (len(self.columns),):
            raise ValueError(f"row has {values.size} values, expected {len(self.columns)}")
        with self._lock:
            if self._data is None:
                self._data = np.empty((min(self.capacity, INITIAL_ROWS), len(self.columns)),
                                      np.float64)
            elif self._next == len(self._data) < self.capacity:
                self._grow()
            self._data[self._next] = values
            self._next = (self._next + 1) % self.capacity
            self._count = min(self._count + 1, self.capacity)
            self._total += 1

    def _grow(self) -> None:
        """Double the rows held (not wrapped yet: the rows are data[:count] in order)."""
        import numpy as np

        assert self._data is not None  # only called with rows held
        bigger = np.empty((min(self.capacity, 2 * len(self._data)), len(self.columns)), np.float64)
        bigger[: self._count] = self._data[: self._count]
        self._data = bigger

    def clear(self) -> None:
        with self._lock:
            self._next = self._count = self._total = 0

    def snapshot(self, since_t: float | None = None) -> dict[str, np.ndarray]:
        """Copies of the rows in time order, as {column: 1-D array}.

        Args:
            since_t: only rows whose time is strictly greater (for incremental readers).
        """
        with self._lock:
            wanted = self._count if since_t is None else self._count_newer(since_t)
            rows = self._ordered_copy(wanted)
        import numpy as np

        return {name: np.ascontiguousarray(rows[:, i]) for i, name in enumerate(self.columns)}

    def latest(self) -> dict[str, float] | None:
        """The newest row as {column: value}, or None when empty."""
        with self._lock:
            if not self._count:
                return None
            row = self._held()[(self._next - 1) % self.capacity].copy()
        return dict(zip(self.columns, row.tolist()))

    def _count_newer(self, since_t: float) -> int:
        """Rows with t > since_t, found by bisecting the two time-ordered runs (no copy), so
        an incremental reader pays for the new rows only."""
        import numpy as np

        older, newer = self._runs()
        return sum(len(run) - int(np.searchsorted(run[:, 0], since_t, side="right"))
                   for run in (older, newer))

    def _runs(self) -> tuple[np.ndarray, np.ndarray]:
        """The held rows as two views in time order: [older run, newer run]."""
        data = self._held()
        if self._count < self.capacity:
            return data[:0], data[: self._count]
        return data[self._next:], data[: self._next]

    def _held(self) -> np.ndarray:
        """The row storage (an empty one before the first row: readers need no special case)."""
        if self._data is None:
            import numpy as np

            return np.empty((0, len(self.columns)), np.float64)
        return self._data

    def _ordered_copy(self, last: int) -> np.ndarray:
        """A copy of the newest `last` rows in time order."""
        older, newer = self._runs()
        if last <= len(newer):
            return newer[len(newer) - last:].copy()
        import numpy as np

        return np.concatenate((older[len(older) - (last - len(newer)):], newer))
