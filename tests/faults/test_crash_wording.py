"""What the user is told when ComfyUI dies, and how a crash is told apart from a busy server
(issue 12, item 4): a SIGKILL blames memory only with evidence from the kernel log; refused
connections confirm a crash within seconds, a server that merely times out is given time."""

from __future__ import annotations

import time

from tests.core.comfy.test_comfy_stream_units import FakeClient, FakeStream
from wan22_gui.core.base.errors import ServerUnavailable
from wan22_gui.core.comfy import events as ev
from wan22_gui.core.comfy.transport import ConnectionRefused
from wan22_gui.core.comfy.watcher import PromptWatcher
from wan22_gui.core.server.crash import classify, oom_kill_line

PID = 43117
OOM_LINES = [
    "[81234.5] python invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP)",
    f"[81234.6] oom-kill:constraint=CONSTRAINT_NONE,task=python,pid={PID},uid=1000",
    f"[81234.6] Out of memory: Killed process {PID} (python) total-vm:81234567kB",
]


def test_a_sigkill_without_evidence_is_hedged_and_points_at_the_kernel_log():
    report = classify(-9, ["Sampling 2/4"], pid=PID, kernel_log=lambda: None)  # unreadable
    assert report.kind == "killed"
    assert report.sentence == "ComfyUI was killed (SIGKILL, signal 9). Nothing in its log " \
                              "explains it."
    assert "may have stopped it for lack of memory" in report.fix
    assert "dmesg" in report.fix and "journalctl -k" in report.fix
    assert f"Killed process {PID}" in report.fix
    assert "memory" not in report.sentence  # only the hint offers it, as a possibility


def test_a_readable_kernel_log_without_an_oom_kill_says_something_else_stopped_it():
    others = [line.replace(str(PID), "999") for line in OOM_LINES]  # another process's OOM
    report = classify(-9, [], pid=PID, kernel_log=lambda: ["[1.0] usb 1-1: new device", *others])
    assert report.kind == "killed"
    assert f"shows no out-of-memory kill of it (pid {PID})" in report.sentence
    assert "memory" not in report.fix


def test_an_oom_kill_in_the_kernel_log_is_said_for_certain():
    report = classify(-9, [], pid=PID, kernel_log=lambda: OOM_LINES)
    assert report.kind == "ram_oom"
    assert report.sentence.startswith("The system ran out of memory (RAM) and its OOM killer "
                                      f"ended ComfyUI (pid {PID}, SIGKILL).")
    assert f"Killed process {PID} (python)" in report.sentence
    assert "add RAM or swap" in report.fix
    assert oom_kill_line(OOM_LINES[:2], PID) == OOM_LINES[1]  # the oom-kill: form alone


def test_other_signals_are_named_without_a_guess():
    report = classify(-15, [], pid=PID, kernel_log=lambda: OOM_LINES)
    assert report.sentence == "ComfyUI was killed (SIGTERM, signal 15). Something outside " \
                              "the app stopped it."


class Refusing(FakeClient):
    """A server whose port is closed (`refused`) or that does not answer in time."""

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def get_queue(self):
        raise self.error

    def history(self, prompt_id):
        raise self.error


def _watch(client: FakeClient) -> tuple:
    stream = FakeStream()
    watcher = PromptWatcher(client, stream, poll_interval=3.0, unreachable_timeout=20.0,
                            confirm_grace=0.2, refused_confirm=0.5, confirm_poll=0.05)
    handle = watcher.watch("a")
    stream.events.emit(ev.ExecutionStart("a"))
    return watcher, stream, handle


def test_refused_connections_after_the_socket_closed_lose_the_job_in_seconds():
    client = Refusing(ConnectionRefused("No ComfyUI answers at http://fake:8188 "
                                        "(connection refused)."))
    client.base_url = "http://fake:8188"
    watcher, stream, handle = _watch(client)
    try:
        lost_at = time.time()
        stream.events.emit(ev.ConnectionLost("the server closed the connection"))
        outcome = handle.wait(5)  # the 3 s poll interval and 20 s timeout are not waited for
        assert outcome.status == "lost"
        assert "ComfyUI at http://fake:8188 stopped answering: its event socket closed and it " \
               "refuses connections" in outcome.message
        assert abs(outcome.ended_at - lost_at) < 0.2  # the crash moment, not the detection
    finally:
        watcher.close()


def test_a_server_that_only_times_out_is_not_declared_crashed():
    client = Refusing(ServerUnavailable("ComfyUI at http://fake:8188 did not answer GET /queue "
                                        "within 10 s."))
    watcher, stream, handle = _watch(client)
    try:
        stream.events.emit(ev.ConnectionLost("timed out"))
        time.sleep(1.5)  # three times the refusal confirmation
        assert not handle.done  # busy (e.g. loading models), given the unreachable timeout
    finally:
        watcher.close()
