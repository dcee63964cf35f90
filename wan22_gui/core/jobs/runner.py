"""Running one generation job against a ComfyUI server, from upload to files on disk.

The runner is the only code that follows a job's life; the GUI queue, the CLI and the benchmark
all call `run`, so timings and failures mean the same everywhere. It writes every step to the
history as it goes, so a crash of the app or of ComfyUI never loses a job: the row says how far
it got, and `recover` finishes the story on the next start.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wan22_gui.core.base.errors import (
    InputError,
    PromptRejected,
    ServerUnavailable,
    Wan22Error,
    WorkflowError,
)
from wan22_gui.core.base.settings import declare
from wan22_gui.core.base.signals import Signal
from wan22_gui.core.comfy import events as ev
from wan22_gui.core.comfy.prompt import (
    Ending,
    FollowState,
    FollowTimes,
    PromptRun,
    download_outputs,
    ending_from_history,
)
from wan22_gui.core.history import HistoryStore, JobRecord, new_job_id
from wan22_gui.core.images import load_image
from wan22_gui.core.interpolation.comfy_run import explain_failure
from wan22_gui.core.jobs import failures
from wan22_gui.core.jobs import phases as ph
from wan22_gui.core.jobs import vfi as combined
from wan22_gui.core.jobs.phases import PhaseEvent
from wan22_gui.core.jobs.timings import PhaseTracker
from wan22_gui.core.workflow import naming
from wan22_gui.core.workflow.builder import BuiltWorkflow, build_wan_i2v, random_seed
from wan22_gui.core.workflow.spec import JobSpec

log = logging.getLogger("wan22.jobs")

NAME_PATTERN_KEY = "generate.name_pattern"
declare(NAME_PATTERN_KEY, naming.DEFAULT_PATTERN)

BuildFn = Callable[[JobSpec, str], BuiltWorkflow]
MetricsFn = Callable[[float, float, Sequence[PhaseEvent]], dict]
LogTailFn = Callable[[], Sequence[str]]

# ComfyUI numbers its outputs "<prefix>_00001_.mp4"; the app's own files drop the counter
# (downloads never overwrite, so a second run gets " (1)").
_COUNTER = re.compile(r"_\d{5}_(?=\.[^.]+$)")


@dataclass(frozen=True)
class JobResult:
    """How a job ended.

    Attributes:
        status: "succeeded", "failed", "interrupted", "cancelled", or "detached" (the app
            stopped waiting; the record stays queued/running and is recovered next start).
        outputs: every file the job left on disk: the clip, then (with `interpolation` in
            the spec) the interpolated clip, which has its own history row
            `interpolation_job_id` (kind "interpolate", parent_id = this job).
        error: one line for the user (None on success); the record's `error` has the rest.
        reason: "" on success, else "input", "server_unavailable", "rejected", "oom",
            "node_error", "crash", "lost", "download", "cancelled", "interrupted",
            "detached" or "bug". `submitted` says whether ComfyUI accepted the prompt.
    """

    job_id: str
    status: str
    outputs: list[Path] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    oom: bool = False
    reason: str = ""
    submitted: bool = False
    interpolation_job_id: str | None = None


class JobRunner:
    """Runs jobs on one server. `run` blocks: call it off the GUI thread.

    Signals (emitted on the job thread or the event thread):
        phase(PhaseEvent): a phase started or ended, or a mark.
        progress(job_id, phase, step, total, eta_s | None): a sampler step.
        finished(JobResult): a job ended (any way).
    """

    def __init__(
        self,
        client: Any,
        watcher: Any,
        history: HistoryStore,
        output_dir: Path,
        *,
        preset: str | None = None,
        metrics_fn: MetricsFn | None = None,
        log_tail_fn: LogTailFn | None = None,
        name_pattern: str = naming.DEFAULT_PATTERN,
        times: FollowTimes = FollowTimes(),
    ) -> None:
        self.client = client
        self.watcher = watcher
        self.history = history
        self.output_dir = Path(output_dir)
        self.preset = preset
        self.metrics_fn = metrics_fn
        self.log_tail_fn = log_tail_fn
        self.name_pattern = name_pattern
        self.times = times
        self.phase = Signal("jobs.phase")
        self.progress = Signal("jobs.progress")
        self.finished = Signal("jobs.finished")
        self._lock = threading.Lock()
        self._active: dict[str, FollowState] = {}
        self._early_cancels: set[str] = set()  # cancelled before `run` got to them

    # -- public -----------------------------------------------------------------------------

    def run(self, spec: JobSpec, *, job_id: str | None = None, build: BuildFn | None = None,
            label: str | None = None) -> JobResult:
        """Run one job to its end and record it; never raises for a job's own failure."""
        job_id = self._ensure_record(spec, job_id, label)
        state = FollowState()
        with self._lock:
            self._active[job_id] = state
            if job_id in self._early_cancels:
                self._early_cancels.discard(job_id)
                state.cancel.set()
        tracker = PhaseTracker(job_id, self.phase.emit, self.progress.emit)
        t0 = time.time()
        self.history.update(job_id, status="queued", started_at=t0, finished_at=None,
                            server_url=self.client.base_url, preset=self.preset, queue_pos=None,
                            error=None)
        tracker.mark(ph.JOB_START)
        try:
            result = self._run(spec, job_id, build or build_wan_i2v, state, tracker)
        except Exception as exc:  # a bug must still leave a readable record
            log.exception("job %s failed unexpectedly", job_id)
            result = self._fail(job_id, tracker, failures.error_info(
                f"Unexpected error: {exc}", "This is a bug in the app; the log has details."),
                "bug", submitted=bool(state.prompt_id))
        finally:
            with self._lock:
                self._active.pop(job_id, None)
        return self._finish(job_id, tracker, t0, result)

    def cancel(self, job_id: str) -> bool:
        """Ask a job to stop: removed from the server's queue if it still waits, interrupted
        (that prompt only) if it runs; its `run` returns soon after with status "cancelled".
        A job whose `run` has not begun yet is cancelled as soon as it does (False is
        returned then)."""
        with self._lock:
            state = self._active.get(job_id)
            if state is None:
                self._early_cancels.add(job_id)
                return False
        state.cancel.set()
        return True

    def detach_all(self) -> None:
        """Stop waiting for every job (the app is closing); ComfyUI keeps running them."""
        with self._lock:
            states = list(self._active.values())
        for state in states:
            state.detach.set()

    def is_running(self, job_id: str) -> bool:
        with self._lock:
            return job_id in self._active

    # -- one job ----------------------------------------------------------------------------

    def _ensure_record(self, spec: JobSpec, job_id: str | None, label: str | None) -> str:
        if job_id and self.history.get(job_id) is not None:
            return job_id
        record = JobRecord(job_id=job_id or new_job_id(), params=spec.to_dict(),
                           source_image=spec.image or None, label=label)
        self.history.add(record)
        return record.job_id

    def _run(self, spec: JobSpec, job_id: str, build: BuildFn, state: FollowState,
             tracker: PhaseTracker) -> JobResult:
        if state.cancel.is_set():
            return self._ended(job_id, tracker, spec, Ending("cancelled"))
        prompt = PromptRun(self.client, self.watcher, times=self.times, state=state)
        try:
            built, spec = self._prepare(spec, job_id, build, tracker, prompt)
            if state.cancel.is_set():
                return self._ended(job_id, tracker, spec, Ending("cancelled"))
            self._submit(job_id, built, prompt, tracker)
        except (InputError, WorkflowError) as exc:  # incl. missing RIFE/FILM nodes: nothing sent
            return self._fail(job_id, tracker, failures.error_info(str(exc), exc.hint), "input")
        except PromptRejected as exc:
            return self._fail(job_id, tracker, failures.error_info(
                "ComfyUI refused the job:\n" + "\n".join(f"  - {p}" for p in exc.problems or [exc]),
                exc.hint or "Check that the models are installed and the settings are valid."),
                "rejected")
        except ServerUnavailable as exc:
            return self._fail(job_id, tracker, failures.error_info(str(exc), exc.hint),
                              "server_unavailable", submitted=bool(state.prompt_id))
        except Wan22Error as exc:
            return self._fail(job_id, tracker, failures.error_info(str(exc), exc.hint), "error",
                              submitted=bool(state.prompt_id))
        ending = prompt.follow()
        return self._ended(job_id, tracker, spec, ending, combined.CombinedVfi.of(spec, built.graph))

    def _prepare(self, spec: JobSpec, job_id: str, build: BuildFn, tracker: PhaseTracker,
                 prompt: PromptRun) -> tuple[BuiltWorkflow, JobSpec]:
        vfi_plan = None
        if spec.interpolation:  # before the upload: a server without the nodes gets nothing
            vfi_plan = combined.check_server(self.client, spec)
        tracker.begin(ph.UPLOAD)
        load_image(spec.image)  # refuses non-images before anything goes to the server
        uploaded = prompt.upload(spec.image)
        tracker.end(ph.UPLOAD)
        if spec.seed is None:
            spec = spec.replace(seed=random_seed())  # drawn here so the file name can show it
        if spec.filename_prefix is None:
            spec = spec.replace(filename_prefix=naming.output_prefix(self.name_pattern, spec))
        built = build(spec, uploaded.load_value)
        if vfi_plan is not None:
            built = combined.add_vfi(built, spec, *vfi_plan)
        spec = spec.replace(seed=built.seed).resolved()  # the record keeps the seed used
        tracker.set_graph(built.graph, built.roles)
        self.history.update(job_id, params=spec.to_dict(), graph=built.graph)
        return built, spec

    def _submit(self, job_id: str, built: BuiltWorkflow, prompt: PromptRun,
                tracker: PhaseTracker) -> None:
        def on_event(event: object) -> None:
            if isinstance(event, ev.ExecutionStart):
                self.history.update(job_id, status="running")
            tracker.feed(event)

        prompt.watch(on_event)  # before POST: no event can slip by
        tracker.begin(ph.QUEUED)
        prompt_id = prompt.queue(built.graph)
        self.history.update(job_id, prompt_id=prompt_id)

    # -- endings ----------------------------------------------------------------------------

    def _ended(self, job_id: str, tracker: PhaseTracker, spec: JobSpec, ending: Ending,
               vfi: combined.CombinedVfi | None = None) -> JobResult:
        phase = tracker.current_phase
        tracker.end()
        params = spec.to_dict()
        if ending.status == "success":
            return self._download(job_id, tracker, ending, vfi)
        if ending.status == "error":
            if vfi is not None and ending.error is not None and \
                    tracker.phase_of_node(ending.error.node_id) == ph.INTERPOLATE:
                return self._interpolation_failed(job_id, tracker, params, ending, vfi)
            return self._node_failed(job_id, tracker, params, ending.error, ending.message)
        if ending.status in ("cancelled", "interrupted"):
            text = ("Cancelled." if ending.status == "cancelled" else
                    "Interrupted outside the app (ComfyUI's page or another client).")
            return JobResult(job_id, ending.status, error=text, reason=ending.status,
                             submitted=True)
        if ending.status == "detached":
            return JobResult(job_id, "detached", reason="detached", submitted=True)
        if self._server_alive():
            return self._fail(job_id, tracker, failures.lost_error(phase), "lost", True)
        tail = list(self.log_tail_fn() if self.log_tail_fn else [])
        return self._fail(job_id, tracker, failures.crash_error(phase, tail), "crash", True)

    def _server_alive(self) -> bool:
        try:
            self.client.system_stats()
        except ServerUnavailable:
            return False
        except Wan22Error:
            return True  # it answers, if oddly
        return True

    def _node_failed(self, job_id: str, tracker: PhaseTracker, params: dict,
                     error: Any, message: str = "") -> JobResult:
        if error is None:
            info = failures.error_info(message or "ComfyUI reported an error without details.",
                                       "Check the ComfyUI console.")
            return self._fail(job_id, tracker, info, "node_error", True)
        phase = tracker.phase_of_node(error.node_id)
        if error.is_oom:
            info = failures.oom_error(params, phase, error.node_id, error.node_type,
                                      error.exception_message)
            tracker.mark(ph.OOM, info["message"])
            return self._fail(job_id, tracker, info, "oom", True)
        info = failures.node_error(params, phase, error.node_id, error.node_type,
                                   error.exception_type, error.exception_message,
                                   error.traceback)
        return self._fail(job_id, tracker, info, "node_error", True)

    def _download(self, job_id: str, tracker: PhaseTracker, ending: Ending,
                  vfi: combined.CombinedVfi | None = None) -> JobResult:
        files = [f for f in ending.outputs if f.type == "output"]
        clip_files, vfi_files = vfi.split(files, ending.history) if vfi else (files, [])
        if not clip_files:
            return self._fail(job_id, tracker, failures.error_info(
                "ComfyUI finished but saved no file.",
                "Check that the workflow ends in a SaveVideo node."), "download", True)
        tracker.begin(ph.DOWNLOAD)
        from wan22_gui.core.interpolation.runner import SUBFOLDER as INTERPOLATED_DIR

        outputs: list[Path] = []
        try:
            outputs += self._fetch(clip_files, self.output_dir)
            self.history.update(job_id, outputs=[str(p) for p in outputs])
            started = time.monotonic()
            interpolated = self._fetch(vfi_files, self.output_dir / INTERPOLATED_DIR)
            vfi_download_s = time.monotonic() - started
        except Wan22Error as exc:
            tracker.end()
            self.history.update(job_id, outputs=[str(p) for p in outputs])
            return self._fail(job_id, tracker, failures.error_info(
                f"The video was made but could not be downloaded: {exc}",
                exc.hint or "It is still in ComfyUI's output folder."), "download", True)
        tracker.end()
        if vfi is None:
            return JobResult(job_id, "succeeded", outputs=outputs, submitted=True)
        if not interpolated:
            return self._fail(job_id, tracker, failures.error_info(
                f"The clip was saved ({outputs[0]}), but ComfyUI saved no {vfi.label} clip.",
                "Look at the ComfyUI console for what the save node said; you can interpolate "
                "the clip from the Gallery."), "download", True)
        timings = {"interpolate": vfi.seconds(tracker.node_timings)
                   or tracker.timings.get(ph.INTERPOLATE, 0.0),
                   "download": round(vfi_download_s, 3)}
        try:
            child = combined.record_child(
                self.history, self.history.get(job_id), vfi, outputs[0], output=interpolated[0],
                timings=timings, started_at=vfi.started_at(tracker.node_timings))
        except Wan22Error as exc:  # e.g. a clip the video reader refuses: the files stay
            log.warning("job %s: the interpolation row could not be written: %s", job_id, exc)
            child = None
        return JobResult(job_id, "succeeded", outputs=outputs + interpolated, submitted=True,
                         interpolation_job_id=child)

    def _fetch(self, files: Sequence[Any], dest: Path) -> list[Path]:
        """Download ComfyUI's files into `dest` without its "_00001_" counter."""
        return download_outputs(self.client, files, dest, lambda name: _COUNTER.sub("", name))

    def _interpolation_failed(self, job_id: str, tracker: PhaseTracker, params: dict,
                              ending: Ending, vfi: combined.CombinedVfi) -> JobResult:
        """RIFE/FILM failed after the clip was made: keep the clip, say what to do."""
        error = ending.error
        clip_files, _ = vfi.split([f for f in ending.outputs if f.type == "output"],
                                  ending.history)
        try:
            saved = self._fetch(clip_files, self.output_dir)
        except Wan22Error as exc:
            log.warning("job %s: the clip could not be downloaded: %s", job_id, exc)
            saved = []
        if error.is_oom:
            info = failures.oom_error(params, ph.INTERPOLATE, error.node_id, error.node_type,
                                      error.exception_message)
            tracker.mark(ph.OOM, info["message"])
        else:
            reason = explain_failure(vfi.plan, ending)
            info = failures.error_info(
                str(reason), reason.hint, phase=ph.INTERPOLATE, node_id=error.node_id,
                node_type=error.node_type, exception_type=error.exception_type,
                details="".join(error.traceback[-5:]))
        if saved:
            self.history.update(job_id, outputs=[str(p) for p in saved])
            try:
                combined.record_child(self.history, self.history.get(job_id), vfi, saved[0],
                                      error=Wan22Error(info["message"], info["hint"]))
            except Wan22Error as exc:
                log.warning("job %s: the interpolation row could not be written: %s", job_id, exc)
            info["message"] += f" The clip itself was saved: {saved[0]}"
        result = self._fail(job_id, tracker, info, "oom" if error.is_oom else "node_error", True)
        return dataclasses.replace(result, outputs=saved)

    def _fail(self, job_id: str, tracker: PhaseTracker, info: dict, reason: str,
              submitted: bool = False) -> JobResult:
        tracker.end()
        if not info.get("oom"):
            tracker.mark(ph.ERROR, info["message"])
        self.history.update(job_id, error=info)
        return JobResult(job_id, "failed", error=info["message"], oom=bool(info.get("oom")),
                         reason=reason, submitted=submitted)

    def _finish(self, job_id: str, tracker: PhaseTracker, t0: float, result: JobResult) -> JobResult:
        t1 = time.time()
        tracker.mark(ph.JOB_END, result.status)
        result = dataclasses.replace(result, timings=dict(tracker.timings))
        changes: dict[str, Any] = {"timings": tracker.timings, "node_timings": tracker.node_timings,
                                   "phase_spans": tracker.phase_spans}
        if result.status != "detached":
            changes.update(status=result.status, finished_at=t1)
            if result.status in ("cancelled", "interrupted"):
                changes["error"] = failures.error_info(result.error or "", "")
        if self.metrics_fn is not None:
            try:
                changes["metrics"] = self.metrics_fn(t0, t1, list(tracker.events))
            except Exception:  # telemetry must never fail a job
                log.exception("job %s: metrics could not be computed", job_id)
        self.history.update(job_id, **changes)
        self.finished.emit(result)
        return result

    # -- recovery ---------------------------------------------------------------------------

    def recover(self, record: JobRecord) -> JobResult:
        """Finish a job the app lost track of (it closed or crashed while the job ran).

        The server's `/history` says how it ended; a prompt still queued or running is
        followed to its end; one the server does not know is marked failed.
        """
        tracker = PhaseTracker(record.job_id, self.phase.emit, self.progress.emit)
        tracker.set_graph(record.graph, None)
        t0 = record.started_at or time.time()
        try:
            spec = JobSpec.from_dict(record.params)
        except InputError:
            spec = JobSpec()  # only the OOM fix reads it
        if not record.prompt_id:
            info = failures.error_info("The app closed before this job reached ComfyUI.",
                                       "Queue it again.")
            return self._finish(record.job_id, tracker, t0,
                                self._fail(record.job_id, tracker, info, "lost"))
        state = FollowState(prompt_id=record.prompt_id)
        with self._lock:
            self._active[record.job_id] = state
        try:
            ending = self._recover_ending(record, state, tracker)
            result = self._ended(record.job_id, tracker, spec, ending,
                                 combined.CombinedVfi.of(spec, record.graph))
        except ServerUnavailable:
            result = JobResult(record.job_id, "detached", reason="server_unavailable",
                               submitted=True)
        finally:
            with self._lock:
                self._active.pop(record.job_id, None)
        return self._finish(record.job_id, tracker, t0, result)

    def _recover_ending(self, record: JobRecord, state: FollowState,
                        tracker: PhaseTracker) -> Ending:
        entry = self.client.history(record.prompt_id)
        if entry is not None:
            return ending_from_history(entry)
        if not self.client.get_queue().contains(record.prompt_id):
            return Ending("lost")
        prompt = PromptRun(self.client, self.watcher, times=self.times, state=state)
        prompt.watch(tracker.feed, prompt_id=record.prompt_id)
        return prompt.follow()
