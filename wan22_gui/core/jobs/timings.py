"""Turning ComfyUI's event stream of one job into phases, per-node timings and step progress.

ComfyUI says which node runs (`executing`) and how far a sampler is (`progress`), not which
phase of a Wan job that is. The tracker maps nodes to phases (see `phases.node_phases`), closes
the previous node and phase when the next starts, and estimates the time left in a sampler pass
from its step rate. It keeps only wall-clock marks; it does no I/O and starts no thread.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from wan22_gui.core.comfy import events as ev
from wan22_gui.core.jobs import phases as ph
from wan22_gui.core.jobs.phases import PhaseEvent

PhaseCallback = Callable[[PhaseEvent], None]
ProgressCallback = Callable[[str, str, int, int, "float | None"], None]


@dataclass
class _OpenNode:
    node_id: str
    class_type: str
    phase: str | None
    start: float
    first_step_t: float | None = None
    first_step: float = 0.0
    steps: int | None = None


def eta_seconds(start: float, first_t: float | None, first_value: float, now: float,
                value: float, total: float) -> float | None:
    """Seconds left in a pass from its step rate.

    With two or more progress reports the rate between them is used (it leaves out the model
    transfer that usually precedes step 1); with one, the time since the node started.
    """
    if total <= 0 or value <= 0:
        return None
    if value >= total:
        return 0.0
    if first_t is not None and value > first_value and now > first_t:
        per_step = (now - first_t) / (value - first_value)
    else:
        per_step = max(0.0, now - start) / value
    return per_step * (total - value)


class PhaseTracker:
    """Follows one job. Feed it the job's events in order; read the timings at the end.

    Thread-safe: `feed` runs on the event thread while the runner opens and closes its own
    phases (upload, queued, download) on the job thread.
    """

    def __init__(
        self,
        job_id: str,
        on_phase: PhaseCallback,
        on_progress: ProgressCallback,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.job_id = job_id
        self._on_phase = on_phase
        self._on_progress = on_progress
        self._clock = clock
        self._lock = threading.RLock()
        self._node_phase: dict[str, str] = {}
        self._classes: dict[str, str] = {}
        self._phase: str | None = None
        self._phase_start = 0.0
        self._node: _OpenNode | None = None
        self.timings: dict[str, float] = {}
        self.node_timings: list[dict[str, Any]] = []
        self.phase_spans: list[dict[str, Any]] = []
        self.events: list[PhaseEvent] = []
        self.started = False  # ComfyUI began executing the prompt
        self.last_activity = 0.0

    def set_graph(self, graph: Mapping[str, Mapping], roles: Mapping[str, str] | None) -> None:
        """Tell the tracker which graph runs, so nodes map to phases."""
        with self._lock:
            self._node_phase = ph.node_phases(graph, roles)
            self._classes = {str(k): str(v.get("class_type", "")) for k, v in graph.items()}

    @property
    def current_phase(self) -> str | None:
        with self._lock:
            return self._phase

    def phase_of_node(self, node_id: str | None) -> str | None:
        """The phase a node belongs to (None when unknown)."""
        with self._lock:
            return self._node_phase.get(str(node_id)) if node_id is not None else None

    # -- phases driven by the runner --------------------------------------------------------

    def begin(self, phase: str, detail: str = "") -> None:
        """Close the open phase (if another) and open `phase`."""
        with self._lock:
            now = self._clock()
            if self._phase == phase:
                return
            self._close_phase(now)
            self._phase, self._phase_start = phase, now
            self._emit(PhaseEvent(self.job_id, phase, "start", now, detail))

    def end(self, phase: str | None = None, *, at: float | None = None) -> None:
        """Close the open phase (only if it is `phase`, when given) and the open node, now or
        at the earlier wall-clock time `at` (when the server crashed)."""
        with self._lock:
            if phase is not None and self._phase != phase:
                return
            now = self._clock() if at is None else min(self._clock(), at)
            self._close_node(now)
            self._close_phase(now)

    def mark(self, name: str, detail: str = "") -> None:
        with self._lock:
            self._emit(PhaseEvent(self.job_id, name, "mark", self._clock(), detail))

    # -- ComfyUI events ---------------------------------------------------------------------

    def feed(self, event: object) -> None:
        """Take one event of this job (other jobs' events must be filtered out before)."""
        with self._lock:
            self.last_activity = self._clock()
            if isinstance(event, ev.ExecutionStart):
                self.started = True
                self.end(ph.QUEUED)
            elif isinstance(event, ev.ExecutionCached):
                self._cached(event.nodes)
            elif isinstance(event, ev.Executing):
                self.started = True
                if event.node is None:
                    self.end()
                else:
                    self._node_started(str(event.node))
            elif isinstance(event, ev.Progress):
                self._progress(event)
            elif isinstance(
                event, (ev.ExecutionSuccess, ev.ExecutionError, ev.ExecutionInterrupted)
            ):
                self.end()

    def _cached(self, nodes: tuple[str, ...]) -> None:
        for node_id in nodes:
            self.node_timings.append({
                "node_id": node_id, "class_type": self._classes.get(node_id, ""),
                "phase": self._node_phase.get(node_id), "cached": True,
            })

    def _node_started(self, node_id: str) -> None:
        now = self._clock()
        if self._node is not None and self._node.node_id == node_id:
            return  # re-announced after a reconnect
        self._close_node(now)
        phase = self._node_phase.get(node_id)
        if phase is not None:
            self.begin(phase, detail=f"{self._classes.get(node_id, '')} #{node_id}")
        elif self._phase == ph.QUEUED:
            self.end(ph.QUEUED)
        self._node = _OpenNode(node_id, self._classes.get(node_id, ""), phase or self._phase, now)

    def _progress(self, event: ev.Progress) -> None:
        now = self._clock()
        node_id = str(event.node) if event.node is not None else None
        if node_id is not None and (self._node is None or self._node.node_id != node_id):
            self._node_started(node_id)  # progress without a seen `executing` (reconnect)
        node = self._node
        if node is None:
            return
        value, total = float(event.value), float(event.max)
        if node.first_step_t is None:
            node.first_step_t, node.first_step = now, value
        node.steps = int(total)
        eta = eta_seconds(node.start, node.first_step_t, node.first_step, now, value, total)
        phase = node.phase or self._phase or ""
        self._on_progress(self.job_id, phase, int(value), int(total), eta)

    def _close_node(self, now: float) -> None:
        node, self._node = self._node, None
        if node is None:
            return
        now = max(now, node.start)
        entry: dict[str, Any] = {
            "node_id": node.node_id, "class_type": node.class_type, "phase": node.phase,
            "start": node.start, "end": now, "seconds": round(now - node.start, 3),
        }
        if node.steps:
            entry["steps"] = node.steps
        self.node_timings.append(entry)

    def _close_phase(self, now: float) -> None:
        phase, self._phase = self._phase, None
        if phase is None:
            return
        now = max(now, self._phase_start)
        seconds = max(0.0, now - self._phase_start)
        self.timings[phase] = round(self.timings.get(phase, 0.0) + seconds, 3)
        self.phase_spans.append({"phase": phase, "start": self._phase_start, "end": now})
        self._emit(PhaseEvent(self.job_id, phase, "end", now))

    def _emit(self, event: PhaseEvent) -> None:
        self.events.append(event)
        self._on_phase(event)
