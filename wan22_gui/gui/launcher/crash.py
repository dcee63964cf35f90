"""The red banner that says why ComfyUI stopped, what to do, and offers a restart."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from wan22_gui.core.server.crash import CrashReport
from wan22_gui.gui.richtext import message_html


class CrashBanner(QFrame):
    """Hidden until `show_report`; `restart_requested` fires from its Restart button.

    Signals:
        restart_requested(): the user asked to start ComfyUI again.
    """

    restart_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("crash_banner")
        self.setStyleSheet("#crash_banner { background: #fdecea; border: 1px solid #d9534f;"
                           " border-radius: 4px; } QLabel { color: #611a15; }")
        self.sentence = QLabel(wordWrap=True)
        self.sentence.setObjectName("crash_sentence")
        self.fix = QLabel(wordWrap=True)
        self.fix.setObjectName("crash_fix")
        self.restart = QPushButton("Restart")
        self.restart.setObjectName("crash_restart")
        self.restart.clicked.connect(self.restart_requested)
        dismiss = QPushButton("Dismiss")
        dismiss.clicked.connect(self.hide)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(dismiss)
        buttons.addWidget(self.restart)
        layout = QVBoxLayout(self)
        layout.addWidget(self.sentence)
        layout.addWidget(self.fix)
        layout.addLayout(buttons)
        self.hide()

    def show_report(self, report: CrashReport) -> None:
        code = "" if report.exit_code is None else f" (exit code {report.exit_code})"
        self.sentence.setText(f"<b>ComfyUI stopped{code}.</b> {message_html(report.sentence)}")
        self.fix.setText(f"What to do: {message_html(report.fix)}")
        self.show()
