"""The last-resort failure path of the GUI.

`install_crash_handler` routes `sys.excepthook` (an exception in a Qt slot, a timer, a bridge
handler) and `threading.excepthook` (a thread that died) into the message bus as "critical"
messages, and answers the bus on the GUI thread: a critical message opens the crash dialog,
an error or warning (a supervised worker that went on) is shown in the main window's status
bar. Showing never blocks and never loops: an exception while showing is written to stderr.
"""

from __future__ import annotations

import logging
import sys
import threading
import types
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication, QMainWindow

from wan22_gui.core.base.logsetup import RingHandler
from wan22_gui.core.base.messages import Message, MessageBus
from wan22_gui.gui.bridge import subscribe, unsubscribe_all
from wan22_gui.gui.crash_dialog import CrashDialog

log = logging.getLogger("wan22.gui")

STATUS_MESSAGE_MS = 20000
ExcInfo = tuple[type[BaseException], BaseException, types.TracebackType | None]


class CrashHandler(QObject):
    """Owns the hooks, the bus subscription and the (one) crash dialog."""

    def __init__(self, app: QApplication, bus: MessageBus, ring: RingHandler | None,
                 log_file: Path | None, reveal: Callable[[Path], object] | None = None) -> None:
        super().__init__(app)
        self.bus = bus
        self.ring = ring
        self.log_file = log_file
        self.dialog: CrashDialog | None = None
        self._reveal = reveal or _reveal_in_file_manager
        self._showing = False
        self._previous: tuple[Any, Any] | None = None

    # -- hooks (any thread) -------------------------------------------------------------------

    def install(self) -> None:
        self._previous = (sys.excepthook, threading.excepthook)
        sys.excepthook = self._excepthook
        threading.excepthook = self._thread_excepthook
        subscribe(self, self.bus.posted, self._on_message)

    def uninstall(self) -> None:
        """Put the previous hooks back and stop listening (the app's shutdown, tests)."""
        if self._previous is not None:
            sys.excepthook, threading.excepthook = self._previous
            self._previous = None
        unsubscribe_all(self)

    def _excepthook(self, etype: type[BaseException], value: BaseException,
                    tb: types.TracebackType | None) -> None:
        if issubclass(etype, KeyboardInterrupt):
            sys.__excepthook__(etype, value, tb)
            return
        self._route((etype, value, tb), "the app")

    def _thread_excepthook(self, args: Any) -> None:
        if args.exc_type is SystemExit or args.exc_value is None:
            return
        name = args.thread.name if args.thread is not None else "a background thread"
        self._route((args.exc_type, args.exc_value, args.exc_traceback), f"thread {name}")

    def _route(self, exc_info: ExcInfo, where: str) -> None:
        etype, value, tb = exc_info
        if value.__traceback__ is None:
            value = value.with_traceback(tb)
        try:
            self.bus.report_exception(value, where, level="critical")
        except Exception:  # the bus is broken: at least the console shows both
            sys.__excepthook__(etype, value, tb)
            sys.__excepthook__(*sys.exc_info())  # type: ignore[arg-type]

    # -- on the GUI thread --------------------------------------------------------------------

    def _on_message(self, message: Message) -> None:
        if self._showing:  # an error raised while showing one: never loop
            sys.stderr.write(f"{message.text}\n{message.details}\n")
            return
        self._showing = True
        try:
            if message.level == "critical":
                self._show_crash(message)
            elif message.level in ("error", "warning"):
                self._show_in_status_bar(message)
        except Exception as exc:  # showing failed: the console, not the bus (no loop)
            log.error("the crash dialog could not be shown", exc_info=exc)
            sys.stderr.write(f"{message.text}\n{message.details}\n")
        finally:
            self._showing = False

    def _show_crash(self, message: Message) -> None:
        if self.dialog is None:
            self.dialog = CrashDialog(self.log_file, self._reveal, _main_window())
        _flush_log_handlers()
        lines = self.ring.lines() if self.ring is not None else []
        self.dialog.show_message(message, lines)

    def _show_in_status_bar(self, message: Message) -> None:
        window = _main_window()
        if window is not None:
            window.statusBar().showMessage(message.text.splitlines()[0], STATUS_MESSAGE_MS)


def install_crash_handler(app: QApplication, bus: MessageBus, ring: RingHandler | None,
                          log_file: Path | None) -> CrashHandler:
    """Route every uncaught exception to `bus` and show it; returns the handler
    (call `uninstall()` at shutdown)."""
    handler = CrashHandler(app, bus, ring, log_file)
    handler.install()
    return handler


def _main_window() -> QMainWindow | None:
    app = QApplication.instance()
    widgets = app.topLevelWidgets() if isinstance(app, QApplication) else []
    windows = [w for w in widgets if isinstance(w, QMainWindow) and w.isVisible()]
    return windows[0] if windows else None


def _flush_log_handlers() -> None:
    for handler in logging.getLogger("wan22").handlers:
        handler.flush()  # the file the user opens should hold what the dialog shows


def _reveal_in_file_manager(path: Path) -> object:
    from wan22_gui.gui.window_menu import reveal_in_file_manager

    return reveal_in_file_manager(path)
