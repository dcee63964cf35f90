"""The graph's own copy of the sampler's series, in numpy buffers that grow with the data.

The buffer appends at the end of one array per column. It starts with room for
`INITIAL_ROWS` and doubles when full, up to `2 x capacity` rows (so an app without a GPU holds
a few kB, not the four hours); at that size, when the end is reached, the newest `capacity`
rows move to the front. Nothing is held before the first row, and numpy itself loads with it
(not at start-up: each function imports it where used). Both are amortized O(1) per row. Every column is
therefore one contiguous slice, handed to the curves' `setData` without copying, and the graph
fetches only the rows that are new since its last refresh.

`peak_decimate` reduces what is on screen to a maximum and a minimum per pixel column before it
is drawn, so a repaint strokes about two points per pixel however long the window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping, Sequence

if TYPE_CHECKING:
    import numpy as np

INITIAL_ROWS = 1024  # about 100 s at 10 Hz


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
        self._data: np.ndarray | None = None  # made by the first row
        self._start = 0
        self._end = 0
        self._appended = 0  # rows ever appended: gives each row a serial number
        self.origin: float | None = None  # wall-clock time of x == 0

    def __len__(self) -> int:
        return self._end - self._start

    @property
    def last_t(self) -> float | None:
        return float(self._held()[1, self._end - 1]) if len(self) else None

    def clear(self) -> None:
        """Forget the rows (the origin stays, so phase bands keep their place)."""
        self._start = self._end = 0

    def extend(self, rows: Mapping[str, np.ndarray]) -> int:
        """Append new rows (a `GpuSampler.snapshot(since_t)` dict); returns how many."""
        import numpy as np

        t = rows.get("t")
        n = 0 if t is None else int(len(t))
        if n == 0:
            return 0
        if self.origin is None:
            self.origin = float(t[0])
        if n > self.capacity:  # more than fits: keep the newest
            rows = {k: v[-self.capacity:] for k, v in rows.items()}
            t, n = rows["t"], self.capacity
        if self._data is None:
            self._data = np.empty((len(self.columns), min(2 * self.capacity, INITIAL_ROWS)),
                                  np.float64)
        if self._end + n > self._data.shape[1]:
            if len(self) + n > self._data.shape[1]:  # too small even with the old rows gone
                self._grow(len(self) + n)
            else:
                self._compact(keep=self.capacity - n)
        end = self._end + n
        self._data[0, self._end:end] = np.asarray(t, dtype=np.float64) - self.origin
        for name, values in rows.items():
            row = self._index.get(name)
            if row is not None:
                self._data[row, self._end:end] = values
        self._end = end
        self._start = max(self._start, self._end - self.capacity)
        self._appended += n
        return n

    def x_of(self, t: float) -> float:
        """Plot x of a wall-clock time (the origin is set by the first row or by this call)."""
        if self.origin is None:
            self.origin = float(t)
        return float(t) - self.origin

    def view(self, name: str) -> np.ndarray:
        """The column's rows, oldest first (a view: valid until the next `extend`)."""
        return self._held()[self._index[name], self._start:self._end]

    def nearest(self, x: float) -> int | None:
        """Row index (into `view`) of the sample nearest to plot position `x`."""
        import numpy as np

        xs = self.view("x")
        if xs.size == 0:
            return None
        i = int(np.searchsorted(xs, x))
        if i == xs.size or (i > 0 and x - xs[i - 1] < xs[i] - x):
            i -= 1
        return i

    def rows_between(self, x0: float, x1: float) -> dict[str, np.ndarray]:
        """Copies of all columns for x0 <= x <= x1 (what the export writes)."""
        import numpy as np

        xs = self.view("x")
        i0, i1 = np.searchsorted(xs, x0, side="left"), np.searchsorted(xs, x1, side="right")
        return {name: self.view(name)[i0:i1].copy() for name in self.columns}

    def visible_span(self, x0: float, x1: float, width_px: int) -> tuple[int, int, int]:
        """Rows to draw for the view x0..x1 that is `width_px` wide: (first, end, bucket).

        One row beyond each edge is included, so lines run to the edges. `bucket` is how many
        rows share one pixel column (1 when there are fewer rows than pixels); `first` is aligned
        to the rows' serial numbers, so the buckets stay the same rows while the view scrolls
        and the drawn peaks do not shimmer.
        """
        import numpy as np

        xs = self.view("x")
        i0 = max(0, int(np.searchsorted(xs, x0, side="left")) - 1)
        i1 = min(xs.size, int(np.searchsorted(xs, x1, side="right")) + 1)
        bucket = max(1, (i1 - i0) // max(1, int(width_px)))
        if bucket > 1:
            serial0 = self._appended - len(self)  # serial number of row 0
            i0 -= (serial0 + i0) % bucket
            i0 = max(0, i0)
        return i0, i1, bucket

    @property
    def nbytes(self) -> int:
        """Memory held for the rows now."""
        return 0 if self._data is None else int(self._data.nbytes)

    def _held(self) -> np.ndarray:
        """The storage (an empty one before the first row: readers need no special case)."""
        if self._data is None:
            import numpy as np

            return np.empty((len(self.columns), 0), np.float64)
        return self._data

    def _grow(self, needed: int) -> None:
        """Room for at least `needed` rows, by doubling (held rows move to the front)."""
        import numpy as np

        data = self._held()
        width = data.shape[1]
        while width < needed:
            width *= 2
        width = min(width, 2 * self.capacity)
        bigger = np.empty((len(self.columns), width), np.float64)
        held = len(self)
        bigger[:, :held] = data[:, self._start:self._end]
        self._data = bigger
        self._start, self._end = 0, held

    def _compact(self, keep: int) -> None:
        keep = max(0, min(keep, len(self)))
        data = self._held()
        data[:, :keep] = data[:, self._end - keep:self._end]
        self._start, self._end = 0, keep


def peak_decimate(x: np.ndarray, y: np.ndarray, bucket: int) -> tuple[np.ndarray, np.ndarray]:
    """The rows as a minimum and a maximum per `bucket` rows, both at the bucket's first x.

    The pair is in the bucket's direction (minimum first where it rises), so a step draws as a
    clean vertical edge rather than a slanted one. The newest rows that do not fill a bucket
    form one more (they must show at the live edge). NaN rows inside a bucket are skipped; a
    bucket of only NaN stays NaN (a gap in the line).
    """
    import numpy as np

    if bucket <= 1 or y.size <= 2:
        return x, y
    full = (y.size // bucket) * bucket
    parts = [(x[:full:bucket], y[:full].reshape(-1, bucket))]
    if full < y.size:
        parts.append((x[full:full + 1], y[full:].reshape(1, -1)))
    xs, ys = [], []
    for start, group in parts:
        high = np.fmax.reduce(group, axis=1)  # fmax/fmin skip NaN without a warning
        low = np.fmin.reduce(group, axis=1)
        rising = group[:, -1] >= group[:, 0]
        pair = np.empty((group.shape[0], 2))
        pair[:, 0] = np.where(rising, low, high)
        pair[:, 1] = np.where(rising, high, low)
        ys.append(pair.reshape(-1))
        xs.append(np.repeat(start, 2))
    return np.concatenate(xs), np.concatenate(ys)
