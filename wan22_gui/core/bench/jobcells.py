"""JobCellRunner: the benchmark's CellRunner backed by the app's JobRunner.

Every run is an ordinary job (history row with kind="bench", same phases, timings and NVML
metrics as a job from the Generate tab), followed by a RIFE/FILM interpolation through the app's
InterpolationRunner when the configuration asks for one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wan22_gui.core.base.errors import Wan22Error
from wan22_gui.core.bench.runner import RunOutcome, RunRequest
from wan22_gui.core.comfy.prompt import FollowTimes

log = logging.getLogger("wan22.bench")

CRASH_REASONS = ("crash", "lost", "server_unavailable")
SAMPLING_PHASES = ("high_noise", "low_noise")
CACHED_TEXT = ("ComfyUI answered this run from its cache (the same prompt ran before), so it "
               "measured nothing. Run the benchmark again; each run uses its own seed.")
SessionFactory = Callable[[str], Any]  # url -> opened ServerSession (client, watcher, close())


def job_spec_for(request: RunRequest) -> Any:
    """The JobSpec of one run: the cell's size, frames and configuration, the spec's prompt,
    the run's seed."""
    from wan22_gui.core.workflow.spec import JobSpec

    cell, spec = request.cell, request.spec
    steps, split, cfg = cell.config.sampling()
    fields: dict[str, Any] = dict(
        image=str(cell.image), prompt=spec.prompt, width=cell.width, height=cell.height,
        frames=cell.frames, fps=float(spec.fps), seed=request.seed, use_lora=cell.config.lora,
        steps=steps, split_step=split, cfg=cfg,
        sage_attention=cell.config.attention == "sage-node",
        filename_prefix=f"video/wan22_bench_{cell.cell_id}",
    )
    if spec.negative_prompt is not None:
        fields["negative_prompt"] = spec.negative_prompt
    experts = {k: v for k, v in (("unet_high", cell.config.high_model),
                                 ("unet_low", cell.config.low_model)) if v}
    if experts:  # an fp8 vs GGUF comparison: this configuration's expert files
        import dataclasses

        from wan22_gui.core.workflow.spec import ModelFiles

        fields["models"] = dataclasses.replace(ModelFiles(), **experts)
    return JobSpec(**fields)


def derived_metrics(metrics: dict[str, Any], samples: dict[str, Any], t0: float,
                    t1: float) -> dict[str, Any]:
    """Add what the benchmark reports beyond `job_metrics`, from the same samples: the GPU's
    memory (`vram_total_bytes`) and the mean board power during the job (`mean_power_w`)."""
    import numpy as np

    out = dict(metrics)
    t = np.asarray(samples.get("t", ()), dtype=float)
    inside = (t >= t0) & (t <= t1)
    for key, name, reduce in (("vram_total", "vram_total_bytes", np.max),
                              ("power_w", "mean_power_w", np.mean)):
        column = samples.get(key)
        if column is None or len(column) != len(t):
            continue
        values = np.asarray(column, dtype=float)[inside]
        values = values[np.isfinite(values)]
        if values.size:
            value = float(reduce(values))
            out[name] = int(value) if name.endswith("_bytes") else round(value, 1)
    return out


class JobCellRunner:
    """Runs a benchmark cell as a job on the server that `server.url` names.

    Args:
        server: the benchmark's ServerManager (read for its current URL before each run).
        history: the app's HistoryStore.
        sampler: a running GpuSampler, or None (no NVML metrics then).
        session_factory: opens a ServerSession for a URL (tests pass short timeouts).
    """

    def __init__(self, server: Any, history: Any, *, sampler: Any = None,
                 session_factory: SessionFactory | None = None,
                 times: FollowTimes = FollowTimes(), label: str = "Benchmark") -> None:
        self._server = server
        self._history = history
        self._sampler = sampler
        self._session_factory = session_factory or _open_session
        self._times = times
        self._label = label
        self._session: Any = None
        self._session_url: str | None = None
        self._lock = threading.Lock()
        self._current: tuple[Any, str] | None = None
        self._cancel = threading.Event()

    # ---- CellRunner --------------------------------------------------------------------------

    def run(self, request: RunRequest) -> RunOutcome:
        self._cancel.clear()
        session = self._open()
        if session is None:
            return RunOutcome("crashed", error=f"No ComfyUI answers at {self._server.url}.")
        t0 = time.time()
        outcome = self._generate(session, request)
        if outcome.status == "succeeded" and request.cell.config.interpolation != "none":
            self._interpolate(session, request, outcome)
        outcome.total_s = time.time() - t0 if outcome.status == "succeeded" else None
        if outcome.status == "crashed":
            self.close()  # the next run connects afresh to the restarted server
        return outcome

    def cancel(self) -> None:
        self._cancel.set()
        with self._lock:
            current = self._current
        if current is not None:
            runner, job_id = current
            runner.cancel(job_id)

    def close(self) -> None:
        with self._lock:
            session, self._session, self._session_url = self._session, None, None
        if session is not None:
            session.close()

    # ---- steps -------------------------------------------------------------------------------

    def _open(self) -> Any:
        url = self._server.url
        if url is None:
            return None
        if self._session is not None and self._session_url == url:
            return self._session
        self.close()
        try:
            session = self._session_factory(url)
        except Wan22Error as exc:
            log.warning("cannot connect to %s: %s", url, exc)
            return None
        with self._lock:
            self._session, self._session_url = session, url
        return session

    def _generate(self, session: Any, request: RunRequest) -> RunOutcome:
        from wan22_gui.core.history import JobRecord, new_job_id
        from wan22_gui.core.jobs.runner import JobRunner

        metrics: dict[str, Any] = {}
        runner = JobRunner(session.client, session.watcher, self._history, request.output_dir,
                           metrics_fn=self._metrics_fn(metrics), times=self._times)
        self._follow(runner, request)
        spec = job_spec_for(request)
        label = f"{self._label}: {request.cell.label}" + (" (warm-up)" if request.warmup else "")
        job_id = new_job_id()
        self._history.add(JobRecord(job_id=job_id, kind="bench", status="queued",
                                    params=spec.to_dict(), source_image=spec.image, label=label))
        timed_out = threading.Event()

        def stop_slow_run() -> None:
            timed_out.set()
            runner.cancel(job_id)

        timer = threading.Timer(request.timeout_s, stop_slow_run)
        timer.daemon = True
        with self._lock:
            self._current = (runner, job_id)
        timer.start()
        try:
            result = runner.run(spec, job_id=job_id, label=label)
        finally:
            timer.cancel()
            with self._lock:
                self._current = None
        record = self._history.get(job_id)
        status = _status(result, timed_out.is_set())
        error = _error_text(result, timed_out.is_set(), request.timeout_s)
        if status == "succeeded" and not any(p in result.timings for p in SAMPLING_PHASES):
            status, error = "error", CACHED_TEXT
        return RunOutcome(
            status, timings=dict(result.timings),
            metrics=metrics, outputs=list(result.outputs),
            error=error, job_id=job_id, prompt_id=(record.prompt_id if record else "") or "",
        )

    def _metrics_fn(self, into: dict[str, Any]) -> Callable[[float, float, Any], dict]:
        def metrics(t0: float, t1: float, events: Any) -> dict:
            sampler = self._sampler
            if sampler is None or not getattr(sampler, "running", False):
                return {}
            from wan22_gui.core.jobs.metrics import job_metrics

            samples = sampler.snapshot(since_t=t0)
            into.update(derived_metrics(job_metrics(samples, t0, t1, events), samples, t0, t1))
            return dict(into)

        return metrics

    def _follow(self, runner: Any, request: RunRequest) -> None:
        if request.on_activity is None:
            return
        from wan22_gui.core.jobs.phases import phase_title

        say = request.on_activity
        runner.progress.connect(lambda job_id, phase, step, total, eta: say(
            f"{phase_title(phase)} {step}/{total}"))
        runner.phase.connect(lambda event: say(phase_title(event.phase))
                             if event.state == "start" else None)

    def _interpolate(self, session: Any, request: RunRequest, outcome: RunOutcome) -> None:
        from wan22_gui.core.comfy.session import ServerSession
        from wan22_gui.core.interpolation.runner import InterpolationRequest, InterpolationRunner

        config = request.cell.config
        if request.on_activity is not None:
            request.on_activity(f"{config.interpolation.upper()} ×{config.multiplier}")
        runner = InterpolationRunner(self._history, request.output_dir,
                                     comfy=lambda: ServerSession.of(session.client, session.watcher))
        try:
            result = runner.run(InterpolationRequest(Path(outcome.outputs[0]), config.interpolation,
                                                     config.multiplier, parent_id=outcome.job_id),
                                cancel=self._cancel)
        except Wan22Error as exc:
            outcome.status = "cancelled" if self._cancel.is_set() else "error"
            outcome.error = f"The clip was made, but {config.interpolation.upper()} failed: " \
                            f"{exc.user_text()}"
            return
        outcome.timings["interpolate"] = result.seconds
        outcome.outputs.append(result.output)


def _status(result: Any, timed_out: bool) -> str:
    if result.status == "succeeded":
        return "succeeded"
    if result.oom:
        return "oom"
    if result.reason in CRASH_REASONS:
        return "crashed"
    if result.status in ("cancelled", "detached"):
        return "error" if timed_out else "cancelled"
    return "error"


def _error_text(result: Any, timed_out: bool, timeout_s: float) -> str:
    if timed_out:
        return f"The run took longer than timeout_s = {timeout_s:g} s and was stopped."
    return result.error or ""


def _open_session(url: str) -> Any:
    from wan22_gui.core.comfy.session import ServerSession

    return ServerSession(url).open()
