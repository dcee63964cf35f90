"""The crash dialog: an error nobody caught, in words, with its traceback, the recent log
and where the log file is. Non-modal: the app (and a test) keeps running behind it."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QPushButton, QTabWidget, QVBoxLayout,
    QWidget,
)

from wan22_gui import APP_NAME
from wan22_gui.core.base.messages import Message

RECENT_LOG_LINES = 200


class CrashDialog(QDialog):
    """Shows one (the latest) uncaught error; `show_message` updates it for the next one."""

    def __init__(self, log_file: Path | None, reveal: Callable[[Path], object],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("crashDialog")
        self.setWindowTitle(f"{APP_NAME}: unexpected error")
        self.setModal(False)
        self.resize(720, 520)
        self.log_file = log_file
        self.count = 0
        self._reveal = reveal
        self.summary = QLabel(wordWrap=True)
        self.details = _read_only("crashDetails")
        self.recent_log = _read_only("crashRecentLog")
        self.log_path = QLabel(wordWrap=True)
        self.log_path.setObjectName("crashLogPath")
        self._build()

    def _build(self) -> None:
        tabs = QTabWidget()
        tabs.addTab(self.details, "Details")
        tabs.addTab(self.recent_log, "Recent log")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.open_folder = QPushButton("Open log folder")
        self.open_folder.setEnabled(self.log_file is not None)
        copy = QPushButton("Copy details")
        buttons.addButton(self.open_folder, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        self.open_folder.clicked.connect(self._open_folder)
        copy.clicked.connect(self._copy)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        for widget in (self.summary, tabs, self.log_path, buttons):
            layout.addWidget(widget)
        where = str(self.log_file) if self.log_file is not None else "no log file (not written)"
        self.log_path.setText(f"Log file: {where}")

    def show_message(self, message: Message, log_lines: list[str]) -> None:
        """Fill in `message` and the recent log; show the dialog (never blocks)."""
        self.count += 1
        more = f" ({self.count} errors so far; this is the latest.)" if self.count > 1 else ""
        self.summary.setText(
            f"{APP_NAME} hit an error it did not expect. You can go on working, but save what "
            f"matters; if it happens again, restart the app.\n\n{message.text}{more}")
        self.details.setPlainText(message.details or message.text)
        self.recent_log.setPlainText("\n".join(log_lines[-RECENT_LOG_LINES:]))
        self.recent_log.verticalScrollBar().setValue(self.recent_log.verticalScrollBar().maximum())
        self.show()
        self.raise_()
        self.activateWindow()

    def _open_folder(self) -> None:
        if self.log_file is not None:
            self._reveal(self.log_file)

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(
            f"{self.summary.text()}\n\n{self.details.toPlainText()}\n\n"
            f"{self.recent_log.toPlainText()}")


def _read_only(name: str) -> QPlainTextEdit:
    text = QPlainTextEdit()
    text.setObjectName(name)
    text.setReadOnly(True)
    text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
    return text
