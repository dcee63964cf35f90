"""Who owns a running job: a live process keeps its job, a dead one (gone, reused pid, stale
heartbeat) loses it to recovery."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from wan22_gui.core.history import HistoryStore, JobRecord
from wan22_gui.core.jobs import lease
from wan22_gui.core.jobs.lease import Owner, owner_alive

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="reads process start times from /proc")


def _owned(owner: Owner, *, beat_age: float = 0.0, **kw) -> JobRecord:
    return JobRecord(job_id="j", status="running", **{**owner.lease(time.time() - beat_age),
                                                      **kw})


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_job_without_an_owner_is_dead():
    assert not owner_alive(JobRecord(job_id="j", status="running"))


def test_this_process_keeps_its_job_while_it_beats():
    me = lease.this_process()
    assert owner_alive(_owned(me))
    assert not owner_alive(_owned(me, beat_age=lease.STALE_S + 1))


def test_a_killed_owner_loses_its_job_at_once_even_with_a_fresh_heartbeat():
    me = lease.this_process()
    gone = Owner(_dead_pid(), None, me.host)
    assert not owner_alive(_owned(gone))


@linux_only
def test_a_pid_reused_by_another_program_does_not_keep_the_job_alive():
    me = lease.this_process()
    parent = os.getppid()  # alive, so its pid is "taken" by a process
    started = lease.process_start_time(parent)
    assert started is not None
    assert owner_alive(_owned(Owner(parent, started, me.host)))
    assert not owner_alive(_owned(Owner(parent, started - 1000.0, me.host)))


def test_another_machine_is_trusted_only_while_its_heartbeat_is_fresh():
    far = Owner(12345, 1.0, "another-host")
    assert owner_alive(_owned(far))
    assert not owner_alive(_owned(far, beat_age=lease.STALE_S + 1))


def test_the_heartbeat_renews_the_lease_and_stops_with_the_last_job(tmp_path):
    store = HistoryStore(tmp_path / "h.sqlite3")
    try:
        me = lease.this_process()
        store.add(JobRecord(job_id="j", status="running", **me.lease(1.0)))
        beat = lease.Heartbeat(store, me, every_s=0.05)
        beat.add("j")
        deadline = time.monotonic() + 5
        while store.get("j").heartbeat_at == 1.0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert store.get("j").heartbeat_at > time.time() - 5
        beat.discard("j")
        deadline = time.monotonic() + 5
        while beat._thread is not None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert beat._thread is None
    finally:
        store.close()


def test_dead_jobs_and_take_over(tmp_path):
    store = HistoryStore(tmp_path / "h.sqlite3")
    try:
        me = lease.this_process()
        store.add(JobRecord(job_id="live", status="running", **me.lease()))
        store.add(JobRecord(job_id="dead", status="queued",
                            **Owner(_dead_pid(), None, me.host).lease()))
        store.add(JobRecord(job_id="done", status="succeeded"))
        [dead] = lease.dead_jobs(store)
        assert dead.job_id == "dead"
        assert lease.take_over(store, dead)
        assert not lease.take_over(store, dead)  # a second recoverer finds it taken
        assert store.get("dead").owner_pid == me.pid
        assert lease.dead_jobs(store) == []
    finally:
        store.close()
