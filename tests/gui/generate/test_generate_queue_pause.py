"""The Generate tab when the queue pauses itself on a full disk: the reason is shown above the
queue with a Resume button; Resume runs the waiting job once there is room again."""

from __future__ import annotations

import sqlite3

from PySide6.QtCore import Qt

from tests.gui.generate.test_generate_panel import (  # noqa: F401
    connect, fake, fill_form, panel, picture,
)

DISK_FULL = "the disk holding the app's data is full"


def _fill_the_disk_when_the_clip_is_recorded(store, monkeypatch):
    original, disk = store.update, {"full": True}

    def update(job_id, **changes):
        if disk["full"] and "outputs" in changes:
            raise sqlite3.OperationalError("database or disk is full")
        return original(job_id, **changes)

    monkeypatch.setattr(store, "update", update)
    return disk


def test_a_full_disk_shows_the_reason_over_the_queue_and_resume_runs_the_rest(
        qtbot, panel, fake, picture, monkeypatch):  # noqa: F811
    disk = _fill_the_disk_when_the_clip_is_recorded(panel.ctx.app.history, monkeypatch)
    panel.jobs.set_paused(True)
    fill_form(qtbot, panel, picture)
    for seed_frames in (17, 33):
        panel.form.clip.frames.setValue(seed_frames)
        qtbot.mouseClick(panel.queue_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: panel.queue_button.isEnabled(), timeout=5000)
    qtbot.waitUntil(lambda: len(panel.jobs.pending()) == 2, timeout=5000)
    banner = panel.queue.pause_banner
    assert not banner.isVisible()  # paused by the user: no reason to show
    connect(panel, fake)
    qtbot.waitUntil(panel.queue.pause.isChecked, timeout=5000)
    panel.queue.pause.setChecked(False)  # the user unticks "Pause after the current job"
    qtbot.waitUntil(banner.isVisible, timeout=15000)
    assert DISK_FULL in banner.reason.text() and " free at " in banner.reason.text()
    assert banner.resume.isEnabled()
    assert [r.params["frames"] for r in panel.jobs.pending()] == [33]  # not run into the disk
    disk["full"] = False
    qtbot.mouseClick(banner.resume, Qt.MouseButton.LeftButton)
    history = panel.ctx.app.history
    qtbot.waitUntil(lambda: not panel.jobs.pending() and panel.jobs.current_job_id is None
                    and not banner.isVisible(), timeout=15000)
    statuses = sorted((r.params["frames"], r.status) for r in history.list())
    assert statuses == [(17, "failed"), (33, "succeeded")]
    [failed] = [r for r in history.list() if r.status == "failed"]
    assert DISK_FULL in failed.error["message"] and len(failed.outputs) == 1
