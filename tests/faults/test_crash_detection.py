"""A ComfyUI killed with `kill -9` mid-pass fails the job within seconds (issue 12, item 4).

Real processes: the stand-in ComfyUI runs as a child process, either launched by the app's
ServerController from a fake ComfyUI install or started on its own and attached by URL. The
job runs through the app's wiring; the test kills the server at the first high-noise step and
measures, with time.monotonic, how long the job takes to end. Before the fix both cases took
21-24 s (the watcher waited for 20 s of silence) and that time was added to the pass.
"""

from __future__ import annotations

import pytest

from tests.core.launcher_helpers import free_port
from tests.fakes.comfy_standin import install_wan_models
from tests.fakes.comfy_standin.process import StandinProcess
from tests.fakes.fake_comfyui_install import make_install
from tests.faults.crash_helpers import STEP_SECONDS, job_spec, run_and_kill, span, start_image
from wan22_gui.core.base.settings import Settings
from wan22_gui.core.comfy.connection import ServerConnection
from wan22_gui.core.comfy.prompt import FollowTimes
from wan22_gui.core.comfy.session import ServerSession
from wan22_gui.core.history import HistoryStore
from wan22_gui.core.jobs import wiring
from wan22_gui.core.jobs.runner import JobRunner
from wan22_gui.core.presets import load_presets
from wan22_gui.core.server.install import find_install
from wan22_gui.core.server.launcher import ServerController

LAUNCHED_DEADLINE_S = 2.0  # the launcher knows at once that its process ended
ATTACHED_DEADLINE_S = 5.0  # socket closed + refused connections, briefly confirmed
CRASH_SLACK_S = 0.5  # the recorded pass may end this much after the kill (thread hops)


@pytest.fixture
def store(tmp_path):
    history = HistoryStore(tmp_path / "history.sqlite3")
    yield history
    history.close()


@pytest.fixture
def launched(tmp_path):
    """A ComfyUI (the stand-in behind a fake install) launched by the app's controller."""
    root = make_install(tmp_path / "ComfyUI")
    install_wan_models(root)
    connection = ServerConnection()
    controller = ServerController(connection, log_file=tmp_path / "logs" / "comfyui.log",
                                  ready_timeout_s=30, stop_grace_s=5, poll_s=0.1)
    controller.start(find_install(root), load_presets().get("rtx-4090"), free_port())
    assert controller.wait_ready(30), controller.process.lines()
    try:
        yield controller
    finally:
        controller.close()


def _slow_steps(url: str) -> None:
    import requests

    requests.post(url + "/__standin__/faults", json={"step_seconds": STEP_SECONDS}, timeout=5)


def test_a_killed_app_launched_comfyui_fails_the_job_within_2_s(launched, store, tmp_path):
    connection = launched.connection
    url = connection.url
    _slow_steps(url)
    # the app's own wiring: the queue's session factory and its log tail
    options = wiring.queue_options(Settings(None), connection, server=launched)
    session = options["session_factory"](url)
    try:
        runner = JobRunner(session.client, session.watcher, store, tmp_path / "out",
                           log_tail_fn=options["log_tail_fn"], times=FollowTimes(poll=0.1))
        run = run_and_kill(runner, job_spec(start_image(tmp_path)), launched.process.pid)
    finally:
        session.close()
    print(f"\napp-launched: job failed {run.detection_s:.2f} s after kill -9")
    record = store.get(run.result.job_id)
    assert run.result.status == "failed" and run.result.reason == "crash", run.result.error
    assert run.detection_s < LAUNCHED_DEADLINE_S, f"took {run.detection_s:.2f} s"
    message = record.error["message"]
    assert "during the high-noise pass" in message
    assert "ComfyUI was killed (SIGKILL, signal 9)" in message
    assert "Nothing in its log explains it" in message
    assert "ran out of memory" not in message  # no evidence of an OOM kill: no such claim
    high = span(record, "high_noise")
    assert high["end"] <= run.killed_at + CRASH_SLACK_S  # the pass stops at the crash
    assert record.timings["high_noise"] == pytest.approx(high["end"] - high["start"], abs=0.01)
    assert record.timings["high_noise"] < 2 * STEP_SECONDS  # not the 20 s of waiting


def test_a_killed_attached_comfyui_fails_the_job_within_5_s(store, tmp_path):
    server = StandinProcess(tmp_path / "comfyui", args=["--wan-models"],
                            faults={"step_seconds": STEP_SECONDS})
    # attached by URL: no launcher, the session's defaults (as `wan22 generate` and the queue)
    session = ServerSession(server.url).open()
    try:
        runner = JobRunner(session.client, session.watcher, store, tmp_path / "out",
                           times=FollowTimes(poll=0.1))
        run = run_and_kill(runner, job_spec(start_image(tmp_path)), server.process.pid)
    finally:
        session.close()
        server.stop()
    print(f"\nattached: job failed {run.detection_s:.2f} s after kill -9")
    record = store.get(run.result.job_id)
    assert run.result.status == "failed" and run.result.reason == "crash", run.result.error
    assert run.detection_s < ATTACHED_DEADLINE_S, f"took {run.detection_s:.2f} s"
    message = record.error["message"]
    assert f"ComfyUI at {session.client.base_url} stopped answering" in message
    assert "refuses connections" in message
    high = span(record, "high_noise")
    assert high["end"] <= run.killed_at + CRASH_SLACK_S
    assert record.timings["high_noise"] < 2 * STEP_SECONDS
