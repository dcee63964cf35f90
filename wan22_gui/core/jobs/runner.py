"""Running one generation job against a ComfyUI server, from upload to files on disk.

The runner is the only code that follows a job's life; the GUI queue, the CLI and the benchmark
all call `run`, so timings and failures mean the same everywhere. It writes every step to the
history as it goes, so a crash of the app or of ComfyUI never loses a job: the row says how far
it got, and `recover` finishes the story on the next start.
"""

from __future__ import annotations

import dataclasses
import functools
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
from wan22_gui.core.base.diskspace import disk_full_error, is_disk_full
from wan22_gui.core.base.signals import Signal
from wan22_gui.core.comfy import events as ev
from wan22_gui.core.comfy import retrieve
from wan22_gui.core.comfy.prompt import (
    Ending,
    FollowState,
    FollowTimes,
    PromptRun,
    ending_from_history,
)
from wan22_gui.core.comfy.retrieve import RetryPolicy, ServerFile
from wan22_gui.core.history import HistoryStore, JobRecord, new_job_id
from wan22_gui.core.images import load_image
from wan22_gui.core.interpolation.comfy_run import explain_failure
from wan22_gui.core.interpolation.fallback import LocalVfi
from wan22_gui.core.interpolation.runner import SUBFOLDER as INTERPOLATED_DIR
from wan22_gui.core.jobs import extend, failures, lease
from wan22_gui.core.jobs import phases as ph
from wan22_gui.core.jobs import vfi as combined
from wan22_gui.core.jobs.phases import PhaseEvent
from wan22_gui.core.jobs.timings import PhaseTracker
from wan22_gui.core.workflow import naming
from wan22_gui.core.workflow.builder import BuiltWorkflow, build_wan_i2v, random_seed
from wan22_gui.core.workflow.validate import refuse_broken_structure
from wan22_gui.core.workflow.spec import JobSpec

log = logging.getLogger("wan22.jobs")

NAME_PATTERN_KEY = naming.NAME_PATTERN_KEY  # its old home; the CLI and older callers use it

BuildFn = Callable[[JobSpec, str], BuiltWorkflow]


def _refuse_custom_build(build: BuildFn, spec: JobSpec) -> None:
    """Only the app's own graph has the end frame (an imported workflow has no place for it)."""
    if build is not build_wan_i2v:
        raise InputError(f"The end image {Path(spec.end_image or '').name} needs the app's own "
                         "two-pass workflow, not an imported one.",
                         "Leave out the end image, or the custom workflow.")
MetricsFn = Callable[[float, float, Sequence[PhaseEvent]], dict]
LogTailFn = Callable[[], Sequence[str]]



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
        server_outputs: finished files that could not be downloaded (reason "download"):
            where each is on the server; the history row keeps them for a later fetch.
        interpolation_note: set when the built-in engine interpolated the clip here because
            the server has neither the core nodes nor the pack: which engine ran and why.
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
    server_outputs: list[ServerFile] = field(default_factory=list)
    interpolation_note: str = ""


class JobRunner:
    """Runs jobs on one server. `run` blocks: call it off the GUI thread.

    Signals (emitted on the job thread or the event thread):
        phase(PhaseEvent): a phase started or ended, or a mark.
        progress(job_id, phase, step, total, eta_s | None): a sampler step.
        preview(job_id, PreviewImage): the sampler's latent preview (JPEG/PNG bytes), sent by
            a ComfyUI started with --preview-method; emitted on the event thread.
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
        download_retry: RetryPolicy = retrieve.DEFAULT_RETRY,
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
        self.download_retry = download_retry
        self.phase = Signal("jobs.phase")
        self.progress = Signal("jobs.progress")
        self.preview = Signal("jobs.preview")
        self.finished = Signal("jobs.finished")
        self._lock = threading.Lock()
        self._active: dict[str, FollowState] = {}
        self._early_cancels: set[str] = set()  # cancelled before `run` got to them
        self._saved: dict[str, list[Path]] = {}  # files on disk per job, even if unrecorded
        self._local_vfi: dict[str, LocalVfi] = {}  # interpolated here after the download
        self.owner = lease.this_process()
        self._heartbeat = lease.Heartbeat(history, self.owner)

    # -- public -----------------------------------------------------------------------------

    def run(self, spec: JobSpec, *, job_id: str | None = None, build: BuildFn | None = None,
            label: str | None = None) -> JobResult:
        """Run one job to its end and record it; never raises for a job's own failure.

        A full disk (the history refuses a write) ends the job with reason "disk_full": the
        files already downloaded stay on disk and are in the result's `outputs`.
        """
        job_id = job_id or new_job_id()
        state = FollowState()
        with self._lock:
            self._active[job_id] = state
            if job_id in self._early_cancels:
                self._early_cancels.discard(job_id)
                state.cancel.set()
        tracker = PhaseTracker(job_id, self.phase.emit, self.progress.emit)
        t0 = time.time()
        self._heartbeat.add(job_id)
        try:
            self._begin_record(spec, job_id, label, t0)
            tracker.mark(ph.JOB_START)
            result = self._run_guarded(spec, job_id, build or build_wan_i2v, state, tracker)
            with self._lock:
                self._active.pop(job_id, None)
            return self._finish(job_id, tracker, t0, result)
        except Exception as exc:
            if not is_disk_full(exc):
                raise
            return self._disk_full(job_id, tracker, exc, submitted=bool(state.prompt_id))
        finally:
            self._heartbeat.discard(job_id)
            with self._lock:
                self._active.pop(job_id, None)
                self._saved.pop(job_id, None)
                self._local_vfi.pop(job_id, None)

    def _begin_record(self, spec: JobSpec, job_id: str, label: str | None, t0: float) -> None:
        """Create the row if needed and take the job's lease (this process runs it now)."""
        if self.history.get(job_id) is None:
            self.history.add(JobRecord(job_id=job_id, params=spec.to_dict(),
                                       source_image=spec.image or None, label=label))
        self.history.update(job_id, status="queued", started_at=t0, finished_at=None,
                            server_url=self.client.base_url, preset=self.preset, queue_pos=None,
                            error=None, **self.owner.lease(t0))

    def _run_guarded(self, spec: JobSpec, job_id: str, build: BuildFn, state: FollowState,
                     tracker: PhaseTracker) -> JobResult:
        try:
            return self._run(spec, job_id, build, state, tracker)
        except Exception as exc:  # a bug must still leave a readable record
            if is_disk_full(exc):
                raise
            log.exception("job %s failed unexpectedly", job_id)
            return self._fail(job_id, tracker, failures.error_info(
                f"Unexpected error: {exc}", "This is a bug in the app; the log has details."),
                "bug", submitted=bool(state.prompt_id))

    def _disk_full(self, job_id: str, tracker: PhaseTracker, exc: BaseException, *,
                   submitted: bool) -> JobResult:
        """End a job whose record the full disk refused: say so, keep what was downloaded."""
        log.warning("job %s: the history could not be written: %s", job_id, exc)
        problem = disk_full_error(self.history.db_path)
        saved = list(self._saved.get(job_id, []))
        message = f"The job stopped: {problem}"
        if saved:
            message += f" The clip was saved: {saved[0]}"
        info = failures.error_info(message, problem.hint, exception_type=type(exc).__name__)
        tracker.end()
        tracker.mark(ph.JOB_END, "failed")
        result = JobResult(job_id, "failed", outputs=saved, timings=dict(tracker.timings),
                           error=message, reason="disk_full", submitted=submitted)
        try:  # it may fit now (a smaller write, or space freed meanwhile)
            self.history.update(job_id, status="failed", finished_at=time.time(), error=info,
                                outputs=[str(p) for p in saved], timings=tracker.timings)
        except Exception as again:
            log.warning("job %s: its failure could not be written either: %s", job_id, again)
        self.finished.emit(result)
        return result

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
        except (InputError, WorkflowError) as exc:  # incl. a RIFE model it lacks: nothing sent
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
        result = self._ended(job_id, tracker, spec, ending, combined.CombinedVfi.of(spec, built.graph))
        if spec.extend_clip and result.status == "succeeded" and result.outputs:
            return self._join(job_id, tracker, spec, result)
        return result

    def _join(self, job_id: str, tracker: PhaseTracker, spec: JobSpec,
              result: JobResult) -> JobResult:
        """Extend: join the clip and the new part; a failed join keeps the part."""
        part = result.outputs[0]
        try:
            joined = extend.join_parts(self.history, job_id, spec, part, self.output_dir)
        except Wan22Error as exc:
            message, hint = extend.join_failed(exc, part)
            failed = self._fail(job_id, tracker, failures.error_info(message, hint), "join", True)
            return dataclasses.replace(failed, outputs=result.outputs)
        self._keep(job_id, [joined.path])
        return dataclasses.replace(result, outputs=[joined.path, *result.outputs])

    def _prepare(self, spec: JobSpec, job_id: str, build: BuildFn, tracker: PhaseTracker,
                 prompt: PromptRun) -> tuple[BuiltWorkflow, JobSpec]:
        vfi_plan = None
        if spec.interpolation:  # before the upload: a model the server lacks sends nothing
            vfi_plan, local = combined.check_server(self.client, spec)
            if local is not None:  # neither core nodes nor pack: the built-in engine, here
                with self._lock:
                    self._local_vfi[job_id] = local
        tracker.begin(ph.UPLOAD)
        upload: str | Path = spec.image
        if spec.extend_clip:  # the clip's last frames are the start (see jobs/extend.py)
            spec, upload = extend.start_frames(spec, self.output_dir / extend.SUBFOLDER, job_id)
        load_image(spec.image)  # refuses non-images before anything goes to the server
        if spec.end_image:
            _refuse_custom_build(build, spec)
            load_image(spec.end_image)
        uploaded = prompt.upload(upload)
        if spec.end_image:  # first/last frame: the builder loads both uploads
            build = functools.partial(build_wan_i2v,
                                      end_image_name=prompt.upload(spec.end_image).load_value)
        tracker.end(ph.UPLOAD)
        if spec.seed is None:
            spec = spec.replace(seed=random_seed())  # drawn here so the file name can show it
        if spec.filename_prefix is None:
            spec = spec.replace(filename_prefix=naming.output_prefix(self.name_pattern, spec))
        else:  # e.g. a re-run of an old row: ComfyUI's /view refuses names holding ".."
            spec = spec.replace(filename_prefix=safe_prefix(spec.filename_prefix))
        built = build(spec, uploaded.load_value)
        if vfi_plan is not None:
            built = combined.add_vfi(built, spec, *vfi_plan)
        refuse_broken_structure(built.graph)  # ComfyUI's own words for these mislead
        spec = spec.replace(seed=built.seed).resolved()  # the record keeps the seed used
        tracker.set_graph(built.graph, built.roles)
        self.history.update(job_id, params=spec.to_dict(), graph=built.graph)
        return built, spec

    def _submit(self, job_id: str, built: BuiltWorkflow, prompt: PromptRun,
                tracker: PhaseTracker) -> None:
        def on_event(event: object) -> None:
            if isinstance(event, ev.PreviewImage):
                if event.image:
                    self.preview.emit(job_id, event)
                return
            if isinstance(event, ev.ExecutionStart):
                self.history.update(job_id, status="running")
            tracker.feed(event)

        prompt.watch(on_event)  # before POST: no event can slip by
        # the id is ours and recorded before POST: killed in between, a restart asks the
        # server about it (re-attaches) instead of sending the job a second time
        self.history.update(job_id, prompt_id=prompt.planned_id)
        tracker.begin(ph.QUEUED)
        prompt.queue(built.graph)

    # -- endings ----------------------------------------------------------------------------

    def _ended(self, job_id: str, tracker: PhaseTracker, spec: JobSpec, ending: Ending,
               vfi: combined.CombinedVfi | None = None) -> JobResult:
        phase = tracker.current_phase
        tracker.end(at=ending.ended_at)  # a crash ends the pass when it happened, not when seen
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
        return self._fail(job_id, tracker, failures.crash_error(
            phase, tail, cause=ending.message, hint=ending.hint), "crash", True)

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
                                   error.traceback, inputs=error.current_inputs)
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
        outputs, left = self._fetch(clip_files, self.output_dir)
        self._keep(job_id, outputs)  # before the history hears of them: it may refuse
        self.history.update(job_id, outputs=[str(p) for p in outputs])
        started = time.monotonic()
        interpolated, vfi_left = self._fetch(vfi_files, self.output_dir / INTERPOLATED_DIR)
        self._keep(job_id, interpolated)
        vfi_download_s = time.monotonic() - started
        tracker.end()
        if left or vfi_left:  # finished, but (partly) still only on the server
            return self._kept_on_server(job_id, tracker, outputs + interpolated,
                                        left + vfi_left)
        if vfi is None:
            return self._interpolated_here(job_id, tracker, outputs)
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
                timings=timings, started_at=vfi.started_at(tracker.node_timings),
                cached=vfi.all_cached(tracker.node_timings))
        except Wan22Error as exc:  # e.g. a clip the video reader refuses: the files stay
            log.warning("job %s: the interpolation row could not be written: %s", job_id, exc)
            child = None
        return JobResult(job_id, "succeeded", outputs=outputs + interpolated, submitted=True,
                         interpolation_job_id=child)

    def _interpolated_here(self, job_id: str, tracker: PhaseTracker,
                           outputs: list[Path]) -> JobResult:
        """The downloaded clip, and its built-in interpolation when the server could not."""
        with self._lock:
            local = self._local_vfi.pop(job_id, None)
            state = self._active.get(job_id)
        if local is None:
            return JobResult(job_id, "succeeded", outputs=outputs, submitted=True)
        tracker.begin(ph.INTERPOLATE, local.note)
        child, made, note = combined.interpolate_here(
            self.history, self.output_dir, job_id, outputs[0], local,
            cancel=state.cancel if state is not None else None)
        tracker.end()
        return JobResult(job_id, "succeeded", outputs=outputs + made, submitted=True,
                         interpolation_job_id=child if made else None, interpolation_note=note)

    def _fetch(self, files: Sequence[Any], dest: Path) -> tuple[list[Path], list[ServerFile]]:
        """Download ComfyUI's files into `dest` (without its "_00001_" counter), retrying
        transient failures; returns the files saved and those left on the server."""
        saved: list[Path] = []
        left: list[ServerFile] = []
        for ref in files:
            try:
                saved.append(retrieve.fetch(self.client, ref, dest, policy=self.download_retry))
            except Wan22Error as exc:
                log.warning("%s stays on the server: %s", ref.filename, exc)
                left.append(retrieve.describe(self.client, ref, dest, str(exc)))
        return saved, left

    def _kept_on_server(self, job_id: str, tracker: PhaseTracker, saved: list[Path],
                        left: list[ServerFile]) -> JobResult:
        """The clip is finished but not here: say where it is; the row keeps it for a
        later `wan22 history fetch` / the Gallery's "Download again"."""
        self.history.update(job_id, outputs=[str(p) for p in saved],
                            server_outputs=[f.to_dict() for f in left])
        info = failures.not_downloaded_error(job_id, left)
        result = self._fail(job_id, tracker, info, "download", True)
        return dataclasses.replace(result, outputs=saved, server_outputs=left)

    def _keep(self, job_id: str, paths: list[Path]) -> list[Path]:
        """Remember files on disk before the history hears of them (it may refuse)."""
        with self._lock:
            self._saved.setdefault(job_id, []).extend(paths)
        return paths

    def _interpolation_failed(self, job_id: str, tracker: PhaseTracker, params: dict,
                              ending: Ending, vfi: combined.CombinedVfi) -> JobResult:
        """RIFE/FILM failed after the clip was made: keep the clip, say what to do."""
        error = ending.error
        clip_files, _ = vfi.split([f for f in ending.outputs if f.type == "output"],
                                  ending.history)
        saved, left = self._fetch(clip_files, self.output_dir)
        self._keep(job_id, saved)
        if left:  # the clip was made: never let it vanish with the failed interpolation
            self.history.update(job_id, server_outputs=[f.to_dict() for f in left])
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
        elif left:
            info["message"] += (f" The clip itself is finished but could not be downloaded; "
                                f"it is on the server at {left[0].where()}.")
        result = self._fail(job_id, tracker, info, "oom" if error.is_oom else "node_error", True)
        return dataclasses.replace(result, outputs=saved, server_outputs=left)

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
        if result.status == "detached":
            changes["heartbeat_at"] = None  # we stop following it: the next start recovers it
        else:
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
        followed to its end; one the server does not know is marked failed. The caller owns
        the job's lease first (`lease.take_over`); this renews it while it follows the job.
        """
        tracker = PhaseTracker(record.job_id, self.phase.emit, self.progress.emit)
        self._heartbeat.add(record.job_id)
        try:
            return self._recover(record, tracker)
        except Exception as exc:
            if not is_disk_full(exc):
                raise
            return self._disk_full(record.job_id, tracker, exc, submitted=True)
        finally:
            self._heartbeat.discard(record.job_id)
            with self._lock:
                self._saved.pop(record.job_id, None)

    def _recover(self, record: JobRecord, tracker: PhaseTracker) -> JobResult:
        tracker.set_graph(record.graph, None)
        t0 = record.started_at or time.time()
        try:
            spec = JobSpec.from_dict(record.params)
        except InputError:
            spec = JobSpec()  # only the OOM fix reads it
        if not record.prompt_id:
            info = failures.error_info(
                "The app (or the wan22 command) that ran this job ended before the job "
                "reached ComfyUI.", "Queue it again.")
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


def safe_prefix(prefix: str) -> str:
    """SaveVideo's `filename_prefix` with every part a safe name (no "..", which ComfyUI's
    /view refuses, nor a part that leaves the output folder)."""
    parts = [p for p in re.split(r"[\\/]", prefix) if p.strip(" .")]
    return "/".join(naming.safe_name(p) for p in parts) or "video/clip"
