"""The graph's own copy of the sampler's series, in fixed numpy buffers.

The buffer holds `2 x capacity` rows per column and appends at the end; when the end is
reached, the newest `capacity` rows move to the front (amortized O(1) per row). Every column is
therefore one contiguous slice, handed to `PlotDataItem.setData` without copying, and the graph
fetches only the rows that are new since its last refresh.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np


class SeriesBuffer:
    """Columns of floats plus `x` (seconds since `origin`), appended in time order.

    Args:
        columns: the sampler's column names; the first is the wall-clock time `t`.
        capacity: the most rows kept (match the sampler's ring so nothing is lost twice).
    """

    def __init__(self, columns: Sequence[str], capacity: int) -> None:
        self.columns = ("x", *columns)
        self.capacity = int(capacity)
        self._index = {name: i for i, name in enumerate(self.columns)}
        self._data = np.full((len(self.columns), 2 * self.capacity), np.nan, dtype=np.float64)
        self._start = 0
        self._end = 0
        self.origin: float | None = None  # wall-clock time of x == 0

    def __len__(self) -> int:
        return self._end - self._start

    @property
    def last_t(self) -> float | None:
        return float(self._data[1, self._end - 1]) if len(self) else None

    def clear(self) -> None:
        """Forget the rows (the origin stays, so phase bands keep their place)."""
        self._start = self._end = 0

    def extend(self, rows: Mapping[str, np.ndarray]) -> int:
        """Append new rows (a `GpuSampler.snapshot(since_t)` dict); returns how many."""
        t = rows.get("t")
        n = 0 if t is None else int(len(t))
        if n == 0:
            return 0
        if self.origin is None:
            self.origin = float(t[0])
        if n > self.capacity:  # more than fits: keep the newest
            rows = {k: v[-self.capacity:] for k, v in rows.items()}
            t, n = rows["t"], self.capacity
        if self._end + n > self._data.shape[1]:
            self._compact(keep=self.capacity - n)
        end = self._end + n
        self._data[0, self._end:end] = np.asarray(t, dtype=np.float64) - self.origin
        for name, values in rows.items():
            row = self._index.get(name)
            if row is not None:
                self._data[row, self._end:end] = values
        self._end = end
        self._start = max(self._start, self._end - self.capacity)
        return n

    def x_of(self, t: float) -> float:
        """Plot x of a wall-clock time (the origin is set by the first row or by this call)."""
        if self.origin is None:
            self.origin = float(t)
        return float(t) - self.origin

    def view(self, name: str) -> np.ndarray:
        """The column's rows, oldest first (a view: valid until the next `extend`)."""
        return self._data[self._index[name], self._start:self._end]

    def nearest(self, x: float) -> int | None:
        """Row index (into `view`) of the sample nearest to plot position `x`."""
        xs = self.view("x")
        if xs.size == 0:
            return None
        i = int(np.searchsorted(xs, x))
        if i == xs.size or (i > 0 and x - xs[i - 1] < xs[i] - x):
            i -= 1
        return i

    def rows_between(self, x0: float, x1: float) -> dict[str, np.ndarray]:
        """Copies of all columns for x0 <= x <= x1 (what the export writes)."""
        xs = self.view("x")
        i0, i1 = np.searchsorted(xs, x0, side="left"), np.searchsorted(xs, x1, side="right")
        return {name: self.view(name)[i0:i1].copy() for name in self.columns}

    def _compact(self, keep: int) -> None:
        keep = max(0, min(keep, len(self)))
        self._data[:, :keep] = self._data[:, self._end - keep:self._end]
        self._start, self._end = 0, keep
