"""The one persistent queue over every backend: which job runs where, and when.

Jobs wait in the history's pending rows, as with one server (`core/jobs/queue.py`). Each
backend has a `Lane` (that queue's worker, bound to the backend); a free lane asks `choose`
for a job. A job goes to a backend that can run it:
- the backend is connected, not paused, and has no job (one job per backend at a time);
- it has every node class and model file the job's graph needs (its `/object_info`);
- its GPU has at least the VRAM similar jobs peaked at (learned from the history);
- it carries the job's pin, if the job has one (`requires`: a backend name or a pin);
and among those it is the one expected to finish first (its remaining time plus its learned
time for similar jobs). The dispatch (the backend's name) is written before anything is sent.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from wan22_gui.core.backends.estimates import Estimates
from wan22_gui.core.backends.lane import Lane
from wan22_gui.core.backends.pool import BackendPool, BackendState
from wan22_gui.core.base.signals import Signal
from wan22_gui.core.comfy.prompt import FollowTimes
from wan22_gui.core.history import HistoryStore, JobRecord, new_job_id
from wan22_gui.core.jobs import lease
from wan22_gui.core.jobs.queue import SessionFactory, _check_spec
from wan22_gui.core.workflow.spec import JobSpec

WAIT_FACTOR = 1.5  # a free backend leaves a job to a busy one only if that one is this much sooner
# every lane hears every row change: job_changed comes once, from the history, not per lane
FORWARDED = ("phase", "progress", "preview", "queue_changed", "finished")


class Scheduler:
    """Lanes for the pool's backends and the choice of job per lane. Thread-safe.

    Signals: phase, progress, preview, job_changed, queue_changed, finished (as
    `JobQueue`'s, from every lane) and message(str) (a lane's, naming its backend).
    """

    def __init__(self, history: HistoryStore, pool: BackendPool, output_dir: Path, *,
                 session_factory: SessionFactory | None = None,
                 times: FollowTimes = FollowTimes()) -> None:
        self.history = history
        self.pool = pool
        self.output_dir = Path(output_dir)
        self.estimates = Estimates(history)
        self._session_factory = session_factory
        self._times = times
        self._lock = threading.RLock()
        self._lanes: dict[str, Lane] = {}
        self._busy: dict[str, tuple[str, float, float]] = {}  # name -> (job, t0, expected s)
        self._graphs: dict[str, dict | None] = {}  # job id -> graph for the capability check
        self._missing: dict[tuple[str, str], tuple[Any, list[str]]] = {}  # (job, backend) ->
        self._started = False
        self._stuck_text = ""
        self.phase = Signal("scheduler.phase")
        self.progress = Signal("scheduler.progress")
        self.preview = Signal("scheduler.preview")
        self.job_changed = Signal("scheduler.job_changed")
        self.queue_changed = Signal("scheduler.queue_changed")
        self.finished = Signal("scheduler.finished")
        self.message = Signal("scheduler.message")
        history.changed.connect(self._on_history_changed)
        pool.changed.connect(self._on_state)
        for state in pool.states():
            self._on_state(state)

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> None:
        with self._lock:
            self._started = True
            lanes = list(self._lanes.values())
        for lane in lanes:
            lane.start()

    def close(self, timeout: float = 10.0) -> None:
        self.pool.changed.disconnect(self._on_state)
        self.history.changed.disconnect(self._on_history_changed)
        with self._lock:
            lanes, self._lanes, self._started = list(self._lanes.values()), {}, False
        for lane in lanes:
            lane.close(timeout)

    def lane(self, name: str) -> Lane | None:
        with self._lock:
            return self._lanes.get(name)

    # -- the queue ----------------------------------------------------------------------------
    def add(self, spec: JobSpec, *, label: str | None = None,
            requires: str | None = None) -> JobRecord:
        """Queue a job at the end; `requires` pins it to a backend name or pin tag."""
        _check_spec(spec)
        record = JobRecord(job_id=new_job_id(), params=spec.to_dict(), status="pending",
                           source_image=spec.image or None, label=label, requires=requires,
                           queue_pos=self.history.next_queue_pos())
        self.history.add(record)
        self._wake_all()
        self.queue_changed.emit()
        return record

    def cancel(self, job_id: str) -> None:
        """Cancel a job, waiting or running on whichever backend."""
        with self._lock:
            owner = next((n for n, (j, _, _) in self._busy.items() if j == job_id), None)
            lane = self._lanes.get(owner) if owner else next(iter(self._lanes.values()), None)
        if lane is not None:
            lane.cancel(job_id)

    def running(self) -> dict[str, str]:
        """Backend name -> the job it runs now."""
        with self._lock:
            return {name: job for name, (job, _, _) in self._busy.items()}

    # -- choosing -----------------------------------------------------------------------------
    def choose(self, name: str, url: str) -> JobRecord | None:
        """The job lane `name` should run now, recorded as dispatched to it; None: none."""
        with self._lock:
            usable = {s.name: s for s in self.pool.states() if s.usable}
            me = usable.get(name)
            if me is None or name in self._busy:
                return None
            stuck: list[str] = []
            for job in self.history.pending_queue():
                able = [s for s in usable.values() if not self.lacks(s, job)]
                if not able:
                    stuck.append(self._why_stuck(job, list(usable.values())))
                if me not in able:
                    continue
                if self._best_for(job, me, able) and self._dispatch(job, me, url):
                    return job
            self._tell_stuck(stuck)
        return None

    def _why_stuck(self, job: JobRecord, usable: list[BackendState]) -> str:
        lacking = "; ".join(f"{s.name} lacks {', '.join(self.lacks(s, job))}" for s in usable)
        return f"{job.label or job.job_id} waits: no connected backend can run it ({lacking})."

    def _tell_stuck(self, stuck: list[str]) -> None:
        """Say once (until it changes) which waiting jobs no backend can run, and why."""
        text = " ".join(stuck[:3]) + (f" (+{len(stuck) - 3} more)" if len(stuck) > 3 else "")
        if text != self._stuck_text:
            self._stuck_text = text
            self.message.emit(text)

    def _best_for(self, job: JobRecord, me: BackendState, able: list[BackendState]) -> bool:
        """Whether free backend `me` should take `job`: it is expected to finish it first, or
        only a busy backend would, and not by much (an idle GPU waiting on timing noise is a
        worse loss than a job on a slightly slower one)."""
        finish = {s.name: self._expected_finish(s, job) for s in able}
        best = min(able, key=lambda s: (finish[s.name], s.name))
        if best.name == me.name:
            return True
        return best.name in self._busy and finish[me.name] <= WAIT_FACTOR * finish[best.name]

    def lacks(self, state: BackendState, job: JobRecord) -> list[str]:
        """Why `state`'s backend cannot run `job`, in words (empty: it can)."""
        if job.requires and job.requires not in (state.name, *state.spec.pins):
            return [f"the job is pinned to {job.requires!r}"]
        need = self.estimates.vram_bytes(job.params)
        if need and state.gpu and state.gpu.vram_total and state.gpu.vram_total < need:
            return [f"{need / 1024**3:.1f} GiB VRAM (similar jobs peaked there)"]
        caps = state.capabilities
        known = self._missing.get((job.job_id, state.name))
        if known is not None and known[0] is caps:
            return known[1]  # a backend's capabilities change only when it reconnects
        graph = self._graph(job)
        missing = [] if graph is None or caps is None else caps.missing(graph)
        self._missing[(job.job_id, state.name)] = (caps, missing)
        return missing  # a graph that cannot be built fails in the runner, in its own words

    def _expected_finish(self, state: BackendState, job: JobRecord) -> float:
        remaining = 0.0
        if state.name in self._busy:
            _, t0, expected = self._busy[state.name]
            remaining = max(0.0, expected - (time.monotonic() - t0))
        return remaining + self.estimates.seconds(state.name, job.params)

    def _graph(self, job: JobRecord) -> dict | None:
        if job.job_id not in self._graphs:
            from wan22_gui.core.workflow.builder import build_wan_i2v

            try:
                self._graphs[job.job_id] = build_wan_i2v(
                    JobSpec.from_dict(job.params), "upload.png").graph
            except Exception:  # noqa: BLE001 - an unbuildable job fails in the runner, in words
                self._graphs[job.job_id] = None
        return self._graphs[job.job_id]

    def _dispatch(self, job: JobRecord, state: BackendState, url: str) -> bool:
        """Record where the job goes before anything is sent (a restart looks there); False
        when another process (the CLI, a second window) took it first."""
        if not self.history.update(job.job_id, if_status="pending", status="queued",
                                   queue_pos=None, backend=state.name, server_url=url,
                                   **lease.this_process().lease()):
            return False
        self._busy[state.name] = (job.job_id, time.monotonic(),
                                  self.estimates.seconds(state.name, job.params))
        self._graphs.pop(job.job_id, None)
        for key in [k for k in self._missing if k[0] == job.job_id]:
            del self._missing[key]
        return True

    def release(self, name: str, job_id: str) -> None:
        """Lane `name` is done with `job_id`: learn from it and let the lanes choose again."""
        with self._lock:
            if self._busy.get(name, ("",))[0] == job_id:
                del self._busy[name]
        record = self.history.get(job_id)
        if record is not None:
            self.estimates.learn(record)
        self._wake_all()

    def waiting_reasons(self) -> dict[str, str]:
        """Job id -> why no usable backend can run it (for the queue view and the CLI)."""
        usable = [s for s in self.pool.states() if s.usable]
        reasons = {}
        for job in self.history.pending_queue():
            why = {s.name: self.lacks(s, job) for s in usable}
            if usable and all(why.values()):
                reasons[job.job_id] = "; ".join(f"{n} lacks {', '.join(w)}"
                                                for n, w in why.items())
        return reasons

    # -- following the pool -------------------------------------------------------------------
    def _on_state(self, state: BackendState) -> None:
        lane = self._lane_for(state)
        lane.follow(state.spec.base_url if state.usable else None)
        if not state.usable:
            self.message.emit(state.words)  # why it takes no job (paused, not answering)
        self._wake_all()

    def _lane_for(self, state: BackendState) -> Lane:
        with self._lock:
            lane = self._lanes.get(state.name)
            if lane is None:
                lane = Lane(self, state.name, self.history, self.output_dir,
                            session_factory=self._session_factory, times=self._times)
                for name in FORWARDED:
                    getattr(lane, name).connect(getattr(self, name).emit)
                lane.message.connect(lambda text, n=state.name: self._say(n, text))
                self._lanes[state.name] = lane
                if self._started:
                    lane.start()
            return lane

    def _on_history_changed(self, job_id: str) -> None:
        record = self.history.get(job_id)
        if record is not None:
            self.job_changed.emit(record)

    def _say(self, name: str, text: str) -> None:
        self.message.emit(f"{name}: {text}" if text else "")

    def _wake_all(self) -> None:
        with self._lock:
            lanes = list(self._lanes.values())
        for lane in lanes:
            lane.wake()


def session_factory_for(client_id: str | None = None, **options: Any) -> SessionFactory:
    """Sessions for lanes: the app's fixed client id, so a restart hears its jobs again."""
    from wan22_gui.core.comfy.session import ServerSession

    return lambda url: ServerSession(url, client_id=client_id, **options).open()
