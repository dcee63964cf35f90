"""The app's queue: kept across restarts, editable while waiting, one job at a time."""

from __future__ import annotations

import threading

import pytest
from PIL import Image

from wan22_gui.core.comfy.connection import ServerConnection, ServerInfo
from wan22_gui.core.base.errors import InputError
from wan22_gui.core.history import HistoryStore, JobRecord
from wan22_gui.core.jobs.queue import JobQueue
from wan22_gui.core.workflow.spec import JobSpec
from tests.core.jobs.test_jobs_runner import FAST, FakeComfy


class FakeSession:
    def __init__(self, fake, url):
        self.url, self.client, self.watcher = url, fake, fake.watcher

    def close(self):
        pass


@pytest.fixture
def image(tmp_path):
    path = tmp_path / "cat.png"
    Image.new("RGB", (640, 480), (200, 100, 0)).save(path)
    return path


@pytest.fixture
def env(tmp_path):
    store = HistoryStore(tmp_path / "h.sqlite3")
    fake = FakeComfy()
    conn = ServerConnection()
    queues = []

    def make():
        q = JobQueue(store, conn, tmp_path / "out", times=FAST,
                     session_factory=lambda url: FakeSession(fake, url))
        queues.append(q)
        return q

    conn.set(ServerInfo(fake.base_url, "attached"))
    yield make, store, fake, conn
    for q in queues:
        q.close()
    fake.join()
    store.close()


def spec(image, **kw):
    kw.setdefault("frames", 17)
    return JobSpec(image=str(image), prompt="wave", width=320, height=240, **kw)


def wait_finished(queue, n=1, timeout=15):
    done, results = threading.Event(), []

    def on(result):
        results.append(result)
        if len(results) >= n:
            done.set()

    queue.finished.connect(on)
    return done, results


def test_queue_order_edits_and_removal_survive_a_restart(env, image):
    make, store, _, _ = env
    q = make()
    a, b, c = (q.add(spec(image, seed=i)) for i in range(3))
    q.move(c.job_id, -2)
    q.edit(a.job_id, spec(image, seed=0, frames=33))
    q.remove(b.job_id)
    q.close()
    again = make()  # a new app start on the same database
    pending = again.pending()
    assert [r.job_id for r in pending] == [c.job_id, a.job_id]
    assert pending[1].params["frames"] == 33
    assert store.get(b.job_id).status == "cancelled"


def test_impossible_settings_are_refused_when_queued(env, image):
    make, *_ = env
    q = make()
    with pytest.raises(InputError, match="4n\\+1"):
        q.add(spec(image, frames=80))
    with pytest.raises(InputError, match="start image"):
        q.add(JobSpec(image=""))


def test_worker_runs_jobs_in_queue_order(env, image):
    make, store, fake, _ = env
    q = make()
    first = q.add(spec(image, seed=1))
    second = q.add(spec(image, seed=2))
    q.reorder([second.job_id, first.job_id])
    done, results = wait_finished(q, 2)
    q.start()
    assert done.wait(15)
    assert [r.job_id for r in results] == [second.job_id, first.job_id]
    assert all(r.status == "succeeded" for r in results)
    assert q.pending() == []
    with pytest.raises(InputError, match="already started"):
        q.edit(first.job_id, spec(image))


def test_without_a_server_jobs_wait_and_the_user_is_told(env, image):
    make, store, _, conn = env
    conn.set(None)
    q = make()
    said = threading.Event()
    messages = []
    q.message.connect(lambda m: (messages.append(m), m and said.set()))
    job = q.add(spec(image))
    q.start()
    assert said.wait(5)
    assert "No ComfyUI server is connected" in messages[-1]
    assert store.get(job.job_id).status == "pending"


def test_unreachable_server_puts_the_job_back_at_the_front(env, image):
    make, store, fake, _ = env
    fake.alive = False
    q = make()
    job = q.add(spec(image))
    later = q.add(spec(image))
    said = threading.Event()
    q.message.connect(lambda m: "Could not reach" in m and said.set())
    q.start()
    assert said.wait(10)
    q.close()
    assert [r.job_id for r in q.pending()] == [job.job_id, later.job_id]
    assert store.get(job.job_id).error is None


def test_requeue_with_fix_queues_an_edited_copy_and_keeps_the_original(env, image):
    make, store, fake, _ = env
    fake.oom_at = "86"
    q = make()
    job = q.add(spec(image, frames=81))
    done, results = wait_finished(q)
    q.start()
    assert done.wait(15)
    assert results[0].oom
    q.set_paused(True)
    retry = q.requeue_with_fix(job.job_id)
    assert retry.params["frames"] == 65 and retry.label == "Retry: 65 frames"
    assert retry.params["seed"] == store.get(job.job_id).params["seed"]
    assert store.get(job.job_id).status == "failed"
    assert [r.job_id for r in q.pending()] == [retry.job_id]


def test_pause_after_current_holds_the_rest(env, image):
    make, store, _, _ = env
    q = make()
    q.set_paused(True)
    job = q.add(spec(image))
    messages = []
    said = threading.Event()
    q.message.connect(lambda m: (messages.append(m), "paused" in m and said.set()))
    q.start()
    assert said.wait(5)
    assert store.get(job.job_id).status == "pending"
    done, _ = wait_finished(q)
    q.set_paused(False)
    assert done.wait(15)
    assert store.get(job.job_id).status == "succeeded"


def test_jobs_left_running_by_a_crash_are_recovered_on_start(env, image, tmp_path):
    make, store, fake, _ = env
    q = make()
    done, _ = wait_finished(q)
    finished_job = q.add(spec(image))
    q.start()
    assert done.wait(15)
    q.close()
    # the app "crashed" while these ran: one finished on the server, one it never heard of
    # (a crashed owner: its lease is stale, as after the process died)
    store.update(finished_job.job_id, status="running", outputs=[], finished_at=None,
                 heartbeat_at=0.0)
    store.add(JobRecord(job_id="j-lost", status="running", prompt_id="unknown",
                        server_url=fake.base_url, params=spec(image).to_dict()))
    store.add(JobRecord(job_id="j-other", status="queued", prompt_id="x",
                        server_url="http://elsewhere:8188", params=spec(image).to_dict()))
    q2 = make()
    done2, _ = wait_finished(q2, 2)
    q2.start()
    assert done2.wait(15)
    assert store.get(finished_job.job_id).status == "succeeded"
    assert len(store.get(finished_job.job_id).outputs) == 1
    assert store.get("j-lost").status == "failed"
    other = store.get("j-other")
    assert other.status == "failed" and "elsewhere" in other.error["message"]


def test_cancelling_a_job_while_it_is_being_prepared_never_sends_it(env, image, tmp_path):
    make, store, fake, conn = env
    opening, release = threading.Event(), threading.Event()

    def slow_session(url):
        opening.set()
        release.wait(10)  # connecting to the server takes a while
        return FakeSession(fake, url)

    q = JobQueue(store, conn, tmp_path / "out", times=FAST, session_factory=slow_session)
    try:
        job = q.add(spec(image))
        q.start()
        assert opening.wait(5)
        q.cancel(job.job_id)
        release.set()
        for _ in range(200):
            if store.get(job.job_id).status == "cancelled":
                break
            threading.Event().wait(0.02)
        assert store.get(job.job_id).status == "cancelled"
        assert fake.graphs == {}  # nothing reached ComfyUI
    finally:
        release.set()
        q.close()


def test_runner_cancel_before_run_begins_still_cancels(tmp_path, image):
    from wan22_gui.core.jobs.runner import JobRunner

    store = HistoryStore(tmp_path / "r.sqlite3")
    fake = FakeComfy()
    try:
        runner = JobRunner(fake, fake.watcher, store, tmp_path / "out", times=FAST)
        assert runner.cancel("job-1") is False  # not started yet: remembered
        result = runner.run(spec(image), job_id="job-1")
        assert result.status == "cancelled" and fake.graphs == {}
    finally:
        store.close()


def test_a_job_another_live_process_runs_is_left_alone_until_its_owner_is_gone(
        env, image, monkeypatch):
    import os
    import time

    from wan22_gui.core.jobs import lease
    from wan22_gui.core.jobs import queue as queue_module

    monkeypatch.setattr(queue_module, "ORPHAN_CHECK_S", 0.2)
    make, store, fake, _ = env
    parent = lease.Owner(os.getppid(), lease.process_start_time(os.getppid()),
                         lease.this_process().host)
    # another process is uploading this job's image: no prompt id yet
    store.add(JobRecord(job_id="cli-job", status="queued", server_url=fake.base_url,
                        params=spec(image).to_dict(), **parent.lease()))
    q = make()
    done, results = wait_finished(q)
    q.start()
    time.sleep(1.0)
    assert not results
    untouched = store.get("cli-job")
    assert untouched.status == "queued" and untouched.error is None
    store.update("cli-job", heartbeat_at=time.time() - lease.STALE_S - 1)  # it hung or died
    assert done.wait(15)
    gone = store.get("cli-job")
    assert gone.status == "failed" and "ended before the job reached ComfyUI" in \
        gone.error["message"]
