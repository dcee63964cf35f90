"""The line above the queue that says why the queue paused itself (a full disk) and resumes it.

The queue model holds the truth (`JobQueue.paused`, `pause_reason`); this view only shows what
the panel reads from it and asks for a resume.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget


class PauseBanner(QWidget):
    """Hidden unless the queue paused itself. Signal: resume_requested()."""

    resume_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("queue_pause_banner")
        self.setStyleSheet("#queue_pause_banner { background: #fdecea; }")
        self.reason = QLabel("")
        self.reason.setObjectName("queue_pause_reason")
        self.reason.setWordWrap(True)
        self.resume = QPushButton("Resume")
        self.resume.setObjectName("queue_resume")
        self.resume.setToolTip("Run the waiting jobs again (after freeing space)")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.reason, 1)
        layout.addWidget(self.resume)
        self.resume.clicked.connect(self._resume_clicked)
        self.hide()

    def show_reason(self, reason: str | None) -> None:
        """Show why the queue is paused (None or "": it is not paused by itself)."""
        if reason:
            self.reason.setText(f"Queue paused: {reason}")
            self.resume.setEnabled(True)
        self.setVisible(bool(reason))

    def _resume_clicked(self) -> None:
        self.resume.setEnabled(False)  # until the queue answers (it may pause again)
        self.resume_requested.emit()
