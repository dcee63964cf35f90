"""The gallery's grid of clip tiles, with thumbnails made in the background.

A tile shows its thumbnail as soon as the background task has it; until then a grey
placeholder. A corrupt or half-written file becomes a "broken clip" tile with the reason; it
never blocks the grid. Jobs that ended without a video show their status instead.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView, QListView, QListWidget, QListWidgetItem, QStyle, QStyledItemDelegate,
    QStyleOptionViewItem, QWidget,
)

from wan22_gui.core.video.library import Clip
from wan22_gui.core.video.thumbnails import Thumbnail, ThumbnailCache
from wan22_gui.gui.context import AppContext

TILE = QSize(212, 250)
THUMB_BOX = QSize(200, 180)
CLIP_ROLE = Qt.ItemDataRole.UserRole + 1
_STATUS_COLORS = {"failed": QColor(200, 70, 60), "interrupted": QColor(200, 140, 40),
                  "cancelled": QColor(130, 130, 130), "added": QColor(70, 120, 190)}


class TileDelegate(QStyledItemDelegate):
    """Paints one tile: picture, title, facts line, status and interpolation badges."""

    def __init__(self, grid: "GalleryGrid") -> None:
        super().__init__(grid)
        self.grid = grid

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:  # Qt override
        return TILE

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:  # Qt override
        clip: Clip = index.data(CLIP_ROLE)
        rect = option.rect.adjusted(4, 4, -4, -4)
        painter.save()
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(rect, option.palette.highlight())
        picture = QRect(rect.left() + 2, rect.top() + 2, rect.width() - 4, THUMB_BOX.height())
        self._paint_picture(painter, picture, clip)
        text_color = option.palette.highlightedText().color() if option.state & \
            QStyle.StateFlag.State_Selected else option.palette.text().color()
        painter.setPen(text_color)
        metrics = painter.fontMetrics()
        line = QRect(rect.left() + 4, picture.bottom() + 4, rect.width() - 8, metrics.height())
        painter.drawText(line, Qt.AlignmentFlag.AlignLeft,
                         metrics.elidedText(clip.title, Qt.TextElideMode.ElideRight, line.width()))
        painter.setPen(QColor(text_color.red(), text_color.green(), text_color.blue(), 170))
        painter.drawText(line.translated(0, metrics.height() + 2), Qt.AlignmentFlag.AlignLeft,
                         metrics.elidedText(_facts(clip), Qt.TextElideMode.ElideRight, line.width()))
        self._paint_badges(painter, picture, clip)
        painter.restore()

    def _paint_picture(self, painter: QPainter, rect: QRect, clip: Clip) -> None:
        painter.fillRect(rect, QColor(40, 40, 44))
        thumb = self.grid.thumbnail(clip)
        pixmap = self.grid.pixmap(clip)
        if pixmap is not None:
            scaled = pixmap.scaled(rect.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                   Qt.TransformationMode.SmoothTransformation)
            painter.drawPixmap(rect.left() + (rect.width() - scaled.width()) // 2,
                               rect.top() + (rect.height() - scaled.height()) // 2, scaled)
            return
        painter.setPen(QColor(210, 210, 210))
        if clip.path is None:
            text = f"No video\n({clip.status})"
        elif thumb is not None and thumb.broken:
            painter.fillRect(rect, QColor(70, 30, 30))
            text = f"⚠ Broken clip\n{thumb.error or ''}"
        else:
            text = "…"
        painter.drawText(rect.adjusted(8, 8, -8, -8),
                         Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, text)

    def _paint_badges(self, painter: QPainter, rect: QRect, clip: Clip) -> None:
        badges = []
        if clip.status in _STATUS_COLORS:
            badges.append((clip.status, _STATUS_COLORS[clip.status]))
        if clip.children:
            count = len(clip.children)
            badges.append((f"+{count} interpolation{'s' if count > 1 else ''}", QColor(60, 140, 90)))
        x = rect.left() + 4
        metrics = painter.fontMetrics()
        for text, color in badges:
            width = metrics.horizontalAdvance(text) + 10
            box = QRect(x, rect.top() + 4, width, metrics.height() + 2)
            painter.fillRect(box, color)
            painter.setPen(QColor(255, 255, 255))
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
            x += width + 4


def _facts(clip: Clip) -> str:
    parts = [clip.resolution] if clip.size else []
    if clip.duration is not None:
        parts.append(f"{clip.duration:.1f} s")
    if clip.info is not None:
        parts.append(f"{clip.info.fps:g} fps")
    return " · ".join(parts) or (clip.path.name if clip.path else clip.status)


class GalleryGrid(QListWidget):
    """Tiles for a list of Clips; thumbnails arrive asynchronously.

    Signals:
        info_known(): a thumbnail brought a clip's facts (size, fps, length), so the panel can
            re-apply filters and sorting that depend on them.
    """

    info_known = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gallery_grid")
        self.ctx = ctx
        self.cache = ThumbnailCache(ctx.app.paths.thumbnail_dir)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setUniformItemSizes(True)
        self.setSpacing(4)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setItemDelegate(TileDelegate(self))
        self._thumbs: dict[str, Thumbnail] = {}
        self._pixmaps: dict[str, QPixmap] = {}
        self._asked: set[str] = set()
        self._closed = False

    def set_clips(self, clips: list[Clip]) -> None:
        """Show `clips` in this order, keeping the selection where the same clips remain."""
        selected = {c.key for c in self.selected_clips()}
        self.setUpdatesEnabled(False)
        self.clear()
        for clip in clips:
            item = QListWidgetItem()
            item.setData(CLIP_ROLE, clip)
            item.setToolTip(str(clip.path) if clip.path else clip.title)
            item.setSizeHint(TILE)
            self.addItem(item)
            item.setSelected(clip.key in selected)
            thumb = self.thumbnail(clip)
            if thumb is not None and thumb.broken:
                self.forget(clip.path)  # cheap when unchanged (cached); fresh if it grew since
            self._request(clip)
        self.setUpdatesEnabled(True)

    def clips(self) -> list[Clip]:
        return [self.item(i).data(CLIP_ROLE) for i in range(self.count())]

    def selected_clips(self) -> list[Clip]:
        return [item.data(CLIP_ROLE) for item in self.selectedItems()]

    def thumbnail(self, clip: Clip) -> Thumbnail | None:
        return self._thumbs.get(str(clip.path)) if clip.path else None

    def pixmap(self, clip: Clip) -> QPixmap | None:
        return self._pixmaps.get(str(clip.path)) if clip.path else None

    def known_infos(self) -> dict:
        """Facts of every clip whose thumbnail is made (path string -> VideoInfo)."""
        return {key: t.info for key, t in self._thumbs.items() if t.info is not None}

    def request_thumbnails(self, clips: list[Clip]) -> None:
        """Make thumbnails (and so facts) for clips not on screen, e.g. interpolations."""
        for clip in clips:
            self._request(clip)

    def shutdown(self) -> None:
        self._closed = True

    def _request(self, clip: Clip) -> None:
        if self._closed or clip.path is None or str(clip.path) in self._asked:
            return
        key = str(clip.path)
        self._asked.add(key)
        path = Path(clip.path)
        self.ctx.tasks.run_in_background(lambda: self.cache.get(path),
                                         lambda thumb: self._on_thumbnail(key, thumb))

    def _on_thumbnail(self, key: str, thumb: Thumbnail) -> None:
        if self._closed:
            return
        self._thumbs[key] = thumb
        if thumb.image is not None:
            pixmap = QPixmap(str(thumb.image))
            if not pixmap.isNull():
                self._pixmaps[key] = pixmap
        self.viewport().update()
        if thumb.info is not None:
            self.info_known.emit()

    def forget(self, path: Path) -> None:
        """Drop a clip's thumbnail so it is made again (the file changed)."""
        key = str(path)
        self._asked.discard(key)
        self._thumbs.pop(key, None)
        self._pixmaps.pop(key, None)
