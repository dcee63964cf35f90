"""Telling the user a job or the whole queue is done, or failed, while they look elsewhere.

A desktop notification through the system tray where the desktop has one, else a small toast in
the window's corner that goes by itself (never a dialog: nothing waits for a click). An optional
beep goes with it. Successes are announced only when the window is not active; failures always.
Settings: `notify.desktop` and `notify.sound` (View → Notifications).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QApplication, QFrame, QHBoxLayout, QLabel, QMainWindow, QSystemTrayIcon, QToolButton,
)

from wan22_gui import APP_NAME
from wan22_gui.core.base.settings import declare
from wan22_gui.gui import bridge
from wan22_gui.gui.context import AppContext

DESKTOP_KEY = "notify.desktop"
SOUND_KEY = "notify.sound"
declare(DESKTOP_KEY, True)
declare(SOUND_KEY, False)
TOAST_MS = 8000
QUIET_STATUSES = ("cancelled", "detached")  # the user did it, or the app is closing


def announcement(result: Any, record: Any, queue_empty: bool, finished_in_run: int
                 ) -> tuple[str, str, bool]:
    """(title, text, is_failure) for a finished job."""
    name = _job_name(record)
    if result.status == "succeeded":
        if queue_empty and finished_in_run > 1:
            return "Queue finished", f"All {finished_in_run} jobs are done; the last: {name}.", False
        return "Job finished", f"{name} is ready in the Gallery.", False
    why = result.error or result.status
    return "Job failed", f"{name}: {why}", True


def _job_name(record: Any) -> str:
    if record is None:
        return "The job"
    if record.label:
        return str(record.label)
    image = (record.params or {}).get("image") or record.source_image
    return Path(str(image)).name if image else record.job_id


class Toast(QFrame):
    """A short message in the window's bottom-right corner; goes after a few seconds."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.setObjectName("toast")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setBackgroundRole(self.palette().ColorRole.ToolTipBase)
        self.title = QLabel()
        self.title.setObjectName("toast_title")
        self.title.setStyleSheet("font-weight: bold;")
        self.text = QLabel()
        self.text.setObjectName("toast_text")
        self.text.setWordWrap(True)
        self.text.setMaximumWidth(360)
        close = QToolButton()
        close.setText("✕")
        close.setToolTip("Dismiss")
        close.setAutoRaise(True)
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 8, 6, 8)
        layout.addWidget(self.title)
        layout.addWidget(self.text, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.hide)
        self.hide()

    def show_message(self, title: str, text: str, *, failure: bool) -> None:
        self.title.setText(title)
        self.title.setStyleSheet("font-weight: bold;" + (" color: #d93025;" if failure else ""))
        self.text.setText(text)
        self.adjustSize()
        self._place()
        self.show()
        self.raise_()
        self._timer.start(TOAST_MS * (2 if failure else 1))

    def _place(self) -> None:
        window = self.parentWidget()
        margin = 16
        bottom = window.height() - window.statusBar().height() - margin
        self.move(max(margin, window.width() - self.width() - margin),
                  max(margin, bottom - self.height()))


class Notifier:
    """Follows `app.jobs.finished` for the main window."""

    def __init__(self, window: QMainWindow, ctx: AppContext) -> None:
        self.window = window
        self.ctx = ctx
        self.toast = Toast(window)
        self.tray: QSystemTrayIcon | None = None
        self.finished_in_run = 0  # jobs since the queue was last empty
        self.shown: list[tuple[str, str]] = []  # (title, text) of each announcement (tests)
        if ctx.app.jobs is not None:
            bridge.subscribe(window, ctx.app.jobs.finished, self.on_finished)

    def on_finished(self, result: Any) -> None:
        if result.status in QUIET_STATUSES:
            return
        self.finished_in_run += 1
        jobs, history = self.ctx.app.jobs, self.ctx.app.history

        def look() -> tuple[Any, bool]:
            record = history.get(result.job_id) if history is not None else None
            return record, not jobs.pending() and jobs.current_job_id in (None, result.job_id)

        self.ctx.tasks.run_in_background(look, lambda found: self._announce(result, *found))

    def _announce(self, result: Any, record: Any, queue_empty: bool) -> None:
        title, text, failure = announcement(result, record, queue_empty, self.finished_in_run)
        if queue_empty:
            self.finished_in_run = 0
        if not failure and self.window.isActiveWindow():
            return  # the user is looking at the window: the Generate tab already says it
        settings = self.ctx.app.settings
        if settings.get(DESKTOP_KEY):
            self._show(title, text, failure)
        if settings.get(SOUND_KEY):
            QApplication.beep()

    def _show(self, title: str, text: str, failure: bool) -> None:
        self.shown.append((title, text))
        if QSystemTrayIcon.isSystemTrayAvailable() and QSystemTrayIcon.supportsMessages():
            tray = self._tray()
            icon = (QSystemTrayIcon.MessageIcon.Critical if failure
                    else QSystemTrayIcon.MessageIcon.Information)
            tray.showMessage(title, text, icon, TOAST_MS)
        else:
            self.toast.show_message(title, text, failure=failure)

    def _tray(self) -> QSystemTrayIcon:
        if self.tray is None:
            icon = self.window.windowIcon()
            self.tray = QSystemTrayIcon(icon if not icon.isNull() else QIcon(), self.window)
            self.tray.setToolTip(APP_NAME)
            self.tray.activated.connect(lambda _reason: _bring_to_front(self.window))
            self.tray.messageClicked.connect(lambda: _bring_to_front(self.window))
            self.tray.show()
        return self.tray

    def close(self) -> None:
        if self.tray is not None:
            self.tray.hide()


def _bring_to_front(window: QMainWindow) -> None:
    front = getattr(window, "bring_to_front", None)
    if callable(front):
        front()
