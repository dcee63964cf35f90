"""The gallery's list model: the shown clips, changed row by row, never reset.

`show(clips)` turns the new list into inserts, removals and dataChanged of just the rows that
differ (`core.gallery.listdiff`), so the view keeps its selection and scroll position and
repaints only the tiles that changed.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from wan22_gui.core.gallery.listdiff import diff
from wan22_gui.core.video.library import Clip

CLIP_ROLE = Qt.ItemDataRole.UserRole + 1
_Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()


class ClipModel(QAbstractListModel):
    """One row per shown Clip; `CLIP_ROLE` gives the Clip, the tooltip its file."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._clips: list[Clip] = []
        self._rows: dict[str, int] = {}
        self._paths: dict[str, int] = {}

    # -- Qt model ---------------------------------------------------------------------------

    def rowCount(self, parent: _Index = _ROOT) -> int:  # Qt override
        return 0 if parent.isValid() else len(self._clips)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # Qt override
        if not index.isValid() or not 0 <= index.row() < len(self._clips):
            return None
        clip = self._clips[index.row()]
        if role == CLIP_ROLE:
            return clip
        if role == Qt.ItemDataRole.ToolTipRole:
            return str(clip.path) if clip.path else clip.title
        if role == Qt.ItemDataRole.DisplayRole:
            return clip.title
        return None

    # -- ours -------------------------------------------------------------------------------

    def clips(self) -> list[Clip]:
        return list(self._clips)

    def clip(self, row: int) -> Clip:
        return self._clips[row]

    def row_of(self, key: str) -> int | None:
        return self._rows.get(key)

    def row_of_path(self, path: str) -> int | None:
        """The row whose clip is the video `path` (a str), if shown."""
        return self._paths.get(path)

    def show(self, clips: list[Clip]) -> None:
        """Make the rows `clips`, by the smallest edit."""
        edit = diff(self._clips, clips, key=lambda c: c.key)
        if edit.relayout:
            self._relayout(clips)
            return
        for first, last in edit.removed:
            self.beginRemoveRows(QModelIndex(), first, last)
            del self._clips[first:last + 1]
            self.endRemoveRows()
        for first, last in edit.inserted:
            self.beginInsertRows(QModelIndex(), first, last)
            self._clips[first:first] = clips[first:last + 1]
            self.endInsertRows()
        self._clips = list(clips)  # same keys in the same order now; the changed items too
        self._index_rows()
        for first, last in edit.changed:
            self.dataChanged.emit(self.index(first), self.index(last))

    def _relayout(self, clips: list[Clip]) -> None:
        """New order: move the persistent indexes (selection, current) with their clips."""
        self.layoutAboutToBeChanged.emit()
        old = self.persistentIndexList()
        keys = [self._clips[i.row()].key if 0 <= i.row() < len(self._clips) else None for i in old]
        self._clips = list(clips)
        self._index_rows()
        moved = [self.index(self._rows[k]) if k in self._rows else QModelIndex() for k in keys]
        self.changePersistentIndexList(old, moved)
        self.layoutChanged.emit()

    def _index_rows(self) -> None:
        self._rows = {c.key: i for i, c in enumerate(self._clips)}
        self._paths = {str(c.path): i for i, c in enumerate(self._clips) if c.path is not None}
