"""The gallery's grid of clip tiles: a QListView over the clip model, painted by a delegate.

Only tiles on screen are painted, and a painted tile without its picture asks the thumbnail
store for it (made off the GUI thread); until it arrives a grey placeholder. A corrupt or
half-written file becomes a "broken clip" tile with the reason; it never blocks the grid. Jobs
that ended without a video show their status instead. A history change updates just its rows.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView, QListView, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget,
)

from wan22_gui.core.video.library import Clip
from wan22_gui.core.video.thumbnails import Thumbnail, ThumbnailCache
from wan22_gui.core.workflow.calculator import describe_duration
from wan22_gui.gui.context import AppContext
from wan22_gui.gui.gallery.model import CLIP_ROLE, ClipModel
from wan22_gui.gui.gallery.thumbs import ThumbnailStore

TILE = QSize(212, 250)
THUMB_BOX = QSize(200, 180)
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
        if pixmap is not None:  # already scaled to the tile by the worker
            painter.drawPixmap(rect.left() + (rect.width() - pixmap.width()) // 2,
                               rect.top() + (rect.height() - pixmap.height()) // 2, pixmap)
            return
        if clip.path is not None:
            self.grid.thumbs.want(clip.path)  # on screen without a picture: fetch it
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
    """'336×480 · 1.56 s (25 frames)': the app's one way to write a length (the fps is in
    the details; the tile has no room for it)."""
    parts = [clip.resolution] if clip.size else []
    length = _length(clip)
    if length:
        parts.append(length)
    return " · ".join(parts) or (clip.path.name if clip.path else clip.status)


def _length(clip: Clip) -> str:
    """The clip's length from the file, else from the job's settings; "" when unknown."""
    if clip.info is not None and clip.info.frame_count > 0:
        return describe_duration(clip.info.frame_count, clip.info.fps)
    params = clip.job.params if clip.job is not None else {}
    if params.get("frames") and params.get("fps"):
        return describe_duration(int(params["frames"]), float(params["fps"]))
    return ""


class GalleryGrid(QListView):
    """Tiles for the clips of `model` (a ClipModel); thumbnails arrive asynchronously.

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
        self.thumbs = ThumbnailStore(ctx.tasks, self.cache, THUMB_BOX, parent=self)
        self.clip_model = ClipModel(self)
        self.setModel(self.clip_model)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setUniformItemSizes(True)
        self.setGridSize(QSize(TILE.width() + 4, TILE.height() + 4))
        self.setLayoutMode(QListView.LayoutMode.Batched)  # thousands of rows: lay out in steps
        self.setBatchSize(500)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setItemDelegate(TileDelegate(self))
        self.thumbs.ready.connect(self._on_thumbnail)
        self.thumbs.info_known.connect(self.info_known)

    def set_clips(self, clips: list[Clip]) -> None:
        """Show `clips` in this order; rows that stay keep their selection and picture."""
        before = {c.key: c for c in self.clip_model.clips()}
        self.clip_model.show(clips)
        for clip in clips:
            if clip.path is not None and before.get(clip.key) is not clip:
                self.thumbs.retry_broken(clip.path)  # its row changed: the file may be whole now

    def clips(self) -> list[Clip]:
        return self.clip_model.clips()

    def selected_clips(self) -> list[Clip]:
        rows = sorted(i.row() for i in self.selectionModel().selectedIndexes())
        return [self.clip_model.clip(r) for r in rows]

    def select_row(self, row: int) -> None:
        """Make `row` the current and only selected tile."""
        self.selectionModel().setCurrentIndex(
            self.clip_model.index(row), QItemSelectionModel.SelectionFlag.ClearAndSelect)

    def thumbnail(self, clip: Clip) -> Thumbnail | None:
        return self.thumbs.thumbnail(clip.path) if clip.path else None

    def pixmap(self, clip: Clip):
        return self.thumbs.pixmap(clip.path) if clip.path else None

    def known_infos(self) -> dict:
        """Facts of every clip whose thumbnail is made (path string -> VideoInfo)."""
        return self.thumbs.infos()

    def forget(self, path) -> None:
        """Drop a clip's thumbnail so it is made again (the file changed)."""
        self.thumbs.forget(path)

    def shutdown(self) -> None:
        self.thumbs.shutdown()

    def _on_thumbnail(self, key: str) -> None:
        """Repaint just that file's tile (nothing when it is off screen)."""
        row = self.clip_model.row_of_path(key)
        if row is not None:
            self.update(self.clip_model.index(row))
