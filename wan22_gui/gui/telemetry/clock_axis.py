"""The telemetry graph's bottom axis: x is seconds since the buffer's origin, the ticks show the
wall-clock time. Its own module because it subclasses a pyqtgraph class, and pyqtgraph is
imported only once the graph has GPU data to draw."""

from __future__ import annotations

import pyqtgraph as pg

from wan22_gui.gui.telemetry.buffer import SeriesBuffer
from wan22_gui.gui.telemetry.readout import clock_text

AXIS_PEN = "#455a64"


class ClockAxis(pg.AxisItem):
    """Bottom axis whose tick labels are clock times of `buffer.origin + x`."""

    def __init__(self, buffer: SeriesBuffer) -> None:
        super().__init__("bottom", pen=AXIS_PEN, textPen=AXIS_PEN)
        self._buffer = buffer

    def tickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph override)
        origin = self._buffer.origin
        if origin is None:
            return ["" for _ in values]
        return [clock_text(origin + v, tenths=spacing < 1) for v in values]
