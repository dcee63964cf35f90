"""ComfyUI's console in the launcher panel: bounded, monospace, with an auto-scroll toggle.

It polls the controller's line ring on a timer (5 Hz) instead of taking a signal per line, so
a chatty ComfyUI cannot flood the GUI thread.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtGui import QFontDatabase, QTextCursor
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from wan22_gui.core.server.launcher import ServerController

MAX_LINES = 5000
POLL_MS = 200


class LauncherLog(QWidget):
    """Shows the lines of the controller's current process as they arrive."""

    def __init__(self, controller: ServerController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self._process = None
        self._seq = 0
        self.view = QPlainTextEdit(readOnly=True)
        self.view.setObjectName("launcher_log")
        self.view.setMaximumBlockCount(MAX_LINES)
        self.view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.view.setPlaceholderText("ComfyUI's console appears here once it starts.")
        self.autoscroll = QCheckBox("Follow")
        self.autoscroll.setToolTip("Keep the newest line in view")
        self.autoscroll.setChecked(True)
        head = QHBoxLayout()
        head.addWidget(QLabel("<b>Console</b>"))
        head.addStretch(1)
        head.addWidget(self.autoscroll)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(head)
        layout.addWidget(self.view, 1)
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)
        self.timer.start()

    def poll(self) -> None:
        """Append the lines that arrived since the last poll."""
        process = self.controller.process
        if process is None:
            return
        if process is not self._process:
            if self._process is not None:
                self.view.appendPlainText("")
            self._process, self._seq = process, 0
        self._seq, lines = process.lines_since(self._seq)
        if not lines:
            return
        bar = self.view.verticalScrollBar()
        keep = bar.value()
        cursor = QTextCursor(self.view.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(("\n" if not self.view.document().isEmpty() else "") + "\n".join(lines))
        if self.autoscroll.isChecked():
            bar.setValue(bar.maximum())
        else:
            bar.setValue(keep)

    def text(self) -> str:
        return self.view.toPlainText()

    def shutdown(self) -> None:
        self.timer.stop()
