"""The scheduler over two and three stand-in ComfyUI servers on free ports: jobs spread over
the backends, a backend dying mid-job, one lacking a model, and the app stopping mid-dispatch."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from tests.fakes.comfy_standin import StandinServer, install_wan_models
from wan22_gui.core.backends.pool import BackendPool
from wan22_gui.core.backends.scheduler import Scheduler
from wan22_gui.core.backends.spec import BackendSpec
from wan22_gui.core.backends.store import BackendStore
from wan22_gui.core.base.settings import Settings
from wan22_gui.core.comfy.prompt import FollowTimes
from wan22_gui.core.comfy.session import ServerSession
from wan22_gui.core.workflow.spec import JobSpec

FAST = FollowTimes(poll=0.05, cancel_retry=0.2)
FINAL = ("succeeded", "failed", "cancelled", "interrupted")


@pytest.fixture
def picture(tmp_path):
    path = tmp_path / "fox.png"
    Image.new("RGB", (320, 224), (200, 60, 20)).save(path)
    return path


@pytest.fixture
def servers(tmp_path):
    started: list[StandinServer] = []

    def make(name: str, *, models: bool = True, **faults) -> StandinServer:
        root = tmp_path / name
        if models:
            install_wan_models(root)
        server = StandinServer(root, faults=faults or None)
        server.start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


def spec(picture) -> JobSpec:
    return JobSpec(image=str(picture), prompt="the fox blinks", width=320, height=224, frames=17)


def open_pool(store, tmp_path, backends: dict[str, StandinServer]):
    specs = BackendStore(Settings(None))
    for name, server in backends.items():
        specs.add(BackendSpec(name, "remote", url=server.url))
    pool = BackendPool(specs, interval_s=0.2, timeout_s=1.0)
    pool.probe_all()
    scheduler = Scheduler(store, pool, tmp_path / "outputs", times=FAST,
                          session_factory=lambda url: ServerSession(
                              url, client_id="studio", unreachable_timeout=1.5,
                              poll_interval=0.3).open())
    return specs, pool, scheduler


def run_until_done(store, pool, scheduler, jobs, timeout=60.0):
    pool.start()
    scheduler.start()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if all(store.get(j.job_id).status in FINAL for j in jobs):
                break
            threading.Event().wait(0.1)
    finally:
        scheduler.close()
        pool.close()
    return [store.get(j.job_id) for j in jobs]


def test_jobs_spread_over_both_backends_and_land_in_one_gallery(servers, store, tmp_path,
                                                                picture):
    a, b = servers("a", step_seconds=0.1), servers("b", step_seconds=0.1)
    _, pool, scheduler = open_pool(store, tmp_path, {"a": a, "b": b})
    jobs = [scheduler.add(spec(picture)) for _ in range(4)]
    records = run_until_done(store, pool, scheduler, jobs)
    assert [r.status for r in records] == ["succeeded"] * 4, [r.error for r in records]
    assert {r.backend for r in records} == {"a", "b"}
    assert all(Path(r.outputs[0]).parent == tmp_path / "outputs" for r in records)
    assert a.counters["prompts_queued"] + b.counters["prompts_queued"] == 4  # none twice


def test_a_job_goes_to_the_backend_that_has_its_models(servers, store, tmp_path, picture):
    bare, full = servers("bare", models=False), servers("full")
    _, pool, scheduler = open_pool(store, tmp_path, {"bare": bare, "full": full})
    jobs = [scheduler.add(spec(picture)) for _ in range(2)]
    assert "bare lacks" in scheduler.waiting_reasons().get(jobs[0].job_id, "") or \
        not scheduler.waiting_reasons()  # "full" can run it: it only waits for a free lane
    records = run_until_done(store, pool, scheduler, jobs)
    assert [(r.status, r.backend) for r in records] == [("succeeded", "full")] * 2
    assert bare.counters["prompts_received"] == 0 and bare.counters["uploads"] == 0


def test_a_pinned_job_waits_for_its_backend(servers, store, tmp_path, picture):
    a, b = servers("a"), servers("b")
    specs, pool, scheduler = open_pool(store, tmp_path, {"a": a, "b": b})
    jobs = [scheduler.add(spec(picture), requires="b") for _ in range(2)]
    records = run_until_done(store, pool, scheduler, jobs)
    assert [(r.status, r.backend) for r in records] == [("succeeded", "b")] * 2
    assert a.counters["prompts_received"] == 0


def test_a_job_no_backend_can_run_waits_and_the_user_is_told_why(servers, store, tmp_path,
                                                                  picture):
    bare = servers("bare", models=False)
    _, pool, scheduler = open_pool(store, tmp_path, {"bare": bare})
    told: list[str] = []
    scheduler.message.connect(told.append)
    job = scheduler.add(spec(picture), label="fox")
    assert scheduler.choose("bare", bare.url) is None
    assert store.get(job.job_id).status == "pending"
    assert told and told[-1].startswith("fox waits: no connected backend can run it (bare lacks")
    assert "unet_name" in told[-1]
    scheduler.close()
    pool.close()


def test_a_backend_dying_mid_job_fails_that_job_by_name_and_the_rest_finish(
        servers, store, tmp_path, picture):
    doomed = servers("doomed", die_mid_job=True, step_seconds=0.2)
    b, c = servers("b", step_seconds=0.05), servers("c", step_seconds=0.05)
    _, pool, scheduler = open_pool(store, tmp_path, {"doomed": doomed, "b": b, "c": c})
    jobs = [scheduler.add(spec(picture)) for _ in range(5)]
    records = run_until_done(store, pool, scheduler, jobs, timeout=90)
    failed = [r for r in records if r.status == "failed"]
    assert len(failed) == 1 and failed[0].backend == "doomed"
    assert failed[0].error["message"].startswith("Backend 'doomed' failed:")
    assert {r.backend for r in records if r.status == "succeeded"} <= {"b", "c"}
    assert sum(r.status == "succeeded" for r in records) == 4


def test_the_app_stopping_mid_dispatch_loses_nothing_and_runs_nothing_twice(
        servers, store, tmp_path, picture):
    a = servers("a", step_seconds=0.3)
    _, pool, first = open_pool(store, tmp_path, {"a": a})
    running = first.add(spec(picture))
    unsent = first.add(spec(picture))
    stepping = threading.Event()
    first.progress.connect(lambda *args: stepping.set())
    pool.start()
    first.start()
    assert stepping.wait(30)
    first.close()  # the app is killed: the first job runs on, the second was dispatched
    pool.close()
    # ... and recorded as dispatched to "a" with a prompt id the server never received
    store.update(unsent.job_id, status="queued", queue_pos=None, backend="a",
                 prompt_id="never-sent", owner_pid=None, heartbeat_at=None)
    store.update(running.job_id, heartbeat_at=None)  # its owner is gone

    _, pool, second = open_pool(store, tmp_path, {"a": a})  # the app starts again
    records = run_until_done(store, pool, second, [running, unsent])
    assert [r.status for r in records] == ["succeeded", "succeeded"], [r.error for r in records]
    assert a.counters["prompts_queued"] == 2  # the running one re-attached, not resent


def test_the_app_builds_the_pool_only_when_asked_and_closes_it(servers, tmp_path, picture):
    from wan22_gui.app import App
    from wan22_gui.core.base.paths import AppPaths

    a = servers("a")
    app = App.build(AppPaths.under(tmp_path / "home"), history=True)
    try:
        assert "backends" not in app.built()
        services = app.backends()
        services.store.add(BackendSpec("a", "remote", url=a.url))
        services.pool.probe_all()
        job = services.scheduler.add(spec(picture), requires="a")
        records = run_until_done(app.history, services.pool, services.scheduler, [job])
        assert (records[0].status, records[0].backend) == ("succeeded", "a")
        assert app.backends() is services and "backends" in app.built()
    finally:
        app.close()


def test_two_apps_on_one_profile_never_send_the_same_job_twice(servers, store, tmp_path,
                                                                 picture):
    from wan22_gui.core.history import HistoryStore

    a, b = servers("a", step_seconds=0.05), servers("b", step_seconds=0.05)
    other_history = HistoryStore(store.db_path)  # a second process's connection
    try:
        _, pool, first = open_pool(store, tmp_path, {"a": a, "b": b})
        _, other_pool, second = open_pool(other_history, tmp_path, {"a": a, "b": b})
        jobs = [first.add(spec(picture)) for _ in range(6)]
        other_pool.start()
        second.start()
        try:
            records = run_until_done(store, pool, first, jobs, timeout=90)
        finally:
            second.close()
            other_pool.close()
    finally:
        other_history.close()
    assert [r.status for r in records] == ["succeeded"] * 6, [r.error for r in records]
    assert a.counters["prompts_queued"] + b.counters["prompts_queued"] == 6


def test_a_row_change_is_announced_once_however_many_backends(servers, store, tmp_path,
                                                              picture):
    a, b, c = servers("a"), servers("b"), servers("c")
    _, pool, scheduler = open_pool(store, tmp_path, {"a": a, "b": b, "c": c})
    seen = []
    scheduler.job_changed.connect(seen.append)
    job = scheduler.add(spec(picture))
    store.update(job.job_id, label="renamed")
    assert [r.label for r in seen if r.job_id == job.job_id] == [None, "renamed"]
    scheduler.close()
    pool.close()
