"""The bar under the gallery after a delete: "Deleted X." and Undo, for the seconds the delete
waits (see `core.gallery.undo`)."""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton

from wan22_gui.core import keyboard


class UndoBar(QFrame):
    """Signals: undo_clicked(token)."""

    undo_clicked = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("undo_bar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.token: int | None = None
        self.text = QLabel()
        self.text.setObjectName("undo_text")
        self.button = QPushButton("Undo")
        self.button.setObjectName("undo_button")
        self.button.setShortcut(QKeySequence(keyboard.keys_of("undo_delete")[0]))
        self.button.setToolTip(keyboard.with_key("Put the clip back", "undo_delete"))
        self.button.clicked.connect(self._clicked)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.button)
        self._timer = QTimer(self, singleShot=True)
        self._timer.timeout.connect(self.hide)
        self.hide()

    def offer(self, token: int, title: str, seconds: float) -> None:
        self.token = token
        self.text.setText(f"Deleted {title}. Its files go to the trash in {seconds:g} s.")
        self.show()
        self._timer.start(int(seconds * 1000))

    def _clicked(self) -> None:
        if self.token is not None:
            self.undo_clicked.emit(self.token)
        self.token = None
        self.hide()
