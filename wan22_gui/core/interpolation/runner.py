"""One entry point for every interpolation, whichever engine: timed and recorded in history.

Each run is a history row with kind="interpolate", its output linked to the clip it came from
(`parent_id` = that clip's job, or none for a clip the user added; the source path is always in
`params["source"]`), labelled with the engine that made it ("RIFE ×2 (ComfyUI, rife49)",
"FILM ×2 (ComfyUI)", "Optical flow ×2 (built-in)"), and `timings["interpolate"]` in seconds.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wan22_gui.core.base.errors import InputError, Wan22Error
from wan22_gui.core.comfy.session import ServerSession
from wan22_gui.core.interpolation.builtin import ENGINE_NAME, Cancelled, interpolate_builtin
from wan22_gui.core.interpolation.cached import reused_from
from wan22_gui.core.interpolation.comfy_run import run_comfy_vfi
from wan22_gui.core.interpolation.fallback import missing_engine_on
from wan22_gui.core.video.reader import probe
from wan22_gui.core.video.writer import unique_path

log = logging.getLogger("wan22.interpolation")

ENGINES = ("builtin", "rife", "film")
SUBFOLDER = "interpolated"


@dataclass(frozen=True)
class InterpolationRequest:
    """What to interpolate and how.

    Attributes:
        source: the clip.
        method: "builtin" (optical flow, no ComfyUI), "rife" or "film" (through ComfyUI).
        multiplier: 2, 3 or 4: (n-1)·m+1 frames at fps·m.
        parent_id: the history job that made `source`, if any.
        model: a RIFE checkpoint / model file to prefer (ComfyUI engines only).
        requested: the ComfyUI engine the user chose when the built-in one runs instead
            because the server has neither its core nodes nor the pack (`fallback`).
        note: which engine ran and why, for the user (`fallback.fallback_note`).
    """

    source: Path
    method: str = "builtin"
    multiplier: int = 2
    parent_id: str | None = None
    model: str | None = None
    requested: str | None = None
    note: str = ""


@dataclass(frozen=True)
class InterpolationResult:
    """A finished interpolation: its history row, file, label and cost."""

    job_id: str
    output: Path
    label: str
    seconds: float
    frame_count: int
    fps: float
    note: str = ""  # set when the built-in engine ran instead of the engine asked for


def builtin_label(multiplier: int) -> str:
    return f"{ENGINE_NAME} ×{multiplier} (built-in)"


class InterpolationRunner:
    """Runs interpolations and records them. `run` blocks: call it off the GUI thread.

    Args:
        history: a HistoryStore.
        output_dir: results go to `output_dir/interpolated/`.
        comfy: returns a ServerSession for the server in use (RIFE/FILM only); the runner
            closes it after each run.
        workers: processes for the built-in engine (None = one per core).
    """

    def __init__(self, history, output_dir: Path, *, comfy: Callable[[], ServerSession] | None = None,
                 workers: int | None = None) -> None:
        self.history = history
        self.output_dir = Path(output_dir) / SUBFOLDER
        self._comfy = comfy
        self._workers = workers

    def run(self, request: InterpolationRequest, *,
            progress: Callable[[int, int], None] | None = None,
            cancel: threading.Event | None = None) -> InterpolationResult:
        """Interpolate and record; raises a Wan22Error (recorded as a failed row) on failure.

        RIFE/FILM on a server with neither their core nodes nor the pack runs the built-in
        engine instead; the result's `note` (and the row's params) say so and why.
        """
        if request.method not in ENGINES:
            raise InputError(f"Unknown interpolation engine {request.method!r}.",
                             f"Choose one of: {', '.join(ENGINES)}.")
        info = probe(request.source)
        session = self._open_session(request)
        try:
            if session is not None:
                request = self._engine_on(session, request)
            return self._record_run(request, info, session, progress, cancel)
        finally:
            if session is not None:
                session.close()

    def _open_session(self, request: InterpolationRequest) -> ServerSession | None:
        if request.method == "builtin":
            return None
        if self._comfy is None:
            raise Wan22Error(f"{request.method.upper()} runs in ComfyUI, and no server is connected.",
                             "Start or attach ComfyUI first, or use the built-in engine.")
        return self._comfy()

    @staticmethod
    def _engine_on(session: ServerSession, request: InterpolationRequest) -> InterpolationRequest:
        """`request`, or its built-in replacement when the server cannot run its engine."""
        note = missing_engine_on(session.client, request.method, request.model)
        if note is None:
            return request
        log.info("interpolation: %s", note)
        return dataclasses.replace(request, method="builtin", model=None,
                                   requested=request.method, note=note)

    def _record_run(self, request, info, session, progress, cancel) -> InterpolationResult:
        label = builtin_label(request.multiplier) if request.method == "builtin" else \
            f"{request.method.upper()} ×{request.multiplier} (ComfyUI)"
        job_id = start_record(self.history, request, info, label)
        started = time.monotonic()
        metrics: dict[str, Any] = {}
        try:
            if request.method == "builtin":
                output, label, timings = self._builtin(request, info, progress, cancel)
            else:
                output, label, timings, metrics = self._comfyui(request, info, job_id, session,
                                                                cancel)
        except Exception as exc:
            fail_record(self.history, job_id, exc,
                        cancelled=isinstance(exc, Cancelled) or bool(cancel and cancel.is_set()))
            raise
        timings.setdefault("interpolate", time.monotonic() - started)
        result = finish_record(self.history, job_id, output, label, timings, metrics=metrics)
        return dataclasses.replace(result, note=request.note)

    def _builtin(self, request, info, progress, cancel):
        dest = unique_path(self.output_dir, f"{info.path.stem}_flow_x{request.multiplier}")
        result = interpolate_builtin(info.path, dest, request.multiplier, workers=self._workers,
                                     progress=progress, cancel=cancel)
        return result.output, builtin_label(request.multiplier), {"interpolate": result.seconds}

    def _comfyui(self, request, info, job_id, session, cancel):
        def remember(graph, plan):
            self.history.update(job_id, graph=graph, label=plan.label(request.multiplier),
                                server_url=getattr(session.client, "base_url", None))

        stem = re.sub(r"[^A-Za-z0-9_-]+", "_", info.path.stem)[:60] or "clip"
        result = run_comfy_vfi(session, info, request.method, request.multiplier,
                               self.output_dir, model=request.model, cancel=cancel,
                               on_graph=remember,
                               prefix=f"video/{stem}_{request.method}_x{request.multiplier}")
        self.history.update(job_id, prompt_id=result.prompt_id)
        metrics: dict[str, Any] = {}
        if result.cached:  # the work was done by an earlier run with the same inputs
            params = self.history.get(job_id).params
            metrics, seconds = reused_from(
                self.history, server_url=getattr(session.client, "base_url", None),
                exclude=job_id, same=lambda row: _same_request(row.params, params))
            result.timings["interpolate"] = seconds
        return result.output, result.plan.label(request.multiplier), result.timings, metrics


# -- history rows (also written by the job runner for generation + RIFE/FILM in one prompt) ---

def start_record(history, request: InterpolationRequest, info, label: str, *,
                 started_at: float | None = None, **fields) -> str:
    """Add the "interpolate" row of `request` (status running) and return its job id.

    Args:
        info: the source clip's VideoInfo (its fps, frames and size go into params).
        fields: more JobRecord fields (graph, server_url, prompt_id, ...).
    """
    from wan22_gui.core.history import JobRecord, new_job_id

    parent = history.get(request.parent_id) if request.parent_id else None
    job_id = new_job_id()
    history.add(JobRecord(
        job_id=job_id, kind="interpolate", status="running",
        started_at=time.time() if started_at is None else started_at,
        params=_params(request, info), parent_id=request.parent_id, label=label,
        source_image=parent.source_image if parent else None, **fields,
    ))
    return job_id


def finish_record(history, job_id: str, output: Path, label: str,
                  timings: dict[str, float], *,
                  metrics: dict[str, Any] | None = None) -> InterpolationResult:
    """Mark the row succeeded with its file, label and timings (`timings["interpolate"]`);
    `metrics` adds to the clip's frames and fps (e.g. `cached.reused_from`'s)."""
    result_info = probe(output)
    history.update(
        job_id, status="succeeded", finished_at=time.time(), outputs=[str(output)],
        timings=timings, label=label,
        metrics={"frames": result_info.frame_count, "fps": result_info.fps, **(metrics or {})},
    )
    return InterpolationResult(job_id, Path(output), label, timings["interpolate"],
                               result_info.frame_count, result_info.fps)


def fail_record(history, job_id: str, exc: BaseException, *, cancelled: bool = False) -> None:
    """Mark the row failed (or cancelled) with the error's message and hint."""
    error: dict[str, Any] = {"message": str(exc), "hint": getattr(exc, "hint", ""), "phase": "interpolate",
             "node_id": None, "node_type": None, "exception_type": type(exc).__name__,
             "oom": False, "log_tail": [], "fix": None}
    if not isinstance(exc, Wan22Error):
        log.exception("interpolation %s failed", job_id, exc_info=exc)
    history.update(job_id, status="cancelled" if cancelled else "failed",
                   finished_at=time.time(), error=error)


def _same_request(a: dict | None, b: dict | None) -> bool:
    keys = ("source", "method", "multiplier", "model")
    return all((a or {}).get(k) == (b or {}).get(k) for k in keys)


def _params(request: InterpolationRequest, info) -> dict:
    params = {
        "source": str(Path(request.source).resolve()), "method": request.method,
        "multiplier": request.multiplier, "model": request.model,
        "source_fps": info.fps, "source_frames": info.frame_count,
        "width": info.width, "height": info.height,
    }
    if request.requested:  # the built-in engine stood in: the row keeps what was asked and why
        params.update(requested_method=request.requested, note=request.note)
    return params
