"""One backend's worker of the one persistent queue: a `JobQueue` bound to that backend.

A lane is the app's queue worker, unchanged in how it runs, cancels and records a job; only
*which* job it takes is the scheduler's choice (`Scheduler.choose`), and after a restart it
recovers only the jobs recorded as dispatched to its own backend. A job recorded as dispatched
whose prompt the backend never received goes back to the front of the queue (nothing lost);
one the backend knows is re-attached, never sent again (nothing runs twice).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wan22_gui.core.base.errors import ServerUnavailable
from wan22_gui.core.comfy.connection import ServerConnection, ServerInfo
from wan22_gui.core.comfy.prompt import FollowTimes
from wan22_gui.core.history import HistoryStore, JobRecord
from wan22_gui.core.jobs.queue import JobQueue, SessionFactory
from wan22_gui.core.jobs.runner import JobResult, JobRunner

if TYPE_CHECKING:
    from wan22_gui.core.backends.scheduler import Scheduler

# failures where the backend, not the job, is the likely cause: their words name the backend
BACKEND_REASONS = ("crash", "lost", "server_unavailable", "download")


class Lane(JobQueue):
    """The queue worker of backend `name` (see the module doc)."""

    def __init__(self, scheduler: Scheduler, name: str, history: HistoryStore, output_dir: Path,
                 *, session_factory: SessionFactory | None = None,
                 times: FollowTimes = FollowTimes()) -> None:
        super().__init__(history, ServerConnection(), output_dir,
                         session_factory=session_factory, times=times)
        self.name = name
        self._scheduler = scheduler
        self.finished.connect(self._name_backend)

    def follow(self, url: str | None) -> None:
        """Point the lane at its backend's URL while it is usable, at nothing otherwise."""
        self.connection.set(ServerInfo(url, "attached") if url else None)
        self.wake()

    def wake(self) -> None:
        """Look for work now (a job was added, or another lane became free)."""
        with self._cond:
            self._cond.notify_all()

    # -- taking jobs: the scheduler decides ----------------------------------------------------
    def _take_next(self, url: str | None) -> JobRecord | None:
        if url is None or time.monotonic() < self._retry_at:
            return None
        if self._orphan_check_due(url) and self._has_orphans(url):
            return JobRecord(job_id="", status="running")  # marker: recover first
        if self._paused:
            return None
        job = self._scheduler.choose(self.name, url)
        if job is not None:
            self._current = job.job_id
        return job

    def _run_one(self, job: JobRecord, url: str) -> None:
        try:
            super()._run_one(job, url)
        finally:
            if job.job_id:
                self._scheduler.release(self.name, job.job_id)

    def _give_back(self, job: JobRecord, why: str) -> None:
        super()._give_back(job, why)
        if job.job_id:  # it may go to another backend now
            self.history.update(job.job_id, backend=None)

    def _name_backend(self, result: JobResult) -> None:
        """A failure caused by the backend says which one (the user has several)."""
        if result.status != "failed" or result.reason not in BACKEND_REASONS:
            return
        record = self.history.get(result.job_id)
        error = dict(record.error or {}) if record else {}
        if error and not str(error.get("message", "")).startswith("Backend "):
            error["message"] = f"Backend {self.name!r} failed: {error.get('message', '')}"
            self.history.update(result.job_id, error=error)

    # -- recovery: only this backend's jobs ------------------------------------------------------
    def _orphans(self) -> list[JobRecord]:
        return [r for r in super()._orphans() if r.backend == self.name]

    def _recover_one(self, runner: JobRunner, url: str, record: JobRecord) -> bool:
        if not self._server_knows(runner, record):
            self._requeue(record)
            return True
        return super()._recover_one(runner, url, record)

    @staticmethod
    def _server_knows(runner: JobRunner, record: JobRecord) -> bool:
        """Whether the backend ever received this job's prompt (raises if it cannot say)."""
        if not record.prompt_id:
            return False
        client: Any = runner.client
        try:
            return client.history(record.prompt_id) is not None or \
                client.get_queue().contains(record.prompt_id)
        except ServerUnavailable:
            return True  # cannot tell: the runner's recovery waits for the backend

    def _requeue(self, record: JobRecord) -> None:
        """The app stopped between recording the dispatch and sending it: it waits again."""
        self.history.update(record.job_id, status="pending", queue_pos=-1, backend=None,
                            prompt_id=None, started_at=None, error=None,
                            **{f: None for f in ("owner_pid", "owner_started", "owner_host",
                                                 "heartbeat_at")})
