"""Paints 1–4 clips' current frames: side by side, grid, wipe or difference, with labels.

Zoom and pan are one state for all panels (compare the same spot in every clip): `zoom` None
means fit, otherwise screen pixels per *original* video pixel (1.0 = 1:1, even when the frames
are cached at a smaller size); `center` is the point of the video (0..1, 0..1) at the middle of
each panel. The wheel zooms around the cursor, dragging pans, and in wipe mode dragging the
handle moves the split. Wipe and difference show the two clips of `pair`; a click on a panel
(side by side, grid) selects it, the clip the arrow keys step, marked with a frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (QColor, QFontMetrics, QImage, QMouseEvent, QPainter, QPaintEvent, QPen,
                           QWheelEvent)
from PySide6.QtWidgets import QSizePolicy, QWidget

from wan22_gui.core.video import compose

LAYOUT_TITLES = {"side_by_side": "Side by side", "grid": "Grid", "wipe": "Wipe",
                 "difference": "Difference"}
_GAP = 4
_HANDLE_GRAB_PX = 8
_ZOOM_LIMITS = (0.05, 16.0)
_BACKGROUND = QColor(24, 24, 26)
_SELECTED = QColor(90, 160, 255)
_CLICK_SLOP_PX = 4  # a press and release closer than this is a click, not a pan
# Shrunk frames kept for repaints that show the same frames again (4 panels, the pair's two).
_SHRUNK_KEPT = 8


@dataclass
class PanelFrame:
    """What one clip shows now: its BGRA frame (None while decoding), original size, label.

    `exact` is False while the frame shown is a stand-in (the one before) for a frame that is
    still being decoded; the panel then says so.
    """

    frame: np.ndarray | None
    original_size: tuple[int, int]
    label: str = ""
    exact: bool = True


def to_qimage(frame: np.ndarray) -> QImage:
    """A QImage over a BGRA array (no copy; keep the array alive while the image is used)."""
    height, width = frame.shape[:2]
    return QImage(frame.data, width, height, frame.strides[0], QImage.Format.Format_RGB32)


class ClipCanvas(QWidget):
    """The picture area of the player / compare view.

    Signals:
        view_changed(): zoom, pan or the wipe split changed (the controls show the zoom).
        panel_clicked(int): the user clicked panel i (side by side or grid).
    """

    view_changed = Signal()
    panel_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("clip_canvas")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(200, 150)
        self.setMouseTracking(True)
        self.layout_mode = "side_by_side"
        self.zoom: float | None = None
        self.center = QPointF(0.5, 0.5)
        self.split = 0.5
        self.diff_gain = compose.DEFAULT_DIFF_GAIN
        self.panels: list[PanelFrame] = []
        self.pair = (0, 1)  # the clips wipe and difference show
        self.selected: int | None = None  # the panel marked as the one the arrows step
        self._drag: tuple[str, QPointF, QPointF] | None = None
        self._diff_keep: np.ndarray | None = None
        self._shrunk: list[tuple[np.ndarray, tuple[int, int], np.ndarray]] = []

    def sizeHint(self) -> QSize:  # Qt override
        return QSize(960, 600)

    # -- state ------------------------------------------------------------------------------

    def set_panels(self, panels: list[PanelFrame]) -> None:
        self.panels = panels
        self.update()

    def set_pair(self, first: int, second: int) -> None:
        """The two clips (indexes) that wipe and difference show, first on the left."""
        self.pair = (int(first), int(second))
        self.update()

    def set_selected(self, index: int | None) -> None:
        self.selected = index
        self.update()

    def _reference(self) -> PanelFrame:
        """The panel whose size sets zoom, pan and the wipe handle (wipe/difference: the
        pair's first clip)."""
        pair = self._pair_panels() if self.layout_mode in ("wipe", "difference") else None
        return pair[0] if pair is not None else self.panels[0]

    def _pair_panels(self) -> tuple[PanelFrame, PanelFrame] | None:
        a, b = self.pair
        if a == b or max(a, b) >= len(self.panels):
            return None
        return self.panels[a], self.panels[b]

    def set_layout_mode(self, mode: str) -> None:
        if mode not in LAYOUT_TITLES:
            raise ValueError(f"unknown layout {mode!r}")
        self.layout_mode = mode
        self.update()
        self.view_changed.emit()

    def set_zoom(self, zoom: float | None, anchor: QPointF | None = None) -> None:
        """Fit (None) or a zoom factor; `anchor` (widget coordinates) stays over the same spot."""
        if zoom is not None:
            zoom = min(max(zoom, _ZOOM_LIMITS[0]), _ZOOM_LIMITS[1])
        if anchor is not None and self.panels:
            rect = self._panel_at(anchor)
            before = self._video_point(rect, anchor)
            self.zoom = zoom
            after = self._video_point(rect, anchor)
            self.center += before - after
        else:
            self.zoom = zoom
        if zoom is None:
            self.center = QPointF(0.5, 0.5)
        self.update()
        self.view_changed.emit()

    def effective_zoom(self) -> float:
        """Screen pixels per original video pixel now (also when fitting)."""
        rects = self.panel_rects()
        if not rects or not self.panels:
            return 1.0
        return self._scale(rects[0], self._reference().original_size)

    def panel_rects(self) -> list[QRect]:
        """Screen rectangle of each panel for the current layout."""
        count = 1 if self.layout_mode in ("wipe", "difference") else len(self.panels)
        if count == 0:
            return []
        columns, rows = compose.grid_shape(count, self.layout_mode)
        width = (self.width() - _GAP * (columns - 1)) // columns
        height = (self.height() - _GAP * (rows - 1)) // rows
        return [QRect((i % columns) * (width + _GAP), (i // columns) * (height + _GAP), width, height)
                for i in range(count)]

    # -- painting ---------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:  # Qt override
        painter = QPainter(self)
        painter.fillRect(self.rect(), _BACKGROUND)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self._smooth())
        rects = self.panel_rects()
        pair = self._pair_panels()
        if self.layout_mode == "wipe" and pair is not None:
            self._paint_wipe(painter, rects[0], *pair)
        elif self.layout_mode == "difference" and pair is not None:
            self._paint_difference(painter, rects[0], *pair)
        else:
            for i, (rect, panel) in enumerate(zip(rects, self.panels)):
                self._paint_frame(painter, rect, panel)
                self._paint_label(painter, self._picture_area(rect, panel), panel.label)
                if i == self.selected:
                    painter.setPen(QPen(_SELECTED, 2))
                    painter.setBrush(Qt.BrushStyle.NoBrush)
                    painter.drawRect(rect.adjusted(1, 1, -1, -1))
        painter.end()

    def _smooth(self) -> bool:
        return self.zoom is None or self.effective_zoom() < 2.0  # crisp pixels when magnified

    def _paint_frame(self, painter: QPainter, rect: QRect, panel: PanelFrame,
                     frame: np.ndarray | None = None) -> None:
        frame = panel.frame if frame is None else frame
        painter.save()
        painter.setClipRect(rect, Qt.ClipOperation.IntersectClip)
        if frame is None:
            painter.setPen(QColor(180, 180, 180))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, "Decoding…")
        else:
            self._draw(painter, self._target(rect, panel.original_size), frame)
            if not panel.exact:  # bottom left: free in every layout (wipe labels B bottom right)
                self._paint_label(painter, self._picture_area(rect, panel),
                                  "Decoding this frame…", bottom=True)
        painter.restore()

    def _draw(self, painter: QPainter, target: QRectF, frame: np.ndarray) -> None:
        """Draw `frame` over `target`. A frame shown smaller than it is is shrunk first (once
        per frame and size), then drawn pixel for pixel: scaling full-size frames in the paint
        took most of a frame step while the decoders ran (4 clips at 832x1216)."""
        size = (max(1, round(target.width())), max(1, round(target.height())))
        if size[0] >= frame.shape[1] or not self._smooth():
            painter.drawImage(target, to_qimage(frame))  # magnified or crisp: Qt's own scaling
            return
        shrunk = self._shrunk_frame(frame, size)
        painter.drawImage(QPoint(round(target.left()), round(target.top())), to_qimage(shrunk))

    def _shrunk_frame(self, frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
        for kept, kept_size, shrunk in self._shrunk:
            if kept is frame and kept_size == size:
                return shrunk
        shrunk = compose.shrink(frame, size)
        self._shrunk = [(frame, size, shrunk), *self._shrunk[:_SHRUNK_KEPT - 1]]
        return shrunk

    def _paint_wipe(self, painter: QPainter, rect: QRect, a: PanelFrame, b: PanelFrame) -> None:
        x = round(self._split_x(rect))
        painter.save()
        painter.setClipRect(QRect(rect.left(), rect.top(), x - rect.left(), rect.height()))
        self._paint_frame(painter, rect, a)
        painter.setClipRect(QRect(x, rect.top(), rect.right() - x + 1, rect.height()))
        self._paint_frame(painter, rect, b)
        painter.restore()
        painter.setPen(QPen(QColor(255, 255, 255), 2))
        painter.drawLine(x, rect.top(), x, rect.bottom())
        painter.setBrush(QColor(255, 255, 255))
        painter.drawEllipse(QPointF(x, rect.center().y()), 7, 7)
        area = self._picture_area(rect, a)
        self._paint_label(painter, area, a.label)
        self._paint_label(painter, area, b.label, right=True, bottom=True)

    def _paint_difference(self, painter: QPainter, rect: QRect, a: PanelFrame,
                          b: PanelFrame) -> None:
        if a.frame is None or b.frame is None or not (a.exact and b.exact):
            self._paint_frame(painter, rect, PanelFrame(None, a.original_size))
            return
        self._diff_keep = compose.difference(a.frame, b.frame, self.diff_gain)  # alive while painted
        self._paint_frame(painter, rect, a, self._diff_keep)
        first = a.label.split("\n")[0]
        second = b.label.split("\n")[0]
        text = f"Difference × {self.diff_gain:g}\n{first}  vs  {second}"
        self._paint_label(painter, self._picture_area(rect, a), text)

    def _paint_label(self, painter: QPainter, rect: QRect, text: str, *, right: bool = False,
                     bottom: bool = False) -> None:
        """Label box in a corner of `rect`: first line (the method) bold, the rest below it."""
        if not text:
            return
        lines = text.split("\n")
        metrics = painter.fontMetrics()
        bold = painter.font()
        bold.setBold(True)
        widest = max([QFontMetrics(bold).horizontalAdvance(lines[0])]  # the title is bold
                     + [metrics.horizontalAdvance(line) for line in lines[1:]]) + 16
        width = min(rect.width() - 8, widest)
        height = metrics.height() * len(lines) + 6
        top = rect.bottom() - height - 3 if bottom else rect.top() + 4
        box = QRect(rect.right() - width - 3 if right else rect.left() + 4, top, width, height)
        painter.fillRect(box, QColor(0, 0, 0, 170))
        painter.setPen(QColor(240, 240, 240))
        for i, line in enumerate(lines):
            font = painter.font()
            font.setBold(i == 0)
            painter.setFont(font)
            elided = painter.fontMetrics().elidedText(line, Qt.TextElideMode.ElideRight, width - 12)
            row = QRect(box.left() + 6, box.top() + 3 + i * metrics.height(), width - 12, metrics.height())
            painter.drawText(row, Qt.AlignmentFlag.AlignVCenter, elided)
        font = painter.font()
        font.setBold(False)
        painter.setFont(font)

    # -- geometry ---------------------------------------------------------------------------

    def _scale(self, rect: QRect, original: tuple[int, int]) -> float:
        if self.zoom is not None:
            return self.zoom
        return min(rect.width() / original[0], rect.height() / original[1])

    def _target(self, rect: QRect, original: tuple[int, int]) -> QRectF:
        """Where the whole video lands on screen for this panel."""
        scale = self._scale(rect, original)
        width, height = original[0] * scale, original[1] * scale
        left = rect.left() + rect.width() / 2 - self.center.x() * width
        top = rect.top() + rect.height() / 2 - self.center.y() * height
        return QRectF(left, top, width, height)

    def _picture_area(self, rect: QRect, panel: PanelFrame) -> QRect:
        """The part of `rect` the video covers (labels sit on the picture, not the margin)."""
        area = self._target(rect, panel.original_size).toAlignedRect().intersected(rect)
        return area if area.width() > 120 and area.height() > 40 else rect

    def _panel_at(self, point: QPointF) -> QRect:
        rects = self.panel_rects()
        return next((r for r in rects if r.contains(point.toPoint())), rects[0])

    def _video_point(self, rect: QRect, point: QPointF) -> QPointF:
        target = self._target(rect, self._reference().original_size)
        return QPointF((point.x() - target.left()) / target.width(),
                       (point.y() - target.top()) / target.height())

    # -- mouse ------------------------------------------------------------------------------

    def wheelEvent(self, event: QWheelEvent) -> None:  # Qt override
        if not self.panels:
            return
        factor = 1.25 if event.angleDelta().y() > 0 else 0.8
        self.set_zoom(self.effective_zoom() * factor, event.position())

    def mousePressEvent(self, event: QMouseEvent) -> None:  # Qt override
        if event.button() != Qt.MouseButton.LeftButton or not self.panels:
            return
        what = "split" if self._near_handle(event.position()) else "pan"
        self._drag = (what, event.position(), QPointF(self.center))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # Qt override
        near = self.layout_mode == "wipe" and self._near_handle(event.position())
        self.setCursor(Qt.CursorShape.SplitHCursor if near or (self._drag and self._drag[0] == "split")
                       else Qt.CursorShape.ArrowCursor)
        if self._drag is None:
            return
        what, start, center = self._drag
        rect = self.panel_rects()[0]
        if what == "split":
            target = self._target(rect, self._reference().original_size)
            self.split = min(max((event.position().x() - target.left()) / target.width(), 0.0), 1.0)
        elif self.zoom is not None:
            target = self._target(rect, self._reference().original_size)
            delta = event.position() - start
            self.center = QPointF(center.x() - delta.x() / target.width(),
                                  center.y() - delta.y() / target.height())
        self.update()
        self.view_changed.emit()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # Qt override
        drag, self._drag = self._drag, None
        if drag is None or self.layout_mode not in ("side_by_side", "grid"):
            return
        moved = event.position() - drag[1]
        if abs(moved.x()) + abs(moved.y()) <= _CLICK_SLOP_PX:
            point = event.position().toPoint()
            for i, rect in enumerate(self.panel_rects()):
                if rect.contains(point):
                    self.panel_clicked.emit(i)

    def _near_handle(self, point: QPointF) -> bool:
        if self.layout_mode != "wipe" or not self.panel_rects():
            return False
        return abs(point.x() - self._split_x(self.panel_rects()[0])) <= _HANDLE_GRAB_PX

    def _split_x(self, rect: QRect) -> float:
        """Screen x of the wipe handle: `split` of the way across the video, kept in the panel."""
        target = self._target(rect, self._reference().original_size)
        x = target.left() + target.width() * self.split
        return min(max(x, rect.left()), rect.right())
