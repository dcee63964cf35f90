"""Running a RIFE/FILM interpolation on a ComfyUI server: upload, queue, follow, download.

The prompt's life (submit, follow, the targeted cancel, download) is `core/comfy/prompt.py`'s
PromptRun, the same as a generation job's; the session is the app's one ServerSession.

The pack's VFI nodes send no progress and ignore interrupts while they work, so the only sign
of life is the `executing` event for the VFI node; its time until the next node starts is the
interpolation time recorded in history.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wan22_gui.core.base.errors import Wan22Error, WorkflowError
from wan22_gui.core.comfy.prompt import FollowState, FollowTimes, PromptRun
from wan22_gui.core.comfy.session import ServerSession
from wan22_gui.core.interpolation.comfy_vfi import VfiPlan, build_interpolation_graph, plan_vfi
from wan22_gui.core.video.reader import VideoInfo

POLL_S = 0.5
DEFAULT_TIMEOUT_S = 4 * 3600.0  # FILM on a slow GPU, ×4, long clip: hours are possible
_WEIGHT_FAILURE_WORDS = ("tried all urls", "download", "no such file", "not found", "urlopen",
                         "connection", "http error")


@dataclass
class ComfyVfiResult:
    """What a ComfyUI interpolation produced and how long each part took."""

    output: Path
    plan: VfiPlan
    prompt_id: str
    graph: dict
    timings: dict[str, float] = field(default_factory=dict)
    cached: bool = False  # ComfyUI served the VFI node from its cache: no work was done


def open_session(url: str) -> ServerSession:
    """Connect to ComfyUI at `url` (client, event stream, watcher), as the job queue does.

    Raises:
        ServerUnavailable: nothing (or not ComfyUI) answers at the URL.
    """
    return ServerSession(url).open()


def run_comfy_vfi(
    session: ServerSession, info: VideoInfo, method: str, multiplier: int, dest_dir: Path, *,
    model: str | None = None, prefix: str = "video/wan22_interp", cancel: threading.Event | None = None,
    on_graph: Callable[[dict, VfiPlan], None] | None = None, timeout: float = DEFAULT_TIMEOUT_S,
) -> ComfyVfiResult:
    """Interpolate `info.path` ×`multiplier` with RIFE or FILM on the session's server.

    Args:
        on_graph: called with the graph and plan before queueing (the runner stores them).
        cancel: set it to cancel the prompt: removed from ComfyUI's queue if it still waits,
            interrupted (that prompt only) if it runs (takes effect when the VFI node returns).

    Raises:
        WorkflowError: missing nodes or weights (with what to install where).
        PromptRejected / ServerUnavailable: from the client.
        Wan22Error: the prompt failed, was interrupted or lost.
    """
    client, watcher = session.client, session.watcher
    timings: dict[str, float] = {}
    object_info = client.object_info()
    plan = plan_vfi(object_info, method, model=model)
    prompt = PromptRun(client, watcher, times=FollowTimes(poll=POLL_S),
                       state=FollowState(cancel=cancel if cancel is not None else threading.Event()))
    started = time.monotonic()
    uploaded = prompt.upload(info.path)
    timings["upload"] = time.monotonic() - started
    graph, save_id = build_interpolation_graph(
        plan, uploaded.load_value, multiplier, info.fps, prefix, object_info)
    if on_graph is not None:
        on_graph(graph, plan)
    vfi_ids = {k for k, v in graph.items() if v["class_type"] not in
               ("LoadVideo", "GetVideoComponents", "VHS_LoadVideo", "CreateVideo", "SaveVideo",
                "VHS_VideoCombine", "FrameInterpolationModelLoader")}
    clock = _NodeClock(vfi_ids)
    prompt.watch(clock.on_event)
    queued_at = time.monotonic()
    prompt_id = prompt.queue(graph)
    outcome = prompt.follow(timeout)
    timings.update(clock.timings(queued_at, time.monotonic()))
    if not outcome.ok:
        raise explain_failure(plan, outcome)
    files = [f for f in _files_of(outcome, save_id) if f.filename.lower().endswith(
        (".mp4", ".webm", ".mkv", ".mov", ".gif"))]
    if not files:
        raise Wan22Error("ComfyUI finished but saved no interpolated video.",
                         "Look at the ComfyUI console for what the save node said.")
    started = time.monotonic()
    [output] = prompt.download(files[:1], dest_dir)
    timings["download"] = time.monotonic() - started
    return ComfyVfiResult(output, plan, prompt_id, graph, timings, cached=clock.all_cached)


def explain_failure(plan: VfiPlan, outcome: Any) -> Wan22Error:
    """A user-facing error for a failed interpolation prompt (missing weights named exactly)."""
    error = outcome.error
    text = f"{getattr(error, 'exception_message', '')} {outcome.message}".lower()
    on_vfi = error is not None and (getattr(error, "node_type", "") or "").replace(" ", "") in (
        "RIFEVFI", "FILMVFI", "FrameInterpolate", "FrameInterpolationModelLoader")
    if on_vfi and any(word in text for word in _WEIGHT_FAILURE_WORDS):
        return WorkflowError(
            f"ComfyUI could not load the {plan.method.upper()} weights {plan.model}.",
            f"Download {plan.model} and put it in {plan.weights_location().rsplit('/', 1)[0]}/ "
            "on the ComfyUI machine (the nodes download it on first use, which fails offline).",
        )
    if outcome.status in ("interrupted", "cancelled"):
        return Wan22Error("The interpolation was interrupted; nothing was saved.")
    return Wan22Error(f"The {plan.method.upper()} interpolation failed: "
                      f"{outcome.message or outcome.status}")


class _NodeClock:
    """Measures how long the VFI node(s) ran, from `executing` events."""

    def __init__(self, vfi_ids: set[str]) -> None:
        self._vfi_ids = vfi_ids
        self._lock = threading.Lock()
        self._marks: list[tuple[float, str | None]] = []
        self._cached: set[str] = set()

    def on_event(self, event: Any) -> None:
        from wan22_gui.core.comfy.events import ExecutionCached, Executing

        if isinstance(event, Executing):
            with self._lock:
                self._marks.append((time.monotonic(), event.node))
        elif isinstance(event, ExecutionCached):
            with self._lock:
                self._cached.update(str(n) for n in event.nodes)

    @property
    def all_cached(self) -> bool:
        """Every VFI node came from ComfyUI's cache (a re-run of the same interpolation)."""
        with self._lock:
            return bool(self._vfi_ids) and self._vfi_ids <= self._cached

    def timings(self, queued_at: float, ended_at: float) -> dict[str, float]:
        with self._lock:
            marks = list(self._marks)
        spent = 0.0
        for (start, node), (end, _next) in zip(marks, marks[1:] + [(ended_at, None)]):
            if node in self._vfi_ids:
                spent += end - start
        first = marks[0][0] if marks else ended_at
        result = {"queued": max(0.0, first - queued_at)}
        # without events (WebSocket down) the whole wait is the best measure there is
        result["interpolate"] = spent if spent > 0 else ended_at - queued_at
        return result


def _files_of(outcome: Any, save_id: str) -> list:
    from wan22_gui.core.comfy.types import output_files_of

    if outcome.history is not None and save_id in outcome.history.outputs:
        return output_files_of({save_id: outcome.history.outputs[save_id]})
    return list(outcome.outputs)
