"""Thumbnails for the gallery tiles: made, read and scaled off the GUI thread, held in a
bounded LRU of pixmaps.

A tile asks for its picture when it is painted, so only tiles on screen ask; the newest asks
are served first (the user scrolled there), and at most `workers` files are decoded at once,
so thousands of clips never flood the background pool. A worker makes the cached JPEG
(`core.video.thumbnails`) and reads it into a QImage already scaled to the tile (QImage may
live off the GUI thread, QPixmap may not); the GUI thread only wraps it in a QPixmap, which is
what a paint draws, unscaled. The facts of every clip seen (size, fps, length) are kept: they
are small and the filters need them.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import QObject, QSize, Qt, Signal
from PySide6.QtGui import QImage, QPixmap

from wan22_gui.core.video.reader import VideoInfo
from wan22_gui.core.video.thumbnails import Thumbnail, ThumbnailCache
from wan22_gui.gui.tasks import TaskRunner

CAPACITY = 400  # pixmaps held: several screens of tiles, ~60 MiB at 200×180
_MAX_WAITING = 200  # asks beyond this are from tiles long scrolled past: dropped


def decode(cache: ThumbnailCache, path: Path, box: QSize) -> tuple[Thumbnail, QImage | None]:
    """On a worker: the clip's thumbnail (made if needed) as an image scaled into `box`."""
    thumb = cache.get(path)
    if thumb.image is None:
        return thumb, None
    image = QImage(str(thumb.image))
    if image.isNull():
        return thumb, None
    if image.width() > box.width() or image.height() > box.height():
        image = image.scaled(box, Qt.AspectRatioMode.KeepAspectRatio,
                             Qt.TransformationMode.SmoothTransformation)
    return thumb, image


class ThumbnailStore(QObject):
    """Pixmaps by clip path (LRU, `capacity`), and each clip's Thumbnail (facts, broken or not).

    Signals:
        ready(str): the thumbnail of this path (its str) arrived.
        info_known(): it brought a clip's facts (filters by size or length may change).
    """

    ready = Signal(str)
    info_known = Signal()

    def __init__(self, tasks: TaskRunner, cache: ThumbnailCache, box: QSize, *,
                 capacity: int = CAPACITY, workers: int = 2, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.tasks, self.cache, self.box = tasks, cache, box
        self.capacity, self.workers = capacity, workers
        self._pixmaps: OrderedDict[str, QPixmap] = OrderedDict()
        self._thumbs: dict[str, Thumbnail] = {}
        self._waiting: OrderedDict[str, Path] = OrderedDict()
        self._running: set[str] = set()
        self._closed = False

    def pixmap(self, path: Path) -> QPixmap | None:
        """The tile's picture if held (and marks it recently used)."""
        key = str(path)
        pixmap = self._pixmaps.get(key)
        if pixmap is not None:
            self._pixmaps.move_to_end(key)
        return pixmap

    def thumbnail(self, path: Path) -> Thumbnail | None:
        return self._thumbs.get(str(path))

    def infos(self) -> dict[str, VideoInfo]:
        """Facts of every clip whose thumbnail arrived (path string -> VideoInfo)."""
        return {key: t.info for key, t in self._thumbs.items() if t.info is not None}

    @property
    def busy(self) -> bool:
        """Thumbnails asked for and not arrived yet."""
        return bool(self._waiting or self._running)

    def want(self, path: Path) -> None:
        """A tile of `path` is on screen without its picture: fetch it (newest asks first)."""
        key = str(path)
        if self._closed or key in self._running or key in self._pixmaps:
            return
        thumb = self._thumbs.get(key)
        if thumb is not None and thumb.broken:
            return  # shown with its reason; asked again only when its row changes
        self._waiting[key] = Path(path)
        self._waiting.move_to_end(key)
        while len(self._waiting) > _MAX_WAITING:
            self._waiting.popitem(last=False)
        self._start_next()

    def forget(self, path: Path) -> None:
        """Drop what is held for `path` (the file changed or went), so it is made again."""
        key = str(path)
        self._pixmaps.pop(key, None)
        self._thumbs.pop(key, None)
        self._waiting.pop(key, None)

    def retry_broken(self, path: Path) -> None:
        """A broken clip's row changed (a file still being written may be whole now)."""
        thumb = self._thumbs.get(str(path))
        if thumb is not None and thumb.broken:
            self.forget(path)

    def shutdown(self) -> None:
        self._closed = True
        self._waiting.clear()

    def _start_next(self) -> None:
        while not self._closed and self._waiting and len(self._running) < self.workers:
            key, path = self._waiting.popitem(last=True)
            self._running.add(key)
            self.tasks.run_in_background(
                functools.partial(decode, self.cache, path, QSize(self.box)),
                lambda result, k=key: self._arrived(k, *result),
                lambda exc, k=key, p=path: self._arrived(k, Thumbnail(p, None, None, str(exc)), None))

    def _arrived(self, key: str, thumb: Thumbnail, image: QImage | None) -> None:
        self._running.discard(key)
        if self._closed:
            return
        self._thumbs[key] = thumb
        if image is not None:
            self._pixmaps[key] = QPixmap.fromImage(image)
            self._pixmaps.move_to_end(key)
            while len(self._pixmaps) > self.capacity:
                self._pixmaps.popitem(last=False)
        self._start_next()
        self.ready.emit(key)
        if thumb.info is not None:
            self.info_known.emit()
