"""The app's own job queue: several jobs, reordered and edited while they wait, kept on disk.

ComfyUI's queue is in memory and cannot be edited; ours is the pending rows of the history
database, so it survives a restart. One worker thread sends the first pending job to the server
in use (`connection.url`), follows it with the `JobRunner`, then takes the next. A job that
could not reach the server goes back to the front of the queue instead of failing.

A full disk pauses the queue with the reason (`pause_reason`): the next job would only run into
the same full disk. Resuming (`set_paused(False)`) first writes the failures the disk refused.
Jobs another live process runs on the same profile are left alone (`lease.py`).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from wan22_gui.core.comfy.connection import ServerConnection
from wan22_gui.core.base.errors import InputError, Wan22Error
from wan22_gui.core.base.messages import MessageBus, describe_exception
from wan22_gui.core.base.supervise import Supervisor
from wan22_gui.core.base.diskspace import disk_full_error, is_disk_full
from wan22_gui.core.history import HistoryStore, JobRecord, new_job_id
from wan22_gui.core.jobs import failures, lease
from wan22_gui.core.comfy.session import ServerSession
from wan22_gui.core.base.signals import Signal
from wan22_gui.core.workflow.naming import DEFAULT_PATTERN
from wan22_gui.core.workflow.spec import JobSpec

if TYPE_CHECKING:  # the runner and the prompt follower load with the first job, not at start-up
    from wan22_gui.core.base.settings import Settings
    from wan22_gui.core.comfy.prompt import FollowTimes
    from wan22_gui.core.jobs.runner import JobResult, JobRunner, LogTailFn, MetricsFn
    from wan22_gui.core.server.launcher import ServerController
    from wan22_gui.core.telemetry.sampler import GpuSampler

log = logging.getLogger("wan22.jobs")

RETRY_AFTER_S = 10.0  # a server that refused the connection is tried again after this
ORPHAN_CHECK_S = 10.0  # how often jobs of other processes are checked for a dead owner
SessionFactory = Callable[[str], ServerSession]


class JobQueue:
    """The persistent queue and its worker. All methods are thread-safe and quick (no HTTP),
    except `close`, which waits for the worker.

    Signals (emitted on the worker, event or caller thread):
        phase(PhaseEvent), progress(job_id, phase, step, total, eta_s),
        preview(job_id, PreviewImage): from the runner.
        job_changed(JobRecord): a job's row changed (status, timings, error, ...).
        queue_changed(): jobs were added, removed, reordered, started or finished.
        message(str): something the user should know ("no server connected", ...); "" clears it.
        finished(JobResult): a job ended.
    """

    def __init__(
        self,
        history: HistoryStore,
        connection: ServerConnection,
        output_dir: Path,
        *,
        session_factory: SessionFactory | None = None,
        metrics_fn: MetricsFn | None = None,
        log_tail_fn: LogTailFn | None = None,
        preset_fn: Callable[[], str | None] | None = None,
        name_pattern_fn: Callable[[], str] | None = None,
        times: FollowTimes | None = None,
        bus: MessageBus | None = None,
    ) -> None:
        self.history = history
        self.connection = connection
        self.output_dir = Path(output_dir)
        self._session_factory = session_factory or (lambda url: ServerSession(url).open())
        self._metrics_fn = metrics_fn
        self._log_tail_fn = log_tail_fn
        self._preset_fn = preset_fn or (lambda: None)
        self._name_pattern_fn = name_pattern_fn or (lambda: DEFAULT_PATTERN)
        self._times = times  # None: the follower's defaults, made with the first runner
        self.phase = Signal("jobs.phase")
        self.progress = Signal("jobs.progress")
        self.preview = Signal("jobs.preview")
        self.job_changed = Signal("jobs.job_changed")
        self.queue_changed = Signal("jobs.queue_changed")
        self.message = Signal("jobs.message")
        self.finished = Signal("jobs.finished")
        self._cond = threading.Condition()
        self._stop = False
        self._paused = False
        self._pause_reason: str | None = None  # why the queue paused itself (a full disk)
        self._current: str | None = None
        self._cancelled: set[str] = set()  # taken by the worker, then cancelled by the user
        self._runner: JobRunner | None = None
        self._session: ServerSession | None = None
        self._recovered_for: str | None = None
        self._orphans_checked_at = 0.0
        self._retry_at = 0.0
        self._last_message = ""
        self._thread: threading.Thread | None = None
        self._failed: dict[str, JobRecord] = {}  # failed jobs whose failure the DB refused
        self._supervisor = Supervisor("the job queue", bus=bus, on_error=self._on_worker_error)
        history.changed.connect(self._on_history_changed)
        connection.changed.connect(self._on_connection_changed)

    @classmethod
    def wired(cls, history: HistoryStore, connection: ServerConnection, settings: Settings,
              output_dir: Path, *, server: ServerController | None = None,
              sampler: GpuSampler | None = None, session_factory: SessionFactory | None = None,
              times: FollowTimes | None = None, bus: MessageBus | None = None) -> JobQueue:
        """The app's queue, wired to the launcher and telemetry when the app has them
        (`session_factory` and `times` replace the real ones, for tests; `bus` hears a failing
        worker step)."""
        from wan22_gui.core.jobs.wiring import queue_options

        options = queue_options(settings, connection, server=server, sampler=sampler, bus=bus)
        if session_factory is not None:
            options["session_factory"] = session_factory
        return cls(history, connection, output_dir, times=times, bus=bus, **options)

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        """Start the worker (idempotent). Jobs left running by a crash are recovered first."""
        with self._cond:
            if self._thread is not None:
                return
            self._stop = False
            self._thread = threading.Thread(target=self._work, name="wan22-jobs", daemon=True)
            self._thread.start()

    def close(self, timeout: float = 10.0) -> None:
        """Stop the worker. A job running on the server keeps running there; it is picked up
        from the server's history on the next start."""
        with self._cond:
            self._stop = True
            runner = self._runner
            self._cond.notify_all()
        if runner is not None:
            runner.detach_all()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        self._thread = None
        self._close_session()
        self.history.changed.disconnect(self._on_history_changed)
        self.connection.changed.disconnect(self._on_connection_changed)

    # -- the queue ----------------------------------------------------------------------------

    def add(self, spec: JobSpec, *, label: str | None = None) -> JobRecord:
        """Queue a job at the end. Raises InputError for settings that cannot run."""
        _check_spec(spec)
        record = JobRecord(job_id=new_job_id(), params=spec.to_dict(), status="pending",
                           source_image=spec.image or None, label=label,
                           queue_pos=self.history.next_queue_pos())
        self.history.add(record)
        self._changed()
        return record

    def pending(self) -> list[JobRecord]:
        """Waiting jobs, first to run first."""
        return [r for r in self.history.pending_queue() if r.job_id not in self._failed]

    @property
    def current_job_id(self) -> str | None:
        with self._cond:
            return self._current

    def edit(self, job_id: str, spec: JobSpec) -> JobRecord:
        """Change a waiting job's settings. Raises InputError once it has started."""
        _check_spec(spec)
        with self._cond:
            self._pending_record(job_id)
            self.history.update(job_id, params=spec.to_dict(), source_image=spec.image or None)
        self._changed()
        return self.history.get(job_id)  # type: ignore[return-value]

    def remove(self, job_id: str) -> None:
        """Take a waiting job out of the queue (kept in history as cancelled, hidden)."""
        with self._cond:
            self._pending_record(job_id)
            self.history.update(job_id, status="cancelled", queue_pos=None, deleted=True,
                                finished_at=time.time())
        self._changed()

    def reorder(self, job_ids: list[str]) -> None:
        """Set the run order of waiting jobs (ids not pending are ignored; missing ones
        keep their relative order after the given ones)."""
        with self._cond:
            pending = [r.job_id for r in self.history.pending_queue()]
            wanted = [j for j in job_ids if j in pending]
            self.history.set_queue_order(wanted + [j for j in pending if j not in wanted])
        self._changed()

    def move(self, job_id: str, delta: int) -> None:
        """Move a waiting job up (negative) or down (positive) in the queue."""
        with self._cond:
            ids = [r.job_id for r in self.history.pending_queue()]
            if job_id not in ids:
                return
            i = ids.index(job_id)
            j = max(0, min(len(ids) - 1, i + delta))
            ids.insert(j, ids.pop(i))
            self.history.set_queue_order(ids)
        self._changed()

    def cancel(self, job_id: str) -> None:
        """Cancel a job: a waiting one is removed, a running one is stopped on the server
        (or never sent, if it is still being prepared)."""
        with self._cond:
            taken = self._current == job_id
            if taken:
                self._cancelled.add(job_id)
            runner = self._runner
        if not taken:
            self.remove(job_id)
        elif runner is not None:
            runner.cancel(job_id)

    @property
    def paused(self) -> bool:
        with self._cond:
            return self._paused

    @property
    def pause_reason(self) -> str | None:
        """Why the queue paused itself (e.g. a full disk), None when it did not."""
        with self._cond:
            return self._pause_reason

    def set_paused(self, paused: bool) -> None:
        """Pause after the current job (it finishes; the next does not start) or resume.

        Resuming after a full disk first writes the failures the disk refused; if it still
        refuses, the queue stays paused with the reason (and the free space now).
        """
        if not paused and not self._save_refused_failures():
            return
        with self._cond:
            self._paused = bool(paused)
            self._pause_reason = None
            self._cond.notify_all()
        if not paused:
            self._say("")
        self._changed()

    def _pause_for(self, reason: str) -> None:
        """Stop taking jobs until the user resumes, and say why."""
        with self._cond:
            self._paused, self._pause_reason = True, reason
            self._cond.notify_all()
        self._say(f"Queue paused: {reason} Click Resume when there is room again.")
        self._changed()

    def _save_refused_failures(self) -> bool:
        """Write the failures the history refused; False (and paused again) if it still does."""
        with self._cond:
            refused = dict(self._failed)
        for job_id, record in refused.items():
            try:
                self.history.update(job_id, status=record.status, error=record.error,
                                    finished_at=record.finished_at, queue_pos=None,
                                    outputs=record.outputs)
            except Exception as exc:
                if not is_disk_full(exc):
                    raise
                self._pause_for(str(disk_full_error(self.history.db_path)))
                return False
            with self._cond:
                self._failed.pop(job_id, None)
        return True

    def requeue_with_fix(self, job_id: str) -> JobRecord:
        """Queue a copy of a failed job with its error's fix applied (the original stays).

        Raises:
            InputError: the job is unknown, or its failure has no fix.
        """
        record = self.history.get(job_id)
        if record is None:
            raise InputError(f"Job {job_id} is not in the history.")
        fix = (record.error or {}).get("fix")
        if not fix:
            raise InputError("This failure has no automatic fix.",
                             "Change the settings in the form and queue the job again.")
        spec = JobSpec.from_dict(failures.apply_fix(record.params, fix))
        return self.add(spec, label=failures.fix_label(record.params, fix))

    # -- worker -------------------------------------------------------------------------------

    def _work(self) -> None:
        self._supervisor.run(self._step, wait=self._pause)

    def _step(self) -> bool:
        """One turn of the worker: take the next job and run it; False once closed."""
        with self._cond:
            if self._stop:
                return False
            url = self.connection.url
            job = self._take_next(url)
            if job is None:
                self._cond.wait(1.0)
                return True
        self._run_one(job, url)  # type: ignore[arg-type]
        return True

    def _pause(self, seconds: float) -> None:
        """The supervisor's back-off after a failed turn (ends early on close)."""
        with self._cond:
            if not self._stop:
                self._cond.wait(seconds)

    def _on_worker_error(self, exc: BaseException) -> None:
        """A turn raised: end the job it had taken as failed, tell the listeners, go on
        (or pause, when the disk is full: the next job would fail the same way)."""
        with self._cond:
            job_id, self._current = self._current, None
            if job_id is not None:
                self._cancelled.discard(job_id)
        full = is_disk_full(exc)
        text = str(disk_full_error(self.history.db_path)) if full else describe_exception(exc)
        if job_id:
            self._fail_taken(job_id, text, exc)
        if full:
            self._pause_for(text)
            return
        self._say(f"The queue hit a problem and goes on: {text}")
        self._changed()

    def _fail_taken(self, job_id: str, text: str, exc: BaseException) -> None:
        """Record a job as failed: in history, or in memory when the DB refuses the write."""
        info = failures.error_info(f"The job stopped: {text}",
                                   "The log has the details. Queue the job again once the "
                                   "problem is fixed.", exception_type=type(exc).__name__)
        changes = dict(status="failed", finished_at=time.time(), queue_pos=None, error=info)
        self._record_failure(job_id, changes)
        from wan22_gui.core.jobs.runner import JobResult

        self.finished.emit(JobResult(job_id, "failed", error=info["message"],
                                     reason="disk_full" if is_disk_full(exc) else "bug"))

    def _record_failure(self, job_id: str, changes: dict[str, Any]) -> None:
        """Write a job's failure; kept in memory (and shown) when the history refuses it."""
        try:
            self.history.update(job_id, **changes)
        except Exception:
            log.exception("job %s: its failure could not be written to the history", job_id)
            record = self._record_or_stub(job_id)
            failed = dataclasses.replace(record, **changes)
            with self._cond:
                self._failed[job_id] = failed
            self.job_changed.emit(failed)

    def _record_or_stub(self, job_id: str) -> JobRecord:
        try:
            record = self.history.get(job_id)
        except Exception:
            record = None
        return record if record is not None else JobRecord(job_id=job_id)

    def _take_next(self, url: str | None) -> JobRecord | None:
        """The next job to run, marked as taken; None when there is nothing to do now."""
        pending = [r for r in self.history.pending_queue() if r.job_id not in self._failed]
        orphans = url is not None and self._orphan_check_due(url) and self._has_orphans(url)
        if not pending and not orphans:
            self._say("")
            return None
        if url is None:
            self._say(f"No ComfyUI server is connected: {len(pending)} job(s) wait. "
                      "Start or attach one in the ComfyUI panel.")
            return None
        if time.monotonic() < self._retry_at:
            return None
        if orphans:
            return JobRecord(job_id="", status="running")  # marker: recover first
        if self._paused:
            reason = f" {self._pause_reason} Click Resume when there is room again." \
                if self._pause_reason else ""
            self._say(f"Queue paused:{reason} {len(pending)} job(s) wait.")
            return None
        job = pending[0]
        self._current = job.job_id
        # the lease from the start: another process must not take it for an orphan
        self.history.update(job.job_id, status="queued", queue_pos=None,
                            **lease.this_process().lease())
        return job

    def _orphan_check_due(self, url: str) -> bool:
        """Once per server, then every ORPHAN_CHECK_S (another process's job may die)."""
        return (self._recovered_for != url
                or time.monotonic() - self._orphans_checked_at > ORPHAN_CHECK_S)

    def _orphans(self) -> list[JobRecord]:
        """Active jobs whose owner is gone (never one a live process runs, nor our own)."""
        with self._cond:
            skip = set(self._failed) | ({self._current} if self._current else set())
        return lease.dead_jobs(self.history, skip=skip)

    def _has_orphans(self, url: str) -> bool:
        self._orphans_checked_at = time.monotonic()
        if self._orphans():
            return True
        self._recovered_for = url
        return False

    def _run_one(self, job: JobRecord, url: str) -> None:
        try:
            runner = self._runner_for(url)
        except Wan22Error as exc:
            self._give_back(job, exc.user_text())
            return
        if not job.job_id:
            self._recover(runner, url)
            return
        with self._cond:
            cancelled = job.job_id in self._cancelled
            self._cancelled.discard(job.job_id)
        if cancelled:  # cancelled while the session was being opened: never sent
            self.history.update(job.job_id, status="cancelled", finished_at=time.time(),
                                error=failures.error_info("Cancelled.", ""))
            with self._cond:
                self._current = None
            self._changed()
            return
        self._say("")
        self._changed()
        try:
            result = runner.run(JobSpec.from_dict(job.params), job_id=job.job_id,
                                label=job.label)
        except InputError as exc:  # params unreadable: fail the job, never the worker
            from wan22_gui.core.jobs.runner import JobResult

            self.history.update(job.job_id, status="failed", finished_at=time.time(),
                                error=failures.error_info(str(exc), exc.hint))
            result = JobResult(job.job_id, "failed", error=str(exc), reason="input")
        with self._cond:
            self._current = None
        if result.reason == "server_unavailable" and not result.submitted:
            self._give_back(job, result.error or "ComfyUI did not answer.")
            return
        if result.reason == "disk_full":
            self._disk_was_full(job.job_id, result)
        self._changed()
        self.finished.emit(result)

    def _disk_was_full(self, job_id: str, result: JobResult) -> None:
        """The runner could not record the job: keep its ending (and clip) and pause."""
        record = self._record_or_stub(job_id)
        if record.status != "failed":
            error = failures.error_info(result.error or "", str(
                disk_full_error(self.history.db_path).hint), exception_type="OperationalError")
            self._record_failure(job_id, dict(status="failed", finished_at=time.time(),
                                              queue_pos=None, error=error,
                                              outputs=[str(p) for p in result.outputs]))
        self._pause_for(str(disk_full_error(self.history.db_path)))

    def _give_back(self, job: JobRecord, why: str) -> None:
        """Put a job that never reached the server back at the front of the queue."""
        with self._cond:
            self._current = None
            self._retry_at = time.monotonic() + RETRY_AFTER_S
            self._close_session()
        if job.job_id:
            self.history.update(job.job_id, status="pending", queue_pos=-1, error=None,
                                started_at=None, finished_at=None)
        self._say(f"Could not reach ComfyUI; the job waits and is tried again soon. {why}")
        self._changed()

    def _recover(self, runner: JobRunner, url: str) -> None:
        """Finish the story of jobs the app lost track of (closed or crashed mid-job)."""
        self._recovered_for = url
        self._orphans_checked_at = time.monotonic()
        for record in self._orphans():
            if not lease.take_over(self.history, record):
                continue  # another process recovers it (or its owner came back)
            if not self._recover_one(runner, url, record):
                self._recovered_for = None  # server went away meanwhile: try again later
                return
        self._changed()

    def _recover_one(self, runner: JobRunner, url: str, record: JobRecord) -> bool:
        """Finish one orphan this process now owns; False when the server went away."""
        if record.server_url and record.server_url.rstrip("/") != url.rstrip("/"):
            self.history.update(record.job_id, status="failed", finished_at=time.time(),
                                error=failures.error_info(
                                    f"The app closed while this job ran on "
                                    f"{record.server_url}, which is not the server in use "
                                    "now.", "Queue the job again."))
            return True
        result = runner.recover(record)
        if result.status == "detached":
            return False
        self.finished.emit(result)
        return True

    def _runner_for(self, url: str) -> JobRunner:
        if self._runner is not None and self._session is not None and self._session.url == url:
            self._runner.preset = self._preset_fn()
            self._runner.name_pattern = self._name_pattern_fn()
            return self._runner
        from wan22_gui.core.comfy.prompt import FollowTimes
        from wan22_gui.core.jobs.runner import JobRunner

        self._close_session()
        session = self._session_factory(url)
        runner = JobRunner(session.client, session.watcher, self.history, self.output_dir,
                           preset=self._preset_fn(), metrics_fn=self._metrics_fn,
                           log_tail_fn=self._log_tail_fn, name_pattern=self._name_pattern_fn(),
                           times=self._times or FollowTimes())
        runner.phase.connect(self.phase.emit)
        runner.progress.connect(self.progress.emit)
        runner.preview.connect(self.preview.emit)
        with self._cond:
            self._session, self._runner = session, runner
        return runner

    def _close_session(self) -> None:
        session, self._session, self._runner = self._session, None, None
        if session is not None:
            session.close()

    # -- notifications ------------------------------------------------------------------------

    def _pending_record(self, job_id: str) -> JobRecord:
        record = self.history.get(job_id)
        if record is None or record.status != "pending" or self._current == job_id:
            raise InputError("This job has already started; it can no longer be changed.",
                             "Cancel it, or queue a new job.")
        return record

    def _say(self, text: str) -> None:
        if text != self._last_message:
            self._last_message = text
            self.message.emit(text)

    def _changed(self) -> None:
        self.queue_changed.emit()

    def _on_history_changed(self, job_id: str) -> None:
        record = self.history.get(job_id)
        if record is not None:
            self.job_changed.emit(record)

    def _on_connection_changed(self, info: Any) -> None:
        with self._cond:
            self._retry_at = 0.0
            self._cond.notify_all()


def _check_spec(spec: JobSpec) -> None:
    problems = spec.problems()
    if not spec.image:
        problems.insert(0, "No start image was chosen.")
    if problems:
        raise InputError(" ".join(problems), "Fix the settings and queue the job again.")

