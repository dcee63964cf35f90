"""How the app's queue reaches the other services of an AppCore, each only if it exists.

The launcher (`core.server`) knows the preset and the ComfyUI console; telemetry
(`core.sampler`) knows the GPU figures. The queue must work without either (CLI, tests, a
server attached by URL), so every lookup here is guarded and none starts a service.
"""

from __future__ import annotations

from typing import Any

from wan22_gui.core.jobs.runner import NAME_PATTERN_KEY, LogTailFn, MetricsFn
from wan22_gui.core.comfy.session import ServerSession, stable_client_id
from wan22_gui.core.workflow.naming import DEFAULT_PATTERN

LOG_TAIL_LINES = 40


def queue_options(core: Any) -> dict[str, Any]:
    """Keyword arguments for `JobQueue(history, connection, output_dir, **options)`."""
    settings = core.settings
    return {
        # the client id is read (and created once) on the worker thread, not the GUI's
        "session_factory": lambda url: ServerSession(
            url, client_id=stable_client_id(settings)).open(),
        "metrics_fn": metrics_fn(core),
        "log_tail_fn": log_tail_fn(core),
        "preset_fn": lambda: preset_name(core),
        "name_pattern_fn": lambda: str(settings.get(NAME_PATTERN_KEY) or DEFAULT_PATTERN),
    }


def metrics_fn(core: Any) -> MetricsFn:
    """GPU figures of a job from the sampler, when the GUI runs one; else nothing."""
    def metrics(t0: float, t1: float, events: Any) -> dict:
        sampler = core.__dict__.get("sampler")  # never create one just for this
        if sampler is None or not getattr(sampler, "running", False):
            return {}
        from wan22_gui.core.jobs.metrics import job_metrics

        return job_metrics(sampler.snapshot(since_t=t0), t0, t1, events)

    return metrics


def log_tail_fn(core: Any) -> LogTailFn:
    """The last lines of the ComfyUI console, when the launcher started it."""
    def tail() -> list[str]:
        server = core.__dict__.get("server")
        process = getattr(server, "process", None)
        try:
            if process is not None:
                return list(process.lines(LOG_TAIL_LINES))
            crash = getattr(server, "last_crash", None)
            return list(getattr(crash, "last_lines", None) or [])[-LOG_TAIL_LINES:]
        except Exception:  # a log view must never break the job's record
            return []

    return tail


def preset_name(core: Any) -> str | None:
    """The launch preset of the server in use, if we launched it."""
    info = core.connection.info
    if info is None or info.source != "launched":
        return None  # an attached server's flags are not ours to name
    plan = getattr(core.__dict__.get("server"), "plan", None)
    return getattr(getattr(plan, "preset", None), "name", None)
