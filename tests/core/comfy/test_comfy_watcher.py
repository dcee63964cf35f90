"""Following jobs to their end through faults: OOM, node errors, a dropped socket, a dying
server, slow and broken replies. No job may be left "running" forever."""

from __future__ import annotations

import uuid

import pytest

from tests.core.comfy_fixtures import (  # noqa: F401
    comfy_session, comfy_url, make_png, slow_graph, standin_only, video_graph,
)
from wan22_gui.core.comfy import events as ev
from wan22_gui.core.comfy.client import ComfyClient
from wan22_gui.core.comfy.watcher import WaitTimeout
from wan22_gui.core.base.errors import ComfyApiError, ServerUnavailable

needs_standin = pytest.mark.usefixtures("standin_only")


@pytest.fixture
def image(tmp_path):
    return make_png(tmp_path / "start.png")


def _queue(session, graph):
    prompt_id = str(uuid.uuid4())
    handle = session.watcher.watch(prompt_id)
    session.client.queue_prompt(graph, prompt_id=prompt_id)
    return handle


@needs_standin
def test_out_of_memory_is_an_error_outcome_with_advice(standin, comfy_session, image):
    standin.faults.oom_at_node = "HarnessSlowProgress"
    session = comfy_session()
    handle = _queue(session, slow_graph(session.upload(image)))
    outcome = handle.wait(30)
    assert outcome.status == "error"
    assert outcome.error.is_oom and outcome.error.node_type == "HarnessSlowProgress"
    assert outcome.error.traceback  # kept for the details pane
    assert outcome.message.startswith("The GPU ran out of memory in HarnessSlowProgress (#6).")
    assert outcome.history.status_str == "error" and outcome.history.error.is_oom


@needs_standin
def test_a_node_error_keeps_type_message_node_and_traceback(standin, comfy_session, image):
    standin.faults.update(error_at_node="CreateVideo", error_type="ValueError",
                          error_message="frames must not be empty")
    session = comfy_session()
    handle = _queue(session, video_graph(session.upload(image)))
    outcome = handle.wait(30)
    assert outcome.status == "error" and not outcome.error.is_oom
    error = outcome.error
    assert (error.node_id, error.node_type, error.exception_type) == \
        ("4", "CreateVideo", "ValueError")
    assert "frames must not be empty" in error.exception_message
    assert error.traceback and "images" in error.current_inputs
    assert outcome.message == ("ComfyUI failed in CreateVideo (#4): ValueError: frames must "
                               "not be empty")
    assert any(isinstance(e, ev.ExecutionError) for e in session.seen)


@needs_standin
def test_a_dropped_socket_reconnects_and_the_outcome_is_recovered(standin, comfy_session, image):
    standin.faults.drop_ws_mid_job = True
    session = comfy_session()
    job_events: list = []
    handle = _queue(session, slow_graph(session.upload(image), steps=60, seconds_per_step=0.05))
    handle.events.connect(job_events.append)
    outcome = handle.wait(60)
    assert outcome.status == "success" and outcome.outputs
    kinds = [type(e) for e in session.seen]
    assert ev.ConnectionLost in kinds and ev.Reconnected in kinds
    assert kinds.index(ev.ConnectionLost) < kinds.index(ev.Reconnected)
    assert ev.ConnectionLost in [type(e) for e in job_events]  # the job hears about it too
    # After the reconnect ComfyUI re-sends the running node without prompt_id: still ours.
    assert any(isinstance(e, ev.Executing) and e.prompt_id is None and e.node == "6"
               for e in job_events)
    assert standin.counters["ws_connections"] == 2
    assert session.stream.connected


@needs_standin
def test_a_server_dying_mid_job_loses_the_job_instead_of_hanging(standin, comfy_session, image):
    standin.faults.die_mid_job = True
    session = comfy_session(unreachable_timeout=1.0)
    handle = _queue(session, slow_graph(session.upload(image), steps=40, seconds_per_step=0.02))
    outcome = handle.wait(30)
    assert outcome.status == "lost"
    assert standin.url in outcome.message and "stopped answering" in outcome.message
    assert "ComfyUI panel" in outcome.hint  # what to do, apart from what happened
    assert any(isinstance(e, ev.ConnectionLost) for e in session.seen)


@needs_standin
def test_a_killed_server_process_loses_the_job(standin_process, comfy_session, image):
    session = comfy_session(url=standin_process.url, unreachable_timeout=1.0)
    handle = _queue(session, slow_graph(session.upload(image), steps=400,
                                        seconds_per_step=0.02))
    handle.events.connect(lambda e: isinstance(e, ev.Progress) and
                          standin_process.process.poll() is None and
                          standin_process.process.kill())
    outcome = handle.wait(30)
    assert outcome.status == "lost" and "stopped answering" in outcome.message


def test_the_history_poll_finds_the_end_without_any_socket(comfy_session, image):
    session = comfy_session(start_stream=False)
    handle = _queue(session, video_graph(session.upload(image)))
    outcome = handle.wait(30)
    assert outcome.status == "success" and outcome.history.succeeded and outcome.outputs
    assert session.seen == []


def test_a_prompt_the_server_never_got_is_lost_after_the_grace(comfy_session):
    session = comfy_session(confirm_grace=0.3)
    handle = session.watcher.watch("never-queued")
    outcome = handle.wait(30)
    assert outcome.status == "lost" and not outcome.ok
    assert "no longer knows prompt never-queued" in outcome.message


@needs_standin
def test_wait_gives_up_after_its_timeout(comfy_session, image):
    session = comfy_session()
    handle = _queue(session, slow_graph(session.upload(image), steps=400,
                                        seconds_per_step=0.02))
    with pytest.raises(WaitTimeout, match=r"has not finished after 0.2 s"):
        handle.wait(0.2)
    with pytest.raises(TimeoutError):  # callers may catch the builtin
        handle.wait(0.01)
    assert not handle.done
    session.client.interrupt(handle.prompt_id)
    assert handle.wait(30).status == "interrupted"
    again = session.watcher.watch(handle.prompt_id)  # a finished job is followed afresh
    assert again is not handle and again.wait(30).status == "interrupted"


@needs_standin
def test_a_slow_server_times_out_with_a_message(standin, comfy_session):
    client = comfy_session(start_stream=False, timeout=0.3).client
    standin.faults.slow_reply_s = 1.0
    with pytest.raises(ServerUnavailable) as info:
        client.get_queue()
    assert f"ComfyUI at {standin.url} did not answer GET /queue within 0.3 s" in str(info.value)


@pytest.mark.parametrize("route, call", [
    ("/queue", lambda c: c.get_queue()),
    ("/system_stats", lambda c: c.system_stats()),
    ("/history", lambda c: c.history_all()),
    ("/object_info", lambda c: c.object_info()),
])
@needs_standin
def test_a_malformed_reply_is_a_clear_error(standin, route, call):
    standin.faults.malformed_reply = route
    client = ComfyClient(standin.url)
    with pytest.raises(ComfyApiError) as info:
        call(client)
    assert standin.url in str(info.value) and "not ComfyUI's JSON" in str(info.value)
    client.close()


@needs_standin
def test_the_watcher_keeps_following_through_malformed_replies(standin, comfy_session, image):
    session = comfy_session()
    handle = _queue(session, slow_graph(session.upload(image), steps=20,
                                        seconds_per_step=0.02))
    standin.faults.malformed_reply = "/queue"  # the safety net sees garbage for a while
    outcome = handle.wait(30)
    assert outcome.status == "success" and outcome.history is not None
