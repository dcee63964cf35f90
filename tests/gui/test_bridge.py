"""The one way onto the GUI thread (`wan22_gui.gui.bridge`): core signals reach the GUI thread,
connections end with their owner, a failing handler reaches `sys.excepthook`, and no panel
uses another idiom (the guard at the end)."""

from __future__ import annotations

import re
import sys
import threading
from pathlib import Path

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QThread
from PySide6.QtWidgets import QWidget

from wan22_gui.core.base.signals import Signal
from wan22_gui.gui import bridge

GUI_ROOT = Path(__file__).resolve().parents[2] / "wan22_gui" / "gui"
# Other idioms for reaching the GUI thread; only the bridge and the task runner may use them.
FORBIDDEN = re.compile(r"main_thread_callback|invokeMethod|QueuedConnection|tasks\.on_main\(")
BRIDGE_FILES = {"bridge.py", "tasks.py"}


def _on_gui_thread() -> bool:
    return QThread.currentThread() == QCoreApplication.instance().thread()


def _in_worker(fn) -> None:
    worker = threading.Thread(target=fn)
    worker.start()
    worker.join()


class _Handler(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[object, bool]] = []

    @bridge.on_main
    def handle(self, value: object) -> None:
        self.calls.append((value, _on_gui_thread()))


def test_core_signal_from_a_worker_runs_the_slot_on_the_gui_thread(qtbot):
    owner = QWidget()
    qtbot.addWidget(owner)
    signal = Signal("test")
    calls: list[tuple[object, bool]] = []
    bridge.subscribe(owner, signal, lambda value: calls.append((value, _on_gui_thread())))
    _in_worker(lambda: signal.emit(7))
    qtbot.waitUntil(lambda: calls == [(7, True)])


def test_destroying_the_owner_drops_the_connection(qtbot):
    owner = QWidget()
    signal = Signal("test")
    calls: list[object] = []
    bridge.subscribe(owner, signal, calls.append)
    bridge.subscribe(owner, signal, lambda value: calls.append(("second", value)))
    assert len(signal) == 2
    shiboken6.delete(owner)
    assert len(signal) == 0
    _in_worker(lambda: signal.emit(1))
    qtbot.wait(50)
    assert calls == []


def test_an_emit_queued_before_the_owner_went_is_not_delivered(qtbot):
    owner = QWidget()
    signal = Signal("test")
    calls: list[object] = []
    bridge.subscribe(owner, signal, calls.append)
    _in_worker(lambda: signal.emit(1))  # queued for the GUI thread, not run yet
    shiboken6.delete(owner)
    qtbot.wait(50)
    assert calls == []


def test_unsubscribe_all_disconnects_at_once(qtbot):
    owner = QWidget()
    qtbot.addWidget(owner)
    signal = Signal("test")
    bridge.subscribe(owner, signal, lambda *_: None)
    bridge.unsubscribe_all(owner)
    assert len(signal) == 0


def test_on_main_from_a_thread_runs_on_the_gui_thread(qtbot):
    handler = _Handler()
    _in_worker(lambda: handler.handle("from a worker"))
    handler.handle("from the GUI thread")  # runs at once
    assert handler.calls == [("from the GUI thread", True)]
    qtbot.waitUntil(lambda: len(handler.calls) == 2)
    assert handler.calls[1] == ("from a worker", True)


def test_post_runs_on_the_gui_thread(qtbot):
    calls: list[bool] = []
    _in_worker(lambda: bridge.post(lambda: calls.append(_on_gui_thread())))
    qtbot.waitUntil(lambda: calls == [True])


def test_a_handler_that_raises_reaches_sys_excepthook(qtbot, monkeypatch):
    hooked: list[BaseException] = []
    monkeypatch.setattr(sys, "excepthook", lambda kind, exc, tb: hooked.append(exc))
    owner = QWidget()
    qtbot.addWidget(owner)
    signal = Signal("test")

    def broken(_value: object) -> None:
        raise RuntimeError("slot failed")

    bridge.subscribe(owner, signal, broken)
    _in_worker(lambda: signal.emit(1))
    qtbot.waitUntil(lambda: len(hooked) == 1)
    assert str(hooked[0]) == "slot failed"

    class Raising(QObject):
        @bridge.on_main
        def handle(self) -> None:
            raise ValueError("handler failed")

    raising = Raising()
    _in_worker(raising.handle)
    qtbot.waitUntil(lambda: len(hooked) == 2)
    assert isinstance(hooked[1], ValueError)


def test_the_window_leaves_no_bridge_subscription_after_shutdown(qtbot, app_paths):
    from wan22_gui.app import App
    from wan22_gui.gui.context import AppContext
    from wan22_gui.gui.mainwindow import MainWindow
    from wan22_gui.gui.tasks import TaskRunner

    core = App.for_gui(app_paths)
    ctx = AppContext(app=core, tasks=TaskRunner())
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    signals = [core.connection.changed, core.jobs.phase, core.sampler.device_changed]

    def bridged() -> int:
        return sum(cb.__qualname__ == "subscribe.<locals>.marshalled"
                   for signal in signals for cb in list(signal._callbacks))

    assert bridged() >= len(signals)
    window.shutdown_panels()
    assert bridged() == 0
    ctx.tasks.shutdown()
    core.close()


def _idiom_users() -> dict[str, list[str]]:
    users: dict[str, list[str]] = {}
    for path in sorted(GUI_ROOT.rglob("*.py")):
        name = path.relative_to(GUI_ROOT).as_posix()
        if name in BRIDGE_FILES:
            continue
        hits = [f"{name}:{n}: {line.strip()}"
                for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                if FORBIDDEN.search(line)]
        if hits:
            users[name] = hits
    return users


def test_no_gui_module_has_its_own_way_onto_the_gui_thread():
    users = _idiom_users()
    offenders = [hit for hits in users.values() for hit in hits]
    assert not offenders, ("use wan22_gui.gui.bridge (subscribe, @on_main, post) instead:\n"
                           + "\n".join(offenders))
