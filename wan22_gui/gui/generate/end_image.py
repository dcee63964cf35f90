"""The Generate form's optional end image (first/last-frame i2v): a small preview next to the
start image, "End image…" and "Clear". Read in the background like the start image; a file
that is not a picture is refused in words and the job keeps no end image."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from wan22_gui.core.base.errors import Wan22Error
from wan22_gui.core.images import LoadedImage, load_image
from wan22_gui.gui.generate.image import IMAGE_FILTER, pil_to_pixmap
from wan22_gui.gui.tasks import TaskRunner

THUMB_SIDE = 120
EMPTY_TEXT = "No end image\n(the clip ends\nwhere it goes)"


class EndImagePicker(QWidget):
    """Signals: changed() — an end image was set, refused or cleared."""

    changed = Signal()

    def __init__(self, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("end_image_picker")
        self._tasks = tasks
        self.loaded: LoadedImage | None = None
        self.preview = QLabel(EMPTY_TEXT)
        self.preview.setObjectName("end_image_preview")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setFixedSize(THUMB_SIDE, THUMB_SIDE)
        self.preview.setStyleSheet("#end_image_preview { border: 1px dashed #888; color: #777; }")
        self.info = QLabel("End image (optional)")
        self.info.setObjectName("end_image_info")
        self.info.setWordWrap(True)
        self.choose = QPushButton("End image…")
        self.choose.setObjectName("choose_end_image")
        self.choose.setToolTip("The last frame: the clip goes from the start image to this one")
        self.choose.clicked.connect(self._pick)
        self.clear_button = QPushButton("Clear")
        self.clear_button.setObjectName("clear_end_image")
        self.clear_button.clicked.connect(self.clear)
        self.clear_button.setEnabled(False)
        side = QVBoxLayout()
        side.addWidget(self.info)
        side.addWidget(self.choose)
        side.addWidget(self.clear_button)
        side.addStretch(1)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.preview)
        row.addLayout(side, 1)

    @property
    def path(self) -> str | None:
        return str(self.loaded.path) if self.loaded else None

    def load(self, path: str | Path) -> None:
        path = Path(path)
        self.info.setText(f"Reading {path.name}…")
        self._tasks.run_in_background(
            lambda: load_image(path, max_side=THUMB_SIDE * 2), self._on_loaded, self._on_failed)

    def clear(self) -> None:
        self.loaded = None
        self.preview.clear()
        self.preview.setText(EMPTY_TEXT)
        self.info.setText("End image (optional)")
        self.info.setStyleSheet("")
        self.clear_button.setEnabled(False)
        self.changed.emit()

    def _pick(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        path, _ = QFileDialog.getOpenFileName(self, "Choose the end image", "", IMAGE_FILTER)
        if path:
            self.load(path)

    def _on_loaded(self, loaded: LoadedImage) -> None:
        self.loaded = loaded
        self.preview.setPixmap(pil_to_pixmap(loaded.image).scaled(
            self.preview.size(), Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation))
        self.info.setText(f"End: {loaded.path.name} — {loaded.width}×{loaded.height}")
        self.info.setStyleSheet("")
        self.clear_button.setEnabled(True)
        self.changed.emit()

    def _on_failed(self, exc: BaseException) -> None:
        text = exc.user_text() if isinstance(exc, Wan22Error) else f"Could not read it: {exc}"
        self.clear()  # never keep an older end image the user meant to replace
        self.info.setText(text)
        self.info.setStyleSheet("color: #b00020;")
