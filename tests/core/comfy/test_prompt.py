"""One prompt's life through PromptRun against the stand-in ComfyUI (each on a free port):
submit, follow, the targeted cancel (pending: deleted; running: that prompt interrupted), a
server that drops mid-prompt, a timeout, the download, and the one session type."""

from __future__ import annotations

import threading

import pytest

from tests.core.comfy_fixtures import make_png, slow_graph, video_graph
from wan22_gui.core.comfy import events as ev
from wan22_gui.core.comfy.prompt import FollowTimes, PromptRun
from wan22_gui.core.comfy.session import ServerSession
from wan22_gui.core.comfy.watcher import WaitTimeout

FAST = FollowTimes(poll=0.05, cancel_retry=0.2)


@pytest.fixture
def session(standin):
    s = ServerSession(standin.url, unreachable_timeout=1.0, poll_interval=0.3).open()
    yield s
    s.close()


@pytest.fixture
def image(tmp_path, session):
    return PromptRun(session.client, session.watcher).upload(
        make_png(tmp_path / "start.png")).load_value


def _run(session) -> PromptRun:
    return PromptRun(session.client, session.watcher, times=FAST)


def _started(prompt: PromptRun, graph: dict) -> threading.Event:
    """Submit `graph`; the event is set at its first sampler step."""
    stepping = threading.Event()
    prompt.submit(graph, lambda e: isinstance(e, ev.Progress) and stepping.set())
    return stepping


def test_a_prompt_runs_to_its_end_and_its_files_are_downloaded(session, image, tmp_path):
    prompt = _run(session)
    seen: list = []
    prompt_id = prompt.submit(video_graph(image, prefix="video/prompt_test"), seen.append)
    assert prompt.prompt_id == prompt_id
    ending = prompt.follow(timeout=30)
    assert ending.ok and ending.status == "success", ending.message
    assert any(isinstance(e, ev.ExecutionStart) for e in seen)
    files = prompt.download(ending.outputs, tmp_path / "out")
    assert files and all(p.is_file() and p.parent == tmp_path / "out" for p in files)
    renamed = prompt.download(ending.outputs[:1], tmp_path / "named", rename=lambda n: "clip.mp4")
    assert [p.name for p in renamed] == ["clip.mp4"]


def test_cancel_of_a_pending_prompt_deletes_it_without_touching_the_running_one(
        standin, session, image):
    running, pending = _run(session), _run(session)
    stepping = _started(running, slow_graph(image, steps=30, seconds_per_step=0.05))
    assert stepping.wait(10)
    pending.submit(video_graph(image))
    pending.cancel()
    assert pending.follow(timeout=10).status == "cancelled"
    assert not session.client.get_queue().contains(pending.prompt_id)
    assert standin.counters["interrupts"] == 0
    assert running.follow(timeout=30).status == "success"  # it ran on to its end


def test_cancel_of_the_running_prompt_interrupts_it(standin, session, image):
    prompt = _run(session)
    stepping = _started(prompt, slow_graph(image, steps=200, seconds_per_step=0.05))
    assert stepping.wait(10)
    prompt.cancel()
    ending = prompt.follow(timeout=20)
    assert ending.status == "cancelled"  # our own interrupt, not "interrupted"
    assert standin.counters["interrupts"] >= 1


def test_a_cancel_before_the_prompt_exists_needs_no_server(session):
    prompt = _run(session)
    prompt.watch()
    prompt.cancel()
    assert prompt.follow(timeout=5).status == "cancelled"  # nothing was ever queued


def test_a_server_that_drops_mid_prompt_ends_the_run_with_a_clear_error(standin, session, image):
    standin.faults.die_mid_job = True
    prompt = _run(session)
    prompt.submit(slow_graph(image, steps=40, seconds_per_step=0.02))
    ending = prompt.follow(timeout=30)
    assert ending.status == "lost" and not ending.ok
    assert standin.url in ending.message and "stopped answering" in ending.message


def test_follow_gives_up_after_its_timeout(session, image):
    prompt = _run(session)
    prompt.submit(slow_graph(image, steps=200, seconds_per_step=0.05))
    with pytest.raises(WaitTimeout, match="has not finished after 0.3 s"):
        prompt.follow(timeout=0.3)
    session.client.interrupt(prompt.prompt_id)  # leave the server idle for the teardown


def test_a_borrowed_session_leaves_the_real_one_open(session):
    lent = session.borrowed()
    assert lent.client is session.client and lent.watcher is session.watcher
    lent.close()
    assert session.stream.connected
    closed: list = []
    ServerSession.of(session.client, session.watcher, close=lambda: closed.append(1)).close()
    assert closed == [1] and session.stream.connected
