"""Delete with Undo: the files go to the trash only after the Undo time; Undo before that
leaves files and history rows exactly as they were."""

from __future__ import annotations

import time

from tests.core.gallery.test_actions import FakeTrash, _actions, family, settings  # noqa: F401
from wan22_gui.core.gallery.undo import PendingDeletes
from wan22_gui.core.video import library


def clip_of(store, job_id):
    return next(c for c in library.collect(store.list()) if c.job_id == job_id)


def test_undo_before_the_time_keeps_files_and_row(store, settings, family, tmp_path):  # noqa: F811
    a, a_x2, _ = family
    actions = _actions(store, settings, tmp_path)
    pending = PendingDeletes(actions, delay_s=0.3)
    changes = []
    pending.changed.connect(lambda: changes.append(1))
    entry = pending.delete_later([clip_of(store, "j1")])
    assert pending.pending_keys() == {"j1"}
    assert pending.undo() == entry
    time.sleep(0.5)
    assert a.exists() and a_x2.exists()
    assert not store.get("j1").deleted
    assert pending.pending_keys() == set() and len(changes) == 2


def test_without_undo_the_files_go_after_the_time(store, settings, family, tmp_path):  # noqa: F811
    a, a_x2, c = family
    trash = FakeTrash(tmp_path / "trash")
    actions = _actions(store, settings, tmp_path, trash=trash)
    pending = PendingDeletes(actions, delay_s=0.2)
    pending.delete_later([clip_of(store, "j1")])
    assert a.exists()  # not yet
    deadline = time.monotonic() + 5
    while a.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert trash.names() == ["a.mp4", "a_x2.mp4"] and c.exists()
    assert store.get("j1").deleted
    assert pending.undo() is None  # too late: nothing to put back


def test_flush_runs_pending_deletes_now_and_a_failure_is_reported(store, settings, family,  # noqa: F811
                                                                  tmp_path):
    trash = FakeTrash(tmp_path / "trash", refuse=("c.mp4",))
    actions = _actions(store, settings, tmp_path, trash=trash)
    pending = PendingDeletes(actions, delay_s=60)
    failures = []
    pending.failed.connect(failures.append)
    pending.delete_later([clip_of(store, "j2")])
    pending.flush()
    assert len(failures) == 1 and "c.mp4" in str(failures[0])
    assert not store.get("j2").deleted  # its file stayed, so its row stays

