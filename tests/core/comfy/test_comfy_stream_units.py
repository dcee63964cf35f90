"""The event stream's reconnect loop and the watcher's decisions, with scripted fakes
(no server): back-off doubling and reset, routing of id-less events, outcomes from events."""

from __future__ import annotations

import threading

import pytest
import websocket

from tests.core.comfy_fixtures import closed_port_url
from wan22_gui.core.comfy import events as ev
from wan22_gui.core.comfy.stream import EventStream
from wan22_gui.core.comfy.types import HistoryEntry, QueueItem, QueueState
from wan22_gui.core.comfy.watcher import PromptWatcher, _status_and_error
from wan22_gui.core.base.errors import ServerUnavailable
from wan22_gui.core.base.signals import Signal


class FakeSocket:
    """Plays scripted frames, then fails like a dropped connection."""

    def __init__(self, frames):
        self.frames = list(frames)
        self.sent: list[str] = []

    def send(self, text):
        self.sent.append(text)

    def settimeout(self, seconds):
        pass

    def recv_data(self):
        if not self.frames:
            raise websocket.WebSocketConnectionClosedException("Connection to remote host was lost.")
        return self.frames.pop(0)

    def close(self):
        pass

    abort = close


class ScriptedStream(EventStream):
    """Connects through a script: an exception instance fails that attempt, a FakeSocket
    succeeds. Records the pauses instead of sleeping; stops when the script runs out."""

    def __init__(self, script, **kwargs):
        self.script = list(script)
        self.pauses: list[float] = []
        self.done = threading.Event()
        super().__init__("http://127.0.0.1:1", "cid", connector=self._connect,
                         backoff_initial=0.5, backoff_max=4.0, **kwargs)

    def _connect(self, url, timeout):
        if not self.script:
            self._stop.set()
            self.done.set()
            raise ConnectionAbortedError("script finished")
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step

    def _pause(self, seconds):
        self.pauses.append(seconds)


def _text(payload: str):
    return (websocket.ABNF.OPCODE_TEXT, payload.encode())


def _run(stream):
    seen: list = []
    stream.events.connect(seen.append)
    stream.start()
    assert stream.done.wait(10)
    stream.stop()
    return seen


def test_back_off_doubles_to_the_cap_and_resets_after_a_connection():
    refused = [ConnectionRefusedError("refused") for _ in range(5)]
    socket_ = FakeSocket([_text('{"type": "status", "data": {"status": '
                                '{"exec_info": {"queue_remaining": 0}}, "sid": "cid"}}')])
    stream = ScriptedStream(refused + [socket_] + [ConnectionRefusedError("again")])
    seen = _run(stream)
    assert stream.pauses[:5] == [0.5, 1.0, 2.0, 4.0, 4.0]
    assert stream.pauses[5] == 0.5  # reset by the successful connection
    assert stream.pauses[6] == 1.0
    kinds = [type(e) for e in seen]
    # One ConnectionLost for the whole failed series, not one per attempt.
    assert kinds == [ev.ConnectionLost, ev.Reconnected, ev.Status, ev.ConnectionLost]


def test_feature_flags_is_the_first_message_sent():
    socket_ = FakeSocket([])
    _run(ScriptedStream([socket_]))
    assert socket_.sent == ['{"type": "feature_flags", "data": {"supports_preview_metadata": true}}']
    quiet = FakeSocket([])
    _run(ScriptedStream([quiet], announce_preview_metadata=False))
    assert quiet.sent == []


def test_binary_and_text_frames_become_events():
    frames = [(websocket.ABNF.OPCODE_BINARY, b"\x00\x00\x00\x01\x00\x00\x00\x02PNGDATA"),
              _text("not json"), (websocket.ABNF.OPCODE_CLOSE, b"")]
    seen = _run(ScriptedStream([FakeSocket(frames)]))
    assert isinstance(seen[0], ev.PreviewImage) and seen[0].mime == "image/png"
    assert isinstance(seen[1], ev.UnknownEvent)
    assert seen[2] == ev.ConnectionLost("the server closed the connection")


def test_a_dead_url_reports_once_and_stops_promptly():
    stream = EventStream(closed_port_url(), "cid", backoff_initial=0.05, backoff_max=0.1)
    seen: list = []
    stream.events.connect(seen.append)
    stream.start()
    assert not stream.wait_connected(0.5)
    stream.stop()
    assert not stream.connected
    assert len(seen) == 1 and isinstance(seen[0], ev.ConnectionLost)
    assert "could not connect" in seen[0].reason
    assert not stream._thread.is_alive()


# --- the watcher's decisions --------------------------------------------------------------------

class FakeStream:
    def __init__(self):
        self.events = Signal("fake")


class FakeClient:
    base_url = "http://fake:8188"

    def __init__(self):
        self.queue = QueueState()
        self.entries: dict[str, HistoryEntry] = {}
        self.down = False

    def get_queue(self):
        if self.down:
            raise ServerUnavailable("No ComfyUI answers at http://fake:8188 (connection refused).")
        return self.queue

    def history(self, prompt_id):
        if self.down:
            raise ServerUnavailable("down")
        return self.entries.get(prompt_id)


@pytest.fixture
def fakes():
    client, stream = FakeClient(), FakeStream()
    watcher = PromptWatcher(client, stream, poll_interval=0.05, unreachable_timeout=0.3,
                            confirm_grace=0.2)
    yield client, stream, watcher
    watcher.close()


def test_id_less_events_go_to_the_running_job(fakes):
    client, stream, watcher = fakes
    client.queue = QueueState(running=[QueueItem(1, "a", {}, {}, [])])
    mine, other = watcher.watch("a"), watcher.watch("b")
    got_a: list = []
    got_b: list = []
    mine.events.connect(got_a.append)
    other.events.connect(got_b.append)
    stream.events.emit(ev.ExecutionStart("a"))
    stream.events.emit(ev.ConnectionLost("dropped"))
    stream.events.emit(ev.Reconnected())
    stream.events.emit(ev.Executing(None, "6"))  # ComfyUI's reconnect quirk
    stream.events.emit(ev.PreviewImage(b"jpg", "image/jpeg"))  # legacy preview, no ids
    stream.events.emit(ev.Progress("b", "3", 1, 2))
    assert [type(e) for e in got_a] == [ev.ExecutionStart, ev.ConnectionLost, ev.Reconnected,
                                        ev.Executing, ev.PreviewImage]
    assert [type(e) for e in got_b] == [ev.ConnectionLost, ev.Reconnected, ev.Progress]


def test_an_ended_job_without_history_is_resolved_from_its_events(fakes):
    client, stream, watcher = fakes
    handle = watcher.watch("a")
    finished: list = []
    handle.finished.connect(finished.append)
    output = {"gifs": [{"filename": "w_00001.mp4", "subfolder": "", "type": "output"}]}
    for event in (ev.ExecutionStart("a"), ev.Executed("a", "9", "9", output),
                  ev.ExecutionSuccess("a"), ev.Executing("a", None)):
        stream.events.emit(event)
    outcome = handle.wait(10)
    assert outcome.status == "success" and outcome.history is None
    assert [f.filename for f in outcome.outputs] == ["w_00001.mp4"]  # VHS says "gifs"
    assert finished == [outcome]
    stream.events.emit(ev.ExecutionSuccess("a"))  # late events of a finished job are ignored
    assert finished == [outcome] and handle.outcome is outcome


def test_a_server_gone_for_good_loses_running_jobs(fakes):
    client, stream, watcher = fakes
    handle = watcher.watch("a")
    stream.events.emit(ev.ExecutionStart("a"))
    client.down = True
    outcome = handle.wait(10)
    assert outcome.status == "lost" and "stopped answering" in outcome.message


def test_a_job_still_queued_is_never_declared_lost(fakes):
    client, stream, watcher = fakes
    client.queue = QueueState(pending=[QueueItem(1, "a", {}, {}, [])])
    handle = watcher.watch("a")
    with pytest.raises(TimeoutError):
        handle.wait(0.8)  # many polls, well past the grace
    client.queue = QueueState()
    client.entries["a"] = HistoryEntry.from_json("a", {"status": {
        "status_str": "success", "completed": True, "messages": []}, "outputs": {}})
    assert handle.wait(10).status == "success"


def _entry(status_str, messages, completed=False):
    return HistoryEntry.from_json("p", {"status": {"status_str": status_str,
                                                   "completed": completed,
                                                   "messages": messages}})


def test_outcome_from_history_entries():
    error = ["execution_error", {"prompt_id": "p", "node_id": "2", "node_type": "X",
                                 "exception_type": "torch.OutOfMemoryError",
                                 "exception_message": "oom", "traceback": []}]
    interrupted = ["execution_interrupted", {"prompt_id": "p", "node_id": "6"}]
    status, err = _status_and_error(_entry("error", [error]), None)
    assert status == "error" and err.is_oom
    assert _status_and_error(_entry("error", [interrupted]), None) == ("interrupted", None)
    assert _status_and_error(_entry("success", [], True), None) == ("success", None)
    assert _status_and_error(_entry("error", []), None) == ("error", None)
    assert _status_and_error(None, ev.ExecutionInterrupted("p", "6", "X")) == \
        ("interrupted", None)


def test_after_a_reconnect_the_queue_says_which_job_runs(fakes):
    import time

    client, stream, watcher = fakes
    watcher.watch("a")
    new = watcher.watch("b")
    got_b: list = []
    new.events.connect(got_b.append)
    client.queue = QueueState(running=[QueueItem(1, "a", {}, {}, [])],
                              pending=[QueueItem(2, "b", {}, {}, [])])
    stream.events.emit(ev.ExecutionStart("a"))
    stream.events.emit(ev.ConnectionLost("dropped"))  # meanwhile "a" ends and "b" starts
    client.queue = QueueState(running=[QueueItem(2, "b", {}, {}, [])])
    stream.events.emit(ev.Reconnected())
    deadline = time.monotonic() + 10
    while watcher._running != "b" and time.monotonic() < deadline:
        time.sleep(0.02)
    stream.events.emit(ev.Executing(None, "6"))
    assert ev.Executing(None, "6") in got_b
