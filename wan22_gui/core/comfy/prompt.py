"""One prompt's life on a ComfyUI server: upload, submit, follow, targeted cancel, download.

Generation (`core/jobs/runner.py`), interpolation (`core/interpolation/comfy_run.py`) and the
benchmark (through both) run their prompts through `PromptRun`, so a cancel, a lost server and
the files a prompt made mean the same everywhere.

The watcher reports the end of a prompt (from its events, or from `/queue` and `/history` when
events stop coming). `follow` adds what a user needs on top: a cancel that works whether the
prompt still waits in ComfyUI's queue or already runs (deleted from the queue if pending,
`/interrupt` for that prompt only if it runs, never a global interrupt), and a way to stop
waiting when the app closes while ComfyUI goes on.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wan22_gui.core.base.errors import ServerUnavailable, Wan22Error
from wan22_gui.core.comfy.watcher import WaitTimeout

log = logging.getLogger("wan22.jobs")

EventFn = Callable[[Any], None]


@dataclass
class Ending:
    """How a prompt ended, from the watcher or from `/history`.

    Attributes:
        status: "success", "error", "interrupted", "lost" (the server forgot it or stopped
            answering), "cancelled" (removed from the server's queue before it ran, or
            interrupted by our own cancel) or "detached" (the app stopped waiting; the prompt
            may still run).
        message: the watcher's words for a lost prompt; `hint`: what to do about it.
        history: the server's HistoryEntry when it has one.
        error: the ExecutionError of a failed node.
        outputs: the files the prompt made (OutputFile), from history or `executed` events.
        ended_at: wall clock when the server went away (a lost prompt), else None.
    """

    status: str
    history: Any = None
    error: Any = None
    message: str = ""
    outputs: tuple = ()
    hint: str = ""
    ended_at: float | None = None

    @property
    def ok(self) -> bool:
        return self.status == "success"


@dataclass
class FollowState:
    """What the prompt's thread and other threads share about one prompt in flight."""

    prompt_id: str | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    detach: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True)
class FollowTimes:
    """Seconds between checks (short in tests)."""

    poll: float = 0.5  # how often the loop looks at cancel/detach
    cancel_retry: float = 2.0  # re-send an interrupt that raced the start of the prompt


class PromptRun:
    """One prompt on one server, from upload to downloaded files.

    `watch` (before the POST, so no event slips by), then `queue`; or `submit` for both.
    `follow` blocks until the prompt ends; `cancel` and `detach` may be called from any thread.

    Args:
        client: the session's ComfyClient.
        watcher: the session's PromptWatcher.
        state: shared with whoever cancels (a new one by default).
    """

    def __init__(self, client: Any, watcher: Any, *, times: FollowTimes = FollowTimes(),
                 state: FollowState | None = None) -> None:
        self.client = client
        self.watcher = watcher
        self.times = times
        self.state = state if state is not None else FollowState()
        self.handle: Any = None
        self._prompt_id: str | None = None

    @property
    def prompt_id(self) -> str | None:
        """The id ComfyUI accepted (None before `queue` succeeded)."""
        return self.state.prompt_id

    def upload(self, path: Path | str) -> Any:
        """Upload an input file; returns the client's UploadedImage (its `load_value`)."""
        return self.client.upload_image(Path(path))

    @property
    def planned_id(self) -> str | None:
        """The prompt id `watch` chose, known before `queue` sends the prompt."""
        return self._prompt_id

    def watch(self, on_event: EventFn | None = None, prompt_id: str | None = None) -> Any:
        """Start watching a new prompt id (or an existing prompt's, to follow it again)."""
        self._prompt_id = prompt_id or uuid.uuid4().hex
        self.handle = self.watcher.watch(self._prompt_id)
        if on_event is not None:
            self.handle.events.connect(on_event)
        if prompt_id is not None:
            self.state.prompt_id = prompt_id
        return self.handle

    def queue(self, graph: dict) -> str:
        """POST the watched prompt (with the client's id); returns the prompt id.

        Raises:
            PromptRejected / ServerUnavailable: from the client (the watch is dropped).
        """
        prompt_id = self._prompt_id
        if prompt_id is None or self.handle is None:
            raise RuntimeError("PromptRun.queue before watch")
        try:
            self.client.queue_prompt(graph, prompt_id=prompt_id)
        except BaseException:
            self.watcher.forget(prompt_id)
            raise
        self.state.prompt_id = prompt_id
        return prompt_id

    def submit(self, graph: dict, on_event: EventFn | None = None) -> str:
        """`watch` then `queue`; returns the prompt id."""
        self.watch(on_event)
        return self.queue(graph)

    def follow(self, timeout: float | None = None) -> Ending:
        """Block until the prompt ends, then stop watching it.

        Raises:
            WaitTimeout (a TimeoutError): `timeout` seconds passed first (it may still run).
        """
        try:
            return follow(self.client, self.handle, self.state, self.times, timeout=timeout)
        finally:
            self.watcher.forget(self.state.prompt_id or self._prompt_id)

    def cancel(self) -> None:
        """Targeted cancel: `follow` removes the prompt if pending, interrupts it if running."""
        self.state.cancel.set()

    def detach(self) -> None:
        """Stop waiting (the app is closing); ComfyUI keeps running the prompt."""
        self.state.detach.set()

    def download(self, files: Sequence[Any], dest: Path,
                 rename: Callable[[str], str] | None = None) -> list[Path]:
        """Download the prompt's files into `dest` (`rename` maps a file name to the one to use).

        Raises:
            Wan22Error: a file could not be fetched.
        """
        return download_outputs(self.client, files, dest, rename)


def download_outputs(client: Any, files: Sequence[Any], dest: Path,
                     rename: Callable[[str], str] | None = None) -> list[Path]:
    """Download ComfyUI's output files (OutputFile) into `dest`, never overwriting.

    Raises:
        Wan22Error: a file could not be fetched.
    """
    if rename is None:
        return [Path(client.download(ref, dest)) for ref in files]
    return [Path(client.download(ref, dest, name=rename(Path(ref.filename).name)))
            for ref in files]


def follow(client: Any, handle: Any, state: FollowState, times: FollowTimes,
           timeout: float | None = None) -> Ending:
    """Block until the prompt ends (the watcher decides success, error, interrupt or lost).

    Raises:
        WaitTimeout (a TimeoutError): only with a `timeout`, when it passed first.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    last_cancel = 0.0
    while True:
        outcome = _wait(handle, _slice(times.poll, deadline))
        if outcome is not None:
            ending = _from_outcome(outcome)
            if ending.status == "interrupted" and state.cancel.is_set():
                ending.status = "cancelled"  # our own interrupt
            return ending
        if state.detach.is_set():
            return Ending("detached")
        now = time.monotonic()
        if deadline is not None and now >= deadline:
            raise WaitTimeout(
                f"Prompt {state.prompt_id} has not finished after {timeout:g} s.",
                hint="ComfyUI may still be working on it; check its console or interrupt it.")
        if state.cancel.is_set() and now - last_cancel >= times.cancel_retry:
            last_cancel = now
            cancelled = push_cancel(client, state.prompt_id)
            if cancelled is not None:
                return cancelled


def _slice(poll: float, deadline: float | None) -> float:
    if deadline is None:
        return poll
    return min(poll, max(0.01, deadline - time.monotonic()))


def _wait(handle: Any, timeout: float) -> Any:
    try:
        return handle.wait(timeout)
    except TimeoutError:
        return None


def _from_outcome(outcome: Any) -> Ending:
    return Ending(outcome.status, outcome.history, outcome.error, outcome.message,
                  tuple(outcome.outputs), getattr(outcome, "hint", ""),
                  getattr(outcome, "ended_at", None))


def ending_from_history(entry: Any) -> Ending:
    """The ending a finished `/history` entry describes."""
    outputs = tuple(entry.output_files)
    if entry.interrupted:
        return Ending("interrupted", entry, outputs=outputs)
    if entry.error is not None:
        return Ending("error", entry, entry.error, outputs=outputs)
    if entry.succeeded:
        return Ending("success", entry, outputs=outputs)
    return Ending("error", entry, outputs=outputs)


def push_cancel(client: Any, prompt_id: str | None) -> Ending | None:
    """Remove the prompt if it still waits, interrupt it if it runs (targeted, never global)."""
    if prompt_id is None:
        return Ending("cancelled")
    try:
        queue = client.get_queue()
        if queue.is_pending(prompt_id):
            client.delete_from_queue([prompt_id])
            if not client.get_queue().contains(prompt_id):
                return Ending("cancelled")
        elif queue.is_running(prompt_id):
            client.interrupt(prompt_id)
        elif client.history(prompt_id) is None:
            return Ending("cancelled")
    except ServerUnavailable:
        return None  # the watcher notices a server that is gone
    except Wan22Error as exc:
        log.warning("could not cancel prompt %s: %s", prompt_id, exc)
    return None
