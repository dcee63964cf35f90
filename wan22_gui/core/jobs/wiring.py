"""How the app's queue reaches the launcher and the telemetry, each only if the app has one.

The launcher (a `ServerController`) knows the preset and the ComfyUI console; telemetry
(a `GpuSampler`) knows the GPU figures. The queue must work without either (CLI, tests, a
server attached by URL), so both are passed explicitly and may be None.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from wan22_gui.core.base.messages import MessageBus
from wan22_gui.core.base.settings import Settings
from wan22_gui.core.comfy.connection import ServerConnection
from wan22_gui.core.comfy.session import ServerSession, stable_client_id
from wan22_gui.core.workflow.naming import DEFAULT_PATTERN, NAME_PATTERN_KEY

if TYPE_CHECKING:  # the runner loads with the first job
    from wan22_gui.core.jobs.runner import LogTailFn, MetricsFn
    from wan22_gui.core.server.launcher import ServerController
    from wan22_gui.core.telemetry.sampler import GpuSampler

log = logging.getLogger("wan22.jobs")

LOG_TAIL_LINES = 40


def queue_options(settings: Settings, connection: ServerConnection, *,
                  server: ServerController | None = None,
                  sampler: GpuSampler | None = None,
                  bus: MessageBus | None = None) -> dict[str, Any]:
    """Keyword arguments for `JobQueue(history, connection, output_dir, **options)`."""
    return {
        # the client id is read (and created once) on the worker thread, not the GUI's
        # the connection tells the session at once when a launched ComfyUI's process ends
        "session_factory": lambda url: ServerSession(
            url, client_id=stable_client_id(settings), bus=bus, connection=connection).open(),
        "metrics_fn": metrics_fn(sampler),
        "log_tail_fn": log_tail_fn(server),
        "preset_fn": lambda: preset_name(connection, server),
        "name_pattern_fn": lambda: str(settings.get(NAME_PATTERN_KEY) or DEFAULT_PATTERN),
    }


def metrics_fn(sampler: GpuSampler | None) -> MetricsFn:
    """GPU figures of a job from the sampler, while it runs (the GUI starts it); else nothing."""
    def metrics(t0: float, t1: float, events: Any) -> dict:
        if sampler is None or not getattr(sampler, "running", False):
            return {}
        from wan22_gui.core.jobs.metrics import job_metrics

        return job_metrics(sampler.snapshot(since_t=t0), t0, t1, events)

    return metrics


def log_tail_fn(server: ServerController | None) -> LogTailFn:
    """The last lines of the ComfyUI console, when the launcher started it."""
    def tail() -> list[str]:
        process = getattr(server, "process", None)
        try:
            if process is not None:
                return list(process.lines(LOG_TAIL_LINES))
            crash = getattr(server, "last_crash", None)
            return list(getattr(crash, "last_lines", None) or [])[-LOG_TAIL_LINES:]
        except Exception:  # a log view must never break the job's record
            return []

    return tail


def preset_name(connection: ServerConnection, server: ServerController | None) -> str | None:
    """The launch preset of the server in use, if we launched it."""
    info = connection.info
    if info is None or info.source != "launched":
        return None  # an attached server's flags are not ours to name
    plan = getattr(server, "plan", None)
    return getattr(getattr(plan, "preset", None), "name", None)


def server_preset(client: Any, presets: Any) -> str | None:
    """The launch preset a running ComfyUI was started with, read from its `/system_stats`
    command line (for a server this process did not launch: `wan22 generate`); None when
    it cannot be told."""
    try:
        stats = client.system_stats()
        argv = [str(a) for a in (stats.get("system") or {}).get("argv") or []]
        devices = stats.get("devices") or []
        gpu = str(devices[0].get("name") or "") if devices else ""
    except Exception as exc:  # the record just stays without a preset
        log.debug("no preset read from the server: %s", exc)
        return None
    return presets.named_by_argv(argv, gpu)
