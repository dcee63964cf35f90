"""Following prompts to their end, even when the WebSocket drops or the server dies.

The end of a job is `executing` with `node: null` for its prompt_id; the outcome is then read
from `/history/{id}`. Because WebSocket events are lost while disconnected, a poller thread also
checks `/queue` and `/history` every few seconds (and at once after a reconnect): a finished job
gets its outcome from history, a queued or running one is left alone, and one that is in
neither is "lost". A server that stops answering for `unreachable_timeout` seconds loses its
jobs too, so no job is ever left "running" forever.

A crash is told apart from a busy server: once the event socket drops, the poller looks every
`confirm_poll` seconds, and a server that refuses connections for `refused_confirm` seconds is
gone (a timeout only counts towards `unreachable_timeout`). A launcher that sees its process
end calls `server_gone` and the jobs end at once. Either way the outcome carries `ended_at`,
the moment the server went away, so a job's phase timings stop at the crash, not at the
detection.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from wan22_gui.core.comfy.events import (
    ConnectionLost, Executed, Executing, ExecutionError, ExecutionInterrupted, ExecutionStart,
    ExecutionSuccess, PreviewImage, Reconnected, TextOutput, event_prompt_id,
)
from wan22_gui.core.comfy.problems import describe_execution_error
from wan22_gui.core.comfy.transport import ConnectionRefused
from wan22_gui.core.comfy.types import HistoryEntry, OutputFile, output_files_of
from wan22_gui.core.base.errors import Wan22Error
from wan22_gui.core.base.messages import MessageBus
from wan22_gui.core.base.signals import Signal
from wan22_gui.core.base.supervise import Supervisor

log = logging.getLogger("wan22.comfy")

_TERMINAL = (ExecutionSuccess, ExecutionError, ExecutionInterrupted)
_STATUS_OF_EVENT = {ExecutionSuccess: "success", ExecutionError: "error",
                    ExecutionInterrupted: "interrupted"}
_MISSES_BEFORE_LOST = 2  # consecutive polls that find the job nowhere


class WaitTimeout(Wan22Error, TimeoutError):
    """`JobHandle.wait` ran out of time; the job may still be running."""


@dataclass(frozen=True)
class PromptOutcome:
    """How a prompt ended.

    `status` is "success", "error", "interrupted" or "lost"; `message` explains anything but
    success in words a user understands (`hint`: what to do); `outputs` come from history, or
    from the `executed` events when history could not be read. `ended_at` (wall clock) is when
    the server went away, for a prompt lost that way.
    """

    prompt_id: str
    status: str
    history: HistoryEntry | None = None
    error: ExecutionError | None = None
    message: str = ""
    outputs: tuple[OutputFile, ...] = ()
    hint: str = ""
    ended_at: float | None = None

    @property
    def ok(self) -> bool:
        return self.status == "success"


class JobHandle:
    """One watched prompt.

    Signals:
        events(event): this job's WebSocket events (plus ConnectionLost/Reconnected), emitted
            on the reader thread.
        finished(PromptOutcome): once, on the thread that found the end.
    """

    def __init__(self, prompt_id: str) -> None:
        self.prompt_id = prompt_id
        self.events = Signal(f"job[{prompt_id}].events")
        self.finished = Signal(f"job[{prompt_id}].finished")
        self.watched_since = time.monotonic()
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._outcome: PromptOutcome | None = None
        self._terminal: Any = None
        self._executed: list[OutputFile] = []
        self.end_seen = False
        self.confirmed = False  # seen in the queue or in an event: it exists on the server
        self.misses = 0

    @property
    def done(self) -> bool:
        return self._done.is_set()

    @property
    def outcome(self) -> PromptOutcome | None:
        return self._outcome

    def wait(self, timeout: float | None) -> PromptOutcome:
        """Block until the job ends; raise WaitTimeout after `timeout` seconds."""
        if not self._done.wait(timeout):
            raise WaitTimeout(
                f"Prompt {self.prompt_id} has not finished after {timeout:g} s.",
                hint="ComfyUI may still be working on it; check its console or interrupt it.",
            )
        assert self._outcome is not None
        return self._outcome

    def _record(self, event: Any) -> None:
        with self._lock:
            self.confirmed = True
            if isinstance(event, _TERMINAL):
                self._terminal = event
            elif isinstance(event, Executed):
                self._executed.extend(output_files_of(event.output))
            elif isinstance(event, Executing) and event.is_end:
                self.end_seen = True

    def _finish(self, outcome: PromptOutcome) -> bool:
        with self._lock:
            if self._outcome is not None:
                return False
            self._outcome = outcome
        self._done.set()
        self.finished.emit(outcome)
        return True


class PromptWatcher:
    """Routes a stream's events to watched jobs and decides how each job ended."""

    def __init__(self, client: Any, stream: Any, *, poll_interval: float = 3.0,
                 unreachable_timeout: float = 60.0, confirm_grace: float = 15.0,
                 refused_confirm: float = 1.5, confirm_poll: float = 0.25,
                 bus: MessageBus | None = None) -> None:
        self._client = client
        self._stream = stream
        self._poll_interval = poll_interval
        self._unreachable_timeout = unreachable_timeout
        self._confirm_grace = confirm_grace
        self._refused_confirm = refused_confirm
        self._confirm_poll = confirm_poll
        self._lock = threading.Lock()
        self._jobs: dict[str, JobHandle] = {}
        self._running: str | None = None  # prompt the server is executing, as far as we know
        self._resync_running = False
        self._wake = threading.Event()
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None
        self._unreachable_since: float | None = None  # monotonic, first unanswered check
        self._silent_at: float | None = None  # wall clock of the same moment
        self._refused_since: float | None = None  # monotonic, first refusal in a row
        self._socket_lost_at: float | None = None  # wall clock, socket dropped, no answer since
        self._supervisor = Supervisor("the ComfyUI job watcher", bus=bus)
        stream.events.connect(self._on_event)

    def watch(self, prompt_id: str) -> JobHandle:
        """Start following `prompt_id` (call it before queueing, so no event is missed)."""
        with self._lock:
            handle = self._jobs.get(prompt_id)
            if handle is None:
                handle = self._jobs[prompt_id] = JobHandle(prompt_id)
            if self._thread is None:
                self._thread = threading.Thread(target=self._poll_loop, name="comfy-watcher",
                                                daemon=True)
                self._thread.start()
        return handle

    def forget(self, prompt_id: str) -> None:
        """Stop following a prompt (e.g. queueing it failed)."""
        with self._lock:
            self._jobs.pop(prompt_id, None)

    def check_now(self) -> None:
        """Ask the poller to look at /queue and /history right away."""
        self._wake.set()

    def server_gone(self, message: str, *, hint: str = "", at: float | None = None) -> None:
        """The server's process ended (the launcher saw it): every watched prompt ends now.

        `at` is when it ended (wall clock; now when None). A prompt whose end was already seen
        keeps that ending; the others are lost with `message`.
        """
        self._end_all(self._active(), message, hint, at if at is not None else time.time())

    def close(self, timeout: float = 5.0) -> None:
        self._stream.events.disconnect(self._on_event)
        self._closed.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _active(self) -> list[JobHandle]:
        with self._lock:
            return [h for h in self._jobs.values() if not h.done]

    # --- events (reader thread) ------------------------------------------------------------

    def _on_event(self, event: Any) -> None:
        handle: JobHandle | None
        if isinstance(event, (ConnectionLost, Reconnected)):
            for handle in self._active():
                handle.events.emit(event)
            if isinstance(event, Reconnected):
                self._socket_lost_at = None
                self._resync_running = True  # events were missed: ask /queue what runs
            elif self._socket_lost_at is None:
                self._socket_lost_at = time.time()  # maybe the crash itself: check at once
            self._wake.set()
            return
        handle = self._handle_for(event)
        if handle is None:
            return
        handle._record(event)
        handle.events.emit(event)
        if handle.end_seen:
            self._wake.set()

    def _handle_for(self, event: Any) -> JobHandle | None:
        prompt_id = event_prompt_id(event)
        if isinstance(event, (ExecutionStart, Executing)) and prompt_id:
            self._running = None if getattr(event, "is_end", False) else prompt_id
        elif prompt_id is None and isinstance(event, (Executing, PreviewImage, TextOutput)):
            prompt_id = self._running  # reconnect quirk / legacy previews carry no prompt_id
            if prompt_id is None and isinstance(event, Executing):
                self._wake.set()  # ask /queue which job is running
        if prompt_id is None:
            return None
        with self._lock:
            return self._jobs.get(prompt_id)

    # --- poller thread ------------------------------------------------------------------------

    def _poll_loop(self) -> None:
        while not self._closed.is_set():
            self._wake.wait(self._next_wait())
            self._wake.clear()
            if self._closed.is_set():
                break
            jobs = self._active()
            if jobs:  # the safety net itself must never die
                self._supervisor.guard(self._check, jobs)

    def _next_wait(self) -> float:
        """Look often while a crash is suspected (socket gone, refusals), else every interval."""
        suspect = self._socket_lost_at is not None or self._refused_since is not None
        if suspect and self._active():  # an idle app does not poll a server that went away
            return min(self._confirm_poll, self._poll_interval)
        return self._poll_interval

    def _check(self, jobs: list[JobHandle]) -> None:
        """One look at /queue, then /history for each job not (or no longer) in it.

        The queue is read first: a job that left it is already in history, so "in neither"
        really means lost. Without a queue answer, history can still show a job finished.
        """
        queue, error = _ask(self._client.get_queue)
        answered = queue is not None
        if queue is not None and (self._resync_running or self._running is None):
            self._running = queue.running[0].prompt_id if queue.running else None
            self._resync_running = False
        for handle in jobs:
            if queue is not None and not handle.end_seen and queue.contains(handle.prompt_id):
                handle.confirmed, handle.misses = True, 0
                continue
            entry, history_error = _ask(lambda: self._client.history(handle.prompt_id))  # noqa: B023
            if history_error is not None:
                error = history_error
                continue
            answered = True
            if entry is not None:
                self._resolve(handle, entry)
            elif queue is not None or handle.end_seen:
                self._missing(handle)
        if answered:
            self._unreachable_since = self._silent_at = self._refused_since = None
            self._socket_lost_at = None  # it answers: a dropped socket was only the network
        elif error is not None:
            self._server_silent(jobs, error)

    def _missing(self, handle: JobHandle) -> None:
        """Neither queued, running nor in history."""
        in_grace = not handle.confirmed and \
            time.monotonic() - handle.watched_since < self._confirm_grace
        if in_grace:
            return
        handle.misses += 1
        if handle.misses < _MISSES_BEFORE_LOST:
            return
        if handle.end_seen and handle._terminal is not None:
            self._resolve(handle, None)  # it ended, but the server kept no history for it
        else:
            self._lose(handle, f"ComfyUI at {self._client.base_url} no longer knows prompt "
                               f"{handle.prompt_id}: it is not queued, not running and not in "
                               f"its history. The server was probably restarted, or the job "
                               f"was removed from its queue.")

    def _server_silent(self, jobs: list[JobHandle], exc: Wan22Error) -> None:
        now = time.monotonic()
        if self._unreachable_since is None:
            self._unreachable_since, self._silent_at = now, time.time()
        silent_for = now - self._unreachable_since
        went_at = self._socket_lost_at or self._silent_at
        if isinstance(exc, ConnectionRefused):
            if self._refused_since is None:
                self._refused_since = now
            if now - self._refused_since >= self._refused_confirm:
                self._end_all(jobs, self._refused_message(), "Check the ComfyUI panel or "
                              "its console; restart ComfyUI and queue the job again.", went_at)
                return
        else:
            self._refused_since = None  # a timeout is a busy or far server, not a crash
        if silent_for < self._unreachable_timeout:
            log.info("cannot check prompts yet: %s", exc)
            return
        self._end_all(jobs, f"ComfyUI at {self._client.base_url} stopped answering "
                            f"({silent_for:.0f} s without a reply) while the job was queued "
                            f"or running.", "It may have crashed or hung; check the ComfyUI "
                            "panel or its console.", went_at)

    def _refused_message(self) -> str:
        closed = "its event socket closed and " if self._socket_lost_at is not None else ""
        return (f"ComfyUI at {self._client.base_url} stopped answering: {closed}it refuses "
                f"connections, so it has most likely crashed or been stopped.")

    def _end_all(self, jobs: list[JobHandle], message: str, hint: str,
                 at: float | None) -> None:
        """The server is gone: end every job, with the ending already seen if there is one."""
        for handle in (h for h in jobs if not h.done):
            if handle.end_seen and handle._terminal is not None:
                self._resolve(handle, None)  # it finished before the server went
            else:
                self._lose(handle, message, hint, at)

    def _resolve(self, handle: JobHandle, entry: HistoryEntry | None) -> None:
        status, error = _status_and_error(entry, handle._terminal)
        outputs = tuple(entry.output_files) if entry is not None else tuple(handle._executed)
        if status == "error":
            message = describe_execution_error(error) if error else \
                "ComfyUI reports that the job failed, without an error message."
        elif status == "interrupted":
            message = "The job was interrupted before it finished."
        else:
            message = ""
        self._finish(handle, PromptOutcome(handle.prompt_id, status, entry, error, message,
                                           outputs))

    def _lose(self, handle: JobHandle, message: str, hint: str = "",
              at: float | None = None) -> None:
        log.warning("prompt %s lost: %s", handle.prompt_id, message)
        self._finish(handle, PromptOutcome(handle.prompt_id, "lost", None, None, message,
                                           tuple(handle._executed), hint, at))

    def _finish(self, handle: JobHandle, outcome: PromptOutcome) -> None:
        """Hand the outcome to the job and stop following it (a later watch starts afresh)."""
        with self._lock:
            if self._jobs.get(handle.prompt_id) is handle:
                del self._jobs[handle.prompt_id]
        handle._finish(outcome)


def _ask(call: Any) -> tuple[Any, Wan22Error | None]:
    """(answer, None) or (None, the error that says why the server did not answer)."""
    try:
        return call(), None
    except Wan22Error as exc:
        return None, exc


def _status_and_error(entry: HistoryEntry | None,
                      terminal: Any) -> tuple[str, ExecutionError | None]:
    """The outcome from history when we have it, else from the last terminal event."""
    event_error = terminal if isinstance(terminal, ExecutionError) else None
    if entry is None:
        return _STATUS_OF_EVENT.get(type(terminal), "error"), event_error
    if entry.interrupted:
        return "interrupted", None
    if entry.error is not None or entry.status_str == "error":
        return "error", entry.error or event_error
    if entry.status_str == "success" or entry.completed:
        return "success", None
    return _STATUS_OF_EVENT.get(type(terminal), "error"), event_error
