"""An exception nobody caught, in a Qt slot, a bridge handler or a thread, reaches the crash
dialog (error text, recent log, log path) instead of vanishing; worker errors reach the
status bar."""

from __future__ import annotations

import logging
import threading

import pytest
from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QMainWindow, QPushButton

from wan22_gui.core.base.logsetup import setup_logging
from wan22_gui.core.base.messages import MessageBus
from wan22_gui.core.base.signals import Signal
from wan22_gui.gui import bridge
from wan22_gui.gui.crash import CrashHandler

pytestmark = pytest.mark.qt_no_exception_capture  # the handler under test takes the hooks


@pytest.fixture
def crash(qapp, tmp_path):
    log_file = tmp_path / "logs" / "wan22.log"
    logger = logging.getLogger("wan22")
    before, level = list(logger.handlers), logger.level
    for earlier in before:  # a handler an earlier test left would be reused instead of this file
        logger.removeHandler(earlier)
    ring = setup_logging(log_file)
    revealed: list = []
    handler = CrashHandler(qapp, MessageBus(), ring, log_file, reveal=revealed.append)
    handler.install()
    handler.revealed = revealed
    yield handler
    handler.uninstall()
    if handler.dialog is not None:
        handler.dialog.close()
        handler.dialog.deleteLater()
    for added in set(logger.handlers) - set(before):
        logger.removeHandler(added)
        added.close()
    for earlier in before:
        logger.addHandler(earlier)
    logger.setLevel(level)


def _dialog_says(qtbot, crash, text):
    qtbot.waitUntil(lambda: crash.dialog is not None and crash.dialog.isVisible(), timeout=5000)
    dialog = crash.dialog
    assert text in dialog.summary.text()
    assert text in dialog.details.toPlainText()
    assert "Traceback" in dialog.details.toPlainText()
    assert str(crash.log_file) in dialog.log_path.text()
    assert not dialog.isModal()
    return dialog


def test_an_exception_in_a_timer_callback_reaches_the_crash_dialog(qtbot, crash):
    logging.getLogger("wan22.test").warning("a line logged just before the crash")

    def broken():
        raise RuntimeError("timer slot exploded")

    QTimer.singleShot(0, broken)
    dialog = _dialog_says(qtbot, crash, "timer slot exploded")
    recent = dialog.recent_log.toPlainText()
    assert "a line logged just before the crash" in recent
    assert "RuntimeError: timer slot exploded" in recent  # the report itself is in the ring
    assert "timer slot exploded" in crash.log_file.read_text(encoding="utf-8")
    dialog.open_folder.click()
    assert crash.revealed == [crash.log_file]


def test_an_exception_in_a_button_slot_reaches_the_crash_dialog(qtbot, crash):
    button = QPushButton("go")
    qtbot.addWidget(button)

    def broken():
        raise ValueError("button slot exploded")

    button.clicked.connect(broken)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    _dialog_says(qtbot, crash, "button slot exploded")


def test_an_exception_in_a_bridge_handler_reaches_the_crash_dialog(qtbot, crash):
    owner, signal = QObject(), Signal("test.core")

    def broken(value):
        raise KeyError(value)

    bridge.subscribe(owner, signal, broken)
    threading.Thread(target=signal.emit, args=("handler exploded",)).start()
    _dialog_says(qtbot, crash, "handler exploded")
    bridge.unsubscribe_all(owner)


def test_a_thread_that_dies_reaches_the_crash_dialog_and_one_dialog_counts_them(qtbot, crash):
    def dies():
        raise OSError("thread exploded")

    for _ in range(2):
        thread = threading.Thread(target=dies, name="wan22-test-worker")
        thread.start()
        thread.join()
    qtbot.waitUntil(lambda: crash.dialog is not None and crash.dialog.count == 2, timeout=5000)
    dialog = _dialog_says(qtbot, crash, "thread exploded")
    assert "thread wan22-test-worker" in dialog.summary.text()
    assert "2 errors so far" in dialog.summary.text()


def test_a_dialog_that_raises_does_not_loop(qtbot, crash, monkeypatch, capsys):
    shown = []

    def broken_show(message):
        shown.append(message)
        raise RuntimeError("the dialog itself broke")

    monkeypatch.setattr(crash, "_show_crash", broken_show)
    QTimer.singleShot(0, lambda: 1 / 0)
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    qtbot.wait(200)
    assert len(shown) == 1
    assert "ZeroDivisionError" in capsys.readouterr().err


def test_a_worker_error_on_the_bus_is_shown_in_the_status_bar(qtbot, crash):
    window = QMainWindow()
    qtbot.addWidget(window)
    window.show()
    crash.bus.error("the disk holding the app's data is full", where="the job queue")
    qtbot.waitUntil(lambda: "disk" in window.statusBar().currentMessage(), timeout=5000)
    assert crash.dialog is None  # not a crash: no dialog
