"""The telemetry graph's pyqtgraph items: the clock axis and the curve. Their own module because
they subclass pyqtgraph classes, and pyqtgraph is imported only once the graph has GPU data."""

from __future__ import annotations

import pyqtgraph as pg

from PySide6.QtCore import QRectF

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


class ViewCurve(pg.PlotCurveItem):
    """A curve whose bounding rectangle is the view it sits in.

    The graph hands each curve only the rows on screen, and sets every axis range itself, so
    the exact bounds of the data (which pyqtgraph recomputes with nanmin/nanmax on every
    scroll and every new sample, for the paint) are never needed; the view clips the line.
    `dataBounds` is left as it is for a plot that auto-ranges.
    """

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt override)
        view = self.getViewBox()
        if view is None:
            return super().boundingRect()
        return view.viewRect()

