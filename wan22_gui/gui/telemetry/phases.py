"""Job phases on the telemetry graph: shaded bands, a labelled lane, and instant marks.

`PhaseTrack` (in `phase_track`) turns the runner's `PhaseEvent`s into spans and marks (plain
data, tested without drawing); `PhaseOverlay` draws them on the graph's plots: a translucent band per span behind
every series, a lane with the phase titles at the top, and a dashed vertical line per mark (job
start and end, error, OOM), named in the memory plot.
"""

from __future__ import annotations

from typing import Callable

import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPen

from wan22_gui.gui import theme
from wan22_gui.gui.telemetry.phase_track import Mark, PhaseTrack, Span

__all__ = ["PHASE_COLORS", "BandsItem", "Mark", "PhaseOverlay", "PhaseTrack", "Span"]

PHASE_COLORS: dict[str, str] = {
    "upload": "#b0bec5",
    "queued": "#cfd8dc",
    "text_encode": "#b39ddb",
    "model_load": "#ffb74d",
    "vae_encode": "#f8bbd0",
    "high_noise": "#64b5f6",
    "low_noise": "#4db6ac",
    "vae_decode": "#f06292",
    "save": "#aed581",
    "interpolate": "#ba68c8",
    "download": "#90a4ae",
}
MARK_STYLES: dict[str, tuple[str, str]] = {
    "job_start": ("#2e7d32", "start"),
    "job_end": ("#37474f", "end"),
    "error": ("#c62828", "error"),
    "oom": ("#b71c1c", "OOM"),
}
DARK_TEXT_LIGHTER = 230  # % : a mark's name on the dark theme, lighter than its line
BAND_ALPHA = 46  # behind the series: visible, but the curves stay readable (white background)
LANE_ALPHA = 190
CHAR_PX = 7  # rough width of a label character, to hide labels that would not fit
MAX_TITLES = 400  # phase titles kept in the lane (bands themselves cost nothing when off screen)


class BandsItem(pg.GraphicsObject):
    """All phase bands and mark lines of one plot, painted by a single item.

    One item per plot instead of one per span keeps a repaint cheap however long the history
    (hundreds of LinearRegionItems made an hour's repaint ten times slower). Only what
    intersects the view is drawn. With `labels`, mark names are written beside their lines
    where there is room.
    """

    def __init__(self, alpha: int, *, labels: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.labels = labels
        self.bands: list[tuple[float, float, QColor]] = []
        self.marks: list[tuple[float, QColor, str, bool]] = []  # x, colour, text, emphasised
        self._pens: list[QPen] = []  # one per mark, made once rather than on every paint
        self.setZValue(-100)

    def set_content(self, bands: list, marks: list) -> None:
        if marks != self.marks:
            self._pens = [_mark_pen(color, strong) for _x, color, _text, strong in marks]
        self.bands, self.marks = bands, marks
        self.update()

    def viewTransformChanged(self) -> None:  # noqa: N802 (pyqtgraph hook)
        super().viewTransformChanged()  # drops the cached view rect
        self.prepareGeometryChange()  # the bounding rect is the view: it moved

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt override)
        view = self.viewRect()
        self._bounds = QRectF() if view is None else view.normalized()
        return self._bounds

    def paint(self, painter, *args) -> None:
        view = self.viewRect()
        if view is None:
            return
        view = view.normalized()
        left, right = view.left(), view.right()
        for x0, x1, color in self.bands:
            if x1 >= left and x0 <= right:
                painter.fillRect(QRectF(x0, view.top(), x1 - x0, view.height()), color)
        for (x, _color, _text, _strong), pen in zip(self.marks, self._pens):
            if left <= x <= right:
                painter.setPen(pen)
                painter.drawLine(QPointF(x, view.top()), QPointF(x, view.bottom()))
        if self.labels:
            self._paint_labels(painter, view)

    def _paint_labels(self, painter, view: QRectF) -> None:
        """Mark names in screen pixels (unscaled text), skipped where they would overlap."""
        to_device = painter.transform()  # item -> device pixels
        painter.save()
        painter.resetTransform()
        last_px = -1e9
        dark = theme.is_dark()  # the marks' dark green and slate do not read on near-black
        for x, color, text, _strong in self.marks:
            if not view.left() <= x <= view.right():
                continue
            point = to_device.map(QPointF(x, view.top()))  # y grows upwards: top() is the floor
            if point.x() - last_px < 48:
                continue
            last_px = point.x()
            painter.setPen(color.lighter(DARK_TEXT_LIGHTER) if dark else color)
            painter.drawText(QPointF(point.x() + 3, point.y() - 4), text)
        painter.restore()


class PhaseOverlay:
    """Draws a PhaseTrack: bands and mark lines behind every plot, titles in the lane.

    Args:
        lane: the thin plot at the top (y 0..1) that carries the phase titles.
        plots: the data plots that get the translucent bands and mark lines.
        x_of: maps a wall-clock time to the plots' x (seconds since the graph's origin).
    """

    def __init__(
        self, lane: pg.PlotItem, plots: list[pg.PlotItem], x_of: Callable[[float], float]
    ) -> None:
        self.lane = lane
        self.x_of = x_of
        self.items = [(lane, BandsItem(LANE_ALPHA))] + [
            (plot, BandsItem(BAND_ALPHA, labels=i == 0)) for i, plot in enumerate(plots)
        ]
        for plot, item in self.items:
            plot.addItem(item, ignoreBounds=True)
        self._titles: list[tuple[Span, pg.TextItem]] = []

    def add_span(self, span: Span, now: float) -> None:
        label = pg.TextItem(span.title, color=theme.colors().text, anchor=(0, 0.5))
        label.setPos(self.x_of(span.start), 0.5)
        label.setVisible(False)
        self.lane.addItem(label, ignoreBounds=True)
        self._titles.append((span, label))
        while len(self._titles) > MAX_TITLES:
            self.lane.removeItem(self._titles.pop(0)[1])

    def refresh(self, track: PhaseTrack, now: float, units_per_px: float,
                view: tuple[float, float], *, bands: bool = True) -> None:
        """Show the titles that fit the view and, with `bands`, redraw the bands (running ones
        reach `now`); a mere scroll passes False, as the bands themselves did not change."""
        if bands:
            self._set_bands(track, now)
        for span, label in self._titles:
            x0, x1 = self._extent(span, now)
            on_screen = x1 >= view[0] and x0 <= view[1]
            fits = on_screen and units_per_px > 0 and (
                (x1 - x0) / units_per_px >= len(span.title) * CHAR_PX)
            if label.isVisible() != fits:
                label.setVisible(fits)

    def _set_bands(self, track: PhaseTrack, now: float) -> None:
        marks = [
            (self.x_of(m.t), QColor(MARK_STYLES.get(m.kind, ("#424242", ""))[0]),
             MARK_STYLES.get(m.kind, ("", m.kind))[1], m.kind in ("error", "oom"))
            for m in track.marks
        ]
        for _plot, item in self.items:
            colors = {}
            bands = []
            for span in track.spans:
                x0, x1 = self._extent(span, now)
                color = colors.get(span.phase)
                if color is None:
                    color = colors[span.phase] = _tint(
                        PHASE_COLORS.get(span.phase, "#bdbdbd"), item.alpha)
                bands.append((x0, x1, color))
            item.set_content(bands, marks)

    def _extent(self, span: Span, now: float) -> tuple[float, float]:
        end = span.end if span.end is not None else max(now, span.start)
        return self.x_of(span.start), self.x_of(end)


def _mark_pen(color: QColor, strong: bool) -> QPen:
    pen = pg.mkPen(color, width=2 if strong else 1, style=Qt.PenStyle.DashLine)
    pen.setCosmetic(True)
    return pen


def _tint(color: str, alpha: int) -> QColor:
    """`color` at `alpha` over the plots' background (light or dark theme), as an opaque
    colour: the same look as a translucent band, but cheaper to paint (no blending)."""
    base, under = QColor(color), QColor(theme.plot_colors().background)
    mix = alpha / 255.0
    return QColor(*(round(u + (c - u) * mix) for c, u in (
        (base.red(), under.red()), (base.green(), under.green()), (base.blue(), under.blue()))))
