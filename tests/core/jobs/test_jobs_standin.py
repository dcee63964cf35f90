"""The job runner end to end against the stand-in ComfyUI: real HTTP, WebSocket events,
uploads and mp4 files, with the official template's node ids."""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import pytest
from PIL import Image

from wan22_gui.core.comfy.prompt import FollowTimes
from wan22_gui.core.jobs.runner import JobRunner
from wan22_gui.core.comfy.session import ServerSession
from wan22_gui.core.workflow.spec import JobSpec

FAST = FollowTimes(poll=0.05, cancel_retry=0.2)


@pytest.fixture
def picture(tmp_path):
    path = tmp_path / "Red fox.png"
    Image.new("RGB", (480, 320), (200, 60, 20)).save(path)
    return path


@pytest.fixture
def session(standin_with_models):
    s = ServerSession(standin_with_models.url, unreachable_timeout=2.0, poll_interval=0.3).open()
    yield s
    s.close()


def make_runner(session, store, tmp_path):
    runner = JobRunner(session.client, session.watcher, store, tmp_path / "outputs", times=FAST)
    progress = []
    runner.progress.connect(lambda *a: progress.append(a))
    return runner, progress


def spec(picture, **kw):
    kw.setdefault("frames", 17)
    return JobSpec(image=str(picture), prompt="the fox blinks", width=320, height=224, **kw)


def test_a_job_runs_end_to_end_and_leaves_a_playable_file(session, store, tmp_path, picture):
    runner, progress = make_runner(session, store, tmp_path)
    result = runner.run(spec(picture))
    assert result.status == "succeeded", result.error
    [video] = result.outputs
    assert video.parent == tmp_path / "outputs" and video.suffix == ".mp4"
    assert video.name.startswith("Red fox_320x224_1.06s_4step_lora")
    capture = cv2.VideoCapture(str(video))
    try:
        assert capture.isOpened()
        assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 17
    finally:
        capture.release()
    rec = store.get(result.job_id)
    assert rec.status == "succeeded" and rec.outputs == [str(video)]
    assert rec.graph["98"]["inputs"]["length"] == 17  # the exact graph sent
    assert rec.server_url == session.client.base_url
    for phase in ("upload", "queued", "high_noise", "low_noise", "vae_decode", "save",
                  "download"):
        assert phase in rec.timings, phase
    passes = [(p[1], p[2], p[3]) for p in progress]
    assert ("high_noise", 2, 2) in passes and ("low_noise", 2, 2) in passes  # 1..2 of 2 each
    steps = {n["node_id"]: n.get("steps") for n in rec.node_timings}
    assert steps["86"] == 2 and steps["85"] == 2


def test_oom_in_the_high_noise_pass_is_reported_with_a_fix(standin_with_models, session,
                                                           store, tmp_path, picture):
    standin_with_models.faults.oom_at_node = "86"
    runner, _ = make_runner(session, store, tmp_path)
    result = runner.run(spec(picture, frames=81))
    rec = store.get(result.job_id)
    assert result.oom and rec.status == "failed"
    assert "out of GPU memory in the high-noise pass, node 86 (KSamplerAdvanced)" in \
        rec.error["message"]
    assert rec.error["fix"] == {"frames": 65}


def test_a_server_that_dies_mid_job_fails_the_job(standin_with_models, session, store,
                                                  tmp_path, picture):
    standin_with_models.faults.update(die_mid_job=True, step_seconds=0.1)
    runner, _ = make_runner(session, store, tmp_path)
    result = runner.run(spec(picture))
    rec = store.get(result.job_id)
    assert result.status == "failed" and result.reason == "crash", result.error
    assert "stopped while running this job" in rec.error["message"]
    assert rec.error["phase"] == "high_noise"


def test_cancel_mid_pass_interrupts_and_records_cancelled(standin_with_models, session, store,
                                                           tmp_path, picture):
    standin_with_models.faults.step_seconds = 0.5  # the cancel lands mid-pass even when loaded
    runner, progress = make_runner(session, store, tmp_path)
    box = {}
    worker = threading.Thread(target=lambda: box.setdefault("r", runner.run(spec(picture))))
    worker.start()
    deadline = threading.Event()
    while not progress and worker.is_alive():
        deadline.wait(0.02)
    runner.cancel(store.list()[0].job_id)
    worker.join(20)
    assert box["r"].status == "cancelled"
    rec = store.get(box["r"].job_id)
    assert rec.status == "cancelled" and rec.outputs == []
    assert not list(Path(tmp_path / "outputs").glob("*.mp4"))


def test_a_job_survives_the_app_closing_mid_job(standin_with_models, store, tmp_path, picture):
    from wan22_gui.core.comfy.connection import ServerConnection, ServerInfo
    from wan22_gui.core.jobs.queue import JobQueue

    standin_with_models.faults.step_seconds = 0.3
    connection = ServerConnection()
    connection.set(ServerInfo(standin_with_models.url, "attached"))
    client_id = "studio-client"

    def open_queue():
        return JobQueue(store, connection, tmp_path / "outputs", times=FAST,
                        session_factory=lambda url: ServerSession(
                            url, client_id=client_id, unreachable_timeout=2.0,
                            poll_interval=0.3).open())

    first = open_queue()
    stepping = threading.Event()
    first.progress.connect(lambda *a: stepping.set())
    job = first.add(spec(picture))
    first.start()
    assert stepping.wait(20)
    first.close()  # the app quits mid-pass; ComfyUI carries on
    assert store.get(job.job_id).status == "running"

    second = open_queue()  # next start of the app
    done = threading.Event()
    second.finished.connect(lambda r: done.set())
    second.start()
    try:
        assert done.wait(30)
    finally:
        second.close()
    rec = store.get(job.job_id)
    assert rec.status == "succeeded", rec.error
    [video] = rec.outputs
    assert Path(video).is_file()


def test_comfyui_dying_fails_the_running_job_and_keeps_the_next_waiting(
        standin_with_models, store, tmp_path, picture):
    from wan22_gui.core.comfy.connection import ServerConnection, ServerInfo
    from wan22_gui.core.jobs.queue import JobQueue

    standin_with_models.faults.update(die_mid_job=True, step_seconds=0.1)
    connection = ServerConnection()
    connection.set(ServerInfo(standin_with_models.url, "attached"))
    queue = JobQueue(store, connection, tmp_path / "outputs", times=FAST,
                     log_tail_fn=lambda: ["Sampling 1/2", "Segmentation fault"],
                     session_factory=lambda url: ServerSession(
                         url, unreachable_timeout=2.0, poll_interval=0.3).open())
    told = threading.Event()
    queue.message.connect(lambda m: "Could not reach ComfyUI" in m and told.set())
    first = queue.add(spec(picture))
    second = queue.add(spec(picture))
    queue.start()
    try:
        assert told.wait(30)
    finally:
        queue.close()
    failed = store.get(first.job_id)
    assert failed.status == "failed" and failed.error["log_tail"][-1] == "Segmentation fault"
    assert store.get(second.job_id).status == "pending"
    assert [r.job_id for r in store.pending_queue()] == [second.job_id]
