"""Waiting for one prompt to end, whatever happens to the server meanwhile.

The watcher reports the end of a prompt (from its events, or from `/queue` and `/history` when
events stop coming). This loop adds what a user needs on top: a cancel that works whether the
prompt still waits in ComfyUI's queue or already runs, and a way to stop waiting when the app
closes while ComfyUI goes on.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from wan22_gui.core.base.errors import ServerUnavailable, Wan22Error

log = logging.getLogger("wan22.jobs")


@dataclass
class Ending:
    """How a prompt ended, from the watcher or from `/history`.

    Attributes:
        status: "success", "error", "interrupted", "lost" (the server forgot it or stopped
            answering), "cancelled" (removed from the server's queue before it ran) or
            "detached" (the app stopped waiting; the prompt may still run).
        message: the watcher's words for a lost prompt.
        history: the server's HistoryEntry when it has one.
        error: the ExecutionError of a failed node.
        outputs: the files the prompt made (OutputFile), from history or `executed` events.
    """

    status: str
    history: Any = None
    error: Any = None
    message: str = ""
    outputs: tuple = ()


@dataclass
class FollowState:
    """What the job thread and other threads share about one prompt in flight."""

    prompt_id: str | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    detach: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True)
class FollowTimes:
    """Seconds between checks (short in tests)."""

    poll: float = 0.5  # how often the loop looks at cancel/detach
    cancel_retry: float = 2.0  # re-send an interrupt that raced the start of the prompt


def follow(client: Any, handle: Any, state: FollowState, times: FollowTimes) -> Ending:
    """Block until the prompt ends (the watcher decides success, error, interrupt or lost)."""
    last_cancel = 0.0
    while True:
        outcome = _wait(handle, times.poll)
        if outcome is not None:
            ending = _from_outcome(outcome)
            if ending.status == "interrupted" and state.cancel.is_set():
                ending.status = "cancelled"  # our own interrupt
            return ending
        if state.detach.is_set():
            return Ending("detached")
        now = time.monotonic()
        if state.cancel.is_set() and now - last_cancel >= times.cancel_retry:
            last_cancel = now
            ending = _push_cancel(client, state.prompt_id)
            if ending is not None:
                return ending


def _wait(handle: Any, timeout: float) -> Any:
    try:
        return handle.wait(timeout)
    except TimeoutError:
        return None


def _from_outcome(outcome: Any) -> Ending:
    return Ending(outcome.status, outcome.history, outcome.error, outcome.message,
                  tuple(outcome.outputs))


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


def _push_cancel(client: Any, prompt_id: str | None) -> Ending | None:
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
