"""A job or the queue that ends while the user looks elsewhere is announced: a desktop
notification (a toast in the window where there is no tray), an optional beep; failures always."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtWidgets import QApplication

from wan22_gui.app import App
from wan22_gui.core.jobs.runner import JobResult
from wan22_gui.gui import notify
from wan22_gui.gui.context import AppContext
from wan22_gui.gui.mainwindow import MainWindow
from wan22_gui.gui.tasks import TaskRunner


@pytest.fixture
def window(qtbot, app_paths, monkeypatch):
    monkeypatch.setattr(notify.QSystemTrayIcon, "isSystemTrayAvailable", lambda: False)
    core = App.for_gui(app_paths)
    ctx = AppContext(app=core, tasks=TaskRunner())
    win = MainWindow(ctx)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()
    ctx.tasks.shutdown()
    core.close()


def finish(window, result):
    """The queue's worker thread reports a finished job."""
    thread = threading.Thread(target=window.ctx.app.jobs.finished.emit, args=(result,))
    thread.start()
    thread.join()


def test_a_failure_is_announced_even_in_the_active_window(window, qtbot, monkeypatch):
    monkeypatch.setattr(window, "isActiveWindow", lambda: True)
    finish(window, JobResult("job-1", "failed", error="Out of GPU memory in the high-noise pass."))
    toast = window.notifier.toast
    qtbot.waitUntil(toast.isVisible, timeout=3000)
    assert toast.title.text() == "Job failed"
    assert "Out of GPU memory" in toast.text.text()


def test_success_is_announced_only_when_the_window_is_not_active(window, qtbot, monkeypatch):
    beeps = []
    monkeypatch.setattr(QApplication, "beep", lambda: beeps.append(1))
    window.actions_by_name["notify_sound"].setChecked(True)
    active = [True]
    monkeypatch.setattr(window, "isActiveWindow", lambda: active[0])
    finish(window, JobResult("job-1", "succeeded"))
    qtbot.wait(300)
    assert not window.notifier.toast.isVisible() and not beeps
    active[0] = False
    finish(window, JobResult("job-2", "succeeded"))
    qtbot.waitUntil(window.notifier.toast.isVisible, timeout=3000)
    assert window.notifier.toast.title.text() in ("Job finished", "Queue finished")
    assert beeps == [1]


def test_switched_off_and_cancelled_jobs_stay_quiet(window, qtbot, monkeypatch):
    monkeypatch.setattr(window, "isActiveWindow", lambda: False)
    finish(window, JobResult("job-1", "cancelled", error="Cancelled."))
    window.actions_by_name["notify_desktop"].setChecked(False)
    assert window.ctx.app.settings.get(notify.DESKTOP_KEY) is False
    finish(window, JobResult("job-2", "failed", error="boom"))
    qtbot.wait(300)
    assert window.notifier.shown == [] and not window.notifier.toast.isVisible()


def test_the_queue_finishing_says_how_many_jobs_ran():
    result = JobResult("j3", "succeeded")
    title, text, failure = notify.announcement(result, None, queue_empty=True, finished_in_run=3)
    assert title == "Queue finished" and "All 3 jobs" in text and not failure
