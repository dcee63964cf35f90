"""The start-image well of the Generate form: drop or pick a picture, see it upright.

Decoding runs in the background (`load_image` applies EXIF orientation and refuses files that
are not pictures); the widget only shows the result or the reason it was refused.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage, QPixmap
from PySide6.QtWidgets import (
    QFileDialog, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget,
)

from wan22_gui.core import keyboard
from wan22_gui.core.base.errors import Wan22Error
from wan22_gui.core.images import LoadedImage, load_image
from wan22_gui.gui import theme
from wan22_gui.gui.tasks import TaskRunner

PREVIEW_SIDE = 360
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff);;All files (*)"


def pil_to_pixmap(image: object) -> QPixmap:
    """A Pillow RGB/RGBA image as a QPixmap (copied, so the Pillow buffer may go)."""
    rgba = image.convert("RGBA")  # type: ignore[attr-defined]
    data = rgba.tobytes("raw", "RGBA")
    qimage = QImage(data, rgba.width, rgba.height, rgba.width * 4, QImage.Format.Format_RGBA8888)
    return QPixmap.fromImage(qimage.copy())


class ImagePicker(QWidget):
    """Drop target and "Choose image…" button with an upright preview.

    Signals:
        image_loaded(LoadedImage): a picture was read (size is the full upright size).
        image_refused(str): the file could not be used; the text says why.
    """

    image_loaded = Signal(object)
    image_refused = Signal(str)

    def __init__(self, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("image_picker")
        self._tasks = tasks
        self.loaded: LoadedImage | None = None
        self._pixmap: QPixmap | None = None
        self.setAcceptDrops(True)
        self.preview = QLabel("Drop a picture here\nor choose one below")
        self.preview.setObjectName("image_preview")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumSize(220, 220)
        self.preview.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.preview.setStyleSheet("#image_preview { border: 2px dashed #888; color: #777; }")
        self.info = QLabel("")
        self.info.setObjectName("image_info")
        self.info.setWordWrap(True)
        self.choose = QPushButton("Choose image…")
        self.choose.setObjectName("choose_image")
        self.choose.setToolTip(keyboard.with_key("Choose the start image", "open_image"))
        self.choose.clicked.connect(self._pick)
        row = QHBoxLayout()
        row.addWidget(self.choose)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.info)
        layout.addLayout(row)

    @property
    def path(self) -> str:
        return str(self.loaded.path) if self.loaded else ""

    def load(self, path: str | Path) -> None:
        """Read `path` in the background; the preview updates when it is done."""
        path = Path(path)
        self.info.setText(f"Reading {path.name}…")
        self._tasks.run_in_background(
            lambda: load_image(path, max_side=PREVIEW_SIDE), self._on_loaded, self._on_failed)

    def _pick(self) -> None:
        start = str(Path(self.path).parent) if self.path else ""
        path, _ = QFileDialog.getOpenFileName(self, "Choose the start image", start, IMAGE_FILTER)
        if path:
            self.load(path)

    def _on_loaded(self, loaded: LoadedImage) -> None:
        self.loaded = loaded
        self._pixmap = pil_to_pixmap(loaded.image)
        self.preview.setStyleSheet("")
        self._fit_preview()
        turned = ", turned upright from its EXIF tag" if loaded.rotated else ""
        self.info.setText(f"{loaded.path.name} — {loaded.width}×{loaded.height}{turned}")
        self.info.setStyleSheet("")
        self.image_loaded.emit(loaded)

    def _on_failed(self, exc: BaseException) -> None:
        text = exc.user_text() if isinstance(exc, Wan22Error) else f"Could not read it: {exc}"
        # forget the previous picture: a job must never silently use another image
        self.loaded, self._pixmap = None, None
        self.preview.clear()
        self.preview.setText("Drop a picture here\nor choose one below")
        self.preview.setStyleSheet("#image_preview { border: 2px dashed #888; color: #777; }")
        self.info.setText(text)
        self.info.setStyleSheet(f"color: {theme.status_color('error')};")
        self.image_refused.emit(text)

    def resizeEvent(self, event) -> None:  # Qt override: keep the preview fitted
        super().resizeEvent(event)
        self._fit_preview()

    def _fit_preview(self) -> None:
        if self._pixmap is not None:
            self.preview.setPixmap(self._pixmap.scaled(
                self.preview.size(), Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # Qt override
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # Qt override
        urls = [u for u in event.mimeData().urls() if u.isLocalFile()]
        if not urls:
            self._on_failed(Wan22Error("Only files on this computer can be used.",
                                       "Save the picture to a folder first, then drop it."))
            return
        event.acceptProposedAction()
        self.load(urls[0].toLocalFile())
