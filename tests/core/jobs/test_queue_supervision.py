"""The queue worker survives an exception: the job it had taken fails in words. A full disk
pauses the queue with the reason (the next job would meet the same disk) until Resume."""

from __future__ import annotations

import sqlite3
import threading
import time

from tests.core.jobs.test_jobs_queue import env, image, spec, wait_finished  # noqa: F401

DISK_FULL = "the disk holding the app's data is full"


def _break_updates_of(store, monkeypatch, job_id, times=None):
    """history.update raises "database or disk is full" for `job_id` (the first `times`);
    returns a function that frees the disk again."""
    original = store.update
    left = [times]

    def update(target, **changes):
        if target == job_id and (left[0] is None or left[0] > 0):
            if left[0] is not None:
                left[0] -= 1
            raise sqlite3.OperationalError("database or disk is full")
        return original(target, **changes)

    monkeypatch.setattr(store, "update", update)
    return lambda: left.__setitem__(0, 0)


def _paused_with_reason(q, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if q.paused and q.pause_reason:
            return True
        time.sleep(0.05)
    return False


def _collect(signal):
    items, lock = [], threading.Lock()

    def on(*args):
        with lock:
            items.append(args[0] if args else None)

    signal.connect(on)
    return items


def test_a_job_whose_db_writes_fail_ends_failed_in_words_and_the_queue_pauses_till_resume(
        env, image, monkeypatch):  # noqa: F811
    make, store, _, _ = env
    q = make()
    first, second = q.add(spec(image, seed=1)), q.add(spec(image, seed=2))
    free_disk = _break_updates_of(store, monkeypatch, first.job_id)
    changed, said = _collect(q.job_changed), _collect(q.message)
    done, results = wait_finished(q, 2)
    q.start()
    assert _paused_with_reason(q)
    [ended] = results
    assert ended.job_id == first.job_id and ended.status == "failed"
    assert DISK_FULL in ended.error and " free" in ended.error
    told = [r for r in changed if r.job_id == first.job_id and r.status == "failed"]
    assert told and DISK_FULL in told[-1].error["message"]  # the DB refused: told in memory
    assert DISK_FULL in q.pause_reason and "free" in q.pause_reason
    assert any(DISK_FULL in m and "Resume" in m for m in said)
    time.sleep(1.5)  # the worker keeps turning, and must not start the second job
    assert store.get(second.job_id).status == "pending"
    assert [r.job_id for r in q.pending()] == [second.job_id]
    free_disk()
    q.set_paused(False)  # the user clicks Resume
    assert done.wait(15)
    assert not q.paused and q.pause_reason is None
    assert store.get(first.job_id).status == "failed"  # the refused failure, written now
    assert DISK_FULL in store.get(first.job_id).error["message"]
    assert store.get(second.job_id).status == "succeeded"


def test_resume_while_the_disk_is_still_full_stays_paused(env, image, monkeypatch):  # noqa: F811
    make, store, _, _ = env
    q = make()
    first, second = q.add(spec(image, seed=1)), q.add(spec(image, seed=2))
    _break_updates_of(store, monkeypatch, first.job_id)
    q.start()
    assert _paused_with_reason(q)
    q.set_paused(False)
    assert q.paused and DISK_FULL in q.pause_reason
    time.sleep(1.0)
    assert store.get(second.job_id).status == "pending"


def test_a_failure_the_db_can_still_record_is_kept_in_the_history(env, image, monkeypatch):  # noqa: F811
    make, store, _, _ = env
    q = make()
    first, second = q.add(spec(image, seed=1)), q.add(spec(image, seed=2))
    _break_updates_of(store, monkeypatch, first.job_id, times=1)
    done, results = wait_finished(q, 2)
    q.start()
    assert _paused_with_reason(q)
    record = store.get(first.job_id)
    assert record.status == "failed"
    assert DISK_FULL in record.error["message"]
    assert record.error["exception_type"] == "OperationalError"
    q.set_paused(False)
    assert done.wait(15)
    assert store.get(second.job_id).status == "succeeded"
    assert [r.status for r in results] == ["failed", "succeeded"]


def test_the_bus_hears_of_the_worker_failure(env, image, monkeypatch, tmp_path):  # noqa: F811
    from wan22_gui.core.base.messages import MessageBus
    from wan22_gui.core.jobs.queue import JobQueue
    from tests.core.jobs.test_jobs_queue import FAST

    make, store, _, conn = env
    fake_session = make()._session_factory  # the env's stand-in server
    bus = MessageBus()
    posted = _collect(bus.posted)
    q = JobQueue(store, conn, tmp_path / "out", times=FAST, bus=bus,
                 session_factory=fake_session)
    try:
        first, _ = q.add(spec(image, seed=1)), q.add(spec(image, seed=2))
        _break_updates_of(store, monkeypatch, first.job_id)
        done, _ = wait_finished(q, 1)
        q.start()
        assert done.wait(15)
    finally:
        q.close()
    errors = [m for m in posted if m.level == "error"]
    assert errors and DISK_FULL in errors[0].text and errors[0].where == "the job queue"
    assert "OperationalError" in errors[0].details
